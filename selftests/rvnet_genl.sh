#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The rvnet generic netlink family on the debug kernel, driven through the
# kernel's own YNL library and CLI (tools/net/ynl) with
# Documentation/netlink/specs/rvnet.yaml: route-get details (prefix,
# metric, table, input routes), resolve sends an ARP request and a
# neighbour solicitation, path-get, dev-get/dump/set, errors with extack
# messages that change nothing, unprivileged calls, and a bounded fuzz.
# The comparisons with ip route get and ip neigh: rvnet_genl_ip.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/genl_lib.sh"

t_family() {
	local nlctrl=$KSFT_DIR/../../../Documentation/netlink/specs/nlctrl.yaml out
	out=$(python3 "$CLI" --no-schema --spec "$nlctrl" --output-json \
		--do getfamily --json '{"family-name": "rvnet"}')
	[ "$(jget "$out" version)" = 1 ] || fail "family version: $out"
	# route-get, neigh-get, path-get, dev-get, dev-set, decision-dump;
	# the decisions group. No op is GENL_ADMIN_PERM (CAP_NET_ADMIN in the
	# initial user namespace): dev-set and decision-dump check
	# CAP_NET_ADMIN over the caller's network namespace themselves, so
	# container root can use them on its own devices.
	[ "$(echo "$out" | jq '.ops | length')" = 6 ] || fail "ops: $out"
	echo "$out" | jq -e '[.ops[] | .[] | .flags // [] | index("admin-perm")] | all(. == null)' \
		>/dev/null || fail "an op is admin-perm: $out"
	echo "$out" | grep -q '"decisions"' || fail "no decisions multicast group: $out"
}

t_route_details() {
	ynl_serve
	setup_routes
	local out
	# Prefix, length and metric of the more specific route.
	out=$(ynl --ns $NS1 --do route-get --json "{\"dst\": \"$(h4 192.0.2.200)\"}")
	[ "$(jget "$out" prefix)" = 192.0.2.128 ] || fail "prefix: $out"
	[ "$(jget "$out" prefix-length)" = 25 ] || fail "prefix-length: $out"
	[ "$(jget "$out" priority)" = 7 ] || fail "priority: $out"
	[ "$(jget "$out" mtu)" = 1500 ] || fail "mtu: $out"
	# An explicit table bypasses the rules (ip route show table 100).
	out=$(ynl --ns $NS1 --do route-get --json "{\"dst\": \"$(h4 8.8.8.8)\", \"table\": 100}")
	[ "$(jget "$out" table)" = 100 ] || fail "table: $out"
	[ "$(jget "$out" gateway)" = 10.23.0.4 ] || fail "table 100 gateway: $out"
	out=$(ynl --ns $NS1 --do route-get --json "{\"dst\": \"$(h4 8.8.8.8)\", \"table\": 4242}" 2>&1) &&
		fail "unknown table accepted: $out"
	expect_err "$out" "No such file"
	# Input route, as for a packet received on rv1: forwarded when
	# forwarding is on, EHOSTUNREACH when it is off (as ip route get).
	local q="{\"dst\": \"$(h4 192.0.2.5)\", \"src\": \"$(h4 10.23.0.2)\", \"iif\": $(ifindex $NS1 rv1)}"
	nsx $NS1 sysctl -qw net.ipv4.conf.all.forwarding=0
	out=$(ynl --ns $NS1 --do route-get --json "$q")
	[ "$(jget "$out" error)" = 113 ] || fail "iif lookup, forwarding off: $out"
	nsx $NS1 sysctl -qw net.ipv4.conf.all.forwarding=1
	out=$(ynl --ns $NS1 --do route-get --json "$q")
	[ "$(jget "$out" gateway)" = 10.23.0.2 ] || fail "iif lookup: $out"
	[ "$(jget "$out" oif-name)" = rv1 ] || fail "iif lookup device: $out"
}

t_neigh_resolve_arp() {
	ynl_serve
	setup_pair_netns
	local idx out rx0 rx1
	idx=$(ifindex $NS1 rv1)
	rx0=$(link_stat $NS2 rv2 rx_packets)
	out=$(ynl --ns $NS1 --do neigh-get --json \
		"{\"addr\": \"$(h4 10.23.0.2)\", \"ifindex\": $idx, \"resolve\": true}")
	case $(jget "$out" state-name) in
	INCOMPLETE | REACHABLE) ;;
	*) fail "state after resolve: $out" ;;
	esac
	# The ARP request reached the peer: it counts a packet and learned us.
	wait_for 50 sh -c "ip -n $NS2 neigh show 10.23.0.1 | grep -q lladdr" ||
		fail "peer never saw an ARP request: $(ip -n $NS2 neigh)"
	rx1=$(link_stat $NS2 rv2 rx_packets)
	[ "$rx1" -gt "$rx0" ] || fail "peer rx_packets $rx0 -> $rx1"
	wait_for 50 sh -c "ip -n $NS1 neigh show 10.23.0.2 | grep -q REACHABLE" ||
		fail "not REACHABLE after the reply: $(ip -n $NS1 neigh)"
	# IPv6: a neighbour solicitation goes out the same way.
	out=$(ynl --ns $NS1 --do neigh-get --json \
		"{\"addr\": \"$(h6 fd23::2)\", \"ifindex\": $idx, \"resolve\": true}")
	wait_for 50 sh -c "ip -n $NS1 -6 neigh show fd23::2 | grep -q REACHABLE" ||
		fail "IPv6 not REACHABLE: $(ip -n $NS1 -6 neigh) / $out"
}

t_path() {
	ynl_serve
	setup_pair_netns
	nsx $NS1 ping -c1 -W5 10.23.0.2 >/dev/null || fail "ping failed"
	local out kind
	out=$(ynl --ns $NS1 --do path-get --json "{\"dst\": \"$(h4 10.23.0.2)\"}")
	[ "$(echo "$out" | jq -r '.route."oif-name"')" = rv1 ] || fail "route: $out"
	# REACHABLE, or already STALE/DELAY on a slow guest: a valid entry
	# with the peer's MAC.
	case $(echo "$out" | jq -r '.neigh."state-name"') in
	REACHABLE | STALE | DELAY | PROBE) ;;
	*) fail "neigh: $out" ;;
	esac
	[ "$(echo "$out" | jq -r '.neigh.lladdr')" = "$(ip netns exec $NS2 cat /sys/class/net/rv2/address)" ] ||
		fail "neigh lladdr: $out"
	[ "$(jget "$out" ifindex)" = "$(ifindex $NS1 rv1)" ] || fail "ifindex: $out"
	kind=$(tc -n $NS1 qdisc show dev rv1 root | awk '{print $2; exit}')
	[ "$(jget "$out" qdisc-kind)" = "$kind" ] || fail "qdisc '$kind': $out"
	[ "$(jget "$out" tx-queue)" = 0 ] || fail "tx-queue: $out"
}

t_dev() {
	ynl_serve
	setup_pair_netns
	local idx out
	idx=$(ifindex $NS1 rv1)
	out=$(ynl --ns $NS1 --do dev-get --json "{\"ifindex\": $idx}")
	[ "$(jget "$out" ifname)" = rv1 ] || fail "dev-get: $out"
	[ "$(jget "$out" sample)" = 0 ] || fail "sampling not off by default: $out"
	out=$(ynl --ns $NS1 --do dev-set --json "{\"ifindex\": $idx, \"sample\": 1000, \"ring-size\": 128}")
	[ "$(jget "$out" sample)" = 1000 ] || fail "dev-set reply: $out"
	out=$(ynl --ns $NS1 --do dev-get --json "{\"ifindex\": $idx}")
	[ "$(jget "$out" ring-size)" = 128 ] || fail "dev-set not applied: $out"
	# Dump: the rvnet devices of the caller's namespace only (not lo).
	out=$(ynl --ns $NS1 --dump dev-get)
	[ "$(echo "$out" | jq -r '[.[].ifname] | join(",")')" = rv1 ] || fail "dump: $out"
	ip link add rvx type rvnet
	out=$(ynl --dump dev-get)
	[ "$(echo "$out" | jq length)" = 2 ] || fail "init ns dump: $out"
}

t_errors() {
	ynl_serve
	setup_pair_netns
	local idx out
	idx=$(ifindex $NS1 rv1)
	ynl --ns $NS1 --do dev-set --json "{\"ifindex\": $idx, \"sample\": 5}" >/dev/null
	out=$(ynl --ns $NS1 --do route-get --json '{}' 2>&1) && fail "missing dst accepted"
	expect_err "$out" "Invalid argument"
	# Address lengths: the policy takes 4..16 bytes (binary range, ERANGE),
	# the handler 4 or 16 (EINVAL); ifindex 0 (checks: min 1) is refused
	# by the policy; IP protocols the kernel's route get refuses
	# (EOPNOTSUPP). Each with an extack message, from one process.
	local d4 d6
	d4=$(h4 10.23.0.2) d6=$(h6 fd23::2)
	nsx $NS1 python3 "$HELPER" errors <<-EOF
		do route-get {"dst":"0a1700"} 34 binary attribute size out of range
		do route-get {"dst":"0a17000102"} 22 rvnet: an address must be 4
		do route-get {"dst":"${d6}00"} 34 binary attribute size out of range
		do route-get {"dst":"$d4","src":"0a17"} 34 binary attribute size out of range
		do neigh-get {"addr":"0a17","ifindex":$idx} 34 binary attribute size out of range
		do path-get {"dst":"0a"} 34 binary attribute size out of range
		do route-get {"dst":"$d4","oif":0} 34 integer out of range
		do route-get {"dst":"$d4","iif":0} 34 integer out of range
		do neigh-get {"addr":"$d4","ifindex":0} 34 integer out of range
		do dev-get {"ifindex":0} 34 integer out of range
		do dev-set {"ifindex":0,"sample":9} 34 integer out of range
		dump decision-dump {"ifindex":0} 34 integer out of range
		do route-get {"dst":"$d4","ipproto":132} 95 rvnet: unsupported ip proto
		do route-get {"dst":"$d6","ipproto":1} 95 rvnet: unsupported ip proto
		do route-get {"dst":"$d4","ipproto":58} 95 rvnet: unsupported ip proto
	EOF
	out=$(ynl --ns $NS1 --do neigh-get --json "{\"addr\": \"$(h4 10.23.0.2)\", \"ifindex\": 4242}" 2>&1) &&
		fail "unknown ifindex accepted"
	expect_err "$out" "No such device"
	out=$(ynl --ns $NS1 --do dev-get --json '{"ifindex": 1}' 2>&1) && fail "lo accepted as rvnet"
	expect_err "$out" "No such device"
	# ring-size out of range, with a valid sample: nothing may change.
	out=$(ynl --ns $NS1 --do dev-set --json "{\"ifindex\": $idx, \"sample\": 9, \"ring-size\": 0}" 2>&1) &&
		fail "ring-size 0 accepted"
	expect_err "$out" "Numerical result out of range\|Invalid argument"
	[ "$(jget "$(ynl --ns $NS1 --do dev-get --json "{\"ifindex\": $idx}")" sample)" = 5 ] ||
		fail "failed dev-set changed sample"
	[ "$(jget "$(ynl --ns $NS1 --do dev-get --json "{\"ifindex\": $idx}")" ring-size)" = 64 ] ||
		fail "failed dev-set changed ring-size"
	# Unknown attribute type and wrong-sized u32, via raw requests.
	out=$(ynl_raw $NS1 4 "08001e0001000000")
	echo "$out" | grep -q "errno=22 msg=." || fail "unknown attribute: $out"
	out=$(ynl_raw $NS1 4 "060001000100")
	echo "$out" | grep -q "errno=22 msg=." || fail "2-byte ifindex: $out"
	out=$(ynl_raw $NS1 2 "")
	echo "$out" | grep -q "errno=22 msg=rvnet" || fail "empty neigh-get: $out"
}

t_unprivileged() {
	ynl_serve
	ip link add rvu type rvnet
	local idx out nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	idx=$(cat /sys/class/net/rvu/ifindex)
	# The kernel source may sit under a 0700 home: give nobody a copy.
	local tmp CLI SPEC
	tmp=$(mktemp -d)
	# -p: keeps the sources' times, so the host-compiled __pycache__ stays valid
	cp -rp "$KSFT_DIR/../../net/ynl" "$tmp/ynl"
	cp "$here/../Documentation/netlink/specs/rvnet.yaml" "$tmp/"
	chmod -R a+rX "$tmp"
	CLI=$tmp/ynl/cli.py SPEC=$tmp/rvnet.yaml
	ynl --do dev-set --json "{\"ifindex\": $idx, \"sample\": 3}" >/dev/null
	out=$("${nobody[@]}" python3 "$CLI" --no-schema --spec "$SPEC" \
		--do dev-set --json "{\"ifindex\": $idx, \"sample\": 1}" 2>&1) &&
		fail "unprivileged dev-set accepted"
	# The handler checks CAP_NET_ADMIN over the namespace and says why.
	expect_err "$out" "Operation not permitted"
	[ "$(jget "$(ynl --do dev-get --json "{\"ifindex\": $idx}")" sample)" = 3 ] ||
		fail "unprivileged dev-set changed sample"
	out=$("${nobody[@]}" python3 "$CLI" --no-schema --spec "$SPEC" \
		--do neigh-get --json "{\"addr\": \"$(h4 10.9.9.9)\", \"ifindex\": $idx, \"resolve\": true}" 2>&1) &&
		fail "unprivileged resolve accepted"
	expect_err "$out" "Operation not permitted"
	ip neigh show 10.9.9.9 dev rvu | grep -q . && fail "unprivileged resolve created an entry"
	# Read-only questions are allowed.
	"${nobody[@]}" python3 "$CLI" --no-schema --spec "$SPEC" \
		--do route-get --json "{\"dst\": \"$(h4 127.0.0.1)\"}" >/dev/null ||
		fail "unprivileged route-get failed"
	rm -rf "$tmp"
}

t_fuzz() {
	ynl_serve
	setup_routes
	nsx $NS1 python3 "$HELPER" fuzz 15 "$RANDOM"
	# Still answering.
	ynl --ns $NS1 --do dev-get --json "{\"ifindex\": $(ifindex $NS1 rv1)}" >/dev/null ||
		fail "family broken after fuzz"
}

rvnet_load
ktap_print_header
ktap_set_plan 8
run_case "genl_family_v1_ops_group_no_init_ns_admin_perm" t_family
run_case "genl_route_get_prefix_metric_table_iif" t_route_details
run_case "genl_neigh_resolve_sends_arp_and_ns" t_neigh_resolve_arp
run_case "genl_path_get_route_neigh_qdisc" t_path
run_case "genl_dev_get_set_dump" t_dev
run_case "genl_errors_errno_extack_no_change" t_errors
run_case "genl_unprivileged_dev_set_and_resolve_fail" t_unprivileged
run_case "genl_fuzz_15s_no_splat" t_fuzz
cleanup_all
rvnet_unload
ktap_finished
