// SPDX-License-Identifier: GPL-2.0

//! Receive: the NAPI poll of one rx queue.
//!
//! Takes at most `budget` packets from the queue's ring, records the rx
//! queue, and hands each to GRO (`napi_gro_receive`). Completes with
//! `napi_complete_done` when the ring ran dry before the budget did.

use super::pair::Rvnet;
use super::tx::ETH_HLEN;
use crate::net::napi::{PollCtx, RxPoll};

/// Per-rx-queue driver state.
pub(crate) struct RxData;

impl RxData {
    pub(crate) fn new() -> Self {
        Self
    }
}

impl RxPoll for RxData {
    type Driver = Rvnet;

    fn poll(ctx: &mut PollCtx<'_, Self>, budget: u32) -> u32 {
        let dev = ctx.device();
        let index = ctx.queue().index();
        let mut done = 0;
        while done < budget {
            let Some(mut skb) = ctx.next() else { break };
            skb.record_rx_queue(index);
            // The ring holds skbs after eth_type_trans(); count wire bytes.
            dev.stats_rx_add(skb.len() + ETH_HLEN);
            ctx.gro_receive(skb);
            done += 1;
        }
        if done < budget {
            ctx.complete_done(done);
        }
        done
    }
}
