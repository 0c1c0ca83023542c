#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reconfiguration while traffic flows (issue 19, items 1-6 and the decision
# records): ring resizes and channel changes under a flood, a ring shrink
# and a peer stop with packets in the ring (every byte BQL counted as sent
# is completed: inflight returns to 0, no queue is left stopped), a noqueue
# root with a full ring (drops, never "asks to queue packet"), a namespace
# move (sampling and records reset), decision dumps taken while both
# directions are sampled (sequence numbers in order, none skipped), the
# last packet of an xmit_more batch dropped by the driver (the packets
# before it are still kicked to the peer's NAPI), everything at once on
# two pairs (rings, channels, MTUs, qdiscs, namespace moves and deletions,
# pair deletion; afterwards the counters of each direction add up), and,
# at the end of that, rmmod under a ping flood followed by a new insmod
# (the module stays loaded for the programs after this one).
#
# Every case prints what it measured (on fd 3, so also when it passes). The
# ring and channel changes under a flood are made through the ethtool ioctls
# by one Python process per end (`reconf`): up to hundreds per case instead
# of the handful an `ethtool -G/-L` exec per change allows under the debug
# kernel on TCG, reaching the same driver callbacks. Some cases run rv2's
# NAPI in threads (see rx_threaded) so that its rings fill and hold packets.
# What KASAN reports is caught by the kernel log check of run_tests.
. "$(dirname "$0")/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
CTL=${RVNETCTL:-$here/../out/rvnetctl}
NS3=rvns3
TMPD=$(mktemp -d /tmp/rvnet-stress.XXXXXX)
SYSQ=/sys/class/net/rv1/queues

# say MSG: a diagnostic line that is shown whether the case passes or not.
# T0 is the start of the case (set by the loop at the end).
exec 3>&1
T0=$SECONDS
say() { echo "# [+$((SECONDS - T0))s] $*" >&3; }

# Background jobs of a case (floods, reconfigurations) end with it, also
# when it fails half-way.
stop_jobs() {
	local p
	touch "$STOP"
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}

cleanup_stress() {
	[ ! -e /run/netns/$NS3 ] || ip netns del $NS3 2>/dev/null || true
	rm -f "$STOP"
	cleanup_all
}

# setup_quiet Q: a pair with Q queues on each end, rv1 (NS1, 10.23.0.1) and
# rv2 (NS2, 10.23.0.2), without IPv6 (no ND or MLD frames in the counts).
setup_quiet() {
	pair_into_netns rvnet "$1" quiet
	wait_lower_up $NS1 rv1 || fail "rv1 has no carrier"
}

# bql_floor: rv1's tx queues keep sending until the peer's ring is full
# (a BQL floor above any ring's bytes, as a user's limit_min does).
bql_floor() {
	ip netns exec $NS1 sh -c "for f in $SYSQ/tx-*/byte_queue_limits/limit_min; do echo 10000000 >\$f; done"
}

# rx_threaded spread|starve: rv2's NAPIs in threads (threaded NAPI),
# which a sender on the same CPU can outrun (a softirq poll runs right
# after each transmit), so rings fill and tx queues stop and wake all the
# time. "spread" pins the threads to CPU 0 and CPU 1 in turn (rings 0 and
# 1 poll at the same time). "starve" gives them CPU 0 only, at SCHED_IDLE:
# they drain rv2's ring much more slowly than floods pinned to CPU 0 and
# CPU 1 fill it, so the ring holds packets when it shrinks or rv2 stops (a
# receiver busier than its sender); they take the CPU back once the flood
# ends.
rx_threaded() {
	local c p n=0 pids=()
	ip netns exec $NS2 sh -c 'echo 1 >/sys/class/net/rv2/threaded'
	for c in /proc/[0-9]*/comm; do
		read -r p 2>/dev/null <"$c" || continue
		[[ $p == napi/rv2-* ]] || continue
		p=${c#/proc/}
		pids+=("${p%/comm}")
	done
	[ ${#pids[@]} -gt 0 ] || fail "no NAPI thread for rv2"
	for p in "${pids[@]}"; do
		if [ "$1" = starve ]; then
			taskset -p 1 "$p" >/dev/null
			chrt -i -p 0 "$p"
		else
			taskset -p $((1 << (n % 2))) "$p" >/dev/null
			n=$((n + 1))
		fi
	done
}

# estats NS DEV KEY...: "KEY VALUE ..." of `ethtool -S` counters in one
# exec, "-" for a counter the driver does not have.
estats() {
	local k res=
	ethtool_stats "$1" "$2"
	shift 2
	for k; do res+=" $k ${ES[$k]:--}"; done
	echo "${res# }"
}

# FLOOD1, FLOOD2: udp_send GROUP items (selftests/udp_flood.py) of a
# flood from NS1 to rv2 and from NS2 to rv1 that never blocks (a stuck
# queue must not hang the case: a failed send is counted by its errno), with
# a 4 MB socket buffer, and that stops when $STOP exists. A case adds how
# long, how many ports, the size, the count and the CPU, and out=FILE for
# the report ("sent N, errors ...").
STOP=$TMPD/stop
FLOOD1=netns=$NS1,to=10.23.0.2,nonblock,sndbuf=4194304,stop=$STOP
FLOOD2=netns=$NS2,to=10.23.0.1,nonblock,sndbuf=4194304,stop=$STOP

# reconf NS DEV SECONDS PAUSE OP... [-- OP...]: cycles through the OPs
# (ring=N: ethtool -G DEV rx N; rx=K, tx=K: ethtool -L DEV rx K / tx K,
# through the ethtool ioctls) for SECONDS, PAUSE seconds apart, then applies
# the OPs after "--" once. Prints the count of each; exits 1 if one failed.
reconf() {
	nsx "$1" python3 - "${@:2}" <<-'PY'
	import ctypes, fcntl, socket, struct, sys, time
	dev, secs, pause = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
	ops, final = sys.argv[4:], []
	if "--" in ops:
	    i = ops.index("--")
	    ops, final = ops[:i], ops[i + 1:]
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	def eth(cmd, words=(0,) * 8):
	    buf = ctypes.create_string_buffer(struct.pack("9I", cmd, *words))
	    ifr = struct.pack("16sP16x", dev.encode(), ctypes.addressof(buf))
	    fcntl.ioctl(s.fileno(), 0x8946, ifr)  # SIOCETHTOOL
	    return list(struct.unpack("9I", buf.raw[:36]))
	done, errs = {}, []
	def do(op):
	    what, n = op.split("=")
	    try:
	        if what == "ring":  # ETHTOOL_GRINGPARAM, ETHTOOL_SRINGPARAM
	            v = eth(0x10)
	            v[5] = int(n)
	            eth(0x11, v[1:])
	        else:  # ETHTOOL_GCHANNELS, ETHTOOL_SCHANNELS
	            v = eth(0x3c)
	            v[5 if what == "rx" else 6] = int(n)
	            eth(0x3d, v[1:])
	        done[op] = done.get(op, 0) + 1
	    except OSError as e:
	        errs.append("%s: %s" % (op, e.strerror))
	end = time.monotonic() + secs
	i = 0
	while time.monotonic() < end:
	    do(ops[i % len(ops)])
	    i += 1
	    time.sleep(pause)
	for op in final:
	    do(op)
	print("%s: %d changes (%s)%s" % (dev, sum(done.values()),
	      ", ".join("%s x%d" % kv for kv in done.items()),
	      "; errors: " + "; ".join(errs[:5]) if errs else ""))
	sys.exit(1 if errs else 0)
	PY
}

# bql_settle Q...: rv1's BQL inflight of every listed tx queue is 0 within
# about 6 s of rv1's last transmit (the flood is over: every byte counted
# as sent was completed). While rv1 still transmits (its root qdisc
# draining what the floods queued into a starved NAPI thread) the wait
# goes on, for a minute at most: a lost completion leaves bytes in flight
# once nothing moves any more.
bql_settle() {
	local out
	# The loop runs in NS1 (its sysfs), in one bash: execs are dear.
	# shellcheck disable=SC2016
	if out=$(ip netns exec $NS1 bash -c '
		sysq=$1
		shift
		stat=${sysq%/queues}/statistics/tx_packets
		last= end=$((SECONDS + 6)) cap=$((SECONDS + 60))
		while :; do
			res= bad=0
			for q; do
				read -r v <"$sysq/tx-$q/byte_queue_limits/inflight"
				res+=" tx-$q $v"
				[ "$v" = 0 ] || bad=1
			done
			[ $bad = 0 ] && { echo "$res"; exit 0; }
			read -r tx <"$stat"
			if [ "$tx" != "$last" ]; then
				last=$tx end=$((SECONDS + 6))
				[ $end -le $cap ] || end=$cap
			fi
			[ $SECONDS -ge $end ] && { echo "$res (tx_packets $tx)"; exit 1; }
			sleep 0.2
		done' _ "$SYSQ" "$@"); then
		say "rv1 BQL inflight after the flood:$out"
	else
		say "rv1 BQL inflight 6 s after its last transmit:$out"
		fail "rv1 BQL inflight stuck above 0:$out"
	fi
}

# delivered PORTS COUNT: COUNT datagrams to each of PORTS ports from NS1
# all leave rv1 (its queues are not stopped for good) and all reach rv2
# (rv1 tx_packets delta == rv2 rx_packets delta) within about 5 s.
delivered() {
	local n=$(($1 * $2)) tx0 rx0 tx rx end
	# Nor ARP: a reply rv1 sent between the two baseline reads counted on
	# its tx and not on rv2's rx (1 of 321, a cold make check).
	quiet_neigh || fail "permanent neighbour entries"
	tx0=$(link_stat $NS1 rv1 tx_packets)
	rx0=$(link_stat $NS2 rv2 rx_packets)
	rm -f "$STOP"
	udp_send "$FLOOD1,secs=20,ports=$1,count=$n,out=$TMPD/burst"
	end=$((SECONDS + 6))
	while :; do
		tx=$(($(link_stat $NS1 rv1 tx_packets) - tx0))
		rx=$(($(link_stat $NS2 rv2 rx_packets) - rx0))
		[ "$tx" -ge "$n" ] && [ "$tx" = "$rx" ] && break
		[ $SECONDS -lt $end ] || break
		sleep 0.2
	done
	say "burst of $n ($(<"$TMPD/burst")): rv1 tx_packets +$tx, rv2 rx_packets +$rx"
	[ "$tx" -ge "$n" ] || fail "rv1 sent only $tx of the burst's $n datagrams (a tx queue left stopped?)"
	[ "$tx" = "$rx" ] || fail "$((tx - rx)) of the $tx packets rv1 sent never reached rv2"
}

# pings: two echo replies within 10 s. The deadline (-w) rather than a
# per-reply wait: after a down/up the first one needs ARP, answered by a
# NAPI thread that some cases leave at SCHED_IDLE, and in check-quick's
# two guests on 2 cores the 2.6 s of -c 2 -W 2 were once not enough.
pings() {
	nsx $NS1 ping -c 2 -i 0.3 -w 10 10.23.0.2 >/dev/null || fail "no ping across the pair"
}

# floods_start: a case's floods (and their stop file) start afresh.
floods_start() {
	rm -f "$TMPD"/flood* "$STOP"
}

# floods_say: the floods' own reports.
floods_say() {
	local f
	for f in "$TMPD"/flood*; do say "${f##*/}: $(<"$f")"; done
}

# 1. ethtool -G on the receiver while a flood crosses the pair (no down/up):
# the resize must not free the ring array under a poll (KASAN on the debug
# kernel), and no byte is left in flight.
t_resize_under_flood() {
	trap stop_jobs EXIT
	setup_quiet 1
	tc -n $NS1 qdisc replace dev rv1 root pfifo limit 100000
	pings
	floods_start
	udp_send "$FLOOD1,secs=6,ports=32,out=$TMPD/flood1" "$FLOOD1,secs=6,ports=32,size=1000,out=$TMPD/flood2" &
	reconf $NS2 rv2 4 0 ring=16 ring=4096 ring=64 ring=16 ring=1024 ring=32 ring=256 ring=16 \
		-- ring=256 >"$TMPD/reconf" || fail "resize failed: $(<"$TMPD/reconf")"
	say "$(<"$TMPD/reconf")"
	wait
	floods_say
	say "$(estats $NS1 rv1 tx0_packets tx0_ring_full_stops tx0_wakes tx0_purged tx0_tx_timeouts)"
	bql_settle 0
	delivered 16 20
	pings
}

# 2. Shrinking a ring that holds packets: the purged packets were counted
# as sent by the sender's BQL and must be completed, or its inflight stays
# up and its queue can stay stopped for good.
t_shrink_completes_bql() {
	trap stop_jobs EXIT
	setup_quiet 1
	nsx $NS2 ethtool -G rv2 rx 4096
	tc -n $NS1 qdisc replace dev rv1 root pfifo limit 100000
	bql_floor
	rx_threaded starve
	pings
	floods_start
	udp_send "$FLOOD1,secs=6,ports=32,cpu=0,out=$TMPD/flood1" "$FLOOD1,secs=6,ports=32,size=200,cpu=1,out=$TMPD/flood2" &
	# The ring refills between shrinks.
	reconf $NS2 rv2 5 0.5 ring=4096 ring=16 -- ring=256 >"$TMPD/reconf" ||
		fail "resize failed: $(<"$TMPD/reconf")"
	say "$(<"$TMPD/reconf")"
	wait
	floods_say
	say "$(estats $NS1 rv1 tx0_packets tx0_ring_full_stops tx0_wakes tx0_purged tx0_tx_timeouts)"
	bql_settle 0
	delivered 16 20
	pings
}

# 3. ethtool -L on both ends while a flood crosses a 4-queue pair, without
# the down/up that device_ethtool_channels_while_up_under_traffic does: no
# lost wake-up (every queue drains, a burst on 16 ports all arrives), no
# byte left in flight on any queue.
t_channels_under_flood() {
	trap stop_jobs EXIT
	setup_quiet 4
	# Small rings, a BQL floor and NAPI threads: the tx queues stop on
	# full rings all the time and must be woken by the NAPI their queue
	# maps to, before or after -L.
	nsx $NS2 ethtool -G rv2 rx 16
	bql_floor
	rx_threaded spread
	pings
	floods_start
	# One sender per CPU, NAPI threads on both: an old ring and a new one
	# can complete the same tx queue at the same time.
	udp_send "$FLOOD1,secs=8,ports=16,cpu=0,out=$TMPD/flood1" "$FLOOD1,secs=8,ports=24,size=300,cpu=1,out=$TMPD/flood2" &
	reconf $NS1 rv1 6 0.2 tx=2 tx=4 tx=3 tx=4 -- tx=4 >"$TMPD/reconf1" &
	local r1=$!
	reconf $NS2 rv2 6 0.02 rx=1 rx=3 rx=2 rx=4 rx=1 rx=4 rx=2 -- rx=4 >"$TMPD/reconf2" ||
		fail "-L on rv2 failed: $(<"$TMPD/reconf2")"
	wait $r1 || fail "-L on rv1 failed: $(<"$TMPD/reconf1")"
	say "$(<"$TMPD/reconf1")"
	say "$(<"$TMPD/reconf2")"
	wait
	floods_say
	say "$(estats $NS1 rv1 tx0_ring_full_stops tx1_ring_full_stops tx2_ring_full_stops tx3_ring_full_stops \
		tx0_wakes tx1_wakes tx2_wakes tx3_wakes tx0_tx_timeouts tx1_tx_timeouts tx2_tx_timeouts tx3_tx_timeouts)"
	bql_settle 0 1 2 3
	delivered 16 20
	pings
}

# 4. A noqueue root has no queue to push back into: a full ring (or BQL)
# must drop with a reason, never return busy ("Virtual device rv1 asks to
# queue packet!" and ENETDOWN to the sender).
t_noqueue_full_ring_drops() {
	trap stop_jobs EXIT
	local log0 msgs
	log0=$(dmesg | wc -l)
	setup_quiet 1
	tc -n $NS1 qdisc replace dev rv1 root noqueue
	tc -n $NS1 qdisc show dev rv1 | grep -q '^qdisc noqueue' || fail "root is not noqueue"
	nsx $NS2 ethtool -G rv2 rx 16
	pings
	floods_start
	udp_send "$FLOOD1,secs=5,ports=32,out=$TMPD/flood1" "$FLOOD1,secs=5,ports=32,out=$TMPD/flood2" &
	wait
	floods_say
	say "$(estats $NS1 rv1 tx0_packets tx0_drop_ring_full tx0_ring_full_stops tx0_busy_requeues)"
	msgs=$(dmesg | tail -n +"$((log0 + 1))" | grep -c 'asks to queue packet' || true)
	say "\"asks to queue packet\" lines in the kernel log: $msgs"
	[ "$msgs" = 0 ] || fail "the core was asked to queue on a noqueue root ($msgs log lines)"
	[[ "$(<"$TMPD/flood1") $(<"$TMPD/flood2")" != *ENETDOWN* ]] || fail "the sender saw ENETDOWN"
	pings
}

# 5. The receiver stops with packets in its ring: they are purged and
# completed on the sender's BQL (inflight 0), and after the receiver comes
# back up the sender's queue is not stuck.
t_stop_completes_bql() {
	trap stop_jobs EXIT
	setup_quiet 1
	nsx $NS2 ethtool -G rv2 rx 4096
	tc -n $NS1 qdisc replace dev rv1 root pfifo limit 100000
	bql_floor
	rx_threaded starve
	pings
	floods_start
	local tx0 tx end
	tx0=$(link_stat $NS1 rv1 tx_packets)
	udp_send "$FLOOD1,secs=20,ports=32,cpu=0,out=$TMPD/flood1" "$FLOOD1,secs=20,ports=32,cpu=1,out=$TMPD/flood2" &
	# Down once the flood is well under way (the ring fills: rv2's NAPI
	# is starved), then the flood goes on a second against a stopped peer.
	end=$((SECONDS + 15))
	while tx=$(($(link_stat $NS1 rv1 tx_packets) - tx0)) && [ "$tx" -lt 2000 ] && [ $SECONDS -lt $end ]; do
		sleep 0.2
	done
	ip -n $NS2 link set rv2 down
	say "rv2 down after rv1 sent $tx datagrams of the flood"
	sleep 1
	touch "$STOP"
	wait
	floods_say
	local st rx re='tx0_packets ([0-9]+)'
	st=$(estats $NS1 rv1 tx0_packets tx0_ring_full_stops tx0_wakes tx0_purged tx0_tx_timeouts)
	rx=$(link_stat $NS2 rv2 rx_packets)
	[[ $st =~ $re ]]
	say "$st; rv2 rx_packets $rx: $((BASH_REMATCH[1] - rx)) packets were in rv2's ring at the stop"
	[ $((BASH_REMATCH[1] - rx)) -gt 0 ] || fail "rv2's ring was empty when it stopped: nothing tested"
	bql_settle 0
	ip -n $NS2 link set rv2 up
	wait_lower_up $NS1 rv1 || fail "rv1 has no carrier after rv2 up"
	pings
	delivered 16 20
}

need_ctl() {
	[ -x "$CTL" ] || skip "rvnetctl not built ($CTL): tools/rvnetctl/build"
}

# nseq JSON: how many records (seq attributes) a decision dump returned.
nseq() {
	local s=${1//\"seq\":/@}
	s=${s//[^@]/}
	echo ${#s}
}

# 6. A device that moves to another namespace takes no sampling setting
# and no decision record along: the new namespace never reads the old one's.
t_netns_move_clears_decisions() {
	need_ctl
	setup_quiet 1
	"$CTL" -n $NS2 dev set rv2 sample 1 >/dev/null
	pings
	local out n re='"sample":[[:space:]]*([0-9]+)'
	out=$("$CTL" -n $NS2 -j dev decisions rv2)
	n=$(nseq "$out")
	say "rv2 in $NS2: $n decision records"
	[ "$n" -gt 0 ] || fail "no decision recorded on rv2 before the move"
	ip netns add $NS3
	ip -n $NS2 link set rv2 netns $NS3
	out=$("$CTL" -n $NS3 -j dev show rv2)
	[[ $out =~ $re ]] || fail "no sample in dev show: $out"
	say "rv2 in $NS3: sample ${BASH_REMATCH[1]} ($out)"
	[ "${BASH_REMATCH[1]}" = 0 ] || fail "sampling still on (1/${BASH_REMATCH[1]}) after the namespace move"
	out=$("$CTL" -n $NS3 -j dev decisions rv2)
	n=$(nseq "$out")
	say "rv2 in $NS3: $n decision records"
	[ "$n" = 0 ] || fail "$NS3 reads $n records made in $NS2: $(head -c 300 <<<"$out")"
	ip netns del $NS3
}

# 7. Decision dumps taken while both directions are sampled on both ends
# (each end records from its transmits and its NAPI, on the two CPUs):
# sequence numbers strictly increasing and consecutive. The rings are
# larger than the traffic, so no record is overwritten during a dump.
t_decision_seqs_in_order() {
	need_ctl
	trap stop_jobs EXIT
	setup_quiet 2
	"$CTL" -n $NS1 dev set rv1 sample 1 ring 16384 >/dev/null
	"$CTL" -n $NS2 dev set rv2 sample 1 ring 16384 >/dev/null
	pings
	floods_start
	rm -f "$TMPD"/dump*
	udp_send "$FLOOD1,secs=8,ports=8,count=1500,cpu=0,out=$TMPD/flood1" \
		"$FLOOD1,secs=8,ports=8,count=1500,cpu=1,out=$TMPD/flood2" \
		"$FLOOD2,secs=8,ports=8,count=1500,cpu=0,out=$TMPD/flood3" \
		"$FLOOD2,secs=8,ports=8,count=1500,cpu=1,out=$TMPD/flood4" &
	local i=0
	while [ -n "$(jobs -r)" ] && [ $i -lt 2 ]; do
		i=$((i + 1))
		"$CTL" -n $NS1 -j dev decisions rv1 >"$TMPD/dump$i-rv1-during"
		[ -n "$(jobs -r)" ] || break
		"$CTL" -n $NS2 -j dev decisions rv2 >"$TMPD/dump$i-rv2-during"
	done
	wait
	floods_say
	"$CTL" -n $NS1 -j dev decisions rv1 >"$TMPD/dump-rv1-after"
	"$CTL" -n $NS2 -j dev decisions rv2 >"$TMPD/dump-rv2-after"
	python3 - "$TMPD"/dump* <<-'PY' >&3 || fail "decision dumps out of order or with gaps"
	import json, os, sys
	bad = 0
	for f in sys.argv[1:]:
	    seqs = [d["seq"] for d in json.load(open(f))]
	    pairs = list(zip(seqs, seqs[1:]))
	    back = [(a, b) for a, b in pairs if b <= a]
	    gaps = [(a, b) for a, b in pairs if b > a + 1]
	    print("# %s: %d records, seq %s..%s, %d out of order %s, %d gaps %s" % (
	        os.path.basename(f), len(seqs), seqs[0] if seqs else "-", seqs[-1] if seqs else "-",
	        len(back), back[:3], len(gaps), gaps[:3]))
	    bad |= bool(back or gaps or not seqs)
	sys.exit(bad)
	PY
}

# 8. The last packet of an xmit_more batch is dropped by the driver (too
# big for the peer's MTU) after the packets before it went into the peer's
# ring without a NAPI kick (xmit_more: the kick is left to the batch's
# last packet). The drop must kick, or they stay in the ring until some
# later packet comes by. netem's slot holds all that rv1 sends within
# 300 ms and releases it at once; the qdisc dequeues it in one bulk (a
# single-queue device, so the bulk is bounded by BQL: the floor) and the
# core hands it to the driver with xmit_more on all but the last, the
# oversized one. (pktgen cannot do it: "burst" needs IFF_TX_SKB_SHARING,
# which rvnet clears as veth does, and a noqueue root kicks per packet.)
t_xmit_more_last_dropped_kicks() {
	local n=32 st re='tx0_packets ([0-9]+) tx0_drop_too_big ([0-9]+)'
	local tx0 big0 rx0 tx big rx end
	setup_quiet 1
	ip -n $NS2 link set rv2 mtu 1000
	quiet_neigh || fail "permanent neighbour entries"
	bql_floor
	pings
	tc -n $NS1 qdisc replace dev rv1 root netem slot 300ms 300ms
	st=$(estats $NS1 rv1 tx0_packets tx0_drop_too_big)
	[[ $st =~ $re ]] || fail "no tx0 counters: $st"
	tx0=${BASH_REMATCH[1]} big0=${BASH_REMATCH[2]}
	rx0=$(link_stat $NS2 rv2 rx_packets)
	nsx $NS1 python3 - "$n" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	for i in range(int(sys.argv[1])):
	    s.sendto(b"x" * 64, ("10.23.0.2", 9))
	s.sendto(b"x" * 1200, ("10.23.0.2", 9))
	PY
	end=$((SECONDS + 5))
	while :; do
		rx=$(($(link_stat $NS2 rv2 rx_packets) - rx0))
		[ "$rx" -ge "$n" ] || [ $SECONDS -ge $end ] && break
		sleep 0.2
	done
	st=$(estats $NS1 rv1 tx0_packets tx0_drop_too_big)
	[[ $st =~ $re ]]
	tx=$((BASH_REMATCH[1] - tx0)) big=$((BASH_REMATCH[2] - big0))
	say "batch of $n + 1 oversized: rv1 tx0_packets +$tx, tx0_drop_too_big +$big, rv2 rx_packets +$rx"
	if [ "$tx" != "$n" ] || [ "$big" != 1 ]; then
		fail "the batch did not reach the driver as sent ($tx queued, $big dropped)"
	fi
	[ "$rx" = "$n" ] ||
		fail "rv2 received $rx of the $n packets in its ring: no NAPI kick after the dropped last packet"
	tc -n $NS1 qdisc del dev rv1 root
	pings
}

# bql_idle NS DEV: BQL inflight of every tx queue of DEV is 0 within about
# 5 s (its traffic is over: every byte counted as sent was completed).
bql_idle() {
	local out
	# shellcheck disable=SC2016
	if out=$(ip netns exec "$1" bash -c '
		end=$((SECONDS + 6))
		while :; do
			res= bad=0
			for f in /sys/class/net/$1/queues/tx-*/byte_queue_limits/inflight; do
				read -r v <"$f"
				q=${f#*/queues/}
				res+=" ${q%%/*} $v"
				[ "$v" = 0 ] || bad=1
			done
			[ $bad = 0 ] && { echo "$res"; exit 0; }
			[ $SECONDS -ge $end ] && { echo "$res"; exit 1; }
			sleep 0.2
		done' _ "$2"); then
		say "$2 BQL inflight after the traffic:$out"
	else
		fail "$2 BQL inflight stuck above 0 5 s after the traffic:$out"
	fi
}

# churn run SECONDS | churn check: one Python process in the initial
# namespace that holds sockets in NS1, NS2 and namespaces of its own
# (setns, unshare) and makes every change through the ethtool ioctls and
# rtnetlink, hundreds of them instead of one exec each.
# "run" cycles for SECONDS through ring resizes (grow and shrink), channel
# changes (rx and tx, up and down) and MTU changes on both ends of rv1-rv2,
# root qdisc replacements (fq_codel, netem, sfq, noqueue, mq) on both, and
# now and then the life of a second pair (rvbNa-rvbNb, 2 queues): created
# with its peer in a new namespace, frames sent (AF_PACKET), the peer moved
# to another new namespace right after them (its ring purged), frames
# again, the first end moved too, frames again, then the pair deleted by a
# namespace deletion or by RTM_DELLINK. Each time the second pair's
# frames settle, each direction must add up: the sender's txN_packets (put
# in the peer's ring) = the peer's rxN_packets (polled) + the sender's
# txN_purged (taken out of the ring by a shrink or a close). At the end
# rv1 and rv2 get back 256-slot rings, 4 channels, MTU 1500 and mq.
# "check" (after the floods): a burst over 64 ports from each end of
# rv1-rv2 leaves by every active tx queue (none left stopped) and arrives;
# then each direction adds up as above, and no skb was dropped implicitly.
churn() {
	python3 - "$NS1" "$NS2" "$@" <<-'PY'
	import ctypes, fcntl, os, re, socket, struct, sys, time
	libc = ctypes.CDLL(None, use_errno=True)
	NEWNET = 0x40000000
	ROOT = os.open("/proc/self/ns/net", os.O_RDONLY)

	def setns(fd):
	    if libc.setns(fd, NEWNET):
	        raise OSError(ctypes.get_errno(), "setns")

	def attr(t, data):
	    return struct.pack("HH", 4 + len(data), t) + data + bytes(-len(data) % 4)

	def ifi(index=0, flags=0, change=0):
	    return struct.pack("BxHiII", 0, 0, index, flags, change)

	def sz(s):
	    return s.encode() + b"\0"

	def u32(v):
	    return struct.pack("I", v)

	class Ns:
	    """Sockets in one namespace (a path, or None: a new one, deleted with
	    the pairs in it once closed)."""
	    def __init__(self, path=None):
	        if path:
	            self.fd = os.open(path, os.O_RDONLY)
	            setns(self.fd)
	        else:
	            if libc.unshare(NEWNET):
	                raise OSError(ctypes.get_errno(), "unshare")
	            self.fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
	        try:
	            self.io = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	            self.nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
	            self.pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
	        finally:
	            setns(ROOT)
	        self.seq = 0

	    def close(self):
	        for s in (self.io, self.nl, self.pk):
	            s.close()
	        os.close(self.fd)

	    def ifr(self, req, dev, data):
	        return fcntl.ioctl(self.io.fileno(), req, struct.pack("16s24s", dev.encode(), data))

	    def index(self, dev):
	        return struct.unpack_from("i", self.ifr(0x8933, dev, b""), 16)[0]  # SIOCGIFINDEX

	    def mtu(self, dev, mtu):
	        self.ifr(0x8922, dev, struct.pack("i", mtu))  # SIOCSIFMTU

	    def eth(self, dev, data):  # SIOCETHTOOL
	        buf = ctypes.create_string_buffer(data, len(data))
	        self.ifr(0x8946, dev, struct.pack("P", ctypes.addressof(buf)))
	        return buf.raw

	    def ring(self, dev, n):  # ETHTOOL_GRINGPARAM, ETHTOOL_SRINGPARAM
	        v = list(struct.unpack("9I", self.eth(dev, struct.pack("9I", 0x10, *[0] * 8))))
	        v[0], v[5] = 0x11, n
	        self.eth(dev, struct.pack("9I", *v))

	    def channels(self, dev, rx=0, tx=0):  # ETHTOOL_GCHANNELS, ETHTOOL_SCHANNELS
	        v = list(struct.unpack("9I", self.eth(dev, struct.pack("9I", 0x3c, *[0] * 8))))
	        if not rx and not tx:
	            return v[5], v[6]
	        v[0], v[5], v[6] = 0x3d, rx or v[5], tx or v[6]
	        self.eth(dev, struct.pack("9I", *v))

	    def stats(self, dev):  # ETHTOOL_GSSET_INFO, _GSTRINGS, _GSTATS of ETH_SS_STATS
	        n = struct.unpack_from("I", self.eth(dev, struct.pack("IIQI", 0x37, 0, 2, 0)), 16)[0]
	        raw = self.eth(dev, struct.pack("III", 0x1b, 1, n) + bytes(32 * n))
	        names = [raw[12 + 32 * i:44 + 32 * i].split(b"\0")[0].decode() for i in range(n)]
	        raw = self.eth(dev, struct.pack("II", 0x1d, n) + bytes(8 * n))
	        return dict(zip(names, struct.unpack_from("%dQ" % n, raw, 8)))

	    def req(self, typ, flags, body):  # NLM_F_REQUEST | NLM_F_ACK, wait for the ack
	        self.seq += 1
	        self.nl.send(struct.pack("IHHII", 16 + len(body), typ, flags | 5, self.seq, 0) + body)
	        while True:
	            data, off = self.nl.recv(1 << 16), 0
	            while off + 16 <= len(data):
	                ln, t, _, seq, _ = struct.unpack_from("IHHII", data, off)
	                if t == 2 and seq == self.seq:  # NLMSG_ERROR
	                    err = struct.unpack_from("i", data, off + 16)[0]
	                    if err:
	                        raise OSError(-err, os.strerror(-err))
	                    return
	                off += (ln + 3) & ~3

	    def link(self, dev, up=None, netns=None):  # RTM_NEWLINK: up/down, IFLA_NET_NS_FD
	        body = ifi(self.index(dev), 1 if up else 0, 0 if up is None else 1)
	        self.req(16, 0, body + (attr(28, u32(netns.fd)) if netns else b""))

	    def add_pair(self, name, peer, peer_ns, queues):  # peer in INFO_PEER, as veth's
	        q = attr(31, u32(queues)) + attr(32, u32(queues))
	        p = ifi() + attr(3, sz(peer)) + attr(28, u32(peer_ns.fd)) + q
	        info = attr(1, sz("rvnet")) + attr(2, attr(1, p))
	        self.req(16, 0x600, ifi() + attr(3, sz(name)) + q + attr(18, info))

	    def delete(self, dev):  # RTM_DELLINK
	        self.req(17, 0, ifi(self.index(dev)))

	    def qdisc(self, dev, kind):  # RTM_NEWQDISC root, NLM_F_CREATE | NLM_F_REPLACE
	        # netem: 1 ms (in 64 ns ticks), limit 1000
	        opts = attr(2, struct.pack("6I", 15625, 1000, 0, 0, 0, 0)) if kind == "netem" else b""
	        tcm = struct.pack("BxxxiIII", 0, self.index(dev), 0, 0xFFFFFFFF, 0)
	        self.req(36, 0x500, tcm + attr(1, sz(kind)) + opts)

	    def frames(self, dev, n):  # broadcast frames of a local ethertype: no stack needed
	        f = b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x88\xb5" + b"x" * 60
	        for _ in range(n):
	            try:
	                self.pk.sendto(f, socket.MSG_DONTWAIT, (dev, 0x88b5))
	            except OSError:
	                pass  # a stopped or carrier-less end: counted, not ours

	def total(st, pat):
	    return sum(v for k, v in st.items() if re.fullmatch(pat, k))

	def flow(name, tx, rx):
	    sent, purged = total(tx, r"tx\d+_packets"), total(tx, r"tx\d+_purged")
	    recv, drops = total(rx, r"rx\d+_packets"), total(tx, r"tx\d+_drops")
	    ok = sent == recv + purged
	    return ok, "%s: sent %d %s received %d + purged %d (dropped at transmit: %d)" % (
	        name, sent, "=" if ok else "!=", recv, purged, drops)

	def settle(fn, secs=5):  # the last packets are still being polled
	    end = time.monotonic() + secs
	    while True:
	        res = fn()
	        if all(ok for ok, _ in res) or time.monotonic() > end:
	            return res
	        time.sleep(0.2)

	def flows(na, a, nb, b):
	    sa, sb = na.stats(a), nb.stats(b)
	    return [flow(a + "->" + b, sa, sb), flow(b + "->" + a, sb, sa)]

	n1 = Ns("/run/netns/" + sys.argv[1])
	n2 = Ns("/run/netns/" + sys.argv[2])
	errs = []

	def pair_b(i, init):
	    a, b = "rvb%da" % i, "rvb%db" % i
	    nb, nc = Ns(), Ns()
	    res = []
	    try:
	        init.add_pair(a, b, nb, 2)
	        init.link(a, up=True)
	        nb.link(b, up=True)
	        init.frames(a, 100)
	        nb.link(b, netns=nc)
	        nc.link(b, up=True)
	        init.frames(a, 100)
	        res += settle(lambda: flows(init, a, nc, b))
	        init.link(a, netns=nb)
	        nb.link(a, up=True)
	        nb.frames(a, 100)
	        res += settle(lambda: flows(nb, a, nc, b))
	        if i % 2:
	            nb.delete(a)
	    finally:
	        nb.close()
	        nc.close()
	    errs.extend(m for ok, m in res if not ok)
	    return "%s: %s" % (i, "; ".join(m for _, m in res[-2:]))

	if sys.argv[3] == "run":
	    init = Ns("/proc/self/ns/net")
	    d = {"rv1": n1, "rv2": n2}
	    ops = []
	    plan = ("ring rv2 4096, ch rv1 tx 2, mtu rv2 1280, qdisc rv1 fq_codel, ring rv1 16, "
	            "ch rv2 rx 1, qdisc rv2 netem, mtu rv1 9000, pair, ring rv2 32, ch rv1 rx 3, "
	            "ch rv2 tx 1, qdisc rv1 sfq, qdisc rv2 noqueue, ring rv1 2048, mtu rv2 1500, "
	            "mtu rv1 1280, ch rv1 tx 4, ch rv2 rx 4, pair, ch rv1 rx 4, ch rv2 tx 4, "
	            "qdisc rv1 noqueue, qdisc rv2 fq_codel, ring rv2 256, ring rv1 256, qdisc rv1 netem, "
	            "qdisc rv2 sfq, mtu rv1 1500, qdisc rv1 mq, qdisc rv2 mq")
	    final = "ring rv1 256, ring rv2 256, ch rv1 rx 4, ch rv1 tx 4, ch rv2 rx 4, ch rv2 tx 4, " \
	            "mtu rv1 1500, mtu rv2 1500, qdisc rv1 mq, qdisc rv2 mq"
	    done, pairs, npair = {}, [], 0

	    def do(op):
	        global npair
	        w = op.split()
	        try:
	            if w[0] == "pair":
	                npair += 1
	                pairs.append(pair_b(npair, init))
	            elif w[0] == "ring":
	                d[w[1]].ring(w[1], int(w[2]))
	            elif w[0] == "ch":
	                d[w[1]].channels(w[1], **{w[2]: int(w[3])})
	            elif w[0] == "mtu":
	                d[w[1]].mtu(w[1], int(w[2]))
	            else:
	                d[w[1]].qdisc(w[1], w[2])
	            done[w[0]] = done.get(w[0], 0) + 1
	        except OSError as e:
	            errs.append("%s: %s" % (op, e))

	    end = time.monotonic() + float(sys.argv[4])
	    i = 0
	    plan = plan.split(", ")
	    while time.monotonic() < end:
	        do(plan[i % len(plan)])
	        i += 1
	    for op in final.split(", "):
	        do(op)
	    print("%d changes in %s s (%s)" % (sum(done.values()), sys.argv[4],
	          ", ".join("%s x%d" % kv for kv in done.items())))
	    for p in pairs:
	        print("pair " + p)
	else:
	    # Every active tx queue sends (none is left stopped) and all arrives.
	    for src, a, dst, b, ip in ((n1, "rv1", n2, "rv2", "10.23.0.2"), (n2, "rv2", n1, "rv1", "10.23.0.1")):
	        s0, r0 = src.stats(a), dst.stats(b)
	        txq = src.channels(a)[1]
	        for i in range(256):
	            while True:
	                try:
	                    src.io.sendto(b"x" * 64, socket.MSG_DONTWAIT, (ip, 20000 + i % 64))
	                    break
	                except BlockingIOError:
	                    time.sleep(0.001)
	        end = time.monotonic() + 5
	        while True:
	            s1, r1 = src.stats(a), dst.stats(b)
	            qs = [s1["tx%d_packets" % q] - s0["tx%d_packets" % q] for q in range(txq)]
	            got = total(r1, r"rx\d+_packets") - total(r0, r"rx\d+_packets")
	            if (min(qs) > 0 and got >= 256) or time.monotonic() > end:
	                break
	            time.sleep(0.2)
	        print("burst of 256 from %s: per tx queue %s, %s received %d" % (a, qs, b, got))
	        if min(qs) == 0:
	            errs.append("%s tx queue(s) %s sent nothing of the burst (stopped?)" % (
	                a, [q for q in range(txq) if not qs[q]]))
	        if got < 256:
	            errs.append("%s received %d of the 256" % (b, got))
	    res = settle(lambda: flows(n1, "rv1", n2, "rv2"))
	    errs.extend(m for ok, m in res if not ok)
	    implicit = n1.stats("rv1")["implicit_skb_drops"]
	    print("; ".join(m for _, m in res) + "; implicit skb drops %d" % implicit)
	    if implicit:
	        errs.append("%d skbs dropped implicitly" % implicit)
	for e in errs[:8]:
	    print("error: " + e)
	sys.exit(1 if errs else 0)
	PY
}

# 9. Everything at once (issue 19): floods both ways across a 4-queue pair,
# sampling on at both ends and rvnetctl monitor attached, while churn
# (above) resizes rings, changes channels, MTUs and root qdiscs of both
# ends and creates, moves and deletes a second pair. Afterwards: BQL
# inflight 0 on every tx queue of both ends, every tx queue sends again,
# the counters of each direction add up, and the monitor is still there
# and got events. Last, rmmod under a ping flood, and insmod again.
t_everything_under_flood() {
	need_ctl
	trap stop_jobs EXIT
	local mon=$TMPD/monitor mpid f1 f2 n
	setup_quiet 4
	"$CTL" -n $NS1 dev set rv1 sample 4 >/dev/null
	"$CTL" -n $NS2 dev set rv2 sample 4 >/dev/null
	"$CTL" -n $NS1 -j monitor >"$mon" 2>&1 &
	mpid=$!
	pings
	floods_start
	udp_send "$FLOOD1,secs=60,ports=32,cpu=0,out=$TMPD/flood1" \
		"$FLOOD2,secs=60,ports=32,size=1400,cpu=1,out=$TMPD/flood2" &
	f1=$!
	churn run "${RVNET_CHURN_SECONDS:-22}" >"$TMPD/churn" || fail "churn: $(<"$TMPD/churn")"
	while read -r n; do say "$n"; done <"$TMPD/churn"
	touch "$STOP"
	wait $f1
	floods_say
	churn check >"$TMPD/check" || fail "$(<"$TMPD/check")"
	while read -r n; do say "$n"; done <"$TMPD/check"
	bql_idle $NS1 rv1
	bql_idle $NS2 rv2
	n=$(grep -c '"seq"' "$mon" || true)
	say "rvnetctl monitor on $NS1: $n events"
	kill -0 $mpid 2>/dev/null || fail "rvnetctl monitor exited: $(tail -c 300 "$mon")"
	[ "$n" -gt 0 ] || fail "rvnetctl monitor got no event: $(tail -c 300 "$mon")"
	pings
	# The program's last act: rmmod under a ping flood (both ways), with
	# sampling on and the monitor attached (the pair goes with the
	# module), then insmod again for the programs after this one.
	local tx0 tx end
	tx0=$(link_stat $NS1 rv1 tx_packets)
	timeout 30 nsenter --net=/run/netns/$NS1 ping -f -c 20000 -W 1 10.23.0.2 </dev/null >/dev/null 2>&1 &
	f1=$!
	end=$((SECONDS + 10))
	while tx=$(($(link_stat $NS1 rv1 tx_packets) - tx0)) && [ "$tx" -lt 300 ] && [ $SECONDS -lt $end ]; do
		sleep 0.2
	done
	[ "$tx" -gt 0 ] || fail "no ping flood across the pair"
	rmmod rvnet || fail "rmmod under traffic failed"
	say "rmmod after rv1 sent $tx packets of a ping flood"
	kill $f1 2>/dev/null || true
	wait $f1 || true
	[ "$(rvnet_count)" = 0 ] || fail "rvnet devices left after rmmod: $(rvnet_count)"
	insmod "$RVNET_KO" || fail "insmod after rmmod under traffic failed"
	ip link add rvk0 type rvnet || fail "no rvnet link after the reload"
	ip link del rvk0
}

rvnet_load
ktap_print_header
ktap_set_plan 9
for c in \
	"stress_ring_resize_under_flood t_resize_under_flood" \
	"stress_ring_shrink_completes_bql t_shrink_completes_bql" \
	"stress_channels_under_flood_without_down_up t_channels_under_flood" \
	"stress_noqueue_root_full_ring_drops_with_reason t_noqueue_full_ring_drops" \
	"stress_stop_with_packets_in_ring_completes_bql t_stop_completes_bql" \
	"stress_netns_move_clears_decision_records t_netns_move_clears_decisions" \
	"stress_decision_dump_seqs_in_order t_decision_seqs_in_order" \
	"stress_xmit_more_batch_last_packet_dropped_kicks_napi t_xmit_more_last_dropped_kicks" \
	"stress_everything_at_once_counters_add_up_then_rmmod_under_flood t_everything_under_flood"; do
	T0=$SECONDS
	# shellcheck disable=SC2086
	run_case $c
	cleanup_stress
done
rm -rf "$TMPD"
# The module stays loaded (the last case loads it again after its rmmod).
rvnet_load
ktap_finished
