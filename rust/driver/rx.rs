// SPDX-License-Identifier: GPL-2.0

//! Receive: the NAPI poll of one rx queue.
//!
//! Takes at most `budget` packets from the ring, hands each to GRO
//! (`napi_gro_receive`) when `ethtool -K gro` is on, else straight to the
//! stack (`netif_receive_skb`, as veth's backlog does), completes the
//! sender's BQL for them in batches ([`Completion`]), wakes the sender's tx queues that stopped on this
//! full ring, and completes with `napi_complete_done` when the ring ran dry
//! before the budget did. Runs in softirq (or the NAPI thread when threaded).
//!
//! With an XDP program attached the program runs on every packet first, as
//! veth's native path does (see `crate::net::xdp`): `XDP_PASS` goes on to
//! the stack, `XDP_DROP`/`XDP_ABORTED` are dropped with
//! `SKB_DROP_REASON_XDP`, `XDP_TX` frames are sent back into the peer's ring
//! in bulk at the end of the poll, and `XDP_REDIRECT` is flushed once per
//! poll. Frames in the ring (from `ndo_xdp_xmit` or the peer's `XDP_TX`)
//! run the program too, and become sk_buffs when it passes them.

use super::pair::Rvnet;
use super::queues::{Owed, RxData};
use crate::net::device::Device;
use crate::net::napi::{PollCtx, RxItem, RxPoll};
use crate::net::rcu;
use crate::net::skb::{DropReason, SkBuff, TxTag};
use crate::net::sync::BhOff;
use crate::net::txq::clock_ns;
use crate::net::xdp::{FrameVerdict, PollXdp, SkbVerdict, XdpFrame, XdpTxBulk};
use core::sync::atomic::{fence, Ordering};

/// How long a ring may hold back the BQL completion of packets it took, by
/// default (the upstream veth BQL series of 2026 settled on 100 us, its
/// default `tx-usecs`); the sender's `ethtool -C tx-usecs` sets it.
pub(super) const BQL_COALESCE_NS: u64 = 100_000;

/// BQL completion of the packets a ring's polls take, in batches.
///
/// DQL is built to be told once per completion round, not per packet: it
/// lowers the limit to about twice what one call completes, so completing
/// packet by packet holds the limit at two packets, and every transmit
/// then waits for the consumer (a NAPI thread on another CPU pays a
/// wake-up and a qdisc restart per two packets). So the bytes a poll takes
/// are owed ([`Owed`], kept in the ring between polls) and completed in
/// one call when
/// - more than the limit is owed: the sender is stopped on BQL and the
///   ring has run dry behind it (DQL's starvation case, it raises the
///   limit);
/// - the oldest owed bytes were looked at the sender's `tx-usecs`
///   ([`BQL_COALESCE_NS`] by default) ago or more: the limit then settles
///   near what the consumer takes in that time, which bounds the time a
///   packet waits in the ring (a threaded poll reads the clock at its
///   start and end, to measure the pace below, and for this rule from its
///   second packet on); with `tx-usecs` 0 every packet is completed on its
///   own;
/// - the consumer spends `tx-usecs` or more on each packet (the ring's
///   pace, [`OwedCell::pace_ns`], measured over its polls): then every packet
///   is completed on its own, as no held completion would be younger than
///   the bound anyway. The clock alone cannot tell, because the stack
///   takes a slow consumer's packets in bursts: GRO hands them on in lists
///   of `gro_normal_batch` (8), so a poll takes eight packets within
///   microseconds and then spends eight packets' work on them. Completed
///   per burst, DQL's limit settled at about twice a burst (23800 B,
///   2026-12-05), and a packet behind a full ring waited for all of it;
///   per packet it is about two packets, which at a slow consumer's pace
///   are still more than the bound's worth of its work (the limit cannot
///   starve it), and the ring's wait is shortest; the sender's `tx-frames`
///   floor ([`super::pair::BQL_FLOOR_FRAMES`] full frames by default)
///   keeps it from going below a GRO batch, so that the consumer does not
///   run the sender's qdisc after every second packet;
/// - the poll found the ring empty (it completes its NAPI): nothing may
///   be left owed while the ring is idle, or the sender's in-flight count
///   would never come back to 0;
/// - the packets change sender queue or BQL generation.
///
/// Only when the receiving end's NAPI is threaded: then the consumer runs
/// beside the producer, which is what DQL's model assumes. A softirq poll
/// runs on the CPU whose transmit kicked it, right after that transmit's
/// BH section, and drains what that CPU just queued: batched, every poll
/// looks to DQL like a queue that ran dry while stopped, and the limit ran
/// away past the ring (380 KB against the ring's 369 KB under the bench's
/// UDP flood, 2026-12-05). There every packet is completed on its own, as
/// before.
///
/// The completion right of the sender's queue is taken only for the call.
pub(super) struct Completion<'a> {
    sender: &'a Device<Rvnet>,
    bh: &'a BhOff,
    owed: Owed,
    /// The sender's `tx-usecs`, in ns; 0 (every packet on its own) if the
    /// poll is not threaded or the consumer is slower than that.
    bound_ns: u64,
    /// `clock_ns()` at the start of a threaded poll (its pace is measured),
    /// else 0.
    start_ns: u64,
    /// Packets added since this value was made (one poll).
    taken: u32,
    /// See `slow()`.
    slow: bool,
    /// Completions reported (`dql_completed` calls).
    pub(super) reported: u64,
}

impl<'a> Completion<'a> {
    /// `pace_ns`: the ring's pace if the poll runs in a NAPI thread (see
    /// above), `None` if not.
    pub(super) fn new(
        sender: &'a Device<Rvnet>,
        bh: &'a BhOff,
        owed: Owed,
        pace_ns: Option<u32>,
    ) -> Self {
        let (bound_ns, start_ns, slow) = if let Some(pace) = pace_ns {
            let bound = sender.data().tx_coalesce_ns.load(Ordering::Relaxed);
            let slow = bound != 0 && u64::from(pace) >= bound;
            (if slow { 0 } else { bound }, clock_ns(), slow)
        } else {
            (0, 0, false)
        };
        Self {
            sender,
            bh,
            owed,
            bound_ns,
            start_ns,
            taken: 0,
            slow,
            reported: 0,
        }
    }

    /// One packet left the ring.
    #[inline]
    pub(super) fn packet(&mut self, tag: &TxTag) {
        if !tag.bql {
            return;
        }
        if self.owed.bytes != 0
            && (self.owed.queue != tag.queue || self.owed.generation != tag.generation)
        {
            self.flush();
        }
        self.owed.queue = tag.queue;
        self.owed.generation = tag.generation;
        // At most a ring of 64 KB packets is owed: no overflow in practice,
        // and saturating (then completing) if it ever were.
        self.owed.bytes = self.owed.bytes.saturating_add(tag.len);
        self.taken = self.taken.wrapping_add(1);
        if self.owed.bytes > self.owed.limit || self.bound_ns == 0 {
            // netdev_tx_sent_queue() lets the sender exceed the limit by
            // one packet before it stops, so owing exactly the limit is a
            // normal state; more means the sender waits for us. tx-usecs
            // 0: no coalescing.
            self.flush();
        } else if self.taken > 1 {
            self.flush_if_old();
        }
    }

    /// Completes the owed bytes if they were first seen long enough ago.
    #[inline]
    fn flush_if_old(&mut self) {
        let now = clock_ns();
        if self.owed.since_ns == 0 {
            self.owed.since_ns = now;
        } else if now.saturating_sub(self.owed.since_ns) >= self.bound_ns {
            self.flush();
            // The next batch starts now.
            self.owed.since_ns = now;
        }
    }

    /// Whether the consumer is slower than the sender's `tx-usecs` per
    /// packet (threaded, coalescing on, pace at or above it).
    #[inline]
    pub(super) fn slow(&self) -> bool {
        self.slow
    }

    /// `clock_ns()` at the start of the poll if it measures its pace
    /// (threaded), else 0.
    #[inline]
    pub(super) fn start_ns(&self) -> u64 {
        self.start_ns
    }

    /// The end of a poll: completes everything if the ring ran dry, else
    /// what is old enough; returns what is still owed, for the next poll.
    #[inline]
    pub(super) fn end_poll(mut self, ring_empty: bool) -> (Owed, u64) {
        if ring_empty {
            self.flush();
        } else if self.owed.bytes != 0 {
            self.flush_if_old();
        }
        (self.owed, self.reported)
    }

    /// Completes everything owed now.
    #[inline]
    pub(super) fn flush(&mut self) {
        let bytes = core::mem::take(&mut self.owed.bytes);
        self.owed.since_ns = 0;
        if bytes == 0 {
            return;
        }
        let current = self
            .sender
            .data()
            .txs
            .get(usize::from(self.owed.queue))
            .map(|s| s.generation());
        // Packets sent before the sender's last BQL reset are not in
        // flight any more as far as BQL knows; completing them would
        // underflow it.
        if current != Some(self.owed.generation) {
            return;
        }
        if let Some(mut c) = self.sender.bql_completer(self.owed.queue, self.bh) {
            // Refused only if BQL never counted these bytes (a bug the
            // abstraction catches instead of letting DQL BUG()).
            if c.completed(bytes) {
                self.reported = self.reported.wrapping_add(1);
            }
            self.owed.limit = c.limit();
            // Dropping the right restarts the queue if BQL stopped it and
            // the limit allows more now.
        }
    }
}

/// Completes what ring `rx` still owes its sender (`sender`, the peer; the
/// bytes are forgotten if there is none): for a ring whose NAPI is
/// disabled and quiesced (close), so that no poll comes to do it.
pub(super) fn flush_owed(sender: Option<&Device<Rvnet>>, rx: &RxData, bh: &BhOff) {
    let owed = rx.owed.get();
    let mut left = Owed {
        bytes: 0,
        since_ns: 0,
        ..owed
    };
    if let Some(s) = sender {
        let mut c = Completion::new(s, bh, owed, None);
        c.flush();
        rx.bql_completions.add(c.reported);
        left = c.owed;
    }
    rx.owed.set(left);
}

impl RxPoll for RxData {
    type Driver = Rvnet;

    // Inlined into the NAPI poll trampoline: one call less per poll.
    #[inline(always)]
    fn poll(ctx: &mut PollCtx<'_, Self>, budget: u32) -> u32 {
        let dev = ctx.device();
        let q = ctx.queue();
        let index = q.index();
        // A ring beyond the active rx queues (after `ethtool -L` shrank
        // them) is drained but its packets are recorded on an active queue,
        // as the core expects (RPS warns about others).
        let active = dev.real_num_rx_queues().max(1);
        let record = if u32::from(index) < active {
            index
        } else {
            u16::try_from(u32::from(index) % active).unwrap_or(0)
        };
        q.data.polls.add(1);
        let guard = rcu::Guard::new();
        let sender = dev.peer(&guard);
        let bh = ctx.bh();
        let pace = dev.napi_threaded().then(|| q.data.owed.pace_ns());
        let mut c = sender.map(|s| Completion::new(s, bh, q.data.owed.get(), pace));
        let gro = dev.gro_enabled();
        let slow = c.as_ref().is_some_and(|c| c.slow());
        let prog = dev.data().xdp.get(&guard);
        let mut xdp = prog.as_ref().map(|_| ctx.xdp_begin());
        let mut bulk = XdpTxBulk::new();
        let mut done = 0;
        while done < budget {
            let Some(item) = ctx.next() else { break };
            // done < budget <= u32::MAX: no overflow.
            done = done.wrapping_add(1);
            let skb = match item {
                RxItem::Skb(skb) => {
                    let tag = skb.tx_tag();
                    if let Some(c) = c.as_mut() {
                        c.packet(&tag);
                    }
                    q.data.packets.add(1);
                    q.data.bytes.add(u64::from(tag.len));
                    let mut skb = skb;
                    skb.record_rx_queue(record);
                    // Sampling off: one load and a branch. The record is
                    // kept once the XDP verdict is known.
                    let rec = if dev.data().obs.sampled() {
                        Some(super::observe::record_rx(dev, &skb, index))
                    } else {
                        None
                    };
                    let (skb, action) = match (prog.as_ref(), xdp.as_mut()) {
                        (Some(p), Some(x)) => {
                            let v = ctx.xdp_run_skb(x, p, skb);
                            on_skb_verdict(&q.data, x, &mut bulk, v)
                        }
                        _ => (Some(skb), None),
                    };
                    if let Some(d) = rec {
                        super::observe::commit_rx(dev, d, action);
                    }
                    match skb {
                        Some(skb) => skb,
                        None => {
                            flush_if_full(&mut bulk, sender, &q.data, index);
                            continue;
                        }
                    }
                }
                RxItem::Frame(frame) => {
                    q.data.packets.add(1);
                    q.data.bytes.add(u64::from(frame.len()));
                    q.data.xdp_frames.add(1);
                    let frame = match (prog.as_ref(), xdp.as_mut()) {
                        (Some(p), Some(x)) => {
                            let v = ctx.xdp_run_frame(x, p, frame);
                            match on_frame_verdict(&q.data, x, &mut bulk, v) {
                                Some(f) => f,
                                None => {
                                    flush_if_full(&mut bulk, sender, &q.data, index);
                                    continue;
                                }
                            }
                        }
                        _ => frame,
                    };
                    match frame.into_skb(dev) {
                        Ok(mut skb) => {
                            skb.record_rx_queue(record);
                            skb
                        }
                        Err(f) => {
                            q.data.xdp_errors.add(1);
                            f.free();
                            continue;
                        }
                    }
                }
            };
            if gro {
                ctx.gro_receive(skb);
                // A consumer slower than tx-usecs a packet is completed per
                // packet as the poll takes it, so BQL's limit bounds the
                // packets in the ring; GRO's list of up to gro_normal_batch
                // packets taken but not yet received would be a queue
                // behind it that BQL does not see. Such a consumer hands
                // each packet GRO does not hold to the stack at once: a
                // list receive saves far less than its per-packet work.
                if slow && ctx.gro_normal_flush() {
                    q.data.gro_list_flushes.add(1);
                }
            } else {
                ctx.receive(skb);
            }
        }
        if !bulk.is_empty() {
            send_back(&mut bulk, sender, &q.data, index);
        }
        // Flushes the redirect maps if a program redirected.
        if let Some(x) = xdp {
            x.finish();
        }
        // The ring ran dry if the budget did not.
        let mut start_ns = 0;
        if let Some(c) = c {
            start_ns = c.start_ns();
            let (owed, reported) = c.end_poll(done < budget);
            q.data.owed.set(owed);
            q.data.bql_completions.add(reported);
        } else {
            // No peer: nobody to complete for.
            q.data.owed.set(Owed::default());
        }
        if let Some(s) = sender {
            if done > 0 {
                wake_senders(s, dev, &q.data, index);
            }
        }
        // A threaded poll that drained the ring may still return its
        // budget, for the NAPI thread to yield (see YIELD_NS).
        let mut ret = done;
        if start_ns != 0 && yield_due(&q.data, start_ns, done < budget, ctx.gro_holds()) {
            q.data.napi_yields.add(1);
            ret = budget;
        }
        if ret < budget {
            ctx.complete_done(done);
        } else if done == budget {
            q.data.budget_exhausted.add(1);
        }
        // The pace is taken here, after napi_complete_done: its GRO flush
        // hands the stack the packets of a short poll (fewer than a GRO
        // list), whose work would otherwise be missed, and a consumer kept
        // to short polls by a small limit would read as fast.
        if start_ns != 0 && done != 0 {
            q.data
                .owed
                .add_pace(clock_ns().saturating_sub(start_ns), done);
        }
        ret
    }
}

/// How long a ring's NAPI thread may poll without passing the core's
/// yield point. 6.12's `napi_threaded_poll_loop()` reaches `cond_resched()`
/// (and its RCU quiescent-state report) only when a poll returns its
/// budget; a poll that drains the ring ends the loop, and
/// `napi_thread_wait()` calls `schedule()` only if nothing scheduled the
/// NAPI again meanwhile. A consumer that is woken again before it waits,
/// which is what a consumer does that restarts its sender's queue (the
/// NET_TX run right after its poll refills its own ring), then never
/// yields on a `PREEMPT_NONE` kernel: RCU grace periods, and everything
/// that waits for one (`synchronize_net()`, a mount namespace's exit, `ip
/// netns exec`), wait until its ring happens to run dry. Seen in the
/// bench with `tx-frames 0` (a sampler's start took 15 s and its exit
/// 30 s; bench/NOTES.md); the same loop is OpenWrt's
/// `napi_threaded_poll_loop()` fix (2026). So a threaded poll that drained
/// the ring returns its budget, without completing, once a busy stretch
/// of its thread has lasted this long: the core then flushes GRO, passes
/// `cond_resched()` and polls again (an empty ring then completes).
const YIELD_NS: u64 = 1_000_000;

/// The same bound while GRO holds packets for merging. The core's yield
/// path flushes all of them (`napi_gro_flush()` at HZ below 1000), where
/// `napi_complete_done` with `gro_flush_timeout` keeps them for the next
/// segment, so a yield in the middle of a TCP train splits it (`gro.sh`
/// "large" with threaded NAPI failed in the rounds with a second yield).
/// A yield waits for a poll that ends with nothing held, up to this long
/// (a jiffy at HZ=250): a flow that always leaves something held still
/// lets the thread yield.
const YIELD_HELD_NS: u64 = 4 * YIELD_NS;

/// A poll that starts this long after the previous one ended follows a
/// wait of the thread: a new busy stretch. On the plain kernel 250 us
/// would do, but the debug kernel's NET_TX run between two polls of a
/// rescheduled thread is longer; a short wait counted as part of the
/// stretch costs at most one early yield.
const IDLE_GAP_NS: u64 = 2_000_000;

/// Whether this threaded poll (started at `start_ns`, `drained` if it used
/// less than its budget, `held` if GRO holds packets at its end) must
/// return its budget so that the NAPI thread yields; keeps the ring's
/// busy-stretch clock. A poll that used its budget yields in the core
/// anyway.
#[inline]
fn yield_due(rx: &RxData, start_ns: u64, drained: bool, held: bool) -> bool {
    let now = clock_ns();
    let last_end = rx.last_end_ns.swap(now, Ordering::Relaxed);
    let mut since = rx.busy_since_ns.load(Ordering::Relaxed);
    if since == 0 || start_ns.saturating_sub(last_end) > IDLE_GAP_NS {
        since = start_ns;
    }
    let bound = if held { YIELD_HELD_NS } else { YIELD_NS };
    let due = !drained || now.saturating_sub(since) >= bound;
    rx.busy_since_ns
        .store(if due { now } else { since }, Ordering::Relaxed);
    due && drained
}

/// Wakes the sender's tx queues that feed rx ring `index` of `dev` if they
/// stopped on a full ring. Pairs with the stop-then-recheck in transmit: we
/// freed slots, then look at the senders' flag (and their stopped bits); a
/// sender stopped its queue and set the flag, then looks at the slots. The
/// full fences make sure one side sees the other. A sender that sets the
/// flag after we took it sees our freed slots in its recheck, or leaves the
/// flag for the next poll.
#[inline]
fn wake_senders(sender: &Device<Rvnet>, dev: &Device<Rvnet>, rx: &RxData, index: u16) {
    fence(Ordering::SeqCst);
    if rx.senders_stopped.load(Ordering::Relaxed)
        && rx.senders_stopped.swap(false, Ordering::Acquire)
    {
        wake_stopped(sender, dev, index);
    }
}

/// The rare part of [`wake_senders`]: restart the stopped tx queues.
#[cold]
fn wake_stopped(sender: &Device<Rvnet>, dev: &Device<Rvnet>, index: u16) {
    let n_rx = dev.real_num_rx_queues().max(1);
    let n_tx = sender.real_num_tx_queues();
    let mut i = u32::from(index);
    while i < n_tx {
        let Ok(qi) = u16::try_from(i) else { break };
        if let Some(txq) = sender.tx_queue(qi) {
            if txq.is_stopped() {
                txq.wake();
                if let Some(s) = sender.data().txs.get(usize::from(qi)) {
                    s.wakes.add(1);
                }
            }
        }
        i += n_rx;
    }
}

/// `enum xdp_action` values, for decision records.
mod act {
    pub(super) const ABORTED: u8 = 0;
    pub(super) const DROP: u8 = 1;
    pub(super) const PASS: u8 = 2;
    pub(super) const TX: u8 = 3;
    pub(super) const REDIRECT: u8 = 4;
}

/// Counts what the program did with an sk_buff and carries it out: the
/// skb to hand on for `XDP_PASS`, else `None` (dropped with a reason,
/// queued to be sent back, or redirected); and the program's verdict
/// (`None` if it could not run: no memory for a copy).
#[inline]
fn on_skb_verdict(
    rx: &RxData,
    x: &mut PollXdp,
    bulk: &mut XdpTxBulk,
    v: SkbVerdict,
) -> (Option<SkBuff>, Option<u8>) {
    let action = match v {
        SkbVerdict::Pass(skb) => {
            rx.xdp_pass.add(1);
            return (Some(skb), Some(act::PASS));
        }
        SkbVerdict::Drop(skb) => {
            rx.xdp_drop.add(1);
            skb.drop_with(DropReason::Xdp);
            act::DROP
        }
        SkbVerdict::Aborted(skb) => {
            rx.xdp_aborted.add(1);
            skb.drop_with(DropReason::Xdp);
            act::ABORTED
        }
        SkbVerdict::NoMem(skb) => {
            rx.xdp_errors.add(1);
            skb.drop_with(DropReason::NoMem);
            return (None, None);
        }
        SkbVerdict::Tx(frame) => {
            bulk.push(frame);
            act::TX
        }
        SkbVerdict::TxError => {
            rx.xdp_tx_errors.add(1);
            act::TX
        }
        SkbVerdict::Redirected => {
            rx.xdp_redirect.add(1);
            x.redirected();
            act::REDIRECT
        }
        SkbVerdict::RedirectError => {
            rx.xdp_redirect_errors.add(1);
            act::REDIRECT
        }
    };
    (None, Some(action))
}

/// As [`on_skb_verdict`], for a frame: the frame to build an sk_buff from
/// for `XDP_PASS`, else `None`.
#[inline]
fn on_frame_verdict(
    rx: &RxData,
    x: &mut PollXdp,
    bulk: &mut XdpTxBulk,
    v: FrameVerdict,
) -> Option<XdpFrame> {
    match v {
        FrameVerdict::Pass(f) => {
            rx.xdp_pass.add(1);
            return Some(f);
        }
        FrameVerdict::Drop(f) => {
            rx.xdp_drop.add(1);
            f.free();
        }
        FrameVerdict::Aborted(f) => {
            rx.xdp_aborted.add(1);
            f.free();
        }
        FrameVerdict::PassError(f) => {
            rx.xdp_errors.add(1);
            f.free();
        }
        FrameVerdict::Tx(f) => {
            bulk.push(f);
        }
        FrameVerdict::TxError => rx.xdp_tx_errors.add(1),
        FrameVerdict::Redirected => {
            rx.xdp_redirect.add(1);
            x.redirected();
        }
        FrameVerdict::RedirectError => rx.xdp_redirect_errors.add(1),
    }
    None
}

/// Sends the `XDP_TX` bulk back once it is full (veth flushes at 16).
#[inline]
fn flush_if_full(bulk: &mut XdpTxBulk, sender: Option<&Device<Rvnet>>, rx: &RxData, index: u16) {
    if bulk.is_full() {
        send_back(bulk, sender, rx, index);
    }
}

/// Sends the frames of `bulk` back to the peer (`XDP_TX`): into the peer's
/// rx ring of the same index (modulo its active rx queues), as frames
/// (veth's `veth_xdp_flush_bq`), and kicks its NAPI. Frames the ring has
/// no room for, or that exceed the peer's MTU, are freed and counted as
/// `xdp_tx_errors`.
fn send_back(bulk: &mut XdpTxBulk, sender: Option<&Device<Rvnet>>, rx: &RxData, index: u16) {
    let (sent, freed) = bulk.flush(|frames| {
        let Some(peer) = sender.filter(|p| p.is_running()) else {
            return;
        };
        let Some(ring) = peer.data().rx_queue(index, peer.real_num_rx_queues()) else {
            return;
        };
        let max = peer
            .mtu()
            .saturating_add(peer.hard_header_len())
            .saturating_add(crate::net::xdp::VLAN_HLEN);
        if ring.produce_frames(frames, max) > 0 {
            ring.kick();
        }
    });
    rx.xdp_tx.add(u64::from(sent));
    rx.xdp_tx_errors.add(u64::from(freed));
}
