#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The veth reference of rvnet_device.sh: its veth_* cases, the same
# scenarios on veth (`make check` runs them on the plain kernel, next to the
# rvnet cases on the debug kernel).
RVNET_DEVICE_KINDS=veth exec "$(dirname "$0")/rvnet_device.sh"
