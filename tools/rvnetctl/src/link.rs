// SPDX-License-Identifier: GPL-2.0
//! `link add` / `link del` over rtnetlink.
//!
//! Stock iproute2 cannot pass arguments to a link kind it does not know, so
//! the named peer goes in here the way veth takes it: `IFLA_LINKINFO` {
//! `IFLA_INFO_KIND` "rvnet", `IFLA_INFO_DATA` { attribute 1
//! (`VETH_INFO_PEER` layout): a `struct ifinfomsg` followed by the peer's
//! own `IFLA_*` attributes } }. The peer's namespace is `IFLA_NET_NS_FD`
//! inside that peer message; queue counts go to both ends (the peer is
//! created from its own attribute table once a peer message is present).

use std::fs::File;
use std::os::fd::{AsRawFd, RawFd};

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{InfoData, InfoKind, LinkAttribute, LinkInfo, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;

use crate::attr::{to_bytes, Attr};
use crate::nl::{NlError, NlSocket, Origin};

/// The rtnl link kind of rvnet devices.
pub const KIND: &str = "rvnet";
/// `IFLA_INFO_DATA` attribute carrying the peer (`VETH_INFO_PEER`).
pub const INFO_PEER: u16 = 1;

/// A `link add` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkAdd {
    /// Name of the new device.
    pub name: String,
    /// Name of its peer, if given.
    pub peer: Option<String>,
    /// Namespace of the peer (`/run/netns/NAME`), if given.
    pub netns: Option<String>,
    /// Number of tx queues of both ends.
    pub txqueues: Option<u32>,
    /// Number of rx queues of both ends.
    pub rxqueues: Option<u32>,
    /// Link kind, if not `rvnet` (`type veth` creates a veth pair the same
    /// way, for side-by-side tests).
    pub kind: Option<String>,
}

/// The peer's attributes (a `struct ifinfomsg` is put in front by
/// [`LinkMessage`]).
fn peer_attrs(req: &LinkAdd, netns_fd: Option<RawFd>) -> Vec<LinkAttribute> {
    let mut a = Vec::new();
    if let Some(p) = &req.peer {
        a.push(LinkAttribute::IfName(p.clone()));
    }
    if let Some(fd) = netns_fd {
        a.push(LinkAttribute::NetNsFd(fd));
    }
    if let Some(n) = req.txqueues {
        a.push(LinkAttribute::NumTxQueues(n));
    }
    if let Some(n) = req.rxqueues {
        a.push(LinkAttribute::NumRxQueues(n));
    }
    a
}

/// Builds the `RTM_NEWLINK` message. `netns_fd` is the open namespace file
/// of `req.netns`.
pub fn newlink_message(req: &LinkAdd, netns_fd: Option<RawFd>) -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(req.name.clone()));
    if let Some(n) = req.txqueues {
        msg.attributes.push(LinkAttribute::NumTxQueues(n));
    }
    if let Some(n) = req.rxqueues {
        msg.attributes.push(LinkAttribute::NumRxQueues(n));
    }
    let mut info = vec![LinkInfo::Kind(InfoKind::Other(
        req.kind.clone().unwrap_or_else(|| KIND.to_string()),
    ))];
    let pattrs = peer_attrs(req, netns_fd);
    if !pattrs.is_empty() {
        let mut peer = LinkMessage::default();
        peer.attributes = pattrs;
        let peer_attr = Attr::new(INFO_PEER, to_bytes(&peer));
        info.push(LinkInfo::Data(InfoData::Other(to_bytes(&peer_attr))));
    }
    msg.attributes.push(LinkAttribute::LinkInfo(info));
    msg
}

/// The flags of a create request: fail if the name exists.
pub const NEWLINK_FLAGS: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

/// Opens `/run/netns/NAME` (or a path, if NAME contains a `/`).
pub fn open_netns(name: &str) -> Result<File, NlError> {
    let path = if name.contains('/') {
        name.to_string()
    } else {
        format!("/run/netns/{name}")
    };
    File::open(&path).map_err(|e| {
        let mut err = NlError::from_io(&e);
        err.ext.msg = Some(format!("cannot open network namespace {path}"));
        err.origin = Origin::Argument;
        err
    })
}

/// Creates the pair.
pub fn add(req: &LinkAdd) -> Result<(), NlError> {
    let ns = req.netns.as_deref().map(open_netns).transpose()?;
    let msg = newlink_message(req, ns.as_ref().map(|f| f.as_raw_fd()));
    let mut sock = NlSocket::open(netlink_sys::protocols::NETLINK_ROUTE)?;
    let seq = sock.next_seq();
    sock.request_flags(RouteNetlinkMessage::NewLink(msg), NEWLINK_FLAGS, seq)?;
    Ok(())
}

/// Builds the `RTM_DELLINK` message (by name).
pub fn dellink_message(name: &str) -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_string()));
    msg
}

/// Deletes a device (and so its peer).
pub fn del(name: &str) -> Result<(), NlError> {
    let mut sock = NlSocket::open(netlink_sys::protocols::NETLINK_ROUTE)?;
    sock.request(RouteNetlinkMessage::DelLink(dellink_message(name)), false)?;
    Ok(())
}

/// The link kind of a device (`IFLA_INFO_KIND`, e.g. "vrf"), `None` for a
/// device without one (loopback, physical devices).
pub fn kind(name: &str) -> Result<Option<String>, NlError> {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_string()));
    let mut sock = NlSocket::open(netlink_sys::protocols::NETLINK_ROUTE)?;
    let got = sock.request(RouteNetlinkMessage::GetLink(msg), false)?;
    Ok(got.iter().find_map(|m| match m {
        RouteNetlinkMessage::NewLink(l) => l.attributes.iter().find_map(|a| match a {
            LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
                LinkInfo::Kind(k) => Some(k.to_string()),
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nl::encode;

    fn le16(v: u16) -> [u8; 2] {
        v.to_le_bytes()
    }

    #[test]
    fn link_add_with_peer_netns_queues_is_veth_layout() {
        let req = LinkAdd {
            name: "rv1".into(),
            peer: Some("rv2".into()),
            netns: Some("ns2".into()),
            txqueues: Some(4),
            rxqueues: Some(4),
            kind: None,
        };
        let msg = RouteNetlinkMessage::NewLink(newlink_message(&req, Some(7)));
        let got = encode(msg, NEWLINK_FLAGS, 42);

        let ifinfomsg = [0u8; 16];
        let mut e: Vec<u8> = Vec::new();
        // nlmsghdr: len 128, RTM_NEWLINK (16), REQUEST|ACK|EXCL|CREATE, seq 42.
        e.extend([128, 0, 0, 0]);
        e.extend(le16(16));
        e.extend(le16(0x0605));
        e.extend([42, 0, 0, 0, 0, 0, 0, 0]);
        e.extend(ifinfomsg);
        e.extend([8, 0, 3, 0, b'r', b'v', b'1', 0]); // IFLA_IFNAME
        e.extend([8, 0, 31, 0, 4, 0, 0, 0]); // IFLA_NUM_TX_QUEUES
        e.extend([8, 0, 32, 0, 4, 0, 0, 0]); // IFLA_NUM_RX_QUEUES
        e.extend([72, 0, 18, 0]); // IFLA_LINKINFO
        e.extend([10, 0, 1, 0, b'r', b'v', b'n', b'e', b't', 0, 0, 0]); // IFLA_INFO_KIND
        e.extend([56, 0, 2, 0]); // IFLA_INFO_DATA
        e.extend([52, 0, 1, 0]); // VETH_INFO_PEER
        e.extend(ifinfomsg); // the peer's ifinfomsg
        e.extend([8, 0, 3, 0, b'r', b'v', b'2', 0]); // peer IFLA_IFNAME
        e.extend([8, 0, 28, 0, 7, 0, 0, 0]); // peer IFLA_NET_NS_FD
        e.extend([8, 0, 31, 0, 4, 0, 0, 0]); // peer IFLA_NUM_TX_QUEUES
        e.extend([8, 0, 32, 0, 4, 0, 0, 0]); // peer IFLA_NUM_RX_QUEUES
        assert_eq!(e.len(), 128);
        assert_eq!(got, e);
    }

    #[test]
    fn link_add_plain_has_kind_only() {
        let req = LinkAdd {
            name: "rv0".into(),
            ..LinkAdd::default()
        };
        let got = encode(
            RouteNetlinkMessage::NewLink(newlink_message(&req, None)),
            NEWLINK_FLAGS,
            1,
        );
        // hdr 16 + ifinfomsg 16 + IFNAME 8 + LINKINFO (4 + KIND 12).
        assert_eq!(got.len(), 56);
        assert_eq!(
            &got[40..],
            &[16, 0, 18, 0, 10, 0, 1, 0, b'r', b'v', b'n', b'e', b't', 0, 0, 0]
        );
    }

    #[test]
    fn link_del_by_name() {
        let got = encode(
            RouteNetlinkMessage::DelLink(dellink_message("rv1")),
            netlink_packet_core::NLM_F_REQUEST | netlink_packet_core::NLM_F_ACK,
            3,
        );
        assert_eq!(&got[4..6], &le16(17)); // RTM_DELLINK
        assert_eq!(&got[32..], &[8, 0, 3, 0, b'r', b'v', b'1', 0]);
    }
}
