// SPDX-License-Identifier: GPL-2.0

//! rtnetlink link types (`include/net/rtnetlink.h`) and the rtnl lock token.
//!
//! [`Registration`] registers `rtnl_link_ops` for a pair [`Driver`], so that
//! `ip link add NAME type KIND` works. The abstraction implements `dellink`
//! and `get_link_net` itself, because they encode the pair invariant of
//! [`PeerPtr`](super::device::PeerPtr): both ends are unlinked and queued for
//! unregistration together. Unloading the module unregisters the ops, which
//! deletes every device of the kind (`__rtnl_kill_links`).

use super::bindings as b;
use super::device::{check, Device, Driver, Net, Ops};
use core::marker::PhantomData;
use core::ptr;
use kernel::error::{from_err_ptr, from_result};
use kernel::prelude::*;
use kernel::types::Opaque;

/// Proof that the rtnl lock is held.
///
/// # Invariants
///
/// Only created where rtnl is held for the whole lifetime of the token:
/// callbacks documented to run under rtnl.
pub(crate) struct Rtnl(PhantomData<*mut ()>);

impl Rtnl {
    /// # Safety
    ///
    /// The caller must hold rtnl for as long as the token lives.
    pub(crate) unsafe fn assume_held() -> Self {
        // INVARIANT: guaranteed by the caller.
        Self(PhantomData)
    }
}

/// Holds the rtnl lock (`rtnl_lock`) until dropped; for process-context
/// code outside rtnetlink callbacks (generic netlink handlers).
///
/// # Invariants
///
/// rtnl was taken by `lock` and is released only by `drop`.
pub(crate) struct RtnlGuard(Rtnl);

impl RtnlGuard {
    /// Takes rtnl. Sleeps; process context without rtnl held.
    pub(crate) fn lock() -> Self {
        // SAFETY: process context (callers are genl doit handlers, which
        // run without rtnl); released in `drop`.
        unsafe { b::rtnl_lock() };
        // SAFETY: held until this guard drops (invariant).
        Self(unsafe { Rtnl::assume_held() })
    }

    /// The proof that rtnl is held, for the guard's lifetime.
    pub(crate) fn token(&self) -> &Rtnl {
        &self.0
    }
}

impl Drop for RtnlGuard {
    fn drop(&mut self) {
        // SAFETY: taken in `lock` (invariant).
        unsafe { b::rtnl_unlock() };
    }
}

/// Registered `rtnl_link_ops` of driver `D`.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<D: Driver> {
    #[pin]
    ops: Opaque<b::rtnl_link_ops>,
    /// `IFLA_INFO_DATA` policy: `[INFO_PEER] = { .len = sizeof(ifinfomsg) }`,
    /// as veth's `VETH_INFO_PEER`.
    policy: [b::nla_policy; INFO_MAX + 1],
    /// Netdevice notifier: tells the driver when one of its devices leaves
    /// its namespace ([`Driver::leaving_netns`]).
    #[pin]
    nb: Opaque<b::notifier_block>,
    /// Whether `nb` is registered.
    nb_registered: bool,
    _p: PhantomData<D>,
}

// SAFETY: the ops table is only read by the core after registration.
unsafe impl<D: Driver> Send for Registration<D> {}
// SAFETY: as above.
unsafe impl<D: Driver> Sync for Registration<D> {}

/// `IFLA_MAX` (a macro bindgen cannot evaluate).
const IFLA_MAX: usize = b::__IFLA_MAX as usize - 1;

/// `IFLA_INFO_DATA` attribute carrying the peer's `ifinfomsg` + `IFLA_*`
/// attributes (same layout and number as `VETH_INFO_PEER`).
pub(crate) const INFO_PEER: usize = 1;
const INFO_MAX: usize = INFO_PEER;

/// `netdev_priv()` is aligned to NETDEV_ALIGN (32 bytes).
const NETDEV_ALIGN: usize = 32;

impl<D: super::ethtool::Ethtool> Registration<D> {
    const PRIV_FITS: () = assert!(core::mem::align_of::<super::device::Priv<D>>() <= NETDEV_ALIGN);

    /// Registers the link type.
    pub(crate) fn new() -> Result<Pin<KBox<Self>>> {
        #[allow(clippy::let_unit_value)]
        let () = Self::PRIV_FITS;
        let ops = b::rtnl_link_ops {
            kind: D::KIND.as_char_ptr(),
            priv_size: core::mem::size_of::<super::device::Priv<D>>(),
            setup: Some(Ops::<D>::setup),
            validate: Some(Self::validate),
            newlink: Some(Self::newlink),
            dellink: Some(Self::dellink),
            get_link_net: Some(Self::get_link_net),
            get_num_tx_queues: Some(Self::default_queues),
            get_num_rx_queues: Some(Self::default_queues),
            // SAFETY: all-zero is valid for the remaining members (list head
            // initialised by registration, NULL callbacks mean "not
            // supported").
            ..unsafe { core::mem::zeroed() }
        };
        // SAFETY: all-zero is NLA_UNSPEC with no constraints.
        let mut policy: [b::nla_policy; INFO_MAX + 1] = unsafe { core::mem::zeroed() };
        policy[INFO_PEER].len = core::mem::size_of::<b::ifinfomsg>() as u16;
        let mut reg = KBox::pin(
            Self {
                ops: Opaque::new(ops),
                policy,
                // SAFETY: all-zero is an unlinked notifier_block; the
                // callback is set below, before registration.
                nb: Opaque::new(unsafe { core::mem::zeroed() }),
                nb_registered: false,
                _p: PhantomData,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: we only write plain fields of the not yet registered ops;
        // nothing is moved out of the pinned box.
        unsafe {
            let r = reg.as_mut().get_unchecked_mut();
            let ops = &mut *r.ops.get();
            ops.policy = r.policy.as_ptr();
            ops.maxtype = INFO_MAX as u32;
        }
        // SAFETY: the ops live in a pinned box that outlives the
        // registration (unregistered in `drop`).
        check(unsafe { b::rtnl_link_register(reg.ops.get()) })?;
        // SAFETY: the notifier_block lives in the pinned box and is
        // unregistered in `drop` before the box is freed; we set its
        // callback before the core can see it.
        unsafe {
            let r = reg.as_mut().get_unchecked_mut();
            (*r.nb.get()).notifier_call = Some(Self::netdev_event);
            check(b::register_netdevice_notifier(r.nb.get()))?;
            r.nb_registered = true;
        }
        Ok(reg)
    }

    /// `rtnl_link_ops.get_num_{tx,rx}_queues`: queues allocated when the
    /// request gives no `numtxqueues`/`numrxqueues`, one per possible CPU
    /// as veth (capped like `rtnl_create_link`); only one is active until
    /// `ethtool -L` (see [`Device::init_real_queues`]).
    extern "C" fn default_queues() -> core::ffi::c_uint {
        // SAFETY: reads the possible-CPU mask, fixed after boot.
        unsafe { b::rvnet_num_possible_cpus() }.clamp(1, 4096)
    }

    /// `rtnl_link_ops.validate` trampoline.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink with `tb` holding `IFLA_MAX + 1` entries.
    unsafe extern "C" fn validate(
        tb: *mut *mut b::nlattr,
        _data: *mut *mut b::nlattr,
        extack: *mut b::netlink_ext_ack,
    ) -> core::ffi::c_int {
        // SAFETY: the core passes tb[] of IFLA_MAX + 1 entries.
        let attrs = unsafe { Attrs::from_raw(tb, IFLA_MAX) };
        from_result(|| validate_link_attrs(&attrs, extack).map(|()| 0))
    }

    /// `rtnl_link_ops.newlink` trampoline.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink under rtnl with an unregistered device allocated
    /// with our ops, `tb` of `IFLA_MAX + 1` entries, and `data` NULL or of
    /// `maxtype + 1` entries.
    unsafe extern "C" fn newlink(
        src_net: *mut b::net,
        dev: *mut b::net_device,
        tb: *mut *mut b::nlattr,
        data: *mut *mut b::nlattr,
        extack: *mut b::netlink_ext_ack,
    ) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: newlink runs under rtnl.
            let rtnl = unsafe { Rtnl::assume_held() };
            // SAFETY: data[] is NULL or has INFO_MAX + 1 entries, validated
            // against our policy by the core.
            let peer = unsafe { PeerRequest::parse(data, extack) }?;
            let link = NewLink {
                // SAFETY: the namespace is valid for the call.
                src_net: unsafe { Net::from_raw(src_net) },
                // INVARIANT: the core allocated `dev` with our ops and frees
                // it itself if we fail before registering it.
                dev: NewDevice {
                    ptr: dev,
                    owned: false,
                    _p: PhantomData,
                },
                // SAFETY: tb[] has IFLA_MAX + 1 entries.
                tb: unsafe { Attrs::from_raw(tb, IFLA_MAX) },
                peer,
                extack,
                rtnl: &rtnl,
            };
            D::newlink(link)?;
            Ok(0)
        })
    }

    /// `rtnl_link_ops.dellink` trampoline.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink under rtnl for a registered device of kind `D`.
    unsafe extern "C" fn dellink(dev: *mut b::net_device, head: *mut b::list_head) {
        // SAFETY: dellink runs under rtnl.
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: dellink is called for registered devices of our kind.
        let d = unsafe { Device::<D>::from_raw(dev) };
        let peer = d.peer_rtnl(&rtnl).map(|p| p.as_raw());
        // INVARIANT (PeerPtr): unlink both ends before queueing both; the core
        // frees them only after a grace period that follows this rtnl section.
        D::peer(d.data()).clear();
        // SAFETY: `dev` is registered and rtnl is held.
        unsafe { b::unregister_netdevice_queue(dev, head) };
        if let Some(p) = peer {
            // SAFETY: `p` was read from the peer pointer under rtnl, so it is
            // a registered `D` device.
            let pd = unsafe { Device::<D>::from_raw(p) };
            D::peer(pd.data()).clear();
            // SAFETY: as above.
            unsafe { b::unregister_netdevice_queue(p, head) };
        }
    }

    /// Netdevice notifier callback (under rtnl). A device of our kind that
    /// gets `NETDEV_UNREGISTER` while still `NETREG_REGISTERED` is moving
    /// to another namespace (`__dev_change_net_namespace`: "reg_state
    /// stays at NETREG_REGISTERED"); a real unregistration is
    /// `NETREG_UNREGISTERING` by then.
    ///
    /// # Safety
    ///
    /// Called by the netdevice notifier chain with a `netdev_notifier_info`.
    unsafe extern "C" fn netdev_event(
        _nb: *mut b::notifier_block,
        event: kernel::ffi::c_ulong,
        ptr: *mut core::ffi::c_void,
    ) -> core::ffi::c_int {
        const NOTIFY_DONE: core::ffi::c_int = 0;
        if event != b::netdev_cmd_NETDEV_UNREGISTER as kernel::ffi::c_ulong {
            return NOTIFY_DONE;
        }
        // SAFETY: netdevice notifiers get a netdev_notifier_info.
        let dev = unsafe { b::rvnet_netdev_notifier_info_to_dev(ptr) };
        // SAFETY: the notifier's device is valid for the call; it is
        // registered (checked first) when of_kind looks at it.
        let d = unsafe {
            if dev.is_null() || !b::rvnet_dev_reg_state_registered(dev) {
                return NOTIFY_DONE;
            }
            Device::<D>::of_kind(dev)
        };
        if let Some(d) = d {
            // SAFETY: netdevice notifiers run under rtnl.
            let rtnl = unsafe { Rtnl::assume_held() };
            D::leaving_netns(d, &rtnl);
        }
        NOTIFY_DONE
    }

    /// `rtnl_link_ops.get_link_net` trampoline.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink for a registered device of kind `D`.
    unsafe extern "C" fn get_link_net(dev: *const b::net_device) -> *mut b::net {
        let guard = super::rcu::Guard::new();
        // SAFETY: called on registered devices of our kind under rtnl.
        let d = unsafe { Device::<D>::from_raw(dev.cast_mut()) };
        d.peer(&guard)
            .map_or_else(|| d.net().as_raw(), |p| p.net().as_raw())
    }
}

#[pinned_drop]
impl<D: Driver> PinnedDrop for Registration<D> {
    fn drop(self: Pin<&mut Self>) {
        if self.nb_registered {
            // SAFETY: registered in `new`; the core replays UNREGISTER
            // events to it (harmless: observation is reset) and unlinks it.
            unsafe { b::unregister_netdevice_notifier(self.nb.get()) };
        }
        // SAFETY: registered in `new`; this deletes all devices of the kind.
        unsafe { b::rtnl_link_unregister(self.ops.get()) };
    }
}

/// Checks the generic link attributes that an Ethernet pair cares about.
fn validate_link_attrs(tb: &Attrs<'_>, extack: *mut b::netlink_ext_ack) -> Result {
    if let Some(addr) = tb.get(b::IFLA_ADDRESS) {
        // SAFETY: `addr` is a valid attribute from the parsed message.
        let (len, data) = unsafe { ((*addr).nla_len as usize, b::rvnet_nla_data(addr)) };
        // nla_len includes the 4-byte header.
        // SAFETY: the attribute payload holds `len - 4` bytes; we read 6 only
        // after checking there are 6.
        if len < 4 + 6 || !unsafe { b::rvnet_is_valid_ether_addr(data.cast()) } {
            set_extack(extack, c"rvnet: invalid MAC address");
            return Err(Error::from_errno(-(b::EADDRNOTAVAIL as i32)));
        }
    }
    Ok(())
}

/// Sets the extack message (`NL_SET_ERR_MSG`).
pub(crate) fn set_extack(extack: *mut b::netlink_ext_ack, msg: &'static core::ffi::CStr) {
    if !extack.is_null() {
        // SAFETY: a non-NULL extack is valid for the netlink request, and
        // the message has 'static lifetime as the core requires.
        unsafe { (*extack)._msg = msg.as_ptr().cast() };
    }
}

/// A parsed netlink attribute table (`struct nlattr *tb[]`).
pub(crate) struct Attrs<'a> {
    tb: *mut *mut b::nlattr,
    max: usize,
    _p: PhantomData<&'a ()>,
}

impl Attrs<'_> {
    /// # Safety
    ///
    /// `tb` must point to `max + 1` entries valid for `'a`.
    unsafe fn from_raw(tb: *mut *mut b::nlattr, max: usize) -> Self {
        Self {
            tb,
            max,
            _p: PhantomData,
        }
    }

    fn get(&self, ty: u32) -> Option<*mut b::nlattr> {
        let i = ty as usize;
        if i > self.max || self.tb.is_null() {
            return None;
        }
        // SAFETY: `i <= max`, within the table by the constructor contract.
        let a = unsafe { *self.tb.add(i) };
        (!a.is_null()).then_some(a)
    }

    /// Whether attribute `ty` is present.
    pub(crate) fn has(&self, ty: u32) -> bool {
        self.get(ty).is_some()
    }
}

/// A new link request (`rtnl_link_ops.newlink`), under rtnl.
pub(crate) struct NewLink<'a, D: Driver> {
    src_net: &'a Net,
    /// The device the user asked for, allocated by the core, not registered.
    pub(crate) dev: NewDevice<D>,
    /// Generic link attributes (`IFLA_*`).
    pub(crate) tb: Attrs<'a>,
    /// The peer's own `ifinfomsg` and attributes, if the request has them.
    peer: Option<KBox<PeerRequest>>,
    extack: *mut b::netlink_ext_ack,
    /// The rtnl token for the whole request.
    pub(crate) rtnl: &'a Rtnl,
}

impl<D: Driver> NewLink<'_, D> {
    /// Allocates the peer end, as veth does: described by the request's
    /// `INFO_PEER` attribute (name, namespace, MAC, MTU, ...) if present,
    /// otherwise with the device's own link attributes and a name from
    /// `D::NAME_TEMPLATE`. The peer gets a random MAC unless one was given.
    pub(crate) fn create_peer(&self) -> Result<NewDevice<D>> {
        let tbp = match &self.peer {
            Some(p) => p.tb.as_ptr().cast_mut(),
            None => self.tb.tb,
        };
        // SAFETY: tbp has IFLA_MAX + 1 entries (the request's or the parsed
        // peer table).
        let pattrs = unsafe { Attrs::from_raw(tbp, IFLA_MAX) };
        if self.peer.is_some() {
            validate_link_attrs(&pattrs, self.extack)?;
        }
        let mut name = [0u8; b::IFNAMSIZ as usize];
        let (name_ptr, assign) = match (self.peer.is_some(), pattrs.get(b::IFLA_IFNAME)) {
            (true, Some(a)) => {
                // SAFETY: `a` is a validated IFLA_IFNAME attribute; the
                // buffer holds IFNAMSIZ bytes.
                unsafe { b::nla_strscpy(name.as_mut_ptr(), a, name.len()) };
                (name.as_ptr(), b::NET_NAME_USER as u8)
            }
            _ => (D::NAME_TEMPLATE.as_char_ptr(), b::NET_NAME_ENUM as u8),
        };
        // SAFETY: src_net and tbp are valid for the request; the returned
        // namespace holds a reference we drop below.
        let net = from_err_ptr(unsafe { b::rtnl_link_get_net(self.src_net.as_raw(), tbp) })?;
        // SAFETY: `self.dev` was allocated with our link ops; rtnl is held;
        // the name is NUL-terminated.
        let peer = unsafe {
            b::rtnl_create_link(
                net,
                name_ptr,
                assign,
                (*self.dev.ptr).rtnl_link_ops,
                tbp,
                self.extack,
            )
        };
        // SAFETY: rtnl_create_link took its own reference to `net` on success.
        unsafe { b::rvnet_put_net(net) };
        let peer = from_err_ptr(peer)?;
        // INVARIANT: allocated with our ops, owned by us until registered.
        let peer = NewDevice {
            ptr: peer,
            owned: true,
            _p: PhantomData,
        };
        if self.peer.is_none() || !pattrs.has(b::IFLA_ADDRESS) {
            peer.hw_addr_random();
        }
        if let Some(p) = &self.peer {
            // SAFETY: unregistered device; a requested ifindex is validated
            // by register_netdevice().
            unsafe { (*peer.ptr).ifindex = (*p.ifm).ifi_index };
        }
        Ok(peer)
    }

    /// The peer's `ifinfomsg` for `rtnl_configure_link` (NULL if none).
    pub(crate) fn peer_ifm(&self) -> PeerIfm {
        PeerIfm(self.peer.as_ref().map_or(ptr::null_mut(), |p| p.ifm))
    }
}

/// The peer's `ifinfomsg` from the request, or none.
pub(crate) struct PeerIfm(*mut b::ifinfomsg);

/// A parsed `INFO_PEER` attribute.
struct PeerRequest {
    ifm: *mut b::ifinfomsg,
    tb: [*mut b::nlattr; IFLA_MAX + 1],
}

impl PeerRequest {
    /// # Safety
    ///
    /// `data` must be NULL or hold `INFO_MAX + 1` attributes validated
    /// against the registration's policy, valid for the request.
    unsafe fn parse(
        data: *mut *mut b::nlattr,
        extack: *mut b::netlink_ext_ack,
    ) -> Result<Option<KBox<Self>>> {
        if data.is_null() {
            return Ok(None);
        }
        // SAFETY: INFO_PEER <= INFO_MAX, within data[] per the contract.
        let nla = unsafe { *data.add(INFO_PEER) };
        if nla.is_null() {
            return Ok(None);
        }
        let mut p = KBox::new(
            PeerRequest {
                // SAFETY: the policy guarantees at least sizeof(ifinfomsg)
                // bytes of payload.
                ifm: unsafe { b::rvnet_nla_data(nla) }.cast(),
                tb: [ptr::null_mut(); IFLA_MAX + 1],
            },
            GFP_KERNEL,
        )?;
        // SAFETY: tb has IFLA_MAX + 1 slots; nla is valid for the request.
        check(unsafe { b::rtnl_nla_parse_ifinfomsg(p.tb.as_mut_ptr(), nla, extack) })?;
        Ok(Some(p))
    }
}

/// An allocated, unregistered device of kind `D`.
///
/// # Invariants
///
/// `ptr` was allocated with `D`'s link ops and is not registered. If `owned`,
/// dropping this frees it with `free_netdev()`; otherwise the core does.
pub(crate) struct NewDevice<D: Driver> {
    ptr: *mut b::net_device,
    owned: bool,
    _p: PhantomData<D>,
}

impl<D: Driver> NewDevice<D> {
    /// Gives the device a random MAC address (`eth_hw_addr_random`).
    pub(crate) fn hw_addr_random(&self) {
        // SAFETY: unregistered, so we have exclusive access.
        unsafe { b::rvnet_eth_hw_addr_random(self.ptr) }
    }

    /// Inherits the TSO limits of `other` (`netif_inherit_tso_max`).
    pub(crate) fn inherit_tso_max(&self, other: &NewDevice<D>) {
        // SAFETY: both devices are valid and unregistered.
        unsafe { b::netif_inherit_tso_max(self.ptr, other.ptr) }
    }

    /// Registers the device (`register_netdevice`), which runs `ndo_init`.
    /// On failure an owned device is freed.
    pub(crate) fn register<'r>(self, _rtnl: &'r Rtnl) -> Result<&'r Device<D>> {
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: rtnl is held; the device is allocated and unregistered.
        let ret = unsafe { b::register_netdevice(me.ptr) };
        if let Err(e) = check(ret) {
            if me.owned {
                // SAFETY: registration failed, so the device is ours to free.
                unsafe { b::free_netdev(me.ptr) };
            }
            return Err(e);
        }
        // SAFETY: registered, so ndo_init succeeded; it stays valid while
        // rtnl is held.
        Ok(unsafe { Device::from_raw(me.ptr) })
    }
}

impl<D: Driver> Drop for NewDevice<D> {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: by the invariant an owned, unregistered device.
            unsafe { b::free_netdev(self.ptr) };
        }
    }
}

impl<D: Driver> Device<D> {
    /// Finishes link creation: applies the peer's `ifinfomsg` flags, marks
    /// the link initialised and notifies userspace (`rtnl_configure_link`).
    pub(crate) fn configure_link(&self, ifm: &PeerIfm, _rtnl: &Rtnl) -> Result {
        // SAFETY: registered device, rtnl held; ifm is NULL or the request's
        // ifinfomsg, valid for the request.
        check(unsafe { b::rtnl_configure_link(self.as_raw(), ifm.0, 0, ptr::null_mut()) })
    }

    /// As veth: a device created without `numtxqueues`/`numrxqueues` in the
    /// request (`tb`) has [`Registration::default_queues`] allocated, of
    /// which one is active. Registered device, rtnl held.
    pub(crate) fn init_real_queues(&self, tb: &Attrs<'_>, rtnl: &Rtnl) -> Result {
        let tx = if tb.has(b::IFLA_NUM_TX_QUEUES) {
            self.real_num_tx_queues()
        } else {
            1
        };
        let rx = if tb.has(b::IFLA_NUM_RX_QUEUES) {
            self.real_num_rx_queues()
        } else {
            1
        };
        self.set_real_num_queues(tx, rx, rtnl)
    }

    /// GRO off by default, as veth keeps it "to be consistent with the
    /// established veth behavior" (the core turns it on at registration);
    /// `ethtool -K DEV gro on` turns it on.
    pub(crate) fn disable_gro(&self, _rtnl: &Rtnl) {
        let gro = 1u64 << b::NETIF_F_GRO_BIT;
        // SAFETY: registered device, rtnl held (serialises feature changes).
        unsafe {
            let d = self.as_raw();
            (*d).features &= !gro;
            (*d).wanted_features &= !gro;
            b::netdev_update_features(d);
        }
    }

    /// Unregisters the device now (error path of newlink).
    pub(crate) fn unregister(&self, _rtnl: &Rtnl) {
        // SAFETY: registered device, rtnl held. Not linked to a peer yet.
        unsafe { b::unregister_netdevice_queue(self.as_raw(), ptr::null_mut()) }
    }
}
