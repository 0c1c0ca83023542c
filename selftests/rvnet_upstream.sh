#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own networking selftests (drivers/net ping.py, stats.py,
# queues.py; net/netdevice.sh; veth.sh and gro.sh scenarios) against rvnet,
# side by side with veth and netdevsim in this boot: one KTAP result per
# upstream case and device (selftests/upstream/run-guest). The kselftest
# install comes from the host (selftests/upstream/install, run by `make
# check`), passed in $RVNET_UPSTREAM_KSFT.
#
# Under `make check` (on the plain kernel, beside the debug guest): every
# suite on rvnet (drivers/net tests, netdevice.sh, the rvnet variant of
# veth.sh, the rvnet variant of gro.sh) and one comparison, the drivers/net
# tests on veth too. The full matrix (veth and netdevsim in every suite,
# veth.sh on veth itself, gro.sh with threaded NAPI) is `make upstream`,
# which rewrites selftests/upstream.md. Under TCG run-guest sets upstream's
# KSFT_MACHINE_SLOW ("a debug kernel, a VM"), under which gro.sh ignores a
# failed "large" (the 64 KB train spans jiffies; veth fails it as often as
# rvnet): reported as an expected skip, not a pass.
exec "$(dirname "$0")/upstream/run-guest" ${RVNET_UPSTREAM_SUITES:-drivers:rvnet|veth netdevice:rvnet veth:rvnet gro:rvnet}
