// SPDX-License-Identifier: GPL-2.0

//! What the kernel decided for one packet, read from the packet and the
//! kernel's tables, for decision records (sampled packets only).
//!
//! Everything here runs in the datapath (transmit with BH disabled, or the
//! NAPI poll in softirq) inside an RCU read-side section, never sleeps and
//! allocates nothing; the route re-lookups go through [`super::route`],
//! whose lookups are safe in softirq (the forwarding path makes the same
//! calls).

use super::bindings as b;
use super::device::{Device, Driver};
use super::rcu;
use super::route::Addr;
use super::skb::SkBuff;
use super::txq::TxQueue;
use core::ptr;

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub(crate) fn now_ns() -> u64 {
    // SAFETY: ktime_get_ns() may be called in any context but NMI.
    unsafe { b::rvnet_ktime_get_ns() }
}

impl SkBuff {
    /// The frame from its Ethernet header to the end of the linear data;
    /// empty if the MAC header is not set. Headers of locally generated
    /// packets are linear; paged payload is not included.
    pub(crate) fn frame(&self) -> &[u8] {
        let mut len = 0;
        // SAFETY: we own the skb (type invariant); the helper only reads
        // header offsets and returns a pointer into the linear area.
        let p = unsafe { b::rvnet_skb_frame(self.as_raw(), &mut len) };
        if p.is_null() {
            return &[];
        }
        // SAFETY: `len` bytes from `p` lie in the skb's linear data (MAC
        // header up to the tail pointer), which lives as long as `self`
        // and is not written while we borrow it.
        unsafe { core::slice::from_raw_parts(p, len as usize) }
    }

    /// The kernel uid of the packet's (full) socket, else root of its
    /// device's namespace (`sock_net_uid`): what its route was looked up for.
    pub(crate) fn sk_uid(&self) -> u32 {
        // SAFETY: we own the skb; reads its socket pointer and that
        // socket's uid (a full socket stays valid while it owns the skb).
        unsafe { b::rvnet_skb_sk_uid(self.as_raw()) }
    }

    /// The device the packet's socket is bound to (`SO_BINDTODEVICE`, a
    /// VRF), 0 if none.
    pub(crate) fn sk_bound_dev_if(&self) -> i32 {
        // SAFETY: as for `sk_uid`.
        unsafe { b::rvnet_skb_sk_bound_dev_if(self.as_raw()) }
    }

    /// The firewall mark (`skb->mark`).
    pub(crate) fn mark(&self) -> u32 {
        // SAFETY: we own the skb; a plain field read.
        unsafe { b::rvnet_skb_mark(self.as_raw()) }
    }

    /// The route the packet carries (`skb_dst`), if any: what the output
    /// path decided for it.
    pub(crate) fn route(&self, _guard: &rcu::Guard) -> Option<SkbRoute> {
        // SAFETY: we own the skb; skb_dst() reads its dst pointer.
        let dst = unsafe { b::rvnet_skb_dst(self.as_raw()) };
        if dst.is_null() {
            return None;
        }
        // A dst attached to an skb we own is valid (referenced, or noref
        // under the RCU section that `_guard` proves), with its ops and
        // device. An AF_INET dst is an rtable (no XFRM in this kernel
        // configuration), an AF_INET6 one an rt6_info; both embed the
        // dst_entry first.
        // SAFETY: valid dst (above); containing type chosen by its family; `from` read under RCU.
        unsafe {
            let dev = (*dst).__bindgen_anon_1.dev;
            let oif = if dev.is_null() { 0 } else { (*dev).ifindex };
            match u32::from(b::rvnet_dst_family(dst)) {
                b::AF_INET => {
                    let rt = dst.cast::<b::rtable>();
                    let gw = &(*rt).__bindgen_anon_1;
                    let gateway = if (*rt).rt_uses_gateway == 0 {
                        None
                    } else {
                        match u32::from((*rt).rt_gw_family) {
                            b::AF_INET => Some(Addr::V4(gw.rt_gw4.to_ne_bytes())),
                            b::AF_INET6 => Some(Addr::V6(gw.rt_gw6.in6_u.u6_addr8)),
                            _ => None,
                        }
                    };
                    Some(SkbRoute {
                        rtype: u8::try_from((*rt).rt_type).ok(),
                        gateway,
                        oif,
                    })
                }
                b::AF_INET6 => {
                    let rt = dst.cast::<b::rt6_info>();
                    let gateway = ((*rt).rt6i_flags & b::RTF_GATEWAY != 0)
                        .then(|| Addr::V6((*rt).rt6i_gateway.in6_u.u6_addr8));
                    let from = b::rvnet_rt6_from(rt);
                    let rtype = (!from.is_null()).then(|| (*from).fib6_type);
                    Some(SkbRoute {
                        rtype,
                        gateway,
                        oif,
                    })
                }
                _ => None,
            }
        }
    }
}

/// The route attached to a packet.
#[derive(Clone, Copy)]
pub(crate) struct SkbRoute {
    /// `RTN_*` of the route, when known.
    pub(crate) rtype: Option<u8>,
    /// Gateway, `None` when directly connected.
    pub(crate) gateway: Option<Addr>,
    /// Output device.
    pub(crate) oif: i32,
}

/// `NUD_*` state of `dev`'s neighbour entry for `hop`, if there is one
/// (`__ipv4_neigh_lookup_noref` / `__ipv6_neigh_lookup_noref`).
pub(crate) fn neigh_state<D: Driver>(
    dev: &Device<D>,
    hop: &Addr,
    _guard: &rcu::Guard,
) -> Option<u8> {
    // With IPv6 off at boot nd_tbl was never initialised.
    if matches!(hop, Addr::V6(_)) && !super::route::ipv6_enabled() {
        return None;
    }
    // SAFETY: `dev` is registered; the noref lookups walk the neighbour
    // hash under the RCU section `_guard` proves, and the entry they return
    // stays valid within it; nud_state is read racily as `ip neigh` does.
    unsafe {
        let n = match hop {
            Addr::V4(a) => b::rvnet_ipv4_neigh_lookup_noref(dev.as_raw(), u32::from_ne_bytes(*a)),
            Addr::V6(a) => b::rvnet_ipv6_neigh_lookup_noref(dev.as_raw(), a.as_ptr().cast()),
        };
        if n.is_null() {
            None
        } else {
            Some(ptr::read_volatile(ptr::addr_of!((*n).nud_state)))
        }
    }
}

/// Whether `addr` is one of this host's IPv6 addresses in `dev`'s
/// namespace (`ipv6_chk_addr`, any device).
pub(crate) fn ipv6_is_local<D: Driver>(
    dev: &Device<D>,
    addr: &[u8; 16],
    _guard: &rcu::Guard,
) -> bool {
    if !super::route::ipv6_enabled() {
        return false;
    }
    let a = b::in6_addr {
        in6_u: b::in6_addr__bindgen_ty_1 { u6_addr8: *addr },
    };
    // SAFETY: the namespace of a registered device is valid; the lookup
    // takes RCU itself and only reads.
    unsafe { b::ipv6_chk_addr(dev.net().as_raw(), &a, ptr::null(), 0) != 0 }
}

impl TxQueue {
    /// Kind of the queue's qdisc (`pfifo_fast`, `fq_codel`, `noqueue`...),
    /// NUL-padded.
    pub(crate) fn qdisc_kind(&self, _guard: &rcu::Guard) -> [u8; b::IFNAMSIZ as usize] {
        // SAFETY: a queue of a registered device; its qdisc pointer is read
        // under RCU and a qdisc's ops id is a NUL-terminated IFNAMSIZ string.
        unsafe { super::route::qdisc_kind_name(b::rvnet_txq_qdisc_kind(self.raw())) }
    }

    /// Bytes in flight as BQL counts them (queued minus completed).
    pub(crate) fn bql_inflight(&self) -> u32 {
        // SAFETY: a queue of a registered device; two racy counter reads.
        unsafe { b::rvnet_txq_bql_inflight(self.raw()) }
    }
}
