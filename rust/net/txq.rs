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
//! sent on it since the last reset (the kernel BUG()s). The driver keeps it by
//! tagging every sent packet with the queue's reset generation and completing
//! only packets of the current generation.

use super::bindings as b;
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

    /// `__netdev_tx_sent_queue(txq, bytes, netdev_xmit_more())`: account
    /// `bytes` as in flight. Returns true when the receiver must be kicked
    /// now (end of an `xmit_more` batch, or BQL stopped the queue). One
    /// shim call reads the per-CPU `xmit_more` flag and accounts.
    ///
    /// Called from `ndo_start_xmit` with this queue's lock held.
    #[inline]
    pub(crate) fn bql_sent(&self, bytes: u32) -> bool {
        // SAFETY: valid queue; the caller holds the queue lock (transmit),
        // and in ndo_start_xmit the per-CPU xmit_more flag is this
        // transmit's.
        unsafe { b::rvnet_netdev_tx_sent_queue_more(self.raw(), bytes) }
    }

    /// The DQL half of `netdev_tx_completed_queue`: one packet of `bytes`
    /// left the queue (the peer's NAPI took it from the ring). Completing
    /// packet by packet lets DQL see the ring drain at the consumer's pace;
    /// a whole poll completed at once looks like a queue that ran dry, and
    /// DQL raises the limit for it until the ring bounds it. Must not exceed
    /// what was sent since the last [`TxQueue::bql_reset`] (see the module
    /// docs); completions of one queue must not run concurrently. Follow a
    /// run of these with [`TxQueue::bql_completed_wake`].
    #[inline]
    pub(crate) fn bql_completed_one(&self, bytes: u32) {
        // dql_completed() directly (CONFIG_BQL is in .config.fragment): the
        // shim's wrapper was one more call per packet.
        // SAFETY: valid queue, so `dql` is its embedded struct dql; DQL
        // accounting is plain arithmetic under the caller's serialisation
        // (one NAPI completes a given queue).
        unsafe { b::dql_completed(core::ptr::addr_of_mut!((*self.raw()).dql), bytes) }
    }

    /// The other half of `netdev_tx_completed_queue`, once after a run of
    /// [`TxQueue::bql_completed_one`]: a full barrier (pairs with
    /// `bql_sent`), then restart the qdisc if BQL had stopped the queue
    /// and the limit allows more again.
    #[inline]
    pub(crate) fn bql_completed_wake(&self) {
        // SAFETY: valid queue; atomic bit operations and netif_schedule_queue,
        // callable from softirq.
        unsafe { b::rvnet_netdev_tx_completed_wake(self.raw()) }
    }

    /// `netdev_tx_reset_queue`: forget in-flight bytes (device close).
    pub(crate) fn bql_reset(&self) {
        // SAFETY: valid queue; the caller guarantees no completion runs
        // concurrently (a grace period passed since the generation changed).
        unsafe { b::rvnet_netdev_tx_reset_queue(self.raw()) }
    }
}
