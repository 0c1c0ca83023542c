// SPDX-License-Identifier: GPL-2.0
/* One XDP program per verdict for rvnet_xdp.sh, needing nothing but the
 * uapi header: built with clang --target=bpf by selftests/xdp-progs (on the
 * host before the guests start, or by the test in the guest).
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

/* The helper as bpf_helper_defs.h declares it. */
static long (*bpf_redirect)(__u32 ifindex, __u64 flags) = (void *)BPF_FUNC_redirect;

SEC("pass")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("drop")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tx")
int xdp_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("aborted")
int xdp_aborted(struct xdp_md *ctx)
{
	return XDP_ABORTED;
}

/* To the rvnet end rvnet_xdp.sh creates with ifindex 111. */
SEC("redirect_to_111")
int xdp_redirect_111(struct xdp_md *ctx)
{
	return bpf_redirect(111, 0);
}

/* To the veth end rvnet_xdp.sh creates with ifindex 222. */
SEC("redirect_to_222")
int xdp_redirect_222(struct xdp_md *ctx)
{
	return bpf_redirect(222, 0);
}

char _license[] SEC("license") = "GPL";
