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
	local c p d
	for c in /proc/[0-9]*/comm; do
		read -r p 2>/dev/null <"$c" || continue
		[ "$p" = socat ] || continue
		p=${c#/proc/}
		kill "${p%/comm}" 2>/dev/null || true
	done
	[ ! -e /run/netns/$NS1 ] || ip netns del $NS1 2>/dev/null || true
	[ ! -e /run/netns/$NS2 ] || ip netns del $NS2 2>/dev/null || true
	# Deleting one end deletes its peer: the batch goes on (-force) past
	# the ends that are already gone.
	d=$(rvnet_ends)
	[ -z "$d" ] || printf 'link del %s\n' $d | ip -force -batch - >/dev/null 2>&1 || true
	return 0
}

# Two namespaces joined by an rvnet pair: rv1 (10.23.0.1, fd23::1) in NS1 and
# rv2 (10.23.0.2, fd23::2) in NS2. Named through netns moves, since stock
# iproute2 cannot pass a peer name to an unknown link kind.
setup_pair_netns() {
	local kind=${1:-rvnet}
	ip netns add $NS1
	ip netns add $NS2
	if [ "$kind" = rvnet ]; then
		ip link add rv1 type rvnet
		peer=$(peer_name rv1)
		[ -n "$peer" ] || fail "no peer for rv1"
		ip link set "$peer" name rv2
	else
		ip link add rv1 type veth peer name rv2
	fi
	ip -batch - <<-EOF
	link set rv1 netns $NS1
	link set rv2 netns $NS2
	EOF
	ip -n $NS1 -batch - <<-EOF
	addr add 10.23.0.1/24 dev rv1
	addr add fd23::1/64 dev rv1 nodad
	link set lo up
	link set rv1 up
	EOF
	ip -n $NS2 -batch - <<-EOF
	addr add 10.23.0.2/24 dev rv2
	addr add fd23::2/64 dev rv2 nodad
	link set lo up
	link set rv2 up
	EOF
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
		ip netns exec "$ns" bash -c "echo x >/dev/udp/$probe/9"
		out=$("$CTL" -n "$ns" -j dev show "$dev")
		[[ $out =~ $re ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] && return 0
		sleep 0.2
	done
	fail "no listener on $dev after 100 probes"
}
