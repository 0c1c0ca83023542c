#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pair semantics: auto-named peer, deleting either end removes both, carrier
# only when both ends are up, MTU range, MAC address, and bad requests that
# fail with an error and leave nothing behind.
. "$(dirname "$0")/lib.sh"

peer_of() { peer_name "$1"; }

t_auto_peer_name() {
	ip link add rva type rvnet || fail "add failed"
	local p
	p=$(peer_of rva)
	case $p in rvnet[0-9]*) ;; *) fail "peer of rva is '$p', wanted rvnetN" ;; esac
	[ "$(peer_of "$p")" = rva ] || fail "peer of $p is not rva"
	ip -d link show "$p" | grep -q "rvnet " || fail "$p is not kind rvnet"
	# iflink of each end is the other's ifindex.
	[ "$(cat /sys/class/net/rva/iflink)" = "$(cat /sys/class/net/$p/ifindex)" ] ||
		fail "iflink mismatch"
	ip link del rva
}

t_unnamed_numbering() {
	ip link add type rvnet || fail "first unnamed add failed"
	ip link add type rvnet || fail "second unnamed add failed"
	[ "$(ip -o link show type rvnet | wc -l)" = 4 ] || fail "expected 4 ends"
	for d in $(ip -o link show type rvnet | awk -F'[ :@]+' '{print $2}'); do
		case $d in rvnet[0-9]*) ;; *) fail "unexpected name $d" ;; esac
	done
	cleanup_all
	[ "$(rvnet_count)" = 0 ] || fail "left over devices"
}

t_del_either_end() {
	ip link add rvb type rvnet
	local p
	p=$(peer_of rvb)
	ip link del rvb
	ip link show "$p" >/dev/null 2>&1 && fail "peer $p survived deleting rvb"
	ip link add rvc type rvnet
	p=$(peer_of rvc)
	ip link del "$p"
	ip link show rvc >/dev/null 2>&1 && fail "rvc survived deleting its peer $p"
	[ "$(rvnet_count)" = 0 ] || fail "left over devices"
}

carrier() { cat "/sys/class/net/$1/carrier" 2>/dev/null || echo 0; }

t_carrier_both_up() {
	ip link add rvd type rvnet
	local p
	p=$(peer_of rvd)
	ip link set rvd up
	sleep 0.2
	[ "$(carrier rvd)" = 0 ] || fail "carrier on with peer down"
	ip link set "$p" up
	wait_for 30 grep -q 1 /sys/class/net/rvd/carrier || fail "no carrier with both up"
	[ "$(carrier "$p")" = 1 ] || fail "peer has no carrier with both up"
	ip link set "$p" down
	wait_for 30 grep -q 0 /sys/class/net/rvd/carrier 2>/dev/null ||
		[ "$(carrier rvd)" = 0 ] || fail "carrier stayed on after peer down"
	ip link del rvd
}

t_mtu_range() {
	ip link add rve type rvnet
	ip link set rve mtu 68 || fail "mtu 68 rejected"
	ip link set rve mtu 65535 || fail "mtu 65535 rejected"
	ip link set rve mtu 9000 || fail "mtu 9000 rejected"
	if ip link set rve mtu 67 2>/dev/null; then fail "mtu 67 accepted"; fi
	if ip link set rve mtu 65536 2>/dev/null; then fail "mtu 65536 accepted"; fi
	[ "$(cat /sys/class/net/rve/mtu)" = 9000 ] || fail "failed set changed the mtu"
	ip link del rve
}

t_bad_mtu_create() {
	local err
	err=$(ip link add rvf mtu 20 type rvnet 2>&1) && fail "mtu 20 accepted"
	echo "$err" | grep -qi "mtu" || fail "no MTU error message: $err"
	err=$(ip link add rvf mtu 70000 type rvnet 2>&1) && fail "mtu 70000 accepted"
	[ "$(rvnet_count)" = 0 ] || fail "bad MTU left devices behind: $(ip -o link show type rvnet)"
}

t_duplicate_name() {
	ip link add rvg type rvnet
	local before err
	before=$(rvnet_count)
	err=$(ip link add rvg type rvnet 2>&1) && fail "duplicate name accepted"
	echo "$err" | grep -qi "exists" || fail "unexpected error: $err"
	[ "$(rvnet_count)" = "$before" ] || fail "duplicate add left devices behind"
	# The name of an existing non-rvnet device also counts.
	err=$(ip link add lo type rvnet 2>&1) && fail "name 'lo' accepted"
	[ "$(rvnet_count)" = "$before" ] || fail "add as lo left devices behind"
	ip link del rvg
}

t_mac_address() {
	ip link add rvh type rvnet
	local mac
	mac=$(cat /sys/class/net/rvh/address)
	# Random and locally administered unicast (udev may replace it with its
	# own persistent choice, which is also locally administered).
	local first=$((0x${mac%%:*}))
	[ $((first & 1)) = 0 ] || fail "multicast MAC $mac"
	[ $((first & 2)) = 2 ] || fail "MAC $mac not locally administered"
	[ "$mac" != "$(cat /sys/class/net/$(peer_of rvh)/address)" ] || fail "both ends share $mac"
	ip link set rvh address 02:00:00:12:34:56 || fail "set address failed"
	[ "$(cat /sys/class/net/rvh/address)" = 02:00:00:12:34:56 ] || fail "address not set"
	ip link set rvh up
	ip link set rvh address 02:00:00:12:34:57 || fail "live address change failed"
	if ip link set rvh address 01:00:5e:00:00:01 2>/dev/null; then fail "multicast MAC accepted"; fi
	[ "$mac" != "$(cat /sys/class/net/rvh/address)" ] || fail "address unchanged"
	ip link del rvh
	ip link add rvi address 02:00:00:aa:bb:cc type rvnet || fail "create with address failed"
	[ "$(cat /sys/class/net/rvi/address)" = 02:00:00:aa:bb:cc ] || fail "create address ignored"
	ip link del rvi
	if ip link add rvj address 01:00:5e:00:00:01 type rvnet 2>/dev/null; then fail "multicast MAC accepted at create"; fi
	[ "$(rvnet_count)" = 0 ] || fail "left over devices"
}

rvnet_load
ktap_print_header
ktap_set_plan 8
run_case "pair_auto_peer_name" t_auto_peer_name
run_case "pair_unnamed_numbering" t_unnamed_numbering
run_case "pair_delete_either_end_removes_both" t_del_either_end
run_case "pair_carrier_only_when_both_up" t_carrier_both_up
run_case "pair_mtu_range_68_65535" t_mtu_range
run_case "pair_bad_mtu_create_fails_clean" t_bad_mtu_create
run_case "pair_duplicate_name_fails_clean" t_duplicate_name
run_case "pair_mac_address_random_and_settable" t_mac_address
cleanup_all
rvnet_unload
ktap_finished
