// SPDX-License-Identifier: GPL-2.0

//! A spinlock that also disables softirqs (`spin_lock_bh`).
//!
//! The 6.12 `kernel` crate's `SpinLock` takes `spin_lock()`, which is wrong
//! for data shared between process context and the datapath (transmit and
//! NAPI run in softirq): a softirq interrupting a process-context holder on
//! the same CPU would spin forever. [`BhLock`] disables bottom halves while
//! held, so process context and softirq may both take it.

use super::bindings as b;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Data `T` behind a BH-disabling spinlock.
///
/// # Invariants
///
/// `lock` was initialised with `spin_lock_init`; `data` is only accessed
/// through a [`BhGuard`], which exists only while `lock` is held.
#[pin_data]
pub(crate) struct BhLock<T> {
    #[pin]
    lock: Opaque<b::spinlock_t>,
    data: UnsafeCell<T>,
}

// SAFETY: the lock serialises all access to `data`; `T: Send` may be used
// from whichever CPU holds it.
unsafe impl<T: Send> Send for BhLock<T> {}
// SAFETY: as above; shared references only reach `data` under the lock.
unsafe impl<T: Send> Sync for BhLock<T> {}

impl<T> BhLock<T> {
    /// A new, unlocked lock around `data`.
    pub(crate) fn new(data: T) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `spin_lock_init` initialises the lock in place; the
            // slot is pinned, so it never moves afterwards.
            lock <- Opaque::ffi_init(|slot: *mut b::spinlock_t| unsafe {
                b::rvnet_spin_lock_init(slot)
            }),
            data: UnsafeCell::new(data),
        })
    }

    /// Takes the lock with bottom halves disabled. Any context but hard
    /// IRQ; never sleeps.
    pub(crate) fn lock(self: Pin<&Self>) -> BhGuard<'_, T> {
        // SAFETY: initialised (invariant); the guard unlocks it on drop.
        unsafe { b::rvnet_spin_lock_bh(self.lock.get()) };
        // INVARIANT: the lock is held until the guard drops.
        BhGuard {
            lock: self.get_ref(),
            _not_send: PhantomData,
        }
    }
}

/// Holds a [`BhLock`]; releases it (and re-enables BHs) on drop.
///
/// # Invariants
///
/// `lock.lock` is held by this CPU for as long as the guard exists; the
/// guard is `!Send` so it is released where it was taken.
pub(crate) struct BhGuard<'a, T> {
    lock: &'a BhLock<T>,
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for BhGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the lock is held (invariant): no other access exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for BhGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the lock is held (invariant) and we are borrowed uniquely.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for BhGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: held by us (invariant); taken with spin_lock_bh.
        unsafe { b::rvnet_spin_unlock_bh(self.lock.lock.get()) };
    }
}

/// Proof that bottom halves are disabled on this CPU for the lifetime of a
/// borrow: a softirq cannot interrupt the holder. NAPI polls have one
/// ([`super::napi::PollCtx::bh`]); process context gets one from
/// [`BhOff::with`].
pub(crate) struct BhOff(PhantomData<*mut ()>);

impl BhOff {
    /// Runs `f` with bottom halves disabled (`local_bh_disable`).
    pub(crate) fn with<R>(f: impl FnOnce(&BhOff) -> R) -> R {
        // SAFETY: process or softirq context; paired with the enable below.
        unsafe { b::rvnet_local_bh_disable() };
        let r = f(&BhOff(PhantomData));
        // SAFETY: disabled above.
        unsafe { b::rvnet_local_bh_enable() };
        r
    }

    /// For abstraction code that knows BH are disabled (a NAPI poll).
    ///
    /// # Safety
    ///
    /// Bottom halves must stay disabled on this CPU while the result lives.
    pub(super) const unsafe fn assume() -> Self {
        BhOff(PhantomData)
    }
}
