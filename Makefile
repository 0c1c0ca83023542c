# SPDX-License-Identifier: GPL-2.0
# rvnet: out-of-tree Rust network driver for Linux 6.12.
#
#   make          build rvnet.ko for the plain kernel (out/plain/rvnet.ko)
#   make run      set up, build, boot the plain kernel, demo a pair with traffic
#   make check    set up, build, run the full test suite (debug and plain
#                 kernel guests side by side)
#   make check-quick  host checks + rvnet's own tests on the plain kernel, two guests
#
# Both set-up targets install what they need (qemu/setup) and rebuild only
# what changed (kernels are cached in ~/.cache/rvnet by source + config +
# toolchain).

.PHONY: all module module-debug kernels run check check-quick setup clean docs

all: module

setup:
	@qemu/setup

module: setup
	@qemu/module

module-debug: setup
	@qemu/module --debug

kernels: setup
	@qemu/kernel
	@qemu/kernel --debug

run: setup
	@qemu/module >/dev/null
	@tools/rvnetctl/build >/dev/null
	@qemu/run -- qemu/demo

check: setup
	@selftests/check

# The daily loop (under 10 minutes warm): the host checks and rvnet's own
# programs on the plain kernel; not the upstream suites, the docs commands,
# the bench smoke, nor the debug kernel (KASAN, lockdep, kmemleak).
check-quick: setup
	@selftests/check --quick

clean:
	rm -rf out

# make bench: boot the plain kernel once and measure rvnet against veth and
# dummy (bench/run; results in bench/results.{json,png}, never pass/fail).

# make upstream: the kernel's own selftests against rvnet, veth and netdevsim
# in one debug boot; rewrites selftests/upstream.md.
.PHONY: upstream
upstream: setup
	@selftests/upstream/run

.PHONY: bench
bench: setup
	@bench/run

# make docs: Documentation/netlink.rst from the YNL spec (ynl-gen-rst.py),
# Documentation/life-of-a-packet.rst from a real connection in the guest
# (plain kernel), then the Sphinx HTML build in out/docs.
.PHONY: docs
docs: setup
	@qemu/module >/dev/null
	@tools/rvnetctl/build >/dev/null
	@Documentation/tools/gen-netlink
	@qemu/run -- Documentation/tools/life-of-a-packet >out/life-of-a-packet.rst.new
	@grep -v '^rvnet: guest:' out/life-of-a-packet.rst.new >Documentation/life-of-a-packet.rst
	@/usr/bin/python3 -m sphinx -W -q -b html -d out/doctrees Documentation out/docs
	@echo "docs: Documentation/netlink.rst, Documentation/life-of-a-packet.rst, out/docs/index.html"
