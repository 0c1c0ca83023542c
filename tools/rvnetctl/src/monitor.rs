// SPDX-License-Identifier: GPL-2.0
//! `monitor`: one line per decision event (`decision-ntf`) of the
//! `decisions` group, in the format of [`crate::decision`].

use std::io::{self, BufWriter, Write};

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;

use crate::cli::Opts;
use crate::codec::decode;
use crate::decision;
use crate::genl::{RvnetMsg, RvnetSocket};
use crate::nl::{split_messages, NlError};
use crate::spec;
use crate::value::{get_u64, json_obj_fmt, Obj};

/// The decision carried by one received netlink message, if it is a
/// `decision-ntf` of the family with id `family`.
pub fn event_of(bytes: &[u8], family: u16) -> Option<Obj> {
    let msg = NetlinkMessage::<GenlMessage<RvnetMsg>>::deserialize(bytes).ok()?;
    let NetlinkPayload::InnerMessage(g) = msg.payload else {
        return None;
    };
    if g.family_id() != family && g.resolved_family_id() != family {
        return None;
    }
    if g.payload.cmd != spec::DECISION_NTF.cmd {
        return None;
    }
    Some(decode(spec::DECISION_NTF.set, &g.payload.payload))
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
    // Lines are written in batches: while more events are queued on the
    // socket they collect in the buffer, and it is flushed as soon as the
    // socket has none (so an interactive reader still sees each event when
    // it happens, and a burst costs one write instead of one per line).
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    // One datagram: a multicast skb holds at most NLMSG_GOODSIZE (a page
    // or 8 KiB) of messages.
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut pending = false;
    loop {
        match s.sock.recv_into(&mut buf, false) {
            Ok(true) => {}
            Ok(false) => {
                if pending {
                    flush(&mut out)?;
                    pending = false;
                }
                match s.sock.recv_into(&mut buf, true) {
                    Ok(_) => {}
                    Err(e) if e.errno == libc::ENOBUFS => {
                        lost();
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) if e.errno == libc::ENOBUFS => {
                lost();
                continue;
            }
            Err(e) => return Err(e),
        }
        for m in split_messages(&buf) {
            let Some(o) = event_of(m, s.family.id) else {
                continue;
            };
            if let (Some(f), Some(i)) = (filter, get_u64(&o, "ifindex")) {
                if i != u64::from(f) {
                    continue;
                }
            }
            let line = if opts.json {
                json_obj_fmt(&decision::json_form(&o), opts.pretty)
            } else {
                decision::line(&o)
            };
            writeln!(out, "{line}").map_err(|e| NlError::from_io(&e))?;
            pending = true;
        }
    }
}

fn flush(out: &mut impl Write) -> Result<(), NlError> {
    out.flush().map_err(|e| NlError::from_io(&e))
}

fn lost() {
    eprintln!("rvnetctl: monitor: events lost (receive buffer full)");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(family: u16, cmd: u8) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(28u32.to_ne_bytes());
        b.extend(family.to_ne_bytes());
        b.extend([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend([cmd, spec::VERSION, 0, 0]);
        b.extend([8, 0, 1, 0, 5, 0, 0, 0]); // ifindex 5
        b
    }

    #[test]
    fn only_decision_ntf_of_our_family() {
        let o = event_of(&msg(0x1234, spec::DECISION_NTF.cmd), 0x1234).unwrap();
        assert_eq!(get_u64(&o, "ifindex"), Some(5));
        assert!(event_of(&msg(0x1235, spec::DECISION_NTF.cmd), 0x1234).is_none());
        assert!(event_of(&msg(0x1234, spec::DECISION_DUMP.cmd), 0x1234).is_none());
        assert!(event_of(&[1, 2, 3], 0x1234).is_none());
    }
}
