// SPDX-License-Identifier: GPL-2.0

//! Pair lifecycle: setup, newlink (both ends), open/stop and carrier.
//!
//! Like veth: `ip link add NAME type rvnet` creates NAME and an auto-named
//! peer (`rvnet%d`) with the same link attributes; carrier is on only while
//! both ends are up; deleting either end (or its namespace, or unloading the
//! module) deletes both.

use super::queues::{RxData, TxState};
use crate::net::device::{
    Device, Driver, Features, InitDevice, LinkStats, PeerPtr, QueueStats, SetupDevice, TxOutcome,
    Uninit,
};
use crate::net::napi::{RxItem, RxQueue};
use crate::net::rcu;
use crate::net::rtnl::{NewLink, Rtnl};
use crate::net::skb::{DropReason, SkBuff};
use crate::net::sync::BhOff;
use crate::net::txq::XmitQueue;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;

/// Default rx ring size per queue (packets).
pub(crate) const DEFAULT_RING_SIZE: u32 = 256;
/// Smallest rx ring (`ethtool -G rx`).
pub(crate) const MIN_RING_SIZE: u32 = 16;
/// Largest rx ring (`ethtool -G rx`).
pub(crate) const MAX_RING_SIZE: u32 = 4096;

/// Default floor under each tx queue's BQL limit, in full frames
/// (`ethtool -C tx-frames`): a GRO batch (`gro_normal_batch`). A consumer
/// slower than `tx-usecs` per packet is completed per packet, and DQL then
/// holds the limit at about two packets: each of its polls takes two or
/// three, and each completion restarts the sender's stopped queue, whose
/// qdisc then runs in NET_TX on the consumer's CPU once per three packets
/// (veth: once per about fifty), work taken from the consumer (0.82x-0.94x
/// veth's rate in three boots, `bench/NOTES.md`). Eight frames in flight
/// at least make the polls, and the restarts, eight packets apart.
pub(crate) const BQL_FLOOR_FRAMES: u32 = 8;
/// Largest `tx-frames`: a NAPI poll's budget.
pub(crate) const MAX_BQL_FLOOR_FRAMES: u32 = 64;

/// Smallest MTU (`ETH_MIN_MTU`).
const MIN_MTU: u32 = 68;
/// Largest MTU (`ETH_MAX_MTU`).
const MAX_MTU: u32 = 65535;

/// The rvnet driver type.
pub(crate) struct Rvnet;

/// Private data of one rvnet end.
pub(crate) struct RvnetDev {
    /// The other end.
    pub(crate) peer: PeerPtr<Rvnet>,
    /// One rx ring + NAPI per allocated rx queue.
    pub(crate) rxq: KVec<Pin<KBox<RxQueue<RxData>>>>,
    /// State of each allocated tx queue.
    pub(crate) txs: KVec<TxState>,
    /// Observation settings and counters (generic netlink `dev-get/set`).
    pub(crate) obs: super::observe::Observe,
    /// How long the peer's polls may hold back the BQL completion of this
    /// end's packets, in ns (`ethtool -C tx-usecs`; 0: every packet).
    pub(crate) tx_coalesce_ns: AtomicU64,
    /// The floor under this end's BQL limits, in full frames (`ethtool -C
    /// tx-frames`; 0: none); see [`set_bql_floor`].
    pub(crate) tx_frames: AtomicU32,
    /// The attached XDP program (`ip link set DEV xdp ...`).
    pub(crate) xdp: crate::net::xdp::XdpSlot,
}

impl RvnetDev {
    /// The rx queue that the peer's tx queue `index` feeds, given this
    /// end's `active` rx queues.
    #[inline]
    pub(crate) fn rx_queue(&self, index: u16, active: u32) -> Option<&RxQueue<RxData>> {
        let n = (active as usize).min(self.rxq.len());
        if n == 0 {
            return None;
        }
        let i = usize::from(index);
        // The division only when the queue counts differ: it is per packet.
        let i = if i < n { i } else { i % n };
        self.rxq.get(i).map(|q| &**q)
    }
}

impl Driver for Rvnet {
    const KIND: &'static CStr = kernel::c_str!("rvnet");
    const NAME_TEMPLATE: &'static CStr = kernel::c_str!("rvnet%d");

    type Data = RvnetDev;

    fn setup(dev: &SetupDevice<'_>) {
        dev.ether_setup();
        dev.set_live_addr_change_no_tx_sharing();
        dev.set_mtu_range(MIN_MTU, MAX_MTU);
        // The veth feature set: checksum offload and GSO pass through, so a
        // CHECKSUM_PARTIAL/GSO skb crosses the pair unchanged and is
        // finished (or segmented) only if it leaves the host elsewhere.
        let features = Features::SG
            .or(Features::FRAGLIST)
            .or(Features::HW_CSUM)
            .or(Features::RXCSUM)
            .or(Features::SCTP_CRC)
            .or(Features::HIGHDMA)
            .or(Features::GSO_SOFTWARE)
            .or(Features::GSO_ENCAP_ALL_GRE)
            .or(Features::GSO_UDP_TUNNEL)
            .or(Features::HW_VLAN_CTAG_TX)
            .or(Features::HW_VLAN_STAG_TX)
            .or(Features::HW_VLAN_CTAG_RX)
            .or(Features::HW_VLAN_STAG_RX);
        let hw = features.or(Features::GRO);
        let enc = Features::SG
            .or(Features::FRAGLIST)
            .or(Features::HW_CSUM)
            .or(Features::RXCSUM)
            .or(Features::HIGHDMA)
            .or(Features::GSO_SOFTWARE);
        dev.set_features(features, hw, enc);
    }

    fn init(dev: &InitDevice<'_>, _rtnl: &Rtnl) -> Result<RvnetDev> {
        let n = dev.num_rx_queues();
        let mut rxq = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for i in 0..n {
            let index = u16::try_from(i).map_err(|_| EINVAL)?;
            rxq.push(
                RxQueue::new(dev, index, DEFAULT_RING_SIZE, RxData::default())?,
                GFP_KERNEL,
            )?;
        }
        let n = dev.num_tx_queues();
        let mut txs = KVec::with_capacity(n as usize, GFP_KERNEL)?;
        for _ in 0..n {
            txs.push(TxState::default(), GFP_KERNEL)?;
        }
        Ok(RvnetDev {
            peer: PeerPtr::new(),
            rxq,
            txs,
            obs: super::observe::Observe::new()?,
            tx_coalesce_ns: AtomicU64::new(super::rx::BQL_COALESCE_NS),
            tx_frames: AtomicU32::new(BQL_FLOOR_FRAMES),
            xdp: crate::net::xdp::XdpSlot::new(),
        })
    }

    fn peer(data: &RvnetDev) -> &PeerPtr<Self> {
        &data.peer
    }

    fn newlink(link: NewLink<'_, Self>) -> Result {
        let rtnl = link.rtnl;
        // Peer first, as veth: described by the request's peer attribute
        // (`rvnetctl link add NAME peer NAME netns NS`), or with the same
        // link attributes, a template name and a random MAC.
        let peer = link.create_peer()?;
        peer.inherit_tso_max(&link.dev);
        let peer = peer.register(rtnl)?;
        peer.carrier_off();
        // As veth: without numtxqueues/numrxqueues one queue of the
        // per-CPU set is active (ethtool -L adds more), and GRO is off
        // until `ethtool -K gro on`. veth applies the request's own queue
        // attributes to both ends, and so do we.
        peer.disable_gro(rtnl);
        if let Err(e) = peer
            .init_real_queues(&link.tb, rtnl)
            .and_then(|()| peer.configure_link(&link.peer_ifm(), rtnl))
        {
            peer.unregister(rtnl);
            return Err(e);
        }

        if !link.tb.has(IFLA_ADDRESS) {
            link.dev.hw_addr_random();
        }
        let dev = match link.dev.register(rtnl) {
            Ok(dev) => dev,
            Err(e) => {
                peer.unregister(rtnl);
                return Err(e);
            }
        };
        dev.carrier_off();
        if let Err(e) = dev.init_real_queues(&link.tb, rtnl) {
            dev.unregister(rtnl);
            peer.unregister(rtnl);
            return Err(e);
        }
        dev.disable_gro(rtnl);
        if let Err(e) = Device::link_peers(dev, peer, rtnl) {
            dev.unregister(rtnl);
            peer.unregister(rtnl);
            return Err(e);
        }
        super::xdp::update_features(dev, rtnl);
        Ok(())
    }

    fn uninit(dev: &Device<Self>, token: &Uninit) {
        for q in dev.data().rxq.iter() {
            q.del_napi(token);
        }
    }

    fn open(dev: &Device<Self>, rtnl: &Rtnl) -> Result {
        // Unlinked ends cannot carry traffic (veth returns -ENOTCONN).
        let peer = dev.peer_rtnl(rtnl).ok_or(ENODEV)?;
        // A program attached while down: its queue state before the polls.
        if dev.data().xdp.is_attached() {
            if let Err(e) = super::xdp::enable_queues(dev, rtnl) {
                super::xdp::disable_queues(dev, rtnl);
                return Err(e);
            }
        }
        for q in dev.data().rxq.iter() {
            q.enable(rtnl);
            // A poll that finds the ring empty costs nothing; closing
            // purged the rings, so there is rarely anything.
            q.kick();
        }
        set_bql_floor(dev, rtnl);
        dev.tx_start_all(rtnl);
        if peer.is_up() {
            dev.carrier_on();
            peer.carrier_on();
        }
        Ok(())
    }

    fn stop(dev: &Device<Self>, rtnl: &Rtnl) -> Result {
        dev.carrier_off();
        if let Some(peer) = dev.peer_rtnl(rtnl) {
            peer.carrier_off();
        }
        for q in dev.data().rxq.iter() {
            q.disable(rtnl);
        }
        // What our rings still hold is purged, as veth does on close (and
        // so before a namespace move: packets scrubbed for the old
        // namespace are never delivered in the new one). The core stopped
        // the peer's transmits into them before ndo_stop (we are no longer
        // running, and dev_deactivate_many waited a grace period). Each
        // packet is completed on the peer's BQL, and the peer's queues
        // that stopped on a full ring are woken: nothing polls these rings
        // until we open again.
        let peer = dev.peer_rtnl(rtnl);
        for q in dev.data().rxq.iter() {
            q.drain(rtnl, |item, bh| purge(peer, &q.data, item, bh));
            // And what the last polls took but still owed the sender's BQL.
            BhOff::with(|bh| super::rx::flush_owed(peer, &q.data, bh));
        }
        // The XDP state goes with the polls; open makes it again if a
        // program is still attached.
        super::xdp::disable_queues(dev, rtnl);
        if let Some(p) = peer {
            wake_stopped(p);
        }
        // BQL reset of our own queues. Packets already in the peer's rings
        // stay there (delivered when it polls), but must not be completed
        // against the reset counters: new generation, wait until no poll
        // still uses the old one, then reset.
        for st in dev.data().txs.iter() {
            st.next_generation();
        }
        rcu::synchronize_net(rtnl);
        for i in 0..dev.num_tx_queues() {
            if let Ok(i) = u16::try_from(i) {
                dev.bql_reset(i, rtnl);
            }
        }
        Ok(())
    }

    // Inlined into the ndo_start_xmit trampoline: one call less per packet.
    #[inline(always)]
    fn start_xmit(dev: &Device<Self>, skb: SkBuff, txq: &XmitQueue<'_>) -> TxOutcome {
        super::tx::start_xmit(dev, skb, txq)
    }

    fn tx_timeout(dev: &Device<Self>, index: u16) {
        // A queue stopped for longer than the watchdog allows: a wake-up
        // was lost. Count it (ethtool -S txN_tx_timeouts) and restart the
        // queue, as veth does.
        if let Some(st) = dev.data().txs.get(usize::from(index)) {
            st.tx_timeouts.add(1);
        }
        if let Some(txq) = dev.tx_queue(index) {
            txq.wake();
        }
    }

    fn leaving_netns(dev: &Device<Self>, rtnl: &Rtnl) {
        // The records describe the old namespace's traffic and routes, and
        // sampling was asked for there: neither follows the device.
        dev.data().obs.reset();
        dev.set_keep_dst(false, rtnl);
    }

    fn queue_stats_rx(dev: &Device<Self>, index: u32) -> QueueStats {
        dev.data()
            .rxq
            .get(index as usize)
            .map_or(QueueStats::default(), |q| rx_stats(&q.data))
    }

    fn queue_stats_tx(dev: &Device<Self>, index: u32) -> QueueStats {
        dev.data()
            .txs
            .get(index as usize)
            .map_or(QueueStats::default(), tx_stats)
    }

    fn xdp_setup(
        dev: &Device<Self>,
        prog: Option<crate::net::xdp::XdpProg>,
        rtnl: &Rtnl,
    ) -> core::result::Result<(), crate::net::ethtool::ExtError> {
        super::xdp::setup(dev, prog, rtnl)
    }

    fn fix_features(dev: &Device<Self>, wanted: Features, rtnl: &Rtnl) -> Features {
        super::xdp::fix_features(dev, wanted, rtnl)
    }

    fn xdp_xmit(
        dev: &Device<Self>,
        frames: &mut crate::net::xdp::FrameBatch<'_>,
        flush: bool,
    ) -> Result {
        super::xdp::xmit(dev, frames, flush)
    }

    fn base_stats(dev: &Device<Self>) -> (QueueStats, QueueStats) {
        let d = dev.data();
        let mut rx = QueueStats::default();
        for q in d.rxq.iter().skip(dev.real_num_rx_queues() as usize) {
            let s = rx_stats(&q.data);
            rx.packets += s.packets;
            rx.bytes += s.bytes;
        }
        let mut tx = QueueStats::default();
        for t in d.txs.iter().skip(dev.real_num_tx_queues() as usize) {
            let s = tx_stats(t);
            tx.packets += s.packets;
            tx.bytes += s.bytes;
            tx.stop += s.stop;
            tx.wake += s.wake;
        }
        (rx, tx)
    }

    fn get_stats64(dev: &Device<Self>) -> LinkStats {
        let mut s = LinkStats::default();
        for t in dev.data().txs.iter() {
            // Frames redirected to this end count as sent (their bytes
            // are not counted).
            s.tx_packets += t.packets.get() + t.xdp_xmit.get();
            s.tx_bytes += t.bytes.get();
            s.tx_dropped += t.drops() + t.xdp_xmit_errors.get();
        }
        for q in dev.data().rxq.iter() {
            s.rx_packets += q.data.packets.get();
            s.rx_bytes += q.data.bytes.get();
            // Lost around the XDP program (not its own verdicts).
            s.rx_dropped += q.data.xdp_errors.get()
                + q.data.xdp_tx_errors.get()
                + q.data.xdp_redirect_errors.get();
        }
        s
    }
}

fn rx_stats(q: &RxData) -> QueueStats {
    QueueStats {
        packets: q.packets.get(),
        bytes: q.bytes.get(),
        ..QueueStats::default()
    }
}

fn tx_stats(t: &TxState) -> QueueStats {
    QueueStats {
        packets: t.packets.get(),
        bytes: t.bytes.get(),
        stop: t.stops.get(),
        wake: t.wakes.get(),
    }
}

/// `IFLA_ADDRESS` from `include/uapi/linux/if_link.h`.
const IFLA_ADDRESS: u32 = 1;

/// Uses up a packet taken out of one of `dev`'s rings other than by its
/// poll (ring shrink, close): its bytes are completed on the sender's
/// (`sender`, the peer) BQL, so that its in-flight count falls back and a
/// queue BQL stopped restarts, and it is dropped with `QUEUE_PURGE`. A
/// frame (never counted by BQL) is given back to its allocator and counted
/// in the ring's `xdp_frames_purged` (`rx`: the ring's data; callers hold
/// rtnl, the counter's one writer).
pub(super) fn purge(sender: Option<&Device<Rvnet>>, rx: &RxData, item: RxItem, bh: &BhOff) {
    let skb = match item {
        RxItem::Skb(skb) => skb,
        RxItem::Frame(f) => {
            f.free();
            rx.xdp_frames_purged.add(1);
            return;
        }
    };
    if let Some(s) = sender {
        let tag = skb.tx_tag();
        let mut c = super::rx::Completion::new(s, bh, Default::default(), None);
        c.packet(&tag);
        c.flush();
        if let Some(st) = s.data().txs.get(usize::from(tag.queue)) {
            st.purged.add(1);
        }
    }
    skb.drop_with(DropReason::QueuePurge);
}

/// Sets the floor under every allocated tx queue's BQL limit (DQL's
/// `min_limit`, as `netdev_queue_set_dql_min_limit` does and m_can from its
/// `tx-frames`) to `tx-frames` full frames at the current MTU: at open and
/// when `tx-frames` changes (an MTU change applies at the next of them).
/// It replaces what was written to `byte_queue_limits/limit_min`.
pub(super) fn set_bql_floor(dev: &Device<Rvnet>, _rtnl: &Rtnl) {
    let frames = dev.data().tx_frames.load(Ordering::Relaxed);
    let frame = dev.mtu().saturating_add(dev.hard_header_len());
    let bytes = frames.saturating_mul(frame);
    for txq in dev.tx_queues() {
        txq.set_bql_min_limit(bytes);
    }
}

/// Wakes every stopped tx queue of a running `dev`: after its peer's rings
/// were purged, resized or remapped, no poll may come to wake them.
pub(super) fn wake_stopped(dev: &Device<Rvnet>) {
    if !dev.is_running() {
        return;
    }
    for txq in dev.tx_queues() {
        if txq.is_stopped() {
            txq.wake();
        }
    }
}
