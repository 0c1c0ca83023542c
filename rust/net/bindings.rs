// SPDX-License-Identifier: GPL-2.0

//! Raw bindings for the headers in `rust/bindings_helper.h`.
//!
//! Generated at build time by `rust/gen-bindings` from the kernel's own
//! bindgen command line for the target `.config` (struct layouts differ
//! between kernel configs), never committed. Only the abstraction layer uses
//! them.

#![allow(
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]

// Blocklisted by the kernel's bindgen flags; `rust/bindings/lib.rs` defines
// them the same way.
type __kernel_size_t = usize;
type __kernel_ssize_t = isize;
type __kernel_ptrdiff_t = isize;

include!("../generated/bindings.rs");
