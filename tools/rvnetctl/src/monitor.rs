// SPDX-License-Identifier: GPL-2.0
//! `monitor`: one line per decision event of the `decisions` group.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;

use crate::cli::Opts;
use crate::codec::decode;
use crate::genl::{RvnetMsg, RvnetSocket};
use crate::nl::{split_messages, NlError};
use crate::spec;
use crate::value::{get_u64, json_obj, Obj};

/// One event as a line: `key value` pairs in the order sent.
pub fn event_line(o: &Obj) -> String {
    o.iter()
        .map(|(k, v)| format!("{k} {}", v.text()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Joins the group and prints events until killed. With `--json`, one JSON
/// object per line (a stream has no end to close an array at).
pub fn run(opts: &Opts, dev: Option<&str>) -> Result<(), NlError> {
    let filter = dev.map(crate::cmds::ifindex).transpose()?;
    let s = RvnetSocket::open()?;
    let gid = s.family.group(spec::GROUP_DECISIONS).ok_or_else(|| {
        NlError::msg(
            libc::EOPNOTSUPP,
            format!(
                "the rvnet family has no \"{}\" multicast group",
                spec::GROUP_DECISIONS
            ),
        )
    })?;
    s.sock.join(gid)?;
    loop {
        let buf = match s.sock.recv() {
            Ok(b) => b,
            Err(e) if e.errno == libc::ENOBUFS => {
                eprintln!("rvnetctl: monitor: events lost (receive buffer full)");
                continue;
            }
            Err(e) => return Err(e),
        };
        for m in split_messages(&buf) {
            let Ok(msg) = NetlinkMessage::<GenlMessage<RvnetMsg>>::deserialize(m) else {
                continue;
            };
            let NetlinkPayload::InnerMessage(g) = msg.payload else {
                continue;
            };
            if g.family_id() != s.family.id && g.resolved_family_id() != s.family.id {
                continue;
            }
            let o = decode(&spec::EVENT, &g.payload.payload);
            if let (Some(f), Some(i)) = (filter, get_u64(&o, "ifindex")) {
                if i != u64::from(f) {
                    continue;
                }
            }
            if opts.json {
                let mut out = String::new();
                json_obj(&o, &mut out);
                println!("{out}");
            } else {
                println!("{}", event_line(&o));
            }
        }
    }
}
