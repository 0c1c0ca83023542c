// SPDX-License-Identifier: GPL-2.0
//! Spec-driven attribute encoding and decoding: requests are built by
//! attribute name, answers decode to objects keyed by the spec's names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::attr::Attr;
use crate::nl;
use crate::spec::{Set, Ty};
use crate::value::{Obj, Value};

/// A request value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// Integer of the attribute's width.
    U(u64),
    /// Address (4 or 16 bytes).
    Addr(IpAddr),
    /// Flag.
    Flag,
}

/// Encodes attribute `name` of `set`.
///
/// # Panics
///
/// If `set` has no attribute `name` or the value does not fit its type: the
/// callers use the names and types of [`crate::spec`], which the unit tests
/// cover.
pub fn put(set: &Set, name: &str, v: Put) -> Attr {
    let (num, def) = set
        .by_name(name)
        .unwrap_or_else(|| panic!("attribute set {} has no {name}", set.name));
    let value = match (def.ty, v) {
        (Ty::U8, Put::U(n)) => vec![n as u8],
        (Ty::U16, Put::U(n)) => (n as u16).to_ne_bytes().to_vec(),
        (Ty::U32, Put::U(n)) => (n as u32).to_ne_bytes().to_vec(),
        (Ty::Addr, Put::Addr(IpAddr::V4(a))) => a.octets().to_vec(),
        (Ty::Addr, Put::Addr(IpAddr::V6(a))) => a.octets().to_vec(),
        (Ty::Flag, Put::Flag) => Vec::new(),
        (ty, v) => panic!("{}.{name} is {ty:?}, cannot encode {v:?}", set.name),
    };
    Attr::new(num, value)
}

fn uint(v: &[u8]) -> Option<u64> {
    Some(match v.len() {
        1 => u64::from(v[0]),
        2 => u64::from(u16::from_ne_bytes(v.try_into().ok()?)),
        4 => u64::from(u32::from_ne_bytes(v.try_into().ok()?)),
        8 => u64::from_ne_bytes(v.try_into().ok()?),
        _ => return None,
    })
}

fn hex(v: &[u8], sep: &str) -> String {
    v.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Text form of an address attribute (4 or 16 bytes).
pub fn addr_of(v: &[u8]) -> Option<IpAddr> {
    if let Ok(b) = <[u8; 4]>::try_from(v) {
        Some(IpAddr::V4(Ipv4Addr::from(b)))
    } else if let Ok(b) = <[u8; 16]>::try_from(v) {
        Some(IpAddr::V6(Ipv6Addr::from(b)))
    } else {
        None
    }
}

fn decode_value(ty: Ty, en: Option<&crate::spec::Enum>, v: &[u8]) -> Value {
    match ty {
        Ty::U8 | Ty::U16 | Ty::U32 | Ty::Uint => match uint(v) {
            Some(n) => match en.and_then(|e| e.name_of(n)) {
                Some(name) => Value::S(name.to_string()),
                None => Value::U(n),
            },
            None => Value::S(hex(v, "")),
        },
        Ty::Str => {
            let s = v.split(|&b| b == 0).next().unwrap_or_default();
            Value::S(String::from_utf8_lossy(s).into_owned())
        }
        Ty::Flag => Value::B(true),
        Ty::Addr => match addr_of(v) {
            Some(a) => Value::S(a.to_string()),
            None => Value::S(hex(v, "")),
        },
        Ty::Mac => Value::S(hex(v, ":")),
        Ty::Nest(s) => Value::O(decode(s, v)),
    }
}

/// Decodes the attributes of `set` in `bytes`, in the order sent. Unknown
/// attributes appear as `attr-N` with their bytes in hex, so a newer
/// kernel's additions still show. A repeated attribute (`multi-attr`, e.g.
/// `nexthop`) becomes a list in the order sent.
pub fn decode(set: &Set, bytes: &[u8]) -> Obj {
    let mut o = Obj::new();
    for (num, v) in nl::attrs(bytes) {
        match set.by_num(num) {
            Some(def) => {
                let val = decode_value(def.ty, def.enumeration, v);
                match o.iter_mut().find(|(k, _)| k == def.name) {
                    Some((_, Value::L(l))) => l.push(val),
                    Some((_, old)) => {
                        let first = std::mem::replace(old, Value::B(false));
                        *old = Value::L(vec![first, val]);
                    }
                    None => o.push((def.name.to_string(), val)),
                }
            }
            None => o.push((format!("attr-{num}"), Value::S(hex(v, "")))),
        }
    }
    o
}

/// Name of the request attribute at byte `offset` of the attribute area
/// (as `NLMSGERR_ATTR_OFFS` points at, less the headers).
pub fn attr_at(set: &Set, attrs: &[Attr], offset: usize) -> Option<&'static str> {
    let mut at = 0;
    for a in attrs {
        let len = 4 + ((a.value.len() + 3) & !3);
        if offset >= at && offset < at + len {
            return set
                .by_num(a.kind & netlink_packet_core::NLA_TYPE_MASK)
                .map(|d| d.name);
        }
        at += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{NEIGH, PATH, ROUTE};

    #[test]
    fn put_types() {
        let d = put(&ROUTE, "dst", Put::Addr("10.0.0.1".parse().unwrap()));
        assert_eq!((d.kind, d.value.as_slice()), (1, &[10, 0, 0, 1][..]));
        let d = put(&ROUTE, "tos", Put::U(0x10));
        assert_eq!((d.kind, d.value.as_slice()), (7, &[0x10][..]));
        let d = put(&NEIGH, "resolve", Put::Flag);
        assert_eq!((d.kind, d.value.len()), (3, 0));
        let d = put(&ROUTE, "dst", Put::Addr("fd00::1".parse().unwrap()));
        assert_eq!(d.value.len(), 16);
    }

    #[test]
    #[should_panic]
    fn put_unknown_name_panics() {
        put(&ROUTE, "nope", Put::U(1));
    }

    #[test]
    fn decode_nested_path_answer() {
        let route = crate::attr::emit_all(&[
            Attr::new(10, vec![1]),             // type unicast
            Attr::new(14, vec![10, 0, 0, 254]), // gateway
            Attr::new(15, b"rv1\0".to_vec()),
        ]);
        let neigh = crate::attr::emit_all(&[
            Attr::new(5, b"REACHABLE\0".to_vec()),
            Attr::new(6, vec![2, 0, 0, 0, 0, 1]),
        ]);
        let bytes = crate::attr::emit_all(&[
            Attr::nest(4, &[]),
            Attr::new(4 | netlink_packet_core::NLA_F_NESTED, route),
            Attr::new(5 | netlink_packet_core::NLA_F_NESTED, neigh),
            Attr::new(7, 3u32.to_ne_bytes().to_vec()),
            Attr::new(99, vec![0xab]),
        ]);
        let o = decode(&PATH, &bytes);
        let s = crate::value::json_array_fmt(&[o], false);
        assert_eq!(
            s,
            concat!(
                r#"[{"route":[{},{"type":"unicast","gateway":"10.0.0.254","oif-name":"rv1"}],"#,
                r#""neigh":{"state-name":"REACHABLE","lladdr":"02:00:00:00:00:01"},"#,
                r#""tx-queue":3,"attr-99":"ab"}]"#
            )
        );
    }

    #[test]
    fn offset_names_attribute() {
        let attrs = [
            put(&ROUTE, "dst", Put::Addr("10.0.0.1".parse().unwrap())),
            put(&ROUTE, "mark", Put::U(5)),
        ];
        assert_eq!(attr_at(&ROUTE, &attrs, 0), Some("dst"));
        assert_eq!(attr_at(&ROUTE, &attrs, 8), Some("mark"));
        assert_eq!(attr_at(&ROUTE, &attrs, 16), None);
    }
}
