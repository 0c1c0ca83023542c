// SPDX-License-Identifier: GPL-2.0

//! ethtool: driver info, ring size (`-g/-G`), channels (`-l/-L`) and the
//! per-queue counters of `ethtool -S`.

use super::pair::{
    purge, set_bql_floor, wake_stopped, Rvnet, MAX_BQL_FLOOR_FRAMES, MAX_RING_SIZE, MIN_RING_SIZE,
};
use crate::net::device::Device;
use crate::net::ethtool::{Channels, Ethtool, ExtError, RingParams, StatsSink, TxCoalesce};
use crate::net::rtnl::Rtnl;
use crate::net::skb;
use crate::net::sync::BhOff;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// Largest `tx-usecs` (`ethtool -C`).
const MAX_TX_USECS: u32 = 100_000;

impl Ethtool for Rvnet {
    const DRIVER: &'static str = "rvnet";
    const VERSION: &'static str = super::VERSION;

    fn ring(dev: &Device<Self>) -> RingParams {
        RingParams {
            rx_max: MAX_RING_SIZE,
            rx: dev.data().rxq.first().map_or(0, |q| q.ring_size()),
        }
    }

    fn set_ring(dev: &Device<Self>, rx: u32, rtnl: &Rtnl) -> core::result::Result<(), ExtError> {
        if rx < MIN_RING_SIZE {
            return Err(ExtError {
                err: EINVAL,
                msg: c"rvnet: rx ring must hold at least 16 packets",
            });
        }
        // A shrink purges the packets that do not fit; their bytes are
        // completed on the sender's BQL (the peer's queues), or its
        // in-flight count would stay high and its queue stopped for good.
        let peer = dev.peer_rtnl(rtnl);
        let mut res = Ok(());
        for q in dev.data().rxq.iter() {
            res = q.resize(rx, rtnl, |item| {
                BhOff::with(|bh| purge(peer, &q.data, item, bh));
            });
            if res.is_err() {
                break;
            }
        }
        // Senders that stopped on a full ring see room now.
        if let Some(peer) = peer {
            wake_stopped(peer);
        }
        res.map_err(|err| ExtError {
            err,
            msg: c"rvnet: rx ring resize failed",
        })
    }

    fn channels(dev: &Device<Self>) -> Channels {
        Channels {
            max_rx: dev.data().rxq.len() as u32,
            max_tx: dev.num_tx_queues(),
            rx: dev.real_num_rx_queues(),
            tx: dev.real_num_tx_queues(),
        }
    }

    fn set_channels(dev: &Device<Self>, rx: u32, tx: u32, rtnl: &Rtnl) -> Result {
        if rx == 0 || tx == 0 {
            return Err(EINVAL);
        }
        super::xdp::check_channels(dev, rx, tx, rtnl)?;
        // Allowed while up, as on veth. Every allocated rx ring keeps its
        // NAPI enabled while the end is up, so a packet a sender put in a
        // ring under the old mapping is still polled and delivered; only
        // the mapping of new packets changes (tx queue N -> rx ring N mod
        // active rx queues, read per packet). Packets of one sender queue
        // may then sit in two rings polled on two CPUs: their BQL
        // completions are serialised per queue by the abstraction.
        dev.set_real_num_queues(tx, rx, rtnl)?;
        // A tx queue that stopped on a full ring is woken by polls of the
        // ring it maps to, which sweep the queues by the current counts. A
        // sender still transmitting under the old mapping could stop on a
        // ring whose polls no longer look for it: wait until every
        // transmit of both ends that began before the change has finished
        // (their tx locks), then wake every stopped queue of both ends;
        // one that still finds its ring full stops again (stop, then
        // recheck). No queue is stopped to do this, so a noqueue sender
        // never sees a stopped queue.
        dev.tx_barrier(rtnl);
        let peer = dev.peer_rtnl(rtnl);
        if let Some(peer) = peer {
            peer.tx_barrier(rtnl);
        }
        wake_stopped(dev);
        if let Some(peer) = peer {
            wake_stopped(peer);
        }
        super::xdp::update_features(dev, rtnl);
        Ok(())
    }

    fn tx_coalesce(dev: &Device<Self>) -> TxCoalesce {
        let d = dev.data();
        let ns = d.tx_coalesce_ns.load(Ordering::Relaxed);
        TxCoalesce {
            usecs: u32::try_from(ns / 1000).unwrap_or(u32::MAX),
            frames: d.tx_frames.load(Ordering::Relaxed),
        }
    }

    fn set_tx_coalesce(
        dev: &Device<Self>,
        c: TxCoalesce,
        rtnl: &Rtnl,
    ) -> core::result::Result<(), ExtError> {
        if c.usecs > MAX_TX_USECS {
            return Err(ExtError {
                err: EINVAL,
                msg: c"rvnet: tx-usecs is at most 100000 (100 ms)",
            });
        }
        if c.frames > MAX_BQL_FLOOR_FRAMES {
            return Err(ExtError {
                err: EINVAL,
                msg: c"rvnet: tx-frames (the BQL floor in frames) is at most 64",
            });
        }
        let d = dev.data();
        // Read by the peer's polls once per poll: the next one applies it.
        d.tx_coalesce_ns
            .store(u64::from(c.usecs).saturating_mul(1000), Ordering::Relaxed);
        if d.tx_frames.swap(c.frames, Ordering::Relaxed) != c.frames {
            set_bql_floor(dev, rtnl);
        }
        Ok(())
    }

    fn stats(dev: &Device<Self>, s: &mut StatsSink<'_>) {
        let d = dev.data();
        for (i, t) in d.txs.iter().enumerate() {
            s.put(format_args!("tx{i}_packets"), t.packets.get());
            s.put(format_args!("tx{i}_bytes"), t.bytes.get());
            s.put(format_args!("tx{i}_drops"), t.drops());
            s.put(format_args!("tx{i}_drop_peer_down"), t.drop_dev_ready.get());
            s.put(format_args!("tx{i}_drop_too_big"), t.drop_too_big.get());
            s.put(format_args!("tx{i}_drop_ring_full"), t.drop_full.get());
            s.put(format_args!("tx{i}_ring_full_stops"), t.stops.get());
            s.put(format_args!("tx{i}_busy_requeues"), t.busy.get());
            s.put(format_args!("tx{i}_wakes"), t.wakes.get());
            s.put(format_args!("tx{i}_tx_timeouts"), t.tx_timeouts.get());
            s.put(format_args!("tx{i}_purged"), t.purged.get());
            s.put(format_args!("tx{i}_xdp_xmit"), t.xdp_xmit.get());
            s.put(
                format_args!("tx{i}_xdp_xmit_errors"),
                t.xdp_xmit_errors.get(),
            );
        }
        for (i, q) in d.rxq.iter().enumerate() {
            s.put(format_args!("rx{i}_packets"), q.data.packets.get());
            s.put(format_args!("rx{i}_bytes"), q.data.bytes.get());
            s.put(format_args!("rx{i}_polls"), q.data.polls.get());
            s.put(
                format_args!("rx{i}_budget_exhausted"),
                q.data.budget_exhausted.get(),
            );
            s.put(
                format_args!("rx{i}_bql_completions"),
                q.data.bql_completions.get(),
            );
            let x = &q.data;
            s.put(format_args!("rx{i}_xdp_frames"), x.xdp_frames.get());
            s.put(format_args!("rx{i}_xdp_pass"), x.xdp_pass.get());
            s.put(format_args!("rx{i}_xdp_drop"), x.xdp_drop.get());
            s.put(format_args!("rx{i}_xdp_tx"), x.xdp_tx.get());
            s.put(format_args!("rx{i}_xdp_tx_errors"), x.xdp_tx_errors.get());
            s.put(format_args!("rx{i}_xdp_redirect"), x.xdp_redirect.get());
            s.put(
                format_args!("rx{i}_xdp_redirect_errors"),
                x.xdp_redirect_errors.get(),
            );
            s.put(format_args!("rx{i}_xdp_aborted"), x.xdp_aborted.get());
            s.put(format_args!("rx{i}_xdp_errors"), x.xdp_errors.get());
            s.put(
                format_args!("rx{i}_xdp_frames_purged"),
                x.xdp_frames_purged.get(),
            );
            // A state, not a counter: 1 while the queue has its XDP rxq
            // info and page_pool (a program attached to a running end).
            s.put(format_args!("rx{i}_xdp_pool"), u64::from(q.xdp_enabled()));
            // A state too: the threaded polls' time per packet, which
            // decides between batched and per-packet BQL completion.
            s.put(
                format_args!("rx{i}_pace_ns"),
                u64::from(q.data.owed.pace_ns()),
            );
            s.put(format_args!("rx{i}_napi_yields"), q.data.napi_yields.get());
            s.put(
                format_args!("rx{i}_gro_list_flushes"),
                q.data.gro_list_flushes.get(),
            );
        }
        s.put(format_args!("implicit_skb_drops"), skb::implicit_drops());
    }
}
