// SPDX-License-Identifier: GPL-2.0

//! rvnet: a virtual Ethernet device pair that makes the kernel's packet-path
//! decisions visible.
//!
//! The crate is two layers. [`net`] is the abstraction layer: the only code
//! that says `unsafe` or names the generated bindings. [`driver`] is the
//! device itself, in safe Rust (`#![forbid(unsafe_code)]`).

mod driver;
mod net;

use kernel::prelude::*;

module! {
    type: RvnetModule,
    name: "rvnet",
    author: "rvnet developers",
    description: "Virtual Ethernet pair with visible packet-path decisions",
    license: "GPL",
}

struct RvnetModule {
    // Dropped first: no genl handler runs once the link type (and with it
    // every rvnet device) goes away.
    _genl: net::genl::Registration,
    _link: Pin<KBox<net::rtnl::Registration<driver::Rvnet>>>,
}

impl kernel::Module for RvnetModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        net::layout::check()?;
        let link = net::rtnl::Registration::new()?;
        let genl = net::genl::Registration::new()?;
        pr_info!("rvnet {} loaded\n", driver::VERSION);
        Ok(Self {
            _genl: genl,
            _link: link,
        })
    }
}
