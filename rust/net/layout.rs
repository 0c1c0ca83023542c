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
//!   Kbuild with the kernel's own flags, and so do the offsets of every
//!   field the Rust side touches in place (bindgen and clang ran with the
//!   same flags at build time, so only the compiled object is an
//!   independent witness).

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

/// One field the Rust side touches: its name, its id in the shim's table,
/// and the offset bindgen gave it.
struct Field {
    name: &'static str,
    id: u32,
    rust: usize,
}

macro_rules! field {
    ($id:ident, $ty:ident, $f:ident) => {
        kernel::macros::paste! {
            Field {
                name: concat!(stringify!($ty), ".", stringify!($f)),
                id: b::[<rvnet_c_field_ids_RVNET_F_ $id>],
                rust: core::mem::offset_of!(b::$ty, $f),
            }
        }
    };
}

/// Every field the abstraction layer reads or writes in place (not through
/// a shim call), and the stride of `dev->_tx`: the offsets the compiled
/// shim sees (Kbuild's flags for this `.config`) must equal bindgen's.
/// A mismatch fails `insmod` instead of corrupting memory.
fn check_fields() -> bool {
    let fields = [
        field!(NET_DEVICE_FLAGS, net_device, flags),
        field!(NET_DEVICE_STATE, net_device, state),
        field!(NET_DEVICE_IFINDEX, net_device, ifindex),
        field!(NET_DEVICE_TX, net_device, _tx),
        field!(NET_DEVICE_NUM_TX_QUEUES, net_device, num_tx_queues),
        field!(
            NET_DEVICE_REAL_NUM_TX_QUEUES,
            net_device,
            real_num_tx_queues
        ),
        field!(NET_DEVICE_NUM_RX_QUEUES, net_device, num_rx_queues),
        field!(
            NET_DEVICE_REAL_NUM_RX_QUEUES,
            net_device,
            real_num_rx_queues
        ),
        field!(NET_DEVICE_FEATURES, net_device, features),
        field!(NET_DEVICE_HW_FEATURES, net_device, hw_features),
        field!(NET_DEVICE_WANTED_FEATURES, net_device, wanted_features),
        field!(NET_DEVICE_MTU, net_device, mtu),
        field!(NET_DEVICE_MIN_MTU, net_device, min_mtu),
        field!(NET_DEVICE_MAX_MTU, net_device, max_mtu),
        field!(NET_DEVICE_NAME, net_device, name),
        field!(NET_DEVICE_NETDEV_OPS, net_device, netdev_ops),
        field!(NET_DEVICE_ETHTOOL_OPS, net_device, ethtool_ops),
        field!(NET_DEVICE_STAT_OPS, net_device, stat_ops),
        field!(NET_DEVICE_RTNL_LINK_OPS, net_device, rtnl_link_ops),
        field!(NET_DEVICE_PRIV_DESTRUCTOR, net_device, priv_destructor),
        field!(NETDEV_QUEUE_STATE, netdev_queue, state),
        field!(NETDEV_QUEUE_DQL, netdev_queue, dql),
        field!(NETDEV_QUEUE_QDISC, netdev_queue, qdisc),
        field!(QDISC_ENQUEUE, Qdisc, enqueue),
        field!(DQL_NUM_QUEUED, dql, num_queued),
        field!(DQL_NUM_COMPLETED, dql, num_completed),
        field!(SK_BUFF_LEN, sk_buff, len),
        field!(SK_BUFF_QUEUE_MAPPING, sk_buff, queue_mapping),
        field!(SK_BUFF_CB, sk_buff, cb),
        field!(PTR_RING_PRODUCER, ptr_ring, producer),
        field!(PTR_RING_CONSUMER_HEAD, ptr_ring, consumer_head),
        field!(PTR_RING_CONSUMER_TAIL, ptr_ring, consumer_tail),
        field!(PTR_RING_SIZE, ptr_ring, size),
        field!(PTR_RING_BATCH, ptr_ring, batch),
        field!(PTR_RING_QUEUE, ptr_ring, queue),
        field!(RTABLE_RT_TYPE, rtable, rt_type),
        field!(RTABLE_RT_GW_FAMILY, rtable, rt_gw_family),
        field!(RT6_INFO_RT6I_FLAGS, rt6_info, rt6i_flags),
        field!(RT6_INFO_RT6I_GATEWAY, rt6_info, rt6i_gateway),
        field!(FIB6_INFO_FIB6_TYPE, fib6_info, fib6_type),
        field!(NEIGHBOUR_NUD_STATE, neighbour, nud_state),
    ];
    let mut ok = true;
    for f in fields {
        // SAFETY: returns a constant from a table (SIZE_MAX for an unknown id).
        let c = unsafe { b::rvnet_offsetof_field(f.id) };
        if c != f.rust {
            pr_err!(
                "layout mismatch: {} at offset {} in C, {} in Rust\n",
                f.name,
                c,
                f.rust
            );
            ok = false;
        }
    }
    // SAFETY: returns a sizeof constant.
    let stride = unsafe { b::rvnet_sizeof_netdev_queue() };
    if stride != size_of::<b::netdev_queue>() {
        pr_err!(
            "layout mismatch: struct netdev_queue (the dev->_tx stride) is {stride} bytes in C, {} in Rust\n",
            size_of::<b::netdev_queue>()
        );
        ok = false;
    }
    ok
}

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
    ok &= check_fields();
    if !ok {
        return Err(EINVAL);
    }
    pr_info!(
        "layout ok: net_device {} B, sk_buff {} B, {} field offsets (C == Rust)\n",
        size_of::<b::net_device>(),
        size_of::<b::sk_buff>(),
        b::rvnet_c_field_ids_RVNET_F_COUNT
    );
    Ok(())
}
