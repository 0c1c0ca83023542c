// SPDX-License-Identifier: GPL-2.0

//! XDP: attaching a program (`ndo_bpf`) with veth's checks, the features
//! an attached program changes on the peer, the XDP features each end
//! reports, and `ndo_xdp_xmit` (frames redirected to an end go into its
//! peer's rx ring, as veth).
//!
//! As veth: a program on this end needs the peer's MTU to fit one page with
//! XDP headroom (or the program to handle fragments), at least as many
//! active rx queues here as the peer has tx queues (each peer tx queue then
//! feeds its own ring), and turns off GSO on the peer (`hw_features` and
//! `ndo_fix_features`), so the program sees wire-sized frames; detaching
//! gives GSO and the full MTU range back. GRO stays as the user set it.
//!
//! Each rx queue's native XDP state (its `xdp_rxq_info` and the page_pool
//! sk_buffs are copied into) exists only while a program is attached to
//! a running end, as veth's (`veth_enable_xdp`, and its page_pools made
//! at NAPI enable): made on attach (or open) before the program is
//! published, taken down after it is unpublished on detach (or close),
//! a grace period after the last poll that could use it. Unlike veth, for
//! every allocated rx queue, not the active ones only: every ring of an
//! up end is polled (see `ethtool::set_channels`), so `ethtool -L` needs
//! nothing here.

use super::pair::Rvnet;
use crate::net::device::{Device, Features};
use crate::net::ethtool::ExtError;
use crate::net::rcu;
use crate::net::rtnl::Rtnl;
use crate::net::xdp::{FrameBatch, XdpProg};
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
        if dev.is_running() {
            if let Err(err) = enable_queues(dev, rtnl) {
                if !had {
                    disable_queues(dev, rtnl);
                }
                return Err(ExtError {
                    err,
                    msg: c"rvnet: Cannot allocate the XDP rx queue state",
                });
            }
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
        // After the program is unpublished; waits out the polls that saw it.
        disable_queues(dev, rtnl);
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

/// Makes the native XDP state of every rx queue of `dev` (see the module
/// docs): on attach to a running end, or on open with a program attached.
/// On an error the queues done so far keep theirs (the caller decides).
pub(super) fn enable_queues(dev: &Device<Rvnet>, rtnl: &Rtnl) -> Result {
    for q in dev.data().rxq.iter() {
        q.xdp_enable(rtnl)?;
    }
    Ok(())
}

/// Takes the native XDP state of every rx queue of `dev` down (detach,
/// close); nothing to do for queues without.
pub(super) fn disable_queues(dev: &Device<Rvnet>, rtnl: &Rtnl) {
    for q in dev.data().rxq.iter() {
        q.xdp_disable(rtnl);
    }
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

/// Sets the XDP features of both ends (`xdp_features`, what `ip link`
/// and the redirect core check): as veth, an end runs programs natively
/// and takes redirected frames (`ndo_xdp_xmit`) when it has a peer and at
/// least as many active rx queues as the peer has tx queues. Unlike veth's,
/// rvnet's rings and NAPI exist whether or not a program or GRO is on, so
/// `NDO_XMIT` does not depend on them.
pub(super) fn update_features(dev: &Device<Rvnet>, rtnl: &Rtnl) {
    let peer = dev.peer_rtnl(rtnl);
    set_features(dev, peer, rtnl);
    if let Some(p) = peer {
        set_features(p, Some(dev), rtnl);
    }
}

fn set_features(dev: &Device<Rvnet>, peer: Option<&Device<Rvnet>>, rtnl: &Rtnl) {
    let native = peer.is_some_and(|p| p.real_num_tx_queues() <= dev.real_num_rx_queues());
    crate::net::xdp::set_features(dev, native, rtnl);
}

/// `ndo_xdp_xmit` (veth's `veth_xdp_xmit`): frames redirected to `dev`
/// go, without an sk_buff, into the peer's rx ring of this CPU (modulo
/// its active rx queues), as long as there is room and each fits the
/// peer's MTU; the peer's poll runs its program on them or builds
/// sk_buffs. `flush` kicks the peer's NAPI. Counted on the tx queue of
/// the ring's index: `xdp_xmit` and `xdp_xmit_errors`.
pub(super) fn xmit(dev: &Device<Rvnet>, frames: &mut FrameBatch<'_>, flush: bool) -> Result {
    let guard = rcu::Guard::new();
    let txs = &dev.data().txs;
    let n = frames.len() as u64;
    let Some(peer) = dev.peer(&guard).filter(|p| p.is_running()) else {
        if let Some(st) = txs.first() {
            st.xdp_xmit_errors.add(n);
        }
        return Err(ENXIO);
    };
    let active = peer.real_num_rx_queues().max(1);
    let qi = u16::try_from(crate::net::xdp::this_cpu() % active).unwrap_or(0);
    let st = txs.get(usize::from(qi)).or_else(|| txs.first());
    let Some(ring) = peer.data().rx_queue(qi, active) else {
        if let Some(st) = st {
            st.xdp_xmit_errors.add(n);
        }
        return Err(ENXIO);
    };
    let max = peer
        .mtu()
        .saturating_add(peer.hard_header_len())
        .saturating_add(crate::net::xdp::VLAN_HLEN);
    let sent = ring.produce_frames(frames, max);
    if flush {
        ring.kick();
    }
    if let Some(st) = st {
        st.xdp_xmit.add(u64::from(sent));
        st.xdp_xmit_errors.add(n.saturating_sub(u64::from(sent)));
    }
    Ok(())
}
