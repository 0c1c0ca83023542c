#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Namespaces: each end can move to another netns; the pair keeps working;
# deleting a namespace removes both ends.
. "$(dirname "$0")/lib.sh"

t_move_both_ends() {
	setup_pair_netns
	ip -n $NS1 -d link show rv1 | grep -q "rvnet " || fail "rv1 not in $NS1"
	ip -n $NS2 -d link show rv2 | grep -q "rvnet " || fail "rv2 not in $NS2"
	# Each end reports its peer's netns (get_link_net).
	ip -n $NS1 link show rv1 | grep -q "link-netns $NS2" || fail "rv1 does not show link-netns $NS2"
	wait_lower_up $NS1 rv1 || fail "rv1 has no carrier"
	nsx $NS1 ping -c 1 -W 3 10.23.0.2 >/dev/null || fail "no ping after moves"
	cleanup_all
}

t_move_back_and_forth() {
	ip netns add $NS1
	ip link add rvm type rvnet
	ip link set rvm netns $NS1
	ip -n $NS1 link set rvm netns 1 || fail "move back to init netns failed"
	ip link show rvm >/dev/null || fail "rvm not back in init netns"
	cleanup_all
}

t_delete_netns_removes_both() {
	setup_pair_netns
	ip netns del $NS2
	wait_for 50 sh -c "! ip -n $NS1 link show rv1" || fail "rv1 survived deleting $NS2"
	ip netns add $NS2
	ip link add rvn type rvnet
	ip link set rvn netns $NS2
	ip netns del $NS2
	wait_for 50 sh -c "[ \$(ip -o link show type rvnet | wc -l) = 0 ]" ||
		fail "peer in init netns survived deleting $NS2"
	cleanup_all
}

rvnet_load
ktap_print_header
ktap_set_plan 3
run_case "netns_move_both_ends_and_ping" t_move_both_ends
run_case "netns_move_back_to_init" t_move_back_and_forth
run_case "netns_delete_removes_both_ends" t_delete_netns_removes_both
cleanup_all
rvnet_unload
ktap_finished
