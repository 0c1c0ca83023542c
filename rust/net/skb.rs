// SPDX-License-Identifier: GPL-2.0

//! Owned socket buffers (`include/linux/skbuff.h`).
//!
//! # Ownership
//!
//! An [`SkBuff`] owns one reference to a `struct sk_buff`. It must be used up
//! explicitly, and every way of using it up says what happened to the packet:
//!
//! - [`SkBuff::drop_with`]: dropped, freed with a `skb_drop_reason` that
//!   `perf`/`dropwatch`/the `kfree_skb` tracepoint report;
//! - handed to the stack or to a ring by an abstraction that takes it by value
//!   (NAPI GRO receive, the rx ring producer), which becomes the owner;
//! - returned from transmit as `TxOutcome::Busy(skb)`, which gives it back to
//!   the qdisc layer unchanged.
//!
//! Letting an `SkBuff` fall out of scope is a driver bug: `Drop` frees it with
//! `SKB_DROP_REASON_NOT_SPECIFIED`, counts it, and WARNs once.
//!
//! Freeing context: every function here runs in process or softirq context
//! (transmit runs with BH disabled, NAPI poll in softirq); rvnet never touches
//! an skb in hard IRQ context, so `kfree_skb_reason`/`consume_skb` fit.

use super::bindings as b;
use super::device::{Device, Driver};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

/// Why a packet was dropped: the kernel's `enum skb_drop_reason` values rvnet
/// uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// The peer is gone or not up (`SKB_DROP_REASON_DEV_READY`).
    DevReady,
    /// The peer's rx ring is full (`SKB_DROP_REASON_FULL_RING`).
    FullRing,
    /// Larger than the receiving device's MTU (`SKB_DROP_REASON_PKT_TOO_BIG`).
    PktTooBig,
    /// Left in a ring when the ring was purged (`SKB_DROP_REASON_QUEUE_PURGE`).
    QueuePurge,
    /// Dropped by the XDP program (`XDP_DROP`, `XDP_ABORTED`:
    /// `SKB_DROP_REASON_XDP`).
    Xdp,
    /// No memory for a copy the packet needed (`SKB_DROP_REASON_NOMEM`).
    NoMem,
}

impl DropReason {
    fn raw(self) -> b::skb_drop_reason {
        match self {
            Self::DevReady => b::skb_drop_reason_SKB_DROP_REASON_DEV_READY,
            Self::FullRing => b::skb_drop_reason_SKB_DROP_REASON_FULL_RING,
            Self::PktTooBig => b::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_BIG,
            Self::QueuePurge => b::skb_drop_reason_SKB_DROP_REASON_QUEUE_PURGE,
            Self::Xdp => b::skb_drop_reason_SKB_DROP_REASON_XDP,
            Self::NoMem => b::skb_drop_reason_SKB_DROP_REASON_NOMEM,
        }
    }
}

/// Number of skbs freed implicitly by `Drop` (a driver bug) since load;
/// reported by ethtool statistics once those exist.
static IMPLICIT_DROPS: AtomicU64 = AtomicU64::new(0);

/// Transmit accounting carried by an skb from one end's transmit to the
/// other end's NAPI poll.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct TxTag {
    /// Sender's tx queue.
    pub(crate) queue: u16,
    /// Whether the bytes were accounted to the queue's BQL (not when the
    /// queue has no qdisc).
    pub(crate) bql: bool,
    /// Sender's BQL generation for that queue at transmit.
    pub(crate) generation: u32,
    /// Bytes accounted to BQL at transmit.
    pub(crate) len: u32,
}

/// How many skbs were freed by `Drop` instead of explicitly (a bug).
pub(crate) fn implicit_drops() -> u64 {
    IMPLICIT_DROPS.load(Ordering::Relaxed)
}

/// An owned reference to a `struct sk_buff`.
///
/// # Invariants
///
/// `ptr` points to a valid `sk_buff` on which this object holds one
/// reference, and nothing else accesses the buffer's data or metadata while
/// this object exists (the stack handed it over exclusively).
pub(crate) struct SkBuff {
    ptr: NonNull<b::sk_buff>,
}

// SAFETY: an owned sk_buff may be freed or handed on from any CPU; the kernel
// moves skbs between CPUs (rings, backlog) all the time.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of a raw sk_buff.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid sk_buff whose reference the caller owns and
    /// transfers to the returned object.
    pub(crate) unsafe fn from_raw(ptr: *mut b::sk_buff) -> Option<Self> {
        // INVARIANT: the caller transfers a valid owned reference.
        NonNull::new(ptr).map(|ptr| Self { ptr })
    }

    /// Gives up ownership without freeing; the caller takes the reference.
    pub(crate) fn into_raw(self) -> *mut b::sk_buff {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// Raw pointer for abstraction code that borrows the buffer.
    pub(crate) fn as_raw(&self) -> *mut b::sk_buff {
        self.ptr.as_ptr()
    }

    /// Length of the data (`skb->len`).
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: by the invariant `ptr` is valid; `len` is a plain field.
        unsafe { (*self.ptr.as_ptr()).len }
    }

    /// The tx queue the stack picked (`skb_get_queue_mapping`).
    #[inline]
    pub(crate) fn queue_mapping(&self) -> u16 {
        // SAFETY: by the invariant `ptr` is valid; a plain field (the
        // inline skb_get_queue_mapping() reads it, no call needed).
        unsafe { (*self.ptr.as_ptr()).queue_mapping }
    }

    /// Records the rx queue the packet arrived on (`skb_record_rx_queue`).
    #[inline]
    pub(crate) fn record_rx_queue(&mut self, queue: u16) {
        // SAFETY: by the invariant we own the buffer exclusively; what the
        // inline skb_record_rx_queue() writes.
        unsafe { (*self.ptr.as_ptr()).queue_mapping = queue.wrapping_add(1) }
    }

    /// Software transmit timestamp hook (`skb_tx_timestamp`).
    #[inline]
    pub(crate) fn tx_timestamp(&mut self) {
        // SAFETY: by the invariant we own the buffer exclusively; called
        // from ndo_start_xmit as the helper requires.
        unsafe { b::rvnet_skb_tx_timestamp(self.ptr.as_ptr()) }
    }

    /// Drops the packet with a reason visible to drop monitors.
    #[inline]
    pub(crate) fn drop_with(self, reason: DropReason) {
        // SAFETY: we own the reference and give it up here (process or
        // softirq context, see the module docs).
        unsafe { b::rvnet_kfree_skb_reason(self.into_raw(), reason.raw()) }
    }

    /// Prepares the packet for reception by `dev`, the other end of a pair
    /// (`__dev_forward_skb`): MTU check, scrub (full scrub across
    /// namespaces, as veth), `eth_type_trans()`. A packet larger than `dev`
    /// accepts is dropped with `PKT_TOO_BIG`; if the core fails (frag
    /// orphaning out of memory) it frees the skb itself and we report it.
    #[inline]
    pub(crate) fn forward_to<D: Driver>(self, dev: &Device<D>) -> Result<SkBuff, ()> {
        // SAFETY: both valid; is_skb_forwardable only reads them.
        if !unsafe { b::is_skb_forwardable(dev.as_raw(), self.as_raw()) } {
            self.drop_with(DropReason::PktTooBig);
            return Err(());
        }
        let raw = self.into_raw();
        // SAFETY: we own `raw`. On success ownership returns to us; on
        // failure __dev_forward_skb() has freed it.
        if unsafe { b::__dev_forward_skb(dev.as_raw(), raw) } != 0 {
            return Err(());
        }
        // SAFETY: success, we still own it.
        unsafe { SkBuff::from_raw(raw) }.ok_or(())
    }

    /// Tags the skb with its transmit accounting while the driver owns it
    /// (between its transmit and the peer's NAPI poll), in `skb->cb`, which
    /// the stack reuses only once the skb is handed on.
    #[inline]
    pub(crate) fn set_tx_tag(&mut self, tag: TxTag) {
        const { assert!(core::mem::size_of::<TxTag>() <= 48) };
        // SAFETY: we own the skb exclusively; cb is 48 bytes and 8-aligned,
        // TxTag fits (checked at compile time).
        unsafe { (*self.as_raw()).cb.as_mut_ptr().cast::<TxTag>().write(tag) }
    }

    /// Reads the tag stored by [`SkBuff::set_tx_tag`]. On an untagged skb
    /// the result is arbitrary (but valid: TxTag is plain integers).
    #[inline]
    pub(crate) fn tx_tag(&self) -> TxTag {
        // SAFETY: in bounds and aligned (see `set_tx_tag`); every bit
        // pattern is a valid TxTag.
        unsafe { (*self.as_raw()).cb.as_ptr().cast::<TxTag>().read() }
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        IMPLICIT_DROPS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: we own the reference; this is the bug path that still must
        // not leak. The shim WARNs once so that tests catch it.
        unsafe {
            b::rvnet_warn_implicit_skb_drop();
            b::rvnet_kfree_skb_reason(
                self.ptr.as_ptr(),
                b::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        }
    }
}
