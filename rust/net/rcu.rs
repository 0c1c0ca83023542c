// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections (`include/linux/rcupdate.h`).
//!
//! The 6.12 `kernel` crate has no RCU abstraction; this is the small piece
//! the driver needs: a guard whose lifetime bounds the references read under
//! it.

use super::bindings as b;
use core::marker::PhantomData;
use core::sync::atomic::{compiler_fence, Ordering};

/// Whether `rcu_read_lock()`/`rcu_read_unlock()` are only a compiler
/// barrier in this kernel's .config (non-preemptible RCU without a preempt
/// count, lockdep or RCU checking: the plain kernel), as the C compiler
/// inlines them. The guard then costs no call on the hot path; otherwise
/// (the debug kernel) it calls the real ones through the C shim.
const IS_BARRIER: bool = b::rvnet_c_consts_RVNET_C_RCU_READ_LOCK_IS_BARRIER != 0;

/// Waits for a grace period (`synchronize_net`): every RCU reader and
/// every NAPI poll or transmit that started before has finished. Sleeps.
pub(crate) fn synchronize_net(_rtnl: &super::rtnl::Rtnl) {
    // SAFETY: process context (the rtnl token proves we are in a sleepable
    // rtnl section); expedited under rtnl.
    unsafe { b::synchronize_net() }
}

/// An RCU read-side critical section, entered on creation and left on drop.
///
/// # Invariants
///
/// `rcu_read_lock()` was called when this guard was created and
/// `rcu_read_unlock()` has not been called for it yet. The guard is `!Send`,
/// so it is released on the CPU/task that took it.
pub(crate) struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Enters an RCU read-side critical section.
    #[inline]
    pub(crate) fn new() -> Self {
        if IS_BARRIER {
            compiler_fence(Ordering::SeqCst);
        } else {
            // SAFETY: rcu_read_lock() may be called in any context; the
            // matching unlock happens in `Drop`.
            unsafe { b::rvnet_rcu_read_lock() };
        }
        // INVARIANT: the read lock was just taken.
        Self(PhantomData)
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        if IS_BARRIER {
            compiler_fence(Ordering::SeqCst);
        } else {
            // SAFETY: by the type invariant this guard holds the read lock.
            unsafe { b::rvnet_rcu_read_unlock() };
        }
    }
}
