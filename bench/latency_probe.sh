#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where a ping waits under the bench's UDP flood (bench/guest.py m_lat):
# veth and rvnet alternating, a fresh pair in two namespaces each run,
# fq_codel root on the sender, iperf3 UDP 1400 B at full rate, ping every
# 10 ms. Prints p50/p99/max RTT and what the queues did meanwhile: CPU ticks
# of the ksoftirqd threads, NET_TX/NET_RX softirq counts per CPU, and for
# rvnet its queue counters, fq_codel's backlog/requeues and the BQL limit.
# A diagnostic, not a benchmark: `make bench` owns the ratios.
#
#   bench/latency_probe.sh      (guest; RVNET_KO set, as qemu/run does)
#
# N rounds (3), S seconds of ping (8); THREADED=1: GRO and threaded NAPI on
# both ends; BQLMIN=BYTES: BQL limit_min of rvnet's sender queue.
set -u
S=${S:-8}
lsmod | grep -q '^rvnet ' || insmod "${RVNET_KO:?}" || exit 1

ksoftirqd_ticks() {
	local p
	for p in $(pgrep ksoftirqd); do awk '{printf "%d ", $14 + $15}' "/proc/$p/stat"; done
}
net_softirqs() { awk '/NET_TX|NET_RX/ {printf "%s %s %s ", $1, $2, $3}' /proc/softirqs; }

one() {
	local kind=$1 fp out r n k0 k1 s0 s1
	ip netns add lpa
	ip netns add lpb
	if [ "$kind" = rvnet ]; then
		ip link add name xa type rvnet
		ip link set "$(ip -o link show xa | sed -n 's/.*xa@\([^:]*\):.*/\1/p')" name xb
	else
		ip link add xa type veth peer name xb
	fi
	ip link set xa netns lpa
	ip link set xb netns lpb
	ip -n lpa addr add 10.9.0.1/24 dev xa
	ip -n lpb addr add 10.9.0.2/24 dev xb
	ip -n lpa link set xa up
	ip -n lpb link set xb up
	ip netns exec lpa tc qdisc replace dev xa root fq_codel
	if [ -n "${BQLMIN:-}" ] && [ "$kind" = rvnet ]; then
		ip netns exec lpa sh -c "echo $BQLMIN > /sys/class/net/xa/queues/tx-0/byte_queue_limits/limit_min"
	fi
	if [ -n "${THREADED:-}" ]; then
		# veth has a NAPI (and so a threaded mode) only with GRO or XDP.
		ip netns exec lpa ethtool -K xa gro on
		ip netns exec lpb ethtool -K xb gro on
		ip netns exec lpa sh -c 'echo 1 > /sys/class/net/xa/threaded'
		ip netns exec lpb sh -c 'echo 1 > /sys/class/net/xb/threaded'
	fi
	ip netns exec lpb iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	sleep 0.5
	ip netns exec lpa ping -c 1 -w 5 10.9.0.2 >/dev/null
	k0=$(ksoftirqd_ticks)
	s0=$(net_softirqs)
	ip netns exec lpa iperf3 -c 10.9.0.2 -u -b 0 -l 1400 -t $((S + 1)) >/dev/null 2>&1 &
	fp=$!
	sleep 0.8
	out=$(ip netns exec lpa ping -n -i 0.01 -W 1 -w "$S" 10.9.0.2)
	k1=$(ksoftirqd_ticks)
	s1=$(net_softirqs)
	if [ "$kind" = rvnet ]; then
		ip netns exec lpa ethtool -S xa | grep -E 'tx0_(packets|ring_full_stops|wakes)|rx0_polls'
		ip netns exec lpa tc -s qdisc show dev xa | sed -n 2,3p
		echo "bql limit $(ip netns exec lpa cat /sys/class/net/xa/queues/tx-0/byte_queue_limits/limit)"
	fi
	wait $fp
	r=$(echo "$out" | grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -n)
	n=$(echo "$r" | grep -c .)
	echo "$kind${THREADED:+ threaded}${BQLMIN:+ limit_min=$BQLMIN}: pings $n p50 $(echo "$r" | sed -n "$((n / 2))p") p99 $(echo "$r" | sed -n "$((n * 99 / 100))p") max $(echo "$r" | tail -1) ms; ksoftirqd ticks $k0-> $k1; $s0-> $s1"
	ip netns del lpa
	ip netns del lpb
	sleep 0.5
}

for _ in $(seq "${N:-3}"); do
	one veth
	one rvnet
done
