// SPDX-License-Identifier: GPL-2.0

//! XDP programs: ownership of an attached `struct bpf_prog`, its
//! RCU-published slot per device, and running it on a received sk_buff.
//!
//! C headers: `include/linux/bpf.h`, `include/linux/filter.h`,
//! `include/linux/netdevice.h` (`struct netdev_bpf`, `do_xdp_generic`).
//!
//! Ownership: `ndo_bpf(XDP_SETUP_PROG)` moves one program reference into
//! the driver (the core took it for us, and drops it itself if the driver
//! refuses). [`XdpProg`] owns such a reference and puts it when dropped.
//! [`XdpSlot`] publishes the attached program to the datapath: written
//! under rtnl, read under an RCU read guard. Programs are freed by the BPF
//! core only after an RCU grace period following their last put
//! (`bpf_prog_put` defers the free through `call_rcu`), so a reader inside
//! an RCU section may keep using a program that rtnl replaced and put
//! meanwhile, as veth's datapath does.
//!
//! Running: [`XdpSlot::run_on_skb`] runs the program on an skb in NAPI
//! context with `do_xdp_generic()` (the core's sk_buff XDP path that tun
//! uses for its receive too): the skb is used in place when it is linear,
//! not cloned and has `XDP_PACKET_HEADROOM`, otherwise copied into pages of
//! the per-CPU system page_pool first; `XDP_TX` transmits it back out of
//! this device (that is, to the peer), `XDP_REDIRECT` sends it on with
//! `xdp_do_generic_redirect()`, `XDP_ABORTED` is traced
//! (`trace_xdp_exception`), and the core frees what it does not pass.

use super::bindings as b;
use super::rcu;
use super::rtnl::Rtnl;
use super::skb::SkBuff;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};

/// One owned reference to a loaded XDP program.
///
/// # Invariants
///
/// `0` is a valid `struct bpf_prog` on which this value owns one reference.
pub(crate) struct XdpProg(NonNull<b::bpf_prog>);

// SAFETY: a program reference may be used and put from any context.
unsafe impl Send for XdpProg {}
// SAFETY: the shared methods only read immutable program fields.
unsafe impl Sync for XdpProg {}

impl XdpProg {
    /// Whether the program declared that it handles multi-buffer frames
    /// (`BPF_F_XDP_HAS_FRAGS`, `prog->aux->xdp_has_frags`).
    pub(crate) fn has_frags(&self) -> bool {
        // SAFETY: by the type invariant the program is valid; the flag is
        // set at load time and never changes.
        unsafe { b::rvnet_bpf_prog_xdp_has_frags(self.0.as_ptr()) }
    }
}

impl Drop for XdpProg {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own one reference; the BPF core
        // frees the program only after an RCU grace period, so datapath
        // readers that loaded it from an [`XdpSlot`] stay safe.
        unsafe { b::bpf_prog_put(self.0.as_ptr()) }
    }
}

/// The program of an `ndo_bpf(XDP_SETUP_PROG)` request, as an owned
/// reference for the driver, or `None` for a detach; `Err(())` for any
/// other command (offload, XSK pools: not supported).
///
/// The core took one reference for the driver and puts it itself if
/// `ndo_bpf` fails (`dev_xdp_install`). So that a driver may drop the
/// program on any refusal, the driver's [`XdpProg`] is a reference of its
/// own taken here, and [`SetupRef::finish`] gives up the core's one when
/// the driver accepted (kept its own), or leaves it to the core on an error.
///
/// # Safety
///
/// `bpf` is the valid request of an `ndo_bpf` call, under rtnl.
pub(crate) unsafe fn setup_prog(
    bpf: *mut b::netdev_bpf,
) -> Result<(Option<XdpProg>, SetupRef), ()> {
    // SAFETY: valid request (caller).
    let cmd = unsafe { b::rvnet_netdev_bpf_command(bpf) };
    if cmd != b::rvnet_c_consts_RVNET_C_XDP_SETUP_PROG as core::ffi::c_int {
        return Err(());
    }
    // SAFETY: as above.
    let prog = unsafe { b::rvnet_netdev_bpf_prog(bpf) };
    let Some(p) = NonNull::new(prog) else {
        return Ok((None, SetupRef(None)));
    };
    // SAFETY: the core holds a reference for us, so the program is valid.
    unsafe { b::bpf_prog_inc(p.as_ptr()) };
    // INVARIANT: the reference just taken is the driver's; the core's one
    // is held by the `SetupRef`.
    Ok((Some(XdpProg(p)), SetupRef(Some(p))))
}

/// The reference the core took for an `XDP_SETUP_PROG` request (see
/// [`setup_prog`]).
pub(crate) struct SetupRef(Option<NonNull<b::bpf_prog>>);

impl SetupRef {
    /// Ends the request: on success the driver kept its own reference (or
    /// dropped it after a detach), so the core's goes; on failure the core
    /// puts it itself.
    pub(crate) fn finish(self, ok: bool) {
        if let (true, Some(p)) = (ok, self.0) {
            // SAFETY: the core's reference for this request, given to the
            // driver on success (dev_xdp_install), unused by anyone else.
            unsafe { b::bpf_prog_put(p.as_ptr()) }
        }
    }
}

/// The attached program of a device, published to its datapath.
///
/// # Invariants
///
/// `prog` is NULL or a program on which this slot owns one reference.
/// It changes only under rtnl.
pub(crate) struct XdpSlot {
    prog: AtomicPtr<b::bpf_prog>,
}

/// Outcome of [`XdpSlot::run_on_skb`].
pub(crate) enum XdpOutcome {
    /// `XDP_PASS`: the skb (possibly copied) goes on to the stack.
    Pass(SkBuff),
    /// The program took the packet (`XDP_DROP`, `XDP_ABORTED` or an
    /// invalid verdict: freed by the core, aborted and invalid ones traced;
    /// `XDP_TX`, `XDP_REDIRECT`: sent on, or freed if that failed).
    Consumed,
}

impl XdpSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            prog: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Whether a program is attached (rtnl or any reader: a snapshot).
    #[inline]
    pub(crate) fn is_attached(&self) -> bool {
        !self.prog.load(Ordering::Relaxed).is_null()
    }

    /// Replaces the attached program, returning the old one (put it when
    /// dropped: readers are safe, see the module docs).
    pub(crate) fn replace(&self, new: Option<XdpProg>, _rtnl: &Rtnl) -> Option<XdpProg> {
        let p = new.map_or(ptr::null_mut(), |p| {
            let raw = p.0.as_ptr();
            core::mem::forget(p);
            raw
        });
        // INVARIANT: the slot takes over the reference of `new` and gives
        // the old one to the caller. Release: a reader that sees the
        // pointer sees the program fully loaded (rcu_assign_pointer).
        let old = self.prog.swap(p, Ordering::AcqRel);
        NonNull::new(old).map(XdpProg)
    }

    /// Runs the attached program, if any, on `skb`, received on its device
    /// (`skb->dev` set and the MAC header pulled, as after
    /// `eth_type_trans`). Returns `Pass(skb)` without a program.
    #[inline]
    pub(crate) fn run_on_skb(&self, skb: SkBuff, _guard: &rcu::Guard) -> XdpOutcome {
        // Acquire (rcu_dereference): see the program the writer published.
        let prog = self.prog.load(Ordering::Acquire);
        if prog.is_null() {
            return XdpOutcome::Pass(skb);
        }
        let mut raw = skb.into_raw();
        // SAFETY: `prog` stays valid for the RCU section `_guard` proves
        // (freed only after a grace period); we own `raw`, received on its
        // device with BH disabled (NAPI). do_xdp_generic() either returns
        // XDP_PASS with `raw` (possibly replaced by a copy) still ours, or
        // took the skb (sent or freed it).
        let act = unsafe { b::do_xdp_generic(prog, &mut raw) };
        if act == b::rvnet_c_consts_RVNET_C_XDP_PASS as core::ffi::c_int {
            // SAFETY: XDP_PASS: the (possibly new) skb is ours again.
            match unsafe { SkBuff::from_raw(raw) } {
                Some(skb) => XdpOutcome::Pass(skb),
                None => XdpOutcome::Consumed,
            }
        } else {
            XdpOutcome::Consumed
        }
    }
}

impl Drop for XdpSlot {
    fn drop(&mut self) {
        // The core detaches every program before unregistering a device
        // (dev_xdp_uninstall); put one that is left all the same.
        let old = *self.prog.get_mut();
        drop(NonNull::new(old).map(XdpProg));
    }
}

/// `PAGE_SIZE`.
pub(crate) const PAGE_SIZE: u32 = b::rvnet_c_consts_RVNET_C_PAGE_SIZE;
/// `XDP_PACKET_HEADROOM + NET_IP_ALIGN` (veth's `VETH_XDP_HEADROOM`).
pub(crate) const XDP_HEADROOM: u32 =
    b::rvnet_c_consts_RVNET_C_XDP_PACKET_HEADROOM + b::rvnet_c_consts_RVNET_C_NET_IP_ALIGN;
/// `MAX_SKB_FRAGS`.
pub(crate) const MAX_SKB_FRAGS: u32 = b::rvnet_c_consts_RVNET_C_MAX_SKB_FRAGS;

/// `SKB_WITH_OVERHEAD(size)`: what is left of a `size`-byte buffer after
/// the `skb_shared_info` at its end.
pub(crate) fn skb_with_overhead(size: u32) -> u32 {
    // SAFETY: pure arithmetic on a constant of this .config.
    unsafe { b::rvnet_skb_with_overhead(size) }
}

/// `ENOTCONN` (not named by the kernel crate).
pub(crate) fn enotconn() -> kernel::error::Error {
    super::genl::errno(b::ENOTCONN)
}
