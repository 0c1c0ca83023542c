#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The rvnet family's answers against ip's, on the plain kernel: route-get
# equals `ip route get` (IPv4 and IPv6: rules, marks, oif, flow keys,
# reject routes, local and broadcast) and neigh-get follows `ip neigh`
# through INCOMPLETE, REACHABLE and STALE. Pure behaviour comparisons: the
# same lookups run on the debug kernel under KASAN and lockdep in
# rvnet_genl.sh (route details, resolve, path-get, fuzz).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/genl_lib.sh"

t_route_v4() {
	setup_routes
	nsx $NS1 python3 "$HELPER" route-cmp \
		10.23.0.2 8.8.8.8 192.0.2.5 192.0.2.200 \
		8.8.8.8,from=10.23.0.11 8.8.8.8,mark=7 8.8.8.8,oif=rv1 \
		198.51.100.1 198.51.101.1 198.51.102.1 \
		10.23.0.1 10.23.0.255 127.0.0.1 \
		8.8.8.8,ipproto=tcp,dport=443 8.8.8.8,ipproto=udp,dport=443 \
		8.8.8.8,dport=443 8.8.8.8,ipproto=tcp,dport=80 8.8.8.8,sport=5001 \
		8.8.8.8,ipproto=icmp,sport=6000 198.51.101.1,ipproto=tcp,dport=443
}

t_route_v6() {
	setup_routes
	nsx $NS1 python3 "$HELPER" route-cmp \
		fd23::2 2001:db8::1 fd99::5 fd23::1 fd77::1,from=fd23::11 fd66::1 \
		fd99::5,ipproto=tcp,dport=443 fd99::5,ipproto=ipv6-icmp
}

nstate() { ip -n $NS1 neigh show "$1" dev rv1 | awk '{print $NF}'; }
ystate() {
	ynl --ns $NS1 --do neigh-get --json \
		"{\"addr\": \"$2\", \"ifindex\": $1}" 2>&1 | jq -r '."state-name"' 2>/dev/null
}

t_neigh_states() {
	ynl_serve
	setup_pair_netns
	# REACHABLE for 15..45 s (the default): each ynl call costs seconds on
	# the debug kernel under a loaded host, and 5..15 s was missed there
	# once. Then STALE.
	nsx $NS1 sysctl -qw net.ipv4.neigh.rv1.base_reachable_time_ms=30000
	# INCOMPLETE for 3 x 10 s before FAILED (the debug kernel is slow).
	nsx $NS1 sysctl -qw net.ipv4.neigh.rv1.retrans_time_ms=10000
	local idx out a i s1 s2 y
	idx=$(ifindex $NS1 rv1)
	a=$(h4 10.23.0.2)
	out=$(ynl --ns $NS1 --do neigh-get --json "{\"addr\": \"$a\", \"ifindex\": $idx}" 2>&1) &&
		fail "entry before any traffic: $out"
	expect_err "$out" "No such file"
	# INCOMPLETE: resolution of an address nobody answers.
	out=$(ynl --ns $NS1 --do neigh-get --json \
		"{\"addr\": \"$(h4 10.23.0.99)\", \"ifindex\": $idx, \"resolve\": true}")
	[ "$(jget "$out" state-name)" = INCOMPLETE ] || fail "resolve of a silent address: $out"
	[ "$(nstate 10.23.0.99)" = INCOMPLETE ] || fail "ip neigh: $(nstate 10.23.0.99)"
	# REACHABLE after traffic, then STALE: each answer must equal what
	# ip neigh says just before and after it (when those two agree).
	nsx $NS1 ping -c1 -W5 10.23.0.2 >/dev/null || fail "ping failed"
	# The family is asked once per state ip shows; ip alone watches the
	# entry in between.
	local seen= last= end=$((SECONDS + 150))
	while [ $SECONDS -lt $end ]; do
		s1=$(nstate 10.23.0.2)
		if [ "$s1" = "$last" ]; then
			sleep 0.5
			continue
		fi
		out=$(ynl --ns $NS1 --do neigh-get --json "{\"addr\": \"$a\", \"ifindex\": $idx}")
		s2=$(nstate 10.23.0.2)
		y=$(jget "$out" state-name)
		if [ "$s1" = "$s2" ]; then
			[ "$y" = "$s1" ] || fail "neigh-get says $y, ip neigh $s1"
			last=$s1
			case "$seen:$y" in
			:REACHABLE) seen=R ;;
			R:STALE) seen=RS; break ;;
			esac
		fi
	done
	[ "$seen" = RS ] || fail "did not see REACHABLE then STALE (saw '$seen', now $s2)"
	[ "$(jget "$out" lladdr)" = "$(ip netns exec $NS2 cat /sys/class/net/rv2/address)" ] ||
		fail "lladdr: $out"
}

rvnet_load
ktap_print_header
ktap_set_plan 3
run_case "genl_route_get_v4_equals_ip_route_get" t_route_v4
run_case "genl_route_get_v6_equals_ip_route_get" t_route_v6
run_case "genl_neigh_get_incomplete_reachable_stale" t_neigh_states
cleanup_all
rvnet_unload
ktap_finished
