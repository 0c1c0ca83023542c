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
use crate::net::sync::BhOff;
use crate::net::txq::BqlCompleter;
use crate::net::xdp::XdpOutcome;
use core::sync::atomic::{fence, Ordering};

/// BQL completion of the packets one poll takes from the ring: each packet
/// is completed on its sender tx queue as it leaves the ring (DQL then
/// sees the ring drain at this consumer's pace). The queue's completion
/// right is taken once per run of packets of one queue, and dropping it
/// runs the barrier and qdisc restart.
pub(super) struct Completion<'a> {
    sender: &'a Device<Rvnet>,
    bh: &'a BhOff,
    queue: u16,
    generation: u32,
    /// The right to complete on the sender's queue, if packets of this
    /// generation may be completed.
    completer: Option<BqlCompleter<'a>>,
}

impl<'a> Completion<'a> {
    pub(super) fn new(sender: &'a Device<Rvnet>, bh: &'a BhOff) -> Self {
        Self {
            sender,
            bh,
            queue: 0,
            generation: 0,
            completer: None,
        }
    }

    #[inline]
    pub(super) fn packet(&mut self, tag: &TxTag) {
        if !tag.bql {
            return;
        }
        if self.completer.is_none() || self.queue != tag.queue || self.generation != tag.generation
        {
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
            self.completer = if current == Some(tag.generation) {
                self.sender.bql_completer(tag.queue, self.bh)
            } else {
                None
            };
        }
        if let Some(c) = self.completer.as_mut() {
            // Refused only if BQL never counted these bytes (a bug the
            // abstraction catches instead of letting DQL BUG()).
            let _ = c.completed_one(tag.len);
        }
    }

    /// Gives the completion right back (waking the queue's qdisc if BQL
    /// had stopped it and the limit allows more now).
    #[inline]
    pub(super) fn finish(&mut self) {
        self.completer = None;
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
        let bh = ctx.bh();
        let mut c = sender.map(|s| Completion::new(s, bh));
        let gro = dev.gro_enabled();
        let xdp = dev.data().xdp.is_attached();
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
            // done < budget <= u32::MAX: no overflow.
            done = done.wrapping_add(1);
            let skb = if xdp {
                match dev.data().xdp.run_on_skb(skb, &guard) {
                    XdpOutcome::Pass(skb) => {
                        q.data.xdp_pass.add(1);
                        skb
                    }
                    XdpOutcome::Consumed => {
                        q.data.xdp_consumed.add(1);
                        continue;
                    }
                }
            } else {
                skb
            };
            if gro {
                ctx.gro_receive(skb);
            } else {
                ctx.receive(skb);
            }
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
