#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (and of selftests/rvnet_bench_smoke.sh): load
# rvnet if it is not loaded, run bench/guest.py, unload what we loaded.
#
#   bench/guest.sh --out FILE [--smoke] [--runs N] [--warmup N] [--only LIST] ...
#
# Needs RVNET_KO (set by qemu/run) and the kernel's samples/pktgen, found
# through PKTGEN_DIR, KSFT_DIR (tools/testing/selftests of the same source)
# or the rvnet source cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RVNET_KO:?RVNET_KO must point at rvnet.ko}"

if [ -z "${PKTGEN_DIR:-}" ]; then
	if [ -n "${KSFT_DIR:-}" ] && [ -f "$KSFT_DIR/../../../samples/pktgen/functions.sh" ]; then
		PKTGEN_DIR=$(cd "$KSFT_DIR/../../../samples/pktgen" && pwd)
	else
		PKTGEN_DIR=$(ls -d "${HOME:-/root}"/.cache/rvnet/src/linux-source-*/samples/pktgen 2>/dev/null | tail -1)
	fi
fi
export PKTGEN_DIR
[ -f /proc/net/pktgen/pgctrl ] || { echo "bench: no /proc/net/pktgen (CONFIG_NET_PKTGEN)" >&2; exit 1; }

loaded=
if ! grep -q '^rvnet ' /proc/modules; then
	insmod "$RVNET_KO"
	loaded=1
fi
# pktgen and the floods may log rate-limited xmit errors; keep the console quiet.
dmesg -n 1 2>/dev/null || true

rc=0
/usr/bin/python3 "$here/guest.py" "$@" || rc=$?
if [ -n "$loaded" ]; then rmmod rvnet || rc=1; fi
exit $rc
