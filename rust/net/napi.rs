// SPDX-License-Identifier: GPL-2.0

//! NAPI receive queues (`include/linux/netdevice.h`, `include/linux/ptr_ring.h`).
//!
//! An [`RxQueue`] is one NAPI context plus the bounded `ptr_ring` that feeds
//! it, holding owned sk_buffs and, tagged with bit 0 as veth's
//! `VETH_XDP_FLAG`, owned `xdp_frame`s ([`RxItem`]). The peer's transmit path is the producer
//! ([`RxQueue::produce`], under the peer's tx queue lock with BH disabled,
//! serialised by the ring's producer lock); the queue's own NAPI poll is the
//! only consumer ([`PollCtx::next`]). Tying ring and NAPI together is what
//! makes the lockless single-consumer `__ptr_ring_consume()` sound: the core
//! never runs two polls of one NAPI at a time, and the ring is only purged,
//! drained or resized with the NAPI disabled and a grace period after its
//! last poll.
//!
//! # Contexts
//!
//! - `produce`/`schedule`: any context with BH disabled (ndo_start_xmit).
//! - `poll`: softirq (or the NAPI kthread when threaded), budget honoured.
//! - `enable`/`disable`: process context under rtnl (ndo_open/ndo_stop).
//! - `xdp_enable`/`xdp_disable`: process context under rtnl (program
//!   attach and detach, ndo_open/ndo_stop); the poll uses the state they
//!   publish under its RCU read section.
//! - creation in ndo_init, destruction from priv_destructor (process context).

use super::bindings as b;
use super::device::{check, Device, Driver, InitDevice};
use super::skb::SkBuff;
use super::sync::BhOff;
use super::xdp::{FrameBatch, FrameVerdict, PollXdp, SkbVerdict, XdpFrame, XdpProgRef, XdpRxq};
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// Receive processing of one queue.
pub(crate) trait RxPoll: Sized + Send + Sync + 'static {
    /// The driver whose devices own these queues.
    type Driver: Driver;

    /// NAPI poll: take at most `budget` packets with [`PollCtx::next`], hand
    /// them on, and return how many were processed. Returning less than
    /// `budget` requires calling [`PollCtx::complete_done`] first.
    fn poll(ctx: &mut PollCtx<'_, Self>, budget: u32) -> u32;
}

/// One NAPI context and its ring.
///
/// # Invariants
///
/// `napi` is the first field (so a `napi_struct *` is a pointer to the
/// queue). `ring_ready` is true iff `ring` was initialised by `ptr_ring_init`;
/// `napi_added` is true iff `napi` is on `dev`'s NAPI list. `dev` outlives
/// the queue (queues live in the device's private data). `xdp` is NULL or
/// comes from `KBox::into_raw`, written only under rtnl (or in `drop`),
/// and freed only a grace period after it stopped being reachable.
#[repr(C)]
pub(crate) struct RxQueue<P: RxPoll> {
    napi: Opaque<b::napi_struct>,
    ring: Opaque<b::ptr_ring>,
    dev: *mut b::net_device,
    index: u16,
    ring_ready: bool,
    napi_added: AtomicBool,
    /// Between `enable` and `disable` (both under rtnl).
    enabled: AtomicBool,
    /// Set by whoever scheduled the NAPI, cleared when its poll completes:
    /// while set, producers do not touch the NAPI state at all (veth's
    /// `rx_notify_masked`). Without it every packet sent during a poll
    /// makes `napi_schedule` set `NAPI_STATE_MISSED`, and the repoll that
    /// follows often finds the ring empty and completes with zero work,
    /// which flushes every packet GRO holds (`napi_complete_done` keeps
    /// them only after real work). It also spares the sender an atomic
    /// read-modify-write of the NAPI state per packet.
    notify_masked: AtomicBool,
    /// Current ring size (slots).
    ring_size: AtomicU32,
    /// Native XDP state (rxq info, page_pool), created only while the
    /// driver wants it (a program attached to a running device, as veth):
    /// NULL, or an owned `KBox<XdpRxq>` published by `xdp_enable` and
    /// freed by `xdp_disable` (or `drop`) a grace period after it was
    /// taken down.
    xdp: AtomicPtr<XdpRxq>,
    /// RCU grace-period cookie taken right after the last `napi_disable`:
    /// the tail of a poll (the ring re-check after `napi_complete_done`)
    /// may still run until that grace period ends.
    disabled_gp: AtomicUsize,
    /// Per-queue driver data (stats, ...).
    pub(crate) data: P,
}

// SAFETY: the ring and NAPI are designed for cross-CPU use (locks, atomics);
// `P` is Send + Sync.
unsafe impl<P: RxPoll> Send for RxQueue<P> {}
// SAFETY: as above.
unsafe impl<P: RxPoll> Sync for RxQueue<P> {}

impl<P: RxPoll> RxQueue<P> {
    /// Allocates rx queue `index` of `dev` with a ring of `ring_size` slots and
    /// registers its NAPI (`netif_napi_add`). Called from `ndo_init`.
    pub(crate) fn new(
        dev: &InitDevice<'_>,
        index: u16,
        ring_size: u32,
        data: P,
    ) -> Result<Pin<KBox<Self>>> {
        let size = i32::try_from(ring_size).map_err(|_| EINVAL)?;
        let mut q = KBox::pin(
            Self {
                // SAFETY: all-zero is the state netif_napi_add() expects.
                napi: Opaque::new(unsafe { core::mem::zeroed() }),
                // SAFETY: plain data; initialised by ptr_ring_init below.
                ring: Opaque::new(unsafe { core::mem::zeroed() }),
                dev: dev.as_raw(),
                index,
                ring_ready: false,
                napi_added: AtomicBool::new(false),
                enabled: AtomicBool::new(false),
                notify_masked: AtomicBool::new(false),
                ring_size: AtomicU32::new(ring_size),
                disabled_gp: AtomicUsize::new(0),
                xdp: AtomicPtr::new(ptr::null_mut()),
                data,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: we only set flags; nothing is moved out of the pinned box.
        let qm = unsafe { q.as_mut().get_unchecked_mut() };
        // SAFETY: the ring is zeroed, pinned, and not shared yet.
        check(unsafe {
            b::rvnet_ptr_ring_init(qm.ring.get(), size, kernel::bindings::GFP_KERNEL)
        })?;
        // INVARIANT: the ring is initialised.
        qm.ring_ready = true;
        // SAFETY: `dev` is valid (in ndo_init), the napi is zeroed and pinned
        // for as long as it is on the list (deleted in `drop`).
        unsafe {
            b::rvnet_netif_napi_add(dev.as_raw(), qm.napi.get(), Some(Self::poll_trampoline))
        };
        // INVARIANT: the napi is on the device's list.
        qm.napi_added.store(true, Ordering::Relaxed);
        Ok(q)
    }

    /// Creates and publishes the queue's native XDP state (`xdp_rxq_info`
    /// registered with its memory model, a page_pool of the ring's size)
    /// unless it exists: before a program becomes visible to the poll, as
    /// veth's `veth_enable_xdp` (and its page_pool at NAPI enable).
    pub(crate) fn xdp_enable(&self, _rtnl: &super::rtnl::Rtnl) -> Result {
        if !self.xdp.load(Ordering::Relaxed).is_null() {
            return Ok(());
        }
        if !self.napi_added.load(Ordering::Relaxed) {
            return Err(ENODEV);
        }
        // The napi is on its list (checked above; deleted only at
        // unregistration, after the last close).
        // SAFETY: `dev` outlives the queue and the napi is added (above); the
        // state is freed by `xdp_disable` or `drop`, before the device.
        let x = unsafe { XdpRxq::new(self.dev, self.index, self.napi.get(), self.ring_size())? };
        let x = KBox::new(x, GFP_KERNEL)?;
        // INVARIANT: from KBox::into_raw, under rtnl. Release: a poll that
        // loads the pointer sees the state fully built; the driver
        // publishes its program after this.
        self.xdp.store(KBox::into_raw(x), Ordering::Release);
        Ok(())
    }

    /// Takes the queue's native XDP state down (program detach, close):
    /// unpublishes it, waits for a grace period, by the end of which no
    /// poll that saw it still runs, and frees it (`xdp_rxq_info_unreg`,
    /// `page_pool_destroy`: pages still out in sk_buffs are released to
    /// the page allocator as they come back, after the pool is gone). The
    /// driver unpublishes its program first. Costs nothing without state.
    pub(crate) fn xdp_disable(&self, rtnl: &super::rtnl::Rtnl) {
        let x = self.xdp.swap(ptr::null_mut(), Ordering::AcqRel);
        if x.is_null() {
            return;
        }
        super::rcu::synchronize_net(rtnl);
        // SAFETY: from KBox::into_raw (invariant), no longer reachable
        // from the queue, and every poll that could have loaded it ran in
        // an RCU read section (BH off) that the grace period above ended.
        drop(unsafe { KBox::from_raw(x) });
    }

    /// Whether the queue has native XDP state (rtnl: a snapshot).
    pub(crate) fn xdp_enabled(&self) -> bool {
        !self.xdp.load(Ordering::Relaxed).is_null()
    }

    /// Takes the NAPI off the device (`__netif_napi_del`) during
    /// unregistration; the core's grace period after `ndo_uninit` then covers
    /// the free in `drop`.
    pub(crate) fn del_napi(&self, _token: &super::device::Uninit) {
        if self.napi_added.swap(false, Ordering::Relaxed) {
            // SAFETY: the napi is on the list and disabled (the device was
            // closed before unregistration).
            unsafe { b::__netif_napi_del(self.napi.get()) };
        }
    }

    /// The queue index.
    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// Puts a packet in the ring if there is room. `prepare` runs under the
    /// producer lock once a free slot is certain, so that the skb is only
    /// changed for the peer (and whatever `prepare` accounts, BQL bytes in
    /// flight, is only recorded) when it really goes in, and before the
    /// consumer can see it; `prepare` may use the skb up instead (`None`).
    /// A full ring hands the skb back untouched.
    ///
    /// `__ptr_ring_produce()` and `__ptr_ring_full()` of
    /// `include/linux/ptr_ring.h` (6.12) are written out here: a call into
    /// the C shim per step cost more than the steps (every call and return
    /// ends a translation block under TCG, see `bench/run --profile`).
    #[inline]
    pub(crate) fn produce_with(
        &self,
        skb: SkBuff,
        prepare: impl FnOnce(SkBuff) -> Option<SkBuff>,
    ) -> Produced {
        let r = self.ring.get();
        // SAFETY: the ring is initialised; callers run with BH disabled
        // (transmit), the only context that takes the producer lock besides
        // ptr_ring_resize (which disables IRQs).
        unsafe { b::rvnet_ptr_ring_producer_lock(r) };
        // SAFETY: the producer lock is held, so `producer`, `size` and
        // `queue` are stable (only producers and ptr_ring_resize, which takes
        // this lock, change them) and `producer < size` indexes `queue`.
        let res = unsafe {
            let size = (*r).size;
            let producer = (*r).producer;
            let queue = (*r).queue;
            let slot = queue.add(producer as usize);
            if size <= 0 || !ptr::read_volatile(slot).is_null() {
                Produced::Full(skb)
            } else if let Some(skb) = prepare(skb) {
                // smp_wmb(): the skb's contents before the pointer (pairs
                // with the dependency ordering in __ptr_ring_consume).
                fence(Ordering::Release);
                ptr::write_volatile(slot, skb.into_raw().cast());
                // producer < size <= i32::MAX: cannot overflow.
                let next = producer.wrapping_add(1);
                let next = if next >= size { 0 } else { next };
                ptr::write_volatile(ptr::addr_of_mut!((*r).producer), next);
                Produced::Queued {
                    full: !ptr::read_volatile(queue.add(next as usize)).is_null(),
                }
            } else {
                Produced::Consumed
            }
        };
        // SAFETY: taken above.
        unsafe { b::rvnet_ptr_ring_producer_unlock(r) };
        res
    }

    /// Puts frames in the ring (`ndo_xdp_xmit`, a peer's `XDP_TX`), in
    /// order, while there is a free slot and each frame is at most
    /// `max_len` bytes; the frames it does not take stay in `frames`.
    /// Returns how many it took. Any context with BH disabled.
    pub(crate) fn produce_frames(&self, frames: &mut FrameBatch<'_>, max_len: u32) -> u32 {
        let r = self.ring.get();
        let mut n = 0u32;
        // SAFETY: as in `produce_with`.
        unsafe { b::rvnet_ptr_ring_producer_lock(r) };
        while let Some(len) = frames.next_len() {
            if len > max_len {
                break;
            }
            // SAFETY: the producer lock is held (see `produce_with`).
            let free = unsafe {
                let size = (*r).size;
                size > 0 && ptr::read_volatile((*r).queue.add((*r).producer as usize)).is_null()
            };
            if !free {
                break;
            }
            let Some(frame) = frames.take() else { break };
            let tagged = (frame.into_raw() as usize | XDP_TAG) as *mut core::ffi::c_void;
            // SAFETY: producer lock held, the slot is free; the ring owns
            // the frame from here (the consumer strips the tag).
            unsafe {
                let size = (*r).size;
                let producer = (*r).producer;
                // smp_wmb(): the frame before the pointer.
                fence(Ordering::Release);
                ptr::write_volatile((*r).queue.add(producer as usize), tagged);
                let next = producer.wrapping_add(1);
                let next = if next >= size { 0 } else { next };
                ptr::write_volatile(ptr::addr_of_mut!((*r).producer), next);
            }
            // n < the ring's size: no overflow.
            n = n.wrapping_add(1);
        }
        // SAFETY: taken above.
        unsafe { b::rvnet_ptr_ring_producer_unlock(r) };
        n
    }

    /// Whether the ring has no free slot (`ptr_ring_full`, under the
    /// producer lock: the ring's array may be replaced by a resize).
    pub(crate) fn is_full(&self) -> bool {
        // SAFETY: the ring is initialised; the caller context is the same as
        // for `produce_with`.
        unsafe { b::rvnet_ptr_ring_full_bh(self.ring.get()) }
    }

    /// Current ring size in slots.
    pub(crate) fn ring_size(&self) -> u32 {
        self.ring_size.load(Ordering::Relaxed)
    }

    /// Resizes the ring (`ptr_ring_resize`), keeping the oldest queued
    /// packets that fit; the rest are handed to `purged` afterwards, in
    /// process context with IRQs on (`ptr_ring_resize` runs its destructor
    /// under the producer lock with IRQs off, so there they are only
    /// collected). The NAPI is disabled and a grace period passes before
    /// the old array is freed, so the tail of a poll never reads it.
    pub(crate) fn resize(
        &self,
        size: u32,
        rtnl: &super::rtnl::Rtnl,
        mut purged: impl FnMut(RxItem),
    ) -> Result {
        let isize = i32::try_from(size).map_err(|_| EINVAL)?;
        // Frames cannot be linked like skbs: the destructor stores them
        // here. The ring holds at most its current size of them.
        let mut frames: KVec<*mut core::ffi::c_void> =
            KVec::with_capacity(self.ring_size() as usize, GFP_KERNEL)?;
        PURGED_FRAMES.store(frames.as_mut_ptr(), Ordering::Relaxed);
        PURGED_FRAMES_CAP.store(frames.capacity(), Ordering::Relaxed);
        PURGED_FRAMES_LEN.store(0, Ordering::Relaxed);
        let was_enabled = self.enabled.load(Ordering::Relaxed);
        if was_enabled {
            self.disable(rtnl);
        }
        self.wait_quiesced(rtnl);
        // rtnl (the token) serialises every user of PURGED.
        // SAFETY: the consumer (this NAPI) is disabled and its last poll has
        // returned (grace period above); producers take the producer lock,
        // which ptr_ring_resize also takes.
        let ret = unsafe {
            b::rvnet_ptr_ring_resize(
                self.ring.get(),
                isize,
                kernel::bindings::GFP_KERNEL,
                Some(collect_skb),
            )
        };
        if ret == 0 {
            self.ring_size.store(size, Ordering::Relaxed);
        }
        if was_enabled {
            self.enable(rtnl);
            self.kick();
        }
        let n = PURGED_FRAMES_LEN.swap(0, Ordering::Relaxed);
        PURGED_FRAMES.store(ptr::null_mut(), Ordering::Relaxed);
        PURGED_FRAMES_CAP.store(0, Ordering::Relaxed);
        // SAFETY: rtnl held (as above); the list holds the owned skbs the
        // resize took out of the ring.
        unsafe { take_purged(&mut purged) };
        for i in 0..n.min(frames.capacity()) {
            // SAFETY: the destructor wrote entries 0..n (n <= capacity),
            // each an owned frame taken out of the ring.
            let f = unsafe { XdpFrame::from_raw(*frames.as_mut_ptr().add(i) as *mut b::xdp_frame) };
            if let Some(f) = f {
                purged(RxItem::Frame(f));
            }
        }
        drop(frames);
        check(ret)
    }

    /// Takes every packet out of the ring of a disabled queue (`ndo_stop`:
    /// veth frees what its rings hold on close) and hands each to `f`,
    /// with BH disabled.
    /// Does nothing while the NAPI is enabled: then its poll is the
    /// ring's only consumer.
    pub(crate) fn drain(&self, rtnl: &super::rtnl::Rtnl, mut f: impl FnMut(RxItem, &BhOff)) {
        if self.enabled.load(Ordering::Relaxed) {
            return;
        }
        self.wait_quiesced(rtnl);
        // Process context: the proof is taken for real.
        BhOff::with(|bh| {
            let mut ctx = PollCtx {
                q: self,
                bh,
                _p: PhantomData,
            };
            // The NAPI is disabled (rtnl serialises enable/disable) and its
            // last poll has returned: this is the ring's only consumer.
            while let Some(item) = ctx.next() {
                f(item, bh);
            }
        });
    }

    /// Waits, if it has not passed yet, for the grace period that follows
    /// the last `napi_disable`: a poll that completed just before it may
    /// still be re-checking the ring (`complete_done`).
    fn wait_quiesced(&self, rtnl: &super::rtnl::Rtnl) {
        let cookie = self.disabled_gp.load(Ordering::Relaxed);
        // SAFETY: a cookie from get_state_synchronize_rcu(); polling it is
        // a read of RCU's state.
        if !unsafe { b::rvnet_poll_state_synchronize_rcu(cookie as kernel::ffi::c_ulong) } {
            super::rcu::synchronize_net(rtnl);
        }
    }

    /// Whether the ring is empty (`__ptr_ring_empty`, a lockless peek).
    /// For the consumer (the poll) only: a resize replaces the ring's
    /// array with the NAPI disabled and waits for the poll to return.
    #[inline]
    fn is_empty(&self) -> bool {
        let r = self.ring.get();
        // SAFETY: the ring is initialised and its array is not being
        // replaced (see above); `consumer_head < size` when size > 0.
        unsafe {
            if ptr::read_volatile(ptr::addr_of!((*r).size)) <= 0 {
                return true;
            }
            let head = ptr::read_volatile(ptr::addr_of!((*r).consumer_head));
            ptr::read_volatile((*r).queue.add(head as usize)).is_null()
        }
    }

    /// Makes sure the NAPI will poll the ring after a produce: schedules it
    /// unless a poll is already scheduled or running, which then sees the
    /// packet (it rechecks the ring after it completes, see
    /// [`PollCtx::complete_done`]). Any context with BH disabled.
    #[inline(always)]
    pub(crate) fn kick(&self) {
        // Order the produce before the read of the mask; pairs with the
        // barrier between clearing the mask and rechecking the ring in
        // `complete_done` (one of the two sides sees the other).
        core::sync::atomic::fence(Ordering::SeqCst);
        if self.notify_masked.load(Ordering::Relaxed) {
            return;
        }
        self.schedule_masked();
    }

    /// `napi_schedule_prep` + `__napi_schedule`, setting the mask when this
    /// call is the one that scheduled the poll.
    #[inline]
    fn schedule_masked(&self) {
        // SAFETY: the napi is on its device's list (INVARIANT napi_added);
        // napi_schedule_prep is an atomic test-and-set of the NAPI state,
        // safe in any context, and false while the NAPI is disabled.
        if unsafe { b::napi_schedule_prep(self.napi.get()) } {
            self.notify_masked.store(true, Ordering::Relaxed);
            // SAFETY: napi_schedule_prep() returned true, so this call owns
            // the scheduling of the poll (the contract of __napi_schedule).
            unsafe { b::__napi_schedule(self.napi.get()) };
        }
    }

    /// `napi_enable`, from ndo_open.
    pub(crate) fn enable(&self, _rtnl: &super::rtnl::Rtnl) {
        if self.enabled.swap(true, Ordering::Relaxed) {
            return;
        }
        // A poll that was cut short by napi_disable() left the mask set.
        self.notify_masked.store(false, Ordering::Relaxed);
        // SAFETY: added, disabled napi; rtnl serialises enable/disable.
        unsafe { b::napi_enable(self.napi.get()) }
    }

    /// `napi_disable`, from ndo_stop; waits for a running poll to finish.
    pub(crate) fn disable(&self, _rtnl: &super::rtnl::Rtnl) {
        if !self.enabled.swap(false, Ordering::Relaxed) {
            // napi_disable() on a disabled NAPI would wait forever.
            return;
        }
        // SAFETY: enabled napi (tracked above under rtnl); process context.
        unsafe { b::napi_disable(self.napi.get()) };
        // SAFETY: reads RCU's grace-period state.
        let cookie = unsafe { b::rvnet_get_state_synchronize_rcu() };
        self.disabled_gp.store(cookie as usize, Ordering::Relaxed);
    }

    /// NAPI poll trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core's NAPI machinery with the `napi_struct` that `new`
    /// registered, which is the first field of a live `RxQueue<P>`.
    unsafe extern "C" fn poll_trampoline(
        napi: *mut b::napi_struct,
        budget: core::ffi::c_int,
    ) -> core::ffi::c_int {
        // SAFETY: `napi` is the first field of a live `RxQueue<P>` (repr(C));
        // the queue outlives its NAPI registration.
        let q = unsafe { &*napi.cast::<RxQueue<P>>() };
        // SAFETY: NAPI polls run with BH disabled (net_rx_action, or the
        // NAPI thread under local_bh_disable), until this call returns.
        let bh = unsafe { BhOff::assume() };
        let mut ctx = PollCtx {
            q,
            bh: &bh,
            _p: PhantomData,
        };
        let budget = u32::try_from(budget).unwrap_or(0);
        let done = P::poll(&mut ctx, budget).min(budget);
        // `done <= budget <= i32::MAX`.
        done as core::ffi::c_int
    }
}

impl<P: RxPoll> Drop for RxQueue<P> {
    fn drop(&mut self) {
        if self.napi_added.load(Ordering::Relaxed) {
            // netif_napi_del() is __netif_napi_del() + synchronize_net(),
            // after which no poll can reference this memory.
            // SAFETY: the napi is on the list and disabled (the device is
            // closed before its private data is dropped).
            unsafe {
                b::__netif_napi_del(self.napi.get());
                b::synchronize_net();
            }
        }
        let x = *self.xdp.get_mut();
        if !x.is_null() {
            // SAFETY: from KBox::into_raw (invariant); the napi is deleted
            // and a grace period passed, so no poll uses it.
            drop(unsafe { KBox::from_raw(x) });
        }
        if self.ring_ready {
            // Leftover skbs are dropped with SKB_DROP_REASON_QUEUE_PURGE.
            // SAFETY: no producer can reach the ring (peer link cleared, a
            // grace period passed); the consumer NAPI is deleted.
            unsafe { b::rvnet_ptr_ring_cleanup(self.ring.get(), Some(purge_skb)) }
        }
    }
}

/// The skbs a `ptr_ring_resize` took out of a ring, linked by `skb->next`
/// (newest first). Only touched under rtnl ([`RxQueue::resize`]).
static PURGED: AtomicPtr<b::sk_buff> = AtomicPtr::new(ptr::null_mut());

/// `ptr_ring_resize()` destructor: runs under the producer lock with IRQs
/// off, so it only links the skb into [`PURGED`] (a frame into
/// [`PURGED_FRAMES`]).
///
/// # Safety
///
/// `ptr` must be an owned sk_buff taken out of the ring, with rtnl held.
unsafe extern "C" fn collect_skb(ptr: *mut core::ffi::c_void) {
    if ptr as usize & XDP_TAG != 0 {
        // A frame cannot be returned with IRQs off (a page_pool takes its
        // ring lock with BH disabled): keep it in the buffer `resize`
        // allocated for the ring's size, which no ring holds more than.
        let i = PURGED_FRAMES_LEN.load(Ordering::Relaxed);
        let buf = PURGED_FRAMES.load(Ordering::Relaxed);
        if i < PURGED_FRAMES_CAP.load(Ordering::Relaxed) && !buf.is_null() {
            // SAFETY: `i` < the buffer's capacity; rtnl serialises it.
            unsafe { *buf.add(i) = (ptr as usize & !XDP_TAG) as *mut core::ffi::c_void };
            PURGED_FRAMES_LEN.store(i + 1, Ordering::Relaxed);
        }
        return;
    }
    let skb = ptr.cast::<b::sk_buff>();
    // SAFETY: an owned skb (not on any list while in the ring); rtnl
    // serialises PURGED.
    unsafe { b::rvnet_skb_set_next(skb, PURGED.load(Ordering::Relaxed)) };
    PURGED.store(skb, Ordering::Relaxed);
}

/// The frames a `ptr_ring_resize` took out of a ring ([`RxQueue::resize`]
/// allocates the buffer for the ring's size first; rtnl serialises it).
static PURGED_FRAMES: AtomicPtr<*mut core::ffi::c_void> = AtomicPtr::new(ptr::null_mut());
/// Capacity of [`PURGED_FRAMES`].
static PURGED_FRAMES_CAP: AtomicUsize = AtomicUsize::new(0);
/// Entries written into [`PURGED_FRAMES`].
static PURGED_FRAMES_LEN: AtomicUsize = AtomicUsize::new(0);

/// Bit 0 of a ring entry: an `xdp_frame`, not an sk_buff (veth's
/// `VETH_XDP_FLAG`; both are at least 8-aligned).
const XDP_TAG: usize = 1;

/// Hands every skb of [`PURGED`] to `f`, oldest first.
///
/// # Safety
///
/// rtnl must be held; the list holds owned skbs.
unsafe fn take_purged(f: &mut impl FnMut(RxItem)) {
    // Reverse the list: the destructor linked the newest first.
    let mut p = PURGED.swap(ptr::null_mut(), Ordering::Relaxed);
    let mut oldest_first = ptr::null_mut();
    while !p.is_null() {
        // SAFETY: `p` is an owned skb of the list.
        let next = unsafe { b::rvnet_skb_next(p) };
        // SAFETY: as above.
        unsafe { b::rvnet_skb_set_next(p, oldest_first) };
        oldest_first = p;
        p = next;
    }
    while !oldest_first.is_null() {
        let p = oldest_first;
        // SAFETY: an owned skb of the list; unlinked before it is handed on.
        unsafe {
            oldest_first = b::rvnet_skb_next(p);
            b::rvnet_skb_set_next(p, ptr::null_mut());
        }
        // SAFETY: we own it (taken out of the ring by the resize).
        if let Some(skb) = unsafe { SkBuff::from_raw(p) } {
            f(RxItem::Skb(skb));
        }
    }
}

/// `ptr_ring_cleanup()` destructor for the entries left in a ring.
///
/// # Safety
///
/// `ptr` must be an entry taken out of the ring (an owned sk_buff or a
/// tagged owned frame), in process context.
unsafe extern "C" fn purge_skb(ptr: *mut core::ffi::c_void) {
    // SAFETY: the ring only holds owned skbs and tagged owned frames put
    // there by the producers; ring cleanup runs in process context.
    match unsafe { RxItem::from_ring(ptr) } {
        Some(RxItem::Skb(skb)) => skb.drop_with(super::skb::DropReason::QueuePurge),
        Some(RxItem::Frame(f)) => f.free(),
        None => {}
    }
}

/// One entry of a ring.
pub(crate) enum RxItem {
    /// From the peer's transmit.
    Skb(SkBuff),
    /// From `ndo_xdp_xmit` or the peer's `XDP_TX`.
    Frame(XdpFrame),
}

impl RxItem {
    /// Decodes a ring entry.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or an entry taken out of a ring: an owned sk_buff, or
    /// an owned frame tagged with [`XDP_TAG`]; ownership passes to the
    /// result.
    #[inline]
    unsafe fn from_ring(ptr: *mut core::ffi::c_void) -> Option<Self> {
        let p = ptr as usize;
        if p & XDP_TAG != 0 {
            // SAFETY: a tagged entry is an owned frame (caller).
            unsafe { XdpFrame::from_raw((p & !XDP_TAG) as *mut b::xdp_frame) }.map(Self::Frame)
        } else {
            // SAFETY: an untagged entry is an owned skb (caller).
            unsafe { SkBuff::from_raw(ptr.cast()) }.map(Self::Skb)
        }
    }
}

/// What [`RxQueue::produce_with`] did with a packet.
pub(crate) enum Produced {
    /// In the ring; `full` if that took its last free slot.
    Queued {
        /// No free slot left.
        full: bool,
    },
    /// The ring was full: the skb, untouched.
    Full(SkBuff),
    /// `prepare` used the skb up.
    Consumed,
}

/// The context of one NAPI poll of one queue.
///
/// Only exists inside `poll`, so holding one proves that this CPU is the
/// queue's single consumer.
pub(crate) struct PollCtx<'a, P: RxPoll> {
    q: &'a RxQueue<P>,
    bh: &'a BhOff,
    _p: PhantomData<*mut ()>,
}

impl<'a, P: RxPoll> PollCtx<'a, P> {
    /// The queue being polled.
    pub(crate) fn queue(&self) -> &'a RxQueue<P> {
        self.q
    }

    /// Proof that BH are disabled (polls run in softirq context).
    #[inline]
    pub(crate) fn bh(&self) -> &'a BhOff {
        self.bh
    }

    /// The device that owns the queue.
    pub(crate) fn device(&self) -> &'a Device<P::Driver> {
        // SAFETY: the queue lives in the private data of its (registered,
        // initialised) device, so the device outlives the poll.
        unsafe { Device::from_raw(self.q.dev) }
    }

    /// Takes the next packet from the ring.
    ///
    /// `__ptr_ring_consume()` of `include/linux/ptr_ring.h` (6.12) written
    /// out, as [`RxQueue::produce_with`] does for the producer side: a peek,
    /// then the slot is given back to producers, in batches (`r->batch`) so
    /// that the consumer does not write the cache line the producer reads
    /// for every packet.
    #[inline]
    pub(crate) fn next(&mut self) -> Option<RxItem> {
        let r = self.q.ring.get();
        // Single consumer (see the type docs): the consumer fields are ours;
        // `size` and `queue` change only in a resize, with this NAPI disabled.
        // SAFETY: indices stay below `size`; the ring holds owned skbs.
        unsafe {
            let size = (*r).size;
            if size <= 0 {
                return None;
            }
            let queue = (*r).queue;
            let head = (*r).consumer_head;
            // READ_ONCE: pairs with the producer's smp_wmb().
            let ptr = ptr::read_volatile(queue.add(head as usize));
            if ptr.is_null() {
                return None;
            }
            // 0 <= tail <= head < size <= i32::MAX: no arithmetic here can
            // overflow, so it is written wrapping (no overflow check, and
            // no panic path, on the hot path).
            let mut next = head.wrapping_add(1);
            let tail = (*r).consumer_tail;
            if next.wrapping_sub(tail) >= (*r).batch || next >= size {
                // Zero the taken slots in reverse: the slot a waiting
                // producer reads is written last, so it touches no other
                // cache line until all are written out.
                let mut i = head;
                while i >= tail {
                    ptr::write_volatile(queue.add(i as usize), ptr::null_mut());
                    i = i.wrapping_sub(1);
                }
                (*r).consumer_tail = next;
            }
            if next >= size {
                next = 0;
                (*r).consumer_tail = 0;
            }
            // WRITE_ONCE: lockless is_empty() readers.
            ptr::write_volatile(ptr::addr_of_mut!((*r).consumer_head), next);
            RxItem::from_ring(ptr)
        }
    }

    /// Opens the XDP scope of this poll (see [`PollXdp`]); the driver
    /// calls [`PollXdp::finish`] before it returns.
    #[inline]
    pub(crate) fn xdp_begin(&mut self) -> PollXdp {
        // SAFETY: a PollCtx handed to `RxPoll::poll` exists only inside
        // the NAPI poll trampoline (the drain's own context never reaches
        // the driver's poll).
        unsafe { PollXdp::begin() }
    }

    /// The queue's native XDP state, if published: for this poll.
    #[inline]
    fn xdp_state(&self) -> Option<&XdpRxq> {
        // Acquire: pairs with the release in `xdp_enable`.
        let x = self.q.xdp.load(Ordering::Acquire);
        // SAFETY: NULL or a live KBox (invariant); polls run with BH off,
        // an RCU read section, and `xdp_disable` frees the state only a
        // grace period after unpublishing it: it outlives this poll.
        unsafe { x.as_ref() }
    }

    /// Runs `prog` on an sk_buff of this queue (see [`XdpRxq::run_skb`]).
    /// Without XDP state (only while a detach takes it down after
    /// unpublishing the program) the packet passes as if no program ran.
    #[inline]
    pub(crate) fn xdp_run_skb(
        &mut self,
        _scope: &PollXdp,
        prog: &XdpProgRef<'_>,
        skb: SkBuff,
    ) -> SkbVerdict {
        match self.xdp_state() {
            // SAFETY: this is the queue's NAPI poll (the only place a
            // PollXdp exists), an RCU read section with BH off.
            Some(x) => unsafe { x.run_skb(prog, skb) },
            None => SkbVerdict::Pass(skb),
        }
    }

    /// Runs `prog` on a frame of this queue (see [`XdpRxq::run_frame`]).
    #[inline]
    pub(crate) fn xdp_run_frame(
        &mut self,
        _scope: &PollXdp,
        prog: &XdpProgRef<'_>,
        frame: XdpFrame,
    ) -> FrameVerdict {
        match self.xdp_state() {
            // SAFETY: as in `xdp_run_skb`.
            Some(x) => unsafe { x.run_frame(prog, frame) },
            None => FrameVerdict::Pass(frame),
        }
    }

    /// Hands a packet to GRO and the stack (`napi_gro_receive`).
    #[inline]
    pub(crate) fn gro_receive(&mut self, skb: SkBuff) {
        // SAFETY: in NAPI context of this napi; the stack takes ownership.
        unsafe { b::napi_gro_receive(self.q.napi.get(), skb.into_raw()) };
    }

    /// Whether GRO holds packets of this NAPI for merging (any bit of
    /// `gro_bitmask`: a hash bucket with packets that a flush would hand
    /// to the stack). The packets on the normal list do not count.
    #[inline]
    pub(crate) fn gro_holds(&self) -> bool {
        // `gro_bitmask` is written only by GRO and its flushes in this
        // napi's own poll context, where a PollCtx exists (NAPI_STATE_SCHED).
        // SAFETY: the napi outlives its queue's polls; no writer races.
        unsafe { (*self.q.napi.get()).gro_bitmask != 0 }
    }

    /// Hands GRO's normal list (the packets GRO did not hold, kept for a
    /// list receive of `gro_normal_batch`) to the stack now, as the core's
    /// `gro_normal_list()` does at a batch's end or a poll's completion.
    /// Returns whether the list held packets.
    #[inline]
    pub(crate) fn gro_normal_flush(&mut self) -> bool {
        let n = self.q.napi.get();
        // `gro_normal_list()` (include/net/gro.h) with the exported
        // `netif_receive_skb_list`, which takes every skb of the list; a
        // PollCtx exists only in this napi's poll, with BH off.
        // SAFETY: the napi outlives its polls; only this poll touches rx_list.
        unsafe {
            if (*n).rx_count == 0 {
                return false;
            }
            let l = core::ptr::addr_of_mut!((*n).rx_list);
            b::netif_receive_skb_list(l);
            (*l).next = l;
            (*l).prev = l;
            (*n).rx_count = 0;
        }
        true
    }

    /// Hands a packet to the stack without GRO (`netif_receive_skb`): when
    /// GRO is off, `napi_gro_receive` would only queue it on the NAPI's
    /// list for a list receive at completion, which costs more than a
    /// direct receive when a poll finds a packet or two (veth without GRO
    /// receives through the backlog, one packet at a time, too).
    #[inline]
    pub(crate) fn receive(&mut self, skb: SkBuff) {
        // SAFETY: in NAPI (softirq) context with BH disabled; the stack
        // takes ownership.
        unsafe { b::netif_receive_skb(skb.into_raw()) };
    }

    /// `napi_complete_done`: ends polling. Returns false if the NAPI must
    /// keep polling (it was rescheduled meanwhile). When it ended, producers
    /// may kick the NAPI again, and a packet produced while they could not
    /// (the mask was still set) is picked up by rescheduling here.
    #[inline]
    pub(crate) fn complete_done(&mut self, done: u32) -> bool {
        // SAFETY: called from this napi's poll with `done < budget`.
        let completed =
            unsafe { b::napi_complete_done(self.q.napi.get(), done as core::ffi::c_int) };
        if completed {
            self.q.notify_masked.store(false, Ordering::Relaxed);
            // Clear the mask before reading the ring; pairs with `kick`.
            core::sync::atomic::fence(Ordering::SeqCst);
            if !self.q.is_empty() {
                self.q.schedule_masked();
            }
        }
        completed
    }
}
