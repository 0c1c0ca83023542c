#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the rvnet selftests (run inside the guest).
# Output is KTAP through the kernel's own kselftest/ktap_helpers.sh.

: "${KSFT_DIR:?KSFT_DIR must point at tools/testing/selftests of the kernel source}"
# shellcheck source=/dev/null
. "$KSFT_DIR/kselftest/ktap_helpers.sh"

RVNET_KO=${RVNET_KO:?RVNET_KO must point at rvnet.ko}
NS1=rvns1
NS2=rvns2

# run_case NAME CMD...: one KTAP test case; the output of a failing case is
# shown as diagnostics.
run_case() {
	local name=$1 out rc
	shift
	# RVNET_CASES=REGEX runs only the matching cases (for development).
	if [ -n "${RVNET_CASES:-}" ] && ! [[ $name =~ $RVNET_CASES ]]; then
		ktap_test_skip "$name: not selected by RVNET_CASES"
		return 0
	fi
	# Each case runs in its own subshell with errexit: the first failing
	# command fails the case. RVNET_KEEP_SETUP=1: the program's cases share
	# one set-up (made once, cleaned up by the program).
	[ -n "${RVNET_KEEP_SETUP:-}" ] || cleanup_all
	local t0=$SECONDS
	out=$(set -e; "$@" 2>&1)
	rc=$?
	echo "# $name: $((SECONDS - t0))s"
	if [ $rc = 0 ]; then
		# RVNET_VERBOSE=1: what a passing case printed (its measurements).
		[ -z "${RVNET_VERBOSE:-}" ] || [ -z "$out" ] || echo "$out" | tail -25 | sed 's/^/# /'
		ktap_test_pass "$name"
	elif [ $rc = $KSFT_SKIP ]; then
		echo "$out" | tail -1 | sed 's/^/# /'
		ktap_test_skip "$name"
	else
		echo "$out" | tail -25 | sed 's/^/# /'
		ktap_test_fail "$name"
	fi
}

# nsx NS CMD...: CMD in network namespace NS through setns alone
# (nsenter). `ip netns exec` also makes a mount namespace and remounts
# /sys for it: measured on the plain kernel, ethtool -S through it took
# 0.5-0.6 s against 0.3-0.4 s through nsenter. Not for commands that read
# /sys/class/net (sysfs shows the namespace it was mounted in): those keep
# `ip netns exec`.
nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# udp_send GROUP...: UDP bursts and floods from udp_flood.py (its GROUPs:
# to=ADDR, netns=NS, ports=N, size=N, rounds=N, count=N, secs=F,
# stop=FILE, procs=N, cpu=N, sndbuf=N, nonblock, out=FILE), every sender
# forked from one python3 start: a python3 start costs seconds on the debug
# kernel under TCG, a fork milliseconds. Exits non-zero if a sender failed.
UDP_FLOOD=.
[[ ${BASH_SOURCE[0]} != */* ]] || UDP_FLOOD=${BASH_SOURCE[0]%/*}
[[ $UDP_FLOOD = /* ]] || UDP_FLOOD=$PWD/$UDP_FLOOD
UDP_FLOOD+=/udp_flood.py
udp_send() {
	python3 "$UDP_FLOOD" "$@"
}

# bursts_start: udp_flood.py --serve as the coprocess BURSTS of a case (it
# ends with the case's shell), for a case that sends several bursts: one
# python3 start for all of them. burst_go GROUP... starts a burst,
# burst_wait waits for its end and fails on its error; burst is both.
bursts_start() {
	coproc BURSTS { exec python3 "$UDP_FLOOD" --serve; }
}
burst_go() {
	echo "$*" >&"${BURSTS[1]}"
}
burst_wait() {
	local ans
	IFS= read -r ans <&"${BURSTS[0]}" || fail "the burst sender ended"
	[ "$ans" = ok ] || fail "$ans"
}
burst() {
	burst_go "$@"
	burst_wait
}

# fail MSG: print a reason and fail the current case.
fail() {
	echo "FAIL: $*"
	return 1
}

# skip MSG: skip the current case with a reason.
skip() {
	echo "SKIP: $*"
	return $KSFT_SKIP
}

rvnet_loaded() { grep -q '^rvnet ' /proc/modules; }

rvnet_load() {
	rvnet_loaded || insmod "$RVNET_KO"
}

rvnet_unload() {
	if rvnet_loaded; then rmmod rvnet; fi
}

# Under the debug kernel on TCG every exec costs the better part of a second,
# so the helpers below parse in bash and spawn as few processes as they can.

# rvnet_ends [NS]: names of the rvnet devices in NS (default: this netns),
# one per line.
rvnet_ends() {
	local line
	ip ${1:+-n "$1"} -o link show type rvnet 2>/dev/null | while read -r line; do
		line=${line#*: }
		echo "${line%%[@:]*}"
	done
}

# peer_name DEV: the name of DEV's peer when it is in DEV's netns.
peer_name() {
	local out re='^[0-9]+: [^@]+@([^:]+):'
	out=$(ip -o link show "$1" 2>/dev/null)
	[[ $out =~ $re ]] && [[ ${BASH_REMATCH[1]} != if[0-9]* ]] && echo "${BASH_REMATCH[1]}"
	return 0
}

# Number of rvnet devices in this netns and every named netns.
rvnet_count() {
	local n ns
	n=$(ip -o link show type rvnet 2>/dev/null | wc -l)
	for ns in /run/netns/*; do
		[ -e "$ns" ] || continue
		n=$((n + $(ip -n "${ns##*/}" -o link show type rvnet 2>/dev/null | wc -l)))
	done
	echo $n
}

cleanup_all() {
	local c p d ns cmds=()
	for c in /proc/[0-9]*/comm; do
		read -r p 2>/dev/null <"$c" || continue
		[ "$p" = socat ] || continue
		p=${c#/proc/}
		kill "${p%/comm}" 2>/dev/null || true
	done
	for ns in $NS1 $NS2; do [ ! -e /run/netns/$ns ] || cmds+=("netns del $ns"); done
	# Deleting one end deletes its peer: the batch goes on (-force) past
	# the ends that are already gone. One exec for all of it.
	for d in $(rvnet_ends); do cmds+=("link del $d"); done
	[ ${#cmds[@]} = 0 ] || printf '%s\n' "${cmds[@]}" | ip -force -batch - >/dev/null 2>&1 || true
	return 0
}

# ifname_of IFINDEX: the name of the device with this ifindex in this
# netns, from sysfs (no exec).
ifname_of() {
	local f i
	for f in /sys/class/net/*/ifindex; do
		read -r i <"$f" 2>/dev/null || continue
		[ "$i" = "$1" ] && { f=${f%/ifindex}; echo "${f##*/}"; return 0; }
	done
	return 1
}

# pair_into_netns KIND Q V6: NS1 and NS2 joined by a pair of KIND (rvnet or
# veth), rv1 (10.23.0.1) in NS1 and rv2 (10.23.0.2) in NS2, both up, with
# Q tx and rx queues each (0: the default) and, if V6 is 1, fd23::1 and
# fd23::2 (nodad); if V6 is "quiet", no IPv6 address at all, not even a
# link-local one (addrgenmode none, set before the link comes up), so that
# neither end sends a frame of its own (no DAD, router solicitation or MLD)
# into the counts of a case, and fixed MACs (rvN: 02:00:00:00:00:0N) for
# permanent neighbour entries (quiet_neigh). The rvnet peer is named
# through a rename, since stock iproute2 cannot pass a peer name to an
# unknown link kind; it is found through rv1's iflink in sysfs. Four execs (each costs the better part of
# a second on the debug kernel under TCG).
pair_into_netns() {
	pair_into_netns_down "$1" "$2" || return 1
	pair_addr_up "$3"
}

# pair_into_netns_down KIND Q: pair_into_netns without addresses, down.
pair_into_netns_down() {
	local kind=$1 q=$2 qa='' pi peer
	[ "$q" = 0 ] || qa="numtxqueues $q numrxqueues $q"
	if [ "$kind" = rvnet ]; then
		ip -batch - <<-EOF || return 1
		netns add $NS1
		netns add $NS2
		link add rv1 $qa type rvnet
		EOF
		read -r pi </sys/class/net/rv1/iflink
		peer=$(ifname_of "$pi") || { fail "no peer for rv1 (iflink $pi)"; return 1; }
		ip -batch - <<-EOF || return 1
		link set $peer name rv2
		link set rv1 netns $NS1
		link set rv2 netns $NS2
		EOF
	else
		ip -batch - <<-EOF || return 1
		netns add $NS1
		netns add $NS2
		link add rv1 $qa type veth peer name rv2 $qa
		link set rv1 netns $NS1
		link set rv2 netns $NS2
		EOF
	fi
}

# pair_addr_up V6: the addresses of pair_into_netns (V6 as there), rv1,
# rv2 and both loopbacks up.
pair_addr_up() {
	local v6=$1 n ns a
	for n in 1 2; do
		ns=$NS1 a=""
		[ $n = 1 ] || ns=$NS2
		case $v6 in
		1) a="addr add fd23::$n/64 dev rv$n nodad" ;;
		quiet) a="link set rv$n address 02:00:00:00:00:0$n addrgenmode none" ;;
		esac
		ip -n $ns -batch - <<-EOF || return 1
		addr add 10.23.0.$n/24 dev rv$n
		$a
		link set lo up
		link set rv$n up
		EOF
	done
}

# quiet_neigh: permanent neighbour entries both ways on a quiet pair (no
# ARP of either end's own in the counts). Link-down and netns moves flush
# them: a case puts them back before it counts.
quiet_neigh() {
	ip -n $NS1 neigh replace 10.23.0.2 lladdr 02:00:00:00:00:02 nud permanent dev rv1 &&
		ip -n $NS2 neigh replace 10.23.0.1 lladdr 02:00:00:00:00:01 nud permanent dev rv2
}

# setup_pair_netns [KIND [V6]]: two namespaces joined by a pair of KIND
# (rvnet): rv1 (10.23.0.1, fd23::1) in NS1 and rv2 (10.23.0.2, fd23::2) in
# NS2; V6 as for pair_into_netns (1).
setup_pair_netns() {
	pair_into_netns "${1:-rvnet}" 0 "${2:-1}"
}

# wait_port NS t|u PORT: until a TCP (t) or UDP (u) socket listens on PORT
# in NS (ss -N: one exec a try, every 0.1 s, at most 100 tries).
wait_port() {
	local i out
	for ((i = 0; i < 100; i++)); do
		out=$(ss -N "$1" -Hl"$2"n "sport = :$3" 2>/dev/null)
		[ -n "$out" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_lower_up NS DEV [TRIES]: until DEV in NS has its carrier (one exec
# a try, every 0.1 s, 50 tries by default).
wait_lower_up() {
	local out tries=${3:-50}
	while [ "$tries" -gt 0 ]; do
		out=$(ip -n "$1" link show "$2" 2>/dev/null)
		[[ $out == *LOWER_UP* ]] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# wait_for TRIES CMD...: poll CMD every 0.1 s.
wait_for() {
	local tries=$1
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# ethtool_stats NS DEV [ARRAY]: every `ethtool -S` counter of DEV in NS
# into the associative array ARRAY (ES if not given; the caller declares
# any other with -A), keyed as ethtool prints them: one exec, parsed in
# bash (the one parser of `ethtool -S` output in the suites).
declare -A ES
ethtool_stats() {
	local -n _es=${3:-ES}
	local k v
	_es=()
	while IFS=: read -r k v; do
		k=${k// /}
		[ -z "$k" ] || _es[$k]=${v// /}
	done < <(nsx "$1" ethtool -S "$2")
}

# estat NS DEV KEY: one `ethtool -S` counter (empty if DEV has none).
estat() {
	ethtool_stats "$1" "$2"
	echo "${ES[$3]:-}"
}

# link_stat NS DEV FIELD: one counter (rx_packets, tx_dropped, ...) of stats64.
link_stat() {
	local out re="\"${3%%_*}\":\{[^}]*\"${3#*_}\":([0-9]+)"
	out=$(ip -n "$1" -j -s link show dev "$2")
	[[ $out =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

# wait_listening NS DEV PROBE: (needs $CTL, rvnetctl) send probe datagrams out of DEV (to PROBE,
# a permanent neighbour: no ARP) until DEV's events-sent counter moves, so
# a listener that was just started is known to be subscribed.
wait_listening() {
	local ns=$1 dev=$2 probe=$3 i out re='"events-sent":([0-9]+)'
	ip -n "$ns" neigh replace "$probe" lladdr 02:00:00:00:00:01 nud permanent dev "$dev"
	for i in $(seq 100); do
		nsx "$ns" bash -c "echo x >/dev/udp/$probe/9"
		out=$("$CTL" -n "$ns" -j dev show "$dev")
		[[ $out =~ $re ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] && return 0
		sleep 0.2
	done
	fail "no listener on $dev after 100 probes"
}
