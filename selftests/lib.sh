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
	# Each case runs in its own subshell with errexit: the first failing
	# command fails the case.
	cleanup_all
	out=$(set -e; "$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
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

# Number of rvnet devices in all namespaces we know of.
rvnet_count() {
	local n=0 ns
	n=$(ip -d -o link show type rvnet 2>/dev/null | wc -l)
	for ns in $(ip netns list | awk '{print $1}'); do
		n=$((n + $(ip -n "$ns" -d -o link show type rvnet 2>/dev/null | wc -l)))
	done
	echo $n
}

cleanup_all() {
	pkill -x socat 2>/dev/null || true
	ip netns del $NS1 2>/dev/null || true
	ip netns del $NS2 2>/dev/null || true
	for d in $(ip -o link show type rvnet 2>/dev/null | awk -F'[ :@]+' '{print $2}'); do
		ip link del "$d" 2>/dev/null || true
	done
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
		peer=$(ip -o link show rv1 | sed -n 's/.*rv1@\([^:]*\):.*/\1/p')
		[ -n "$peer" ] || fail "no peer for rv1"
		ip link set "$peer" name rv2
	else
		ip link add rv1 type veth peer name rv2
	fi
	ip link set rv1 netns $NS1
	ip link set rv2 netns $NS2
	ip -n $NS1 addr add 10.23.0.1/24 dev rv1
	ip -n $NS2 addr add 10.23.0.2/24 dev rv2
	ip -n $NS1 addr add fd23::1/64 dev rv1 nodad
	ip -n $NS2 addr add fd23::2/64 dev rv2 nodad
	ip -n $NS1 link set lo up
	ip -n $NS2 link set lo up
	ip -n $NS1 link set rv1 up
	ip -n $NS2 link set rv2 up
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

# link_stat NS DEV FIELD: one counter from /sys/class/net/DEV/statistics.
link_stat() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}
