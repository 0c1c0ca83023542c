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

setup() {
	local b1
	setup_pair_netns
	ip -n $NS2 link add rvb0 index 111 type rvnet
	b1=$(ip -n $NS2 -o link show rvb0)
	b1=${b1#*@}
	b1=${b1%%:*}
	ip -n $NS2 -batch - <<-EOB
	link set $b1 name rvb1
	link add vb0 index 222 type veth peer name vb1
	link set rvb1 up
	link set rvb0 up
	link set vb1 up
	link set vb0 up
	EOB
	# Permanent neighbours: no ARP in the counts. Frames that reach a
	# device whose address they do not carry are counted, then dropped
	# by the stack.
	ip -n $NS1 neigh replace 10.23.0.2 nud permanent dev rv1 \
		lladdr "$(ip netns exec $NS2 cat /sys/class/net/rv2/address)"
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
	out=$(ip -n $NS2 -d link show rv2)
	[[ $out == *xdp* ]] || fail "program not shown on rv2: $out"
	# The peer loses GSO and its max MTU, and gets them back on detach.
	out=$(ip netns exec $NS1 ethtool -k rv1)
	[[ $out == *"tcp-segmentation-offload: off"* ]] || fail "peer TSO still on with XDP"
	ip -n $NS1 link set rv1 mtu 9000 2>/dev/null && fail "peer MTU 9000 accepted with XDP"
	ip netns exec $NS1 ethtool -L rv1 tx 2 2>/dev/null && fail "peer tx 2 > rx 1 accepted with XDP"
	detach $NS2 rv2 || fail "detach failed"
	out=$(ip netns exec $NS1 ethtool -k rv1)
	[[ $out == *"tcp-segmentation-offload: on"* ]] || fail "peer TSO not back after detach"
	ip -n $NS1 link set rv1 mtu 9000 || fail "peer MTU 9000 refused after detach"
	ip -n $NS1 link set rv1 mtu 1500
}

# The program on the receiving end rv2 replaced verdict by verdict; each
# verdict's counter takes every request, and only it moves. rv2 samples
# every packet: its decision records say which verdict each one got.
t_verdicts() {
	local v pass drop ab tx fr out
	"$CTL" -n $NS2 dev set rv2 sample 1 ring 128 >/dev/null
	stats $NS2 rv2
	pass=${S[rx0_xdp_pass]:-0} drop=${S[rx0_xdp_drop]:-0}
	ab=${S[rx0_xdp_aborted]:-0} tx=${S[rx0_xdp_tx]:-0}

	attach $NS2 rv2 pass || fail "attach pass"
	ping_n $NS1 10.23.0.2 10 || fail "ping through XDP_PASS failed"
	stats $NS2 rv2
	grew rx0_xdp_pass "$pass" 10 PASS
	pass=${S[rx0_xdp_pass]}

	for v in drop aborted; do
		attach $NS2 rv2 $v || fail "replace with $v"
		ping_n $NS1 10.23.0.2 10 && fail "ping answered through $v"
	done
	stats $NS2 rv2
	grew rx0_xdp_drop "$drop" 10 DROP
	grew rx0_xdp_aborted "$ab" 10 ABORTED
	[ "${S[rx0_xdp_pass]}" = "$pass" ] || fail "xdp_pass moved under drop/aborted"

	# XDP_TX: every request goes back to rv1 as a frame in its ring.
	stats $NS1 rv1
	fr=${S[rx0_xdp_frames]:-0}
	attach $NS2 rv2 tx || fail "replace with tx"
	ping_n $NS1 10.23.0.2 10 && fail "ping answered through XDP_TX"
	stats $NS2 rv2
	grew rx0_xdp_tx "$tx" 10 TX
	stats $NS1 rv1
	grew rx0_xdp_frames "$fr" 10 "TX: rv1's frames"

	out=$("$CTL" -n $NS2 -j dev decisions rv2)
	"$CTL" -n $NS2 dev set rv2 sample 0 >/dev/null
	for v in pass drop aborted tx; do
		[[ $out == *"\"xdp-action\":\"$v\""* ]] || fail "no decision record with xdp-action $v"
	done
	detach $NS2 rv2 || fail "detach"
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after detach"
}

# rvnet to rvnet: rv2 redirects to rvb0, whose ndo_xdp_xmit puts the
# frames in rvb1's ring; a program on rvb1 runs on those frames (PASS,
# then TX: back to rvb0's ring). rvnet to veth and veth to rvnet: rv2
# redirects to vb0 (veth's ndo_xdp_xmit), whose peer vb1 redirects to rvb0.
t_redirect() {
	local rd fr xm pass btx bfr vrd
	stats $NS2 rv2
	rd=${S[rx0_xdp_redirect]:-0}
	stats $NS2 rvb0
	xm=${S[tx0_xdp_xmit]:-0} bfr=${S[rx0_xdp_frames]:-0}
	stats $NS2 rvb1
	fr=${S[rx0_xdp_frames]:-0} pass=${S[rx0_xdp_pass]:-0} btx=${S[rx0_xdp_tx]:-0}

	attach $NS2 rv2 redirect_to_111 || fail "attach redirect_to_111"
	attach $NS2 rvb1 pass || fail "attach pass on rvb1"
	ping_n $NS1 10.23.0.2 10 || true
	attach $NS2 rvb1 tx || fail "attach tx on rvb1"
	ping_n $NS1 10.23.0.2 10 || true
	stats $NS2 rv2
	grew rx0_xdp_redirect "$rd" 20 "rv2 redirect"
	rd=${S[rx0_xdp_redirect]}
	stats $NS2 rvb0
	grew tx0_xdp_xmit "$xm" 20 "rvb0 ndo_xdp_xmit"
	grew rx0_xdp_frames "$bfr" 10 "rvb1 XDP_TX of frames"
	stats $NS2 rvb1
	grew rx0_xdp_frames "$fr" 20 "rvb1 frames"
	grew rx0_xdp_pass "$pass" 10 "rvb1 PASS of frames"
	grew rx0_xdp_tx "$btx" 10 "rvb1 TX of frames"
	fr=${S[rx0_xdp_frames]}
	detach $NS2 rvb1

	stats $NS2 vb1
	vrd=$(total 'rx_queue_*_xdp_redirect')
	attach $NS2 vb1 redirect_to_111 || fail "attach redirect_to_111 on vb1"
	attach $NS2 rv2 redirect_to_222 || fail "attach redirect_to_222"
	ping_n $NS1 10.23.0.2 10 || true
	stats $NS2 rv2
	grew rx0_xdp_redirect "$rd" 10 "rv2 redirect to veth"
	stats $NS2 vb1
	S[vb1_redirect]=$(total 'rx_queue_*_xdp_redirect')
	grew vb1_redirect "$vrd" 10 "vb1 (veth) redirect to rvnet"
	stats $NS2 rvb1
	grew rx0_xdp_frames "$fr" 10 "rvb1 frames from veth"
	detach $NS2 rv2
	detach $NS2 vb1
}

# Attach, replace and detach on both ends of rv1/rv2 and on rvb1 while
# floods cross rv1/rv2 both ways and, while rv2 redirects, into rvb1's
# ring; traffic flows afterwards.
t_attach_under_traffic() {
	local p1 p2 i
	ip netns exec $NS1 ping -f -q -w 6 10.23.0.2 >/dev/null 2>&1 &
	p1=$!
	ip netns exec $NS2 ping -f -q -w 6 10.23.0.1 >/dev/null 2>&1 &
	p2=$!
	for i in 1 2; do
		attach $NS2 rv2 pass || fail "attach pass $i"
		attach $NS1 rv1 drop || fail "attach drop $i"
		attach $NS2 rv2 redirect_to_111 || fail "redirect $i"
		attach $NS2 rvb1 tx || fail "tx on rvb1 $i"
		detach $NS2 rvb1 || fail "detach rvb1 $i"
		detach $NS1 rv1 || fail "detach rv1 $i"
		detach $NS2 rv2 || fail "detach rv2 $i"
	done
	# The floods lose packets to the programs: their status says nothing.
	wait $p1 $p2 || true
	ping_n $NS1 10.23.0.2 3 || fail "no traffic after the attach/detach cycles"
}

# rmmod while programs are attached to rv1, rv2 and rvb1, with a flood
# that rv2 redirects into rvb1's ring and rvb1 bounces into rvb0's: the
# core detaches them at unregister, the rings' frames are given back;
# the module loads again and carries traffic.
t_rmmod_attached() {
	local p
	attach $NS1 rv1 pass || fail "attach rv1"
	attach $NS2 rv2 redirect_to_111 || fail "attach rv2"
	attach $NS2 rvb1 tx || fail "attach rvb1"
	ip netns exec $NS1 ping -f -q -w 3 10.23.0.2 >/dev/null 2>&1 &
	p=$!
	sleep 1
	rmmod rvnet || fail "rmmod with programs attached failed"
	wait $p || true
	rvnet_load || fail "reload failed"
	cleanup_all
	setup_pair_netns
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
