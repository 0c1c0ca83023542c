#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How often net/gro.sh's "large" case passes, per device, and in how many
# pieces the 64 KB train arrives when it does not. One try per round and
# device, alternating devices (A B A B ...), on a fresh pair each time set up
# as setup_veth.sh does (gro_flush_timeout 1 ms, MTU 65535, GRO on, TSO off);
# the upstream `gro` program sends and checks, unmodified. A pass is a train
# in one piece plus the lone segment: "pieces 2".
#
#   gro_large_rate.sh [ROUNDS]      (guest, run from the installed net/ dir)
#
# KINDS: devices and variants, default "veth rvnet"; a variant is KIND:VAR
# with VAR noqueue (root qdisc noqueue on the sender) or bqlmin (BQL
# limit_min 10 MB on the sender's queues). THREADED=1 turns threaded NAPI on
# on both ends. PROTO: ipv4 (default) or ipv6.
ROUNDS=${1:-10}
PROTO=${PROTO:-ipv4}
SERVER_MAC="aa:00:00:00:00:02"
CLIENT_MAC="aa:00:00:00:00:01"
[ -x ./gro ] || { echo "run from the installed net/ directory (./gro missing)"; exit 4; }
lsmod | grep -q '^rvnet ' || insmod "${RVNET_KO:?}" || exit 1

setup() { # KIND VAR
	ip netns add grs
	ip netns add grc
	if [ "$1" = rvnet ]; then
		ip link add name server type rvnet
		ip link set dev "$(ip -o link show server | sed -n 's/.*server@\([^:]*\):.*/\1/p')" name client
	else
		ip link add name server type veth peer name client
	fi
	ip link set dev server netns grs
	ip link set dev client netns grc
	for ns in grs:server grc:client; do
		ip netns exec "${ns%%:*}" sh -c "echo 1000000 > /sys/class/net/${ns#*:}/gro_flush_timeout" &&
		ip -n "${ns%%:*}" link set dev "${ns#*:}" mtu 65535 up &&
		ip netns exec "${ns%%:*}" ethtool -K "${ns#*:}" gro on tso off || return 1
		if [ -n "${THREADED:-}" ]; then
			ip netns exec "${ns%%:*}" sh -c "echo 1 > /sys/class/net/${ns#*:}/threaded" || return 1
		fi
	done
	case "$2" in
	noqueue) ip netns exec grc tc qdisc replace dev client root noqueue ;;
	bqlmin) ip netns exec grc sh -c 'for f in /sys/class/net/client/queues/tx-*/byte_queue_limits/limit_min; do echo 10000000 > $f; done' ;;
	"") ;;
	*) echo "unknown variant $2"; return 1 ;;
	esac
}

declare -A pass pieces
kinds=(${KINDS:-veth rvnet})
args=(--"$PROTO" --dmac "$SERVER_MAC" --smac "$CLIENT_MAC" --test large --verbose)
for r in $(seq "$ROUNDS"); do
	for k in "${kinds[@]}"; do
		kind=${k%%:*} var=
		[ "$k" = "$kind" ] || var=${k#*:}
		setup "$kind" "$var" >/dev/null || { echo "setup of $k failed"; exit 1; }
		ip netns exec grs ./gro "${args[@]}" --rx --iface server >/tmp/gro-rate.$$ 2>&1 &
		sp=$!
		sleep 0.5
		ip netns exec grc ./gro "${args[@]}" --iface client >/dev/null 2>&1
		wait $sp
		rc=$?
		# The first check's "Total N packets" of what was received.
		n=$(grep -o 'Total [0-9]* packets' /tmp/gro-rate.$$ | sed -n 2p | tr -dc 0-9)
		[ $rc = 0 ] && n=2
		echo "# round $r $k: $([ $rc = 0 ] && echo pass || echo fail), pieces ${n:-?}"
		[ $rc = 0 ] && pass[$k]=$((${pass[$k]:-0} + 1))
		pieces[$k]="${pieces[$k]:-} ${n:-?}"
		ip netns del grs
		ip netns del grc
	done
done
rm -f /tmp/gro-rate.$$
for k in "${kinds[@]}"; do
	echo "$k $PROTO${THREADED:+ threaded}: passed ${pass[$k]:-0}/$ROUNDS, pieces:${pieces[$k]}"
done
