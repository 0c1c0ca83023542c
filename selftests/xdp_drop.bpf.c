// SPDX-License-Identifier: GPL-2.0
/* XDP_DROP every frame (rvnet_xdp.sh; the kernel's selftests have no plain
 * dropping program). Built in the test with clang --target=bpf.
 */
#include <linux/bpf.h>

__attribute__((section("xdp"), used))
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
