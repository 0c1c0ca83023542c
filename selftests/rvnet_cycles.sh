#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Repeated insmod / create / traffic / delete / rmmod cycles, and pairs
# created, used and deleted in batches, then a kmemleak scan: nothing may
# leak and nothing may be left behind.
#
# Each exec costs the better part of a second on the debug kernel under TCG,
# so the loops drive iproute2 in batch mode and parse in bash.
. "$(dirname "$0")/lib.sh"

# 20 module cycles and 80 pairs (two batches of each deletion style): on
# the debug kernel each module cycle costs about 5 s and each pair 2 s
# (grace periods, not execs), and one leaked object, reference or device
# already fails a cycle or the kmemleak scan. (Until 2026-12 the counts
# were 50 and 200, 11 minutes of the debug guest.)
CYCLES=${RVNET_CYCLES:-20}
PAIR_CYCLES=${RVNET_PAIR_CYCLES:-80}
BATCH=20

# mac_of DEV: DEV's MAC address, from sysfs (no exec).
mac_of() { local m; read -r m </sys/class/net/"$1"/address && echo "$m"; }

t_cycles() {
	local i p
	for ((i = 1; i <= CYCLES; i++)); do
		insmod "$RVNET_KO" || fail "cycle $i: insmod"
		ip link add rvc type rvnet || fail "cycle $i: add"
		p=$(peer_name rvc)
		[ -n "$p" ] || fail "cycle $i: no peer"
		# The peer's MAC as a permanent neighbour: the pings are frames
		# that really cross the pair (the peer has no address and drops
		# them in IP input).
		ip -batch - <<-EOF || fail "cycle $i: configure"
		addr add 10.99.0.1/24 dev rvc
		link set rvc up
		link set $p up
		neigh add 10.99.0.2 lladdr $(mac_of "$p") dev rvc nud permanent
		EOF
		# Traffic still in flight while the pair is deleted.
		ping -q -c 50 -i 0.002 -W 1 -I rvc 10.99.0.2 </dev/null >/dev/null 2>&1 &
		sleep 0.2
		if ((i % 2 == 0)); then
			ip link del "$p" || fail "cycle $i: del peer"
		else
			ip link del rvc || fail "cycle $i: del"
		fi
		[ -z "$(rvnet_ends)" ] || fail "cycle $i: devices left: $(rvnet_ends)"
		wait
		rmmod rvnet || fail "cycle $i: rmmod"
	done
	echo "$CYCLES cycles"
}

# Pairs with the module loaded, in batches of $BATCH whose far ends share a
# namespace: create (2 queues each), move, address, traffic both ways on
# every pair, delete. Odd batches delete the near ends one by one (dellink
# of each pair), even batches delete the namespace (the far ends go in one
# batched unregister, as on netns exit).
t_pair_cycles() {
	insmod "$RVNET_KO"
	local b i n=0 out ns=rvcyc
	local -A peer
	for ((b = 1; b <= PAIR_CYCLES / BATCH; b++)); do
		ip netns add $ns
		for ((i = 1; i <= BATCH; i++)); do
			echo "link add rvp$i numtxqueues 2 numrxqueues 2 type rvnet"
		done | ip -batch - || fail "batch $b: add"
		peer=()
		while read -r out; do
			[[ $out =~ ^[0-9]+:\ (rvp[0-9]+)@([^:]+): ]] &&
				peer[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
		done < <(ip -o link show type rvnet)
		[ ${#peer[@]} = $BATCH ] || fail "batch $b: ${#peer[@]} pairs, wanted $BATCH"
		for ((i = 1; i <= BATCH; i++)); do
			echo "link set ${peer[rvp$i]} netns $ns"
			echo "addr add 10.97.$i.1/24 dev rvp$i"
			echo "link set rvp$i up"
		done | ip -batch - || fail "batch $b: configure near ends"
		for ((i = 1; i <= BATCH; i++)); do
			echo "addr add 10.97.$i.2/24 dev ${peer[rvp$i]}"
			echo "link set ${peer[rvp$i]} up"
		done | ip -n $ns -batch - || fail "batch $b: configure far ends"
		# Traffic on every pair: a UDP datagram to each far end (bash's
		# /dev/udp, no exec) resolves its address over the pair (ARP
		# request out, reply back) and is answered with a port
		# unreachable. Resend until every neighbour is resolved (has a
		# link-layer address: an ARP reply from each far end came back
		# over its pair). Not only REACHABLE: on a loaded machine the
		# first entries age to STALE before the last ones resolve.
		local tries reachable
		for ((tries = 0; tries < 50; tries++)); do
			for ((i = 1; i <= BATCH; i++)); do
				echo x 2>/dev/null >/dev/udp/10.97.$i.2/9
			done
			reachable=$(ip -4 neigh show | grep -c '^10\.97\.[0-9]*\.2 .* lladdr ')
			[ "$reachable" = $BATCH ] && break
			sleep 0.2
		done
		[ "$reachable" = $BATCH ] || fail "batch $b: only $reachable of $BATCH neighbours reachable"
		n=$((n + BATCH))
		if ((b % 2)); then
			for ((i = 1; i <= BATCH; i++)); do echo "link del rvp$i"; done |
				ip -batch - || fail "batch $b: del"
		fi
		ip netns del $ns
		wait_for 100 test -z "$(rvnet_ends)" || fail "batch $b: devices left: $(rvnet_ends)"
	done
	rmmod rvnet
	echo "$n pairs created, used both ways and deleted"
	[ "$n" = "$PAIR_CYCLES" ] || fail "only $n pairs"
}

t_kmemleak() {
	local f=/sys/kernel/debug/kmemleak
	[ -w $f ] || skip "kmemleak not available (plain kernel); make check uses the debug kernel"
	echo scan >$f
	sleep 6
	echo scan >$f
	local leaks
	leaks=$(grep -c "unreferenced object" $f || true)
	if [ "$leaks" != 0 ]; then
		head -60 $f
		fail "$leaks unreferenced objects after the cycles"
	fi
}

rvnet_unload
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
ktap_print_header
ktap_set_plan 3
run_case "cycles_${CYCLES}_insmod_create_traffic_delete_rmmod" t_cycles
run_case "cycles_${PAIR_CYCLES}_pair_create_traffic_delete" t_pair_cycles
run_case "cycles_kmemleak_clean" t_kmemleak
ktap_finished
