#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Native XDP on rvnet (ndo_bpf, the program run in the receiving end's NAPI
# poll): attach checks with their extack messages, each verdict counted
# (PASS, DROP, TX back to the peer, REDIRECT to another rvnet and to a
# veth), attach/detach under a flood, and rmmod with programs attached.
# BPF programs: the kernel's own (net/xdp_dummy.bpf.o from the kselftest
# install; bpf/progs/xdp_tx.c and test_xdp_redirect.c built here with
# clang-19 --target=bpf) and xdp_drop.bpf.c next to this script.
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
OBJ=$(mktemp -d /tmp/rvnet-xdp-XXXXXX)

# Builds the programs; prints why it cannot.
build_progs() {
	local inst build src=$KSFT_DIR/bpf/progs f
	inst=${RVNET_UPSTREAM_KSFT:-$("$here/upstream/install" --path 2>/dev/null)} ||
		{ echo "kselftest install missing (selftests/upstream/install)"; return 1; }
	build=$(dirname "$inst")/build
	cp "$inst/net/xdp_dummy.bpf.o" "$OBJ/pass.o" || return 1
	local inc=(-I"$build/usr/include" -I"$build/kselftest/net/tools/include"
		-idirafter /usr/include -idirafter /usr/include/x86_64-linux-gnu)
	for f in xdp_tx test_xdp_redirect; do
		clang-19 -O2 --target=bpf "${inc[@]}" -c "$src/$f.c" -o "$OBJ/$f.o" || return 1
	done
	clang-19 -O2 --target=bpf "${inc[@]}" -c "$here/xdp_drop.bpf.c" -o "$OBJ/drop.o"
}

# xstat NS DEV NAME: one ethtool -S counter.
xstat() {
	local line
	while read -r line; do
		[ "${line%%:*}" = "$3" ] && { echo "${line#*: }"; return 0; }
	done < <(ip netns exec "$1" ethtool -S "$2")
	echo 0
}

# attach NS DEV OBJ [SECTION]: attach or replace (-force) in native mode.
attach() { ip -force -n "$1" link set dev "$2" xdpdrv object "$OBJ/$3" section "${4:-xdp}"; }
detach() { ip -n "$1" link set dev "$2" xdpdrv off; }

ping_n() { ip netns exec "$1" ping -q -c "$3" -i 0.01 -W 1 "$2" >/dev/null 2>&1; }

t_attach_checks() {
	setup_pair_netns
	local out
	# Peer MTU beyond one page with XDP headroom: refused, with the reason.
	ip -n $NS1 link set rv1 mtu 4000
	out=$(attach $NS2 rv2 pass.o 2>&1) && fail "attach with peer MTU 4000 succeeded"
	[[ $out == *"Peer MTU is too large to set XDP"* ]] || fail "no extack for the MTU: $out"
	ip -n $NS1 link set rv1 mtu 1500
	# More peer tx queues than rx queues here: refused.
	ip netns exec $NS1 ethtool -L rv1 tx 2 2>/dev/null || true
	if [ "$(ip netns exec $NS1 ethtool -l rv1 | awk '/^TX:/{v=$2} END{print v}')" = 2 ]; then
		out=$(attach $NS2 rv2 pass.o 2>&1) && fail "attach with rx 1 < peer tx 2 succeeded"
		[[ $out == *"number of rx queues not less than peer tx queues"* ]] ||
			fail "no extack for the queues: $out"
		ip netns exec $NS1 ethtool -L rv1 tx 1
	fi
	attach $NS2 rv2 pass.o || fail "attach failed"
	ip -n $NS2 -d link show rv2 | grep -q "xdp" || fail "program not shown on rv2"
	# The peer loses GSO and its max MTU, and gets them back on detach.
	ip netns exec $NS1 ethtool -k rv1 | grep -q "tcp-segmentation-offload: off" ||
		fail "peer TSO still on with XDP"
	ip -n $NS1 link set rv1 mtu 9000 2>/dev/null && fail "peer MTU 9000 accepted with XDP"
	ip netns exec $NS1 ethtool -L rv1 tx 2 2>/dev/null && fail "peer tx 2 > rx 1 accepted with XDP"
	# Replace while attached, then detach.
	attach $NS2 rv2 drop.o || fail "replace failed"
	detach $NS2 rv2 || fail "detach failed"
	ip netns exec $NS1 ethtool -k rv1 | grep -q "tcp-segmentation-offload: on" ||
		fail "peer TSO not back after detach"
	ip -n $NS1 link set rv1 mtu 9000 || fail "peer MTU 9000 refused after detach"
	cleanup_all
}

# One pair, the program on the receiving end rv2 replaced verdict by
# verdict (a pair set-up costs seconds on the debug kernel): PASS answers
# and counts, DROP and TX take every frame (rv2 still counts them in its
# ring), TX frames come back to rv1. A permanent neighbour entry keeps
# ARP out of it.
t_verdicts() {
	setup_pair_netns
	local mac c0 c1 p0 p1 a0 a1
	mac=$(ip netns exec $NS2 cat /sys/class/net/rv2/address)
	ip -n $NS1 neigh replace 10.23.0.2 lladdr "$mac" nud permanent dev rv1
	attach $NS2 rv2 pass.o || fail "attach pass"
	p0=$(xstat $NS2 rv2 rx0_xdp_pass)
	ping_n $NS1 10.23.0.2 10 || fail "ping through XDP_PASS failed"
	p1=$(xstat $NS2 rv2 rx0_xdp_pass)
	[ $((p1 - p0)) -ge 10 ] || fail "PASS: xdp_pass grew by $((p1 - p0)), wanted >= 10"

	attach $NS2 rv2 drop.o || fail "replace with drop"
	p1=$(xstat $NS2 rv2 rx0_xdp_pass)
	c0=$(xstat $NS2 rv2 rx0_xdp_consumed)
	ping_n $NS1 10.23.0.2 10 && fail "ping answered through XDP_DROP"
	c1=$(xstat $NS2 rv2 rx0_xdp_consumed)
	[ $((c1 - c0)) -ge 10 ] || fail "DROP: xdp_consumed grew by $((c1 - c0)), wanted >= 10"
	[ "$(xstat $NS2 rv2 rx0_xdp_pass)" = "$p1" ] || fail "DROP: xdp_pass moved under the drop program"

	attach $NS2 rv2 xdp_tx.o || fail "replace with tx"
	a0=$(link_stat $NS1 rv1 rx_packets)
	c0=$(xstat $NS2 rv2 rx0_xdp_consumed)
	ping_n $NS1 10.23.0.2 10 && fail "ping answered through XDP_TX"
	a1=$(link_stat $NS1 rv1 rx_packets)
	c1=$(xstat $NS2 rv2 rx0_xdp_consumed)
	[ $((c1 - c0)) -ge 10 ] || fail "TX: xdp_consumed grew by $((c1 - c0)), wanted >= 10"
	# Every request came back to the sender through rv2's transmit.
	[ $((a1 - a0)) -ge 10 ] || fail "TX: rv1 received $((a1 - a0)) bounced frames, wanted >= 10"

	detach $NS2 rv2 || fail "detach"
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after detach"
	cleanup_all
}

# The program on rv2 redirects what rv1 sends to it: to an rvnet end with
# ifindex 111 (to its peer rvb1), then to a veth end with ifindex 222 (to
# vb1), both in NS2.
t_redirect() {
	local b1 r0 r1 t0
	setup_pair_netns
	ip -n $NS2 link add rvb0 index 111 type rvnet || fail "add rvb0"
	b1=$(ip -n $NS2 -o link show rvb0 | awk -F'[ :@]+' '{print $3}')
	ip -n $NS2 -batch - <<-EOB
	link set $b1 name rvb1
	link add vb0 index 222 type veth peer name vb1
	link set rvb1 up
	link set rvb0 up
	link set vb1 up
	link set vb0 up
	EOB
	ip -n $NS1 neigh replace 10.23.0.2 lladdr 02:00:00:00:00:02 nud permanent dev rv1

	attach $NS2 rv2 test_xdp_redirect.o redirect_to_111 || fail "attach redirect_to_111"
	r0=$(link_stat $NS2 rvb1 rx_packets)
	t0=$(link_stat $NS2 rvb0 tx_packets)
	ping_n $NS1 10.23.0.2 10 || true
	r1=$(link_stat $NS2 rvb1 rx_packets)
	[ $((r1 - r0)) -ge 10 ] || fail "rvnet: rvb1 received $((r1 - r0)) redirected frames, wanted >= 10"
	[ $(($(link_stat $NS2 rvb0 tx_packets) - t0)) -ge 10 ] || fail "rvnet: rvb0 did not send them"

	attach $NS2 rv2 test_xdp_redirect.o redirect_to_222 || fail "attach redirect_to_222"
	r0=$(link_stat $NS2 vb1 rx_packets)
	ping_n $NS1 10.23.0.2 10 || true
	r1=$(link_stat $NS2 vb1 rx_packets)
	[ $((r1 - r0)) -ge 10 ] || fail "veth: vb1 received $((r1 - r0)) redirected frames, wanted >= 10"
	cleanup_all
}

# Attach and detach (and replace) repeatedly on both ends while a flood
# crosses the pair in both directions; traffic flows afterwards.
t_attach_under_traffic() {
	setup_pair_netns
	ip netns exec $NS1 ping -f -q -w 8 10.23.0.2 >/dev/null 2>&1 &
	local p1=$!
	ip netns exec $NS2 ping -f -q -w 8 10.23.0.1 >/dev/null 2>&1 &
	local p2=$! i
	for i in $(seq 3); do
		attach $NS2 rv2 pass.o || fail "attach pass $i"
		attach $NS1 rv1 drop.o || fail "attach drop $i"
		attach $NS2 rv2 drop.o || fail "replace $i"
		detach $NS1 rv1 || fail "detach rv1 $i"
		detach $NS2 rv2 || fail "detach rv2 $i"
	done
	# The floods lose packets to the drop programs: their status says nothing.
	wait $p1 $p2 || true
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after the attach/detach cycles"
	cleanup_all
}

# rmmod while programs are attached to both ends of a pair carrying a
# flood: the core detaches them at unregister; the module loads again.
t_rmmod_attached() {
	setup_pair_netns
	attach $NS2 rv2 pass.o || fail "attach rv2"
	attach $NS1 rv1 xdp_tx.o || fail "attach rv1"
	ip netns exec $NS1 ping -f -q -w 4 10.23.0.2 >/dev/null 2>&1 &
	local p=$!
	sleep 1
	rmmod rvnet || fail "rmmod with programs attached failed"
	wait $p || true
	rvnet_load || fail "reload failed"
	cleanup_all
	setup_pair_netns
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after reload"
	cleanup_all
}

rvnet_load
ktap_print_header
ktap_set_plan 5
if ! why=$(build_progs 2>&1); then
	for c in attach_checks_and_extack verdicts_pass_drop_tx_counted \
		redirect_to_rvnet_and_veth attach_detach_under_traffic \
		rmmod_with_programs_attached; do
		ktap_test_skip "xdp_$c: cannot build the BPF programs: ${why//$'\n'/ }"
	done
else
	run_case "xdp_attach_checks_and_extack" t_attach_checks
	run_case "xdp_verdicts_pass_drop_tx_counted" t_verdicts
	run_case "xdp_redirect_to_rvnet_and_veth" t_redirect
	run_case "xdp_attach_detach_under_traffic" t_attach_under_traffic
	run_case "xdp_rmmod_with_programs_attached" t_rmmod_attached
fi
cleanup_all
rm -rf "$OBJ"
rvnet_unload
ktap_finished
