// SPDX-License-Identifier: GPL-2.0

//! Generic netlink (`include/net/genetlink.h`, `include/net/netlink.h`):
//! the `rvnet` family.
//!
//! The policy and op tables are not written here: `qemu/module` generates
//! them from `Documentation/netlink/specs/rvnet.yaml` with the kernel's own
//! `tools/net/ynl/ynl-gen-c.py --mode kernel` into `rvnet_nl_gen.c`, a C
//! object of the composite module, exactly as in-tree families do, so the
//! spec and the kernel side cannot disagree. The generated ops call
//! fixed-name handlers `rvnet_nl_<op>_doit` / `_dumpit`; they are the
//! `extern "C"` trampolines at the end of this file, which dispatch to the
//! driver's safe [`Handlers`] implementation.
//!
//! # Context
//!
//! Handlers run in process context, without rtnl, with `parallel_ops` (no
//! genl mutex): they may sleep, and must take RCU or references for any
//! device they look at. Before a doit runs, the core has parsed and
//! strictly validated the request against the op's policy (unknown and
//! unexpected attributes, wrong types and out-of-range values are rejected
//! with an extack message), and checked `GENL_ADMIN_PERM`.
//!
//! # Errors
//!
//! Every error returned to userspace carries an extack message: handlers set
//! a specific one with [`Request::error`] / [`Request::missing`]; the
//! trampoline adds a generic one if a handler returned an error without one.

use super::bindings as b;
use super::device::Net;
use core::ffi::{c_int, CStr};
use core::marker::PhantomData;
use core::ptr;
use kernel::error::from_result;
use kernel::prelude::*;

/// An errno from the bindings as an [`Error`] (for codes the kernel crate
/// does not name).
pub(crate) fn errno(code: u32) -> Error {
    Error::from_errno(-(code as i32))
}

/// `EMSGSIZE`: the message buffer is full.
pub(crate) fn emsgsize() -> Error {
    errno(b::EMSGSIZE)
}

/// `EOPNOTSUPP`: an operation (here: an IP protocol) that is not
/// supported.
pub(crate) fn eopnotsupp() -> Error {
    errno(b::EOPNOTSUPP)
}

/// Attribute numbers of the family, from the uAPI header generated from the
/// spec.
pub(crate) mod attr {
    #![allow(missing_docs)]
    /// `route` attribute set.
    pub(crate) mod route {
        pub(crate) const DST: u32 = crate::net::bindings::RVNET_A_ROUTE_DST;
        pub(crate) const SRC: u32 = crate::net::bindings::RVNET_A_ROUTE_SRC;
        pub(crate) const IIF: u32 = crate::net::bindings::RVNET_A_ROUTE_IIF;
        pub(crate) const OIF: u32 = crate::net::bindings::RVNET_A_ROUTE_OIF;
        pub(crate) const MARK: u32 = crate::net::bindings::RVNET_A_ROUTE_MARK;
        pub(crate) const UID: u32 = crate::net::bindings::RVNET_A_ROUTE_UID;
        pub(crate) const TOS: u32 = crate::net::bindings::RVNET_A_ROUTE_TOS;
        pub(crate) const TABLE: u32 = crate::net::bindings::RVNET_A_ROUTE_TABLE;
        pub(crate) const FAMILY: u32 = crate::net::bindings::RVNET_A_ROUTE_FAMILY;
        pub(crate) const TYPE: u32 = crate::net::bindings::RVNET_A_ROUTE_TYPE;
        pub(crate) const SCOPE: u32 = crate::net::bindings::RVNET_A_ROUTE_SCOPE;
        pub(crate) const PREFIX: u32 = crate::net::bindings::RVNET_A_ROUTE_PREFIX;
        pub(crate) const PREFIX_LENGTH: u32 = crate::net::bindings::RVNET_A_ROUTE_PREFIX_LENGTH;
        pub(crate) const GATEWAY: u32 = crate::net::bindings::RVNET_A_ROUTE_GATEWAY;
        pub(crate) const OIF_NAME: u32 = crate::net::bindings::RVNET_A_ROUTE_OIF_NAME;
        pub(crate) const PREFSRC: u32 = crate::net::bindings::RVNET_A_ROUTE_PREFSRC;
        pub(crate) const PRIORITY: u32 = crate::net::bindings::RVNET_A_ROUTE_PRIORITY;
        pub(crate) const MTU: u32 = crate::net::bindings::RVNET_A_ROUTE_MTU;
        pub(crate) const ERROR: u32 = crate::net::bindings::RVNET_A_ROUTE_ERROR;
        pub(crate) const IPPROTO: u32 = crate::net::bindings::RVNET_A_ROUTE_IPPROTO;
        pub(crate) const SPORT: u32 = crate::net::bindings::RVNET_A_ROUTE_SPORT;
        pub(crate) const DPORT: u32 = crate::net::bindings::RVNET_A_ROUTE_DPORT;
        pub(crate) const FIBMATCH: u32 = crate::net::bindings::RVNET_A_ROUTE_FIBMATCH;
        pub(crate) const NEXTHOP: u32 = crate::net::bindings::RVNET_A_ROUTE_NEXTHOP;
    }
    /// `nexthop` attribute set.
    pub(crate) mod nexthop {
        pub(crate) const GATEWAY: u32 = crate::net::bindings::RVNET_A_NEXTHOP_GATEWAY;
        pub(crate) const OIF: u32 = crate::net::bindings::RVNET_A_NEXTHOP_OIF;
        pub(crate) const OIF_NAME: u32 = crate::net::bindings::RVNET_A_NEXTHOP_OIF_NAME;
        pub(crate) const WEIGHT: u32 = crate::net::bindings::RVNET_A_NEXTHOP_WEIGHT;
    }
    /// `neigh` attribute set.
    pub(crate) mod neigh {
        pub(crate) const ADDR: u32 = crate::net::bindings::RVNET_A_NEIGH_ADDR;
        pub(crate) const IFINDEX: u32 = crate::net::bindings::RVNET_A_NEIGH_IFINDEX;
        pub(crate) const RESOLVE: u32 = crate::net::bindings::RVNET_A_NEIGH_RESOLVE;
        pub(crate) const STATE: u32 = crate::net::bindings::RVNET_A_NEIGH_STATE;
        pub(crate) const STATE_NAME: u32 = crate::net::bindings::RVNET_A_NEIGH_STATE_NAME;
        pub(crate) const LLADDR: u32 = crate::net::bindings::RVNET_A_NEIGH_LLADDR;
        pub(crate) const FLAGS: u32 = crate::net::bindings::RVNET_A_NEIGH_FLAGS;
        pub(crate) const CONFIRMED_MS: u32 = crate::net::bindings::RVNET_A_NEIGH_CONFIRMED_MS;
        pub(crate) const USED_MS: u32 = crate::net::bindings::RVNET_A_NEIGH_USED_MS;
        pub(crate) const UPDATED_MS: u32 = crate::net::bindings::RVNET_A_NEIGH_UPDATED_MS;
        pub(crate) const PROBES: u32 = crate::net::bindings::RVNET_A_NEIGH_PROBES;
    }
    /// `path` attribute set.
    pub(crate) mod path {
        pub(crate) const DST: u32 = crate::net::bindings::RVNET_A_PATH_DST;
        pub(crate) const SRC: u32 = crate::net::bindings::RVNET_A_PATH_SRC;
        pub(crate) const MARK: u32 = crate::net::bindings::RVNET_A_PATH_MARK;
        pub(crate) const ROUTE: u32 = crate::net::bindings::RVNET_A_PATH_ROUTE;
        pub(crate) const NEIGH: u32 = crate::net::bindings::RVNET_A_PATH_NEIGH;
        pub(crate) const IFINDEX: u32 = crate::net::bindings::RVNET_A_PATH_IFINDEX;
        pub(crate) const TX_QUEUE: u32 = crate::net::bindings::RVNET_A_PATH_TX_QUEUE;
        pub(crate) const QDISC_KIND: u32 = crate::net::bindings::RVNET_A_PATH_QDISC_KIND;
    }
    /// `dev` attribute set.
    pub(crate) mod dev {
        pub(crate) const IFINDEX: u32 = crate::net::bindings::RVNET_A_DEV_IFINDEX;
        pub(crate) const IFNAME: u32 = crate::net::bindings::RVNET_A_DEV_IFNAME;
        pub(crate) const SAMPLE: u32 = crate::net::bindings::RVNET_A_DEV_SAMPLE;
        pub(crate) const RING_SIZE: u32 = crate::net::bindings::RVNET_A_DEV_RING_SIZE;
        pub(crate) const EVENTS_SENT: u32 = crate::net::bindings::RVNET_A_DEV_EVENTS_SENT;
        pub(crate) const EVENTS_DROPPED: u32 = crate::net::bindings::RVNET_A_DEV_EVENTS_DROPPED;
    }
    /// `decision` attribute set.
    pub(crate) mod decision {
        use crate::net::bindings as b;
        pub(crate) const IFINDEX: u32 = b::RVNET_A_DECISION_IFINDEX;
        pub(crate) const SEQ: u32 = b::RVNET_A_DECISION_SEQ;
        pub(crate) const TIME_NS: u32 = b::RVNET_A_DECISION_TIME_NS;
        pub(crate) const DIRECTION: u32 = b::RVNET_A_DECISION_DIRECTION;
        pub(crate) const LEN: u32 = b::RVNET_A_DECISION_LEN;
        pub(crate) const QUEUE: u32 = b::RVNET_A_DECISION_QUEUE;
        pub(crate) const ETH_PROTO: u32 = b::RVNET_A_DECISION_ETH_PROTO;
        pub(crate) const ETH_SRC: u32 = b::RVNET_A_DECISION_ETH_SRC;
        pub(crate) const ETH_DST: u32 = b::RVNET_A_DECISION_ETH_DST;
        pub(crate) const L4_PROTO: u32 = b::RVNET_A_DECISION_L4_PROTO;
        pub(crate) const SRC: u32 = b::RVNET_A_DECISION_SRC;
        pub(crate) const DST: u32 = b::RVNET_A_DECISION_DST;
        pub(crate) const SPORT: u32 = b::RVNET_A_DECISION_SPORT;
        pub(crate) const DPORT: u32 = b::RVNET_A_DECISION_DPORT;
        pub(crate) const ICMP_TYPE: u32 = b::RVNET_A_DECISION_ICMP_TYPE;
        pub(crate) const ARP_OP: u32 = b::RVNET_A_DECISION_ARP_OP;
        pub(crate) const TCP_FLAGS: u32 = b::RVNET_A_DECISION_TCP_FLAGS;
        pub(crate) const ROUTE_TYPE: u32 = b::RVNET_A_DECISION_ROUTE_TYPE;
        pub(crate) const GATEWAY: u32 = b::RVNET_A_DECISION_GATEWAY;
        pub(crate) const ROUTE_OIF: u32 = b::RVNET_A_DECISION_ROUTE_OIF;
        pub(crate) const TABLE: u32 = b::RVNET_A_DECISION_TABLE;
        pub(crate) const PREFIX: u32 = b::RVNET_A_DECISION_PREFIX;
        pub(crate) const PREFIX_LENGTH: u32 = b::RVNET_A_DECISION_PREFIX_LENGTH;
        pub(crate) const NEXTHOP: u32 = b::RVNET_A_DECISION_NEXTHOP;
        pub(crate) const NEIGH_STATE: u32 = b::RVNET_A_DECISION_NEIGH_STATE;
        pub(crate) const QDISC_KIND: u32 = b::RVNET_A_DECISION_QDISC_KIND;
        pub(crate) const BQL_INFLIGHT: u32 = b::RVNET_A_DECISION_BQL_INFLIGHT;
        pub(crate) const INPUT_TYPE: u32 = b::RVNET_A_DECISION_INPUT_TYPE;
        pub(crate) const INPUT_ERROR: u32 = b::RVNET_A_DECISION_INPUT_ERROR;
        pub(crate) const XDP_ACTION: u32 = b::RVNET_A_DECISION_XDP_ACTION;
    }
}

/// The driver's implementation of the family's operations.
pub(crate) trait Handlers {
    /// `route-get` (do).
    fn route_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result;
    /// `neigh-get` (do).
    fn neigh_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result;
    /// `path-get` (do).
    fn path_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result;
    /// `dev-get` (do).
    fn dev_get(req: &Request<'_>, reply: &mut Writer<'_>) -> Result;
    /// `dev-get` (dump).
    fn dev_dump(dump: &mut Dump<'_>) -> Result;
    /// `dev-set` (do, `GENL_ADMIN_PERM`).
    fn dev_set(req: &Request<'_>, reply: &mut Writer<'_>) -> Result;
    /// `decision-dump` (dump, `GENL_ADMIN_PERM`).
    fn decision_dump(dump: &mut Dump<'_>) -> Result;
}

/// The implementation the generated ops dispatch to.
type Impl = crate::driver::Decisions;

/// The registered `rvnet` family; unregistered on drop.
///
/// # Invariants
///
/// `rvnet_nl_family` was registered by `new` and not yet unregistered.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the generated family (`genl_register_family`).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: module init, before the family is registered: nothing
        // else reads the static yet, and its `__ro_after_init` section is
        // made read-only only after the module's init function returns.
        unsafe { (*ptr::addr_of_mut!(b::rvnet_nl_family)).bind = Some(family_bind) };
        // SAFETY: the family is a static of the generated C object; the
        // core owns it from here until `genl_unregister_family` in `drop`.
        super::device::check(unsafe {
            b::genl_register_family(ptr::addr_of_mut!(b::rvnet_nl_family))
        })?;
        FAMILY_LIVE.store(true, core::sync::atomic::Ordering::Release);
        // INVARIANT: registered just now.
        Ok(Self(()))
    }
}

/// Whether the family is registered, for event senders: devices (and their
/// pending [`EventBatch`]es) outlive the family at module unload, and a
/// multicast on an unregistered family would use group ids it no longer
/// owns. Read under RCU; cleared a grace period before unregistering.
static FAMILY_LIVE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Multicast group joins of the family so far (any namespace, any group).
/// Netlink keeps its listener bitmap per protocol, not per namespace, so
/// an [`EventBatch`] learns that its namespace has no listener from a
/// multicast that found none (`-ESRCH`); a join invalidates what it learnt.
static BINDS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// The family's `bind` callback: the core calls it when a socket joins one
/// of our groups, after the permission check and before the socket's group
/// bit is set (`genl_bind()` under `cb_lock`, process context).
extern "C" fn family_bind(_group: c_int) -> c_int {
    BINDS.fetch_add(1, core::sync::atomic::Ordering::AcqRel);
    0
}

impl Drop for Registration {
    fn drop(&mut self) {
        FAMILY_LIVE.store(false, core::sync::atomic::Ordering::Release);
        // SAFETY: process context (module exit). After it, every sender
        // that saw the family live has finished its multicast.
        unsafe { b::synchronize_net() };
        // SAFETY: registered by `new` (type invariant); waits for running
        // handlers of the family.
        unsafe { b::genl_unregister_family(ptr::addr_of_mut!(b::rvnet_nl_family)) };
    }
}

/// A parsed, policy-validated request of one doit call.
///
/// # Invariants
///
/// `skb` and `info` are the request of a running doit of our family; `info`
/// has an attribute table of `maxattr + 1` entries. Both outlive `'a`.
pub(crate) struct Request<'a> {
    skb: *mut b::sk_buff,
    info: *mut b::genl_info,
    maxattr: u32,
    _p: PhantomData<&'a ()>,
}

impl<'a> Request<'a> {
    /// # Safety
    ///
    /// `skb` and `info` must be the arguments of a doit of our family that
    /// runs for at least `'a`.
    unsafe fn from_raw(skb: *mut b::sk_buff, info: *mut b::genl_info) -> Self {
        // SAFETY: per the caller info, its header and family are valid.
        let maxattr = unsafe { op_maxattr(info) };
        // INVARIANT: the core allocated attrs[] with op maxattr + 1 entries.
        Self {
            skb,
            info,
            maxattr,
            _p: PhantomData,
        }
    }

    fn raw_attr(&self, ty: u32) -> Option<*const b::nlattr> {
        if ty > self.maxattr {
            return None;
        }
        // SAFETY: by the invariant attrs[] has maxattr + 1 entries (or is
        // NULL for an op without policy); `ty <= maxattr`.
        let a = unsafe {
            let attrs = (*self.info).attrs;
            if attrs.is_null() {
                return None;
            }
            *attrs.add(ty as usize)
        };
        (!a.is_null()).then_some(a.cast_const())
    }

    /// Payload of attribute `ty`, if present.
    pub(crate) fn bytes(&self, ty: u32) -> Option<&'a [u8]> {
        let a = self.raw_attr(ty)?;
        // SAFETY: `a` is a validated attribute of the request, which
        // outlives 'a; nla_len() bytes of payload follow the header.
        unsafe {
            let len = usize::try_from(b::rvnet_nla_len(a)).ok()?;
            Some(core::slice::from_raw_parts(
                b::rvnet_nla_data(a).cast::<u8>(),
                len,
            ))
        }
    }

    /// Attribute `ty` as `u32` (the policy guarantees the exact length).
    pub(crate) fn u32(&self, ty: u32) -> Option<u32> {
        let p = self.bytes(ty)?;
        Some(u32::from_ne_bytes(p.get(..4)?.try_into().ok()?))
    }

    /// Attribute `ty` as `u16` (the policy guarantees the exact length).
    pub(crate) fn u16(&self, ty: u32) -> Option<u16> {
        let p = self.bytes(ty)?;
        Some(u16::from_ne_bytes(p.get(..2)?.try_into().ok()?))
    }

    /// Attribute `ty` as `u8`.
    pub(crate) fn u8(&self, ty: u32) -> Option<u8> {
        self.bytes(ty)?.first().copied()
    }

    /// Whether attribute (or flag) `ty` is present.
    pub(crate) fn has(&self, ty: u32) -> bool {
        self.raw_attr(ty).is_some()
    }

    /// The namespace the request was sent in.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: the request's namespace is pinned by the socket for the
        // duration of the call.
        unsafe { Net::from_raw(b::rvnet_genl_info_net(self.info)) }
    }

    /// Whether the sender has CAP_NET_ADMIN over the request's namespace
    /// (in the user namespace that owns it: container root has it).
    pub(crate) fn net_admin(&self) -> bool {
        // SAFETY: `skb` is the request skb (invariant).
        unsafe { b::netlink_net_capable(self.skb, b::CAP_NET_ADMIN as c_int) }
    }

    fn extack(&self) -> *mut b::netlink_ext_ack {
        // SAFETY: `info` is valid (invariant).
        unsafe { (*self.info).extack }
    }

    /// Sets the extack message, pointing at attribute `ty` if present
    /// (`NL_SET_ERR_MSG_ATTR`), and returns `err` for `?`-chaining.
    pub(crate) fn error(&self, ty: Option<u32>, msg: &'static CStr, err: Error) -> Error {
        let ext = self.extack();
        if !ext.is_null() {
            let bad = ty.and_then(|t| self.raw_attr(t)).unwrap_or(ptr::null());
            // SAFETY: a non-NULL extack is valid for the request; the message
            // is 'static and `bad` NULL or an attribute of the request, as
            // the core requires.
            unsafe {
                (*ext)._msg = msg.as_ptr().cast();
                (*ext).bad_attr = bad;
            }
        }
        err
    }

    /// Reports a missing required attribute `ty` (`NL_SET_ERR_ATTR_MISS`
    /// plus a message) and returns `EINVAL`.
    pub(crate) fn missing(&self, ty: u32, msg: &'static CStr) -> Error {
        let ext = self.extack();
        if !ext.is_null() {
            // SAFETY: as in `error`; top-level attribute, so no nest.
            unsafe {
                (*ext)._msg = msg.as_ptr().cast();
                (*ext).miss_type = u16::try_from(ty).unwrap_or(0);
                (*ext).miss_nest = ptr::null();
            }
        }
        EINVAL
    }
}

/// `maxattr` of the running doit op, looked up in the family's split ops
/// (the generated table), so attribute accesses stay inside `attrs[]`.
///
/// # Safety
///
/// `info` must be the info of a running doit of a registered family.
unsafe fn op_maxattr(info: *const b::genl_info) -> u32 {
    // SAFETY: per the caller, family, header and ops table are valid.
    unsafe {
        let fam = (*info).family;
        let cmd = (*(*info).genlhdr).cmd;
        let n = usize::from((*fam).n_split_ops);
        let ops = core::slice::from_raw_parts((*fam).split_ops, n);
        ops.iter()
            .find(|o| o.cmd == cmd && u32::from(o.flags) & b::GENL_CMD_CAP_DO != 0)
            .map_or(0, |o| o.maxattr)
    }
}

/// Writes attributes into a message being built (a doit reply or one dump
/// entry).
///
/// # Invariants
///
/// `skb` is a netlink message being built by us with an open genl header.
pub(crate) struct Writer<'a> {
    skb: *mut b::sk_buff,
    _p: PhantomData<&'a mut ()>,
}

fn put_result(ret: c_int) -> Result {
    if ret < 0 {
        Err(emsgsize())
    } else {
        Ok(())
    }
}

impl Writer<'_> {
    /// `nla_put_u8`.
    pub(crate) fn u8(&mut self, ty: u32, v: u8) -> Result {
        // SAFETY: `skb` is a message under construction (invariant).
        put_result(unsafe { b::rvnet_nla_put_u8(self.skb, ty as c_int, v) })
    }

    /// `nla_put_u16`.
    pub(crate) fn u16(&mut self, ty: u32, v: u16) -> Result {
        // SAFETY: as above.
        put_result(unsafe { b::rvnet_nla_put_u16(self.skb, ty as c_int, v) })
    }

    /// `nla_put_u32`.
    pub(crate) fn u32(&mut self, ty: u32, v: u32) -> Result {
        // SAFETY: as above.
        put_result(unsafe { b::rvnet_nla_put_u32(self.skb, ty as c_int, v) })
    }

    /// `nla_put_uint` (32 or 64 bits, as needed).
    pub(crate) fn uint(&mut self, ty: u32, v: u64) -> Result {
        // SAFETY: as above.
        put_result(unsafe { b::rvnet_nla_put_uint(self.skb, ty as c_int, v) })
    }

    /// `nla_put` of raw bytes.
    pub(crate) fn bytes(&mut self, ty: u32, v: &[u8]) -> Result {
        let len = c_int::try_from(v.len()).map_err(|_| emsgsize())?;
        // SAFETY: as above; `v` is valid for `len` bytes and copied.
        put_result(unsafe { b::nla_put(self.skb, ty as c_int, len, v.as_ptr().cast()) })
    }

    /// A NUL-terminated string attribute from a byte string without the NUL
    /// (e.g. a device name).
    pub(crate) fn string(&mut self, ty: u32, v: &[u8]) -> Result {
        // nla_put takes the NUL from the source: copy into a terminated
        // buffer.
        let v = until_nul(v);
        let mut buf = [0u8; 64];
        buf.get_mut(..v.len())
            .ok_or_else(emsgsize)?
            .copy_from_slice(v);
        self.bytes(ty, buf.get(..v.len() + 1).ok_or_else(emsgsize)?)
    }

    /// Attributes written by `f` straight into the message's tailroom,
    /// appended with one `skb_put` when `f`
    /// succeeds (nothing is appended when it fails). For messages of many
    /// small attributes (decision records): one reservation instead of an
    /// `nla_put` call, its `skb_put` and its padding `memset` each.
    pub(crate) fn attrs(&mut self, f: impl FnOnce(&mut AttrBuf<'_>) -> Result) -> Result {
        let mut room: core::ffi::c_uint = 0;
        // SAFETY: `skb` is a message under construction (invariant): a
        // linear skb; the helper reads its tail pointer and tailroom.
        let tail = unsafe { b::rvnet_skb_tail_room(self.skb, &mut room) };
        let tail = tail.cast::<core::mem::MaybeUninit<u8>>();
        // The `room` bytes after the tail are the linear buffer's, maybe
        // uninitialised, and only we touch them (`&mut self`) until the
        // `skb_put` below; the slice does not outlive this call.
        // SAFETY: `tail` is valid for writes of `room` bytes (above).
        let buf = unsafe { core::slice::from_raw_parts_mut(tail, room as usize) };
        let mut a = AttrBuf { buf, used: 0 };
        f(&mut a)?;
        let used = core::ffi::c_uint::try_from(a.used).map_err(|_| emsgsize())?;
        // SAFETY: the first `used` (<= tailroom) bytes after the tail were
        // written by `AttrBuf`, complete attributes with their padding.
        unsafe { b::rvnet_skb_put_written(self.skb, used) };
        Ok(())
    }

    /// A nested attribute `ty` whose content `f` writes; cancelled if `f`
    /// fails.
    pub(crate) fn nest(&mut self, ty: u32, f: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: as above.
        let start = unsafe { b::rvnet_nla_nest_start(self.skb, ty as c_int) };
        if start.is_null() {
            return Err(emsgsize());
        }
        match f(self) {
            Ok(()) => {
                // SAFETY: `start` was opened on this skb just above.
                unsafe { b::rvnet_nla_nest_end(self.skb, start) };
                Ok(())
            }
            Err(e) => {
                // SAFETY: as above.
                unsafe { b::rvnet_nla_nest_cancel(self.skb, start) };
                Err(e)
            }
        }
    }
}

/// Netlink attributes encoded in place (see [`Writer::attrs`]): each is
/// its `nlattr` header, its data and zero padding to 4 bytes, exactly as
/// `nla_put` writes them. Safe code over a bounded buffer: an attribute
/// that does not fit fails with `EMSGSIZE` and writes nothing.
pub(crate) struct AttrBuf<'b> {
    buf: &'b mut [core::mem::MaybeUninit<u8>],
    used: usize,
}

impl AttrBuf<'_> {
    /// Header (`nla_len`, `nla_type`), `data`, padding.
    #[inline(always)]
    pub(crate) fn bytes(&mut self, ty: u32, data: &[u8]) -> Result {
        self.put(ty, data, 0)
    }

    /// Header, `data` and `zeros` zero bytes counted in the attribute's
    /// length (a string's NUL), then padding.
    #[inline(always)]
    fn put(&mut self, ty: u32, data: &[u8], zeros: usize) -> Result {
        // NLA_HDRLEN is 4; attributes are 4-byte aligned (NLA_ALIGNTO).
        let data_end = data.len().checked_add(4).ok_or_else(emsgsize)?;
        let len = data_end.checked_add(zeros).ok_or_else(emsgsize)?;
        let (l, t) = (
            u16::try_from(len).map_err(|_| emsgsize())?.to_ne_bytes(),
            u16::try_from(ty).map_err(|_| emsgsize())?.to_ne_bytes(),
        );
        let hdr = [l[0], l[1], t[0], t[1]];
        let padded = len.checked_add(3).ok_or_else(emsgsize)? & !3;
        let end = self.used.checked_add(padded).ok_or_else(emsgsize)?;
        let dst = self.buf.get_mut(self.used..end).ok_or_else(emsgsize)?;
        let p = dst.as_mut_ptr().cast::<u8>();
        // `dst` is `padded` >= `data_end` bytes of our buffer (checked
        // above); `data` is borrowed from outside, so it cannot overlap it.
        // SAFETY: every write below stays within `dst`, and nothing overlaps.
        unsafe {
            ptr::copy_nonoverlapping(hdr.as_ptr(), p, 4);
            ptr::copy_nonoverlapping(data.as_ptr(), p.add(4), data.len());
            ptr::write_bytes(p.add(data_end), 0, padded - data_end);
        }
        self.used = end;
        Ok(())
    }

    #[inline(always)]
    pub(crate) fn u8(&mut self, ty: u32, v: u8) -> Result {
        self.bytes(ty, &[v])
    }

    #[inline(always)]
    pub(crate) fn u16(&mut self, ty: u32, v: u16) -> Result {
        self.bytes(ty, &v.to_ne_bytes())
    }

    #[inline(always)]
    pub(crate) fn u32(&mut self, ty: u32, v: u32) -> Result {
        self.bytes(ty, &v.to_ne_bytes())
    }

    /// As `nla_put_uint`: 32 bits when the value fits, else 64.
    #[inline(always)]
    pub(crate) fn uint(&mut self, ty: u32, v: u64) -> Result {
        match u32::try_from(v) {
            Ok(v) => self.u32(ty, v),
            Err(_) => self.bytes(ty, &v.to_ne_bytes()),
        }
    }

    /// A NUL-terminated string attribute from a byte string up to its
    /// first NUL, if any (as [`Writer::string`]); the NUL is written as
    /// part of the zero padding, without a copy of the string.
    pub(crate) fn string(&mut self, ty: u32, v: &[u8]) -> Result {
        self.put(ty, until_nul(v), 1)
    }
}

/// `v` up to its first NUL byte (all of it if there is none).
fn until_nul(v: &[u8]) -> &[u8] {
    let n = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    v.get(..n).unwrap_or(v)
}

/// The reply message of a doit: allocated, headed, and either sent or
/// freed.
///
/// # Invariants
///
/// `skb` is an unsent genl message we own, with the header `hdr` open.
struct Reply {
    skb: *mut b::sk_buff,
    hdr: *mut core::ffi::c_void,
}

impl Reply {
    fn new(req: &Request<'_>) -> Result<Self> {
        // SAFETY: process context; GFP_KERNEL allowed.
        let skb = unsafe {
            b::rvnet_genlmsg_new(
                b::rvnet_c_consts_RVNET_C_GENLMSG_DEFAULT_SIZE as usize,
                kernel::bindings::GFP_KERNEL,
            )
        };
        if skb.is_null() {
            return Err(req.error(None, c"rvnet: out of memory for the reply", ENOMEM));
        }
        // SAFETY: fresh message; `info` is the running request.
        let hdr = unsafe { b::rvnet_genlmsg_iput(skb, req.info) };
        if hdr.is_null() {
            // SAFETY: we own the unsent message.
            unsafe { b::rvnet_nlmsg_free(skb) };
            return Err(req.error(None, c"rvnet: reply header does not fit", emsgsize()));
        }
        // INVARIANT: owned message with an open header.
        Ok(Self { skb, hdr })
    }

    fn writer(&mut self) -> Writer<'_> {
        // INVARIANT: our message under construction.
        Writer {
            skb: self.skb,
            _p: PhantomData,
        }
    }

    fn send(self, req: &Request<'_>) -> Result {
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: our message with an open header; genlmsg_reply consumes
        // the skb whatever it returns.
        super::device::check(unsafe {
            b::rvnet_genlmsg_end(me.skb, me.hdr);
            b::rvnet_genlmsg_reply(me.skb, req.info)
        })
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        // SAFETY: owned and unsent (invariant; `send` skips this).
        unsafe { b::rvnet_nlmsg_free(self.skb) };
    }
}

/// One dump call: a message buffer to fill with entries and a cursor that
/// survives between calls.
///
/// # Invariants
///
/// `skb` and `cb` are the arguments of a running dumpit of our family.
pub(crate) struct Dump<'a> {
    skb: *mut b::sk_buff,
    cb: *mut b::netlink_callback,
    _p: PhantomData<&'a ()>,
}

impl<'a> Dump<'a> {
    /// The namespace the dump was requested in.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: cb->skb is the request skb, whose socket pins the
        // namespace for the dump (invariant).
        unsafe { Net::from_raw(b::rvnet_sock_net_skb((*self.cb).skb)) }
    }

    /// Whether the dumping socket has CAP_NET_ADMIN over the namespace it
    /// dumps (the user namespace that owns it: container root has it).
    pub(crate) fn net_admin(&self) -> bool {
        // SAFETY: cb->skb is the request skb (invariant).
        unsafe { b::netlink_net_capable((*self.cb).skb, b::CAP_NET_ADMIN as c_int) }
    }

    /// Cursor kept in `cb->ctx` between calls of the same dump (0 at start).
    pub(crate) fn cursor(&mut self) -> &mut u64 {
        // SAFETY: cb->ctx is 48 bytes, long-aligned and zeroed at dump start;
        // only this dump uses it.
        unsafe { &mut *ptr::addr_of_mut!((*self.cb).__bindgen_anon_1.ctx).cast::<u64>() }
    }

    /// A u32 attribute of the dump request (validated by the op's policy).
    pub(crate) fn u32(&self, ty: u32) -> Option<u32> {
        let mut len = 0;
        // SAFETY: running dump (invariant): the core parsed the request's
        // attributes against the op's policy before the first call.
        let p = unsafe { b::rvnet_genl_dump_attr(self.cb, ty as c_int, &mut len) };
        if p.is_null() || len != 4 {
            return None;
        }
        // SAFETY: 4 bytes of attribute payload; may be unaligned.
        Some(unsafe { ptr::read_unaligned(p.cast::<u32>()) })
    }

    /// Sets the dump's extack message and returns `err`, for a dump that
    /// cannot start (bad request).
    pub(crate) fn error(&self, msg: &'static CStr, err: Error) -> Error {
        // SAFETY: running dump (invariant); cb->extack is NULL or valid for
        // the dump's first call; the message is 'static.
        unsafe {
            let ext = (*self.cb).extack;
            if !ext.is_null() {
                (*ext)._msg = msg.as_ptr().cast();
            }
        }
        err
    }

    /// Appends one entry that `f` fills. `Err(emsgsize())` means the buffer is
    /// full: stop, and continue from the same cursor in the next call.
    pub(crate) fn entry(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result) -> Result {
        // SAFETY: running dump (invariant): the dump info and skb are valid.
        let hdr = unsafe { b::rvnet_genlmsg_iput(self.skb, b::rvnet_genl_info_dump(self.cb)) };
        if hdr.is_null() {
            return Err(emsgsize());
        }
        // SAFETY: a message with an open header `hdr` in the dump skb.
        unsafe { fill_message(self.skb, hdr, f) }
    }
}

/// Fills the message whose header `hdr` is open in `skb` with `f`, then
/// closes it (`genlmsg_end`), or on error trims `skb` back to before it
/// (`genlmsg_cancel`), leaving the messages before it complete.
///
/// # Safety
///
/// `hdr` is the open header of the last message in `skb`, an skb we may
/// write.
unsafe fn fill_message(
    skb: *mut b::sk_buff,
    hdr: *mut core::ffi::c_void,
    f: impl FnOnce(&mut Writer<'_>) -> Result,
) -> Result {
    // INVARIANT: a message under construction in `skb`.
    let mut w = Writer {
        skb,
        _p: PhantomData,
    };
    let r = f(&mut w);
    // SAFETY: `hdr` is open in `skb` (the caller's guarantee).
    unsafe {
        if r.is_ok() {
            b::rvnet_genlmsg_end(skb, hdr);
        } else {
            b::rvnet_genlmsg_cancel(skb, hdr);
        }
    }
    r
}

/// Runs one doit: request view, reply allocation, handler, send.
///
/// # Safety
///
/// `skb` and `info` are the arguments of a doit of our family.
unsafe fn doit(
    skb: *mut b::sk_buff,
    info: *mut b::genl_info,
    f: fn(&Request<'_>, &mut Writer<'_>) -> Result,
) -> c_int {
    // SAFETY: per the caller.
    let req = unsafe { Request::from_raw(skb, info) };
    let ret = (|| {
        let mut reply = Reply::new(&req)?;
        f(&req, &mut reply.writer())?;
        reply.send(&req)
    })();
    if ret.is_err() {
        let ext = req.extack();
        // SAFETY: a non-NULL extack is valid for the request.
        if !ext.is_null() && unsafe { (*ext)._msg.is_null() } {
            // SAFETY: as above; 'static message.
            unsafe { (*ext)._msg = c"rvnet: request failed".as_ptr().cast() };
        }
    }
    from_result(|| ret.map(|()| 0))
}

/// Runs one dumpit call of a handler: 0 when done; `-EMSGSIZE` with
/// entries in the skb makes the core send them and call again.
///
/// # Safety
///
/// `skb` and `cb` are the arguments of a running dumpit of our family.
unsafe fn dumpit(
    skb: *mut b::sk_buff,
    cb: *mut b::netlink_callback,
    f: fn(&mut Dump<'_>) -> Result,
) -> c_int {
    // INVARIANT: the arguments of a running dumpit (per the caller).
    let mut d = Dump {
        skb,
        cb,
        _p: PhantomData,
    };
    from_result(|| f(&mut d).map(|()| 0))
}

// The handlers the generated ops table (`rvnet_nl_gen.c`) calls. Their
// prototypes are in the generated `rvnet_nl_gen.h`.

/// `route-get` doit.
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_route_get_doit(
    skb: *mut b::sk_buff,
    info: *mut b::genl_info,
) -> c_int {
    // SAFETY: called by the core with a valid request.
    unsafe { doit(skb, info, <Impl as Handlers>::route_get) }
}

/// `neigh-get` doit.
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_neigh_get_doit(
    skb: *mut b::sk_buff,
    info: *mut b::genl_info,
) -> c_int {
    // SAFETY: called by the core with a valid request.
    unsafe { doit(skb, info, <Impl as Handlers>::neigh_get) }
}

/// `path-get` doit.
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_path_get_doit(
    skb: *mut b::sk_buff,
    info: *mut b::genl_info,
) -> c_int {
    // SAFETY: called by the core with a valid request.
    unsafe { doit(skb, info, <Impl as Handlers>::path_get) }
}

/// `dev-get` doit.
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_dev_get_doit(skb: *mut b::sk_buff, info: *mut b::genl_info) -> c_int {
    // SAFETY: called by the core with a valid request.
    unsafe { doit(skb, info, <Impl as Handlers>::dev_get) }
}

/// `dev-set` doit (the core checked CAP_NET_ADMIN: `GENL_ADMIN_PERM`).
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_dev_set_doit(skb: *mut b::sk_buff, info: *mut b::genl_info) -> c_int {
    // SAFETY: called by the core with a valid request.
    unsafe { doit(skb, info, <Impl as Handlers>::dev_set) }
}

/// `dev-get` dumpit: returns 0 when done; `-EMSGSIZE` with entries in the
/// skb makes the core send them and call again.
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_dev_get_dumpit(
    skb: *mut b::sk_buff,
    cb: *mut b::netlink_callback,
) -> c_int {
    // SAFETY: called by the core with the arguments of a running dumpit.
    unsafe { dumpit(skb, cb, <Impl as Handlers>::dev_dump) }
}

/// `decision-dump` dumpit (the core checked CAP_NET_ADMIN).
///
/// # Safety
///
/// Called by the genetlink core for our family.
#[no_mangle]
unsafe extern "C" fn rvnet_nl_decision_dump_dumpit(
    skb: *mut b::sk_buff,
    cb: *mut b::netlink_callback,
) -> c_int {
    // SAFETY: called by the core with the arguments of a running dumpit.
    unsafe { dumpit(skb, cb, <Impl as Handlers>::decision_dump) }
}

/// Why an event was not delivered.
pub(crate) enum EventError {
    /// Nobody in the namespace listens: nothing was built.
    NoListeners,
    /// Out of memory, or a listener's receive buffer was full.
    Dropped,
}

/// Datagram room of one [`EventBatch`]: about a page, as `NLMSG_GOODSIZE`.
const BATCH_SIZE: usize = 3584;

/// Netlink and genl headers of one message, with room for alignment.
const MSG_OVERHEAD: usize = 32;

/// Size of an attribute with `len` bytes of payload, padding included
/// (`nla_total_size()`).
pub(crate) const fn nla_total_size(len: usize) -> usize {
    (4 + len + 3) & !3
}

/// How long an event may wait in a batch: one jiffy (1-10 ms).
const BATCH_DELAY_JIFFIES: kernel::ffi::c_ulong = 1;

/// The batch being filled.
///
/// # Invariants
///
/// Either `skb` is null (and `count` 0), or `skb` is an unsent netlink
/// datagram we own holding `count` complete `decision-ntf` messages, and
/// `net` is a namespace we hold a reference on (from `maybe_get_net`).
struct Pending {
    skb: *mut b::sk_buff,
    net: *mut b::net,
    count: u64,
    /// The last multicast found no listener in this namespace.
    quiet: Option<Quiet>,
}

/// What a multicast that no one took (`-ESRCH`) says: nobody in `net`
/// listens, or every listener there is full, as long as no socket joined a
/// group since (`binds` unchanged). Events meanwhile are counted as
/// dropped without being built. A socket's bind callback runs just before
/// its group bit is set, so a multicast racing a join can see the new
/// `binds` and still no listener, and a full listener may read meanwhile:
/// the verdict is therefore trusted only in the jiffy it was learnt in. A
/// listener can miss at most the rest of that jiffy's events (counted).
#[derive(Clone, Copy)]
struct Quiet {
    /// The namespace's identity, compared as `net_eq()` does; never
    /// dereferenced.
    net: *const b::net,
    binds: u32,
    jiffies: kernel::ffi::c_ulong,
}

impl Quiet {
    fn holds(&self, net: *const b::net) -> bool {
        ptr::eq(self.net, net)
            && self.binds == BINDS.load(core::sync::atomic::Ordering::Acquire)
            // SAFETY: jiffies is readable in any context.
            && self.jiffies == unsafe { b::rvnet_jiffies() }
    }
}

// SAFETY: the datagram and the namespace reference are owned by `Pending`
// alone (invariant) and may be sent or released from any CPU.
unsafe impl Send for Pending {}

impl Pending {
    /// Moves the batch out, leaving an empty one.
    fn take(&mut self) -> Option<Pending> {
        if self.skb.is_null() {
            return None;
        }
        // INVARIANT: the returned batch owns what `self` owned; `self` is
        // left empty.
        Some(core::mem::replace(
            self,
            Pending {
                skb: ptr::null_mut(),
                net: ptr::null_mut(),
                count: 0,
                quiet: self.quiet,
            },
        ))
    }
}

/// Decision events of one device, sent in batches: several complete
/// `decision-ntf` messages in one netlink datagram (as a dump packs its
/// replies), multicast to the `decisions` group when the datagram is full
/// or one jiffy after its first event, whichever comes first. The
/// allocation, multicast and listener wake-up are paid once per datagram
/// instead of once per event; listeners read each message as before.
///
/// # Invariants
///
/// `timer` was set up with [`EventBatch::flush_timer`] as its function and
/// is shut down before the batch is dropped.
#[pin_data(PinnedDrop)]
pub(crate) struct EventBatch {
    #[pin]
    pending: super::sync::BhLock<Pending>,
    #[pin]
    timer: kernel::types::Opaque<b::timer_list>,
    sent: core::sync::atomic::AtomicU64,
    dropped: core::sync::atomic::AtomicU64,
    /// Room one more message needs: the largest payload plus headers.
    room: u32,
}

// SAFETY: the timer is only touched through the timer API (which
// serialises itself) and the pending batch only under its lock; the
// counters are atomics. Any CPU may add, flush or drop.
unsafe impl Send for EventBatch {}
// SAFETY: as above: shared access goes through the lock, the timer API and
// atomics only.
unsafe impl Sync for EventBatch {}

impl EventBatch {
    /// An empty batch with its flush timer set up (not armed), for events
    /// whose attributes take at most `max_payload` bytes: the datagram is
    /// sent when it has less room left than that.
    pub(crate) fn new(max_payload: usize) -> impl PinInit<Self> {
        let room = u32::try_from(max_payload + MSG_OVERHEAD)
            .unwrap_or(u32::MAX)
            .min(BATCH_SIZE as u32);
        pin_init!(Self {
            pending <- super::sync::BhLock::new(Pending {
                skb: ptr::null_mut(),
                net: ptr::null_mut(),
                count: 0,
                quiet: None,
            }),
            // SAFETY: `timer_setup` initialises the timer in place; the slot
            // is pinned, so it never moves while the timer may run.
            timer <- kernel::types::Opaque::ffi_init(|t: *mut b::timer_list| unsafe {
                b::rvnet_timer_setup(t, Some(Self::flush_timer))
            }),
            sent: core::sync::atomic::AtomicU64::new(0),
            dropped: core::sync::atomic::AtomicU64::new(0),
            room,
        })
    }

    /// Events multicast to listeners.
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Events lost: no memory, or no listener took their datagram.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(core::sync::atomic::Ordering::Relaxed)
    }

    fn count_dropped(&self, n: u64) {
        self.dropped
            .fetch_add(n, core::sync::atomic::Ordering::Relaxed);
    }

    /// Adds one `decision-ntf` for listeners in `net`, its attributes
    /// written by `fill`. Any context but hard IRQ; never sleeps. Without
    /// listeners in any namespace nothing is built (`NoListeners`); while
    /// the last datagram for `net` found no taker (see [`Quiet`]) nothing
    /// is built either, and the event is counted as dropped, as it would
    /// have been.
    pub(crate) fn add(
        self: Pin<&Self>,
        net: &Net,
        fill: impl FnOnce(&mut Writer<'_>) -> Result,
    ) -> core::result::Result<(), EventError> {
        let fam = ptr::addr_of!(b::rvnet_nl_family);
        // SAFETY: the family is registered while the module is loaded; the
        // check reads the namespace's netlink listener bitmap under RCU.
        if !unsafe { b::rvnet_genl_has_listeners(fam, net.as_raw(), b::RVNET_NLGRP_DECISIONS) } {
            return Err(EventError::NoListeners);
        }
        let mut out = None;
        let mut full = None;
        let mut arm = false;
        let res = {
            let mut p = self.as_ref().pending().lock();
            if p.quiet.is_some_and(|q| q.holds(net.as_raw())) {
                drop(p);
                self.count_dropped(1);
                return Err(EventError::Dropped);
            }
            // A batch never stays full (sent when it fills, below); one for
            // the namespace the device was in before goes out first.
            // SAFETY: `p.net` is referenced while a batch is held (invariant).
            if !p.skb.is_null() && !unsafe { b::rvnet_net_eq(p.net, net.as_raw()) } {
                out = p.take();
            }
            let ready = if p.skb.is_null() {
                // SAFETY: `net` is live (the caller's reference); a dying
                // namespace (count 0) gives NULL and the event is dropped.
                let n = unsafe { b::rvnet_maybe_get_net(net.as_raw()) };
                let skb = if n.is_null() {
                    ptr::null_mut()
                } else {
                    // SAFETY: atomic allocation, any context.
                    unsafe { b::rvnet_genlmsg_new(BATCH_SIZE, kernel::bindings::GFP_ATOMIC) }
                };
                if skb.is_null() {
                    if !n.is_null() {
                        // SAFETY: the reference taken just above.
                        unsafe { b::rvnet_put_net(n) };
                    }
                    Err(EventError::Dropped)
                } else {
                    // INVARIANT: an empty datagram we own, a referenced net.
                    p.skb = skb;
                    p.net = n;
                    arm = true;
                    Ok(())
                }
            } else {
                Ok(())
            };
            ready.and_then(|()| {
                let cmd = b::RVNET_CMD_DECISION_NTF as u8;
                // SAFETY: our datagram with room for at least one message.
                let hdr = unsafe { b::rvnet_genlmsg_put_ntf(p.skb, fam, cmd) };
                if hdr.is_null() {
                    return Err(EventError::Dropped);
                }
                // SAFETY: `hdr` was just opened in our datagram.
                if unsafe { fill_message(p.skb, hdr, fill) }.is_err() {
                    return Err(EventError::Dropped);
                }
                // INVARIANT: one more complete message.
                p.count += 1;
                // SAFETY: our datagram (invariant).
                if unsafe { b::rvnet_skb_tailroom(p.skb) } < self.room {
                    // Full: sent now rather than by the timer.
                    full = p.take();
                }
                Ok(())
            })
        };
        if arm {
            // SAFETY: set up (invariant); re-arming a pending timer is fine.
            unsafe { b::rvnet_mod_timer_in(self.timer.get(), BATCH_DELAY_JIFFIES) };
        }
        if res.is_err() {
            self.count_dropped(1);
        }
        // In the order their events were added.
        for batch in [out, full].into_iter().flatten() {
            self.send(batch);
        }
        res
    }

    /// Sends what the batch holds now. Any context but hard IRQ.
    pub(crate) fn flush(self: Pin<&Self>) {
        let batch = self.as_ref().pending().lock().take();
        if let Some(batch) = batch {
            self.send(batch);
        }
    }

    fn pending(self: Pin<&Self>) -> Pin<&super::sync::BhLock<Pending>> {
        // SAFETY: structural pinning of the `#[pin]` field.
        unsafe { self.map_unchecked(|s| &s.pending) }
    }

    fn send(self: Pin<&Self>, batch: Pending) {
        let fam = ptr::addr_of!(b::rvnet_nl_family);
        // Read before the multicast: a join after this makes its verdict
        // stale (see `Quiet`).
        let binds = BINDS.load(core::sync::atomic::Ordering::Acquire);
        let guard = super::rcu::Guard::new();
        let ret = if FAMILY_LIVE.load(core::sync::atomic::Ordering::Acquire) {
            // The family stays registered until `guard` drops (see
            // FAMILY_LIVE); the multicast consumes the datagram whatever it
            // returns (GFP_ATOMIC inside).
            // SAFETY: a complete datagram we own (invariant of `Pending`).
            unsafe {
                b::rvnet_genlmsg_multicast_netns(
                    fam,
                    batch.net,
                    batch.skb,
                    b::RVNET_NLGRP_DECISIONS,
                )
            }
        } else {
            // SAFETY: our unsent datagram (module unload: no family).
            unsafe { b::rvnet_nlmsg_free(batch.skb) };
            -1
        };
        drop(guard);
        // SAFETY: the reference `Pending` held (invariant).
        unsafe { b::rvnet_put_net(batch.net) };
        if ret == 0 {
            self.sent
                .fetch_add(batch.count, core::sync::atomic::Ordering::Relaxed);
        } else {
            // -ESRCH: no listener took it, either none is in this namespace
            // (the bitmap showed listeners elsewhere) or every one here had
            // a full receive buffer, which netlink does not tell apart
            // (-ENOBUFS only for NETLINK_BROADCAST_ERROR listeners). Lost
            // either way, and for now no more are built for this
            // namespace. Else no memory, or the module is going away.
            self.count_dropped(batch.count);
            if ret == -(b::ESRCH as c_int) {
                // SAFETY: jiffies is readable in any context.
                let now = unsafe { b::rvnet_jiffies() };
                self.as_ref().pending().lock().quiet = Some(Quiet {
                    net: batch.net,
                    binds,
                    jiffies: now,
                });
            }
        }
    }

    /// The flush timer (softirq).
    ///
    /// # Safety
    ///
    /// Called by the timer core for a timer set up by [`EventBatch::new`].
    unsafe extern "C" fn flush_timer(t: *mut b::timer_list) {
        let off = core::mem::offset_of!(EventBatch, timer);
        // SAFETY: `t` is the `timer` field of a pinned, live EventBatch: the
        // batch shuts the timer down before it is dropped (invariant), and
        // Opaque is transparent.
        let batch = unsafe { Pin::new_unchecked(&*t.cast::<u8>().sub(off).cast::<EventBatch>()) };
        batch.flush();
    }
}

#[pinned_drop]
impl PinnedDrop for EventBatch {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: set up (invariant); after this the callback is not running
        // and can never run again. Process context (the device's
        // priv_destructor), no lock the callback takes is held.
        unsafe { b::timer_shutdown_sync(self.timer.get()) };
        // Events still held are delivered, like a flush.
        self.as_ref().flush();
    }
}
