#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module lifecycle: load with a layout check, link kind registered, rmmod
# with pairs present (up, in other namespaces, with traffic) removes them.
. "$(dirname "$0")/lib.sh"

t_load() {
	rvnet_unload
	dmesg -C
	insmod "$RVNET_KO" || fail "insmod failed"
	rvnet_loaded || fail "rvnet not in /proc/modules"
	dmesg | grep -q "rvnet: layout ok: net_device" || fail "no layout check message"
}

t_kind_registered() {
	ip link add rvk0 type rvnet || fail "ip link add type rvnet failed"
	ip -d link show rvk0 | grep -q "rvnet " || fail "rvk0 is not of kind rvnet"
	ip link del rvk0
}

t_rmmod_with_pairs() {
	setup_pair_netns
	ip link add rvk1 type rvnet
	ip link add rvk2 type rvnet
	ip link set rvk1 up
	nsx $NS1 ping -c 2 -i 0.2 -W 2 10.23.0.2 >/dev/null || fail "no traffic before rmmod"
	timeout 30 nsenter --net=/run/netns/$NS1 ping -f -c 2000 -W 1 10.23.0.2 </dev/null >/dev/null 2>&1 &
	sleep 0.3
	rmmod rvnet || fail "rmmod failed with pairs present"
	wait || true
	[ "$(rvnet_count)" = 0 ] || fail "rvnet devices left after rmmod: $(rvnet_count)"
	ip -n $NS1 link show rv1 >/dev/null 2>&1 && fail "rv1 survived rmmod"
	cleanup_all
}

t_reload() {
	insmod "$RVNET_KO" || fail "second insmod failed"
	ip link add rvk3 type rvnet || fail "add after reload failed"
	rmmod rvnet || fail "rmmod failed"
}

ktap_print_header
ktap_set_plan 4
run_case "module_load_layout_check" t_load
run_case "module_link_kind_registered" t_kind_registered
run_case "module_rmmod_with_pairs_and_traffic" t_rmmod_with_pairs
run_case "module_reload_and_unload" t_reload
cleanup_all
ktap_finished
