#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One timed pktgen run on one device, through the kernel's own
# samples/pktgen/functions.sh (pg_ctrl, pg_thread, pg_set). Run it in the
# network namespace of DEV (pktgen is per netns).
#
#   bench/pktgen.sh DEV MODE PKT_SIZE SECONDS
#
# MODE is start_xmit (straight into ndo_start_xmit, no qdisc) or queue_xmit
# (dev_queue_xmit, through the root qdisc). PKT_SIZE excludes the 4-byte FCS
# (60 = a 64-byte frame). clone_skb 0 and burst 1 for every device: veth and
# rvnet clear IFF_TX_SKB_SHARING, and queue_xmit allows no burst.
# Prints one line: "usec=N pkts=N pps=N errors=N".
set -u
dev=$1 mode=$2 size=$3 secs=$4
: "${PKTGEN_DIR:?PKTGEN_DIR must point at the kernel source samples/pktgen}"
DEBUG=${DEBUG:-} VERBOSE=${VERBOSE:-}
# shellcheck source=/dev/null
. "$PKTGEN_DIR/functions.sh" # sets errexit; err() exits non-zero

PGDEV=/proc/net/pktgen/$dev
pg_ctrl "reset"
pg_thread 0 "rem_device_all"
pg_thread 0 "add_device" "$dev"
pg_set "$dev" "count 0"
pg_set "$dev" "clone_skb 0"
pg_set "$dev" "pkt_size $size"
pg_set "$dev" "delay 0"
pg_set "$dev" "flag NO_TIMESTAMP"
# The sample scripts' defaults: a foreign MAC and a TEST-NET-2 address, so the
# receiving end drops every frame (PACKET_OTHERHOST) after its rx path ran.
pg_set "$dev" "dst_mac 90:e2:ba:ff:ff:ff"
pg_set "$dev" "dst_min 198.18.0.42"
pg_set "$dev" "dst_max 198.18.0.42"
if [ "$mode" = start_xmit ]; then
	pg_set "$dev" "burst 1"
fi
pg_set "$dev" "xmit_mode $mode"

# "start" blocks until the threads stop; stop them after SECONDS.
(echo start >/proc/net/pktgen/pgctrl) &
starter=$!
sleep "$secs"
pg_ctrl "stop"
wait $starter || true

# Result: OK: 2214060(c2209975+d4084) usec, 669285 (60byte,0frags)
#   302288pps 145Mb/sec (145098240bps) errors: 0
res=$(grep -A1 '^Result: OK:' "$PGDEV") || err 6 "no pktgen result: $(grep Result: "$PGDEV")"
pg_ctrl "reset"
echo "$res" | tr '\n' ' ' | sed -n \
	's/^Result: OK: \([0-9]*\)(.* usec, \([0-9]*\) (.*) *\([0-9]*\)pps .*errors: \([0-9]*\).*/usec=\1 pkts=\2 pps=\3 errors=\4/p'
