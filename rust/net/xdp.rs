// SPDX-License-Identifier: GPL-2.0

//! XDP: ownership of an attached `struct bpf_prog` and its RCU-published
//! slot per device, frames (`struct xdp_frame`), the per-queue
//! `xdp_rxq_info` and page_pool, and running a program natively in a NAPI
//! poll on sk_buffs and frames.
//!
//! C headers: `include/linux/bpf.h`, `include/linux/filter.h`,
//! `include/net/xdp.h`, `include/net/page_pool/types.h`,
//! `include/linux/netdevice.h` (`struct netdev_bpf`, `ndo_xdp_xmit`).
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
//! Running (the NAPI poll of an rx queue, veth's native path): the ring
//! holds sk_buffs from the peer's transmit and, tagged, `xdp_frame`s that
//! `ndo_xdp_xmit` or the peer's `XDP_TX` put there. [`XdpRxq`] is the
//! per-queue state (the registered `xdp_rxq_info` and a page_pool);
//! [`XdpRxq::run_skb`] turns an sk_buff into an `xdp_buff` (in place when
//! it is linear, private and has `XDP_PACKET_HEADROOM`, else copied into
//! page_pool pages), runs the program and says what became of the packet
//! ([`SkbVerdict`]): passed on (the skb rebuilt around what the program
//! left), the driver's to drop with a reason, a frame to send back
//! (`XDP_TX`), or redirected (`xdp_do_redirect`, flushed once per poll by
//! [`PollXdp::finish`]). [`XdpRxq::run_frame`] does the same for a frame.
//! The conversion itself is veth's C (`rvnet_xdp_run_skb` in the shim: the
//! `xdp_buff` is a C stack object built by static inlines).
//!
//! Frames: an [`XdpFrame`] owns one `xdp_frame` and gives its memory back
//! with [`XdpFrame::free`] (`xdp_return_frame`; there is no drop reason for
//! frames, their pages go back to the allocator that lent them).
//! [`FrameBatch`] lends an array of frames (the core's, in `ndo_xdp_xmit`,
//! or an [`XdpTxBulk`]) to a ring producer, which takes a prefix of them.

use super::bindings as b;
use super::device::{Device, Driver};
use super::rcu;
use super::rtnl::Rtnl;
use super::skb::SkBuff;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

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

impl XdpSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            prog: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The attached program, for the RCU read section `_guard` proves
    /// (rcu_dereference).
    #[inline]
    pub(crate) fn get<'g>(&self, _guard: &'g rcu::Guard) -> Option<XdpProgRef<'g>> {
        // Acquire (rcu_dereference): see the program the writer published.
        let p = NonNull::new(self.prog.load(Ordering::Acquire))?;
        // INVARIANT: the slot held a reference when we loaded it; the BPF
        // core frees a put program only after a grace period, which
        // cannot end while `_guard` lives.
        Some(XdpProgRef {
            ptr: p,
            _guard: PhantomData,
        })
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

/// A program read from an [`XdpSlot`], valid for one RCU read section.
///
/// # Invariants
///
/// `ptr` is a program that cannot be freed before the RCU read section of
/// the guard `'g` borrows ends.
pub(crate) struct XdpProgRef<'g> {
    ptr: NonNull<b::bpf_prog>,
    _guard: PhantomData<&'g rcu::Guard>,
}

/// `VLAN_HLEN`: the room veth allows above the MTU for a frame.
pub(crate) const VLAN_HLEN: u32 = b::rvnet_c_consts_RVNET_C_VLAN_HLEN;

/// Sets the XDP features the core reports (`xdp_features`) for a device
/// that can run programs natively and take redirected frames (`native`),
/// or clears them.
pub(crate) fn set_features<D: Driver>(dev: &Device<D>, native: bool, _rtnl: &super::rtnl::Rtnl) {
    // SAFETY: registered (or registering) device, rtnl held: the core
    // writes xdp_features and sends its notification under rtnl.
    unsafe { b::rvnet_xdp_set_features(dev.as_raw(), native) }
}

/// One owned `xdp_frame` (redirected into the pair, or sent back with
/// `XDP_TX`).
///
/// # Invariants
///
/// `0` is a valid frame whose memory this value owns. The pointer is at
/// least 2-aligned (a frame sits at the start of its buffer), so bit 0 is
/// free for the ring's tag.
pub(crate) struct XdpFrame(NonNull<b::xdp_frame>);

// SAFETY: a frame may be handed between CPUs (rings, devmaps do).
unsafe impl Send for XdpFrame {}

impl XdpFrame {
    /// Takes ownership of a raw frame.
    ///
    /// # Safety
    ///
    /// `p` is NULL or a valid frame whose ownership the caller transfers.
    pub(crate) unsafe fn from_raw(p: *mut b::xdp_frame) -> Option<Self> {
        // INVARIANT: transferred by the caller.
        NonNull::new(p).map(Self)
    }

    /// Gives up ownership; the caller takes the frame.
    pub(crate) fn into_raw(self) -> *mut b::xdp_frame {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }

    /// Length of the frame with its fragments (`xdp_get_frame_len`).
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: valid frame (invariant); reads its header.
        unsafe { b::rvnet_xdp_frame_len(self.0.as_ptr()) }
    }

    /// Gives the frame's memory back (`xdp_return_frame`). Process or
    /// softirq context, not with hard IRQs off (a page_pool may take its
    /// ring lock with BH disabled).
    #[inline]
    pub(crate) fn free(self) {
        // SAFETY: we own the frame and give it up.
        unsafe { b::xdp_return_frame(self.into_raw()) }
    }

    /// Builds an sk_buff around the frame for `dev`'s stack
    /// (`xdp_build_skb_from_frame`: protocol set by `eth_type_trans`). On
    /// failure (no memory for the skb) the frame is handed back.
    #[inline]
    pub(crate) fn into_skb<D: Driver>(self, dev: &Device<D>) -> Result<SkBuff, XdpFrame> {
        let p = self.0.as_ptr();
        // SAFETY: we own the frame; on success the skb owns its memory, on
        // failure (NULL) the frame is untouched and still ours.
        let skb = unsafe { b::xdp_build_skb_from_frame(p, dev.as_raw()) };
        // SAFETY: a new skb we own, or NULL.
        match unsafe { SkBuff::from_raw(skb) } {
            Some(skb) => {
                core::mem::forget(self);
                Ok(skb)
            }
            None => Err(self),
        }
    }
}

impl Drop for XdpFrame {
    fn drop(&mut self) {
        // Frames have no drop reasons: give the memory back, as `free`.
        // SAFETY: we own the frame.
        unsafe { b::xdp_return_frame(self.0.as_ptr()) }
    }
}

/// Frames lent to a ring producer, which takes them in order from the
/// front ([`FrameBatch::take`]); the rest stay with the lender.
///
/// # Invariants
///
/// `raw[sent..n]` are valid frames owned by the lender for `'a`; the ones
/// before `sent` were taken.
pub(crate) struct FrameBatch<'a> {
    raw: *mut *mut b::xdp_frame,
    n: usize,
    sent: usize,
    _p: PhantomData<&'a mut ()>,
}

impl<'a> FrameBatch<'a> {
    /// Lends the frames `raw[0..n]`.
    ///
    /// # Safety
    ///
    /// `raw[0..n]` are valid frames the caller owns, and it treats the
    /// first [`FrameBatch::sent`] of them as given away afterwards.
    pub(crate) unsafe fn from_raw(raw: *mut *mut b::xdp_frame, n: usize) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            raw,
            n,
            sent: 0,
            _p: PhantomData,
        }
    }

    /// The length of the next frame, if any is left.
    #[inline]
    pub(crate) fn next_len(&self) -> Option<u32> {
        if self.sent >= self.n {
            return None;
        }
        // SAFETY: `sent < n`: a valid frame (invariant).
        Some(unsafe { b::rvnet_xdp_frame_len(*self.raw.add(self.sent)) })
    }

    /// Takes the next frame (its ownership moves to the caller).
    #[inline]
    pub(crate) fn take(&mut self) -> Option<XdpFrame> {
        if self.sent >= self.n {
            return None;
        }
        // SAFETY: `sent < n`: a valid owned frame; marking it sent hands
        // it over (invariant).
        let f = unsafe { XdpFrame::from_raw(*self.raw.add(self.sent)) };
        self.sent += 1;
        f
    }

    /// How many frames were taken.
    pub(crate) fn sent(&self) -> usize {
        self.sent
    }

    /// How many frames were lent.
    pub(crate) fn len(&self) -> usize {
        self.n
    }
}

/// `VETH_XDP_TX_BULK_SIZE`.
const TX_BULK: usize = 16;

/// Frames a poll sends back with `XDP_TX`, sent in bulk (veth's
/// `veth_xdp_tx_bq`).
///
/// Every poll makes one, with or without a program, so the slots are left
/// uninitialised: zeroing them cost a `memset` call per poll (about 55
/// instructions of pktgen's 2700 a packet, one packet a poll).
///
/// # Invariants
///
/// `count <= TX_BULK` and `q[..count]` are initialised and owned frames.
pub(crate) struct XdpTxBulk {
    q: [MaybeUninit<*mut b::xdp_frame>; TX_BULK],
    count: usize,
}

impl XdpTxBulk {
    /// An empty bulk.
    #[inline]
    pub(crate) const fn new() -> Self {
        // INVARIANT: no frame yet.
        Self {
            q: [MaybeUninit::uninit(); TX_BULK],
            count: 0,
        }
    }

    /// Adds a frame (flush when [`XdpTxBulk::is_full`]); a frame pushed
    /// onto a full bulk is given back.
    #[inline]
    pub(crate) fn push(&mut self, f: XdpFrame) {
        match self.q.get_mut(self.count) {
            Some(slot) => {
                // INVARIANT: the slot at `count` is written before `count`
                // covers it.
                slot.write(f.into_raw());
                self.count += 1;
            }
            None => f.free(),
        }
    }

    /// Whether the bulk is full (veth flushes at 16).
    pub(crate) fn is_full(&self) -> bool {
        self.count >= TX_BULK
    }

    /// Whether no frame waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Lends the frames to `send` (a ring producer, which takes a prefix),
    /// frees the ones it did not take, and empties the bulk. Returns
    /// (sent, freed).
    pub(crate) fn flush(&mut self, send: impl FnOnce(&mut FrameBatch<'_>)) -> (u32, u32) {
        let n = self.count;
        self.count = 0;
        // SAFETY: q[..n] are initialised, owned frames (invariant; a
        // `MaybeUninit<T>` has `T`'s layout), lent for the call.
        let mut batch = unsafe { FrameBatch::from_raw(self.q.as_mut_ptr().cast(), n) };
        send(&mut batch);
        let sent = batch.sent();
        let mut freed = 0u32;
        while let Some(f) = batch.take() {
            f.free();
            freed += 1;
        }
        // n <= TX_BULK.
        (sent as u32, freed)
    }
}

impl Drop for XdpTxBulk {
    #[inline]
    fn drop(&mut self) {
        // Nearly every poll ends with an empty bulk: no call then.
        if !self.is_empty() {
            self.flush(|_| ());
        }
    }
}

/// What an XDP program did with an sk_buff ([`XdpRxq::run_skb`]).
pub(crate) enum SkbVerdict {
    /// `XDP_PASS`: on to the stack (possibly a copy, rebuilt).
    Pass(SkBuff),
    /// `XDP_DROP`: the driver drops it with `SKB_DROP_REASON_XDP`.
    Drop(SkBuff),
    /// `XDP_ABORTED` or an invalid action (traced): the driver drops it.
    Aborted(SkBuff),
    /// No page_pool copy could be made: the driver drops it (`NOMEM`).
    NoMem(SkBuff),
    /// `XDP_TX`: the packet, as a frame, to send back to the peer.
    Tx(XdpFrame),
    /// `XDP_TX` but no frame could be made (traced, freed).
    TxError,
    /// `XDP_REDIRECT`, handed on.
    Redirected,
    /// `XDP_REDIRECT` refused (freed).
    RedirectError,
}

/// What an XDP program did with a frame ([`XdpRxq::run_frame`]).
pub(crate) enum FrameVerdict {
    /// `XDP_PASS`: build an sk_buff from it.
    Pass(XdpFrame),
    /// `XDP_DROP`.
    Drop(XdpFrame),
    /// `XDP_ABORTED` or an invalid action (traced).
    Aborted(XdpFrame),
    /// `XDP_PASS`, but the program left no room for the frame's header.
    PassError(XdpFrame),
    /// `XDP_TX`: send it back to the peer.
    Tx(XdpFrame),
    /// `XDP_TX` but no frame could be made (traced, freed).
    TxError,
    /// `XDP_REDIRECT`, handed on.
    Redirected,
    /// `XDP_REDIRECT` refused (freed).
    RedirectError,
}

const V_PASS: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_PASS;
const V_PASS_ERR: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_PASS_ERR;
const V_DROP: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_DROP;
const V_ABORTED: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_ABORTED;
const V_NOMEM: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_NOMEM;
const V_TX: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_TX;
const V_TX_ERR: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_TX_ERR;
const V_REDIRECT: u32 = b::rvnet_xdp_verdict_RVNET_XDP_V_REDIRECT;

/// The native XDP state of one rx queue: its registered `xdp_rxq_info`
/// (memory model `MEM_TYPE_PAGE_SHARED`, as veth) and the page_pool that
/// sk_buffs are copied into when they cannot be used in place.
///
/// # Invariants
///
/// `0` came from `rvnet_xdp_rxq_create` and is destroyed only in `Drop`.
/// Its `rxq.mem` field is written by every run: runs only happen in the
/// queue's NAPI poll, of which the core runs one at a time.
pub(crate) struct XdpRxq(NonNull<b::rvnet_xdp_rxq>);

// SAFETY: the state is used by one poll at a time (invariant) and freed in
// process context from any CPU.
unsafe impl Send for XdpRxq {}
// SAFETY: shared references only reach the state through the `unsafe`
// run methods, whose callers guarantee a single poll.
unsafe impl Sync for XdpRxq {}

impl XdpRxq {
    /// Registers rx queue `index` of `dev`, polled by `napi`, with a
    /// page_pool of `pool_size` pages.
    ///
    /// # Safety
    ///
    /// `dev` is a valid device in `ndo_init` or later, `napi` its added
    /// NAPI for this queue, and the value is dropped before `dev` is freed.
    pub(crate) unsafe fn new(
        dev: *mut b::net_device,
        index: u16,
        napi: *const b::napi_struct,
        pool_size: u32,
    ) -> Result<Self> {
        let mut err: core::ffi::c_int = 0;
        // SAFETY: valid device and NAPI (caller); process context.
        let q =
            unsafe { b::rvnet_xdp_rxq_create(dev, u32::from(index), napi, pool_size, &mut err) };
        match NonNull::new(q) {
            // INVARIANT: created above.
            Some(q) => Ok(Self(q)),
            None if err < 0 => Err(Error::from_errno(err)),
            None => Err(ENOMEM),
        }
    }

    /// Runs `prog` on `skb` (received on this queue: `skb->dev` set, MAC
    /// header pulled).
    ///
    /// # Safety
    ///
    /// Called only from this queue's NAPI poll (one at a time), which is
    /// an RCU read section and has BH disabled, with the
    /// [`PollXdp::begin`] scope open.
    #[inline]
    pub(crate) unsafe fn run_skb(&self, prog: &XdpProgRef<'_>, skb: SkBuff) -> SkbVerdict {
        let mut raw = skb.into_raw();
        let mut tx: *mut b::xdp_frame = ptr::null_mut();
        let (q, p) = (self.0.as_ptr(), prog.ptr.as_ptr());
        // SAFETY: single poll (caller), the program valid for the RCU
        // section (XdpProgRef); we own `raw`, and the verdict says who
        // owns it (and `tx`) afterwards.
        let v = unsafe { b::rvnet_xdp_run_skb(q, p, &mut raw, &mut tx) };
        let v = v as u32;
        // SAFETY: for PASS, DROP, ABORTED and NOMEM `raw` is ours again
        // (possibly a copy); otherwise it was consumed and is NULL.
        let skb = unsafe { SkBuff::from_raw(raw) };
        // SAFETY: for TX `tx` is a frame we own; otherwise NULL.
        let frame = unsafe { XdpFrame::from_raw(tx) };
        match (v, skb, frame) {
            (V_PASS, Some(s), _) => SkbVerdict::Pass(s),
            (V_DROP, Some(s), _) => SkbVerdict::Drop(s),
            (V_ABORTED, Some(s), _) => SkbVerdict::Aborted(s),
            (V_NOMEM, Some(s), _) => SkbVerdict::NoMem(s),
            (V_TX, None, Some(f)) => SkbVerdict::Tx(f),
            (V_TX_ERR, None, None) => SkbVerdict::TxError,
            (V_REDIRECT, None, None) => SkbVerdict::Redirected,
            // REDIRECT_ERR, or a combination the C never returns: anything
            // still owned here goes back explicitly.
            (_, s, f) => {
                if let Some(s) = s {
                    s.drop_with(super::skb::DropReason::Xdp);
                }
                if let Some(f) = f {
                    f.free();
                }
                SkbVerdict::RedirectError
            }
        }
    }

    /// Runs `prog` on `frame` (put in this queue's ring by `ndo_xdp_xmit`
    /// or the peer's `XDP_TX`).
    ///
    /// # Safety
    ///
    /// As [`XdpRxq::run_skb`].
    #[inline]
    pub(crate) unsafe fn run_frame(&self, prog: &XdpProgRef<'_>, frame: XdpFrame) -> FrameVerdict {
        let mut raw = frame.into_raw();
        // SAFETY: as in `run_skb`; the verdict says who owns `raw`.
        let v = unsafe { b::rvnet_xdp_run_frame(self.0.as_ptr(), prog.ptr.as_ptr(), &mut raw) };
        let v = v as u32;
        // SAFETY: for PASS, PASS_ERR, DROP, ABORTED and TX `raw` is a frame
        // we own (for TX possibly moved by the program); otherwise NULL.
        let f = unsafe { XdpFrame::from_raw(raw) };
        match (v, f) {
            (V_PASS, Some(f)) => FrameVerdict::Pass(f),
            (V_PASS_ERR, Some(f)) => FrameVerdict::PassError(f),
            (V_DROP, Some(f)) => FrameVerdict::Drop(f),
            (V_ABORTED, Some(f)) => FrameVerdict::Aborted(f),
            (V_TX, Some(f)) => FrameVerdict::Tx(f),
            (V_TX_ERR, None) => FrameVerdict::TxError,
            (V_REDIRECT, None) => FrameVerdict::Redirected,
            (_, f) => {
                if let Some(f) = f {
                    f.free();
                }
                FrameVerdict::RedirectError
            }
        }
    }
}

impl Drop for XdpRxq {
    fn drop(&mut self) {
        // SAFETY: created by rvnet_xdp_rxq_create (invariant); the queue's
        // NAPI is deleted and a grace period passed (the owner drops this
        // after `netif_napi_del`), so no run uses it any more.
        unsafe { b::rvnet_xdp_rxq_destroy(self.0.as_ptr()) }
    }
}

/// The XDP scope of one NAPI poll (veth's poll): frames returned while it
/// is open are never recycled directly into a page_pool's NAPI cache (they
/// may belong to another device's pool), and a poll that redirected
/// flushes the redirect maps once, when the scope ends
/// ([`PollXdp::finish`], or drop).
pub(crate) struct PollXdp {
    redirected: bool,
    /// Ends on the task that opened it, inside the same poll.
    _not_send: PhantomData<*mut ()>,
}

impl PollXdp {
    /// Opens the scope.
    ///
    /// # Safety
    ///
    /// Called in a NAPI poll (the core set up its `bpf_net_context`), and
    /// the value is dropped before the poll returns.
    #[inline]
    pub(crate) unsafe fn begin() -> Self {
        // SAFETY: in a NAPI poll (caller): the per-task redirect info exists.
        unsafe { b::rvnet_xdp_poll_begin() };
        Self {
            redirected: false,
            _not_send: PhantomData,
        }
    }

    /// Notes that a program redirected a packet in this poll.
    #[inline]
    pub(crate) fn redirected(&mut self) {
        self.redirected = true;
    }

    /// Closes the scope: `xdp_do_flush()` if anything was redirected.
    #[inline]
    pub(crate) fn finish(self) {
        drop(self);
    }
}

impl Drop for PollXdp {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: in the same NAPI poll as `begin` (its contract).
        unsafe { b::rvnet_xdp_poll_end(self.redirected) }
    }
}

/// The CPU this code runs on (`raw_smp_processor_id`: the caller runs with
/// BH disabled, so it cannot move).
pub(crate) fn this_cpu() -> u32 {
    // SAFETY: reads the per-CPU id.
    unsafe { b::rvnet_raw_smp_processor_id() }
}

/// `XDP_XMIT_FLUSH`.
pub(crate) const XMIT_FLUSH: u32 = b::rvnet_c_consts_RVNET_C_XDP_XMIT_FLUSH;
/// Every flag `ndo_xdp_xmit` may get.
pub(crate) const XMIT_FLAGS_MASK: u32 = b::rvnet_c_consts_RVNET_C_XDP_XMIT_FLAGS_MASK;
