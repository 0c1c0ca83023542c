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
#
# With HOLD=1 the same attach/detach pattern runs with pinned programs
# (bpftool prog loadall) that dummy devices hold in generic mode for the
# whole run: the dispatcher's set of programs never changes, so it is never
# re-patched while traffic runs (bpf_dispatcher_change_prog only refcounts
# a program it already has). This is how rvnet_xdp.sh avoids the Oops.
#
#   qemu/run -- selftests/upstream/xdp_dispatcher_tcg_repro.sh [ROUNDS]
#   qemu/run -- env HOLD=1 selftests/upstream/xdp_dispatcher_tcg_repro.sh [ROUNDS]
#   (add vng --verbose in qemu/run to see the console's Oops)
ROUNDS=${1:-8}
OBJ=${OBJ:-$(dirname "$0")/../../out/xdp_verdicts.bpf.o}
[ -r "$OBJ" ] || { echo "no $OBJ (selftests/xdp-progs builds it)"; exit 4; }
prog() { echo "object $OBJ section $1"; }
if [ "${HOLD:-0}" = 1 ]; then
  # A private bpffs: ip -n remounts /sys, so /sys/fs/bpf is not seen there.
  D=$(mktemp -d /tmp/xdp_repro_XXXXXX) && mount -t bpf bpf $D || exit 4
  bpftool prog loadall "$OBJ" $D/p type xdp || exit 4
  for s in pass tx drop; do
    ip link add hold_$s type dummy
    ip link set dev hold_$s xdpgeneric pinned $D/p/xdp_$s || exit 4
  done
  prog() { echo "pinned $D/p/xdp_$1"; }
fi
ip netns add a; ip netns add b
ip -n a link add va type veth peer name vb netns b
ip -n a addr add 10.9.0.1/24 dev va; ip -n b addr add 10.9.0.2/24 dev vb
ip -n a link set va up; ip -n b link set vb up; ip -n a link set lo up; ip -n b link set lo up
for r in $(seq "$ROUNDS"); do
  nsenter --net=/run/netns/a ping -f -q -w 4 10.9.0.2 >/dev/null 2>&1 & p1=$!
  nsenter --net=/run/netns/b ping -f -q -w 4 10.9.0.1 >/dev/null 2>&1 & p2=$!
  for i in 1 2; do
    ip -force -n b link set dev vb xdpdrv $(prog pass)
    ip -force -n b link set dev vb xdpdrv $(prog tx)
    ip -force -n a link set dev va xdpdrv $(prog drop)
    ip -n b link set dev vb xdpdrv off; ip -n a link set dev va xdpdrv off
  done
  wait $p1 $p2
  echo "veth round $r done"
done
ip netns del a; ip netns del b
if [ "${HOLD:-0}" = 1 ]; then
  for s in pass tx drop; do ip link del hold_$s; done
  umount $D && rmdir $D
fi
echo "veth (HOLD=${HOLD:-0}): $ROUNDS rounds of XDP attach/detach under traffic, no crash"
