#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own networking selftests (drivers/net ping.py, stats.py,
# queues.py; net/netdevice.sh; veth.sh and gro.sh scenarios) against rvnet,
# side by side with veth and netdevsim in this boot: one KTAP result per
# upstream case and device (selftests/upstream/run-guest). The kselftest
# install comes from the host (selftests/upstream/install, run by `make
# check`), passed in $RVNET_UPSTREAM_KSFT.
#
# Under `make check` (about 13 minutes on the debug kernel under TCG): the
# drivers/net tests and netdevice.sh on rvnet, veth and netdevsim, the rvnet
# variant of veth.sh, and gro.sh (the rvnet variant, upstream on veth). On
# this debug kernel run-guest sets upstream's KSFT_MACHINE_SLOW, under which
# gro.sh ignores a failed "large" (the 64 KB train spans jiffies; veth fails
# it as often as rvnet): reported as an expected skip, not a pass. Left to
# `make upstream` (the full table): veth.sh on veth itself and gro.sh with
# threaded NAPI on both devices.
exec "$(dirname "$0")/upstream/run-guest" ${RVNET_UPSTREAM_SUITES:-drivers netdevice veth:rvnet gro}
