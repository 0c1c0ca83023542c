// SPDX-License-Identifier: GPL-2.0

//! Per-queue 64-bit counters (the `u64_stats_sync` pattern).
//!
//! The kernel's `u64_stats_t` on 64-bit is a plain word written by a single
//! writer (a tx queue under its lock, an rx queue in its NAPI poll) and read
//! locklessly by `ndo_get_stats64`/ethtool; the seqcount only exists on 32-bit.
//! [`Counter`] is that on a 64-bit kernel: relaxed atomic load + store, which
//! compile to plain moves (no locked instruction on the hot path), and torn
//! reads are impossible. [`SharedCounter`] is for the few counters with more
//! than one writer (a locked add).

use core::sync::atomic::{AtomicU64, Ordering};

const _: () = assert!(
    core::mem::size_of::<usize>() == 8,
    "Counter assumes a 64-bit kernel"
);

/// A counter with one writer at a time.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`. The caller is the counter's only writer (documented at the
    /// owning struct); a concurrent second writer would lose increments, never
    /// memory safety.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    /// Current value.
    #[inline]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A counter with several writers.
#[derive(Default)]
pub(crate) struct SharedCounter(AtomicU64);

impl SharedCounter {
    /// Adds `n` atomically.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Current value.
    #[inline]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
