#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How often net/gro.sh's "large" case passes, per device, and in how many
# pieces the 64 KB train arrives when it does not. One try per round and
# device, alternating devices (A B A B ...), each on a fresh pair made by
# gro_variant.sh's setup (setup_veth.sh's: gro_flush_timeout 1 ms, MTU
# 65535, GRO on, TSO off); the upstream `gro` program sends and checks,
# unmodified. A pass is a train in one piece plus the lone segment:
# "pieces 2".
#
#   gro_large_rate.sh [ROUNDS]      (guest, run from the installed net/ dir)
#
# KINDS: devices and variants, default "veth rvnet"; a variant is KIND:VAR
# with VAR noqueue (root qdisc noqueue on the sender), bqlmin (BQL
# limit_min 10 MB on the sender's queues) or nofloor (rvnet's BQL floor off
# on the sender: ethtool -C tx-frames 0). THREADED=1: threaded NAPI on both
# ends. PROTO: ipv4 (default) or ipv6. TEST: another gro.sh case (data,
# ack, flags, tcp, ip) instead of "large"; a failed try then shows the
# receiver's last lines instead of the pieces.
ROUNDS=${1:-10}
PROTO=${PROTO:-ipv4}
[ -x ./gro ] || { echo "run from the installed net/ directory (./gro missing)"; exit 4; }
lsmod | grep -q '^rvnet ' || insmod "${RVNET_KO:?}" || exit 1
# setup_ns/cleanup_ns of KIND and MODE, $server_ns/$client_ns, the MACs.
. "$(dirname "$0")/gro_variant.sh" veth ${THREADED:+threaded}

variant() { # VAR: on the sending end ("client")
	case "$1" in
	noqueue) ip netns exec "$client_ns" tc qdisc replace dev client root noqueue ;;
	bqlmin) ip netns exec "$client_ns" sh -c 'for f in /sys/class/net/client/queues/tx-*/byte_queue_limits/limit_min; do echo 10000000 > $f; done' ;;
	nofloor) ip netns exec "$client_ns" ethtool -C client tx-frames 0 ;;
	"") ;;
	*) echo "unknown variant $1"; return 1 ;;
	esac
}

declare -A pass pieces
kinds=(${KINDS:-veth rvnet})
TEST=${TEST:-large}
args=(--"$PROTO" --dmac "$SERVER_MAC" --smac "$CLIENT_MAC" --test "$TEST" --verbose)
rx=$(mktemp /tmp/gro-rate.XXXXXX)
trap 'cleanup_ns; rm -f "$rx"' EXIT
for r in $(seq "$ROUNDS"); do
	for k in "${kinds[@]}"; do
		KIND=${k%%:*} var=
		[ "$k" = "$KIND" ] || var=${k#*:}
		{ setup_ns && variant "$var"; } >/dev/null || { echo "setup of $k failed"; exit 1; }
		ip netns exec "$server_ns" ./gro "${args[@]}" --rx --iface server >"$rx" 2>&1 &
		sp=$!
		sleep 0.5
		ip netns exec "$client_ns" ./gro "${args[@]}" --iface client >/dev/null 2>&1
		wait $sp
		rc=$?
		# The first check's "Total N packets" of what was received.
		n=$(grep -o 'Total [0-9]* packets' "$rx" | sed -n 2p | tr -dc 0-9)
		[ $rc = 0 ] && n=2
		if [ "$TEST" != large ]; then
			n=
			[ $rc = 0 ] || tail -4 "$rx" | sed "s/^/# $k: /"
		fi
		# rvnet's forced yields of the server's NAPI thread (threaded
		# polls only): each flushes what GRO holds, as a full poll does.
		y=
		[ "$KIND" = rvnet ] && y=", yields $(ip netns exec "$server_ns" ethtool -S server |
			awk '/rx[0-9]+_napi_yields:/ { s += $2 } END { print s + 0 }')"
		echo "# round $r $k: $([ $rc = 0 ] && echo pass || echo fail), pieces ${n:-?}$y"
		[ $rc = 0 ] && pass[$k]=$((${pass[$k]:-0} + 1))
		pieces[$k]="${pieces[$k]:-} ${n:-?}"
		cleanup_ns
	done
done
for k in "${kinds[@]}"; do
	echo "$k $PROTO $TEST${THREADED:+ threaded}: passed ${pass[$k]:-0}/$ROUNDS, pieces:${pieces[$k]}"
done
