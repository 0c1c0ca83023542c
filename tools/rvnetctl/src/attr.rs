// SPDX-License-Identifier: GPL-2.0
//! A raw netlink attribute (type + value bytes) for building requests.

use netlink_packet_core::{Emitable, Nla};

/// One attribute; `kind` may carry `NLA_F_NESTED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Attribute type, with flags.
    pub kind: u16,
    /// Value bytes (without padding).
    pub value: Vec<u8>,
}

impl Attr {
    /// An attribute with the given type and value.
    pub fn new(kind: u16, value: Vec<u8>) -> Attr {
        Attr { kind, value }
    }

    /// A nest (`NLA_F_NESTED` set) of the given attributes.
    #[cfg(test)]
    pub fn nest(kind: u16, inner: &[Attr]) -> Attr {
        Attr {
            kind: kind | netlink_packet_core::NLA_F_NESTED,
            value: emit_all(inner),
        }
    }
}

impl Nla for Attr {
    fn value_len(&self) -> usize {
        self.value.len()
    }
    fn kind(&self) -> u16 {
        self.kind
    }
    fn emit_value(&self, buffer: &mut [u8]) {
        buffer.copy_from_slice(&self.value);
    }
}

/// Emits a list of attributes, each padded to 4 bytes.
#[cfg(test)]
pub fn emit_all(attrs: &[Attr]) -> Vec<u8> {
    let mut buf = vec![0u8; attrs.buffer_len()];
    attrs.emit(&mut buf);
    buf
}

/// Emits anything emitable into a fresh buffer.
pub fn to_bytes<E: Emitable>(e: &E) -> Vec<u8> {
    let mut buf = vec![0u8; e.buffer_len()];
    e.emit(&mut buf);
    buf
}
