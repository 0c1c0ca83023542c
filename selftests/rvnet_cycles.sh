#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Repeated insmod / create / traffic / delete / rmmod cycles, then a kmemleak
# scan: nothing may leak and nothing may be left behind.
. "$(dirname "$0")/lib.sh"

CYCLES=${RVNET_CYCLES:-50}
PAIR_CYCLES=${RVNET_PAIR_CYCLES:-200}

t_cycles() {
	local i
	for i in $(seq "$CYCLES"); do
		insmod "$RVNET_KO" || fail "cycle $i: insmod"
		ip link add rvc$i type rvnet || fail "cycle $i: add"
		local p
		p=$(ip -o link show rvc$i | sed -n "s/.*rvc$i@\([^:]*\):.*/\1/p")
		ip addr add 10.99.0.1/24 dev rvc$i
		ip link set rvc$i up
		ip link set "$p" up
		# Traffic through the pair (ARP requests cross it), still in
		# flight while the pair is deleted.
		ping -c 3 -i 0.01 -W 1 -I rvc$i 10.99.0.2 </dev/null >/dev/null 2>&1 &
		if [ $((i % 2)) = 0 ]; then
			ip link del "$p" || fail "cycle $i: del peer"
		else
			ip link del rvc$i || fail "cycle $i: del"
		fi
		[ "$(rvnet_count)" = 0 ] || fail "cycle $i: devices left"
		wait
		rmmod rvnet || fail "cycle $i: rmmod"
	done
}

# Create / traffic / delete with the module loaded (issue: 200 cycles leave
# kmemleak and the refcount trackers clean).
t_pair_cycles() {
	insmod "$RVNET_KO"
	local i p
	ip netns add $NS1
	for i in $(seq "$PAIR_CYCLES"); do
		ip link add rvp numtxqueues 2 numrxqueues 2 type rvnet || fail "cycle $i: add"
		p=$(ip -o link show rvp | sed -n "s/.*rvp@\([^:]*\):.*/\1/p")
		ip link set "$p" netns $NS1
		ip -n $NS1 addr add 10.98.0.2/24 dev "$p"
		ip -n $NS1 link set "$p" up
		ip addr add 10.98.0.1/24 dev rvp
		ip link set rvp up
		ping -c 1 -W 2 -I rvp 10.98.0.2 >/dev/null || fail "cycle $i: no ping"
		if [ $((i % 2)) = 0 ]; then ip link del rvp; else ip -n $NS1 link del "$p"; fi
	done
	ip netns del $NS1
	rmmod rvnet
	[ "$(rvnet_count)" = 0 ] || fail "devices left"
}

t_kmemleak() {
	local f=/sys/kernel/debug/kmemleak
	[ -w $f ] || skip "kmemleak not available (plain kernel); make check uses the debug kernel"
	echo scan >$f
	sleep 6
	echo scan >$f
	local leaks
	leaks=$(grep -c "unreferenced object" $f || true)
	if [ "$leaks" != 0 ]; then
		head -60 $f
		fail "$leaks unreferenced objects after $CYCLES cycles"
	fi
}

rvnet_unload
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
ktap_print_header
ktap_set_plan 3
run_case "cycles_${CYCLES}_insmod_create_traffic_delete_rmmod" t_cycles
run_case "cycles_${PAIR_CYCLES}_pair_create_traffic_delete" t_pair_cycles
run_case "cycles_kmemleak_clean" t_kmemleak
ktap_finished
