// SPDX-License-Identifier: GPL-2.0

//! Transmit: move a packet from this end's tx queue N into the peer's rx
//! ring N (modulo the peer's active rx queues) and kick the peer's NAPI.
//!
//! Runs in `ndo_start_xmit` (BH disabled, tx queue lock held). Every skb is
//! used up: produced into the peer's ring, dropped with a reason, or returned
//! as `Busy` after stopping the queue when the ring is full, so the qdisc
//! holds it until the peer's NAPI frees space and wakes the queue. BQL counts
//! the bytes in the ring as in flight; `xmit_more` batches the NAPI kicks.
//!
//! A queue without a qdisc (root `noqueue`) has nothing to push back into:
//! the core treats a stopped queue or `Busy` there as an error, so such a
//! queue is never stopped, its packets are not counted by BQL, and a full
//! ring drops with `FULL_RING`, as veth does.

use super::pair::Rvnet;
use super::queues::{RxData, TxState};
use crate::net::device::{Device, TxOutcome};
use crate::net::napi::{Produced, RxQueue};
use crate::net::rcu;
use crate::net::skb::{DropReason, SkBuff, TxTag};
use crate::net::txq::{TxQueue, XmitQueue};
use core::sync::atomic::{fence, Ordering};

#[inline(always)]
pub(super) fn start_xmit(dev: &Device<Rvnet>, skb: SkBuff, xq: &XmitQueue<'_>) -> TxOutcome {
    let qi = xq.index();
    let txq = xq.queue();
    let Some(st) = dev.data().txs.get(usize::from(qi)) else {
        // One TxState per allocated queue: never happens.
        skb.drop_with(DropReason::DevReady);
        return TxOutcome::Ok;
    };
    let guard = rcu::Guard::new();
    let peer = match dev.peer(&guard) {
        Some(p) if p.is_running() => p,
        _ => {
            st.drop_dev_ready.add(1);
            skb.drop_with(DropReason::DevReady);
            return TxOutcome::Ok;
        }
    };
    let Some(rxq) = peer.data().rx_queue(qi, peer.real_num_rx_queues()) else {
        st.drop_dev_ready.add(1);
        skb.drop_with(DropReason::DevReady);
        return TxOutcome::Ok;
    };

    // No qdisc: never stop the queue, and no BQL (it would stop it).
    let no_queue = xq.has_no_queue();
    let mut skb = skb;
    // A second try only happens after the ring was found full and then not
    // full again; it fails only if another tx queue sharing this ring
    // filled it meanwhile.
    let mut retry = false;
    loop {
        let mut kick = true;
        let mut too_big = false;
        // The skb is changed for the peer only once a slot is certain,
        // under the ring's producer lock: a full ring hands it back
        // untouched, for the qdisc to requeue.
        let prepare = |mut skb: SkBuff| {
            // Sampling off: one load and a branch.
            if dev.data().obs.sampled() {
                super::observe::record_tx(dev, &skb, qi, txq);
            }
            let len = skb.len();
            skb.tx_timestamp();
            let Ok(mut skb) = skb.forward_to(peer) else {
                too_big = true;
                return None;
            };
            skb.set_tx_tag(TxTag {
                queue: qi,
                bql: !no_queue,
                generation: st.generation(),
                len,
            });
            kick = no_queue || xq.bql_sent(len);
            st.packets.add(1);
            st.bytes.add(u64::from(len));
            Some(skb)
        };
        match rxq.produce_with(skb, prepare) {
            Produced::Queued { full } => {
                // Stop before the ring is full rather than bounce the next
                // packet: the qdisc keeps it until the peer's poll wakes us.
                if full && !no_queue {
                    stop_and_recheck(st, txq, rxq);
                    kick = true;
                }
                if kick {
                    rxq.kick();
                }
                return TxOutcome::Ok;
            }
            Produced::Consumed => {
                if too_big {
                    st.drop_too_big.add(1);
                }
                // This may have been the last packet of an xmit_more batch
                // whose earlier packets are in the ring unannounced.
                rxq.kick();
                return TxOutcome::Ok;
            }
            Produced::Full(back) if retry || no_queue => {
                st.drop_full.add(1);
                back.drop_with(DropReason::FullRing);
                rxq.kick();
                return TxOutcome::Ok;
            }
            Produced::Full(back) => {
                // The peer's poll may have freed slots before it could see
                // the stopped queue: then try again.
                if stop_and_recheck(st, txq, rxq) {
                    st.busy.add(1);
                    rxq.kick();
                    return TxOutcome::Busy(back);
                }
                skb = back;
                retry = true;
            }
        }
    }
}

/// Stops `txq` because ring `rxq` is (nearly) full, then looks at the ring
/// again and restarts the queue if the peer's poll freed a slot meanwhile.
/// Returns whether the ring is still full (the queue stays stopped).
fn stop_and_recheck(st: &TxState, txq: &TxQueue, rxq: &RxQueue<RxData>) -> bool {
    txq.stop();
    st.stops.add(1);
    // The stopped bit before the flag: a poll that takes the flag sees it.
    rxq.data.senders_stopped.store(true, Ordering::Release);
    // Pairs with the fence in the peer's poll (see rx::wake_senders): the
    // poll sees the flag, or this recheck sees the slots it freed.
    fence(Ordering::SeqCst);
    if rxq.is_full() {
        return true;
    }
    txq.start();
    false
}
