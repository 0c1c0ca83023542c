#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reproducer, without rvnet: veth's native XDP attached and detached while
# ping floods cross the pair both ways. On 6.12.118 under QEMU TCG with 2
# vCPUs the guest dies within a few rounds (2026-12-06: round 4 of 8) with
# "Oops: int3" at bpf_dispatcher_xdp_func+0x5 from veth_poll: the XDP
# dispatcher re-patched by text_poke_bp on attach/detach while the other
# vCPU runs it. rvnet_xdp.sh's xdp_attach_detach_under_traffic hits the same
# Oops from rvnet's poll. Not part of make check.
#
#   qemu/run -- selftests/upstream/xdp_dispatcher_tcg_repro.sh [ROUNDS]
#   (add vng --verbose in qemu/run to see the console's Oops)
ROUNDS=${1:-8}
OBJ=${OBJ:-$(dirname "$0")/../../out/xdp_verdicts.bpf.o}
[ -r "$OBJ" ] || { echo "no $OBJ (selftests/xdp-progs builds it)"; exit 4; }
ip netns add a; ip netns add b
ip -n a link add va type veth peer name vb netns b
ip -n a addr add 10.9.0.1/24 dev va; ip -n b addr add 10.9.0.2/24 dev vb
ip -n a link set va up; ip -n b link set vb up; ip -n a link set lo up; ip -n b link set lo up
for r in $(seq "$ROUNDS"); do
  nsenter --net=/run/netns/a ping -f -q -w 4 10.9.0.2 >/dev/null 2>&1 & p1=$!
  nsenter --net=/run/netns/b ping -f -q -w 4 10.9.0.1 >/dev/null 2>&1 & p2=$!
  for i in 1 2; do
    ip -force -n b link set dev vb xdpdrv object $OBJ section pass
    ip -force -n b link set dev vb xdpdrv object $OBJ section tx
    ip -force -n a link set dev va xdpdrv object $OBJ section drop
    ip -n b link set dev vb xdpdrv off; ip -n a link set dev va xdpdrv off
  done
  wait $p1 $p2
  echo "veth round $r done"
done
ip netns del a; ip netns del b
echo "veth: $ROUNDS rounds of XDP attach/detach under traffic, no crash"
