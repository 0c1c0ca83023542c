// SPDX-License-Identifier: GPL-2.0

//! Network devices (`include/linux/netdevice.h`, `include/linux/etherdevice.h`).
//!
//! A driver implements [`Driver`]; the abstraction owns the C side:
//! the `net_device_ops` table, the private-data lifecycle, and the peer
//! pointer that ties the two ends of a pair.
//!
//! # Private data lifecycle
//!
//! `netdev_priv()` holds one `D::Data`. It is written by `ndo_init` (the first
//! thing `register_netdevice()` does, under rtnl) and dropped by
//! `priv_destructor`, which the core calls exactly once for every device
//! whose `ndo_init` succeeded (from the `register_netdevice()` error path or
//! from `netdev_run_todo()` after the last reference is gone, RCU grace period
//! included). A `&Device<D>` is only ever created for a device whose
//! `ndo_init` succeeded, so [`Device::data`] is always initialised.

use super::bindings as b;
use super::rcu;
use super::rtnl::{NewLink, Rtnl};
use super::skb::SkBuff;
use super::sync::BhOff;
use super::txq::{BqlCompleter, TxQueue, XmitQueue};
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// Result of [`Driver::start_xmit`].
pub(crate) enum TxOutcome {
    /// The driver used the skb up (sent, consumed or dropped with a reason).
    Ok,
    /// The driver could not take the skb now; it goes back to the qdisc
    /// unchanged (`NETDEV_TX_BUSY`). The driver must have stopped the queue.
    /// It must be the skb `start_xmit` was handed: the core requeues its own
    /// pointer, so the trampoline checks identity, and another skb returned
    /// here is a driver bug that is dropped (and WARNs) rather than leaked or
    /// double-owned.
    Busy(SkBuff),
}

/// A veth-class pair driver.
pub(crate) trait Driver: Sized + Send + Sync + 'static {
    /// rtnetlink kind (`ip link add ... type KIND`).
    const KIND: &'static CStr;
    /// Name template for ends created without a name, e.g. `rvnet%d`.
    const NAME_TEMPLATE: &'static CStr;

    /// Per-device private data.
    type Data: Send + Sync;

    /// Configures a freshly allocated device (`rtnl_link_ops.setup`).
    fn setup(dev: &SetupDevice<'_>);

    /// Creates the private data (`ndo_init`, under rtnl, before the device is
    /// visible).
    fn init(dev: &InitDevice<'_>, rtnl: &Rtnl) -> Result<Self::Data>;

    /// The peer pointer inside the private data.
    fn peer(data: &Self::Data) -> &PeerPtr<Self>;

    /// Creates the peer and registers both ends (`rtnl_link_ops.newlink`).
    fn newlink(link: NewLink<'_, Self>) -> Result;

    /// `ndo_uninit`: the device is being unregistered (under rtnl); the core
    /// waits for a grace period before `priv_destructor` drops the data.
    fn uninit(dev: &Device<Self>, token: &Uninit);

    /// `ndo_open`.
    fn open(dev: &Device<Self>, rtnl: &Rtnl) -> Result;

    /// `ndo_stop`.
    fn stop(dev: &Device<Self>, rtnl: &Rtnl) -> Result;

    /// `ndo_start_xmit`: runs with BH disabled and the lock of `txq` held,
    /// the queue the core picked for `skb`.
    fn start_xmit(dev: &Device<Self>, skb: SkBuff, txq: &XmitQueue<'_>) -> TxOutcome;

    /// `ndo_tx_timeout`: tx queue `index` has been stopped for longer than
    /// the watchdog allows (a lost wake-up). Under the device's tx lock.
    fn tx_timeout(dev: &Device<Self>, index: u16);

    /// The device is about to leave its network namespace (`ip link set
    /// DEV netns NS`), already closed; under rtnl. State that belongs to
    /// the old namespace (records of its traffic) must go.
    fn leaving_netns(dev: &Device<Self>, rtnl: &Rtnl);

    /// `ndo_get_stats64`: device totals; any context, must not sleep.
    fn get_stats64(dev: &Device<Self>) -> LinkStats;

    /// Counters of active rx queue `index` (netdev-genl qstats).
    fn queue_stats_rx(dev: &Device<Self>, index: u32) -> QueueStats;

    /// Counters of active tx queue `index` (netdev-genl qstats).
    fn queue_stats_tx(dev: &Device<Self>, index: u32) -> QueueStats;

    /// Counters not attributable to an active queue (e.g. of queues made
    /// inactive by `ethtool -L`), as (rx, tx): qstats totals are the sum of
    /// the active queues plus these.
    fn base_stats(dev: &Device<Self>) -> (QueueStats, QueueStats);

    /// `ndo_bpf(XDP_SETUP_PROG)` under rtnl: attach `prog` (replacing the
    /// current program) or detach with `None`. The driver owns `prog` and
    /// may keep or drop it; a refusal carries the extack message.
    fn xdp_setup(
        dev: &Device<Self>,
        prog: Option<super::xdp::XdpProg>,
        rtnl: &Rtnl,
    ) -> core::result::Result<(), super::ethtool::ExtError>;

    /// `ndo_fix_features` under rtnl: the features `dev` may have, given
    /// what the user asked for.
    fn fix_features(dev: &Device<Self>, wanted: Features, rtnl: &Rtnl) -> Features;

    /// `ndo_xdp_xmit`: frames redirected to `dev` (softirq, BH disabled,
    /// RCU read side). The driver takes a prefix of `frames` (those it
    /// sends); the core frees the rest. `flush`: `XDP_XMIT_FLUSH`, kick
    /// the receiver now. An error with no frame taken tells the core
    /// that nothing was sent.
    fn xdp_xmit(dev: &Device<Self>, frames: &mut super::xdp::FrameBatch<'_>, flush: bool)
        -> Result;
}

/// Per-queue counters for netdev-genl qstats (`struct netdev_queue_stats_*`).
#[derive(Default, Clone, Copy)]
pub(crate) struct QueueStats {
    /// Packets.
    pub(crate) packets: u64,
    /// Bytes.
    pub(crate) bytes: u64,
    /// tx only: times the queue was stopped by the driver.
    pub(crate) stop: u64,
    /// tx only: times the queue was woken by the driver.
    pub(crate) wake: u64,
}

/// Device totals reported by `ndo_get_stats64` (`struct rtnl_link_stats64`).
#[derive(Default, Clone, Copy)]
pub(crate) struct LinkStats {
    /// Packets received.
    pub(crate) rx_packets: u64,
    /// Bytes received.
    pub(crate) rx_bytes: u64,
    /// Packets dropped on receive.
    pub(crate) rx_dropped: u64,
    /// Packets transmitted.
    pub(crate) tx_packets: u64,
    /// Bytes transmitted.
    pub(crate) tx_bytes: u64,
    /// Packets dropped on transmit.
    pub(crate) tx_dropped: u64,
}

/// A registered network device driven by `D`.
///
/// # Invariants
///
/// The wrapped `net_device` was allocated with `D`'s `rtnl_link_ops`, its
/// `ndo_init` succeeded (so `netdev_priv()` holds an initialised `D::Data`),
/// and it is not freed while the reference exists.
#[repr(transparent)]
pub(crate) struct Device<D: Driver>(Opaque<b::net_device>, PhantomData<D>);

// SAFETY: net_device is used from any CPU; all mutation goes through the
// kernel's own locking or atomics, and `D::Data` is `Send + Sync`.
unsafe impl<D: Driver> Send for Device<D> {}
// SAFETY: as above.
unsafe impl<D: Driver> Sync for Device<D> {}

impl<D: Driver> Device<D> {
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants for the lifetime `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut b::net_device) -> &'a Self {
        // SAFETY: `Device` is a transparent wrapper; validity per the caller.
        unsafe { &*ptr.cast() }
    }

    /// Raw pointer for abstraction code.
    pub(crate) fn as_raw(&self) -> *mut b::net_device {
        self.0.get()
    }

    /// The driver's private data.
    #[inline]
    pub(crate) fn data(&self) -> &D::Data {
        &self.private().data
    }

    /// The whole private area: the abstraction's state and the driver's.
    #[inline]
    fn private(&self) -> &Priv<D> {
        // SAFETY: by the invariant ndo_init wrote a `Priv<D>` into the
        // private area, and it is only dropped by priv_destructor, after the
        // last reference to the device is gone.
        unsafe { &*priv_area::<D>(self.as_raw()) }
    }

    /// The right to complete BQL bytes on tx queue `index` (the peer's NAPI
    /// taking this device's packets from its ring), exclusive per queue:
    /// `dql_completed` is not safe against itself, and after `ethtool -L`
    /// or a ring resize two contexts may hold packets of one queue. Spins
    /// while another CPU holds it: holders run with BH disabled and never
    /// wait for another right (a poll may wait for a tx lock when the
    /// stack forwards a packet it received, so a reset takes the right
    /// before the tx lock), and `_bh` proves that no holder can interrupt
    /// this CPU. `None` for a queue that does not exist.
    #[inline]
    pub(crate) fn bql_completer<'a>(
        &'a self,
        index: u16,
        _bh: &'a BhOff,
    ) -> Option<BqlCompleter<'a>> {
        let txq = self.tx_queue(index)?;
        let lock = self.private().completing.get(usize::from(index))?;
        Some(BqlCompleter::acquire(txq, lock))
    }

    /// `netdev_tx_reset_queue` of tx queue `index`: forget the bytes in
    /// flight. Takes the queue's tx lock (no transmit accounts meanwhile)
    /// and its completion right (no completion runs meanwhile), so it is
    /// sound at any time; packets sent before it must not be completed
    /// after it (the driver tags them with a generation), which the
    /// completer would refuse anyway rather than underflow BQL.
    pub(crate) fn bql_reset(&self, index: u16, _rtnl: &Rtnl) {
        let (Some(txq), Some(lock)) = (
            self.tx_queue(index),
            self.private().completing.get(usize::from(index)),
        ) else {
            return;
        };
        txq.reset_locked(lock);
    }

    /// Waits until no `ndo_start_xmit` of this device that started before
    /// the call is still running: takes and releases each tx queue's lock.
    /// A transmit after it sees what the caller changed before it (the
    /// lock orders the two). No queue is stopped meanwhile, so a sender
    /// without a qdisc (noqueue) never sees a stopped queue.
    pub(crate) fn tx_barrier(&self, _rtnl: &Rtnl) {
        for txq in self.tx_queues() {
            txq.lock_unlock_bh();
        }
    }

    /// `dev->ifindex`.
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: the device is valid; ifindex is only written under rtnl
        // before registration.
        unsafe { (*self.as_raw()).ifindex }
    }

    /// Administratively up (`IFF_UP`).
    pub(crate) fn is_up(&self) -> bool {
        // SAFETY: the device is valid; `flags` is a plain word.
        let flags = unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).flags)) };
        flags & b::net_device_flags_IFF_UP != 0
    }

    /// `netif_running()`.
    #[inline]
    pub(crate) fn is_running(&self) -> bool {
        // SAFETY: the device is valid; `state` is a word of bits changed only
        // by atomic bit operations, read here like test_bit() does.
        let state = unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).state)) };
        state & (1 << b::rvnet_c_consts_RVNET_C_LINK_STATE_START) != 0
    }

    /// `netif_carrier_on()`.
    pub(crate) fn carrier_on(&self) {
        // SAFETY: the device is valid and registered.
        unsafe { b::netif_carrier_on(self.as_raw()) }
    }

    /// `netif_carrier_off()`.
    pub(crate) fn carrier_off(&self) {
        // SAFETY: the device is valid and registered.
        unsafe { b::netif_carrier_off(self.as_raw()) }
    }

    /// The network namespace the device lives in.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: a device always has a namespace that outlives it (moving it
        // happens under rtnl with the device quiesced).
        unsafe { Net::from_raw(b::rvnet_dev_net(self.as_raw())) }
    }

    /// Transmit queue `index`, if allocated.
    #[inline]
    pub(crate) fn tx_queue(&self, index: u16) -> Option<&TxQueue> {
        if u32::from(index) >= self.num_tx_queues() {
            return None;
        }
        // SAFETY: index < num_tx_queues, the length of the dev->_tx array
        // (netdev_get_tx_queue() is `&dev->_tx[index]`), which lives as long
        // as the device; _tx is set before registration and never changes.
        Some(unsafe { TxQueue::from_raw((*self.as_raw())._tx.add(usize::from(index))) })
    }

    /// Every allocated tx queue, in index order.
    pub(crate) fn tx_queues(&self) -> impl Iterator<Item = &TxQueue> {
        (0..self.num_tx_queues())
            .filter_map(|i| u16::try_from(i).ok())
            .filter_map(move |i| self.tx_queue(i))
    }

    /// Allocated tx queues (`numtxqueues` at creation).
    pub(crate) fn num_tx_queues(&self) -> u32 {
        // SAFETY: fixed at allocation.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// Active tx queues (`ethtool -L`).
    pub(crate) fn real_num_tx_queues(&self) -> u32 {
        // SAFETY: a plain word, written under rtnl.
        unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).real_num_tx_queues)) }
    }

    /// Whether GRO is on (`NETIF_F_GRO` in the active features, what
    /// `netif_elide_gro()` tests).
    #[inline]
    pub(crate) fn gro_enabled(&self) -> bool {
        // SAFETY: a plain word, written under rtnl (READ_ONCE, as the core
        // reads it in the datapath).
        let f = unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).features)) };
        f & Features::GRO.0 != 0
    }

    /// Whether the device's NAPI polls run in kernel threads
    /// (`dev->threaded`, `/sys/class/net/DEV/threaded`).
    #[inline]
    pub(crate) fn napi_threaded(&self) -> bool {
        // SAFETY: a C `bool` (0 or 1), written under rtnl by
        // dev_set_threaded(); read once as a byte (READ_ONCE).
        let v =
            unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).threaded).cast::<u8>()) };
        v != 0
    }

    /// The MTU.
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: a plain word (READ_ONCE, as the core reads it).
        unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).mtu)) }
    }

    /// The link-layer header length (`hard_header_len`, 14 for Ethernet).
    pub(crate) fn hard_header_len(&self) -> u32 {
        // SAFETY: set at setup, never changed.
        u32::from(unsafe { (*self.as_raw()).hard_header_len })
    }

    /// Sets the largest MTU the core accepts (`dev->max_mtu`).
    pub(crate) fn set_max_mtu(&self, max: u32, _rtnl: &Rtnl) {
        // SAFETY: registered device; rtnl serialises writers and the core
        // reads it under rtnl (dev_validate_mtu).
        unsafe { (*self.as_raw()).max_mtu = max };
    }

    /// Adds or removes `f` from the user-changeable features
    /// (`dev->hw_features`); takes effect with [`Device::update_features`].
    pub(crate) fn set_hw_features(&self, f: Features, on: bool, _rtnl: &Rtnl) {
        // SAFETY: registered device; hw_features is read and written under
        // rtnl.
        unsafe {
            let d = self.as_raw();
            if on {
                (*d).hw_features |= f.0;
            } else {
                (*d).hw_features &= !f.0;
            }
        }
    }

    /// Recomputes the active features (`netdev_update_features`: calls
    /// `ndo_fix_features` and notifies on change).
    pub(crate) fn update_features(&self, _rtnl: &Rtnl) {
        // SAFETY: registered device, rtnl held.
        unsafe { b::netdev_update_features(self.as_raw()) }
    }

    /// Active rx queues (`ethtool -L`).
    pub(crate) fn real_num_rx_queues(&self) -> u32 {
        // SAFETY: a plain word, written under rtnl.
        unsafe { ptr::read_volatile(ptr::addr_of!((*self.as_raw()).real_num_rx_queues)) }
    }

    /// Sets the number of active queues (`netif_set_real_num_{tx,rx}_queues`).
    pub(crate) fn set_real_num_queues(&self, tx: u32, rx: u32, _rtnl: &Rtnl) -> Result {
        // SAFETY: registered device, rtnl held; the core checks the bounds.
        check(unsafe { b::netif_set_real_num_tx_queues(self.as_raw(), tx) })?;
        // SAFETY: as above.
        check(unsafe { b::netif_set_real_num_rx_queues(self.as_raw(), rx) })
    }

    /// Whether the core keeps each packet's route (`skb_dst`) attached
    /// until `ndo_start_xmit` (`netif_keep_dst`), instead of releasing it
    /// before the qdisc (`IFF_XMIT_DST_RELEASE`, the default, cheaper: no
    /// dst reference is taken per packet).
    pub(crate) fn set_keep_dst(&self, keep: bool, _rtnl: &Rtnl) {
        let bits = (b::netdev_priv_flags_IFF_XMIT_DST_RELEASE
            | b::netdev_priv_flags_IFF_XMIT_DST_RELEASE_PERM)
            as kernel::ffi::c_ulong;
        // SAFETY: registered device; rtnl held serialises priv_flags
        // writers; the transmit path reads the flag per packet.
        unsafe {
            let d = self.as_raw();
            let flags = b::rvnet_netdev_priv_flags(d);
            let new = if keep { flags & !bits } else { flags | bits };
            b::rvnet_netdev_set_priv_flags(d, new);
        }
    }

    /// Starts all tx queues.
    pub(crate) fn tx_start_all(&self, _rtnl: &Rtnl) {
        // SAFETY: the device is registered.
        unsafe { b::rvnet_netif_tx_start_all_queues(self.as_raw()) }
    }

    /// The peer end of the pair, if any, valid for the RCU section.
    #[inline]
    pub(crate) fn peer<'g>(&self, guard: &'g rcu::Guard) -> Option<&'g Device<D>> {
        D::peer(self.data()).get(guard)
    }

    /// The peer end of the pair, if any, under rtnl.
    pub(crate) fn peer_rtnl<'r>(&self, rtnl: &'r Rtnl) -> Option<&'r Device<D>> {
        D::peer(self.data()).get_rtnl(rtnl)
    }

    /// Ties two registered, unlinked devices into a pair. Refuses (EBUSY)
    /// a device that already has a peer or a device paired with itself:
    /// each end's pointer names the other, and `ndo_uninit` clears both
    /// when either end unregisters, however it goes (dellink, error path,
    /// namespace teardown), so no pointer can outlive its device.
    pub(crate) fn link_peers(a: &Device<D>, b: &Device<D>, rtnl: &Rtnl) -> Result {
        if a.as_raw() == b.as_raw() || a.peer_rtnl(rtnl).is_some() || b.peer_rtnl(rtnl).is_some() {
            return Err(EBUSY);
        }
        D::peer(a.data()).set(b);
        D::peer(b.data()).set(a);
        Ok(())
    }

    /// Clears this end's link and the peer's link back to it (`ndo_uninit`).
    fn unlink(&self, rtnl: &Rtnl) {
        if let Some(p) = self.peer_rtnl(rtnl) {
            let back = D::peer(p.data());
            if back.0.load(Ordering::Acquire) == self.as_raw() {
                back.clear();
            }
        }
        D::peer(self.data()).clear();
    }
}

/// The peer pointer of one end of a pair.
///
/// # Invariants
///
/// Null, or points to a registered device driven by `D`. The abstraction
/// clears both ends' pointers in `dellink` before queueing both devices for
/// unregistration under rtnl; the core frees an unregistered device only after
/// an RCU grace period and after rtnl is released, so a pointer read under an
/// RCU guard or under rtnl stays valid for that section.
pub(crate) struct PeerPtr<D: Driver>(AtomicPtr<b::net_device>, PhantomData<D>);

impl<D: Driver> PeerPtr<D> {
    /// An unlinked end.
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(ptr::null_mut()), PhantomData)
    }

    /// `rcu_dereference()`.
    #[inline]
    pub(crate) fn get<'g>(&self, _guard: &'g rcu::Guard) -> Option<&'g Device<D>> {
        // Acquire pairs with the Release in `set` (rcu_assign_pointer).
        let p = self.0.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: by the type invariant a non-null pointer is a registered
        // `D` device that stays valid for the RCU read section.
        Some(unsafe { Device::from_raw(p) })
    }

    /// `rtnl_dereference()`.
    pub(crate) fn get_rtnl<'r>(&self, _rtnl: &'r Rtnl) -> Option<&'r Device<D>> {
        let p = self.0.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: by the type invariant; rtnl is held for `'r`, so the
        // device cannot be unregistered and freed meanwhile.
        Some(unsafe { Device::from_raw(p) })
    }

    fn set(&self, dev: &Device<D>) {
        // INVARIANT: `dev` is a registered `D` device.
        self.0.store(dev.as_raw(), Ordering::Release);
    }

    pub(super) fn clear(&self) {
        // INVARIANT: null is always allowed.
        self.0.store(ptr::null_mut(), Ordering::Release);
    }
}

/// A network namespace (`struct net`).
#[repr(transparent)]
pub(crate) struct Net(Opaque<b::net>);

impl Net {
    /// # Safety
    ///
    /// `ptr` must be a valid namespace for the returned lifetime.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut b::net) -> &'a Self {
        // SAFETY: transparent wrapper; validity per the caller.
        unsafe { &*ptr.cast() }
    }

    /// Raw pointer for abstraction code.
    pub(crate) fn as_raw(&self) -> *mut b::net {
        self.0.get()
    }

    /// The `D` device with `ifindex` in this namespace, if there is one
    /// (`dev_get_by_index_rcu`); valid while the RCU guard is held.
    pub(crate) fn device_rcu<'g, D: Driver>(
        &self,
        ifindex: i32,
        _guard: &'g rcu::Guard,
    ) -> Option<&'g Device<D>> {
        // SAFETY: RCU read side held by the guard; the namespace is valid.
        let p = unsafe { b::dev_get_by_index_rcu(self.as_raw(), ifindex) };
        // SAFETY: `p` is NULL or a device listed in the namespace, valid
        // under the guard.
        unsafe { Device::<D>::of_kind(p) }
    }

    /// The `D` device with `ifindex` in this namespace, if there is one
    /// (`__dev_get_by_index`); valid while rtnl is held.
    pub(crate) fn device_rtnl<'r, D: Driver>(
        &self,
        ifindex: i32,
        _rtnl: &'r Rtnl,
    ) -> Option<&'r Device<D>> {
        // SAFETY: rtnl held (the token); the namespace is valid.
        let p = unsafe { b::__dev_get_by_index(self.as_raw(), ifindex) };
        // SAFETY: `p` is NULL or a registered device of the namespace; it
        // cannot be unregistered while rtnl is held.
        unsafe { Device::<D>::of_kind(p) }
    }

    /// The first `D` device with an ifindex of at least `from`, and its
    /// ifindex, in ifindex order (for dumps).
    pub(crate) fn next_device_rcu<'g, D: Driver>(
        &self,
        mut from: u64,
        _guard: &'g rcu::Guard,
    ) -> Option<(u64, &'g Device<D>)> {
        loop {
            let mut idx = kernel::ffi::c_ulong::try_from(from).ok()?;
            // SAFETY: RCU read side held by the guard (xa_find takes it
            // again internally); the namespace is valid.
            let p = unsafe { b::rvnet_netdev_find_from(self.as_raw(), &mut idx) };
            if p.is_null() {
                return None;
            }
            // SAFETY: a listed device, valid under the guard.
            if let Some(d) = unsafe { Device::<D>::of_kind(p) } {
                return Some((idx as u64, d));
            }
            from = (idx as u64).checked_add(1)?;
        }
    }
}

impl<D: Driver> Device<D> {
    /// `p` as a `D` device if its link kind is `D::KIND` (compared by
    /// pointer: the kind string is ours, so no other driver's device
    /// matches).
    ///
    /// # Safety
    ///
    /// `p` must be NULL or a registered device valid for `'g`.
    pub(super) unsafe fn of_kind<'g>(p: *mut b::net_device) -> Option<&'g Self> {
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` is valid per the caller; rtnl_link_ops is set before
        // registration and never changes.
        let ops = unsafe { (*p).rtnl_link_ops };
        // SAFETY: a non-NULL ops table is a registered, live link type.
        if ops.is_null() || unsafe { (*ops).kind }.cast() != D::KIND.as_char_ptr() {
            return None;
        }
        // SAFETY: registered (so ndo_init succeeded) device of our kind,
        // valid for 'g per the caller.
        Some(unsafe { Device::from_raw(p) })
    }

    /// The device name (`dev->name`, NUL-padded).
    pub(crate) fn name(&self) -> [u8; b::IFNAMSIZ as usize] {
        // SAFETY: the device is valid; the name is a fixed array (renames
        // under rtnl may race, giving an old or new name).
        unsafe { (*self.as_raw()).name }
    }
}

/// `netdev_priv()`: the private area, NETDEV_PRIV_OFFSET bytes after the
/// `net_device`, in the same allocation (`alloc_netdev_mqs`). The offset is
/// checked against the C side at build and load time (`layout`), so the
/// datapath needs no call into the shim for it.
#[inline]
fn priv_area<D: Driver>(dev: *mut b::net_device) -> *mut Priv<D> {
    dev.cast::<u8>()
        .wrapping_add(super::layout::NETDEV_PRIV_OFFSET)
        .cast::<Priv<D>>()
}

/// What `netdev_priv()` holds: the abstraction's per-device state, then the
/// driver's data.
pub(super) struct Priv<D: Driver> {
    /// One completion right per allocated tx queue ([`Device::bql_completer`]).
    completing: KVec<AtomicBool>,
    /// The driver's data ([`Device::data`]).
    data: D::Data,
}

/// Device features (`NETIF_F_*`), built from the kernel's bit numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Features(u64);

macro_rules! features {
    ($($name:ident = $bit:ident,)*) => {
        impl Features {
            $(
                #[doc = concat!("`NETIF_F_", stringify!($name), "`")]
                pub(crate) const $name: Features = Features(1u64 << b::$bit);
            )*
        }
    };
}

features! {
    SG = NETIF_F_SG_BIT,
    FRAGLIST = NETIF_F_FRAGLIST_BIT,
    HW_CSUM = NETIF_F_HW_CSUM_BIT,
    RXCSUM = NETIF_F_RXCSUM_BIT,
    SCTP_CRC = NETIF_F_SCTP_CRC_BIT,
    HIGHDMA = NETIF_F_HIGHDMA_BIT,
    TSO = NETIF_F_TSO_BIT,
    TSO6 = NETIF_F_TSO6_BIT,
    TSO_ECN = NETIF_F_TSO_ECN_BIT,
    TSO_MANGLEID = NETIF_F_TSO_MANGLEID_BIT,
    GSO_SCTP = NETIF_F_GSO_SCTP_BIT,
    GSO_UDP_L4 = NETIF_F_GSO_UDP_L4_BIT,
    GSO_FRAGLIST = NETIF_F_GSO_FRAGLIST_BIT,
    GSO_ENCAP_ALL_GRE = NETIF_F_GSO_GRE_BIT,
    GSO_UDP_TUNNEL = NETIF_F_GSO_UDP_TUNNEL_BIT,
    HW_VLAN_CTAG_TX = NETIF_F_HW_VLAN_CTAG_TX_BIT,
    HW_VLAN_STAG_TX = NETIF_F_HW_VLAN_STAG_TX_BIT,
    HW_VLAN_CTAG_RX = NETIF_F_HW_VLAN_CTAG_RX_BIT,
    HW_VLAN_STAG_RX = NETIF_F_HW_VLAN_STAG_RX_BIT,
    GRO = NETIF_F_GRO_BIT,
}

impl Features {
    /// The features of `self` that are not in `other`.
    pub(crate) const fn without(self, other: Features) -> Features {
        Features(self.0 & !other.0)
    }

    /// `NETIF_F_GSO_SOFTWARE`: every segmentation the stack can do in software.
    pub(crate) const GSO_SOFTWARE: Features = Self::TSO
        .or(Self::TSO6)
        .or(Self::TSO_ECN)
        .or(Self::TSO_MANGLEID)
        .or(Self::GSO_SCTP)
        .or(Self::GSO_UDP_L4)
        .or(Self::GSO_FRAGLIST);

    /// Union.
    pub(crate) const fn or(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }
}

/// A device being configured by the `setup` callback, before registration.
pub(crate) struct SetupDevice<'a>(&'a Opaque<b::net_device>);

impl SetupDevice<'_> {
    fn raw(&self) -> *mut b::net_device {
        self.0.get()
    }

    /// `ether_setup()`: Ethernet defaults (type, MTU 1500, broadcast, ...).
    pub(crate) fn ether_setup(&self) {
        // SAFETY: the device is being set up and not yet visible.
        unsafe { b::ether_setup(self.raw()) }
    }

    /// Sets the valid MTU range.
    pub(crate) fn set_mtu_range(&self, min: u32, max: u32) {
        // SAFETY: exclusive access during setup.
        unsafe {
            (*self.raw()).min_mtu = min;
            (*self.raw()).max_mtu = max;
        }
    }

    /// Sets active, user-changeable and VLAN/encapsulation features.
    pub(crate) fn set_features(&self, features: Features, hw: Features, extra: Features) {
        // SAFETY: exclusive access during setup.
        unsafe {
            let d = self.raw();
            (*d).features |= features.0;
            (*d).hw_features |= hw.0;
            (*d).hw_enc_features |= extra.0;
            (*d).vlan_features |= extra.0;
        }
    }

    /// The device may change its MAC address while up, and tx skbs are never
    /// shared (pktgen `clone_skb` must not be used with a ring that keeps them).
    pub(crate) fn set_live_addr_change_no_tx_sharing(&self) {
        // SAFETY: exclusive access during setup.
        unsafe {
            let d = self.raw();
            let flags = b::rvnet_netdev_priv_flags(d);
            let flags = (flags
                & !(b::netdev_priv_flags_IFF_TX_SKB_SHARING as kernel::ffi::c_ulong))
                | b::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE as kernel::ffi::c_ulong;
            b::rvnet_netdev_set_priv_flags(d, flags);
        }
    }
}

/// Proof of running in `ndo_uninit` of an unregistering device: the core
/// calls `synchronize_net()` after every `ndo_uninit` of a batch and before
/// freeing, so objects unpublished here may be freed without waiting again.
/// Only the `ndo_uninit` trampoline can create one (private field).
pub(crate) struct Uninit(());

/// A device inside `ndo_init`: allocated, not yet visible, no private data.
pub(crate) struct InitDevice<'a>(&'a Opaque<b::net_device>);

impl InitDevice<'_> {
    /// Raw pointer for abstraction code (NAPI registration).
    pub(crate) fn as_raw(&self) -> *mut b::net_device {
        self.0.get()
    }

    /// Number of allocated rx queues.
    pub(crate) fn num_rx_queues(&self) -> u32 {
        // SAFETY: the device is valid; fixed at allocation.
        unsafe { (*self.as_raw()).num_rx_queues }
    }

    /// Number of allocated tx queues.
    pub(crate) fn num_tx_queues(&self) -> u32 {
        // SAFETY: the device is valid; fixed at allocation.
        unsafe { (*self.as_raw()).num_tx_queues }
    }
}

/// The `net_device_ops` table and trampolines for `D`.
pub(crate) struct Ops<D: Driver>(PhantomData<D>);

impl<D: super::ethtool::Ethtool> Ops<D> {
    const NETDEV_OPS: b::net_device_ops = b::net_device_ops {
        ndo_init: Some(Self::ndo_init),
        ndo_uninit: Some(Self::ndo_uninit),
        ndo_open: Some(Self::ndo_open),
        ndo_stop: Some(Self::ndo_stop),
        ndo_start_xmit: Some(Self::ndo_start_xmit),
        ndo_get_stats64: Some(Self::ndo_get_stats64),
        ndo_set_mac_address: Some(b::eth_mac_addr),
        ndo_validate_addr: Some(b::eth_validate_addr),
        ndo_get_iflink: Some(Self::ndo_get_iflink),
        ndo_tx_timeout: Some(Self::ndo_tx_timeout),
        ndo_bpf: Some(Self::ndo_bpf),
        ndo_fix_features: Some(Self::ndo_fix_features),
        ndo_xdp_xmit: Some(Self::ndo_xdp_xmit),
        // Every other operation keeps the core's default (NULL).
        // SAFETY: all-zero is a valid `net_device_ops` (all members are
        // nullable function pointers).
        ..unsafe { core::mem::zeroed() }
    };

    const STAT_OPS: b::netdev_stat_ops = b::netdev_stat_ops {
        get_queue_stats_rx: Some(Self::get_queue_stats_rx),
        get_queue_stats_tx: Some(Self::get_queue_stats_tx),
        get_base_stats: Some(Self::get_base_stats),
    };

    /// `netdev_stat_ops.get_queue_stats_rx` trampoline.
    ///
    /// # Safety
    ///
    /// Called by netdev-genl under rtnl for a registered device of kind `D`
    /// with a valid stats struct (pre-filled with "not reported" markers).
    unsafe extern "C" fn get_queue_stats_rx(
        dev: *mut b::net_device,
        idx: core::ffi::c_int,
        out: *mut b::netdev_queue_stats_rx,
    ) {
        // SAFETY: per the function contract.
        let (d, o) = unsafe { (Device::<D>::from_raw(dev), &mut *out) };
        let s = D::queue_stats_rx(d, u32::try_from(idx).unwrap_or(0));
        o.packets = s.packets;
        o.bytes = s.bytes;
    }

    /// `netdev_stat_ops.get_queue_stats_tx` trampoline.
    ///
    /// # Safety
    ///
    /// As for `get_queue_stats_rx`.
    unsafe extern "C" fn get_queue_stats_tx(
        dev: *mut b::net_device,
        idx: core::ffi::c_int,
        out: *mut b::netdev_queue_stats_tx,
    ) {
        // SAFETY: per the function contract.
        let (d, o) = unsafe { (Device::<D>::from_raw(dev), &mut *out) };
        let s = D::queue_stats_tx(d, u32::try_from(idx).unwrap_or(0));
        o.packets = s.packets;
        o.bytes = s.bytes;
        o.stop = s.stop;
        o.wake = s.wake;
    }

    /// `netdev_stat_ops.get_base_stats` trampoline.
    ///
    /// # Safety
    ///
    /// As for `get_queue_stats_rx`, with valid rx and tx structs.
    unsafe extern "C" fn get_base_stats(
        dev: *mut b::net_device,
        rx: *mut b::netdev_queue_stats_rx,
        tx: *mut b::netdev_queue_stats_tx,
    ) {
        // SAFETY: per the function contract.
        let (d, r, t) = unsafe { (Device::<D>::from_raw(dev), &mut *rx, &mut *tx) };
        let (sr, st) = D::base_stats(d);
        r.packets = sr.packets;
        r.bytes = sr.bytes;
        t.packets = st.packets;
        t.bytes = st.bytes;
        t.stop = st.stop;
        t.wake = st.wake;
    }

    /// The `setup` callback of the link ops.
    ///
    /// # Safety
    ///
    /// Called by `alloc_netdev_mqs()` with a fresh, unpublished device.
    pub(super) unsafe extern "C" fn setup(dev: *mut b::net_device) {
        // SAFETY: per the function contract we have exclusive access.
        let sd = SetupDevice(unsafe { &*dev.cast::<Opaque<b::net_device>>() });
        // SAFETY: exclusive access; the ops table is a promoted constant with
        // 'static lifetime; priv_destructor drops what ndo_init wrote.
        unsafe {
            (*dev).netdev_ops = &Self::NETDEV_OPS;
            (*dev).ethtool_ops = &super::ethtool::Ops::<D>::ETHTOOL_OPS;
            (*dev).stat_ops = &Self::STAT_OPS;
            (*dev).needs_free_netdev = true;
            (*dev).priv_destructor = Some(Self::priv_destructor);
        }
        D::setup(&sd);
    }

    /// `ndo_init` trampoline.
    ///
    /// # Safety
    ///
    /// Called by `register_netdevice()` under rtnl with a device allocated
    /// with `D`'s link ops whose private area is zeroed and uninitialised.
    unsafe extern "C" fn ndo_init(dev: *mut b::net_device) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: ndo_init runs under rtnl from register_netdevice().
            let rtnl = unsafe { Rtnl::assume_held() };
            // SAFETY: register_netdevice() holds the device exclusively.
            let d = InitDevice(unsafe { &*dev.cast::<Opaque<b::net_device>>() });
            let n = d.num_tx_queues() as usize;
            let mut completing = KVec::with_capacity(n, GFP_KERNEL)?;
            for _ in 0..n {
                completing.push(AtomicBool::new(false), GFP_KERNEL)?;
            }
            let data = D::init(&d, &rtnl)?;
            // SAFETY: netdev_priv() is an area of `priv_size` bytes reserved
            // for `Priv<D>`, aligned to NETDEV_ALIGN (checked at build time in
            // `rtnl::Registration`), and not yet initialised.
            unsafe { priv_area::<D>(dev).write(Priv { completing, data }) };
            Ok(0)
        })
    }

    /// `ndo_uninit` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core under rtnl for a device of kind `D` whose
    /// `ndo_init` succeeded, from `unregister_netdevice_many()` (which calls
    /// `synchronize_net()` afterwards) or from the `register_netdevice()`
    /// error path (the device was never visible).
    unsafe extern "C" fn ndo_uninit(dev: *mut b::net_device) {
        let token = Uninit(());
        // SAFETY: ndo_uninit runs under rtnl.
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: ndo_init succeeded, so the private data exists.
        let d = unsafe { Device::<D>::from_raw(dev) };
        // INVARIANT (PeerPtr): no pointer to this device survives its
        // unregistration; the core's synchronize_net() after ndo_uninit
        // lets RCU readers that still hold it finish before the free.
        d.unlink(&rtnl);
        D::uninit(d, &token);
    }

    /// `priv_destructor` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core once, for a device whose `ndo_init` succeeded, after
    /// its last user is gone.
    unsafe extern "C" fn priv_destructor(dev: *mut b::net_device) {
        // SAFETY: the core calls priv_destructor once, only for devices whose
        // ndo_init succeeded, after the last user is gone.
        unsafe { ptr::drop_in_place(priv_area::<D>(dev)) }
    }

    /// `ndo_open` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core under rtnl for a registered device of kind `D`.
    unsafe extern "C" fn ndo_open(dev: *mut b::net_device) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: ndo_open runs under rtnl on a registered device.
            let rtnl = unsafe { Rtnl::assume_held() };
            // SAFETY: registered, so ndo_init succeeded.
            D::open(unsafe { Device::from_raw(dev) }, &rtnl)?;
            Ok(0)
        })
    }

    /// `ndo_stop` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core under rtnl for an open device of kind `D`.
    unsafe extern "C" fn ndo_stop(dev: *mut b::net_device) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: ndo_stop runs under rtnl on a registered device.
            let rtnl = unsafe { Rtnl::assume_held() };
            // SAFETY: registered, so ndo_init succeeded.
            D::stop(unsafe { Device::from_raw(dev) }, &rtnl)?;
            Ok(0)
        })
    }

    /// `ndo_start_xmit` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core with BH disabled and the tx queue lock held, for an
    /// open device of kind `D`, with an skb whose ownership it transfers.
    unsafe extern "C" fn ndo_start_xmit(
        skb: *mut b::sk_buff,
        dev: *mut b::net_device,
    ) -> b::netdev_tx_t {
        let orig = skb;
        // SAFETY: the core hands ndo_start_xmit an owned skb.
        let Some(skb) = (unsafe { SkBuff::from_raw(skb) }) else {
            return b::netdev_tx_NETDEV_TX_OK;
        };
        // SAFETY: transmit only happens on registered, open devices.
        let d = unsafe { Device::<D>::from_raw(dev) };
        // The core picked the queue, recorded it in the skb and holds its
        // lock (dev_hard_start_xmit after HARD_TX_LOCK).
        let index = skb.queue_mapping();
        let Some(txq) = d.tx_queue(index) else {
            // Never happens: the core maps below real_num_tx_queues.
            skb.drop_with(super::skb::DropReason::DevReady);
            return b::netdev_tx_NETDEV_TX_OK;
        };
        // SAFETY: we are in ndo_start_xmit for `txq` (see above).
        let xq = unsafe { XmitQueue::new(txq, index) };
        match D::start_xmit(d, skb, &xq) {
            TxOutcome::Ok => b::netdev_tx_NETDEV_TX_OK,
            TxOutcome::Busy(skb) if skb.as_raw() == orig => {
                // Ownership returns to the qdisc layer, which requeues it.
                let _ = skb.into_raw();
                b::netdev_tx_NETDEV_TX_BUSY
            }
            TxOutcome::Busy(other) => {
                // Not the skb the core handed in: the core would requeue a
                // pointer the driver no longer owns. The driver used the
                // original up somewhere, so report it sent and free the
                // stray one on the bug path (counted, WARNs once).
                drop(other);
                b::netdev_tx_NETDEV_TX_OK
            }
        }
    }

    /// `ndo_tx_timeout` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the tx watchdog (`dev_watchdog`, timer context, the
    /// device's tx lock held) for a registered device of kind `D`.
    unsafe extern "C" fn ndo_tx_timeout(dev: *mut b::net_device, txqueue: core::ffi::c_uint) {
        // SAFETY: registered device of our kind.
        let d = unsafe { Device::<D>::from_raw(dev) };
        if let Ok(i) = u16::try_from(txqueue) {
            D::tx_timeout(d, i);
        }
    }

    /// `ndo_get_stats64` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core for a registered device of kind `D` with a valid,
    /// zeroed `rtnl_link_stats64`.
    unsafe extern "C" fn ndo_get_stats64(dev: *mut b::net_device, out: *mut b::rtnl_link_stats64) {
        // SAFETY: per the function contract.
        let s = D::get_stats64(unsafe { Device::from_raw(dev) });
        // SAFETY: `out` is valid for writes per the function contract.
        let o = unsafe { &mut *out };
        o.rx_packets = s.rx_packets;
        o.rx_bytes = s.rx_bytes;
        o.rx_dropped = s.rx_dropped;
        o.tx_packets = s.tx_packets;
        o.tx_bytes = s.tx_bytes;
        o.tx_dropped = s.tx_dropped;
    }

    /// `ndo_bpf` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core under rtnl for a registered device of kind `D`
    /// with a valid request.
    unsafe extern "C" fn ndo_bpf(
        dev: *mut b::net_device,
        bpf: *mut b::netdev_bpf,
    ) -> core::ffi::c_int {
        // SAFETY: ndo_bpf runs under rtnl (dev_xdp_install).
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: registered device of our kind.
        let d = unsafe { Device::<D>::from_raw(dev) };
        // SAFETY: valid ndo_bpf request under rtnl.
        let Ok((prog, core_ref)) = (unsafe { super::xdp::setup_prog(bpf) }) else {
            return EINVAL.to_errno();
        };
        // SAFETY: valid request; the extack pointer is read only.
        let extack = unsafe { b::rvnet_netdev_bpf_extack(bpf) };
        match D::xdp_setup(d, prog, &rtnl) {
            Ok(()) => {
                core_ref.finish(true);
                0
            }
            Err(e) => {
                super::rtnl::set_extack(extack, e.msg);
                core_ref.finish(false);
                e.err.to_errno()
            }
        }
    }

    /// `ndo_xdp_xmit` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core (a redirect flush: softirq, BH disabled, RCU
    /// read side) for a registered device of kind `D`, lending the `n`
    /// valid frames of `frames`; the core frees those past the count
    /// returned.
    unsafe extern "C" fn ndo_xdp_xmit(
        dev: *mut b::net_device,
        n: core::ffi::c_int,
        frames: *mut *mut b::xdp_frame,
        flags: u32,
    ) -> core::ffi::c_int {
        if flags & !super::xdp::XMIT_FLAGS_MASK != 0 {
            return EINVAL.to_errno();
        }
        let Ok(n) = usize::try_from(n) else {
            return EINVAL.to_errno();
        };
        // SAFETY: registered device of our kind.
        let d = unsafe { Device::<D>::from_raw(dev) };
        // SAFETY: the core lends frames[0..n] and treats the first `sent`
        // (returned below) as ours.
        let mut batch = unsafe { super::xdp::FrameBatch::from_raw(frames, n) };
        let res = D::xdp_xmit(d, &mut batch, flags & super::xdp::XMIT_FLUSH != 0);
        // Frames taken are ours whatever the driver said: never report
        // fewer, or the core would free them a second time.
        match (res, batch.sent()) {
            (Err(e), 0) => e.to_errno(),
            // sent <= n <= i32::MAX.
            (_, sent) => sent as core::ffi::c_int,
        }
    }

    /// `ndo_fix_features` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core under rtnl (`__netdev_update_features`) for a
    /// registered device of kind `D`.
    unsafe extern "C" fn ndo_fix_features(dev: *mut b::net_device, features: u64) -> u64 {
        // SAFETY: ndo_fix_features runs under rtnl.
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: registered device of our kind.
        let d = unsafe { Device::<D>::from_raw(dev) };
        D::fix_features(d, Features(features), &rtnl).0
    }

    /// `ndo_get_iflink` trampoline.
    ///
    /// # Safety
    ///
    /// Called by the core for a registered device of kind `D`.
    unsafe extern "C" fn ndo_get_iflink(dev: *const b::net_device) -> core::ffi::c_int {
        let guard = rcu::Guard::new();
        // SAFETY: called on registered devices only (rtnl fill or sysfs).
        let d = unsafe { Device::<D>::from_raw(dev.cast_mut()) };
        d.peer(&guard).map_or(0, |p| p.ifindex())
    }
}

/// Converts an errno return into `Result` (for sibling modules).
pub(super) fn check(ret: core::ffi::c_int) -> Result {
    to_result(ret)
}
