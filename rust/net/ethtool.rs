// SPDX-License-Identifier: GPL-2.0

//! ethtool operations (`include/linux/ethtool.h`).
//!
//! The driver describes its statistics once, with [`StatsSink::put`]; the
//! abstraction runs that description to count, to name and to fill, so that
//! `ethtool -S` names and values can never disagree or overflow the buffer
//! the core sized from the count.

use super::bindings as b;
use super::device::{Device, Driver};
use super::rtnl::{set_extack, Rtnl};
use core::fmt::{self, Write};
use core::marker::PhantomData;
use kernel::error::from_result;
use kernel::prelude::*;

/// `ETH_GSTRING_LEN`.
const GSTRING_LEN: usize = 32;
/// `ETH_SS_STATS`.
const SS_STATS: i32 = 1;
/// `ETHTOOL_COALESCE_TX_USECS` (`BIT(4)`: bindgen cannot evaluate `BIT()`).
const COALESCE_TX_USECS: u32 = 1 << 4;
/// `ETHTOOL_COALESCE_TX_MAX_FRAMES` (`BIT(5)`).
const COALESCE_TX_MAX_FRAMES: u32 = 1 << 5;

/// The transmit coalescing parameters a driver supports (`ethtool -c`).
#[derive(Clone, Copy)]
pub(crate) struct TxCoalesce {
    /// `tx-usecs`.
    pub(crate) usecs: u32,
    /// `tx-frames`.
    pub(crate) frames: u32,
}

/// Ring sizes (`ethtool -g`).
pub(crate) struct RingParams {
    /// Largest rx ring.
    pub(crate) rx_max: u32,
    /// Current rx ring.
    pub(crate) rx: u32,
}

/// Channel counts (`ethtool -l`).
pub(crate) struct Channels {
    /// Allocated rx queues.
    pub(crate) max_rx: u32,
    /// Allocated tx queues.
    pub(crate) max_tx: u32,
    /// Active rx queues.
    pub(crate) rx: u32,
    /// Active tx queues.
    pub(crate) tx: u32,
}

/// An error with an extack message.
pub(crate) struct ExtError {
    /// The errno.
    pub(crate) err: Error,
    /// The message for `NL_SET_ERR_MSG`.
    pub(crate) msg: &'static core::ffi::CStr,
}

/// ethtool support of a pair driver.
pub(crate) trait Ethtool: Driver {
    /// Driver name (`ethtool -i`).
    const DRIVER: &'static str;
    /// Driver version (`ethtool -i`).
    const VERSION: &'static str;

    /// Current and maximum ring sizes.
    fn ring(dev: &Device<Self>) -> RingParams;
    /// Sets the rx ring size; the core already checked it against the max.
    fn set_ring(dev: &Device<Self>, rx: u32, rtnl: &Rtnl) -> core::result::Result<(), ExtError>;
    /// Channel counts.
    fn channels(dev: &Device<Self>) -> Channels;
    /// Sets the active queue counts; the core already checked the maxima.
    fn set_channels(dev: &Device<Self>, rx: u32, tx: u32, rtnl: &Rtnl) -> Result;
    /// Describes every `ethtool -S` counter, in a fixed order.
    fn stats(dev: &Device<Self>, sink: &mut StatsSink<'_>);
    /// Transmit coalescing (`ethtool -c`: `tx-usecs`, `tx-frames`), the
    /// only coalescing parameters supported.
    fn tx_coalesce(dev: &Device<Self>) -> TxCoalesce;
    /// Sets both (`ethtool -C DEV tx-usecs N tx-frames M`; the core passes
    /// the current value of the one not given, and refuses every other
    /// parameter before calling). Changes nothing when it fails.
    fn set_tx_coalesce(
        dev: &Device<Self>,
        c: TxCoalesce,
        rtnl: &Rtnl,
    ) -> core::result::Result<(), ExtError>;
}

enum Mode {
    Count,
    Strings(*mut u8),
    Values(*mut u64),
}

/// Receives the driver's statistics, one `put` per counter.
pub(crate) struct StatsSink<'a> {
    mode: Mode,
    index: usize,
    limit: usize,
    _p: PhantomData<&'a mut ()>,
}

/// Formats into a fixed ethtool string slot, truncating.
struct Slot<'a> {
    buf: &'a mut [u8; GSTRING_LEN],
    len: usize,
}

impl Write for Slot<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &c in s.as_bytes() {
            // Keep one byte for the NUL terminator.
            if self.len + 1 < GSTRING_LEN {
                if let Some(slot) = self.buf.get_mut(self.len) {
                    *slot = c;
                }
                self.len += 1;
            }
        }
        Ok(())
    }
}

impl StatsSink<'_> {
    /// One counter: its name (formatted, at most 31 bytes) and value.
    pub(crate) fn put(&mut self, name: fmt::Arguments<'_>, value: u64) {
        let i = self.index;
        self.index += 1;
        if i >= self.limit {
            return;
        }
        match self.mode {
            Mode::Count => {}
            Mode::Strings(p) => {
                // SAFETY: the core allocated `limit` (== count) slots of
                // GSTRING_LEN bytes at `p`, and `i < limit`.
                let buf = unsafe { &mut *p.add(i * GSTRING_LEN).cast::<[u8; GSTRING_LEN]>() };
                *buf = [0; GSTRING_LEN];
                let mut slot = Slot { buf, len: 0 };
                let _ = slot.write_fmt(name);
            }
            Mode::Values(p) => {
                // SAFETY: the core allocated `limit` u64 values at `p`, and
                // `i < limit`.
                unsafe { p.add(i).write(value) };
            }
        }
    }
}

/// The `ethtool_ops` table and trampolines for `D`.
pub(crate) struct Ops<D: Ethtool>(PhantomData<D>);

impl<D: Ethtool> Ops<D> {
    pub(crate) const ETHTOOL_OPS: b::ethtool_ops = b::ethtool_ops {
        get_drvinfo: Some(Self::get_drvinfo),
        get_link: Some(b::ethtool_op_get_link),
        get_ringparam: Some(Self::get_ringparam),
        set_ringparam: Some(Self::set_ringparam),
        get_channels: Some(Self::get_channels),
        set_channels: Some(Self::set_channels),
        get_sset_count: Some(Self::get_sset_count),
        get_strings: Some(Self::get_strings),
        get_ethtool_stats: Some(Self::get_ethtool_stats),
        supported_coalesce_params: COALESCE_TX_USECS | COALESCE_TX_MAX_FRAMES,
        get_coalesce: Some(Self::get_coalesce),
        set_coalesce: Some(Self::set_coalesce),
        // Every other operation is unsupported (NULL).
        // SAFETY: all-zero is a valid `ethtool_ops` (nullable pointers and
        // zero capability masks).
        ..unsafe { core::mem::zeroed() }
    };

    fn count(dev: &Device<D>) -> usize {
        let mut s = StatsSink {
            mode: Mode::Count,
            index: 0,
            limit: 0,
            _p: PhantomData,
        };
        D::stats(dev, &mut s);
        s.index
    }

    /// # Safety
    ///
    /// Called by the ethtool core for a registered device of kind `D` with a
    /// valid `ethtool_drvinfo`.
    unsafe extern "C" fn get_drvinfo(_dev: *mut b::net_device, info: *mut b::ethtool_drvinfo) {
        // SAFETY: per the function contract.
        let info = unsafe { &mut *info };
        copy_str(&mut info.driver, D::DRIVER);
        copy_str(&mut info.version, D::VERSION);
    }

    /// # Safety
    ///
    /// Called by the ethtool core under rtnl for a registered device of kind
    /// `D` with valid parameter structs.
    unsafe extern "C" fn get_ringparam(
        dev: *mut b::net_device,
        ring: *mut b::ethtool_ringparam,
        _kring: *mut b::kernel_ethtool_ringparam,
        _extack: *mut b::netlink_ext_ack,
    ) {
        // SAFETY: per the function contract.
        let (d, ring) = unsafe { (Device::<D>::from_raw(dev), &mut *ring) };
        let r = D::ring(d);
        ring.rx_max_pending = r.rx_max;
        ring.rx_pending = r.rx;
    }

    /// # Safety
    ///
    /// As for `get_ringparam`.
    unsafe extern "C" fn set_ringparam(
        dev: *mut b::net_device,
        ring: *mut b::ethtool_ringparam,
        _kring: *mut b::kernel_ethtool_ringparam,
        extack: *mut b::netlink_ext_ack,
    ) -> core::ffi::c_int {
        // SAFETY: ethtool ops run under rtnl.
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: per the function contract.
        let (d, ring) = unsafe { (Device::<D>::from_raw(dev), &*ring) };
        match D::set_ring(d, ring.rx_pending, &rtnl) {
            Ok(()) => 0,
            Err(e) => {
                set_extack(extack, e.msg);
                e.err.to_errno()
            }
        }
    }

    /// # Safety
    ///
    /// As for `get_ringparam`, with a valid `ethtool_coalesce`.
    unsafe extern "C" fn get_coalesce(
        dev: *mut b::net_device,
        ec: *mut b::ethtool_coalesce,
        _kec: *mut b::kernel_ethtool_coalesce,
        _extack: *mut b::netlink_ext_ack,
    ) -> core::ffi::c_int {
        // SAFETY: per the function contract.
        let (d, ec) = unsafe { (Device::<D>::from_raw(dev), &mut *ec) };
        let c = D::tx_coalesce(d);
        ec.tx_coalesce_usecs = c.usecs;
        ec.tx_max_coalesced_frames = c.frames;
        0
    }

    /// # Safety
    ///
    /// As for `get_coalesce`.
    unsafe extern "C" fn set_coalesce(
        dev: *mut b::net_device,
        ec: *mut b::ethtool_coalesce,
        _kec: *mut b::kernel_ethtool_coalesce,
        extack: *mut b::netlink_ext_ack,
    ) -> core::ffi::c_int {
        // SAFETY: ethtool ops run under rtnl.
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: per the function contract.
        let (d, ec) = unsafe { (Device::<D>::from_raw(dev), &*ec) };
        let c = TxCoalesce {
            usecs: ec.tx_coalesce_usecs,
            frames: ec.tx_max_coalesced_frames,
        };
        match D::set_tx_coalesce(d, c, &rtnl) {
            Ok(()) => 0,
            Err(e) => {
                set_extack(extack, e.msg);
                e.err.to_errno()
            }
        }
    }

    /// # Safety
    ///
    /// As for `get_ringparam`.
    unsafe extern "C" fn get_channels(dev: *mut b::net_device, ch: *mut b::ethtool_channels) {
        // SAFETY: per the function contract.
        let (d, ch) = unsafe { (Device::<D>::from_raw(dev), &mut *ch) };
        let c = D::channels(d);
        ch.max_rx = c.max_rx;
        ch.max_tx = c.max_tx;
        ch.rx_count = c.rx;
        ch.tx_count = c.tx;
    }

    /// # Safety
    ///
    /// As for `get_ringparam`.
    unsafe extern "C" fn set_channels(
        dev: *mut b::net_device,
        ch: *mut b::ethtool_channels,
    ) -> core::ffi::c_int {
        from_result(|| {
            // SAFETY: ethtool ops run under rtnl.
            let rtnl = unsafe { Rtnl::assume_held() };
            // SAFETY: per the function contract.
            let (d, ch) = unsafe { (Device::<D>::from_raw(dev), &*ch) };
            if ch.combined_count != 0 || ch.other_count != 0 {
                return Err(EINVAL);
            }
            D::set_channels(d, ch.rx_count, ch.tx_count, &rtnl)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the ethtool core for a registered device of kind `D`.
    unsafe extern "C" fn get_sset_count(
        dev: *mut b::net_device,
        sset: core::ffi::c_int,
    ) -> core::ffi::c_int {
        if sset != SS_STATS {
            return -(b::EOPNOTSUPP as core::ffi::c_int);
        }
        // SAFETY: per the function contract.
        let n = Self::count(unsafe { Device::<D>::from_raw(dev) });
        i32::try_from(n).unwrap_or(0)
    }

    /// # Safety
    ///
    /// Called by the ethtool core with a buffer of `get_sset_count()` strings.
    unsafe extern "C" fn get_strings(dev: *mut b::net_device, sset: u32, data: *mut u8) {
        if sset != SS_STATS as u32 || data.is_null() {
            return;
        }
        // SAFETY: per the function contract.
        let d = unsafe { Device::<D>::from_raw(dev) };
        let mut s = StatsSink {
            mode: Mode::Strings(data),
            index: 0,
            limit: Self::count(d),
            _p: PhantomData,
        };
        D::stats(d, &mut s);
    }

    /// # Safety
    ///
    /// Called by the ethtool core with a buffer of `get_sset_count()` values.
    unsafe extern "C" fn get_ethtool_stats(
        dev: *mut b::net_device,
        _stats: *mut b::ethtool_stats,
        data: *mut u64,
    ) {
        if data.is_null() {
            return;
        }
        // SAFETY: per the function contract.
        let d = unsafe { Device::<D>::from_raw(dev) };
        let mut s = StatsSink {
            mode: Mode::Values(data),
            index: 0,
            limit: Self::count(d),
            _p: PhantomData,
        };
        D::stats(d, &mut s);
    }
}

fn copy_str(dst: &mut [u8; 32], s: &str) {
    *dst = [0; 32];
    for (d, c) in dst.iter_mut().take(31).zip(s.bytes()) {
        *d = c;
    }
}
