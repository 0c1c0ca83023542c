// SPDX-License-Identifier: GPL-2.0
//! The `rvnet` generic netlink family on the wire: messages as a command
//! plus raw attributes (their meaning is in [`crate::spec`]), and family
//! resolution through the controller (`CTRL_CMD_GETFAMILY`).

use netlink_packet_core::{DecodeError, Emitable, ParseableParametrized};
use netlink_packet_generic::ctrl::nlas::{GenlCtrlAttrs, McastGrpAttrs, OpAttrs};
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlHeader, GenlMessage};

use crate::attr::Attr;
use crate::nl::{NlError, NlSocket, Origin};
use crate::spec::FAMILY;

/// One message of the family: a request (`attrs`) or an answer (`payload`,
/// the raw attribute bytes after the genetlink header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RvnetMsg {
    /// Command number.
    pub cmd: u8,
    /// Family version.
    pub version: u8,
    /// Attributes to send.
    pub attrs: Vec<Attr>,
    /// Attribute bytes received.
    pub payload: Vec<u8>,
}

impl RvnetMsg {
    /// A request with the given command, version and attributes.
    pub fn request(cmd: u8, version: u8, attrs: Vec<Attr>) -> RvnetMsg {
        RvnetMsg {
            cmd,
            version,
            attrs,
            payload: Vec::new(),
        }
    }
}

impl GenlFamily for RvnetMsg {
    fn family_name() -> &'static str {
        FAMILY
    }
    fn command(&self) -> u8 {
        self.cmd
    }
    fn version(&self) -> u8 {
        self.version
    }
}

impl Emitable for RvnetMsg {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for RvnetMsg {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        Ok(RvnetMsg {
            cmd: header.cmd,
            version: header.version,
            attrs: Vec::new(),
            payload: buf.to_vec(),
        })
    }
}

/// What the controller says about a family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Family {
    /// Name.
    pub name: String,
    /// Dynamically assigned id (the netlink message type).
    pub id: u16,
    /// Version.
    pub version: u32,
    /// Highest attribute number of the family's default set.
    pub maxattr: u32,
    /// Command numbers.
    pub ops: Vec<u32>,
    /// Multicast groups: name and id.
    pub groups: Vec<(String, u32)>,
}

impl Family {
    /// The id of a multicast group by name.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }
}

/// Builds the `CTRL_CMD_GETFAMILY` request for `name`.
pub fn getfamily_request(name: &str) -> GenlMessage<GenlCtrl> {
    GenlMessage::from_payload(GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(name.to_string())],
    })
}

/// Reads a `CTRL_CMD_NEWFAMILY` answer.
pub fn family_from_ctrl(c: &GenlCtrl) -> Family {
    let mut f = Family::default();
    for a in &c.nlas {
        match a {
            GenlCtrlAttrs::FamilyId(id) => f.id = *id,
            GenlCtrlAttrs::FamilyName(n) => f.name = n.clone(),
            GenlCtrlAttrs::Version(v) => f.version = *v,
            GenlCtrlAttrs::MaxAttr(m) => f.maxattr = *m,
            GenlCtrlAttrs::Ops(ops) => {
                for op in ops {
                    for oa in op {
                        if let OpAttrs::Id(id) = oa {
                            f.ops.push(*id);
                        }
                    }
                }
            }
            GenlCtrlAttrs::McastGroups(groups) => {
                for g in groups {
                    let mut name = String::new();
                    let mut id = 0;
                    for ga in g {
                        match ga {
                            McastGrpAttrs::Name(n) => name = n.clone(),
                            McastGrpAttrs::Id(i) => id = *i,
                        }
                    }
                    f.groups.push((name, id));
                }
            }
            _ => {}
        }
    }
    f
}

/// Resolves a family by name. A family that is not registered is this
/// machine's state, not a refused request: `Origin::Local` (exit 1, as
/// `ip` exits when it cannot resolve its generic netlink family).
pub fn resolve(sock: &mut NlSocket, name: &str) -> Result<Family, NlError> {
    let answers = sock
        .request(getfamily_request(name), false)
        .map_err(|mut e| {
            if e.errno == libc::ENOENT && e.ext.msg.is_none() {
                e.ext.msg = Some(format!(
                    "generic netlink family \"{name}\" not found (is the rvnet module loaded?)"
                ));
                e.origin = Origin::Local;
            }
            e
        })?;
    answers
        .first()
        .map(|m| family_from_ctrl(&m.payload))
        .ok_or_else(|| NlError::msg(libc::EBADMSG, "empty CTRL_CMD_GETFAMILY answer"))
}

/// A socket bound to the resolved `rvnet` family.
pub struct RvnetSocket {
    /// The socket.
    pub sock: NlSocket,
    /// The family.
    pub family: Family,
}

impl RvnetSocket {
    /// Opens a generic netlink socket and resolves the family.
    pub fn open() -> Result<RvnetSocket, NlError> {
        let mut sock = NlSocket::open(netlink_sys::protocols::NETLINK_GENERIC)?;
        let family = resolve(&mut sock, FAMILY)?;
        Ok(RvnetSocket { sock, family })
    }

    /// Sends one request (`do` or `dump`) and returns the answers.
    pub fn call(&mut self, msg: RvnetMsg, dump: bool) -> Result<Vec<RvnetMsg>, NlError> {
        let m = GenlMessage::new(
            GenlHeader {
                cmd: msg.cmd,
                version: msg.version,
            },
            msg,
            self.family.id,
        );
        let answers = self.sock.request(m, dump)?;
        Ok(answers.into_iter().map(|g| g.payload).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request/answer loop against the running kernel's controller:
    /// `nlctrl` always exists (id 0x10), a made-up family does not.
    #[test]
    fn controller_roundtrip_on_this_kernel() {
        let Ok(mut sock) = NlSocket::open(netlink_sys::protocols::NETLINK_GENERIC) else {
            eprintln!("note: no generic netlink socket here; skipped");
            return;
        };
        let f = resolve(&mut sock, "nlctrl").expect("nlctrl resolves");
        assert_eq!((f.id, f.name.as_str()), (0x10, "nlctrl"));
        assert!(f.group("notify").is_some(), "{f:?}");
        let e = resolve(&mut sock, "rvnet-nosuch").unwrap_err();
        assert_eq!(e.errno, libc::ENOENT);
        assert!(e.to_string().contains("not found"), "{e}");
        assert_eq!(e.origin, Origin::Local);
        // A name longer than GENL_NAMSIZ fails the controller's policy,
        // with the kernel's extack message and the offending attribute.
        let e = resolve(&mut sock, "rvnet-much-too-long-name").unwrap_err();
        assert_eq!(e.errno, libc::EINVAL);
        assert_eq!(e.origin, Origin::Kernel);
        eprintln!("policy error: {e} / {:?}", e.ext);
        assert!(e.ext.msg.is_some() || e.ext.offset.is_some(), "{e:?}");
    }

    #[test]
    fn getfamily_request_bytes() {
        let got = crate::nl::encode(
            getfamily_request("rvnet"),
            netlink_packet_core::NLM_F_REQUEST | netlink_packet_core::NLM_F_ACK,
            2,
        );
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            32, 0, 0, 0, 0x10, 0, 5, 0, 2, 0, 0, 0, 0, 0, 0, 0,
            3, 2, 0, 0,                                   // CTRL_CMD_GETFAMILY, version 2
            10, 0, 2, 0, b'r', b'v', b'n', b'e', b't', 0, 0, 0, // CTRL_ATTR_FAMILY_NAME
        ];
        assert_eq!(got, want);
    }
}
