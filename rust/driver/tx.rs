// SPDX-License-Identifier: GPL-2.0

//! Transmit: move a packet from this end's tx queue N into the peer's rx
//! ring N and kick the peer's NAPI.
//!
//! Runs in `ndo_start_xmit` (BH disabled, tx queue lock held). Every skb is
//! used up: produced into the peer's ring, or dropped with a reason.

use super::pair::Rvnet;
use crate::net::device::{Device, TxOutcome};
use crate::net::rcu;
use crate::net::skb::{DropReason, SkBuff};

/// `ETH_HLEN`: the Ethernet header the receive side pulls.
pub(crate) const ETH_HLEN: u32 = 14;

pub(super) fn start_xmit(dev: &Device<Rvnet>, mut skb: SkBuff) -> TxOutcome {
    let guard = rcu::Guard::new();
    let Some(peer) = dev.peer(&guard) else {
        skb.drop_with(DropReason::DevReady);
        return TxOutcome::Ok;
    };
    if !peer.is_running() {
        skb.drop_with(DropReason::DevReady);
        return TxOutcome::Ok;
    }
    let Some(rxq) = peer.data().rx_queue(skb.queue_mapping()) else {
        skb.drop_with(DropReason::DevReady);
        return TxOutcome::Ok;
    };
    let len = skb.len();
    skb.tx_timestamp();
    // MTU check, scrub across namespaces, eth_type_trans for the peer.
    let skb = match skb.forward_to(peer) {
        Ok(skb) => skb,
        Err(()) => return TxOutcome::Ok,
    };
    match rxq.produce(skb) {
        Ok(()) => {
            dev.stats_tx_add(1, len);
            if !dev.xmit_more() {
                rxq.schedule();
            }
        }
        Err(skb) => {
            skb.drop_with(DropReason::FullRing);
            rxq.schedule();
        }
    }
    TxOutcome::Ok
}
