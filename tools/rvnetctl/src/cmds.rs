// SPDX-License-Identifier: GPL-2.0
//! The generic netlink commands: build the request from the command line,
//! call the family, decode the answer.

use std::ffi::{CStr, CString};

use crate::attr::Attr;
use crate::cli::RouteQuery;
use crate::codec::{attr_at, decode, put, Put};
use crate::genl::{RvnetMsg, RvnetSocket};
use crate::nl::NlError;
use crate::spec::{self, Op};
use crate::value::Obj;

/// Size of `nlmsghdr` + `genlmsghdr`: where the attribute area starts in the
/// offsets the kernel reports.
const GENL_ATTR_START: usize = 16 + 4;

/// The ifindex of a device name in the current namespace.
pub fn ifindex(name: &str) -> Result<u32, NlError> {
    let c = CString::new(name).map_err(|_| NlError::msg(libc::EINVAL, "bad device name"))?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if i == 0 {
        return Err(NlError::msg(
            libc::ENODEV,
            format!("cannot find device \"{name}\""),
        ));
    }
    Ok(i)
}

/// The name of an ifindex in the current namespace.
pub fn ifname(index: u64) -> Option<String> {
    let index = u32::try_from(index).ok()?;
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has IF_NAMESIZE bytes, as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success `buf` holds a NUL-terminated name.
    let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Some(s.to_string_lossy().into_owned())
}

/// Calls one operation and decodes its answers. Extended-ACK attribute
/// numbers and offsets are named from the operation's attribute set.
pub fn call(
    s: &mut RvnetSocket,
    op: Op,
    attrs: Vec<Attr>,
    dump: bool,
) -> Result<Vec<Obj>, NlError> {
    let msg = RvnetMsg::request(op.cmd, spec::VERSION, attrs.clone());
    match s.call(msg, dump) {
        Ok(answers) => Ok(answers.iter().map(|m| decode(op.set, &m.payload)).collect()),
        Err(mut e) => {
            if e.ext.missing_nest.is_none() {
                if let Some(t) = e.ext.missing_type {
                    e.missing_name = u16::try_from(t)
                        .ok()
                        .and_then(|t| op.set.by_num(t))
                        .map(|d| d.name.to_string());
                }
            }
            if let Some(off) = e.ext.offset {
                e.offset_name = (off as usize)
                    .checked_sub(GENL_ATTR_START)
                    .and_then(|o| attr_at(op.set, &attrs, o))
                    .map(String::from);
            }
            Err(e)
        }
    }
}

/// The route-get request for a query.
pub fn route_request(q: &RouteQuery) -> Result<Vec<Attr>, NlError> {
    let set = &spec::ROUTE;
    let mut a = vec![put(set, "dst", Put::Addr(q.dst))];
    if let Some(s) = q.src {
        a.push(put(set, "src", Put::Addr(s)));
    }
    if let Some(d) = &q.iif {
        a.push(put(set, "iif", Put::U(ifindex(d)?.into())));
    }
    for v in &q.vrf {
        // ip's name_is_vrf(): the device must exist and be of kind vrf.
        ifindex(v)?;
        if crate::link::kind(v)?.as_deref() != Some("vrf") {
            let mut e = NlError::msg(
                libc::EINVAL,
                format!("argument \"{v}\" is wrong: Invalid VRF"),
            );
            e.origin = crate::nl::Origin::Argument;
            return Err(e);
        }
    }
    if let Some(d) = &q.oif {
        a.push(put(set, "oif", Put::U(ifindex(d)?.into())));
    }
    if let Some(m) = q.mark {
        a.push(put(set, "mark", Put::U(m.into())));
    }
    if let Some(u) = q.uid {
        a.push(put(set, "uid", Put::U(u.into())));
    }
    if let Some(t) = q.tos {
        a.push(put(set, "tos", Put::U(t.into())));
    }
    if let Some(t) = q.table {
        a.push(put(set, "table", Put::U(t.into())));
    }
    if let Some(p) = q.ipproto {
        a.push(put(set, "ipproto", Put::U(p.into())));
    }
    if let Some(p) = q.sport {
        a.push(put(set, "sport", Put::U(p.into())));
    }
    if q.fibmatch {
        a.push(put(set, "fibmatch", Put::Flag));
    }
    if let Some(p) = q.dport {
        a.push(put(set, "dport", Put::U(p.into())));
    }
    Ok(a)
}

/// The error a route-get answer carries for a reject route (`error`: the
/// errno `ip route get` fails with), as a kernel error naming the type.
pub fn route_error(o: &Obj) -> Option<NlError> {
    let errno = i32::try_from(crate::value::get_u64(o, "error")?).ok()?;
    let t = crate::value::get_str(o, "type").unwrap_or("reject");
    let mut e = NlError::msg(errno, format!("{t} route"));
    e.origin = crate::nl::Origin::Kernel;
    Some(e)
}

/// The second question of `route get ... connected` (no `from`), as
/// `ip route get ... connected` asks it: the same question from the first
/// answer's preferred source. A reject route or an answer without a source
/// is ip's "Failed to connect the route".
pub fn connected_query(q: &RouteQuery, answer: &[Obj]) -> Result<RouteQuery, NlError> {
    if let Some(e) = answer.iter().find_map(route_error) {
        return Err(e);
    }
    let src = answer
        .first()
        .and_then(|o| crate::value::get_str(o, "prefsrc"))
        .and_then(|s| s.parse().ok());
    let Some(src) = src else {
        let mut e = NlError::msg(libc::EINVAL, "Failed to connect the route");
        e.origin = crate::nl::Origin::Local;
        return Err(e);
    };
    let mut again = q.clone();
    again.src = Some(src);
    again.connected = false;
    Ok(again)
}

/// The path-get request (dst, src, mark).
pub fn path_request(q: &RouteQuery) -> Vec<Attr> {
    let set = &spec::PATH;
    let mut a = vec![put(set, "dst", Put::Addr(q.dst))];
    if let Some(s) = q.src {
        a.push(put(set, "src", Put::Addr(s)));
    }
    if let Some(m) = q.mark {
        a.push(put(set, "mark", Put::U(m.into())));
    }
    a
}

/// The neigh-get request.
pub fn neigh_request(addr: std::net::IpAddr, ifindex: u32, resolve: bool) -> Vec<Attr> {
    let set = &spec::NEIGH;
    let mut a = vec![
        put(set, "addr", Put::Addr(addr)),
        put(set, "ifindex", Put::U(ifindex.into())),
    ];
    if resolve {
        a.push(put(set, "resolve", Put::Flag));
    }
    a
}

/// The dev-set request.
pub fn dev_set_request(ifindex: u32, sample: Option<u32>, ring: Option<u32>) -> Vec<Attr> {
    let set = &spec::DEV;
    let mut a = vec![put(set, "ifindex", Put::U(ifindex.into()))];
    if let Some(s) = sample {
        a.push(put(set, "sample", Put::U(s.into())));
    }
    if let Some(r) = ring {
        a.push(put(set, "ring-size", Put::U(r.into())));
    }
    a
}

/// The decision-dump request: the device's ifindex.
pub fn decision_dump_request(ifindex: u32) -> Vec<Attr> {
    vec![put(
        spec::DECISION_DUMP.set,
        "ifindex",
        Put::U(ifindex.into()),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genl::RvnetMsg;
    use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST};
    use netlink_packet_generic::{GenlHeader, GenlMessage};

    fn q(dst: &str) -> RouteQuery {
        RouteQuery::new(dst.parse().unwrap())
    }

    /// `route get 10.0.0.1 from 10.0.0.2 mark 5 table 100 dscp 4` for a
    /// family with id 0x1234, byte by byte.
    #[test]
    fn route_get_request_bytes() {
        let mut rq = q("10.0.0.1");
        rq.src = Some("10.0.0.2".parse().unwrap());
        rq.mark = Some(5);
        rq.table = Some(100);
        rq.tos = Some(4 << 2);
        let attrs = route_request(&rq).unwrap();
        let msg = RvnetMsg::request(spec::ROUTE_GET.cmd, spec::VERSION, attrs);
        let g = GenlMessage::new(
            GenlHeader {
                cmd: msg.cmd,
                version: msg.version,
            },
            msg,
            0x1234,
        );
        let got = crate::nl::encode(g, NLM_F_REQUEST | NLM_F_ACK, 7);
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            60, 0, 0, 0,            // nlmsg_len
            0x34, 0x12,             // nlmsg_type: family id
            5, 0,                   // NLM_F_REQUEST | NLM_F_ACK
            7, 0, 0, 0,             // seq
            0, 0, 0, 0,             // pid
            1, 1, 0, 0,             // genlmsghdr: cmd route-get, version 1
            8, 0, 1, 0, 10, 0, 0, 1, // dst
            8, 0, 2, 0, 10, 0, 0, 2, // src
            8, 0, 5, 0, 5, 0, 0, 0,  // mark
            5, 0, 7, 0, 16, 0, 0, 0, // tos = dscp 4 << 2, padded
            8, 0, 8, 0, 100, 0, 0, 0, // table
        ];
        assert_eq!(got, want);
    }

    /// `tos 0x28`, `tos 28`, `dsfield 28`, `d 28` and `dscp 10` all put the
    /// DS field byte 0x28 in the `tos` attribute (u8 type 7, padded).
    #[test]
    fn tos_forms_request_bytes() {
        let names = crate::names::Names::at("/nonexistent");
        for args in [
            "tos 0x28",
            "tos 28",
            "dsfield 28",
            "d 0x28",
            "dscp 10",
            "dscp 0xa",
        ] {
            let line = format!("route get 10.0.0.1 {args}");
            let v: Vec<String> = line.split_whitespace().map(String::from).collect();
            let Ok((_, crate::cli::Cmd::RouteGet(q))) = crate::cli::parse_with(&v, &names) else {
                panic!("{line}")
            };
            let b = crate::attr::emit_all(&route_request(&q).unwrap());
            assert_eq!(&b[8..], &[5, 0, 7, 0, 0x28, 0, 0, 0], "{line}");
        }
    }

    /// `ipproto 6 sport 1000 dport 80`: u8 type 20, u16 types 21 and 22,
    /// host byte order, padded.
    #[test]
    fn flow_keys_request_bytes() {
        let mut rq = q("10.0.0.1");
        rq.ipproto = Some(6);
        rq.sport = Some(1000);
        rq.dport = Some(80);
        let b = crate::attr::emit_all(&route_request(&rq).unwrap());
        let s = 1000u16.to_ne_bytes();
        let d = 80u16.to_ne_bytes();
        #[rustfmt::skip]
        assert_eq!(&b[8..], &[
            5, 0, 20, 0, 6, 0, 0, 0,
            6, 0, 21, 0, s[0], s[1], 0, 0,
            6, 0, 22, 0, d[0], d[1], 0, 0,
        ]);
    }

    /// An answer with `error` (a reject route) becomes the kernel's error,
    /// naming the type; one without is no error.
    #[test]
    fn route_error_from_answer() {
        use crate::value::Value;
        let o: Obj = vec![
            ("type".into(), Value::S("unreachable".into())),
            ("error".into(), Value::U(113)),
        ];
        let e = route_error(&o).unwrap();
        assert_eq!(e.errno, libc::EHOSTUNREACH);
        assert_eq!(e.origin, crate::nl::Origin::Kernel);
        assert_eq!(e.to_string(), "No route to host: unreachable route");
        let o: Obj = vec![("type".into(), Value::S("unicast".into()))];
        assert!(route_error(&o).is_none());
    }

    #[test]
    fn neigh_and_dev_set_requests() {
        let a = neigh_request("fd00::2".parse().unwrap(), 3, true);
        let b = crate::attr::emit_all(&a);
        // addr (4 + 16), ifindex (8), resolve flag (4).
        assert_eq!(b.len(), 20 + 8 + 4);
        assert_eq!(&b[20..], &[8, 0, 2, 0, 3, 0, 0, 0, 4, 0, 3, 0]);
        let a = dev_set_request(9, Some(1000), Some(64));
        let b = crate::attr::emit_all(&a);
        #[rustfmt::skip]
        assert_eq!(b, vec![
            8, 0, 1, 0, 9, 0, 0, 0,
            8, 0, 3, 0, 0xe8, 3, 0, 0,
            8, 0, 4, 0, 64, 0, 0, 0,
        ]);
        let p = crate::attr::emit_all(&path_request(&q("10.1.2.3")));
        assert_eq!(p, vec![8, 0, 1, 0, 10, 1, 2, 3]);
    }

    /// `dev decisions rv1` (ifindex 5) as a dump request, byte by byte.
    #[test]
    fn decision_dump_request_bytes() {
        let msg = RvnetMsg::request(
            spec::DECISION_DUMP.cmd,
            spec::VERSION,
            decision_dump_request(5),
        );
        let g = GenlMessage::new(
            GenlHeader {
                cmd: msg.cmd,
                version: msg.version,
            },
            msg,
            0x1234,
        );
        let flags = NLM_F_REQUEST | NLM_F_ACK | netlink_packet_core::NLM_F_DUMP;
        let got = crate::nl::encode(g, flags, 9);
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            28, 0, 0, 0,            // nlmsg_len
            0x34, 0x12,             // nlmsg_type: family id
            5, 3,                   // NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP
            9, 0, 0, 0,             // seq
            0, 0, 0, 0,             // pid
            6, 1, 0, 0,             // genlmsghdr: cmd decision-dump, version 1
            8, 0, 1, 0, 5, 0, 0, 0, // ifindex
        ];
        assert_eq!(got, want);
    }

    /// A route-get answer as the kernel would send it, decoded to the JSON
    /// the CLI prints.
    #[test]
    fn route_get_answer_decodes() {
        #[rustfmt::skip]
        let nlmsg: Vec<u8> = vec![
            76, 0, 0, 0, 0x34, 0x12, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,
            1, 1, 0, 0,
            8, 0, 1, 0, 10, 0, 0, 1,      // dst
            8, 0, 8, 0, 254, 0, 0, 0,     // table
            5, 0, 10, 0, 1, 0, 0, 0,      // type unicast
            5, 0, 11, 0, 0, 0, 0, 0,      // scope universe
            8, 0, 12, 0, 10, 0, 0, 0,     // prefix
            5, 0, 13, 0, 24, 0, 0, 0,     // prefix-length
            8, 0, 15, 0, b'r', b'v', b'1', 0, // oif-name
        ];
        let Ok(crate::nl::Step::Message(g)) =
            crate::nl::classify::<GenlMessage<RvnetMsg>>(&nlmsg, 7)
        else {
            panic!("not decoded")
        };
        let o = decode(&spec::ROUTE, &g.payload.payload);
        assert_eq!(
            crate::value::json_array_fmt(&[o], false),
            r#"[{"dst":"10.0.0.1","table":254,"type":"unicast","scope":0,"prefix":"10.0.0.0","prefix-length":24,"oif-name":"rv1"}]"#
        );
    }
}
