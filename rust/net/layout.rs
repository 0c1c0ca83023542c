// SPDX-License-Identifier: GPL-2.0

//! Proof that the generated bindings match the kernel the module is built for.
//!
//! The same source gives different struct layouts per `.config` (`net_device`
//! grows by hundreds of bytes under the debug options). Bindings generated for
//! one config and used with another compile and load without complaint and
//! then corrupt memory. Two checks guard against that:
//!
//! - at build time, the Rust sizes equal the sizes clang computed while
//!   generating the bindings (`enum rvnet_c_sizes` in the shim header);
//! - at load time, they equal the sizes compiled into the C shim object by
//!   Kbuild with the kernel's own flags.

use super::bindings as b;
use core::mem::size_of;
use kernel::prelude::*;

macro_rules! build_check {
    ($ty:ty, $c:ident) => {
        const _: () = assert!(size_of::<$ty>() == b::$c as usize);
    };
}

build_check!(b::net_device, rvnet_c_sizes_RVNET_C_SIZEOF_NET_DEVICE);
build_check!(b::sk_buff, rvnet_c_sizes_RVNET_C_SIZEOF_SK_BUFF);
build_check!(b::napi_struct, rvnet_c_sizes_RVNET_C_SIZEOF_NAPI_STRUCT);
build_check!(b::ptr_ring, rvnet_c_sizes_RVNET_C_SIZEOF_PTR_RING);
build_check!(b::netdev_queue, rvnet_c_sizes_RVNET_C_SIZEOF_NETDEV_QUEUE);
build_check!(b::rtnl_link_ops, rvnet_c_sizes_RVNET_C_SIZEOF_RTNL_LINK_OPS);

/// Offset of the private area from the `net_device` (`netdev_priv()`:
/// `ALIGN(sizeof(struct net_device), NETDEV_ALIGN)`), so that the datapath
/// finds its data without a call into the shim. Checked against clang's
/// value here and against the compiled shim's at load.
pub(crate) const NETDEV_PRIV_OFFSET: usize = b::rvnet_c_sizes_RVNET_C_NETDEV_PRIV_OFFSET as usize;
const _: () = assert!(
    NETDEV_PRIV_OFFSET == (size_of::<b::net_device>() + 31) & !31
        && NETDEV_PRIV_OFFSET >= size_of::<b::net_device>()
);

/// Compares the Rust view of the core structs with the compiled C shim's.
pub(crate) fn check() -> Result {
    // SAFETY: the size functions only return `sizeof` constants.
    let c = unsafe {
        [
            (
                "net_device",
                b::rvnet_sizeof_net_device(),
                size_of::<b::net_device>(),
            ),
            (
                "sk_buff",
                b::rvnet_sizeof_sk_buff(),
                size_of::<b::sk_buff>(),
            ),
            (
                "napi_struct",
                b::rvnet_sizeof_napi_struct(),
                size_of::<b::napi_struct>(),
            ),
            (
                "ptr_ring",
                b::rvnet_sizeof_ptr_ring(),
                size_of::<b::ptr_ring>(),
            ),
            (
                "netdev_priv offset of",
                b::rvnet_netdev_priv_offset(),
                NETDEV_PRIV_OFFSET,
            ),
        ]
    };
    let mut ok = true;
    for (name, c_size, rust_size) in c {
        if c_size != rust_size {
            pr_err!("layout mismatch: struct {name} is {c_size} bytes in C, {rust_size} in Rust\n");
            ok = false;
        }
    }
    if !ok {
        return Err(EINVAL);
    }
    pr_info!(
        "layout ok: net_device {} B, sk_buff {} B (C == Rust)\n",
        size_of::<b::net_device>(),
        size_of::<b::sk_buff>()
    );
    Ok(())
}
