// SPDX-License-Identifier: GPL-2.0

//! The `rvnet` generic netlink family: route, neighbour and path questions
//! for any destination, and per-device observation settings.
//!
//! Attribute numbers come from the uAPI header generated from
//! `Documentation/netlink/specs/rvnet.yaml`; the core has validated each
//! request against the op's policy before these handlers run.

use super::observe::{put_decision, Observe};
use super::pair::{Rvnet, RvnetDev};
use crate::net::genl::{self, attr, Dump, Handlers, Request, Writer};
use crate::net::rcu;
use crate::net::route::{self, Addr, Failure, Neigh, Route, RouteQuery, Uid};
use crate::net::rtnl::RtnlGuard;
use kernel::prelude::*;

/// The family's handlers.
pub(crate) struct Decisions;

/// Writes one `dev` answer.
fn put_dev(w: &mut Writer<'_>, ifindex: i32, name: &[u8], obs: &Observe) -> Result {
    w.u32(attr::dev::IFINDEX, ifindex as u32)?;
    w.string(attr::dev::IFNAME, name)?;
    w.u32(attr::dev::SAMPLE, obs.sample())?;
    w.u32(attr::dev::RING_SIZE, obs.ring_size())?;
    w.uint(attr::dev::EVENTS_SENT, obs.events_sent())?;
    w.uint(attr::dev::EVENTS_DROPPED, obs.events_dropped())
}

/// The request's `dev` `ifindex` (required, in range).
fn dev_ifindex(req: &Request<'_>) -> Result<i32> {
    let ifindex = req
        .u32(attr::dev::IFINDEX)
        .ok_or_else(|| req.missing(attr::dev::IFINDEX, c"rvnet: ifindex is required"))?;
    ifindex_value(req, attr::dev::IFINDEX, ifindex)
}

/// The rvnet device the request's `ifindex` names, then `f` on it under RCU.
fn with_dev(req: &Request<'_>, f: impl FnOnce(i32, &[u8], &RvnetDev) -> Result) -> Result {
    let idx = dev_ifindex(req)?;
    let guard = rcu::Guard::new();
    let dev = req.net().device_rcu::<Rvnet>(idx, &guard).ok_or_else(|| {
        req.error(
            Some(attr::dev::IFINDEX),
            c"rvnet: no rvnet device with this ifindex in this namespace",
            ENODEV,
        )
    })?;
    f(dev.ifindex(), &dev.name(), dev.data())
}

impl Handlers for Decisions {
    fn route_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result {
        use attr::route as a;
        let dst = addr_attr(req, a::DST, true)?.ok_or(EINVAL)?;
        let q = RouteQuery {
            dst,
            src: addr_attr(req, a::SRC, false)?,
            iif: ifindex_attr(req, a::IIF)?,
            oif: ifindex_attr(req, a::OIF)?,
            mark: req.u32(a::MARK).unwrap_or(0),
            uid: req.u32(a::UID).map_or(Uid::Caller, Uid::Given),
            tos: req.u8(a::TOS).unwrap_or(0),
            table: req.u32(a::TABLE),
            proto: ip_proto(req, &dst)?,
            sport: req.u16(a::SPORT).unwrap_or(0),
            dport: req.u16(a::DPORT).unwrap_or(0),
        };
        if req.has(a::FIBMATCH) {
            let e = route::lookup_fibmatch(req.net(), &q).map_err(|f| failed(req, f))?;
            put_route(reply, &dst, &e.route)?;
            for nh in e.nexthops.iter().flatten() {
                reply.nest(a::NEXTHOP, |w| {
                    use attr::nexthop as n;
                    if let Some(g) = nh.gateway {
                        w.bytes(n::GATEWAY, g.as_bytes())?;
                    }
                    if let Some(d) = nh.dev {
                        w.u32(n::OIF, d.ifindex as u32)?;
                        w.string(n::OIF_NAME, &d.name)?;
                    }
                    w.u32(n::WEIGHT, nh.weight)
                })?;
            }
            return Ok(());
        }
        let r = route::lookup(req.net(), &q).map_err(|f| failed(req, f))?;
        put_route(reply, &dst, &r)
    }

    fn neigh_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result {
        use attr::neigh as a;
        let addr = addr_attr(req, a::ADDR, true)?.ok_or(EINVAL)?;
        let ifindex = ifindex_attr(req, a::IFINDEX)?;
        if ifindex == 0 {
            return Err(req.missing(a::IFINDEX, c"rvnet: ifindex is required"));
        }
        let resolve = req.has(a::RESOLVE);
        if resolve && !req.net_admin() {
            return Err(req.error(
                Some(a::RESOLVE),
                c"rvnet: resolve needs CAP_NET_ADMIN",
                EPERM,
            ));
        }
        let n = route::neighbour(req.net(), addr, ifindex, resolve)
            .map_err(|f| failed(req, f))?
            .ok_or_else(|| {
                req.error(
                    Some(a::ADDR),
                    c"rvnet: no neighbour entry for this address",
                    ENOENT,
                )
            })?;
        put_neigh(reply, &addr, ifindex, &n)
    }

    fn path_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result {
        use attr::path as a;
        let dst = addr_attr(req, a::DST, true)?.ok_or(EINVAL)?;
        let q = RouteQuery {
            dst,
            src: addr_attr(req, a::SRC, false)?,
            iif: 0,
            oif: 0,
            mark: req.u32(a::MARK).unwrap_or(0),
            uid: Uid::Caller,
            tos: 0,
            table: None,
            proto: default_proto(&dst),
            sport: 0,
            dport: 0,
        };
        let net = req.net();
        let r = route::lookup(net, &q).map_err(|f| failed(req, f))?;
        reply.bytes(a::DST, dst.as_bytes())?;
        reply.nest(a::ROUTE, |w| put_route(w, &dst, &r))?;
        let Some(dev) = r.dev else {
            return Ok(());
        };
        let hop = r.gateway.unwrap_or(dst);
        // No entry yet is a normal answer: the neighbour is simply absent.
        if let Ok(Some(n)) = route::neighbour(net, hop, dev.ifindex, false) {
            reply.nest(a::NEIGH, |w| put_neigh(w, &hop, dev.ifindex, &n))?;
        }
        reply.u32(a::IFINDEX, dev.ifindex as u32)?;
        if let Some(f) = route::dev_facts(net, dev.ifindex) {
            if f.real_num_tx_queues == 1 {
                reply.u32(a::TX_QUEUE, 0)?;
            }
            reply.string(a::QDISC_KIND, &f.qdisc_kind)?;
        }
        Ok(())
    }

    fn dev_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result {
        with_dev(req, |idx, name, d| put_dev(reply, idx, name, &d.obs))
    }

    fn dev_dump(dump: &mut Dump<'_>) -> Result {
        let guard = rcu::Guard::new();
        let net = dump.net();
        let mut from = *dump.cursor();
        while let Some((idx, dev)) = net.next_device_rcu::<Rvnet>(from, &guard) {
            let name = dev.name();
            dump.entry(|w| put_dev(w, dev.ifindex(), &name, &dev.data().obs))?;
            from = idx + 1;
            *dump.cursor() = from;
        }
        Ok(())
    }

    fn decision_dump(dump: &mut Dump<'_>) -> Result {
        if !dump.net_admin() {
            return Err(dump.error(
                c"rvnet: decision-dump needs CAP_NET_ADMIN in this network namespace",
                EPERM,
            ));
        }
        let ifindex = dump
            .u32(attr::decision::IFINDEX)
            .ok_or_else(|| dump.error(c"rvnet: ifindex is required", EINVAL))?;
        let idx = i32::try_from(ifindex)
            .ok()
            .filter(|&i| i >= 1)
            .ok_or_else(|| dump.error(c"rvnet: ifindex out of range (1 to 2^31 - 1)", ERANGE))?;
        let guard = rcu::Guard::new();
        let net = dump.net();
        let dev = net.device_rcu::<Rvnet>(idx, &guard).ok_or_else(|| {
            dump.error(
                c"rvnet: no rvnet device with this ifindex in this namespace",
                ENODEV,
            )
        })?;
        let after = *dump.cursor();
        dev.data().obs.for_each_after(after, |d| {
            dump.entry(|w| put_decision(w, d))?;
            *dump.cursor() = d.seq();
            Ok(())
        })
    }

    fn dev_set(req: &Request<'_>, reply: &mut Writer<'_>) -> Result {
        if !req.net_admin() {
            return Err(req.error(
                None,
                c"rvnet: dev-set needs CAP_NET_ADMIN in this network namespace",
                EPERM,
            ));
        }
        let sample = req.u32(attr::dev::SAMPLE);
        // Range-checked by the policy (1..=65536).
        let ring = req.u32(attr::dev::RING_SIZE);
        if sample.is_none() && ring.is_none() {
            return Err(req.error(
                None,
                c"rvnet: nothing to set (give sample and/or ring-size)",
                EINVAL,
            ));
        }
        // rtnl for the device's transmit flags (keep each packet's route
        // for the records while sampling).
        let idx = dev_ifindex(req)?;
        let rtnl = RtnlGuard::lock();
        // Under rtnl, not RCU: `configure` may sleep to allocate the ring.
        let dev = req
            .net()
            .device_rtnl::<Rvnet>(idx, rtnl.token())
            .ok_or_else(|| {
                req.error(
                    Some(attr::dev::IFINDEX),
                    c"rvnet: no rvnet device with this ifindex in this namespace",
                    ENODEV,
                )
            })?;
        {
            let d = dev.data();
            // Everything is validated; `configure` allocates before it
            // changes anything.
            d.obs
                .configure(sample, ring)
                .map_err(|e| req.error(None, c"rvnet: no memory for the decision ring", e))?;
            if let Some(s) = sample {
                dev.set_keep_dst(s != 0, rtnl.token());
            }
            put_dev(reply, dev.ifindex(), &dev.name(), &d.obs)
        }
    }
}

/// Sets the extack of a failed lookup and returns its errno.
fn failed(req: &Request<'_>, f: Failure) -> Error {
    req.error(None, f.msg, f.err)
}

/// An address attribute: 4 (IPv4) or 16 (IPv6) bytes.
fn addr_attr(req: &Request<'_>, ty: u32, required: bool) -> Result<Option<Addr>> {
    match req.bytes(ty) {
        None if required => Err(req.missing(ty, c"rvnet: an address attribute is required")),
        None => Ok(None),
        Some(b) => Addr::from_bytes(b).map(Some).ok_or_else(|| {
            req.error(
                Some(ty),
                c"rvnet: an address must be 4 (IPv4) or 16 (IPv6) bytes",
                EINVAL,
            )
        }),
    }
}

/// The flow's IP protocol for a route question about `dst`: none given,
/// the kernel's route get default (`inet_rtm_getroute`: UDP for IPv4;
/// IPv6: none).
fn default_proto(dst: &Addr) -> u8 {
    match dst {
        Addr::V4(_) => route::ipproto::UDP,
        Addr::V6(_) => 0,
    }
}

/// The `ipproto` attribute, checked as `rtm_getroute_parse_ip_proto()`
/// checks `RTA_IP_PROTO`: TCP, UDP, and ICMP for IPv4 or ICMPv6 for IPv6.
fn ip_proto(req: &Request<'_>, dst: &Addr) -> Result<u8> {
    use route::ipproto as p;
    let Some(v) = req.u8(attr::route::IPPROTO) else {
        return Ok(default_proto(dst));
    };
    let ok = match v {
        p::TCP | p::UDP => true,
        p::ICMP => matches!(dst, Addr::V4(_)),
        p::ICMPV6 => matches!(dst, Addr::V6(_)),
        _ => false,
    };
    if !ok {
        return Err(req.error(
            Some(attr::route::IPPROTO),
            c"rvnet: unsupported ip proto (tcp, udp; icmp for IPv4, ipv6-icmp for IPv6)",
            genl::eopnotsupp(),
        ));
    }
    Ok(v)
}

/// An optional ifindex attribute (0 when absent).
fn ifindex_attr(req: &Request<'_>, ty: u32) -> Result<i32> {
    match req.u32(ty) {
        None => Ok(0),
        Some(v) => ifindex_value(req, ty, v),
    }
}

/// An ifindex the request gave in attribute `ty`: 1 or more, as the
/// spec's `checks: {min: 1}` (the policy refuses 0 first), and an `int`.
fn ifindex_value(req: &Request<'_>, ty: u32, v: u32) -> Result<i32> {
    match i32::try_from(v) {
        Ok(i) if i >= 1 => Ok(i),
        _ => Err(req.error(
            Some(ty),
            c"rvnet: ifindex out of range (1 to 2^31 - 1)",
            ERANGE,
        )),
    }
}

/// Writes a route answer.
fn put_route(w: &mut Writer<'_>, dst: &Addr, r: &Route) -> Result {
    use attr::route as a;
    w.bytes(a::DST, dst.as_bytes())?;
    w.u8(a::FAMILY, r.family)?;
    w.u8(a::TYPE, r.rtype)?;
    if let Some(t) = r.table {
        w.u32(a::TABLE, t)?;
    }
    if let Some(s) = r.scope {
        w.u8(a::SCOPE, s)?;
    }
    if let Some((p, len)) = r.prefix {
        w.bytes(a::PREFIX, p.as_bytes())?;
        w.u8(a::PREFIX_LENGTH, len)?;
    }
    if let Some(g) = r.gateway {
        w.bytes(a::GATEWAY, g.as_bytes())?;
    }
    if let Some(d) = r.dev {
        w.u32(a::OIF, d.ifindex as u32)?;
        w.string(a::OIF_NAME, &d.name)?;
    }
    if let Some(p) = r.prefsrc {
        w.bytes(a::PREFSRC, p.as_bytes())?;
    }
    if let Some(p) = r.priority {
        w.u32(a::PRIORITY, p)?;
    }
    if let Some(m) = r.mtu {
        w.u32(a::MTU, m)?;
    }
    if let Some(e) = r.error {
        w.u32(a::ERROR, e)?;
    }
    Ok(())
}

/// Writes a neighbour answer.
fn put_neigh(w: &mut Writer<'_>, addr: &Addr, ifindex: i32, n: &Neigh) -> Result {
    use attr::neigh as a;
    w.bytes(a::ADDR, addr.as_bytes())?;
    w.u32(a::IFINDEX, ifindex as u32)?;
    w.u16(a::STATE, u16::from(n.state))?;
    w.string(a::STATE_NAME, route::nud_name(n.state))?;
    if let Some(ll) = n.lladdr.get(..n.lladdr_len) {
        if !ll.is_empty() {
            w.bytes(a::LLADDR, ll)?;
        }
    }
    w.u8(a::FLAGS, n.flags)?;
    w.u32(a::CONFIRMED_MS, n.confirmed_ms)?;
    w.u32(a::USED_MS, n.used_ms)?;
    w.u32(a::UPDATED_MS, n.updated_ms)?;
    w.u32(a::PROBES, n.probes)
}
