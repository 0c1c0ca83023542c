// SPDX-License-Identifier: GPL-2.0

//! Receive: the NAPI poll of one rx queue.
//!
//! Takes at most `budget` packets from the ring, hands each to GRO
//! (`napi_gro_receive`) when `ethtool -K gro` is on, else straight to the
//! stack (`netif_receive_skb`, as veth's backlog does), completes the
//! sender's BQL for them, wakes the sender's tx queues that stopped on this
//! full ring, and completes with `napi_complete_done` when the ring ran dry
//! before the budget did. Runs in softirq (or the NAPI thread when threaded).

use super::pair::Rvnet;
use super::queues::RxData;
use crate::net::device::Device;
use crate::net::napi::{PollCtx, RxPoll};
use crate::net::rcu;
use crate::net::skb::TxTag;
use crate::net::txq::TxQueue;
use core::sync::atomic::{fence, Ordering};

/// BQL completion of the packets one poll takes from the ring: each packet
/// is completed on its sender tx queue as it leaves the ring (DQL then
/// sees the ring drain at this consumer's pace), and the queue's barrier
/// and qdisc restart run once per run of packets of one queue.
struct Completion<'a> {
    sender: &'a Device<Rvnet>,
    queue: u16,
    generation: u32,
    /// The sender's queue, if packets of this generation may be completed.
    txq: Option<&'a TxQueue>,
    /// Bytes completed on `txq` since the last wake.
    bytes: u32,
}

impl<'a> Completion<'a> {
    fn new(sender: &'a Device<Rvnet>) -> Self {
        Self {
            sender,
            queue: 0,
            generation: 0,
            txq: None,
            bytes: 0,
        }
    }

    #[inline]
    fn packet(&mut self, tag: &TxTag) {
        if self.txq.is_none() || self.queue != tag.queue || self.generation != tag.generation {
            self.finish();
            self.queue = tag.queue;
            self.generation = tag.generation;
            let current = self
                .sender
                .data()
                .txs
                .get(usize::from(tag.queue))
                .map(|s| s.generation());
            // Packets sent before the sender's last BQL reset are not in
            // flight any more as far as BQL knows; completing them would
            // underflow it.
            self.txq = if current == Some(tag.generation) {
                self.sender.tx_queue(tag.queue)
            } else {
                None
            };
        }
        if let Some(txq) = self.txq {
            txq.bql_completed_one(tag.len);
            self.bytes = self.bytes.wrapping_add(tag.len);
        }
    }

    #[inline]
    fn finish(&mut self) {
        if let Some(txq) = self.txq {
            if self.bytes > 0 {
                txq.bql_completed_wake();
            }
        }
        self.bytes = 0;
    }
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
        let mut c = sender.map(Completion::new);
        let gro = dev.gro_enabled();
        let mut done = 0;
        while done < budget {
            let Some(mut skb) = ctx.next() else { break };
            let tag = skb.tx_tag();
            if let Some(c) = c.as_mut() {
                c.packet(&tag);
            }
            q.data.packets.add(1);
            q.data.bytes.add(u64::from(tag.len));
            skb.record_rx_queue(record);
            if dev.data().obs.sampled() {
                super::observe::record_rx(dev, &skb, index);
            }
            if gro {
                ctx.gro_receive(skb);
            } else {
                ctx.receive(skb);
            }
            // done < budget <= u32::MAX: no overflow.
            done = done.wrapping_add(1);
        }
        if let Some(c) = c.as_mut() {
            c.finish();
        }
        if let Some(s) = sender {
            if done > 0 {
                wake_senders(s, dev, &q.data, index);
            }
        }
        if done < budget {
            ctx.complete_done(done);
        } else {
            q.data.budget_exhausted.add(1);
        }
        done
    }
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
