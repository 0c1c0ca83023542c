// SPDX-License-Identifier: GPL-2.0

//! rvnet's abstraction layer over the kernel's networking C API.
//!
//! The 6.12 `kernel` crate has no net device, NAPI, sk_buff or rtnetlink
//! abstractions, so this layer provides small ones. It is the only place in
//! the module that contains `unsafe`; the driver gets references and owned
//! handles whose types carry the C contracts (rtnl held, RCU read side, NAPI
//! poll context, sk_buff ownership).

pub(crate) mod bindings;
pub(crate) mod device;
pub(crate) mod ethtool;
pub(crate) mod genl;
pub(crate) mod layout;
pub(crate) mod napi;
pub(crate) mod observe;
pub(crate) mod rcu;
pub(crate) mod route;
pub(crate) mod rtnl;
pub(crate) mod skb;
pub(crate) mod stats;
pub(crate) mod sync;
pub(crate) mod txq;
pub(crate) mod xdp;
