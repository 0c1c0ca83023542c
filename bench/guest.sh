#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (and of selftests/rvnet_bench_smoke.sh): load
# rvnet if it is not loaded, run bench/guest.py, unload what we loaded.
#
#   bench/guest.sh --out FILE [--smoke] [--runs N] [--warmup N] [--only LIST] ...
#
# Needs RVNET_KO (qemu/run sets it) and CONFIG_NET_PKTGEN.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${RVNET_KO:?RVNET_KO must point at rvnet.ko}"

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
