// SPDX-License-Identifier: GPL-2.0

//! Per-queue state and counters of one rvnet end.
//!
//! Tx queue N of one end feeds rx ring N (modulo the peer's active rx
//! queues) of the other end, whose NAPI poll completes the sender's BQL and
//! wakes the sender's queue when it stopped on a full ring.

use crate::net::stats::{Counter, SharedCounter};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// State of one tx queue.
///
/// Counters marked "tx" are written only by `ndo_start_xmit` of this queue
/// (under the queue's lock); "peer NAPI" counters by the peer's polls.
#[derive(Default)]
pub(crate) struct TxState {
    /// BQL generation: bumped, then a grace period, before every BQL reset,
    /// so that packets sent before the reset are never completed after it.
    generation: AtomicU32,
    /// tx: packets handed to the peer's ring.
    pub(crate) packets: Counter,
    /// tx: bytes handed to the peer's ring.
    pub(crate) bytes: Counter,
    /// tx: dropped because the peer was gone or down.
    pub(crate) drop_dev_ready: Counter,
    /// tx: dropped because larger than the peer's MTU.
    pub(crate) drop_too_big: Counter,
    /// tx: dropped because the peer's ring was full and the queue could
    /// not push back: it has no qdisc (`noqueue`), or the ring filled
    /// between check and produce (several tx queues sharing one ring).
    pub(crate) drop_full: Counter,
    /// tx: queue stopped because the peer's ring was full.
    pub(crate) stops: Counter,
    /// tx: packets returned to the qdisc (NETDEV_TX_BUSY).
    pub(crate) busy: Counter,
    /// peer NAPI: queue woken after space freed.
    pub(crate) wakes: SharedCounter,
    /// tx watchdog: queue found stopped too long and woken (a lost wake-up;
    /// `ndo_tx_timeout`, as veth has since its own).
    pub(crate) tx_timeouts: SharedCounter,
    /// Packets purged from the peer's rings (ring shrink, peer closed)
    /// whose bytes were completed on this queue's BQL.
    pub(crate) purged: SharedCounter,
    /// `ndo_xdp_xmit`: frames redirected to this end and put in the
    /// peer's rx ring of this index (any CPU's redirect flush).
    pub(crate) xdp_xmit: SharedCounter,
    /// `ndo_xdp_xmit`: frames refused (peer down, ring full, too long).
    pub(crate) xdp_xmit_errors: SharedCounter,
}

impl TxState {
    /// Current BQL generation.
    #[inline]
    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }

    /// Starts a new BQL generation (before a reset).
    pub(crate) fn next_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// All tx drops.
    pub(crate) fn drops(&self) -> u64 {
        self.drop_dev_ready.get() + self.drop_too_big.get() + self.drop_full.get()
    }
}

/// BQL completions one rx ring owes its sender: bytes its polls took from
/// the ring and have not reported to the sender's BQL yet (see
/// `rx::Completion`). A copy lives in the poll while it runs.
#[derive(Clone, Copy, Default)]
pub(crate) struct Owed {
    /// Sender tx queue the bytes belong to.
    pub(crate) queue: u16,
    /// That queue's BQL generation when they were sent.
    pub(crate) generation: u32,
    /// Bytes taken from the ring, not yet completed (0: nothing owed).
    pub(crate) bytes: u32,
    /// `clock_ns()` when the held batch was first looked at (0: not yet).
    pub(crate) since_ns: u64,
    /// The sender queue's BQL limit as of the last completion.
    pub(crate) limit: u32,
}

/// [`Owed`] kept between polls. Written only by the ring's poll (one at a
/// time, NAPI guarantees it) or, with the NAPI disabled and quiesced, by
/// whoever drains the ring: single writer, relaxed atomics (as
/// [`Counter`]). Beside it, the ring's pace, which only
/// [`OwedCell::add_pace`] writes.
#[derive(Default)]
pub(crate) struct OwedCell {
    queue_generation: AtomicU64,
    bytes_limit: AtomicU64,
    since_ns: AtomicU64,
    /// How long the ring's threaded polls spend on each packet they take,
    /// the stack's work for it included, in ns (a moving average over
    /// polls; 0 until a threaded poll measured it).
    pace_ns: AtomicU32,
}

impl OwedCell {
    /// The state the last poll left.
    #[inline]
    pub(crate) fn get(&self) -> Owed {
        let qg = self.queue_generation.load(Ordering::Relaxed);
        let bl = self.bytes_limit.load(Ordering::Relaxed);
        Owed {
            queue: (qg >> 32) as u16,
            generation: qg as u32,
            bytes: (bl >> 32) as u32,
            limit: bl as u32,
            since_ns: self.since_ns.load(Ordering::Relaxed),
        }
    }

    /// Keeps `o` for the next poll.
    #[inline]
    pub(crate) fn set(&self, o: Owed) {
        self.queue_generation.store(
            (u64::from(o.queue) << 32) | u64::from(o.generation),
            Ordering::Relaxed,
        );
        self.bytes_limit.store(
            (u64::from(o.bytes) << 32) | u64::from(o.limit),
            Ordering::Relaxed,
        );
        self.since_ns.store(o.since_ns, Ordering::Relaxed);
    }

    /// The ring's pace, in ns a packet (0: not measured yet).
    #[inline]
    pub(crate) fn pace_ns(&self) -> u32 {
        self.pace_ns.load(Ordering::Relaxed)
    }

    /// Adds a threaded poll that took `items` in `elapsed_ns` to the pace
    /// (a moving average per item, weight 1/4). Called at the very end of
    /// the poll, after `napi_complete_done`, where a busy-polling socket
    /// may already poll the ring on another CPU: a race on the pace alone,
    /// a heuristic, in which one poll's sample may be lost.
    #[inline]
    pub(crate) fn add_pace(&self, elapsed_ns: u64, items: u32) {
        let per = elapsed_ns
            .checked_div(u64::from(items))
            .unwrap_or(0)
            .min(u64::from(u32::MAX));
        let old = u64::from(self.pace_ns.load(Ordering::Relaxed));
        // Both terms are below 2^32: no overflow in u64.
        let pace = (old * 3 + per) / 4;
        self.pace_ns
            .store(u32::try_from(pace).unwrap_or(u32::MAX), Ordering::Relaxed);
    }
}

/// State of one rx queue: counters written only by its NAPI poll, the BQL
/// completions it owes, and the flag by which senders ask that poll to
/// wake their queues.
#[derive(Default)]
pub(crate) struct RxData {
    /// Set (release) by a sender after it stopped a tx queue on this full
    /// ring, before its recheck; taken (acquire) by the poll after it freed
    /// slots, which then looks for stopped senders. A poll that finds it
    /// clear skips that look: most polls, as the ring rarely fills.
    pub(crate) senders_stopped: AtomicBool,
    /// Packets handed to GRO/the stack.
    pub(crate) packets: Counter,
    /// Bytes (wire length) handed on.
    pub(crate) bytes: Counter,
    /// NAPI polls.
    pub(crate) polls: Counter,
    /// Polls that used their whole budget (more work was pending).
    pub(crate) budget_exhausted: Counter,
    /// Threaded polls that drained the ring and still returned their
    /// budget, so that the NAPI thread passes the core's yield point
    /// (see `rx::YIELD_NS`).
    pub(crate) napi_yields: Counter,
    /// Early hand-overs of GRO's normal list by the polls of a consumer
    /// slower than the sender's `tx-usecs` per packet (see `rx::poll`).
    pub(crate) gro_list_flushes: Counter,
    /// Threaded polls only, written by the poll alone (one at a time):
    /// `clock_ns()` when the NAPI thread last passed the core's yield
    /// point or started a busy stretch, and when its last poll ended.
    pub(crate) busy_since_ns: AtomicU64,
    pub(crate) last_end_ns: AtomicU64,
    /// BQL completions owed to the sender, kept between polls.
    pub(crate) owed: OwedCell,
    /// Completions reported to the sender's BQL (`dql_completed` calls).
    pub(crate) bql_completions: Counter,
    /// Frames taken from the ring (put there by the peer's
    /// `ndo_xdp_xmit` or `XDP_TX`, not by its transmit); also in `packets`.
    pub(crate) xdp_frames: Counter,
    /// XDP program verdicts: `XDP_PASS` (on to the stack).
    pub(crate) xdp_pass: Counter,
    /// `XDP_DROP` (dropped with `SKB_DROP_REASON_XDP`).
    pub(crate) xdp_drop: Counter,
    /// `XDP_TX`: frames sent back into the peer's ring.
    pub(crate) xdp_tx: Counter,
    /// `XDP_TX` frames that could not be made or found no room in the
    /// peer's ring (freed).
    pub(crate) xdp_tx_errors: Counter,
    /// `XDP_REDIRECT` handed on.
    pub(crate) xdp_redirect: Counter,
    /// `XDP_REDIRECT` refused by the core (freed).
    pub(crate) xdp_redirect_errors: Counter,
    /// `XDP_ABORTED` or an invalid action (traced, dropped with
    /// `SKB_DROP_REASON_XDP`).
    pub(crate) xdp_aborted: Counter,
    /// Frames (from the peer's `ndo_xdp_xmit` or `XDP_TX`) taken out of
    /// the ring other than by its poll, by a ring shrink or on close, and
    /// given back to their allocator. Written only under rtnl (the purge
    /// paths), never by the poll: one writer.
    pub(crate) xdp_frames_purged: Counter,
    /// Packets lost around the program for want of memory: no page_pool
    /// copy, no sk_buff for a passed frame, no room for a frame's header.
    pub(crate) xdp_errors: Counter,
}
