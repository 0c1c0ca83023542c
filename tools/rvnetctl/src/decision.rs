// SPDX-License-Identifier: GPL-2.0
//! Decision records (`decision-dump`) and events (`decision-ntf`) as text
//! and JSON: the one formatter that `monitor` and `dev decisions` share.
//!
//! A line reads as the life of the packet, segments separated by ` | `:
//!
//! ```text
//! rv1 tx q0 #12 10.0.0.1:40000 > 10.0.0.2:5201 tcp [S] len 74 | route unicast table main 10.0.0.0/24 direct dev rv1 | neigh 10.0.0.2 REACHABLE 02:00:00:00:00:02 | qdisc fq_codel bql 0
//! rv2 rx q0 #3 10.0.0.1 > 10.0.0.2 icmp echo-request len 98 | input local
//! rv1 tx q0 #1 arp who-has 10.0.0.2 tell 10.0.0.1 len 42 > ff:ff:ff:ff:ff:ff
//! ```
//!
//! The head is the device, direction, queue and sample number, then the
//! packet (addresses, ports, protocol, TCP flags tcpdump-style, ICMP type,
//! ARP operation) and its length. The frame's destination MAC is shown once:
//! in the neighbour segment when the packet went through a neighbour
//! decision, else after the length (`> MAC`) for transmitted and non-IP
//! frames. Segments appear only when their attributes do; attributes this
//! version does not know (a newer kernel's) end the line as `key value`.

use crate::cmds::ifname;
use crate::show::table_name;
use crate::value::{get, get_str, get_u64, Obj, Value};

/// `NUD_*` bits in the order `ip neigh` prints them.
const NUD: &[(u64, &str)] = &[
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
];

/// Names of the `NUD_*` bits of a state (`NONE` for 0); bits without a
/// name as one hex word.
pub fn nud_names(state: u64) -> Vec<String> {
    if state == 0 {
        return vec!["NONE".into()];
    }
    let mut v: Vec<String> = NUD
        .iter()
        .filter(|(bit, _)| state & bit != 0)
        .map(|(_, n)| (*n).to_string())
        .collect();
    let rest = state & !0xff;
    if rest != 0 {
        v.push(format!("0x{rest:x}"));
    }
    v
}

const ETH_P_IP: u64 = 0x0800;
const ETH_P_ARP: u64 = 0x0806;
const ETH_P_IPV6: u64 = 0x86dd;

const IPPROTO_ICMP: u64 = 1;
const IPPROTO_TCP: u64 = 6;
const IPPROTO_UDP: u64 = 17;
const IPPROTO_ICMPV6: u64 = 58;

/// Protocol word of an IP packet.
fn l4_name(p: u64) -> String {
    match p {
        IPPROTO_ICMP => "icmp".into(),
        2 => "igmp".into(),
        IPPROTO_TCP => "tcp".into(),
        IPPROTO_UDP => "udp".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        IPPROTO_ICMPV6 => "icmp6".into(),
        132 => "sctp".into(),
        136 => "udplite".into(),
        n => format!("proto {n}"),
    }
}

/// ICMP (`v6` false) or ICMPv6 type names.
fn icmp_name(v6: bool, t: u64) -> String {
    let n = match (v6, t) {
        (false, 0) => "echo-reply",
        (false, 3) => "unreachable",
        (false, 5) => "redirect",
        (false, 8) => "echo-request",
        (false, 11) => "time-exceeded",
        (false, 12) => "parameter-problem",
        (true, 1) => "unreachable",
        (true, 2) => "packet-too-big",
        (true, 3) => "time-exceeded",
        (true, 4) => "parameter-problem",
        (true, 128) => "echo-request",
        (true, 129) => "echo-reply",
        (true, 133) => "router-solicit",
        (true, 134) => "router-advert",
        (true, 135) => "neighbor-solicit",
        (true, 136) => "neighbor-advert",
        _ => return format!("type {t}"),
    };
    n.into()
}

/// TCP flags as tcpdump prints them: `[S]`, `[S.]`, `[P.]`, `[F.]`, `[R]`,
/// `[none]`.
pub fn tcp_flags(f: u64) -> String {
    const BITS: &[(u64, char)] = &[
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ];
    let s: String = BITS
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, c)| c)
        .collect();
    if s.is_empty() {
        "[none]".into()
    } else {
        format!("[{s}]")
    }
}

/// `addr:port`, with IPv6 addresses in brackets.
fn endpoint(addr: &str, port: Option<u64>) -> String {
    match port {
        Some(p) if addr.contains(':') => format!("[{addr}]:{p}"),
        Some(p) => format!("{addr}:{p}"),
        None => addr.to_string(),
    }
}

/// The name of an enum-valued attribute: the spec's entry name, as decoded,
/// or the number.
fn enum_word(o: &Obj, key: &str) -> Option<String> {
    get(o, key).map(Value::text)
}

/// Every attribute the line formatter shows.
const KNOWN: &[&str] = &[
    "ifindex",
    "seq",
    "time-ns",
    "direction",
    "len",
    "queue",
    "eth-proto",
    "eth-src",
    "eth-dst",
    "l4-proto",
    "src",
    "dst",
    "sport",
    "dport",
    "icmp-type",
    "arp-op",
    "tcp-flags",
    "route-type",
    "gateway",
    "route-oif",
    "table",
    "prefix",
    "prefix-length",
    "nexthop",
    "neigh-state",
    "qdisc-kind",
    "bql-inflight",
    "input-type",
    "input-error",
    "xdp-action",
];

/// The packet itself: `10.0.0.1:40000 > 10.0.0.2:5201 tcp [S]`, `arp
/// who-has 10.0.0.2 tell 10.0.0.1`, `ethertype 0x88cc`.
fn packet(o: &Obj, w: &mut Vec<String>) {
    let proto = get_u64(o, "eth-proto");
    let (src, dst) = (get_str(o, "src"), get_str(o, "dst"));
    if proto == Some(ETH_P_ARP) || get(o, "arp-op").is_some() {
        let (s, d) = (src.unwrap_or("?"), dst.unwrap_or("?"));
        match get_u64(o, "arp-op") {
            Some(1) => w.push(format!("arp who-has {d} tell {s}")),
            Some(2) => match get_str(o, "eth-src") {
                Some(mac) => w.push(format!("arp reply {s} is-at {mac}")),
                None => w.push(format!("arp reply {s}")),
            },
            Some(op) => w.push(format!("arp op {op} {s} > {d}")),
            None => w.push(format!("arp {s} > {d}")),
        }
        return;
    }
    let l4 = get_u64(o, "l4-proto");
    let ports = matches!(l4, Some(IPPROTO_TCP | IPPROTO_UDP | 132 | 136));
    let port = |k| if ports { get_u64(o, k) } else { None };
    match (src, dst) {
        (Some(s), Some(d)) => w.push(format!(
            "{} > {}",
            endpoint(s, port("sport")),
            endpoint(d, port("dport"))
        )),
        (Some(s), None) => w.push(endpoint(s, port("sport"))),
        (None, Some(d)) => w.push(format!("> {}", endpoint(d, port("dport")))),
        (None, None) => {}
    }
    match l4 {
        Some(p) => {
            w.push(l4_name(p));
            if p == IPPROTO_TCP {
                if let Some(f) = get_u64(o, "tcp-flags") {
                    w.push(tcp_flags(f));
                }
            }
            if let Some(t) = get_u64(o, "icmp-type") {
                let v6 = p == IPPROTO_ICMPV6 || proto == Some(ETH_P_IPV6);
                w.push(icmp_name(v6, t));
            }
        }
        None => match proto {
            Some(ETH_P_IP) => w.push("ip".into()),
            Some(ETH_P_IPV6) => w.push("ip6".into()),
            Some(p) => w.push(format!("ethertype 0x{p:04x}")),
            None => {}
        },
    }
}

/// One decision as a line; `name` gives device names of ifindexes.
pub fn line_with(o: &Obj, name: &dyn Fn(u64) -> Option<String>) -> String {
    let dev = |i: u64| name(i).unwrap_or_else(|| format!("if{i}"));
    let mut head: Vec<String> = Vec::new();
    if let Some(i) = get_u64(o, "ifindex") {
        head.push(dev(i));
    }
    if let Some(d) = enum_word(o, "direction") {
        head.push(d);
    }
    if let Some(q) = get_u64(o, "queue") {
        head.push(format!("q{q}"));
    }
    if let Some(s) = get_u64(o, "seq") {
        head.push(format!("#{s}"));
    }
    packet(o, &mut head);
    if let Some(l) = get_u64(o, "len") {
        head.push(format!("len {l}"));
    }
    let has = |keys: &[&str]| keys.iter().any(|k| get(o, k).is_some());
    let neigh = has(&["nexthop", "neigh-state"]);
    let ip = matches!(get_u64(o, "eth-proto"), Some(ETH_P_IP | ETH_P_IPV6));
    let tx = get_str(o, "direction") == Some("tx");
    if let Some(mac) = get_str(o, "eth-dst") {
        if !neigh && (tx || !ip) {
            head.push(format!("> {mac}"));
        }
    }
    let mut segs = vec![head.join(" ")];

    if has(&["route-type", "gateway", "route-oif", "table", "prefix"]) {
        let mut w = vec!["route".to_string()];
        if let Some(t) = enum_word(o, "route-type") {
            w.push(t);
        }
        if let Some(t) = get_u64(o, "table") {
            w.push(format!("table {}", table_name(t)));
        }
        if let Some(p) = get_str(o, "prefix") {
            match get_u64(o, "prefix-length") {
                Some(l) => w.push(format!("{p}/{l}")),
                None => w.push(p.to_string()),
            }
        }
        match get_str(o, "gateway") {
            Some(g) => w.push(format!("via {g}")),
            None => w.push("direct".into()),
        }
        if let Some(i) = get_u64(o, "route-oif") {
            w.push(format!("dev {}", dev(i)));
        }
        segs.push(w.join(" "));
    }
    if neigh {
        let mut w = vec!["neigh".to_string()];
        if let Some(n) = get_str(o, "nexthop") {
            w.push(n.to_string());
        }
        if let Some(s) = get_u64(o, "neigh-state") {
            w.push(nud_names(s).join(","));
        }
        if let Some(mac) = get_str(o, "eth-dst") {
            w.push(mac.to_string());
        }
        segs.push(w.join(" "));
    }
    if has(&["qdisc-kind", "bql-inflight"]) {
        let mut w = vec!["qdisc".to_string()];
        if let Some(k) = get_str(o, "qdisc-kind") {
            w.push(k.to_string());
        }
        if let Some(b) = get_u64(o, "bql-inflight") {
            w.push(format!("bql {b}"));
        }
        segs.push(w.join(" "));
    }
    if let Some(t) = get(o, "input-type") {
        let t = match t.as_str() {
            Some("unicast") => "forward".to_string(),
            _ => t.text(),
        };
        segs.push(format!("input {t}"));
    }
    if let Some(e) = get_u64(o, "input-error") {
        // The input path refused the packet: ip's words for the errno.
        segs.push(format!("input refused: {}", crate::nl::strerror(e as i32)));
    }
    if let Some(a) = get(o, "xdp-action") {
        segs.push(format!("xdp {}", a.text()));
    }
    let extra: Vec<String> = o
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| format!("{k} {}", v.text()))
        .collect();
    if !extra.is_empty() {
        segs.push(extra.join(" "));
    }
    segs.join(" | ")
}

/// One decision as a line, device names from this namespace.
pub fn line(o: &Obj) -> String {
    line_with(o, &ifname)
}

/// The JSON form of a decision, `ip -j` style: the decoded attributes with
/// the spec's enums by name (direction, route-type, input-type, already so
/// decoded) and `neigh-state` as the list of state names `ip -j neigh`
/// gives (`["REACHABLE"]`).
pub fn json_form(o: &Obj) -> Obj {
    o.iter()
        .map(|(k, v)| match (k.as_str(), v) {
            ("neigh-state", Value::U(s)) => (
                k.clone(),
                Value::L(nud_names(*s).into_iter().map(Value::S).collect()),
            ),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::{emit_all, Attr};
    use crate::spec::DECISION;

    /// A decision attribute by name, encoded as its spec type says.
    fn at(name: &str, v: &[u8]) -> Attr {
        let (num, _) = DECISION.by_name(name).unwrap();
        Attr::new(num, v.to_vec())
    }
    fn u16a(name: &str, v: u16) -> Attr {
        at(name, &v.to_ne_bytes())
    }
    fn u32a(name: &str, v: u32) -> Attr {
        at(name, &v.to_ne_bytes())
    }
    fn u64a(name: &str, v: u64) -> Attr {
        at(name, &v.to_ne_bytes())
    }

    fn names(i: u64) -> Option<String> {
        match i {
            5 => Some("rv1".into()),
            6 => Some("rv2".into()),
            _ => None,
        }
    }

    /// The whole netlink message of a decision-ntf for family 0x1234, as
    /// the kernel multicasts it.
    fn ntf(attrs: &[Attr]) -> Vec<u8> {
        let body = emit_all(attrs);
        let mut b = Vec::new();
        b.extend(((16 + 4 + body.len()) as u32).to_ne_bytes());
        b.extend(0x1234u16.to_ne_bytes());
        b.extend(0u16.to_ne_bytes());
        b.extend(0u32.to_ne_bytes()); // seq 0: a notification
        b.extend(0u32.to_ne_bytes());
        b.extend([crate::spec::DECISION_NTF.cmd, crate::spec::VERSION, 0, 0]);
        b.extend(body);
        b
    }

    fn event(attrs: &[Attr]) -> Obj {
        crate::monitor::event_of(&ntf(attrs), 0x1234).expect("decodes as a decision event")
    }

    #[test]
    fn tcp_syn_over_ipv4_with_route_neigh_qdisc() {
        let o = event(&[
            u32a("ifindex", 5),
            u64a("seq", 12),
            u64a("time-ns", 123_456_789_000),
            at("direction", &[0]),
            u32a("len", 74),
            u32a("queue", 0),
            u16a("eth-proto", 0x0800),
            at("eth-src", &[2, 0xaa, 0, 0, 0, 1]),
            at("eth-dst", &[2, 0xaa, 0, 0, 0, 0xff]),
            at("l4-proto", &[6]),
            at("src", &[10, 0, 0, 1]),
            at("dst", &[10, 0, 0, 2]),
            u16a("sport", 40000),
            u16a("dport", 5201),
            at("tcp-flags", &[0x02]),
            at("route-type", &[1]),
            u32a("route-oif", 5),
            u32a("table", 254),
            at("prefix", &[10, 0, 0, 0]),
            at("prefix-length", &[24]),
            at("nexthop", &[10, 0, 0, 2]),
            u16a("neigh-state", 0x02),
            at("qdisc-kind", b"fq_codel\0"),
            u32a("bql-inflight", 0),
        ]);
        assert_eq!(
            line_with(&o, &names),
            "rv1 tx q0 #12 10.0.0.1:40000 > 10.0.0.2:5201 tcp [S] len 74 \
             | route unicast table main 10.0.0.0/24 direct dev rv1 \
             | neigh 10.0.0.2 REACHABLE 02:aa:00:00:00:ff | qdisc fq_codel bql 0"
        );
        assert_eq!(
            crate::value::json_array_fmt(&[json_form(&o)], false),
            concat!(
                r#"[{"ifindex":5,"seq":12,"time-ns":123456789000,"direction":"tx","len":74,"#,
                r#""queue":0,"eth-proto":2048,"eth-src":"02:aa:00:00:00:01","#,
                r#""eth-dst":"02:aa:00:00:00:ff","l4-proto":6,"src":"10.0.0.1","#,
                r#""dst":"10.0.0.2","sport":40000,"dport":5201,"tcp-flags":2,"#,
                r#""route-type":"unicast","route-oif":5,"table":254,"prefix":"10.0.0.0","#,
                r#""prefix-length":24,"nexthop":"10.0.0.2","neigh-state":["REACHABLE"],"#,
                r#""qdisc-kind":"fq_codel","bql-inflight":0}]"#
            )
        );
    }

    #[test]
    fn arp_request_broadcast() {
        let o = event(&[
            u32a("ifindex", 5),
            u64a("seq", 1),
            at("direction", &[0]),
            u32a("len", 42),
            u32a("queue", 0),
            u16a("eth-proto", 0x0806),
            at("eth-src", &[2, 0, 0, 0, 0, 1]),
            at("eth-dst", &[0xff; 6]),
            at("src", &[10, 0, 0, 1]),
            at("dst", &[10, 0, 0, 2]),
            u16a("arp-op", 1),
            at("qdisc-kind", b"noqueue\0"),
        ]);
        assert_eq!(
            line_with(&o, &names),
            "rv1 tx q0 #1 arp who-has 10.0.0.2 tell 10.0.0.1 len 42 > ff:ff:ff:ff:ff:ff \
             | qdisc noqueue"
        );
        let o: Obj = o.into_iter().filter(|(k, _)| k != "qdisc-kind").collect();
        assert_eq!(
            line_with(&o, &names),
            "rv1 tx q0 #1 arp who-has 10.0.0.2 tell 10.0.0.1 len 42 > ff:ff:ff:ff:ff:ff"
        );
        let reply = event(&[
            u32a("ifindex", 6),
            at("direction", &[1]),
            u16a("eth-proto", 0x0806),
            at("eth-src", &[2, 0, 0, 0, 0, 2]),
            at("src", &[10, 0, 0, 2]),
            at("dst", &[10, 0, 0, 1]),
            u16a("arp-op", 2),
        ]);
        assert_eq!(
            line_with(&reply, &names),
            "rv2 rx arp reply 10.0.0.2 is-at 02:00:00:00:00:02"
        );
    }

    #[test]
    fn ipv6_rx_input_local() {
        let a1: std::net::Ipv6Addr = "fd00::1".parse().unwrap();
        let a2: std::net::Ipv6Addr = "fd00::2".parse().unwrap();
        let o = event(&[
            u32a("ifindex", 6),
            u32a("seq", 3),
            at("direction", &[1]),
            u32a("len", 118),
            u32a("queue", 1),
            u16a("eth-proto", 0x86dd),
            at("eth-src", &[2, 0, 0, 0, 0, 1]),
            at("eth-dst", &[2, 0, 0, 0, 0, 2]),
            at("l4-proto", &[58]),
            at("src", &a1.octets()),
            at("dst", &a2.octets()),
            at("icmp-type", &[128]),
            at("input-type", &[2]),
        ]);
        assert_eq!(
            line_with(&o, &names),
            "rv2 rx q1 #3 fd00::1 > fd00::2 icmp6 echo-request len 118 | input local"
        );
        let o = event(&[
            u32a("ifindex", 6),
            u32a("seq", 4),
            at("direction", &[1]),
            u32a("len", 94),
            u32a("queue", 0),
            u16a("eth-proto", 0x86dd),
            at("l4-proto", &[6]),
            at("src", &a1.octets()),
            at("dst", &a2.octets()),
            u16a("sport", 40000),
            u16a("dport", 5201),
            at("tcp-flags", &[0x12]),
            at("input-type", &[1]),
        ]);
        assert_eq!(
            line_with(&o, &names),
            "rv2 rx q0 #4 [fd00::1]:40000 > [fd00::2]:5201 tcp [S.] len 94 | input forward"
        );
        let json = crate::value::json_obj_fmt(&json_form(&o), false);
        assert!(
            json.contains(r#""direction":"rx""#) && json.ends_with(r#""input-type":"unicast"}"#),
            "{json}"
        );
    }

    #[test]
    fn ipv4_rx_icmp_and_gateway_route() {
        let o = event(&[
            u32a("ifindex", 6),
            u64a("seq", 3),
            at("direction", &[1]),
            u32a("len", 98),
            u32a("queue", 0),
            u16a("eth-proto", 0x0800),
            at("eth-dst", &[2, 0, 0, 0, 0, 2]),
            at("l4-proto", &[1]),
            at("src", &[10, 0, 0, 1]),
            at("dst", &[10, 0, 0, 2]),
            at("icmp-type", &[8]),
            at("input-type", &[2]),
        ]);
        assert_eq!(
            line_with(&o, &names),
            "rv2 rx q0 #3 10.0.0.1 > 10.0.0.2 icmp echo-request len 98 | input local"
        );
        let o = event(&[
            u32a("ifindex", 9),
            at("direction", &[0]),
            u16a("eth-proto", 0x0800),
            at("l4-proto", &[17]),
            at("src", &[10, 0, 0, 1]),
            at("dst", &[8, 8, 8, 8]),
            u16a("sport", 5353),
            u16a("dport", 53),
            at("route-type", &[1]),
            at("gateway", &[10, 0, 0, 254]),
            u32a("route-oif", 9),
            u32a("table", 100),
            at("prefix", &[0, 0, 0, 0]),
            at("prefix-length", &[0]),
            at("nexthop", &[10, 0, 0, 254]),
            u16a("neigh-state", 0x01),
        ]);
        let l = line_with(&o, &names);
        assert_eq!(
            l,
            "if9 tx 10.0.0.1:5353 > 8.8.8.8:53 udp | route unicast table 100 0.0.0.0/0 \
             via 10.0.0.254 dev if9 | neigh 10.0.0.254 INCOMPLETE"
        );
        let o = event(&[
            u32a("ifindex", 6),
            at("direction", &[1]),
            at("input-type", &[7]),
        ]);
        assert_eq!(line_with(&o, &names), "rv2 rx | input unreachable");
    }

    #[test]
    fn unknown_attributes_end_the_line() {
        let bytes = emit_all(&[u32a("ifindex", 5), Attr::new(99, vec![0xab])]);
        let o = crate::codec::decode(&DECISION, &bytes);
        assert_eq!(line_with(&o, &names), "rv1 | attr-99 ab");
    }

    #[test]
    fn nud_and_flag_names() {
        assert_eq!(nud_names(0), ["NONE"]);
        assert_eq!(nud_names(0x80), ["PERMANENT"]);
        assert_eq!(nud_names(0x42), ["REACHABLE", "NOARP"]);
        assert_eq!(nud_names(0x104), ["STALE", "0x100"]);
        assert_eq!(tcp_flags(0x18), "[P.]");
        assert_eq!(tcp_flags(0x11), "[F.]");
        assert_eq!(tcp_flags(0x04), "[R]");
        assert_eq!(tcp_flags(0), "[none]");
    }
}
