#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reconfiguration while traffic flows (issue 19, items 1-6 and the decision
# records): ring resizes and channel changes under a flood, a ring shrink
# and a peer stop with packets in the ring (every byte BQL counted as sent
# is completed: inflight returns to 0, no queue is left stopped), a noqueue
# root with a full ring (drops, never "asks to queue packet"), a namespace
# move (sampling and records reset) and decision dumps taken while both
# directions are sampled (sequence numbers in order, none skipped).
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
	ip netns add $NS1
	ip netns add $NS2
	ip link add rv1 numtxqueues "$1" numrxqueues "$1" type rvnet
	ip link set "$(peer_name rv1)" name rv2
	ip -batch - <<-EOF
	link set rv1 netns $NS1
	link set rv2 netns $NS2
	EOF
	ip netns exec $NS1 sysctl -qw net.ipv6.conf.rv1.disable_ipv6=1
	ip netns exec $NS2 sysctl -qw net.ipv6.conf.rv2.disable_ipv6=1
	ip -n $NS1 -batch - <<-EOF
	addr add 10.23.0.1/24 dev rv1
	link set lo up
	link set rv1 up
	EOF
	ip -n $NS2 -batch - <<-EOF
	addr add 10.23.0.2/24 dev rv2
	link set lo up
	link set rv2 up
	EOF
	wait_for 50 sh -c "ip -n $NS1 link show rv1 | grep -q LOWER_UP" || fail "rv1 has no carrier"
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
	local out k re res=
	out=$(ip netns exec "$1" ethtool -S "$2")
	shift 2
	for k; do
		re="[[:space:]]$k: ([0-9]+)"
		if [[ $out =~ $re ]]; then res+=" $k ${BASH_REMATCH[1]}"; else res+=" $k -"; fi
	done
	echo "${res# }"
}

# flood NS DST SECONDS PORTS SIZE [COUNT [CPU]]: UDP datagrams of SIZE
# bytes to PORTS ports from 20000 for SECONDS (or until COUNT are sent, 0:
# no limit, or until $STOP exists), on CPU if given, never blocking (a
# stuck queue must not hang the case). Prints how many were sent and the
# errno of every failed sendto, counted.
STOP=$TMPD/stop
export STOP
flood() {
	ip netns exec "$1" python3 - "${@:2}" <<-'PY'
	import errno, os, socket, sys, time
	dst, secs, ports, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
	count = int(sys.argv[5]) if len(sys.argv) > 5 and int(sys.argv[5]) else 1 << 62
	if len(sys.argv) > 6:
	    os.sched_setaffinity(0, {int(sys.argv[6])})
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.setsockopt(socket.SOL_SOCKET, 32, 4 << 20)  # SO_SNDBUFFORCE
	data = b"x" * size
	sent, errs = 0, {}
	end = time.monotonic() + secs
	while sent < count and time.monotonic() < end and not os.path.exists(os.environ["STOP"]):
	    for p in range(ports):
	        try:
	            s.sendto(data, socket.MSG_DONTWAIT, (dst, 20000 + p))
	            sent += 1
	        except OSError as e:
	            n = errno.errorcode.get(e.errno, str(e.errno))
	            errs[n] = errs.get(n, 0) + 1
	            if e.errno == errno.EAGAIN:
	                time.sleep(0.001)
	print("sent %d, errors %s" % (sent, " ".join("%s x%d" % e for e in sorted(errs.items())) or "none"))
	PY
}

# reconf NS DEV SECONDS PAUSE OP... [-- OP...]: cycles through the OPs
# (ring=N: ethtool -G DEV rx N; rx=K, tx=K: ethtool -L DEV rx K / tx K,
# through the ethtool ioctls) for SECONDS, PAUSE seconds apart, then applies
# the OPs after "--" once. Prints the count of each; exits 1 if one failed.
reconf() {
	ip netns exec "$1" python3 - "${@:2}" <<-'PY'
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
# about 5 s (the flood is over: every byte counted as sent was completed).
bql_settle() {
	local out
	# The loop runs in NS1 (its sysfs), in one bash: execs are dear.
	# shellcheck disable=SC2016
	if out=$(ip netns exec $NS1 bash -c '
		sysq=$1
		shift
		end=$((SECONDS + 6))
		while :; do
			res= bad=0
			for q; do
				read -r v <"$sysq/tx-$q/byte_queue_limits/inflight"
				res+=" tx-$q $v"
				[ "$v" = 0 ] || bad=1
			done
			[ $bad = 0 ] && { echo "$res"; exit 0; }
			[ $SECONDS -ge $end ] && { echo "$res"; exit 1; }
			sleep 0.2
		done' _ "$SYSQ" "$@"); then
		say "rv1 BQL inflight after the flood:$out"
	else
		say "rv1 BQL inflight 5 s after the flood:$out"
		fail "rv1 BQL inflight stuck above 0:$out"
	fi
}

# delivered PORTS COUNT: COUNT datagrams to each of PORTS ports from NS1
# all leave rv1 (its queues are not stopped for good) and all reach rv2
# (rv1 tx_packets delta == rv2 rx_packets delta) within about 5 s.
delivered() {
	local n=$(($1 * $2)) tx0 rx0 tx rx end
	tx0=$(link_stat $NS1 rv1 tx_packets)
	rx0=$(link_stat $NS2 rv2 rx_packets)
	rm -f "$STOP"
	flood $NS1 10.23.0.2 20 "$1" 64 "$n" >"$TMPD/burst"
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

pings() {
	ip netns exec $NS1 ping -c 2 -i 0.3 -W 2 10.23.0.2 >/dev/null || fail "no ping across the pair"
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
	flood $NS1 10.23.0.2 6 32 64 >"$TMPD/flood1" &
	flood $NS1 10.23.0.2 6 32 1000 >"$TMPD/flood2" &
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
	ip netns exec $NS2 ethtool -G rv2 rx 4096
	tc -n $NS1 qdisc replace dev rv1 root pfifo limit 100000
	bql_floor
	rx_threaded starve
	pings
	floods_start
	flood $NS1 10.23.0.2 6 32 64 0 0 >"$TMPD/flood1" &
	flood $NS1 10.23.0.2 6 32 200 0 1 >"$TMPD/flood2" &
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
	ip netns exec $NS2 ethtool -G rv2 rx 16
	bql_floor
	rx_threaded spread
	pings
	floods_start
	# One sender per CPU, NAPI threads on both: an old ring and a new one
	# can complete the same tx queue at the same time.
	flood $NS1 10.23.0.2 8 16 64 0 0 >"$TMPD/flood1" &
	flood $NS1 10.23.0.2 8 24 300 0 1 >"$TMPD/flood2" &
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
	ip netns exec $NS2 ethtool -G rv2 rx 16
	pings
	floods_start
	flood $NS1 10.23.0.2 5 32 64 >"$TMPD/flood1" &
	flood $NS1 10.23.0.2 5 32 64 >"$TMPD/flood2" &
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
	ip netns exec $NS2 ethtool -G rv2 rx 4096
	tc -n $NS1 qdisc replace dev rv1 root pfifo limit 100000
	bql_floor
	rx_threaded starve
	pings
	floods_start
	local tx0 tx end
	tx0=$(link_stat $NS1 rv1 tx_packets)
	flood $NS1 10.23.0.2 20 32 64 0 0 >"$TMPD/flood1" &
	flood $NS1 10.23.0.2 20 32 64 0 1 >"$TMPD/flood2" &
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
	wait_for 50 sh -c "ip -n $NS1 link show rv1 | grep -q LOWER_UP" || fail "rv1 has no carrier after rv2 up"
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
	flood $NS1 10.23.0.2 8 8 64 1500 0 >"$TMPD/flood1" &
	flood $NS1 10.23.0.2 8 8 64 1500 1 >"$TMPD/flood2" &
	flood $NS2 10.23.0.1 8 8 64 1500 0 >"$TMPD/flood3" &
	flood $NS2 10.23.0.1 8 8 64 1500 1 >"$TMPD/flood4" &
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

rvnet_load
ktap_print_header
ktap_set_plan 7
for c in \
	"stress_ring_resize_under_flood t_resize_under_flood" \
	"stress_ring_shrink_completes_bql t_shrink_completes_bql" \
	"stress_channels_under_flood_without_down_up t_channels_under_flood" \
	"stress_noqueue_root_full_ring_drops_with_reason t_noqueue_full_ring_drops" \
	"stress_stop_with_packets_in_ring_completes_bql t_stop_completes_bql" \
	"stress_netns_move_clears_decision_records t_netns_move_clears_decisions" \
	"stress_decision_dump_seqs_in_order t_decision_seqs_in_order"; do
	T0=$SECONDS
	# shellcheck disable=SC2086
	run_case $c
	cleanup_stress
done
rm -rf "$TMPD"
rvnet_unload
ktap_finished
