#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rvnetctl against the kernel: link add with named peer, peer netns and
# queue counts (what stock ip cannot ask of an unknown kind), then the
# generic netlink answers compared with ip route get / ip neigh / tc for the
# same questions. The genl cases skip, saying why, when the module does not
# register the rvnet family. The binary comes from tools/rvnetctl/build on
# the host ($RVNET_ROOT/out/rvnetctl, or $RVNETCTL).
. "$(dirname "$0")/lib.sh"

CTL=${RVNETCTL:-$(cd "$(dirname "$0")/.." && pwd)/out/rvnetctl}
PY=python3

need_ctl() {
	[ -x "$CTL" ] || skip "no $CTL (run tools/rvnetctl/build on the host)"
}

need_genl() {
	need_ctl || return
	local why
	why=$("$CTL" family 2>&1 >/dev/null) ||
		skip "rvnet genl family missing: ${why#rvnetctl: family: }"
}

queues_of() { # NS DEV KIND(rx|tx): number of queues in sysfs
	ip netns exec "$1" sh -c "ls -d /sys/class/net/$2/queues/$3-* | wc -l"
}

t_link_add_named_peer_netns_queues() {
	need_ctl || return
	ip netns add $NS2
	"$CTL" link add rv1 peer rv2 netns $NS2 queues 4 || fail "link add failed"
	ip -d link show rv1 | grep -q "rvnet " || fail "rv1 is not kind rvnet"
	ip -n $NS2 -d link show rv2 | grep -q "rvnet " || fail "rv2 not in $NS2 or not rvnet"
	ip link show rv2 >/dev/null 2>&1 && fail "rv2 also in the init netns"
	# Each end's iflink is the other's ifindex.
	local i1 i2
	i1=$(cat /sys/class/net/rv1/ifindex)
	i2=$(ip netns exec $NS2 cat /sys/class/net/rv2/ifindex)
	[ "$(cat /sys/class/net/rv1/iflink)" = "$i2" ] || fail "rv1's iflink is not rv2"
	[ "$(ip netns exec $NS2 cat /sys/class/net/rv2/iflink)" = "$i1" ] || fail "rv2's iflink is not rv1"
	[ "$(ls -d /sys/class/net/rv1/queues/tx-* | wc -l)" = 4 ] || fail "rv1 tx queues != 4"
	[ "$(ls -d /sys/class/net/rv1/queues/rx-* | wc -l)" = 4 ] || fail "rv1 rx queues != 4"
	[ "$(queues_of $NS2 rv2 tx)" = 4 ] || fail "rv2 tx queues != 4"
	[ "$(queues_of $NS2 rv2 rx)" = 4 ] || fail "rv2 rx queues != 4"
	ethtool -l rv1 | sed -n '/maximums/,/Current/p' | grep -Eq '^TX:[[:space:]]+4' ||
		fail "ethtool -l rv1: $(ethtool -l rv1 | tr '\n' ' ')"
	ip -n $NS2 -d link show rv2 | grep -q "numtxqueues 4 numrxqueues 4" || fail "rv2 numtxqueues"
	# Traffic flows across the pair it made.
	ip addr add 10.23.0.1/24 dev rv1
	ip -n $NS2 addr add 10.23.0.2/24 dev rv2
	ip link set rv1 up
	ip -n $NS2 link set rv2 up
	ping -c 1 -W 5 10.23.0.2 >/dev/null || fail "no ping across the pair"
	"$CTL" link del rv1 || fail "link del failed"
	ip -n $NS2 link show rv2 >/dev/null 2>&1 && fail "rv2 survived link del rv1"
	[ "$(rvnet_count)" = 0 ] || fail "left over devices"
}

t_link_add_defaults() {
	need_ctl || return
	"$CTL" link add rv1 || fail "link add failed"
	local p
	p=$(ip -o link show rv1 | sed -n 's/.*rv1@\([^:]*\):.*/\1/p')
	case $p in rvnet[0-9]*) ;; *) fail "peer of rv1 is '$p', wanted rvnetN" ;; esac
	"$CTL" link add rv3 numtxqueues 2 numrxqueues 3 peer rv4 || fail "asymmetric add failed"
	[ "$(ls -d /sys/class/net/rv4/queues/tx-* | wc -l)" = 2 ] || fail "rv4 tx queues"
	[ "$(ls -d /sys/class/net/rv4/queues/rx-* | wc -l)" = 3 ] || fail "rv4 rx queues"
	"$CTL" link del "$p" || fail "del by peer name failed"
	ip link show rv1 >/dev/null 2>&1 && fail "rv1 survived deleting its peer"
	"$CTL" link del rv4
	[ "$(rvnet_count)" = 0 ] || fail "left over devices"
}

t_link_add_errors_leave_nothing() {
	need_ctl || return
	local err
	"$CTL" link add rv1 peer rv2
	err=$("$CTL" link add rv1 peer rv5 2>&1) && fail "duplicate name accepted"
	echo "$err" | grep -q "^rvnetctl: link add: File exists" || fail "unexpected error: $err"
	err=$("$CTL" link add rv5 peer rv2 2>&1) && fail "duplicate peer name accepted"
	err=$("$CTL" link add rv6 peer rv7 netns nosuchns 2>&1) && fail "missing netns accepted"
	echo "$err" | grep -q "nosuchns" || fail "netns error does not name it: $err"
	err=$("$CTL" link add rv6 queues 0 2>&1) && fail "0 queues accepted"
	[ "$(rvnet_count)" = 2 ] || fail "failed adds left devices: $(ip -o link show type rvnet)"
	err=$("$CTL" link del nosuchdev 2>&1) && fail "del of a missing device succeeded"
	echo "$err" | grep -q "No such device" || fail "unexpected error: $err"
	"$CTL" link del rv2
	[ "$(rvnet_count)" = 0 ] || fail "left over devices"
}

t_link_add_veth_same_layout() {
	need_ctl || return
	# The same INFO_DATA peer layout creates a veth pair: rvnet and veth
	# read it alike.
	ip link del ve1 2>/dev/null || true
	ip netns add $NS2
	"$CTL" link add ve1 peer ve2 netns $NS2 queues 3 type veth || fail "veth add failed"
	ip -n $NS2 -d link show ve2 | grep -q "veth.*numtxqueues 3 numrxqueues 3" ||
		fail "$(ip -n $NS2 -d link show ve2)"
	"$CTL" link del ve1
}

# route_cmp NS < QUESTIONS: ip -j route get and rvnetctl -j route get agree
# on each line's question (type, device, gateway, preferred source, table,
# metric; where ip fails, the same errno and ip's message, and a reject
# route's type and error); each tool answers them all in one -batch
# process (exit statuses: t_route_get_table_and_errors).
route_cmp() {
	$PY "$(dirname "$0")/route_random.py" --cases "$1" "$CTL"
}

setup_routes() {
	setup_pair_netns
	ip -n $NS1 addr add 10.24.0.1/24 dev rv1
	ip -n $NS2 addr add 10.24.0.2/24 dev rv2
	ip -n $NS1 route add default via 10.23.0.2
	ip -n $NS1 route add 10.50.0.0/16 via 10.23.0.2
	ip -n $NS1 route add 10.50.1.0/24 dev rv1
	ip -n $NS1 route add blackhole 10.60.0.0/16
	ip -n $NS1 route add unreachable 10.61.0.0/16
	ip -n $NS1 route add prohibit 10.62.0.0/16
	ip -n $NS1 route add 10.70.0.0/16 via 10.24.0.2 table 100
	ip -n $NS1 rule add from 10.24.0.1 table 100
	ip -n $NS1 route add 10.71.0.0/16 via 10.24.0.2 table 101
	ip -n $NS1 rule add fwmark 7 table 101
	ip -n $NS1 rule add ipproto tcp dport 443 table 101
	ip -n $NS1 rule add sport 5000-5999 table 101
	ip -n $NS1 -6 route add default via fd23::2
	ip -n $NS1 -6 route add fd99::/64 via fd23::2 metric 77
	ip -n $NS1 -6 route add unreachable fd98::/64
}

t_route_get_matches_ip() {
	need_genl || return
	setup_routes
	route_cmp $NS1 <<-EOF
		10.23.0.2
		8.8.8.8
		10.50.2.1
		10.50.1.1
		10.60.0.1
		10.61.0.1
		10.62.0.1
		10.70.0.1
		10.70.0.1 from 10.24.0.1
		10.71.0.1
		10.71.0.1 mark 7
		10.23.0.1
		10.23.0.255
		10.23.0.2 oif rv1
		fd23::2
		fd99::1
		fd55::1
		fd98::1
		fd23::1
		10.71.0.1 ipproto tcp dport 443
		10.71.0.1 ipproto udp dport 443
		10.71.0.1 dport 443
		10.71.0.1 ipproto tcp dport 80
		10.71.0.1 sport 5353
		10.71.0.1 ipproto icmp
		10.61.0.1 ipproto tcp sport 22 dport 443
		fd99::1 ipproto tcp dport 443
		fd99::1 ipproto ipv6-icmp
	EOF
}

# Random routing set-ups (tables, reject types, multipath, rules by source,
# destination, mark, DSCP and uid), random questions, the kernel's answer
# (ip route get) against rvnetctl's; the seed is printed for replay
# (RVNET_ROUTE_SEED).
t_route_get_random_matches_ip() {
	need_genl || return
	setup_pair_netns
	# 4 set-ups x 250 questions: each tool answers a set-up's questions
	# in one -batch per uid, so 1000 questions cost a few seconds.
	local seed=${RVNET_ROUTE_SEED:-$RANDOM} n
	for n in 1 2 3 4; do
		$PY "$(dirname "$0")/route_random.py" $NS1 "$CTL" $((seed + n)) 250 || return 1
		ip netns del $NS1
		ip netns del $NS2
		setup_pair_netns
	done
}

t_route_get_table_and_errors() {
	need_genl || return
	setup_routes
	local out
	out=$("$CTL" -n $NS1 -j route get 10.71.0.1 table 101) || fail "table 101: $out"
	echo "$out" | grep -q '"gateway":"10.24.0.2"' || fail "table 101 lookup: $out"
	echo "$out" | grep -q '"table":101' || fail "table 101 not reported: $out"
	out=$("$CTL" -n $NS1 route get 10.71.0.1 table 101)
	echo "$out" | grep -q "^10.71.0.1 via 10.24.0.2 dev rv1 table 101 " || fail "text form: $out"
	# An error from the kernel prints errno and its extack message.
	out=$("$CTL" -n $NS1 route get 10.71.0.1 table 4242 2>&1) && fail "empty table answered: $out"
	echo "$out" | grep -Eq '^rvnetctl: route get: [A-Z][^:]*' || fail "error form: $out"
	# A reject route: the route on stdout, then ip's error on stderr and
	# ip's exit status (2). (ctl_route_get_equals_ip_route_get compares
	# every type's errno and message with ip's, in one batch.)
	local d t msg rc iprc iperr err
	for d in "10.60.0.1,blackhole,Invalid argument" "fd98::1,unreachable,No route to host"; do
		IFS=, read -r d t msg <<<"$d"
		iprc=0
		iperr=$(ip -n $NS1 route get "$d" 2>&1 >/dev/null) || iprc=$?
		rc=0
		out=$("$CTL" -n $NS1 route get "$d" 2>/tmp/rvnet-ctl-err) || rc=$?
		err=$(cat /tmp/rvnet-ctl-err)
		[ "$iprc" = 2 ] && [ "$rc" = 2 ] || fail "$d: exit ip $iprc rvnetctl $rc"
		echo "$iperr" | grep -q "$msg" || fail "$d: ip says '$iperr', wanted '$msg'"
		[ "$err" = "rvnetctl: route get: $msg: $t route" ] || fail "$d: stderr '$err'"
		echo "$out" | grep -q "^$t $d" || fail "$d: stdout '$out'"
	done
	rm -f /tmp/rvnet-ctl-err
	# An IP protocol the kernel refuses: exit 2 as ip (its extack message).
	rc=0
	out=$("$CTL" -n $NS1 route get 10.71.0.1 ipproto sctp 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "ipproto sctp: exit $rc: $out"
	echo "$out" | grep -q "Operation not supported: rvnet: unsupported ip proto" ||
		fail "ipproto sctp: $out"
	# vrf NAME must name a VRF, as ip checks (name_is_vrf): exit 255 as ip.
	local ipout
	iprc=0
	ipout=$(ip -n $NS1 route get 10.71.0.1 vrf rv1 2>&1) || iprc=$?
	rc=0
	out=$("$CTL" -n $NS1 route get 10.71.0.1 vrf rv1 2>&1) || rc=$?
	[ "$rc" = 255 ] && [ "$iprc" = 255 ] || fail "vrf rv1: exit ip $iprc rvnetctl $rc: $out"
	echo "$out" | grep -q 'argument "rv1" is wrong: Invalid VRF' || fail "vrf rv1: $out (ip: $ipout)"
	# table is IPv4 only here (inet6_rtm_getroute ignores RTA_TABLE):
	# refused by the kernel, with its reason.
	rc=0
	out=$("$CTL" -n $NS1 route get fd99::1 table 101 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "IPv6 table: exit $rc: $out"
	echo "$out" | grep -q "Operation not supported: rvnet: a table is only supported for IPv4" ||
		fail "IPv6 table: $out"
}

# ip neigh state of ADDR on rv1 in NS1 (first word of the state list).
# iproute2 6.1 ignores -j for "neigh get", so this asks "neigh show".
ip_neigh_state() {
	ip -n $NS1 -j neigh show "$1" dev rv1 2>/dev/null |
		$PY -c 'import json,sys; print(json.load(sys.stdin)[0]["state"][0])' 2>/dev/null
}

ctl_neigh() { # ADDR KEY: one field of rvnetctl -j neigh get
	"$CTL" -n $NS1 -j neigh get "$1" dev rv1 2>/dev/null |
		$PY -c "import json,sys; print(json.load(sys.stdin)[0].get('$2',''))" 2>/dev/null
}

# neigh_agree ADDR: ip and rvnetctl agree on state and lladdr; prints the
# state. The entry may change between the two reads, so a disagreement is
# retried before it counts. Called under || (no errexit): explicit returns.
neigh_agree() {
	local try ips cts ipl ctl
	for try in 1 2 3 4 5; do
		ips=$(ip_neigh_state "$1")
		cts=$(ctl_neigh "$1" state-name)
		ipl=$(ip -n $NS1 -j neigh show "$1" dev rv1 |
			$PY -c 'import json,sys; print((json.load(sys.stdin) or [{}])[0].get("lladdr",""))')
		ctl=$(ctl_neigh "$1" lladdr)
		if [ -n "$ips" ] && [ "$ips" = "$cts" ] && [ "$ipl" = "$ctl" ]; then
			echo "$ips"
			return 0
		fi
		sleep 0.2
	done
	fail "$1: ip says '$ips' '$ipl', rvnetctl '$cts' '$ctl'"
	return 1
}

t_neigh_states_follow_ip() {
	need_genl || return
	setup_pair_netns
	# Unanswered resolution stays INCOMPLETE long enough to be read twice
	# under TCG.
	nsx $NS1 sysctl -qw net.ipv4.neigh.rv1.mcast_solicit=30
	local err s
	err=$("$CTL" -n $NS1 neigh get 10.23.0.2 dev rv1 2>&1) && fail "answer without an entry: $err"
	echo "$err" | grep -q "^rvnetctl: neigh get: No such file or directory: .*(attribute addr)" ||
		fail "no-entry error: $err"
	ip -n $NS1 neigh get 10.23.0.2 dev rv1 >/dev/null 2>&1 && fail "ip has an entry already"
	# REACHABLE for 5..15 s, long enough to be read, then STALE once
	# unused, where an idle IPv4 entry stays. The GC work (every
	# base_reachable_time/2) copies `confirmed` into `used`, so a reachable
	# time under delay_first_probe_time (default 5 s) would send the entry
	# REACHABLE -> DELAY -> PROBE -> REACHABLE for ever: keep it at 1 s.
	nsx $NS1 sysctl -qw net.ipv4.neigh.rv1.base_reachable_time_ms=10000 \
		net.ipv4.neigh.rv1.delay_first_probe_time=1
	nsx $NS1 ping -c 1 -W 5 10.23.0.2 >/dev/null || fail "no ping"
	s=$(neigh_agree 10.23.0.2) || { echo "$s"; return 1; }
	[ "$s" = REACHABLE ] || fail "after ping: $s"
	wait_for 300 sh -c "ip -n $NS1 neigh show 10.23.0.2 dev rv1 | grep -q STALE" ||
		fail "never went STALE: $(ip -n $NS1 neigh show 10.23.0.2 dev rv1)"
	s=$(neigh_agree 10.23.0.2) || { echo "$s"; return 1; }
	[ "$s" = STALE ] || fail "after reachable time: $s"
	# Nobody has 10.23.0.9: resolution leaves INCOMPLETE, as ip sees it.
	"$CTL" -n $NS1 neigh get 10.23.0.9 dev rv1 resolve >/dev/null || fail "resolve failed"
	s=$(neigh_agree 10.23.0.9) || { echo "$s"; return 1; }
	[ "$s" = INCOMPLETE ] || fail "unanswered resolve: $s"
	# IPv6 (ND) entries read the same as ip shows them.
	nsx $NS1 ping -6 -c 1 -W 5 fd23::2 >/dev/null || fail "no IPv6 ping"
	neigh_agree fd23::2 >/dev/null || return 1
}

t_neigh_resolve_sends_arp() {
	need_genl || return
	setup_pair_netns
	local rx
	rx=$(link_stat $NS2 rv2 rx_packets)
	"$CTL" -n $NS1 neigh get 10.23.0.2 dev rv1 resolve || fail "resolve failed"
	# The request reached the peer: it learnt the sender and answered.
	wait_for 50 sh -c "ip -n $NS2 neigh show 10.23.0.1 dev rv2 | grep -q lladdr" ||
		fail "peer saw no ARP request"
	[ "$(link_stat $NS2 rv2 rx_packets)" -gt "$rx" ] || fail "peer rx_packets unchanged"
	wait_for 50 sh -c "ip -n $NS1 neigh get 10.23.0.2 dev rv1 | grep -q REACHABLE" ||
		fail "no REACHABLE after the reply"
	[ "$(ctl_neigh 10.23.0.2 lladdr)" = "$(ip netns exec $NS2 cat /sys/class/net/rv2/address)" ] ||
		fail "lladdr is not rv2's address"
}

t_path_is_route_neigh_queue_qdisc() {
	need_genl || return
	setup_pair_netns
	ip -n $NS1 route add default via 10.23.0.2
	nsx $NS1 ping -c 1 -W 5 10.23.0.2 >/dev/null || fail "no ping"
	local p
	p=$("$CTL" -n $NS1 -j path 8.8.8.8) || fail "path: $p"
	$PY - "$p" "$(ip -n $NS1 -j route get 8.8.8.8)" "$(ip -n $NS1 -j neigh show 10.23.0.2 dev rv1)" \
		"$(tc -n $NS1 -j qdisc show dev rv1)" \
		"$(ip netns exec $NS1 sh -c 'ls -d /sys/class/net/rv1/queues/tx-* | wc -l')" <<'PY' || return 1
import json, sys
p = json.loads(sys.argv[1])[0]
r = json.loads(sys.argv[2])[0]
n = json.loads(sys.argv[3])[0]
q = [x for x in json.loads(sys.argv[4]) if x.get("root")][0]
ntx = int(sys.argv[5])
bad = []
def chk(name, a, b):
    if a != b:
        bad.append(f"{name}: expected {a!r}, path says {b!r}")
route, neigh = p.get("route", {}), p.get("neigh", {})
chk("route.oif-name", r["dev"], route.get("oif-name"))
chk("route.gateway", r.get("gateway"), route.get("gateway"))
chk("route.prefsrc", r.get("prefsrc"), route.get("prefsrc"))
chk("neigh.addr", r.get("gateway"), neigh.get("addr"))
chk("neigh.state-name", n["state"][0], neigh.get("state-name"))
chk("neigh.lladdr", n.get("lladdr"), neigh.get("lladdr"))
chk("qdisc-kind", q["kind"], p.get("qdisc-kind"))
# tx-queue is given only when it does not depend on the flow.
if "tx-queue" in p:
    if not (ntx == 1 and p["tx-queue"] == 0):
        bad.append(f"tx-queue {p['tx-queue']} with {ntx} tx queues")
elif ntx == 1:
    bad.append("no tx-queue with a single tx queue")
if bad:
    print("; ".join(bad)); print("path:", sys.argv[1]); sys.exit(1)
PY
	# Directly connected: the next hop is the destination itself.
	p=$("$CTL" -n $NS1 -j path 10.23.0.2) || fail "path: $p"
	echo "$p" | grep -q '"neigh":{"addr":"10.23.0.2"' || fail "direct path neigh: $p"
	# No entry yet for the next hop: the answer simply has no neigh.
	p=$("$CTL" -n $NS1 -j path 10.23.0.77) || fail "path: $p"
	echo "$p" | grep -q '"neigh"' && fail "neigh for an unresolved next hop: $p"
	"$CTL" -n $NS1 path 10.23.0.2 | head -1 | grep -q "^10.23.0.2 dev rv1 txq [0-9]* qdisc " ||
		fail "text form: $("$CTL" -n $NS1 path 10.23.0.2)"
}

t_dev_show_and_set() {
	need_genl || return
	setup_pair_netns
	local out
	out=$("$CTL" -n $NS1 -j dev show rv1) || fail "dev show: $out"
	echo "$out" | grep -q '"ifname":"rv1"' || fail "dev show: $out"
	echo "$out" | grep -q '"sample":0' || fail "sampling not off by default: $out"
	"$CTL" -n $NS1 dev set rv1 sample 100 ring 64 || fail "dev set failed"
	out=$("$CTL" -n $NS1 -j dev show rv1)
	echo "$out" | grep -q '"sample":100' || fail "sample not set: $out"
	echo "$out" | grep -q '"ring-size":64' || fail "ring-size not set: $out"
	"$CTL" -n $NS1 dev show rv1 | grep -q "^rv1 ifindex [0-9]* sample 1/100 ring-size 64" ||
		fail "text form: $("$CTL" -n $NS1 dev show rv1)"
	out=$("$CTL" -n $NS1 -j dev show) || fail "dump: $out"
	echo "$out" | grep -q '"ifname":"rv1"' || fail "dump misses rv1: $out"
	echo "$out" | grep -q '"ifname":"lo"' && fail "dump lists lo: $out"
	out=$("$CTL" -n $NS1 dev set lo sample 1 2>&1) && fail "dev set on lo accepted"
	echo "$out" | grep -Eq '^rvnetctl: dev set: [^:]+: .+' || fail "no extack message: $out"
	out=$("$CTL" -n $NS1 dev set rv1 ring 0 2>&1) && fail "ring 0 accepted"
	echo "$out" | grep -q "ring-size" || fail "error does not name ring-size: $out"
	"$CTL" -n $NS1 -j dev show rv1 | grep -q '"ring-size":64' || fail "failed set changed the ring"
}

t_dev_set_unprivileged_refused() {
	need_genl || return
	command -v setpriv >/dev/null || skip "no setpriv"
	ip link add rv1 type rvnet
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" dev set rv1 sample 5 2>&1) &&
		fail "unprivileged dev set accepted"
	echo "$out" | grep -q "Operation not permitted" || fail "unexpected error: $out"
	"$CTL" -j dev show rv1 | grep -q '"sample":0' || fail "refused set changed sampling"
}

# Root of a user namespace that owns a network namespace (a container) has
# CAP_NET_ADMIN there and nowhere else: it may sample and dump its own
# devices (the checks are netns-local), and still not anyone else's.
t_container_root_samples_and_dumps() {
	need_genl || return
	command -v unshare >/dev/null || skip "no unshare"
	ip link add rvh type rvnet
	local out tmp
	tmp=$(mktemp)
	cat >"$tmp" <<-EOF
	set -e
	ip link add rvc type rvnet
	peer=\$(ip -o link show type rvnet | sed -n 's/^[0-9]*: \\(rvnet[0-9]*\\)@.*/\\1/p')
	ip link set rvc up
	ip link set "\$peer" up
	ip addr add 10.9.0.1/24 dev rvc
	"$CTL" dev set rvc sample 1
	echo x >/dev/udp/10.9.0.2/9 || true
	sleep 0.3
	"$CTL" -j dev decisions rvc
	if "$CTL" dev set rvh sample 1; then echo "host device set from the container"; exit 1; fi
	EOF
	out=$(unshare -Urn bash "$tmp" 2>&1) || { rm -f "$tmp"; fail "container root: $out"; }
	rm -f "$tmp"
	echo "$out" | grep -q '"seq"' || fail "no record dumped: $out"
	"$CTL" -j dev show rvh | grep -q '"sample":0' || fail "container root changed a host device"
	ip link del rvh
}

t_monitor_prints_decisions() {
	need_genl || return
	setup_pair_netns rvnet quiet
	local f=/tmp/rvnet-ctl-monitor.$$ pid
	"$CTL" -n $NS1 dev set rv1 sample 1 >/dev/null
	"$CTL" -n $NS1 monitor dev rv1 >"$f" 2>&1 &
	pid=$!
	wait_listening $NS1 rv1 10.23.0.77
	nsx $NS1 ping -c 2 -W 5 10.23.0.2 >/dev/null || fail "no ping"
	sleep 0.5
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	sed 's/^/# /' "$f"
	# The ARP request, then the echo request with its route and neighbour,
	# and the reply received.
	grep -q '^rv1 tx q0 #[0-9]* arp who-has 10.23.0.2 tell 10.23.0.1' "$f" || fail "no ARP request line"
	grep -E -q '^rv1 tx q0 #[0-9]+ 10.23.0.1 > 10.23.0.2 icmp echo-request .*\| route unicast table main 10.23.0.0/24 direct dev rv1 \| neigh 10.23.0.2 [A-Z]+' "$f" ||
		fail "no echo-request line with route and neighbour"
	grep -E -q '^rv1 rx q0 #[0-9]+ 10.23.0.2 > 10.23.0.1 icmp echo-reply .*\| input local' "$f" ||
		fail "no echo-reply line with the input decision"
	rm -f "$f"
}

# ctl_case NAME FUNC: run_case, unless $RVNET_CTL_ONLY (a regex) leaves NAME
# out, e.g. RVNET_CTL_ONLY=neigh for a quick run of the neighbour cases.
ctl_case() {
	if [ -n "${RVNET_CTL_ONLY:-}" ] && ! [[ $1 =~ $RVNET_CTL_ONLY ]]; then
		echo "# not selected by RVNET_CTL_ONLY=$RVNET_CTL_ONLY"
		ktap_test_skip "$1"
		return
	fi
	run_case "$@"
}

rvnet_load
ktap_print_header
ktap_set_plan 14
ctl_case "ctl_link_add_named_peer_in_netns_with_4_queues" t_link_add_named_peer_netns_queues
ctl_case "ctl_link_add_auto_peer_and_asymmetric_queues" t_link_add_defaults
ctl_case "ctl_link_add_errors_leave_nothing" t_link_add_errors_leave_nothing
ctl_case "ctl_link_add_same_peer_layout_makes_veth" t_link_add_veth_same_layout
ctl_case "ctl_route_get_equals_ip_route_get" t_route_get_matches_ip
ctl_case "ctl_route_get_random_setups_equal_ip_route_get" t_route_get_random_matches_ip
ctl_case "ctl_route_get_table_and_kernel_error" t_route_get_table_and_errors
ctl_case "ctl_neigh_get_follows_ip_neigh_states" t_neigh_states_follow_ip
ctl_case "ctl_neigh_resolve_sends_arp_to_peer" t_neigh_resolve_sends_arp
ctl_case "ctl_path_is_route_neigh_txq_qdisc" t_path_is_route_neigh_queue_qdisc
ctl_case "ctl_dev_show_set_and_refusals" t_dev_show_and_set
ctl_case "ctl_dev_set_unprivileged_refused" t_dev_set_unprivileged_refused
ctl_case "ctl_container_root_samples_and_dumps_its_devices" t_container_root_samples_and_dumps
ctl_case "ctl_monitor_prints_decisions" t_monitor_prints_decisions
cleanup_all
rvnet_unload
ktap_finished
