#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic across two namespaces: IPv4 and IPv6 ping, a sha256-verified TCP
# transfer, and counters that match what was sent. Run on rvnet, and on veth
# as the reference, in the same boot.
. "$(dirname "$0")/lib.sh"

KIND=rvnet

t_ping4() {
	setup_pair_netns $KIND
	nsx $NS1 ping -c 3 -i 0.2 -W 3 10.23.0.2 >/dev/null || fail "IPv4 ping failed"
	nsx $NS2 ping -c 3 -i 0.2 -W 3 10.23.0.1 >/dev/null || fail "IPv4 ping back failed"
	cleanup_all
}

t_ping6() {
	setup_pair_netns $KIND
	nsx $NS1 ping -6 -c 3 -i 0.2 -W 3 fd23::2 >/dev/null || fail "IPv6 ping failed"
	nsx $NS2 ping -6 -c 3 -i 0.2 -W 3 fd23::1 >/dev/null || fail "IPv6 ping back failed"
	cleanup_all
}

# tcp_transfer ADDR: send 8 MiB of random data NS1 -> NS2, compare sha256.
tcp_transfer() {
	local addr=$1 tmp
	tmp=$(mktemp -d)
	head -c 8M /dev/urandom >"$tmp/in"
	# The server must not hold the case's output pipe open.
	timeout 120 ip netns exec $NS2 socat -u TCP-LISTEN:5001,reuseaddr,pf=${2:-ip4} \
		"OPEN:$tmp/out,creat,trunc" </dev/null >/dev/null 2>&1 &
	local srv=$!
	wait_port $NS2 t 5001 || fail "server did not listen"
	timeout 120 ip netns exec $NS1 socat -u "OPEN:$tmp/in" "TCP:$addr:5001" || fail "socat client failed"
	wait $srv || fail "socat server failed"
	local a b
	a=$(sha256sum <"$tmp/in" | cut -d' ' -f1)
	b=$(sha256sum <"$tmp/out" | cut -d' ' -f1)
	rm -rf "$tmp"
	[ "$a" = "$b" ] || fail "sha256 mismatch: sent $a received $b"
}

t_tcp4() {
	setup_pair_netns $KIND
	tcp_transfer 10.23.0.2 ip4
	cleanup_all
}

t_tcp6() {
	setup_pair_netns $KIND
	tcp_transfer '[fd23::2]' ip6
	cleanup_all
}

t_counters() {
	# No background IPv6 (ND, MLD) while counting.
	setup_pair_netns $KIND quiet
	nsx $NS1 ping -c 1 -W 3 10.23.0.2 >/dev/null
	sleep 0.5
	local tx0 rx0 tx1 rx1
	# snap: rv1's tx and rv2's rx counters, read while nothing was sent
	# (rv1's tx count is the same before and after reading rv2's rx), so a
	# frame the stack sends between the two reads cannot skew the deltas.
	snap() {
		local i a
		for i in 1 2 3 4 5 6 7 8 9 10; do
			a=$(link_stat $NS1 rv1 tx_packets)
			SNAP_RX=$(link_stat $NS2 rv2 rx_packets)
			SNAP_TX=$(link_stat $NS1 rv1 tx_packets)
			[ "$a" = "$SNAP_TX" ] && return 0
			sleep 0.2
		done
		fail "rv1 kept transmitting while the counters were read"
	}
	snap
	tx0=$SNAP_TX rx0=$SNAP_RX
	# Drops during the counted window only: before it, frames the stack
	# sent while the far end was still down (IPv6 before it was disabled)
	# are dropped and counted by veth, a fact of the set-up.
	local d0
	d0=$(link_stat $NS1 rv1 tx_dropped)
	nsx $NS1 ping -c 20 -i 0.05 -W 3 10.23.0.2 >/dev/null || fail "ping failed"
	sleep 0.5
	snap
	tx1=$SNAP_TX rx1=$SNAP_RX
	# 20 echo requests; nothing else is sent once ARP is resolved, but allow
	# for an ARP/ND refresh.
	[ $((tx1 - tx0)) -ge 20 ] && [ $((tx1 - tx0)) -le 24 ] || fail "tx delta $((tx1 - tx0))"
	[ $((rx1 - rx0)) = $((tx1 - tx0)) ] || fail "rx delta $((rx1 - rx0)) != tx delta $((tx1 - tx0))"
	[ "$(link_stat $NS1 rv1 tx_dropped)" = "$d0" ] || fail "tx drops: $d0 before the window, $(link_stat $NS1 rv1 tx_dropped) after"
	cleanup_all
}

run_all() {
	run_case "${KIND}_ping_ipv4_across_netns" t_ping4
	run_case "${KIND}_ping_ipv6_across_netns" t_ping6
	run_case "${KIND}_tcp4_8MiB_sha256" t_tcp4
	run_case "${KIND}_tcp6_8MiB_sha256" t_tcp6
	run_case "${KIND}_counters_match_sent" t_counters
}

rvnet_load
ktap_print_header
ktap_set_plan 10
KIND=rvnet run_all
KIND=veth run_all
cleanup_all
rvnet_unload
ktap_finished
