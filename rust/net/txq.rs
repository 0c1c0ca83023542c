// SPDX-License-Identifier: GPL-2.0

//! Transmit queues and byte queue limits (`include/linux/netdevice.h`).
//!
//! A [`TxQueue`] is one `struct netdev_queue` of a device: the qdisc layer
//! feeds it, the driver stops it when it cannot take more and wakes it when
//! space frees, and BQL (`netdev_tx_sent_queue` / `netdev_tx_completed_queue`
//! / `netdev_tx_reset_queue`) keeps the bytes in flight to the limit that
//! `dynamic_queue_limits` computes, so the packets wait in the qdisc (where
//! fq_codel can manage them) instead of in the driver's ring.
//!
//! BQL contract: the bytes completed on a queue must never exceed the bytes
//! sent on it since the last reset (the kernel BUG()s), the sending side runs
//! under the queue's tx lock, and completions of one queue never run
//! concurrently. The types carry it: only an [`XmitQueue`] (inside
//! `ndo_start_xmit`) accounts sent bytes, only a [`BqlCompleter`] (an
//! exclusive per-queue right) completes them and refuses more than is in
//! flight, and a reset takes both the tx lock and the completion right. The
//! driver keeps the accounting exact by tagging every sent packet with the
//! queue's reset generation and completing only packets of the current one.

use super::bindings as b;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::types::Opaque;

/// One transmit queue of a registered device.
///
/// # Invariants
///
/// Wraps a `netdev_queue` of a registered device; valid while the device is.
#[repr(transparent)]
pub(crate) struct TxQueue(Opaque<b::netdev_queue>);

impl TxQueue {
    /// # Safety
    ///
    /// `ptr` must be a tx queue of a device that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut b::netdev_queue) -> &'a Self {
        // SAFETY: transparent wrapper; validity per the caller.
        unsafe { &*ptr.cast() }
    }

    pub(super) fn raw(&self) -> *mut b::netdev_queue {
        self.0.get()
    }

    /// The queue's `struct dql`.
    fn dql(&self) -> *mut b::dql {
        // SAFETY: valid queue (type invariant); only the address is taken.
        unsafe { core::ptr::addr_of_mut!((*self.raw()).dql) }
    }

    /// `netdev_queue_set_dql_min_limit`: a floor under BQL's limit, in
    /// bytes (what `/sys/.../byte_queue_limits/limit_min` shows and sets;
    /// the last writer wins). DQL applies it at its next completion.
    pub(crate) fn set_bql_min_limit(&self, bytes: u32) {
        let dql = self.dql();
        // `min_limit` is a plain aligned word that dql_completed() reads and
        // the sysfs store writes without a lock, as the kernel's helper does.
        // SAFETY: `dql` is the valid queue's embedded struct dql (type invariant).
        unsafe { core::ptr::write_volatile(core::ptr::addr_of_mut!((*dql).min_limit), bytes) }
    }

    /// `netif_tx_stop_queue`: the qdisc stops dequeueing to this queue.
    #[inline]
    pub(crate) fn stop(&self) {
        // SAFETY: valid queue; an atomic bit operation.
        unsafe { b::rvnet_netif_tx_stop_queue(self.raw()) }
    }

    /// `netif_tx_start_queue`: undo a stop from the transmit path itself.
    #[inline]
    pub(crate) fn start(&self) {
        // SAFETY: valid queue; an atomic bit operation.
        unsafe { b::rvnet_netif_tx_start_queue(self.raw()) }
    }

    /// `netif_tx_wake_queue`: restart a stopped queue and reschedule its
    /// qdisc (from the consumer side).
    #[inline]
    pub(crate) fn wake(&self) {
        // SAFETY: valid queue; callable from any context.
        unsafe { b::netif_tx_wake_queue(self.raw()) }
    }

    /// `netif_tx_queue_stopped`.
    #[inline]
    pub(crate) fn is_stopped(&self) -> bool {
        // SAFETY: valid queue; `state` is a word of bits changed only by
        // atomic bit operations, read here like test_bit() does.
        let state = unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.raw()).state)) };
        state & (1 << b::rvnet_c_consts_RVNET_C_QUEUE_STATE_DRV_XOFF) != 0
    }

    /// Takes and releases the queue's tx lock (BH disabled meanwhile): a
    /// transmit that held it has finished.
    pub(super) fn lock_unlock_bh(&self) {
        // SAFETY: valid queue; process context, not holding this lock.
        unsafe {
            b::rvnet_netif_tx_lock_bh(self.raw());
            b::rvnet_netif_tx_unlock_bh(self.raw());
        }
    }

    /// `netdev_tx_reset_queue` under the queue's completion right `lock`
    /// and its tx lock (see [`super::device::Device::bql_reset`]).
    pub(super) fn reset_locked(&self, lock: &AtomicBool) {
        // Lock order: the completion right, then the tx lock. A poll holding
        // the right may transmit (a forwarded packet) and so wait for a tx
        // lock; a transmit never waits for a right. BH stay disabled while
        // the right is held, so no poll on this CPU spins on it.
        super::sync::BhOff::with(|_bh| {
            let c = BqlCompleter::acquire(self, lock);
            // SAFETY: valid queue; BH disabled, not holding its tx lock.
            unsafe { b::rvnet_netif_tx_lock_bh(self.raw()) };
            // SAFETY: with the tx lock held no transmit accounts on this
            // queue, and the right excludes completions: neither side of
            // DQL runs concurrently.
            unsafe { b::rvnet_netdev_tx_reset_queue(self.raw()) };
            // SAFETY: taken above.
            unsafe { b::rvnet_netif_tx_unlock_bh(self.raw()) };
            drop(c);
        });
    }
}

/// The queue an `ndo_start_xmit` call transmits on, with its tx lock held:
/// only such a context may account bytes to BQL.
///
/// # Invariants
///
/// Exists only inside `ndo_start_xmit` for the queue the core picked, whose
/// lock the core holds (BH disabled), for the lifetime `'a`.
pub(crate) struct XmitQueue<'a> {
    txq: &'a TxQueue,
    index: u16,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> XmitQueue<'a> {
    /// # Safety
    ///
    /// Must be called from `ndo_start_xmit` for `txq`, queue `index` of the
    /// device, with its tx lock held for `'a`.
    pub(super) unsafe fn new(txq: &'a TxQueue, index: u16) -> Self {
        // INVARIANT: per the caller.
        Self {
            txq,
            index,
            _not_send: PhantomData,
        }
    }

    /// The queue.
    #[inline]
    pub(crate) fn queue(&self) -> &'a TxQueue {
        self.txq
    }

    /// Its index (`skb_get_queue_mapping`).
    #[inline]
    pub(crate) fn index(&self) -> u16 {
        self.index
    }

    /// `__netdev_tx_sent_queue(txq, bytes, netdev_xmit_more())`: account
    /// `bytes` as in flight. Returns true when the receiver must be kicked
    /// now (end of an `xmit_more` batch, or BQL stopped the queue). One
    /// shim call reads the per-CPU `xmit_more` flag and accounts.
    #[inline]
    pub(crate) fn bql_sent(&self, bytes: u32) -> bool {
        // SAFETY: the queue's lock is held (type invariant), so no other
        // transmit accounts on it, and in ndo_start_xmit the per-CPU
        // xmit_more flag is this transmit's.
        unsafe { b::rvnet_netdev_tx_sent_queue_more(self.txq.raw(), bytes) }
    }

    /// Whether the queue has no qdisc to push back into (root `noqueue`,
    /// upstream's `qdisc_txq_has_no_queue`): the core then calls the driver
    /// directly and treats a stopped queue or `NETDEV_TX_BUSY` as an error
    /// ("Virtual device ... asks to queue packet!", the send fails with
    /// ENETDOWN), so such a queue must never be stopped.
    #[inline]
    pub(crate) fn has_no_queue(&self) -> bool {
        // Upstream's qdisc_txq_has_no_queue() (6.16) read in place: a shim
        // call per packet would cost more than the two loads (the offsets
        // are checked at load, see `layout`).
        // SAFETY: valid queue; in ndo_start_xmit (BH disabled, an RCU-BH
        // read section) the qdisc it points to is live and never NULL
        // (noop or noqueue qdiscs stand in for none).
        unsafe {
            let q = core::ptr::read_volatile(core::ptr::addr_of!((*self.txq.raw()).qdisc));
            !q.is_null() && (*q).enqueue.is_none()
        }
    }
}

/// The exclusive right to complete BQL bytes on one tx queue, held for a
/// batched completion (a ring's owed bytes); see
/// [`super::device::Device::bql_completer`]. Dropping it runs the second
/// half of `netdev_tx_completed_queue` (barrier, restart the qdisc if BQL
/// stopped it) when bytes were completed, then gives the right back.
///
/// # Invariants
///
/// `lock` is the completion right of `txq` and this object set it: no other
/// context completes on `txq` while it exists.
pub(crate) struct BqlCompleter<'a> {
    txq: &'a TxQueue,
    lock: &'a AtomicBool,
    completed: bool,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> BqlCompleter<'a> {
    /// Takes the right, spinning while another CPU holds it. The caller
    /// runs with BH disabled (holders never sleep or wait).
    #[inline]
    pub(super) fn acquire(txq: &'a TxQueue, lock: &'a AtomicBool) -> Self {
        while lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while lock.load(Ordering::Relaxed) {
                core::hint::spin_loop();
            }
        }
        // INVARIANT: we set the flag.
        Self {
            txq,
            lock,
            completed: false,
            _not_send: PhantomData,
        }
    }

    /// The DQL half of `netdev_tx_completed_queue`: `bytes` left the queue
    /// (the peer's NAPI took them from the ring) since the last call. DQL
    /// recomputes the limit from what one call completes, so callers
    /// batch: a call per packet drives the limit to about two packets
    /// (DQL's slack is the limit minus twice what one call completes), one
    /// per poll of a ring a software consumer drains in one go looks like
    /// a starved queue every time; see `driver::rx::Completion` for how
    /// rvnet batches.
    ///
    /// Refuses (returns false) bytes that were never accounted as in
    /// flight, where `dql_completed` would BUG(): the driver completes only
    /// packets sent since the last reset, so this is a driver bug caught.
    #[inline]
    pub(crate) fn completed(&mut self, bytes: u32) -> bool {
        let dql = self.txq.dql();
        // `num_completed` is only written by completers (we hold the right);
        // `num_queued` only grows between resets, which also hold it.
        // SAFETY: `dql` is the queue's embedded struct dql; `num_queued` is
        // written by the transmit side, so it is read once (READ_ONCE).
        let (queued, completed) = unsafe {
            (
                core::ptr::read_volatile(core::ptr::addr_of!((*dql).num_queued)),
                (*dql).num_completed,
            )
        };
        if bytes > queued.wrapping_sub(completed) {
            return false;
        }
        // dql_completed() directly (CONFIG_BQL is in .config.fragment): the
        // shim's wrapper was one more call per packet.
        // SAFETY: valid dql; the completion side of DQL is serialised by
        // the right we hold (type invariant), and `bytes` does not exceed
        // what is in flight (checked above).
        unsafe { b::dql_completed(dql, bytes) };
        self.completed = true;
        true
    }

    /// DQL's current limit in bytes (`/sys/.../byte_queue_limits/limit`):
    /// the transmit side stops the queue once more than this is in flight.
    #[inline]
    pub(crate) fn limit(&self) -> u32 {
        // SAFETY: `limit` is written by dql_completed() and dql_reset(),
        // both of which need the right we hold; a plain word read.
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.txq.dql()).limit)) }
    }
}

/// A cheap per-CPU nanosecond clock (`local_clock()`), for bounding how
/// long completions are held back. Readings on different CPUs may differ
/// slightly (by far less than a tick), so callers compare them with a
/// saturating difference.
#[inline]
pub(crate) fn clock_ns() -> u64 {
    // SAFETY: local_clock() may be called in any context.
    unsafe { b::local_clock() }
}

impl Drop for BqlCompleter<'_> {
    fn drop(&mut self) {
        if self.completed {
            // SAFETY: valid queue; atomic bit operations and
            // netif_schedule_queue, callable with BH disabled.
            unsafe { b::rvnet_netdev_tx_completed_wake(self.txq.raw()) }
        }
        self.lock.store(false, Ordering::Release);
    }
}
