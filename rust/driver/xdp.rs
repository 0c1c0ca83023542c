// SPDX-License-Identifier: GPL-2.0

//! XDP: attaching a program (`ndo_bpf`) with veth's checks, and the
//! features an attached program changes on the peer.
//!
//! As veth: a program on this end needs the peer's MTU to fit one page with
//! XDP headroom (or the program to handle fragments), at least as many
//! active rx queues here as the peer has tx queues (each peer tx queue then
//! feeds its own ring), and turns off GSO on the peer (`hw_features` and
//! `ndo_fix_features`), so the program sees wire-sized frames; detaching
//! gives GSO and the full MTU range back. GRO stays as the user set it.

use super::pair::Rvnet;
use crate::net::device::{Device, Features};
use crate::net::ethtool::ExtError;
use crate::net::rtnl::Rtnl;
use crate::net::xdp::XdpProg;
use kernel::prelude::*;

/// `ETH_MAX_MTU`: the peer's max MTU without a program here.
const ETH_MAX_MTU: u32 = 65535;

/// Largest peer MTU with `prog` attached here (veth's `max_mtu`): a frame
/// and XDP's headroom in one page with the skb_shared_info, plus the
/// fragments if the program handles them.
fn max_peer_mtu(peer: &Device<Rvnet>, prog: &XdpProg) -> u32 {
    let page = crate::net::xdp::PAGE_SIZE;
    let headroom = crate::net::xdp::XDP_HEADROOM;
    let mut max =
        crate::net::xdp::skb_with_overhead(page - headroom).saturating_sub(peer.hard_header_len());
    if prog.has_frags() {
        max = max.saturating_add(page.saturating_mul(crate::net::xdp::MAX_SKB_FRAGS));
    }
    max
}

pub(super) fn setup(
    dev: &Device<Rvnet>,
    prog: Option<XdpProg>,
    rtnl: &Rtnl,
) -> core::result::Result<(), ExtError> {
    let peer = dev.peer_rtnl(rtnl);
    let had = dev.data().xdp.is_attached();
    if let Some(p) = prog.as_ref() {
        let Some(peer) = peer else {
            return Err(ExtError {
                err: crate::net::xdp::enotconn(),
                msg: c"rvnet: Cannot set XDP when peer is detached",
            });
        };
        let max = max_peer_mtu(peer, p);
        if peer.mtu() > max {
            return Err(ExtError {
                err: ERANGE,
                msg: c"rvnet: Peer MTU is too large to set XDP",
            });
        }
        if dev.real_num_rx_queues() < peer.real_num_tx_queues() {
            return Err(ExtError {
                err: ENOSPC,
                msg: c"rvnet: XDP expects number of rx queues not less than peer tx queues",
            });
        }
        if !had {
            peer.set_hw_features(Features::GSO_SOFTWARE, false, rtnl);
        }
        peer.set_max_mtu(max, rtnl);
    }
    let has = prog.is_some();
    // The old program (put on drop) may still run in a poll that loaded it
    // before the swap: it is freed only after an RCU grace period.
    drop(dev.data().xdp.replace(prog, rtnl));
    if had && !has {
        if let Some(peer) = peer {
            peer.set_hw_features(Features::GSO_SOFTWARE, true, rtnl);
            peer.set_max_mtu(ETH_MAX_MTU, rtnl);
        }
    }
    if had != has {
        if let Some(peer) = peer {
            peer.update_features(rtnl);
        }
    }
    Ok(())
}

/// veth's `ndo_fix_features`: no GSO towards a peer that runs XDP.
pub(super) fn fix_features(dev: &Device<Rvnet>, wanted: Features, rtnl: &Rtnl) -> Features {
    match dev.peer_rtnl(rtnl) {
        Some(peer) if peer.data().xdp.is_attached() => wanted.without(Features::GSO_SOFTWARE),
        _ => wanted,
    }
}

/// `ethtool -L` with XDP: veth's refusals (`rx < peer tx` here with a
/// program here, `tx > peer rx` with a program on the peer).
pub(super) fn check_channels(dev: &Device<Rvnet>, rx: u32, tx: u32, rtnl: &Rtnl) -> Result {
    if let Some(peer) = dev.peer_rtnl(rtnl) {
        if dev.data().xdp.is_attached() && rx < peer.real_num_tx_queues() {
            return Err(EINVAL);
        }
        if peer.data().xdp.is_attached() && tx > peer.real_num_rx_queues() {
            return Err(EINVAL);
        }
    }
    Ok(())
}
