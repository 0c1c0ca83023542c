#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own networking selftests (drivers/net ping.py, stats.py,
# queues.py; net/netdevice.sh; veth.sh and gro.sh scenarios) against rvnet,
# side by side with veth and netdevsim in this boot: one KTAP result per
# upstream case and device (selftests/upstream/run-guest). The kselftest
# install comes from the host (selftests/upstream/install, run by `make
# check`), passed in $RVNET_UPSTREAM_KSFT.
#
# Under `make check` (about 8 minutes on the debug kernel under TCG): the
# drivers/net tests and netdevice.sh on rvnet, veth and netdevsim, and the
# rvnet variant of veth.sh. Left to `make upstream` (the full table): veth.sh
# on veth itself and the gro.sh suites (gro.sh "large" is timing-sensitive
# under TCG: the 64 KB train can span a jiffy, so napi_gro_flush() of old
# packets splits it; rvnet failed it in all three runs so far, veth in two).
exec "$(dirname "$0")/upstream/run-guest" ${RVNET_UPSTREAM_SUITES:-drivers netdevice veth:rvnet}
