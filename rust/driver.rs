// SPDX-License-Identifier: GPL-2.0

//! The rvnet device: a veth-class Ethernet pair, in safe Rust.
//!
//! - [`pair`]: link type, device setup, creation of both ends, open/stop and
//!   carrier;
//! - [`tx`]: `ndo_start_xmit`, which moves a packet into the peer's rx ring;
//! - [`rx`]: the NAPI poll that hands packets to GRO and the stack;
//! - [`decisions`]: the `rvnet` generic netlink family (route, neighbour and
//!   path questions; per-device observation settings).

#![forbid(unsafe_code)]

mod decisions;
mod ethtool;
mod observe;
mod pair;
mod queues;
mod rx;
mod tx;
mod xdp;

pub(crate) use decisions::Decisions;
pub(crate) use pair::Rvnet;

/// Driver version reported in the load message (and later by ethtool).
pub(crate) const VERSION: &str = "0.1.0";
