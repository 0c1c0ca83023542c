#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Native XDP on rvnet (ndo_bpf, the program run in the receiving end's NAPI
# poll on sk_buffs and on frames, ndo_xdp_xmit): attach checks with their
# extack messages; each verdict counted (PASS, DROP, ABORTED, TX back to the
# peer); REDIRECT rvnet to rvnet, rvnet to veth and veth to rvnet (frames
# into another device's ring without an sk_buff, a program on those frames,
# XDP_TX of a frame); attach/detach under floods; rmmod with programs
# attached and frames in the rings.
#
# One set-up for every case (a set-up costs seconds on the debug kernel):
#   NS1: rv1 (10.23.0.1)  ==rvnet==  NS2: rv2 (10.23.0.2)
#   NS2: rvb0 (ifindex 111) ==rvnet== rvb1, vb0 (ifindex 222) ==veth== vb1
# The programs (selftests/xdp_verdicts.bpf.c) are built by
# selftests/xdp-progs, on the host before the guest starts.
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
CTL=${RVNETCTL:-$here/../out/rvnetctl}
export RVNET_KEEP_SETUP=1

# attach NS DEV SECTION: attach or replace (-force) in native mode.
attach() { ip -force -n "$1" link set dev "$2" xdpdrv object "$OBJ" section "$3"; }
detach() { ip -n "$1" link set dev "$2" xdpdrv off; }

ping_n() { ip netns exec "$1" ping -q -c "$3" -i 0.01 -W 1 "$2" >/dev/null 2>&1; }

# send10: ten UDP datagrams from rv1 to rv2's address (bash builtins, no
# reply to wait for: the verdicts that answer nothing).
send10() {
	ip netns exec $NS1 bash -c 'for i in 0 1 2 3 4 5 6 7 8 9; do echo x >/dev/udp/10.23.0.2/9; done'
}

# ns2 CMDS: NS2 ip commands, one a line, in one process (-force: replace
# programs); under TCG every exec costs most of a second on the debug kernel.
ns2() { ip -force -n $NS2 -batch -; }

# stats NS DEV: every ethtool -S counter of DEV into S (one process).
declare -A S
stats() {
	local k v
	S=()
	while IFS=: read -r k v; do
		k=${k// /}
		[ -z "$k" ] || S[$k]=${v// /}
	done < <(ip netns exec "$1" ethtool -S "$2")
}

# total PATTERN: the sum of the counters of the last `stats` that match
# PATTERN (veth's rx_queue_N_* over all its queues).
total() {
	local k n=0
	for k in "${!S[@]}"; do
		# shellcheck disable=SC2053
		[[ $k == $1 ]] && n=$((n + S[$k]))
	done
	echo $n
}

# grew NAME BEFORE MIN WHAT: counter NAME of the last `stats` grew by MIN.
grew() {
	local now=${S[$1]:-0}
	[ $((now - $2)) -ge "$3" ] || fail "$4: $1 grew by $((now - $2)), wanted >= $3"
}

# pair NAME1 NAME2: an rvnet pair, NAME1 (10.23.0.1) in NS1 and NAME2
# (10.23.0.2, MAC 02:00:00:00:00:02, a permanent neighbour of NAME1) in
# NS2, both up: three processes.
pair() {
	"$CTL" -n $NS1 link add "$1" peer "$2" netns $NS2 >/dev/null
	ip -n $NS1 -batch - <<-EOB
	addr add 10.23.0.1/24 dev $1
	link set lo up
	link set $1 up
	neigh replace 10.23.0.2 lladdr 02:00:00:00:00:02 nud permanent dev $1
	EOB
	ip -n $NS2 -batch - <<-EOB
	link set $2 address 02:00:00:00:00:02
	addr add 10.23.0.2/24 dev $2
	link set lo up
	link set $2 up
	EOB
}

setup() {
	ip -batch - <<-EOB
	netns add $NS1
	netns add $NS2
	EOB
	pair rv1 rv2
	# rvb0's peer is named by the template, rvnet0 (the first free name
	# in NS2).
	ip -n $NS2 -batch - <<-EOB
	link add rvb0 index 111 type rvnet
	link set rvnet0 name rvb1
	link add vb0 index 222 type veth peer name vb1
	link set rvb1 up
	link set rvb0 up
	link set vb1 up
	link set vb0 up
	EOB
}

t_attach_checks() {
	local out
	# Peer MTU beyond one page with XDP headroom: refused, with the reason.
	ip -n $NS1 link set rv1 mtu 4000
	out=$(attach $NS2 rv2 pass 2>&1) && fail "attach with peer MTU 4000 succeeded"
	[[ $out == *"Peer MTU is too large to set XDP"* ]] || fail "no extack for the MTU: $out"
	ip -n $NS1 link set rv1 mtu 1500
	# More peer tx queues than rx queues here: refused (a guest with one
	# CPU has one tx queue per end).
	if ip netns exec $NS1 ethtool -L rv1 tx 2 2>/dev/null; then
		out=$(attach $NS2 rv2 pass 2>&1) && fail "attach with rx 1 < peer tx 2 succeeded"
		[[ $out == *"number of rx queues not less than peer tx queues"* ]] ||
			fail "no extack for the queues: $out"
		ip netns exec $NS1 ethtool -L rv1 tx 1
	fi
	attach $NS2 rv2 pass || fail "attach failed"
	# The peer loses GSO and its max MTU, and gets them back on detach.
	out=$(ip netns exec $NS1 ethtool -k rv1)
	[[ $out == *"tcp-segmentation-offload: off"* ]] || fail "peer TSO still on with XDP"
	ip -n $NS1 link set rv1 mtu 9000 2>/dev/null && fail "peer MTU 9000 accepted with XDP"
	ip netns exec $NS1 ethtool -L rv1 tx 2 2>/dev/null && fail "peer tx 2 > rx 1 accepted with XDP"
	detach $NS2 rv2 || fail "detach failed"
	out=$(ip netns exec $NS1 ethtool -k rv1)
	[[ $out == *"tcp-segmentation-offload: on"* ]] || fail "peer TSO not back after detach"
	ip -n $NS1 -batch - <<-EOB || fail "peer MTU 9000 refused after detach"
	link set rv1 mtu 9000
	link set rv1 mtu 1500
	EOB
}

# The program on the receiving end rv2 replaced verdict by verdict; each
# verdict's counter takes the packets rv1 sent meanwhile, and XDP_TX sends
# them back into rv1's ring as frames. rv2 samples every packet: its
# decision records say which verdict each one got.
t_verdicts() {
	local v pass drop ab tx out tr=/sys/kernel/tracing traced=
	"$CTL" -n $NS2 dev set rv2 sample 1 ring 128 >/dev/null
	# With tracing in the kernel (the debug one): XDP_DROP and XDP_ABORTED
	# free with SKB_DROP_REASON_XDP, and XDP_ABORTED is traced.
	[ -d $tr/events ] || mount -t tracefs nodev $tr 2>/dev/null || true
	if [ -w $tr/events/skb/kfree_skb/enable ] && [ -w $tr/events/xdp/xdp_exception/enable ]; then
		echo >$tr/trace
		echo 1 >$tr/events/skb/kfree_skb/enable
		echo 1 >$tr/events/xdp/xdp_exception/enable
		traced=1
	fi
	stats $NS2 rv2
	pass=${S[rx0_xdp_pass]:-0} drop=${S[rx0_xdp_drop]:-0}
	ab=${S[rx0_xdp_aborted]:-0} tx=${S[rx0_xdp_tx]:-0}
	attach $NS2 rv2 pass || fail "attach pass"
	ping_n $NS1 10.23.0.2 10 || fail "ping through XDP_PASS failed"
	for v in drop aborted tx; do
		attach $NS2 rv2 $v || fail "replace with $v"
		send10
	done
	detach $NS2 rv2 || fail "detach"
	if [ -n "$traced" ]; then
		echo 0 >$tr/events/skb/kfree_skb/enable
		echo 0 >$tr/events/xdp/xdp_exception/enable
		out=$(<$tr/trace)
		echo >$tr/trace
		[[ $out == *"reason: XDP"* ]] || fail "no kfree_skb with reason XDP traced"
		[[ $out == *"xdp_exception:"*"action=ABORTED"* ]] ||
			fail "XDP_ABORTED not traced (xdp:xdp_exception)"
	else
		echo "# no tracefs events in this kernel: drop reasons not checked"
	fi
	stats $NS2 rv2
	grew rx0_xdp_pass "$pass" 10 PASS
	grew rx0_xdp_drop "$drop" 10 DROP
	grew rx0_xdp_aborted "$ab" 10 ABORTED
	grew rx0_xdp_tx "$tx" 10 TX
	# Only XDP_TX puts frames in rv1's ring in this set-up before now.
	stats $NS1 rv1
	grew rx0_xdp_frames 0 10 "TX: rv1's frames"

	out=$("$CTL" -n $NS2 -j dev decisions rv2)
	"$CTL" -n $NS2 dev set rv2 sample 0 >/dev/null
	for v in pass drop aborted tx; do
		[[ $out == *"\"xdp-action\":\"$v\""* ]] || fail "no decision record with xdp-action $v"
	done
}

# rvnet to rvnet: rv2 redirects to rvb0, whose ndo_xdp_xmit puts the
# frames in rvb1's ring; a program on rvb1 runs on those frames (PASS,
# then TX: back to rvb0's ring). rvnet to veth and veth to rvnet: rv2
# redirects to vb0 (veth's ndo_xdp_xmit), whose peer vb1 redirects to rvb0.
# Only this case redirects before now: the counters start at 0.
t_redirect() {
	ns2 <<-EOB || fail "attach redirect_to_111 on rv2, pass on rvb1"
	link set dev rv2 xdpdrv object $OBJ section redirect_to_111
	link set dev rvb1 xdpdrv object $OBJ section pass
	EOB
	send10
	attach $NS2 rvb1 tx || fail "attach tx on rvb1"
	send10
	stats $NS2 rvb0
	grew tx0_xdp_xmit 0 20 "rvb0 ndo_xdp_xmit"
	grew rx0_xdp_frames 0 10 "rvb0 frames from rvb1's XDP_TX"
	stats $NS2 rvb1
	grew rx0_xdp_frames 0 20 "rvb1 frames"
	grew rx0_xdp_pass 0 10 "rvb1 PASS of frames"
	grew rx0_xdp_tx 0 10 "rvb1 TX of frames"

	ns2 <<-EOB || fail "redirect_to_111 on vb1, redirect_to_222 on rv2"
	link set dev rvb1 xdpdrv off
	link set dev vb1 xdpdrv object $OBJ section redirect_to_111
	link set dev rv2 xdpdrv object $OBJ section redirect_to_222
	EOB
	send10
	ns2 <<-EOB
	link set dev rv2 xdpdrv off
	link set dev vb1 xdpdrv off
	EOB
	stats $NS2 rv2
	grew rx0_xdp_redirect 0 30 "rv2 redirect (to rvnet, then to veth)"
	stats $NS2 vb1
	S[vb1_redirect]=$(total 'rx_queue_*_xdp_redirect')
	grew vb1_redirect 0 10 "vb1 (veth) redirect to rvnet"
	stats $NS2 rvb1
	grew rx0_xdp_frames 0 30 "rvb1 frames, 10 through veth"
}

# Attach, replace and detach on both ends of rv1/rv2 and on rvb1 while
# floods cross rv1/rv2 both ways and, while rv2 redirects, into rvb1's
# ring (and back into rvb0's); traffic flows afterwards.
t_attach_under_traffic() {
	local p1 p2 i
	ip netns exec $NS1 ping -f -q -w 4 10.23.0.2 >/dev/null 2>&1 &
	p1=$!
	ip netns exec $NS2 ping -f -q -w 4 10.23.0.1 >/dev/null 2>&1 &
	p2=$!
	for i in 1 2; do
		ns2 <<-EOB || fail "attach on rv2, rvb1 ($i)"
		link set dev rv2 xdpdrv object $OBJ section pass
		link set dev rvb1 xdpdrv object $OBJ section tx
		link set dev rv2 xdpdrv object $OBJ section redirect_to_111
		EOB
		attach $NS1 rv1 drop || fail "attach drop on rv1 ($i)"
		ns2 <<-EOB || fail "detach on rvb1, rv2 ($i)"
		link set dev rvb1 xdpdrv off
		link set dev rv2 xdpdrv off
		EOB
		detach $NS1 rv1 || fail "detach rv1 ($i)"
	done
	# The floods lose packets to the programs: their status says nothing.
	wait $p1 $p2 || true
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after the attach/detach cycles"
}

# rmmod while programs are attached to rv1, rv2 and rvb1, with a flood
# that rv2 redirects into rvb1's ring and rvb1 bounces into rvb0's: the
# core detaches them at unregister, the rings' frames are given back;
# the module loads again and a new pair carries traffic.
t_rmmod_attached() {
	local p
	ns2 <<-EOB || fail "attach on rv2, rvb1"
	link set dev rv2 xdpdrv object $OBJ section redirect_to_111
	link set dev rvb1 xdpdrv object $OBJ section tx
	EOB
	attach $NS1 rv1 pass || fail "attach rv1"
	ip netns exec $NS1 ping -f -q -w 3 10.23.0.2 >/dev/null 2>&1 &
	p=$!
	sleep 1
	rmmod rvnet || fail "rmmod with programs attached failed"
	wait $p || true
	rvnet_load || fail "reload failed"
	pair rv1 rv2
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after reload"
}

rvnet_load
ktap_print_header
ktap_set_plan 5
cases=(attach_checks_and_extack:t_attach_checks
	verdicts_pass_drop_aborted_tx_counted:t_verdicts
	redirect_rvnet_to_rvnet_and_veth_and_back:t_redirect
	attach_detach_under_traffic:t_attach_under_traffic
	rmmod_with_programs_attached:t_rmmod_attached)
cleanup_all
if ! OBJ=$("$here/xdp-progs" 2>&1); then
	for c in "${cases[@]}"; do
		ktap_test_skip "xdp_${c%%:*}: cannot build the BPF programs: ${OBJ//$'\n'/ }"
	done
elif ! why=$(set -e; setup 2>&1); then
	for c in "${cases[@]}"; do
		ktap_test_fail "xdp_${c%%:*}: set-up failed: ${why//$'\n'/ }"
	done
else
	for c in "${cases[@]}"; do
		run_case "xdp_${c%%:*}" "${c#*:}"
	done
fi
cleanup_all
rvnet_unload
ktap_finished
