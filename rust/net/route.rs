// SPDX-License-Identifier: GPL-2.0

//! Route and neighbour lookups (`include/net/route.h`, `include/net/ip_fib.h`,
//! `include/net/ip6_route.h`, `include/net/neighbour.h`).
//!
//! The answers are computed with the kernel's own lookups, the same ones
//! `ip route get` reaches through `inet_rtm_getroute` / `inet6_rtm_getroute`:
//!
//! - IPv4 output: `fib_lookup` (policy rules, then tables) for the matching
//!   route (table, type, scope, prefix, priority) and `ip_route_output_key`
//!   for what the output path makes of it (device, gateway, source address,
//!   path MTU). With an input interface or an explicit table the answer is
//!   the FIB result alone (`fib_lookup` with `iif`, or `fib_table_lookup` on
//!   that table bypassing the rules), with the source address selected as
//!   `fib_result_prefsrc` does.
//! - IPv6: `ip6_route_output` and the `fib6_info` the route came from.
//! - Neighbours: `neigh_lookup` in `arp_tbl` / `nd_tbl`; resolution with
//!   `__neigh_create` + `neigh_event_send`, which sends the ARP request or
//!   neighbour solicitation.
//!
//! Everything runs in process context under an RCU read-side section
//! ([`rcu::Guard`]); FIB results are read without references
//! (`FIB_LOOKUP_NOREF`) inside it; output routes (`ip_rt_put` /
//! `dst_release`) and neighbours (`neigh_release`) are released before
//! returning. Results are plain values.

use super::bindings as b;
use super::device::Net;
use super::rcu;
use core::ffi::CStr;
use core::ptr;
use kernel::error::from_err_ptr;
use kernel::prelude::*;

/// `RTN_*` route types.
pub(crate) mod rtn {
    /// Unicast route.
    pub(crate) const UNICAST: u8 = 1;
    /// Blackhole (silently discard).
    pub(crate) const BLACKHOLE: u8 = 6;
    /// Unreachable (ICMP host unreachable).
    pub(crate) const UNREACHABLE: u8 = 7;
    /// Prohibit (ICMP administratively prohibited).
    pub(crate) const PROHIBIT: u8 = 8;
}

/// `IPPROTO_*` values (`include/uapi/linux/in.h`, `in6.h`).
pub(crate) mod ipproto {
    /// ICMP.
    pub(crate) const ICMP: u8 = 1;
    /// TCP.
    pub(crate) const TCP: u8 = 6;
    /// UDP.
    pub(crate) const UDP: u8 = 17;
    /// ICMPv6.
    pub(crate) const ICMPV6: u8 = 58;
}

/// An IPv4 or IPv6 address, network byte order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addr {
    /// IPv4.
    V4([u8; 4]),
    /// IPv6.
    V6([u8; 16]),
}

impl Addr {
    /// From 4 or 16 bytes.
    pub(crate) fn from_bytes(b: &[u8]) -> Option<Self> {
        match b.len() {
            4 => Some(Self::V4(b.try_into().ok()?)),
            16 => Some(Self::V6(b.try_into().ok()?)),
            _ => None,
        }
    }

    /// The address bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::V4(a) => a,
            Self::V6(a) => a,
        }
    }

    /// `AF_INET` or `AF_INET6`.
    pub(crate) fn family(&self) -> u8 {
        match self {
            Self::V4(_) => b::AF_INET as u8,
            Self::V6(_) => b::AF_INET6 as u8,
        }
    }
}

/// A failed lookup: the errno and the extack message that explains it.
pub(crate) struct Failure {
    /// Error for userspace.
    pub(crate) err: Error,
    /// Message for userspace (extack).
    pub(crate) msg: &'static CStr,
}

fn fail(err: Error, msg: &'static CStr) -> Failure {
    Failure { err, msg }
}

/// The inputs of a route lookup (what `ip route get` takes).
#[derive(Clone, Copy)]
pub(crate) struct RouteQuery {
    /// Destination.
    pub(crate) dst: Addr,
    /// Source (same family as `dst`).
    pub(crate) src: Option<Addr>,
    /// Input interface (0 = output lookup).
    pub(crate) iif: i32,
    /// Output interface constraint (0 = any).
    pub(crate) oif: i32,
    /// Firewall mark.
    pub(crate) mark: u32,
    /// Socket uid (rules by uidrange).
    pub(crate) uid: Uid,
    /// TOS / traffic class.
    pub(crate) tos: u8,
    /// Look up this table only (IPv4).
    pub(crate) table: Option<u32>,
    /// IP protocol of the flow (`flowi4_proto` / `flowi6_proto`).
    pub(crate) proto: u8,
    /// Source port, host byte order (0 = none).
    pub(crate) sport: u16,
    /// Destination port, host byte order (0 = none).
    pub(crate) dport: u16,
}

/// The uid a lookup is made for (`uidrange` rules).
#[derive(Clone, Copy)]
pub(crate) enum Uid {
    /// None given: the caller's own uid for an output lookup, none for an
    /// input one (`inet_rtm_getroute`: `iif ? INVALID_UID : current_uid()`).
    Caller,
    /// A uid as the caller names it, in the caller's user namespace
    /// (`make_kuid(current_user_ns(), uid)`); ignored for input lookups.
    Given(u32),
    /// A kernel uid (`kuid_t`), e.g. of the socket that sent a packet.
    Kernel(u32),
}

/// `INVALID_UID`.
const INVALID_UID: u32 = u32::MAX;

impl Uid {
    /// The `kuid_t` value for a lookup with input interface `iif`. `Caller`
    /// and `Given` read the calling task: process context only.
    fn kuid(self, iif: i32) -> u32 {
        match self {
            Self::Kernel(k) => k,
            _ if iif != 0 => INVALID_UID,
            // SAFETY: reads the calling task's credentials.
            Self::Caller => unsafe { b::rvnet_current_kuid() },
            // SAFETY: as above; make_kuid only reads the user namespace.
            Self::Given(u) => unsafe { b::rvnet_make_kuid_current_ns(u) },
        }
    }
}

/// Whether IPv6 is up in this kernel (off with `ipv6.disable=1`, when its
/// FIB and neighbour table were never set up).
pub(crate) fn ipv6_enabled() -> bool {
    // SAFETY: reads a boot-time flag.
    unsafe { b::rvnet_ipv6_mod_enabled() }
}

fn no_ipv6() -> Failure {
    fail(
        b_err(b::EAFNOSUPPORT),
        c"rvnet: IPv6 is disabled in this kernel (ipv6.disable=1)",
    )
}

/// An output device: index and name.
#[derive(Clone, Copy)]
pub(crate) struct DevRef {
    /// `ifindex`.
    pub(crate) ifindex: i32,
    /// Name, NUL-padded.
    pub(crate) name: [u8; b::IFNAMSIZ as usize],
}

/// A route answer.
#[derive(Clone, Copy)]
pub(crate) struct Route {
    /// `AF_INET` / `AF_INET6`.
    pub(crate) family: u8,
    /// `RTN_*`.
    pub(crate) rtype: u8,
    /// Table the route was found in.
    pub(crate) table: Option<u32>,
    /// Route scope.
    pub(crate) scope: Option<u8>,
    /// Matched prefix and length.
    pub(crate) prefix: Option<(Addr, u8)>,
    /// Gateway; `None` when directly connected.
    pub(crate) gateway: Option<Addr>,
    /// Output device.
    pub(crate) dev: Option<DevRef>,
    /// Preferred source address.
    pub(crate) prefsrc: Option<Addr>,
    /// Metric.
    pub(crate) priority: Option<u32>,
    /// Path MTU.
    pub(crate) mtu: Option<u32>,
    /// For a reject route: the positive errno the kernel's lookup fails
    /// with (what `ip route get` reports); `None` for a usable route.
    pub(crate) error: Option<u32>,
}

impl Route {
    fn reject(family: u8, rtype: u8) -> Self {
        Self {
            family,
            rtype,
            table: None,
            scope: None,
            prefix: None,
            gateway: None,
            dev: None,
            prefsrc: None,
            priority: None,
            mtu: None,
            error: None,
        }
    }

    /// A reject route the lookup failed on with `err` (negative errno),
    /// if `err` is a reject route's error: its type and the errno.
    fn rejected(family: u8, err: i32) -> Option<Self> {
        let mut r = Self::reject(family, reject_type(err)?);
        r.error = Some(err.unsigned_abs());
        Some(r)
    }
}

/// The reject route type behind a lookup errno (`fib_props[].error`,
/// `fib6_prop[]`), if the errno is one. A throw route's `EAGAIN` never
/// gets here: the rules engine goes on to the next rule, and a lookup
/// without a match ends in `ENETUNREACH` (both IPv4 and IPv6); in a lookup
/// of one table (`table`) a throw and no match are the same `EAGAIN`.
fn reject_type(err: i32) -> Option<u8> {
    let e = err.unsigned_abs();
    if e == b::EINVAL {
        Some(rtn::BLACKHOLE)
    } else if e == b::EHOSTUNREACH {
        Some(rtn::UNREACHABLE)
    } else if e == b::EACCES {
        Some(rtn::PROHIBIT)
    } else {
        None
    }
}

fn lookup_error(err: i32) -> Failure {
    if err.unsigned_abs() == b::ENETUNREACH {
        fail(
            Error::from_errno(err),
            c"rvnet: no route to the destination (network unreachable)",
        )
    } else {
        fail(Error::from_errno(err), c"rvnet: route lookup failed")
    }
}

/// # Safety
///
/// `dev` must be NULL or a device valid under the caller's RCU section.
unsafe fn dev_ref(dev: *const b::net_device) -> Option<DevRef> {
    if dev.is_null() {
        return None;
    }
    // SAFETY: valid per the caller; name and ifindex are plain fields.
    unsafe {
        Some(DevRef {
            ifindex: (*dev).ifindex,
            name: (*dev).name,
        })
    }
}

/// Looks up the route for `q` in `net`, as `ip route get` answers it.
/// Never sleeps. (Decision records in the datapath use [`lookup_fib`].)
pub(crate) fn lookup(net: &Net, q: &RouteQuery) -> Result<Route, Failure> {
    lookup_as(net, q, Answer::Full)
}

/// What a lookup answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Everything `ip route get` shows: device, gateway, MTU, source.
    Full,
    /// The FIB match only: type, table, prefix, priority (no output route
    /// built, no source address selected).
    Fib,
    /// `Full`, then the FIB entry the route came from (IPv4).
    FibMatch,
}

/// The FIB match for `q` only: `rtype`, `table`, `prefix`, `priority`
/// (and `scope` for IPv4); the other fields are `None`. For the datapath's
/// decision records, whose packet already carries its route: the cost of
/// one FIB lookup (IPv6: of `ip6_route_output`, usually a cached route),
/// without an output route reference, or a source address selection.
pub(crate) fn lookup_fib(net: &Net, q: &RouteQuery) -> Result<Route, Failure> {
    lookup_as(net, q, Answer::Fib)
}

/// The most nexthops a [`FibEntry`] lists.
pub(crate) const MAX_NEXTHOPS: usize = 16;

/// One nexthop of a FIB entry.
#[derive(Clone, Copy)]
pub(crate) struct Nexthop {
    /// Gateway; `None` when directly connected.
    pub(crate) gateway: Option<Addr>,
    /// Device.
    pub(crate) dev: Option<DevRef>,
    /// Weight (`rtnh_hops + 1`).
    pub(crate) weight: u32,
}

/// The FIB entry a lookup matched, as `ip route get ... fibmatch` shows it.
pub(crate) struct FibEntry {
    /// Type (of the route built from it), table, scope, prefix, priority,
    /// preferred source of the entry; gateway and device for an entry with
    /// one nexthop.
    pub(crate) route: Route,
    /// The nexthops of a multipath entry (empty for one nexthop).
    pub(crate) nexthops: [Option<Nexthop>; MAX_NEXTHOPS],
}

/// `ip route get ... fibmatch` (IPv4): the route is looked up as
/// [`lookup`] does (its errors, reject routes as answers), then the answer
/// is the FIB entry it was built from (`RTM_F_FIB_MATCH`): EHOSTUNREACH when
/// there is none (an output interface's on-link assumption, multicast and
/// broadcast destinations routed without the FIB).
pub(crate) fn lookup_fibmatch(net: &Net, q: &RouteQuery) -> Result<FibEntry, Failure> {
    let mut e = FibEntry {
        route: Route::reject(q.dst.family(), rtn::UNICAST),
        nexthops: [None; MAX_NEXTHOPS],
    };
    e.route = lookup_in(net, q, Answer::FibMatch, Some(&mut e.nexthops))?;
    Ok(e)
}

fn lookup_as(net: &Net, q: &RouteQuery, answer: Answer) -> Result<Route, Failure> {
    lookup_in(net, q, answer, None)
}

fn lookup_in(
    net: &Net,
    q: &RouteQuery,
    answer: Answer,
    nhs: Option<&mut [Option<Nexthop>; MAX_NEXTHOPS]>,
) -> Result<Route, Failure> {
    if q.src.is_some_and(|s| s.family() != q.dst.family()) {
        return Err(fail(EINVAL, c"rvnet: src and dst address families differ"));
    }
    if matches!(q.dst, Addr::V6(_)) && !ipv6_enabled() {
        return Err(no_ipv6());
    }
    let _guard = rcu::Guard::new();
    // As inet_rtm_getroute: an input interface must exist.
    // SAFETY: RCU held by `_guard`; only the NULL test is used.
    if q.iif != 0 && unsafe { b::dev_get_by_index_rcu(net.as_raw(), q.iif) }.is_null() {
        return Err(fail(
            ENODEV,
            c"rvnet: no input device with this ifindex in this namespace",
        ));
    }
    match q.dst {
        Addr::V4(d) => lookup4(net, q, d, answer, nhs),
        Addr::V6(d) => lookup6(net, q, d, answer, nhs),
    }
}

/// The IPv4 FIB table `id` (`fib_get_table`, not exported): a walk of the
/// namespace's table hash under RCU.
///
/// # Safety
///
/// RCU read side held; `net` valid.
unsafe fn fib_table(net: *mut b::net, id: u32) -> *mut b::fib_table {
    let sz = b::rvnet_c_consts_RVNET_C_FIB_TABLE_HASHSZ;
    let off = core::mem::offset_of!(b::fib_table, tb_hlist);
    // SAFETY: the hash has FIB_TABLE_HASHSZ (a power of two) heads; entries
    // are RCU-protected hlist nodes embedded in fib_table at `off`.
    unsafe {
        let head = (*net).ipv4.fib_table_hash.add((id & (sz - 1)) as usize);
        let mut node = ptr::read_volatile(ptr::addr_of!((*head).first));
        while !node.is_null() {
            let tb = node.cast::<u8>().sub(off).cast::<b::fib_table>();
            if (*tb).tb_id == id {
                return tb;
            }
            node = ptr::read_volatile(ptr::addr_of!((*node).next));
        }
    }
    ptr::null_mut()
}

fn lookup4(
    net: &Net,
    q: &RouteQuery,
    dst: [u8; 4],
    answer: Answer,
    nhs: Option<&mut [Option<Nexthop>; MAX_NEXTHOPS]>,
) -> Result<Route, Failure> {
    let mut fl4 = b::flowi4 {
        daddr: u32::from_ne_bytes(dst),
        saddr: match q.src {
            Some(Addr::V4(s)) => u32::from_ne_bytes(s),
            _ => 0,
        },
        ..Default::default()
    };
    let c = &mut fl4.__fl_common;
    // Output lookups come "from" loopback for iif rules, as in
    // ip_route_output_key_hash(); input ones (ip_route_input_slow) have no
    // output interface and the uid of a socketless lookup.
    if q.iif != 0 {
        c.flowic_iif = q.iif;
        // SAFETY: `net` is valid; reads its user namespace.
        c.flowic_uid.val = unsafe { b::rvnet_sock_net_uid_none(net.as_raw()) };
    } else {
        c.flowic_oif = q.oif;
        c.flowic_iif = b::LOOPBACK_IFINDEX as i32;
        c.flowic_uid.val = q.uid.kuid(q.iif);
    }
    c.flowic_mark = q.mark;
    // As inet_rtm_getroute: the DSCP bits (INET_DSCP_MASK), so that
    // `dscp` rules above 7 match.
    c.flowic_tos = q.tos & 0xfc;
    c.flowic_proto = q.proto;
    fl4.uli.ports = flow_ports(q);
    let orig = fl4;

    // SAFETY: all-zero is a valid empty fib_result.
    let mut res: b::fib_result = unsafe { core::mem::zeroed() };
    let err = match q.table {
        Some(id) => {
            // SAFETY: RCU held by `lookup`; `net` is valid.
            let tb = unsafe { fib_table(net.as_raw(), id) };
            if tb.is_null() {
                return Err(fail(ENOENT, c"rvnet: no such routing table"));
            }
            // SAFETY: `tb` is a live table under RCU; NOREF results are
            // valid until the RCU section ends.
            let e = unsafe { b::fib_table_lookup(tb, &fl4, &mut res, b::FIB_LOOKUP_NOREF as i32) };
            // No match in the table: what __fib_lookup answers (EAGAIN
            // means "try the next rule" inside the rules engine).
            if e == -(b::EAGAIN as i32) {
                -(b::ENETUNREACH as i32)
            } else {
                e
            }
        }
        // SAFETY: RCU held; NOREF as above.
        None => unsafe {
            b::rvnet_fib_lookup(net.as_raw(), &mut fl4, &mut res, b::FIB_LOOKUP_NOREF)
        },
    };
    if answer == Answer::FibMatch {
        let built = if q.table.is_some() {
            None
        } else if q.iif == 0 {
            Some(output4(net, q, dst, orig, err, &res)?)
        } else {
            Some(input4(net, q, dst, err, &res)?)
        };
        if let Some(r) = built.filter(|r| r.error.is_some()) {
            return Ok(r);
        }
        let skips = if q.iif == 0 {
            output_skips_fib(q, dst)
        } else {
            dst == [255; 4] || (224..240).contains(&dst[0])
        };
        if err != 0 && q.table.is_some() {
            return Route::rejected(b::AF_INET as u8, err).ok_or_else(|| lookup_error(err));
        }
        if err != 0 || skips || res.fi.is_null() {
            return Err(fail(
                b_err(b::EHOSTUNREACH),
                c"rvnet: fibmatch: the route was not built from a FIB entry",
            ));
        }
        let mut r = fib_route(&res);
        if let Some(b) = built {
            r.rtype = b.rtype;
        }
        // SAFETY: `res.fi` of a successful NOREF lookup, valid under the
        // RCU section `lookup_in` holds.
        unsafe { fib_entry(res.fi, &mut r, nhs) };
        return Ok(r);
    }
    if answer == Answer::Full && q.iif == 0 && q.table.is_none() {
        return output4(net, q, dst, orig, err, &res);
    }
    if answer == Answer::Full && q.iif != 0 && q.table.is_none() {
        return input4(net, q, dst, err, &res);
    }
    if err != 0 {
        return Route::rejected(b::AF_INET as u8, err).ok_or_else(|| lookup_error(err));
    }
    let fi = res.fi;
    let nhc = res.nhc;
    let mut r = fib_route(&res);
    if answer == Answer::Fib {
        return Ok(r);
    }

    // FIB result only (input interface or explicit table).
    if nhc.is_null() {
        return Ok(r);
    }
    // SAFETY: nexthop and fib_info of a successful NOREF lookup, valid
    // under RCU.
    unsafe {
        let dev = (*nhc).nhc_dev;
        r.dev = dev_ref(dev);
        let gw4 = match u32::from((*nhc).nhc_gw_family) {
            b::AF_INET => {
                let g = (*nhc).nhc_gw.ipv4;
                r.gateway = Some(Addr::V4(g.to_ne_bytes()));
                g
            }
            b::AF_INET6 => {
                r.gateway = Some(Addr::V6((*nhc).nhc_gw.ipv6.in6_u.u6_addr8));
                0
            }
            _ => 0,
        };
        // As fib_result_prefsrc(): the route's prefsrc, else the address
        // selected on the nexthop device for the gateway and route scope.
        let src = if !fi.is_null() && (*fi).fib_prefsrc != 0 {
            (*fi).fib_prefsrc
        } else if !dev.is_null() && !fi.is_null() {
            b::inet_select_addr(dev, gw4, i32::from((*fi).fib_scope))
        } else {
            0
        };
        if src != 0 {
            r.prefsrc = Some(Addr::V4(src.to_ne_bytes()));
        }
        if !dev.is_null() {
            r.mtu = Some((*dev).mtu);
        }
    }
    Ok(r)
}

/// Fills `r` with what `fib_dump_info` reports of the entry `fi`: scope,
/// preferred source, and its nexthops: gateway and device in `r` for one,
/// the list in `nhs` for several (as `RTA_MULTIPATH`).
///
/// # Safety
///
/// `fi` is a live `fib_info` under the caller's RCU section.
unsafe fn fib_entry(
    fi: *mut b::fib_info,
    r: &mut Route,
    nhs: Option<&mut [Option<Nexthop>; MAX_NEXTHOPS]>,
) {
    // SAFETY: per the contract; nexthops are read as fib_dump_info reads
    // them (fib_info_num_path / fib_info_nhc), under RCU.
    unsafe {
        r.scope = Some((*fi).fib_scope);
        if (*fi).fib_prefsrc != 0 {
            r.prefsrc = Some(Addr::V4((*fi).fib_prefsrc.to_ne_bytes()));
        }
        let n = b::rvnet_fib_info_num_path(fi) as usize;
        let mut list = [None; MAX_NEXTHOPS];
        for (i, slot) in list.iter_mut().enumerate().take(n) {
            let nhc = b::rvnet_fib_info_nhc(fi, i as i32);
            if nhc.is_null() {
                continue;
            }
            *slot = Some(nexthop_of(nhc));
        }
        if n == 1 {
            if let Some(nh) = list[0] {
                r.gateway = nh.gateway;
                r.dev = nh.dev;
            }
        } else if let Some(out) = nhs {
            *out = list;
        }
    }
}

/// The nexthops of IPv6 FIB entry `f6i` as rt6_fill_node() dumps them
/// (the entry's own, then its ECMP siblings', or a nexthop object's).
///
/// # Safety
///
/// `f6i` is a live fib6_info under the caller's RCU section.
unsafe fn fib6_entry(
    f6i: *mut b::fib6_info,
    r: &mut Route,
    nhs: Option<&mut [Option<Nexthop>; MAX_NEXTHOPS]>,
) {
    // SAFETY: per the contract; the shim walks the siblings under RCU and
    // every nexthop it returns is valid in the same section.
    unsafe {
        let n = b::rvnet_fib6_num_path(f6i) as usize;
        let mut list = [None; MAX_NEXTHOPS];
        for (i, slot) in list.iter_mut().enumerate().take(n) {
            let nhc = b::rvnet_fib6_nhc(f6i, i as i32);
            if nhc.is_null() {
                continue;
            }
            *slot = Some(nexthop_of(nhc));
        }
        if n == 1 {
            if let Some(nh) = list[0] {
                r.gateway = nh.gateway;
                r.dev = nh.dev;
            }
        } else if let Some(out) = nhs {
            *out = list;
        }
    }
}

/// A nexthop as fib_add_nexthop() / fib_nexthop_info() dump it.
///
/// # Safety
///
/// `nhc` is a live nexthop under the caller's RCU section.
unsafe fn nexthop_of(nhc: *const b::fib_nh_common) -> Nexthop {
    // SAFETY: per the contract.
    unsafe {
        let gateway = match u32::from((*nhc).nhc_gw_family) {
            b::AF_INET => Some(Addr::V4((*nhc).nhc_gw.ipv4.to_ne_bytes())),
            b::AF_INET6 => Some(Addr::V6((*nhc).nhc_gw.ipv6.in6_u.u6_addr8)),
            _ => None,
        };
        Nexthop {
            gateway,
            dev: dev_ref((*nhc).nhc_dev),
            weight: u32::try_from((*nhc).nhc_weight).unwrap_or(1),
        }
    }
}

/// The FIB match of a successful IPv4 lookup: type, scope, prefix, table,
/// priority.
fn fib_route(res: &b::fib_result) -> Route {
    let mut r = Route::reject(b::AF_INET as u8, res.type_);
    r.scope = Some(res.scope);
    r.prefix = Some((Addr::V4(res.prefix.to_ne_bytes()), res.prefixlen));
    // SAFETY: a successful lookup sets a live table and fib_info, valid
    // under the caller's RCU section (NOREF).
    unsafe {
        if !res.table.is_null() {
            r.table = Some((*res.table).tb_id);
        }
        if !res.fi.is_null() {
            r.priority = Some((*res.fi).fib_priority);
        }
    }
    r
}

/// Whether `ip_route_output_key_hash_rcu()` builds the route for `q`
/// without a FIB lookup: a multicast or limited-broadcast destination
/// with a source and no output interface, or a link-local multicast or
/// limited-broadcast one with an output interface.
fn output_skips_fib(q: &RouteQuery, dst: [u8; 4]) -> bool {
    let lbcast = dst == [255; 4];
    let mcast = (224..240).contains(&dst[0]);
    let local_mcast = dst[..3] == [224, 0, 0];
    (q.src.is_some() && q.oif == 0 && (mcast || lbcast)) || (q.oif != 0 && (local_mcast || lbcast))
}

/// `ip route get` for an output lookup: the route the output path builds
/// (`ip_route_output_key`) decides the answer: success or the errno, the
/// type (multicast, broadcast and local included), device, gateway, source
/// and MTU. The FIB match `fib_err`/`res` of the same flow adds the table,
/// prefix and metric where the output path consults the FIB; with an
/// output interface and no route it assumes the destination is on link,
/// and some destinations never reach the FIB (`output_skips_fib`).
fn output4(
    net: &Net,
    q: &RouteQuery,
    dst: [u8; 4],
    flow: b::flowi4,
    fib_err: i32,
    res: &b::fib_result,
) -> Result<Route, Failure> {
    let mut fo = flow;
    // SAFETY: any context but hard IRQ (the forwarding path calls it from
    // softirq), under the caller's RCU section; the result holds a
    // reference we drop with ip_rt_put below.
    let rt = match from_err_ptr(unsafe { b::rvnet_ip_route_output_key(net.as_raw(), &mut fo) }) {
        Ok(rt) => rt,
        Err(e) => {
            // A reject route: the FIB names its type, the output path's
            // errno is the answer's error.
            if fib_err != 0 && fib_err == e.to_errno() {
                if let Some(r) = Route::rejected(b::AF_INET as u8, fib_err) {
                    return Ok(r);
                }
            }
            return Err(lookup_error(e.to_errno()));
        }
    };
    let mut r = if fib_err == 0 && !output_skips_fib(q, dst) {
        fib_route(res)
    } else {
        Route::reject(b::AF_INET as u8, rtn::UNICAST)
    };
    // SAFETY: `rt` is a referenced rtable until ip_rt_put.
    unsafe {
        // The type of the route the output path built (multicast,
        // broadcast, local), as `ip route get` shows it, not the FIB
        // entry's.
        r.rtype = (*rt).rt_type as u8;
        r.dev = dev_ref((*rt).dst.__bindgen_anon_1.dev);
        let gw = &(*rt).__bindgen_anon_1;
        // As rt_fill_info(): a gateway only if the route uses one (local
        // and broadcast routes carry the destination as rt_gw4).
        let family = if (*rt).rt_uses_gateway != 0 {
            u32::from((*rt).rt_gw_family)
        } else {
            0
        };
        r.gateway = match family {
            b::AF_INET => Some(Addr::V4(gw.rt_gw4.to_ne_bytes())),
            b::AF_INET6 => Some(Addr::V6(gw.rt_gw6.in6_u.u6_addr8)),
            _ => None,
        };
        r.mtu = Some(b::rvnet_dst_mtu(ptr::addr_of!((*rt).dst)));
        b::rvnet_ip_rt_put(rt);
    }
    r.prefsrc = Some(Addr::V4(fo.saddr.to_ne_bytes()));
    Ok(r)
}

/// `ip route get ... iif DEV`: the route the input path builds for the
/// packet (`ip_route_input_noref`, as `inet_rtm_getroute` asks it), so
/// forwarding, rp_filter and the martian checks decide as they do for a
/// received packet: type (local, broadcast, unicast), device (`lo` for
/// local delivery), gateway, or the errno. No preferred source: an input
/// route has none. The FIB match `fib_err`/`res` of the same flow adds the
/// table, prefix and metric where the input path consults the FIB (not
/// for multicast and limited-broadcast destinations).
fn input4(
    net: &Net,
    q: &RouteQuery,
    dst: [u8; 4],
    fib_err: i32,
    res: &b::fib_result,
) -> Result<Route, Failure> {
    // SAFETY: RCU held by `lookup_as`, which checked the device exists.
    let dev = unsafe { b::dev_get_by_index_rcu(net.as_raw(), q.iif) };
    if dev.is_null() {
        return Err(fail(
            ENODEV,
            c"rvnet: no input device with this ifindex in this namespace",
        ));
    }
    let src = match q.src {
        Some(Addr::V4(s)) => u32::from_ne_bytes(s),
        _ => 0,
    };
    let ports = flow_ports(q);
    // SAFETY: all-zero is a valid empty answer.
    let mut out: b::rvnet_input_route = unsafe { core::mem::zeroed() };
    // SAFETY: `dev` is valid under the RCU section `lookup_as` holds, in
    // which the answer's device and noref route stay valid; process
    // context (the skb is allocated atomically).
    let err = unsafe {
        b::rvnet_ip_route_input(
            dev,
            u32::from_ne_bytes(dst),
            src,
            q.tos & 0xfc,
            q.mark,
            q.proto,
            ports.sport,
            ports.dport,
            &mut out,
        )
    };
    if err != 0 {
        let e = err.unsigned_abs();
        let msg = if e == b::EINVAL {
            c"rvnet: martian source or destination (the input path refuses the packet)"
        } else if e == b::EXDEV {
            c"rvnet: reverse path filter refuses the source on this input device"
        } else {
            c"rvnet: input route lookup failed"
        };
        return Err(fail(Error::from_errno(err), msg));
    }
    if out.dst_error != 0 {
        // A route that rejects: a reject FIB entry, or no route or
        // forwarding off on the input device (EHOSTUNREACH).
        return Route::rejected(b::AF_INET as u8, out.dst_error)
            .ok_or_else(|| lookup_error(out.dst_error));
    }
    let skips_fib = dst == [255; 4] || (224..240).contains(&dst[0]);
    let mut r = if fib_err == 0 && !skips_fib {
        fib_route(res)
    } else {
        Route::reject(b::AF_INET as u8, rtn::UNICAST)
    };
    r.rtype = out.type_;
    // SAFETY: valid under the caller's RCU section (see above).
    r.dev = unsafe { dev_ref(out.dev) };
    r.gateway = match u32::from(out.gw_family) {
        _ if out.uses_gateway == 0 => None,
        b::AF_INET => Some(Addr::V4(out.gw4.to_ne_bytes())),
        // SAFETY: a plain in6_addr union read as bytes.
        b::AF_INET6 => Some(Addr::V6(unsafe { out.gw6.in6_u.u6_addr8 })),
        _ => None,
    };
    r.mtu = Some(out.mtu);
    Ok(r)
}

fn lookup6(
    net: &Net,
    q: &RouteQuery,
    dst: [u8; 16],
    answer: Answer,
    nhs: Option<&mut [Option<Nexthop>; MAX_NEXTHOPS]>,
) -> Result<Route, Failure> {
    if q.table.is_some() {
        return Err(fail(
            b_err(b::EOPNOTSUPP),
            c"rvnet: a table is only supported for IPv4 lookups",
        ));
    }
    let mut fl6 = b::flowi6::default();
    fl6.daddr.in6_u.u6_addr8 = dst;
    if let Some(Addr::V6(s)) = q.src {
        fl6.saddr.in6_u.u6_addr8 = s;
    }
    fl6.__fl_common.flowic_mark = q.mark;
    // As inet6_rtm_getroute(): a given uid counts for input lookups too.
    fl6.__fl_common.flowic_uid.val = match q.uid {
        Uid::Given(_) => q.uid.kuid(0),
        _ => q.uid.kuid(q.iif),
    };
    fl6.__fl_common.flowic_proto = q.proto;
    fl6.uli.ports = flow_ports(q);
    // ip6_make_flowinfo(tclass, 0)
    fl6.flowlabel = (u32::from(q.tos) << 20).to_be();

    let dst_e = if q.iif != 0 {
        // As inet6_rtm_getroute() with iif: ip6_route_input_lookup() on
        // the input device (which `lookup_as` checked exists).
        fl6.__fl_common.flowic_iif = q.iif;
        // SAFETY: RCU held by `lookup_as`.
        let dev = unsafe { b::dev_get_by_index_rcu(net.as_raw(), q.iif) };
        if dev.is_null() {
            return Err(fail(
                ENODEV,
                c"rvnet: no input device with this ifindex in this namespace",
            ));
        }
        // SAFETY: `dev` valid under RCU; the result is never NULL and
        // holds a reference released with dst_release below.
        unsafe { b::rvnet_ip6_route_input_lookup(net.as_raw(), dev, &mut fl6, q.src.is_some()) }
    } else {
        fl6.__fl_common.flowic_oif = q.oif;
        // SAFETY: any context but hard IRQ, under RCU; the result is never
        // NULL (a null/reject entry carries the error) and holds a
        // reference released with dst_release below.
        unsafe { b::rvnet_ip6_route_output(net.as_raw(), &mut fl6) }
    };
    // SAFETY: rt6_info embeds its dst_entry first; `dst_e` is referenced
    // until dst_release; `from` is read under RCU.
    let r = unsafe {
        let rt = dst_e.cast::<b::rt6_info>();
        let err = i32::from((*dst_e).error);
        let from = b::rvnet_rt6_from(rt);
        let mut r = Route::reject(b::AF_INET6 as u8, rtn::UNICAST);
        if !from.is_null() {
            r.rtype = (*from).fib6_type;
            if !(*from).fib6_table.is_null() {
                r.table = Some((*(*from).fib6_table).tb6_id);
            }
            let p = &(*from).fib6_dst;
            r.prefix = Some((
                Addr::V6(p.addr.in6_u.u6_addr8),
                u8::try_from(p.plen).unwrap_or(0),
            ));
            r.priority = Some((*from).fib6_metric);
        }
        if err != 0 && (from.is_null() || reject_type(err).is_none()) {
            b::dst_release(dst_e);
            return Err(lookup_error(err));
        }
        if err != 0 {
            // A reject route (`ip6_rt_type_to_error()` of its type):
            // inet6_rtm_getroute() fails with the dst's error.
            r.error = Some(err.unsigned_abs());
        }
        if answer == Answer::FibMatch && err == 0 {
            // inet6_rtm_getroute() with RTM_F_FIB_MATCH: the FIB entry the
            // route came from (rt6_fill_node() without a dst), or
            // ENETUNREACH when there is none.
            if from.is_null() {
                b::dst_release(dst_e);
                return Err(fail(
                    b_err(b::ENETUNREACH),
                    c"rvnet: fibmatch: the route was not built from a FIB entry",
                ));
            }
            if (*from).fib6_prefsrc.plen != 0 {
                r.prefsrc = Some(Addr::V6((*from).fib6_prefsrc.addr.in6_u.u6_addr8));
            }
            fib6_entry(from, &mut r, nhs);
        }
        if err == 0 && answer == Answer::Full {
            r.dev = dev_ref((*dst_e).__bindgen_anon_1.dev);
            if (*rt).rt6i_flags & b::RTF_GATEWAY != 0 {
                r.gateway = Some(Addr::V6((*rt).rt6i_gateway.in6_u.u6_addr8));
            }
            r.mtu = Some(b::rvnet_dst_mtu(dst_e));
            let mut saddr = b::in6_addr::default();
            // No preferred source for an input route (rt6_fill_node).
            if q.iif == 0
                && b::rvnet_ip6_route_get_saddr(net.as_raw(), from, &fl6.daddr, 0, &mut saddr) == 0
            {
                r.prefsrc = Some(Addr::V6(saddr.in6_u.u6_addr8));
            }
        }
        b::dst_release(dst_e);
        r
    };
    Ok(r)
}

/// The flow's ports as `flowi_uli` holds them (network byte order), as
/// inet_rtm_getroute() / inet6_rtm_getroute() set `fl4_sport` and friends.
fn flow_ports(q: &RouteQuery) -> b::flowi_uli__bindgen_ty_1 {
    b::flowi_uli__bindgen_ty_1 {
        sport: q.sport.to_be(),
        dport: q.dport.to_be(),
    }
}

fn b_err(code: u32) -> Error {
    super::genl::errno(code)
}

/// A neighbour entry.
#[derive(Clone, Copy)]
pub(crate) struct Neigh {
    /// `NUD_*` bits.
    pub(crate) state: u8,
    /// `NTF_*` flags.
    pub(crate) flags: u8,
    /// Link-layer address bytes (`lladdr_len` of them are valid).
    pub(crate) lladdr: [u8; 32],
    /// Valid bytes in `lladdr`; 0 when not known.
    pub(crate) lladdr_len: usize,
    /// Milliseconds since last confirmed.
    pub(crate) confirmed_ms: u32,
    /// Milliseconds since last used.
    pub(crate) used_ms: u32,
    /// Milliseconds since last updated.
    pub(crate) updated_ms: u32,
    /// Probes sent.
    pub(crate) probes: u32,
}

/// `ip neigh`'s name for a `NUD_*` state.
pub(crate) fn nud_name(state: u8) -> &'static [u8] {
    match u32::from(state) {
        0 => b"NONE",
        b::NUD_INCOMPLETE => b"INCOMPLETE",
        b::NUD_REACHABLE => b"REACHABLE",
        b::NUD_STALE => b"STALE",
        b::NUD_DELAY => b"DELAY",
        b::NUD_PROBE => b"PROBE",
        b::NUD_FAILED => b"FAILED",
        b::NUD_NOARP => b"NOARP",
        b::NUD_PERMANENT => b"PERMANENT",
        _ => b"UNKNOWN",
    }
}

/// The neighbour entry for `addr` on interface `ifindex` (`None` if there
/// is none). With `resolve`, creates the entry if needed and starts
/// resolution first (`neigh_event_send`); the caller checks privileges.
pub(crate) fn neighbour(
    net: &Net,
    addr: Addr,
    ifindex: i32,
    resolve: bool,
) -> Result<Option<Neigh>, Failure> {
    if matches!(addr, Addr::V6(_)) && !ipv6_enabled() {
        return Err(no_ipv6());
    }
    let _guard = rcu::Guard::new();
    // SAFETY: RCU held; the device stays valid until the guard drops.
    let dev = unsafe { b::dev_get_by_index_rcu(net.as_raw(), ifindex) };
    if dev.is_null() {
        return Err(fail(
            ENODEV,
            c"rvnet: no device with this ifindex in this namespace",
        ));
    }
    let tbl = match addr {
        Addr::V4(_) => ptr::addr_of_mut!(b::arp_tbl),
        Addr::V6(_) => ptr::addr_of_mut!(b::nd_tbl),
    };
    let key = addr.as_bytes().as_ptr().cast();
    // SAFETY: `tbl` is a registered neighbour table with `key_len` equal to
    // the address length; `dev` is valid under RCU. The result is NULL or
    // holds a reference.
    let mut n = unsafe { b::neigh_lookup(tbl, key, dev) };
    if resolve {
        if n.is_null() {
            // SAFETY: as above; want_ref gives us a reference.
            n = from_err_ptr(unsafe { b::__neigh_create(tbl, key, dev, true) })
                .map_err(|e| fail(e, c"rvnet: cannot create the neighbour entry"))?;
        }
        // SAFETY: `n` is a referenced entry; this may send a solicitation.
        unsafe { b::rvnet_neigh_event_send(n) };
    }
    if n.is_null() {
        return Ok(None);
    }
    // SAFETY: `n` is referenced until neigh_release; plain fields are read
    // racily as `ip neigh` dumps do, the address via its seqlock.
    let out = unsafe {
        // SAFETY: jiffies is readable in any context.
        let now = b::rvnet_jiffies();
        let age = |t: kernel::ffi::c_ulong| b::jiffies_to_msecs(now.wrapping_sub(t));
        let mut out = Neigh {
            state: ptr::read_volatile(ptr::addr_of!((*n).nud_state)),
            flags: ((*n).flags & 0xff) as u8,
            lladdr: [0; 32],
            lladdr_len: 0,
            confirmed_ms: age((*n).confirmed),
            used_ms: age(ptr::read_volatile(ptr::addr_of!((*n).used))),
            updated_ms: age((*n).updated),
            probes: ptr::read_volatile(ptr::addr_of!((*n).probes.counter)) as u32,
        };
        if u32::from(out.state) & b::NUD_VALID != 0 {
            b::rvnet_neigh_ha_snapshot(out.lladdr.as_mut_ptr(), n, dev);
            out.lladdr_len = usize::from((*dev).addr_len).min(out.lladdr.len());
        }
        b::rvnet_neigh_release(n);
        out
    };
    Ok(Some(out))
}

/// Output device facts for `path-get`.
#[derive(Clone, Copy)]
pub(crate) struct DevFacts {
    /// Real tx queues.
    pub(crate) real_num_tx_queues: u32,
    /// Root qdisc kind, NUL-padded.
    pub(crate) qdisc_kind: [u8; b::IFNAMSIZ as usize],
}

/// Tx queue count and root qdisc kind of device `ifindex`.
pub(crate) fn dev_facts(net: &Net, ifindex: i32) -> Option<DevFacts> {
    let _guard = rcu::Guard::new();
    // SAFETY: RCU held.
    let dev = unsafe { b::dev_get_by_index_rcu(net.as_raw(), ifindex) };
    if dev.is_null() {
        return None;
    }
    // SAFETY: `dev` is valid under RCU; a device always has a root qdisc
    // (noop_qdisc at least) whose ops id is a NUL-terminated IFNAMSIZ string.
    unsafe {
        let kind = qdisc_kind_name(b::rvnet_dev_root_qdisc_kind(dev));
        Some(DevFacts {
            real_num_tx_queues: ptr::read_volatile(ptr::addr_of!((*dev).real_num_tx_queues)),
            qdisc_kind: kind,
        })
    }
}

/// A qdisc ops id (`Qdisc_ops.id`) as a NUL-padded IFNAMSIZ array; all
/// zeroes for NULL.
///
/// # Safety
///
/// `id` is NULL or a NUL-terminated string valid for the call.
pub(crate) unsafe fn qdisc_kind_name(id: *const u8) -> [u8; b::IFNAMSIZ as usize] {
    let mut kind = [0u8; b::IFNAMSIZ as usize];
    if !id.is_null() {
        // SAFETY: per the caller.
        let s = unsafe { CStr::from_ptr(id.cast()) }.to_bytes();
        let n = s.len().min(kind.len() - 1);
        kind[..n].copy_from_slice(&s[..n]);
    }
    kind
}
