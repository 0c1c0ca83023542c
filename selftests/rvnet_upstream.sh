#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own networking selftests (drivers/net ping.py, stats.py,
# queues.py; net/netdevice.sh; veth.sh and gro.sh scenarios) against rvnet,
# side by side with veth and netdevsim in this boot: one KTAP result per
# upstream case and device (selftests/upstream/run-guest). The kselftest
# install comes from the host (selftests/upstream/install, run by `make
# check`), passed in $RVNET_UPSTREAM_KSFT.
exec "$(dirname "$0")/upstream/run-guest"
