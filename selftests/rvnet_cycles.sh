#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Repeated insmod / create / traffic / delete / rmmod cycles, then a kmemleak
# scan: nothing may leak and nothing may be left behind.
. "$(dirname "$0")/lib.sh"

CYCLES=${RVNET_CYCLES:-50}
PAIR_CYCLES=${RVNET_PAIR_CYCLES:-200}

t_cycles() {
	local i
	for i in $(seq "$CYCLES"); do
		insmod "$RVNET_KO" || fail "cycle $i: insmod"
		ip link add rvc$i type rvnet || fail "cycle $i: add"
		local p
		p=$(ip -o link show rvc$i | sed -n "s/.*rvc$i@\([^:]*\):.*/\1/p")
		ip addr add 10.99.0.1/24 dev rvc$i
		ip link set rvc$i up
		ip link set "$p" up
		# Traffic through the pair (ARP requests cross it), still in
		# flight while the pair is deleted.
		ping -c 3 -i 0.01 -W 1 -I rvc$i 10.99.0.2 </dev/null >/dev/null 2>&1 &
		local pid=$!
		if [ $((i % 2)) = 0 ]; then
			ip link del "$p" || fail "cycle $i: del peer"
		else
			ip link del rvc$i || fail "cycle $i: del"
		fi
		[ "$(rvnet_count)" = 0 ] || fail "cycle $i: devices left"
		kill $pid 2>/dev/null || true
		wait
		rmmod rvnet || fail "cycle $i: rmmod"
	done
}

# Create / traffic / delete with the module loaded (200 pairs leave kmemleak
# and the refcount trackers clean). Pairs are created in batches whose far
# ends share a namespace, and each batch is deleted by deleting that
# namespace: a batched dellink of many pairs at once, as netns exit does.
t_pair_cycles() {
	insmod "$RVNET_KO"
	local batch=20 b i p n=0
	for b in $(seq $((PAIR_CYCLES / batch))); do
		ip netns add rvcyc
		for i in $(seq $batch); do
			ip link add rvp$i numtxqueues 2 numrxqueues 2 type rvnet || fail "batch $b pair $i: add"
			p=$(ip -o link show rvp$i | sed -n "s/.*rvp$i@\([^:]*\):.*/\1/p")
			ip link set "$p" netns rvcyc
			ip -n rvcyc link set "$p" name rvq$i
			ip -n rvcyc addr add 10.97.$i.2/24 dev rvq$i
			ip -n rvcyc link set rvq$i up
			ip addr add 10.97.$i.1/24 dev rvp$i
			ip link set rvp$i up
		done
		for i in $(seq $batch); do
			ping -c 1 -W 2 10.97.$i.2 >/dev/null || fail "batch $b pair $i: no ping"
			n=$((n + 1))
		done
		# Half the batches: delete the namespace (batched dellink of the far
		# ends); the other half: delete the near ends one by one.
		if [ $((b % 2)) = 0 ]; then
			ip netns del rvcyc
		else
			for i in $(seq $batch); do ip link del rvp$i; done
			ip netns del rvcyc
		fi
		wait_for 100 sh -c '[ "$(ip -o link show type rvnet | wc -l)" = 0 ]' ||
			fail "batch $b: devices left"
	done
	rmmod rvnet
	echo "$n pairs created, pinged and deleted"
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
		fail "$leaks unreferenced objects after $CYCLES cycles"
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
