// SPDX-License-Identifier: GPL-2.0

//! Decision records of sampled packets: what the kernel decided for a
//! packet that crossed an rvnet device, kept in a per-device ring for
//! `decision-dump` and sent as a `decision-ntf` event to listeners of the
//! `decisions` multicast group.
//!
//! With sampling off (the default) the whole cost in the datapath is one
//! relaxed load and a branch ([`Observe::sampled`]). A sampled packet is
//! parsed from its linear headers (never modified), the route and
//! neighbour facts are read under RCU, the ring takes a BH spinlock, and
//! the event is appended to the device's [`EventBatch`] (a datagram sent
//! when full or a jiffy later) and dropped (counted) when there is no
//! memory or a listener is too slow. Nothing here sleeps or delays the
//! packet beyond that work.

use super::pair::Rvnet;
use crate::net::device::Device;
use crate::net::genl::{attr, nla_total_size, AttrBuf, EventBatch, Writer};
use crate::net::observe::{self, ipv6_is_local, neigh_state};
use crate::net::rcu;
use crate::net::route::{self, Addr, RouteQuery, Uid};
use crate::net::skb::SkBuff;
use crate::net::sync::BhLock;
use crate::net::txq::TxQueue;
use core::pin::Pin;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::alloc::KVVec;
use kernel::prelude::*;

/// Default number of decisions kept per device for `decision-dump`.
pub(crate) const DEFAULT_DECISION_RING: u32 = 64;

/// `direction` enum of the spec.
const DIR_TX: u8 = 0;
const DIR_RX: u8 = 1;

/// `RTN_*` values used for input decisions.
mod rtn {
    pub(super) const LOCAL: u8 = 2;
    pub(super) const MULTICAST: u8 = 5;
    pub(super) const UNREACHABLE: u8 = 7;
}

/// What the kernel decided for one packet.
#[derive(Clone, Copy, Default)]
pub(crate) struct Decision {
    ifindex: i32,
    seq: u64,
    time_ns: u64,
    dir: u8,
    len: u32,
    queue: u32,
    eth_proto: u16,
    eth_src: [u8; 6],
    eth_dst: [u8; 6],
    l4: Option<u8>,
    src: Option<Addr>,
    dst: Option<Addr>,
    ports: Option<(u16, u16)>,
    icmp_type: Option<u8>,
    arp_op: Option<u16>,
    tcp_flags: Option<u8>,
    route_type: Option<u8>,
    gateway: Option<Addr>,
    route_oif: Option<i32>,
    table: Option<u32>,
    prefix: Option<(Addr, u8)>,
    nexthop: Option<Addr>,
    neigh_state: Option<u8>,
    qdisc: Option<[u8; 16]>,
    bql_inflight: Option<u32>,
    input_type: Option<u8>,
    input_error: Option<u32>,
    xdp_action: Option<u8>,
    /// IPv4 TOS / IPv6 traffic class of the packet (not reported: the
    /// route re-lookup's input).
    dsfield: u8,
}

/// The last `cap` decisions of a device.
///
/// # Invariants
///
/// The records in `buf` that are numbered above `floor` are the last ones
/// in oldest-first order (from `head`) and have consecutive sequence
/// numbers, the newest numbered `seq` (numbers are taken under the ring's
/// lock, by [`Ring::push`]).
struct Ring {
    buf: KVVec<Decision>,
    cap: usize,
    /// Oldest record once the ring is full (next to overwrite).
    head: usize,
    /// Sequence number of the last record pushed (0: none yet).
    seq: u64,
    /// Records numbered up to this one are forgotten.
    floor: u64,
}

impl Ring {
    /// Numbers `d` and keeps it. A ring of capacity 0 still numbers it
    /// (events carry the number too).
    fn push(&mut self, d: &mut Decision) {
        self.seq = self.seq.wrapping_add(1);
        d.seq = self.seq;
        if self.cap == 0 {
            return;
        }
        if self.buf.len() < self.cap {
            // Within the capacity reserved by `Observe::configure`: no
            // allocation happens. Were it to fail, the ring starts over
            // rather than keep a gap in its numbers.
            if self.buf.push(*d, GFP_ATOMIC).is_err() {
                // Keep what is there as the whole ring, without this one.
                self.cap = self.buf.len();
                self.head = 0;
                self.floor = self.seq;
            }
        } else {
            if let Some(slot) = self.buf.get_mut(self.head) {
                *slot = *d;
            }
            self.head = (self.head + 1) % self.cap;
        }
    }

    /// Records numbered after `after`, oldest first: found by arithmetic
    /// on the numbers (consecutive, see the type invariant), not by
    /// walking the older ones.
    fn after(&self, after: u64) -> impl Iterator<Item = &Decision> {
        let len = self.buf.len() as u64;
        let first = self.seq.wrapping_sub(len).wrapping_add(1);
        let after = after.max(self.floor);
        let skip = if after < first {
            0
        } else {
            // after >= first: at most `len` records to skip.
            (after - first).saturating_add(1).min(len) as usize
        };
        let (a, b) = self.buf.split_at(self.head.min(self.buf.len()));
        Iterator::chain(b.iter(), a.iter()).skip(skip)
    }

    /// Forgets every record (numbers go on).
    fn clear(&mut self) {
        self.floor = self.seq;
    }
}

/// Per-device observation settings, counters and decision ring.
pub(crate) struct Observe {
    /// Sample 1 in N packets; 0 = off.
    sample: AtomicU32,
    /// Decisions kept for `decision-dump`.
    ring_size: AtomicU32,
    /// Packets seen while sampling (picks every Nth).
    counter: AtomicU32,
    /// Decision events for listeners, sent in batches (and counted there:
    /// sent, dropped for a slow listener or no memory).
    events: Pin<KBox<EventBatch>>,
    ring: Pin<KBox<BhLock<Ring>>>,
}

impl Observe {
    /// Sampling off; the ring is allocated when sampling is turned on.
    pub(crate) fn new() -> Result<Self> {
        let ring = KBox::pin_init(
            BhLock::new(Ring {
                buf: KVVec::new(),
                cap: 0,
                head: 0,
                seq: 0,
                floor: 0,
            }),
            GFP_KERNEL,
        )?;
        let events = KBox::pin_init(EventBatch::new(DECISION_ATTRS_MAX), GFP_KERNEL)?;
        Ok(Self {
            sample: AtomicU32::new(0),
            ring_size: AtomicU32::new(DEFAULT_DECISION_RING),
            counter: AtomicU32::new(0),
            events,
            ring,
        })
    }

    /// Whether to record this packet: every `sample`-th one. Sampling off:
    /// a load and a branch. On, a plain load and store of the countdown
    /// (no atomic read-modify-write per packet: transmit and NAPI of one
    /// device on different CPUs may race on it, which only shifts which
    /// packet is picked, never the rate by more than the race).
    ///
    /// A module built with `--cfg rvnet_no_observe` (`qemu/module
    /// --no-observe`, a measurement build for `make bench` and its
    /// profile, never shipped) answers `false` here as a constant, so the
    /// compiler drops both hooks: the baseline that the cost of
    /// observation with sampling off is measured against.
    #[inline]
    pub(crate) fn sampled(&self) -> bool {
        if cfg!(rvnet_no_observe) {
            return false;
        }
        let n = self.sample.load(Ordering::Relaxed);
        if n == 0 {
            return false;
        }
        let c = self.counter.load(Ordering::Relaxed).wrapping_add(1);
        if c >= n {
            self.counter.store(0, Ordering::Relaxed);
            true
        } else {
            self.counter.store(c, Ordering::Relaxed);
            false
        }
    }

    pub(crate) fn sample(&self) -> u32 {
        self.sample.load(Ordering::Relaxed)
    }

    pub(crate) fn ring_size(&self) -> u32 {
        self.ring_size.load(Ordering::Relaxed)
    }

    pub(crate) fn events_sent(&self) -> u64 {
        self.events.sent()
    }

    pub(crate) fn events_dropped(&self) -> u64 {
        self.events.dropped()
    }

    /// Applies `dev-set`. The ring is (re)allocated first, so that on
    /// failure (no memory) nothing changes. Process context.
    pub(crate) fn configure(&self, sample: Option<u32>, ring: Option<u32>) -> Result {
        let sample_now = sample.unwrap_or_else(|| self.sample());
        let size = ring.unwrap_or_else(|| self.ring_size()) as usize;
        if sample_now != 0 {
            let cap = self.ring.as_ref().lock().cap;
            if cap != size {
                let buf = KVVec::with_capacity(size, GFP_KERNEL)?;
                let old = {
                    let mut g = self.ring.as_ref().lock();
                    g.cap = size;
                    g.head = 0;
                    core::mem::replace(&mut g.buf, buf)
                };
                // Freed outside the lock.
                drop(old);
            }
        }
        if let Some(r) = ring {
            self.ring_size.store(r, Ordering::Relaxed);
        }
        if let Some(s) = sample {
            self.counter.store(0, Ordering::Relaxed);
            self.sample.store(s, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Visits the recorded decisions newer than `after` (a `seq`), oldest
    /// first, under the ring lock; stops at the first error. The walk
    /// starts at the first record after the cursor, and a dump's callback
    /// fails once its message is full, so one call holds the lock (which
    /// the datapath takes to record) for one message's worth of records,
    /// whatever the ring's size.
    pub(crate) fn for_each_after(
        &self,
        after: u64,
        mut f: impl FnMut(&Decision) -> Result,
    ) -> Result {
        let g = self.ring.as_ref().lock();
        for d in g.after(after) {
            f(d)?;
        }
        Ok(())
    }

    /// Sampling off and no records: the device left its namespace.
    pub(crate) fn reset(&self) {
        self.sample.store(0, Ordering::Relaxed);
        self.counter.store(0, Ordering::Relaxed);
        let old = {
            let mut g = self.ring.as_ref().lock();
            g.clear();
            g.cap = 0;
            g.head = 0;
            core::mem::replace(&mut g.buf, KVVec::new())
        };
        // Freed outside the lock.
        drop(old);
    }
}

impl Decision {
    /// The record's sequence number.
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }
}

/// Records a packet `dev` is transmitting on tx queue `queue`, before it
/// is handed to the peer (the skb still carries its route).
#[inline(never)]
pub(crate) fn record_tx(dev: &Device<Rvnet>, skb: &SkBuff, queue: u16, txq: &TxQueue) {
    let guard = rcu::Guard::new();
    let mut d = Decision {
        ifindex: dev.ifindex(),
        dir: DIR_TX,
        len: skb.len(),
        queue: u32::from(queue),
        ..Decision::default()
    };
    parse(skb.frame(), &mut d);
    if let Some(r) = skb.route(&guard) {
        d.route_type = r.rtype;
        d.gateway = r.gateway;
        d.route_oif = Some(r.oif);
        if let Some(dst) = d.dst {
            d.nexthop = Some(r.gateway.unwrap_or(dst));
            // Table and prefix: the FIB re-looked up now with the flow the
            // packet was routed with: its source, mark and DS field, and
            // its socket's uid and bound device (uid, VRF and DSCP rules).
            let q = RouteQuery {
                dst,
                src: d.src,
                iif: 0,
                oif: skb.sk_bound_dev_if(),
                mark: skb.mark(),
                uid: Uid::Kernel(skb.sk_uid()),
                tos: d.dsfield,
                table: None,
                proto: d.l4.unwrap_or(0),
                sport: d.ports.map_or(0, |p| p.0),
                dport: d.ports.map_or(0, |p| p.1),
            };
            if let Ok(fr) = route::lookup_fib(dev.net(), &q) {
                d.table = fr.table;
                d.prefix = fr.prefix;
            }
        }
    } else if d.arp_op.is_some() {
        // An ARP request resolves its target: watch that entry.
        d.nexthop = d.dst;
    }
    if let Some(hop) = d.nexthop {
        d.neigh_state = neigh_state(dev, &hop, &guard);
    }
    d.qdisc = Some(txq.qdisc_kind(&guard));
    d.bql_inflight = Some(txq.bql_inflight());
    commit(dev, &mut d);
}

/// The record of a packet `dev` received on rx queue `queue`, with the
/// input decision the receiving namespace takes for its destination; not
/// kept yet: [`commit_rx`] adds what the XDP program did and keeps it.
#[inline(never)]
pub(crate) fn record_rx(dev: &Device<Rvnet>, skb: &SkBuff, queue: u16) -> Decision {
    let guard = rcu::Guard::new();
    let mut d = Decision {
        ifindex: dev.ifindex(),
        dir: DIR_RX,
        len: skb.len(),
        queue: u32::from(queue),
        ..Decision::default()
    };
    parse(skb.frame(), &mut d);
    if d.arp_op.is_none() {
        if let Some(dst) = d.dst {
            (d.input_type, d.input_error) = input_decision(dev, &d, dst, &guard);
        }
    }
    d
}

/// Keeps a [`record_rx`] record, with the verdict of the XDP program
/// (`XDP_*`), if one ran on the packet.
#[inline(never)]
pub(crate) fn commit_rx(dev: &Device<Rvnet>, mut d: Decision, xdp_action: Option<u8>) {
    d.xdp_action = xdp_action;
    commit(dev, &mut d);
}

/// The receiving namespace's decision for a packet to `dst` arriving on
/// `dev`, as route type and errno: for IPv4 the route the input path
/// builds (forwarding, rp_filter, martians: [`route::lookup`] with the
/// input interface), for IPv6 the local address check, else the input
/// route (`ip6_route_input_lookup` on `dev`, so `iif` rules apply).
fn input_decision(
    dev: &Device<Rvnet>,
    d: &Decision,
    dst: Addr,
    guard: &rcu::Guard,
) -> (Option<u8>, Option<u32>) {
    let q = RouteQuery {
        dst,
        src: d.src,
        iif: dev.ifindex(),
        oif: 0,
        mark: 0,
        // What the input path uses: sock_net_uid(net, NULL).
        uid: Uid::Kernel(0),
        tos: d.dsfield,
        table: None,
        proto: d.l4.unwrap_or(0),
        sport: d.ports.map_or(0, |p| p.0),
        dport: d.ports.map_or(0, |p| p.1),
    };
    let t = match dst {
        Addr::V4(_) => {
            return match route::lookup(dev.net(), &q) {
                Ok(r) => (Some(r.rtype), r.error),
                Err(f) => (None, Some(f.err.to_errno().unsigned_abs())),
            }
        }
        Addr::V6(a) if a[0] == 0xff => rtn::MULTICAST,
        Addr::V6(a) if ipv6_is_local(dev, &a, guard) => rtn::LOCAL,
        Addr::V6(_) => route::lookup_fib(dev.net(), &q).map_or(rtn::UNREACHABLE, |r| r.rtype),
    };
    (Some(t), None)
}

/// Numbers the record, keeps it in the ring and sends it to listeners.
/// By reference: a record is a few hundred bytes, copied once, into the
/// ring.
fn commit(dev: &Device<Rvnet>, d: &mut Decision) {
    let obs = &dev.data().obs;
    d.time_ns = observe::now_ns();
    // Numbered under the ring's lock: records are kept (and dumped) in
    // the order of their numbers, with no gap.
    obs.ring.as_ref().lock().push(d);
    // Sent (or counted as dropped) by the batch; nothing is built when no
    // one listens.
    let _ = obs.events.as_ref().add(dev.net(), |w| put_decision(w, d));
}

fn be16(p: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(off)?, *p.get(off + 1)?]))
}

fn addr4(p: &[u8], off: usize) -> Option<Addr> {
    p.get(off..off + 4).and_then(Addr::from_bytes)
}

fn addr16(p: &[u8], off: usize) -> Option<Addr> {
    p.get(off..off + 16).and_then(Addr::from_bytes)
}

/// Parses Ethernet (one VLAN tag), ARP, IPv4, IPv6 and the TCP/UDP/ICMP
/// header from the frame's linear bytes; stops quietly where they end.
fn parse(frame: &[u8], d: &mut Decision) {
    let (Some(dst), Some(src)) = (frame.get(0..6), frame.get(6..12)) else {
        return;
    };
    d.eth_dst.copy_from_slice(dst);
    d.eth_src.copy_from_slice(src);
    let Some(mut proto) = be16(frame, 12) else {
        return;
    };
    let mut off = 14;
    if proto == 0x8100 || proto == 0x88a8 {
        let Some(inner) = be16(frame, 16) else {
            return;
        };
        proto = inner;
        off = 18;
    }
    d.eth_proto = proto;
    let p = frame.get(off..).unwrap_or(&[]);
    match proto {
        0x0800 => ipv4(p, d),
        0x86dd => ipv6(p, d),
        0x0806 => arp(p, d),
        _ => {}
    }
}

fn ipv4(p: &[u8], d: &mut Decision) {
    let Some(&vihl) = p.first() else { return };
    if vihl >> 4 != 4 {
        return;
    }
    let ihl = usize::from(vihl & 0xf) * 4;
    let Some(&proto) = p.get(9) else { return };
    d.dsfield = p.get(1).copied().unwrap_or(0);
    d.l4 = Some(proto);
    d.src = addr4(p, 12);
    d.dst = addr4(p, 16);
    // Only the first fragment carries the transport header.
    if be16(p, 6).is_some_and(|f| f & 0x1fff == 0) {
        l4(p.get(ihl..).unwrap_or(&[]), proto, d);
    }
}

fn ipv6(p: &[u8], d: &mut Decision) {
    if !matches!(p.first(), Some(v) if v >> 4 == 6) {
        return;
    }
    let Some(&next) = p.get(6) else { return };
    // Traffic class: the 4 bits after the version, then 4 more.
    d.dsfield = (p.first().copied().unwrap_or(0) << 4) | p.get(1).map_or(0, |b| b >> 4);
    d.l4 = Some(next);
    d.src = addr16(p, 8);
    d.dst = addr16(p, 24);
    l4(p.get(40..).unwrap_or(&[]), next, d);
}

fn l4(p: &[u8], proto: u8, d: &mut Decision) {
    match proto {
        // TCP, UDP
        6 | 17 => {
            if let (Some(s), Some(t)) = (be16(p, 0), be16(p, 2)) {
                d.ports = Some((s, t));
            }
            if proto == 6 {
                d.tcp_flags = p.get(13).copied();
            }
        }
        // ICMP, ICMPv6
        1 | 58 => d.icmp_type = p.first().copied(),
        _ => {}
    }
}

fn arp(p: &[u8], d: &mut Decision) {
    // Ethernet/IPv4 ARP only: hlen 6, plen 4.
    if p.get(4) != Some(&6) || p.get(5) != Some(&4) {
        return;
    }
    d.arp_op = be16(p, 6);
    d.src = addr4(p, 14);
    d.dst = addr4(p, 24);
}

/// Writes one decision's attributes, in place in the message (one
/// reservation for the record's 20-odd attributes).
pub(crate) fn put_decision(w: &mut Writer<'_>, d: &Decision) -> Result {
    w.attrs(|w| put_attrs(w, d))
}

/// The most [`put_attrs`] writes: every attribute present, IPv6
/// addresses, a 64-bit `seq` and `time-ns`, a 16-byte qdisc kind and its
/// NUL. An event batch sends its datagram when less than this (plus
/// headers) is left; a record that did not fit would be dropped.
const DECISION_ATTRS_MAX: usize = {
    let u8_ = nla_total_size(1); // u8 and u16 attributes take 8 bytes
    let u32_ = nla_total_size(4);
    let u64_ = nla_total_size(8);
    let mac = nla_total_size(6);
    let addr = nla_total_size(16);
    // ifindex, len, queue, route-oif, table, bql-inflight, input-error
    7 * u32_
        // seq, time-ns
        + 2 * u64_
        // direction, eth-proto, l4-proto, sport, dport, icmp-type, arp-op,
        // tcp-flags, route-type, prefix-length, neigh-state, input-type,
        // xdp-action
        + 13 * u8_
        // eth-src, eth-dst
        + 2 * mac
        // src, dst, gateway, prefix, nexthop
        + 5 * addr
        // qdisc-kind
        + nla_total_size(17)
};

fn put_attrs(w: &mut AttrBuf<'_>, d: &Decision) -> Result {
    use attr::decision as a;
    w.u32(a::IFINDEX, d.ifindex as u32)?;
    w.uint(a::SEQ, d.seq)?;
    w.uint(a::TIME_NS, d.time_ns)?;
    w.u8(a::DIRECTION, d.dir)?;
    w.u32(a::LEN, d.len)?;
    w.u32(a::QUEUE, d.queue)?;
    w.u16(a::ETH_PROTO, d.eth_proto)?;
    w.bytes(a::ETH_SRC, &d.eth_src)?;
    w.bytes(a::ETH_DST, &d.eth_dst)?;
    if let Some(v) = d.l4 {
        w.u8(a::L4_PROTO, v)?;
    }
    if let Some(v) = d.src {
        w.bytes(a::SRC, v.as_bytes())?;
    }
    if let Some(v) = d.dst {
        w.bytes(a::DST, v.as_bytes())?;
    }
    if let Some((s, t)) = d.ports {
        w.u16(a::SPORT, s)?;
        w.u16(a::DPORT, t)?;
    }
    if let Some(v) = d.icmp_type {
        w.u8(a::ICMP_TYPE, v)?;
    }
    if let Some(v) = d.arp_op {
        w.u16(a::ARP_OP, v)?;
    }
    if let Some(v) = d.tcp_flags {
        w.u8(a::TCP_FLAGS, v)?;
    }
    if let Some(v) = d.route_type {
        w.u8(a::ROUTE_TYPE, v)?;
    }
    if let Some(v) = d.gateway {
        w.bytes(a::GATEWAY, v.as_bytes())?;
    }
    if let Some(v) = d.route_oif {
        w.u32(a::ROUTE_OIF, v as u32)?;
    }
    if let Some(v) = d.table {
        w.u32(a::TABLE, v)?;
    }
    if let Some((p, l)) = d.prefix {
        w.bytes(a::PREFIX, p.as_bytes())?;
        w.u8(a::PREFIX_LENGTH, l)?;
    }
    if let Some(v) = d.nexthop {
        w.bytes(a::NEXTHOP, v.as_bytes())?;
    }
    if let Some(v) = d.neigh_state {
        w.u16(a::NEIGH_STATE, u16::from(v))?;
    }
    if let Some(k) = &d.qdisc {
        w.string(a::QDISC_KIND, k)?;
    }
    if let Some(v) = d.bql_inflight {
        w.u32(a::BQL_INFLIGHT, v)?;
    }
    if let Some(v) = d.input_type {
        w.u8(a::INPUT_TYPE, v)?;
    }
    if let Some(v) = d.input_error {
        w.u32(a::INPUT_ERROR, v)?;
    }
    if let Some(v) = d.xdp_action {
        w.u8(a::XDP_ACTION, v)?;
    }
    Ok(())
}
