// SPDX-License-Identifier: GPL-2.0

//! Transmit: move a packet from this end's tx queue N into the peer's rx
//! ring N (modulo the peer's active rx queues) and kick the peer's NAPI.
//!
//! Runs in `ndo_start_xmit` (BH disabled, tx queue lock held). Every skb is
//! used up: produced into the peer's ring, dropped with a reason, or returned
//! as `Busy` after stopping the queue when the ring is full, so the qdisc
//! holds it until the peer's NAPI frees space and wakes the queue. BQL counts
//! the bytes in the ring as in flight; `xmit_more` batches the NAPI kicks.

use super::pair::Rvnet;
use crate::net::device::{Device, TxOutcome};
use crate::net::rcu;
use crate::net::skb::{DropReason, SkBuff, TxTag};
use core::sync::atomic::{fence, Ordering};

pub(super) fn start_xmit(dev: &Device<Rvnet>, mut skb: SkBuff) -> TxOutcome {
    let qi = skb.queue_mapping();
    let (Some(st), Some(txq)) = (dev.data().txs.get(usize::from(qi)), dev.tx_queue(qi)) else {
        // The core never maps beyond num_tx_queues; nothing to count on.
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

    if rxq.is_full() {
        txq.stop();
        st.stops.add(1);
        // Pairs with the fence in the peer's poll (see rx::wake_senders).
        fence(Ordering::SeqCst);
        if rxq.is_full() {
            st.busy.add(1);
            rxq.kick();
            return TxOutcome::Busy(skb);
        }
        txq.start();
    }

    // Sampling off: one load and a branch.
    if dev.data().obs.sampled() {
        super::observe::record_tx(dev, &skb, qi, txq);
    }
    let len = skb.len();
    skb.tx_timestamp();
    let mut skb = match skb.forward_to(peer) {
        Ok(skb) => skb,
        Err(()) => {
            st.drop_too_big.add(1);
            return TxOutcome::Ok;
        }
    };
    skb.set_tx_tag(TxTag {
        queue: qi,
        generation: st.generation(),
        len,
    });
    let more = dev.xmit_more();
    let mut kick = true;
    match rxq.produce_with(skb, || kick = txq.bql_sent(len, more)) {
        Ok(()) => {
            st.packets.add(1);
            st.bytes.add(u64::from(len));
            // Stop before the ring is full rather than bounce the next
            // packet: the qdisc keeps it until the peer's poll wakes us.
            if rxq.is_full() {
                txq.stop();
                st.stops.add(1);
                fence(Ordering::SeqCst);
                if !rxq.is_full() {
                    txq.start();
                }
                kick = true;
            }
            if kick {
                rxq.kick();
            }
        }
        Err(skb) => {
            // Another tx queue sharing this ring filled it meanwhile.
            st.drop_full.add(1);
            skb.drop_with(DropReason::FullRing);
            rxq.kick();
        }
    }
    TxOutcome::Ok
}
