// SPDX-License-Identifier: GPL-2.0
//! Human-readable lines, worded like `ip route get` and `ip neigh`.

use crate::cmds::ifname;
use crate::value::{get, get_str, get_u64, Obj, Value};

/// `RT_SCOPE_*` names as iproute2 prints them.
pub fn scope_name(s: u64) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// Table names as iproute2 prints them.
pub fn table_name(t: u64) -> String {
    match t {
        253 => "default".into(),
        254 => "main".into(),
        255 => "local".into(),
        n => n.to_string(),
    }
}

/// Device name of an answer: its `*-name` attribute, or the ifindex looked
/// up here.
fn dev_of(o: &Obj, name_key: &str, index_key: &str) -> Option<String> {
    get_str(o, name_key)
        .map(String::from)
        .or_else(|| get_u64(o, index_key).map(|i| ifname(i).unwrap_or_else(|| format!("if{i}"))))
}

/// `unicast 10.0.0.1 via 10.0.0.254 dev rv1 table main src 10.0.0.2 prefix
/// 10.0.0.0/24 scope global metric 0 mtu 1500`, leaving the type out for
/// unicast as `ip route` does.
pub fn route_line(o: &Obj) -> String {
    let mut w: Vec<String> = Vec::new();
    match get_str(o, "type") {
        Some("unicast") | None => {}
        Some(t) => w.push(t.into()),
    }
    if let Some(d) = get_str(o, "dst") {
        w.push(d.into());
    }
    if let Some(g) = get_str(o, "gateway") {
        w.push(format!("via {g}"));
    }
    if let Some(d) = dev_of(o, "oif-name", "oif") {
        w.push(format!("dev {d}"));
    }
    if let Some(t) = get_u64(o, "table") {
        w.push(format!("table {}", table_name(t)));
    }
    if let Some(s) = get_str(o, "prefsrc") {
        w.push(format!("src {s}"));
    }
    if let Some(p) = get_str(o, "prefix") {
        match get_u64(o, "prefix-length") {
            Some(l) => w.push(format!("prefix {p}/{l}")),
            None => w.push(format!("prefix {p}")),
        }
    }
    if let Some(s) = get_u64(o, "scope") {
        w.push(format!("scope {}", scope_name(s)));
    }
    if let Some(m) = get_u64(o, "priority") {
        w.push(format!("metric {m}"));
    }
    if let Some(m) = get_u64(o, "mtu") {
        w.push(format!("mtu {m}"));
    }
    extra(o, &mut w, ROUTE_KEYS);
    let mut line = w.join(" ");
    // A multipath entry (fibmatch): its nexthops as ip lists them.
    let nhs = match o.iter().find(|(k, _)| k == "nexthop").map(|(_, v)| v) {
        Some(Value::L(l)) => l.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for nh in nhs {
        if let Value::O(n) = nh {
            let mut s = vec!["\n\tnexthop".to_string()];
            if let Some(g) = get_str(n, "gateway") {
                s.push(format!("via {g}"));
            }
            if let Some(d) = dev_of(n, "oif-name", "oif") {
                s.push(format!("dev {d}"));
            }
            if let Some(x) = get_u64(n, "weight") {
                s.push(format!("weight {x}"));
            }
            line.push_str(&s.join(" "));
        }
    }
    line
}

const ROUTE_KEYS: &[&str] = &[
    "type",
    "dst",
    "gateway",
    "oif-name",
    "oif",
    "table",
    "prefsrc",
    "prefix",
    "prefix-length",
    "scope",
    "priority",
    "mtu",
    "family",
    "nexthop",
    // Reported on stderr with the exit status (route get).
    "error",
];

/// `NTF_ROUTER`.
const NTF_ROUTER: u64 = 0x80;

/// `10.0.0.2 dev rv1 lladdr 02:00:00:00:00:02 REACHABLE`, as `ip neigh`
/// prints it, then probes and ages.
pub fn neigh_line(o: &Obj) -> String {
    let mut w: Vec<String> = Vec::new();
    if let Some(a) = get_str(o, "addr") {
        w.push(a.into());
    }
    if let Some(d) = dev_of(o, "ifname", "ifindex") {
        w.push(format!("dev {d}"));
    }
    if let Some(l) = get_str(o, "lladdr") {
        w.push(format!("lladdr {l}"));
    }
    if get_u64(o, "flags").is_some_and(|f| f & NTF_ROUTER != 0) {
        w.push("router".into());
    }
    match (get_str(o, "state-name"), get_u64(o, "state")) {
        (Some(s), _) => w.push(s.into()),
        (None, Some(s)) => w.push(format!("state 0x{s:x}")),
        _ => {}
    }
    if let Some(p) = get_u64(o, "probes") {
        w.push(format!("probes {p}"));
    }
    for (k, label) in [
        ("confirmed-ms", "confirmed"),
        ("used-ms", "used"),
        ("updated-ms", "updated"),
    ] {
        if let Some(v) = get_u64(o, k) {
            w.push(format!("{label} {v}ms"));
        }
    }
    extra(o, &mut w, NEIGH_KEYS);
    w.join(" ")
}

const NEIGH_KEYS: &[&str] = &[
    "addr",
    "ifindex",
    "ifname",
    "lladdr",
    "flags",
    "state-name",
    "state",
    "probes",
    "confirmed-ms",
    "used-ms",
    "updated-ms",
];

/// Three lines: the device, tx queue and qdisc; the route; the neighbour.
pub fn path_lines(o: &Obj) -> String {
    let mut head: Vec<String> = Vec::new();
    if let Some(d) = get_str(o, "dst") {
        head.push(d.into());
    }
    let route = get(o, "route").and_then(Value::as_obj);
    let dev = route
        .and_then(|r| get_str(r, "oif-name").map(String::from))
        .or_else(|| dev_of(o, "ifname", "ifindex"));
    if let Some(d) = dev {
        head.push(format!("dev {d}"));
    }
    if let Some(q) = get_u64(o, "tx-queue") {
        head.push(format!("txq {q}"));
    }
    if let Some(k) = get_str(o, "qdisc-kind") {
        head.push(format!("qdisc {k}"));
    }
    extra(
        o,
        &mut head,
        &["dst", "route", "neigh", "ifindex", "tx-queue", "qdisc-kind"],
    );
    let mut s = head.join(" ");
    s.push_str("\n    route ");
    s.push_str(&route.map_or_else(|| "none".into(), route_line));
    s.push_str("\n    neigh ");
    s.push_str(
        &get(o, "neigh")
            .and_then(Value::as_obj)
            .map_or_else(|| "none".into(), neigh_line),
    );
    s
}

/// `rv1 ifindex 5 sample 1/100 ring-size 256 events-sent 10 events-dropped 0`.
pub fn dev_line(o: &Obj) -> String {
    let mut w: Vec<String> = Vec::new();
    if let Some(d) = dev_of(o, "ifname", "ifindex") {
        w.push(d);
    }
    if let Some(i) = get_u64(o, "ifindex") {
        w.push(format!("ifindex {i}"));
    }
    match get_u64(o, "sample") {
        Some(0) => w.push("sample off".into()),
        Some(n) => w.push(format!("sample 1/{n}")),
        None => {}
    }
    for k in ["ring-size", "events-sent", "events-dropped"] {
        if let Some(v) = get(o, k) {
            w.push(format!("{k} {}", v.text()));
        }
    }
    extra(
        o,
        &mut w,
        &[
            "ifname",
            "ifindex",
            "sample",
            "ring-size",
            "events-sent",
            "events-dropped",
        ],
    );
    w.join(" ")
}

/// Appends attributes a formatter does not know (a newer kernel's) as
/// `key value`.
fn extra(o: &Obj, w: &mut Vec<String>, known: &[&str]) {
    for (k, v) in o {
        if !known.contains(&k.as_str()) {
            w.push(format!("{k} {}", v.text()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::S(v.into())
    }

    #[test]
    fn route_reads_like_ip_route_get() {
        let o: Obj = vec![
            ("dst".into(), s("10.0.0.1")),
            ("family".into(), Value::U(2)),
            ("table".into(), Value::U(254)),
            ("type".into(), s("unicast")),
            ("scope".into(), Value::U(0)),
            ("prefix".into(), s("0.0.0.0")),
            ("prefix-length".into(), Value::U(0)),
            ("gateway".into(), s("10.23.0.254")),
            ("oif".into(), Value::U(5)),
            ("oif-name".into(), s("rv1")),
            ("prefsrc".into(), s("10.23.0.1")),
            ("mtu".into(), Value::U(1500)),
        ];
        assert_eq!(
            route_line(&o),
            "10.0.0.1 via 10.23.0.254 dev rv1 table main src 10.23.0.1 prefix 0.0.0.0/0 scope global mtu 1500"
        );
        let o: Obj = vec![
            ("type".into(), s("unreachable")),
            ("dst".into(), s("10.9.0.1")),
        ];
        assert_eq!(route_line(&o), "unreachable 10.9.0.1");
    }

    #[test]
    fn neigh_reads_like_ip_neigh() {
        let o: Obj = vec![
            ("addr".into(), s("10.23.0.2")),
            ("ifindex".into(), Value::U(1)),
            ("state".into(), Value::U(2)),
            ("state-name".into(), s("REACHABLE")),
            ("lladdr".into(), s("02:00:00:00:00:02")),
            ("flags".into(), Value::U(0x80)),
            ("probes".into(), Value::U(0)),
            ("used-ms".into(), Value::U(12)),
        ];
        let line = neigh_line(&o);
        assert!(
            line.ends_with("lladdr 02:00:00:00:00:02 router REACHABLE probes 0 used 12ms"),
            "{line}"
        );
        assert!(line.starts_with("10.23.0.2 dev "), "{line}");
    }
}
