// SPDX-License-Identifier: GPL-2.0
//! The `rvnet` generic netlink family as `Documentation/netlink/specs/rvnet.yaml`
//! describes it: attribute sets, their types and numbers, enums and
//! operations.
//!
//! Numbers follow the YNL rules for `protocol: genetlink`: attributes count
//! from 1 in list order, operations and notifications together from 1 in
//! list order, enums from `value-start`;
//! `subset-of` sets reuse their parent's numbers. The host test
//! `spec_matches_yaml` compares these tables with the YAML file.

/// Family name.
pub const FAMILY: &str = "rvnet";
/// Family version (genetlink header).
pub const VERSION: u8 = 1;

/// Wire type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `uint`: 4 or 8 bytes, as the value needs (answers only).
    Uint,
    /// `string` (NUL-terminated).
    Str,
    /// `flag` (no value).
    Flag,
    /// `binary` with `display-hint: ipv6`: an IPv4 (4 bytes) or IPv6 (16
    /// bytes) address in network byte order.
    Addr,
    /// `binary` with `display-hint: mac`.
    Mac,
    /// `nest` of another set.
    Nest(&'static Set),
}

/// One attribute of a set.
#[derive(Debug, PartialEq, Eq)]
pub struct Attr {
    /// Name (the JSON key).
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// Enum the integer value is an index of, if any.
    pub enumeration: Option<&'static Enum>,
}

/// An attribute set; attribute `i` of `attrs` has number `i + 1`.
#[derive(Debug, PartialEq, Eq)]
pub struct Set {
    /// Name.
    pub name: &'static str,
    /// Attributes in number order.
    pub attrs: &'static [Attr],
}

impl Set {
    /// Number and definition of an attribute by name.
    pub fn by_name(&self, name: &str) -> Option<(u16, &'static Attr)> {
        self.attrs
            .iter()
            .position(|a| a.name == name)
            .map(|i| (i as u16 + 1, &self.attrs[i]))
    }

    /// Definition of an attribute by number.
    pub fn by_num(&self, num: u16) -> Option<&'static Attr> {
        self.attrs.get(usize::from(num).checked_sub(1)?)
    }
}

/// An enum: entry `i` has value `start + i`.
#[derive(Debug, PartialEq, Eq)]
pub struct Enum {
    /// Name.
    pub name: &'static str,
    /// `value-start`.
    pub start: u32,
    /// Entry names.
    pub entries: &'static [&'static str],
}

impl Enum {
    /// Name of a value, if it is an entry.
    pub fn name_of(&self, v: u64) -> Option<&'static str> {
        let i = v.checked_sub(u64::from(self.start))?;
        self.entries.get(usize::try_from(i).ok()?).copied()
    }
}

const fn a(name: &'static str, ty: Ty) -> Attr {
    Attr {
        name,
        ty,
        enumeration: None,
    }
}

/// `route-type`: RTN_* values.
pub static ROUTE_TYPE: Enum = Enum {
    name: "route-type",
    start: 0,
    entries: &[
        "unspec",
        "unicast",
        "local",
        "broadcast",
        "anycast",
        "multicast",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "xresolve",
    ],
};

/// `route`: route-get request and answer.
pub static ROUTE: Set = Set {
    name: "route",
    attrs: &[
        a("dst", Ty::Addr),
        a("src", Ty::Addr),
        a("iif", Ty::U32),
        a("oif", Ty::U32),
        a("mark", Ty::U32),
        a("uid", Ty::U32),
        a("tos", Ty::U8),
        a("table", Ty::U32),
        a("family", Ty::U8),
        Attr {
            name: "type",
            ty: Ty::U8,
            enumeration: Some(&ROUTE_TYPE),
        },
        a("scope", Ty::U8),
        a("prefix", Ty::Addr),
        a("prefix-length", Ty::U8),
        a("gateway", Ty::Addr),
        a("oif-name", Ty::Str),
        a("prefsrc", Ty::Addr),
        a("priority", Ty::U32),
        a("mtu", Ty::U32),
        a("error", Ty::U32),
        a("ipproto", Ty::U8),
        a("sport", Ty::U16),
        a("dport", Ty::U16),
        a("fibmatch", Ty::Flag),
        a("nexthop", Ty::Nest(&NEXTHOP)),
    ],
};

/// `nexthop`: one nexthop of a multipath FIB entry (fibmatch answers; the
/// `nexthop` attribute repeats, decoded as a list).
pub static NEXTHOP: Set = Set {
    name: "nexthop",
    attrs: &[
        a("gateway", Ty::Addr),
        a("oif", Ty::U32),
        a("oif-name", Ty::Str),
        a("weight", Ty::U32),
    ],
};

/// `neigh`: neigh-get request and answer.
pub static NEIGH: Set = Set {
    name: "neigh",
    attrs: &[
        a("addr", Ty::Addr),
        a("ifindex", Ty::U32),
        a("resolve", Ty::Flag),
        a("state", Ty::U16),
        a("state-name", Ty::Str),
        a("lladdr", Ty::Mac),
        a("flags", Ty::U8),
        a("confirmed-ms", Ty::U32),
        a("used-ms", Ty::U32),
        a("updated-ms", Ty::U32),
        a("probes", Ty::U32),
    ],
};

/// `path`: path-get request and answer. `tx-queue` is present only when
/// the queue does not depend on the flow (one real tx queue). Its nests are the `route-answer`
/// and `neigh-answer` subsets, which share the numbers of `route` and
/// `neigh`.
pub static PATH: Set = Set {
    name: "path",
    attrs: &[
        a("dst", Ty::Addr),
        a("src", Ty::Addr),
        a("mark", Ty::U32),
        a("route", Ty::Nest(&ROUTE)),
        a("neigh", Ty::Nest(&NEIGH)),
        a("ifindex", Ty::U32),
        a("tx-queue", Ty::U32),
        a("qdisc-kind", Ty::Str),
    ],
};

/// `dev`: observation settings and counters.
pub static DEV: Set = Set {
    name: "dev",
    attrs: &[
        a("ifindex", Ty::U32),
        a("ifname", Ty::Str),
        a("sample", Ty::U32),
        a("ring-size", Ty::U32),
        a("events-sent", Ty::Uint),
        a("events-dropped", Ty::Uint),
    ],
};

/// `direction`: which way a recorded packet crossed the device.
pub static DIRECTION: Enum = Enum {
    name: "direction",
    start: 0,
    entries: &["tx", "rx"],
};

/// `xdp-action`: what the receiving end's XDP program did (XDP_*).
pub static XDP_ACTION: Enum = Enum {
    name: "xdp-action",
    start: 0,
    entries: &["aborted", "drop", "pass", "tx", "redirect"],
};

const fn e(name: &'static str, ty: Ty, en: &'static Enum) -> Attr {
    Attr {
        name,
        ty,
        enumeration: Some(en),
    }
}

/// `decision`: one sampled packet's decisions (decision-dump records and
/// decision-ntf events). Attributes are present only where they apply.
pub static DECISION: Set = Set {
    name: "decision",
    attrs: &[
        a("ifindex", Ty::U32),
        a("seq", Ty::Uint),
        a("time-ns", Ty::Uint),
        e("direction", Ty::U8, &DIRECTION),
        a("len", Ty::U32),
        a("queue", Ty::U32),
        a("eth-proto", Ty::U16),
        a("eth-src", Ty::Mac),
        a("eth-dst", Ty::Mac),
        a("l4-proto", Ty::U8),
        a("src", Ty::Addr),
        a("dst", Ty::Addr),
        a("sport", Ty::U16),
        a("dport", Ty::U16),
        a("icmp-type", Ty::U8),
        a("arp-op", Ty::U16),
        a("tcp-flags", Ty::U8),
        e("route-type", Ty::U8, &ROUTE_TYPE),
        a("gateway", Ty::Addr),
        a("route-oif", Ty::U32),
        a("table", Ty::U32),
        a("prefix", Ty::Addr),
        a("prefix-length", Ty::U8),
        a("nexthop", Ty::Addr),
        a("neigh-state", Ty::U16),
        a("qdisc-kind", Ty::Str),
        a("bql-inflight", Ty::U32),
        e("input-type", Ty::U8, &ROUTE_TYPE),
        a("input-error", Ty::U32),
        e("xdp-action", Ty::U8, &XDP_ACTION),
    ],
};

/// Every attribute set, for lookups by name.
#[cfg(test)]
pub static SETS: &[&Set] = &[&ROUTE, &NEXTHOP, &NEIGH, &PATH, &DEV, &DECISION];

/// Every enum, for lookups by name.
#[cfg(test)]
pub static ENUMS: &[&Enum] = &[&ROUTE_TYPE, &DIRECTION, &XDP_ACTION];

/// Operations: name, command number, attribute set, and for
/// notifications the multicast group they are sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// Name.
    pub name: &'static str,
    /// Command number.
    pub cmd: u8,
    /// Attribute set of request and answer (for a notification, that of
    /// the operation it notifies).
    pub set: &'static Set,
    /// Multicast group of a notification; `None` for requests.
    pub mcgrp: Option<&'static str>,
}

/// `route-get` (do).
pub const ROUTE_GET: Op = Op {
    name: "route-get",
    cmd: 1,
    set: &ROUTE,
    mcgrp: None,
};
/// `neigh-get` (do).
pub const NEIGH_GET: Op = Op {
    name: "neigh-get",
    cmd: 2,
    set: &NEIGH,
    mcgrp: None,
};
/// `path-get` (do).
pub const PATH_GET: Op = Op {
    name: "path-get",
    cmd: 3,
    set: &PATH,
    mcgrp: None,
};
/// `dev-get` (do, dump).
pub const DEV_GET: Op = Op {
    name: "dev-get",
    cmd: 4,
    set: &DEV,
    mcgrp: None,
};
/// `dev-set` (do, admin).
pub const DEV_SET: Op = Op {
    name: "dev-set",
    cmd: 5,
    set: &DEV,
    mcgrp: None,
};

/// `decision-dump` (dump only; request: ifindex).
pub const DECISION_DUMP: Op = Op {
    name: "decision-dump",
    cmd: 6,
    set: &DECISION,
    mcgrp: None,
};
/// `decision-ntf`: notification of one sampled packet (the attributes of
/// decision-dump), sent to the `decisions` group.
pub const DECISION_NTF: Op = Op {
    name: "decision-ntf",
    cmd: 7,
    set: &DECISION,
    mcgrp: Some(GROUP_DECISIONS),
};

/// Every operation and notification, in number order.
pub static OPS: &[Op] = &[
    ROUTE_GET,
    NEIGH_GET,
    PATH_GET,
    DEV_GET,
    DEV_SET,
    DECISION_DUMP,
    DECISION_NTF,
];

/// Multicast group of decision events (joining needs CAP_NET_ADMIN).
pub const GROUP_DECISIONS: &str = "decisions";
