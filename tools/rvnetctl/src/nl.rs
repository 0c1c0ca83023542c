// SPDX-License-Identifier: GPL-2.0
//! A synchronous netlink request/response loop with extended-ack errors.
//!
//! Requests go out with `NLM_F_ACK`; the loop collects the inner messages of
//! the answer until the kernel's ACK (`NLMSG_ERROR` with code 0) or, for
//! dumps, `NLMSG_DONE`. A negative code becomes an [`NlError`] carrying the
//! errno and the extended ACK (`NETLINK_EXT_ACK`) message, offset and missing
//! attribute, if the kernel sent them.

use std::fmt;
use std::io;

use netlink_packet_core::{
    DoneMessage, ErrorMessage, NetlinkBuffer, NetlinkDeserializable, NetlinkHeader, NetlinkMessage,
    NetlinkPayload, NetlinkSerializable, NlaBuffer, NlasIterator, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_REQUEST,
};
use netlink_sys::{Socket, SocketAddr};

// NLM_F_CAPPED: the error's copy of the request is its header only.
// NLM_F_ACK_TLVS: extended ACK attributes follow the request copy.
use netlink_packet_core::{NLM_F_ACK_TLVS, NLM_F_CAPPED};

/// `enum nlmsgerr_attrs` from `include/uapi/linux/netlink.h`.
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLMSGERR_ATTR_OFFS: u16 = 2;
const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// Size of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = 16;

/// The extended ACK attributes of an error or warning.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExtAck {
    /// `NLMSGERR_ATTR_MSG`: the kernel's human-readable message.
    pub msg: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`: byte offset of the offending attribute in the
    /// request.
    pub offset: Option<u32>,
    /// `NLMSGERR_ATTR_MISS_TYPE`: number of a missing required attribute.
    pub missing_type: Option<u32>,
    /// `NLMSGERR_ATTR_MISS_NEST`: offset of the nest it was missing from.
    pub missing_nest: Option<u32>,
}

impl ExtAck {
    /// Parses extended ACK TLVs.
    pub fn parse(tlvs: &[u8]) -> ExtAck {
        let mut e = ExtAck::default();
        for nla in NlasIterator::new(tlvs).flatten() {
            let v = nla.value();
            match nla.kind() {
                NLMSGERR_ATTR_MSG => {
                    let s = v.split(|&b| b == 0).next().unwrap_or_default();
                    e.msg = Some(String::from_utf8_lossy(s).into_owned());
                }
                NLMSGERR_ATTR_OFFS => e.offset = u32_of(v),
                NLMSGERR_ATTR_MISS_TYPE => e.missing_type = u32_of(v),
                NLMSGERR_ATTR_MISS_NEST => e.missing_nest = u32_of(v),
                _ => {}
            }
        }
        e
    }
}

fn u32_of(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

/// Who failed: decides the exit status, as `ip` does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Here: a system call, a device name that does not resolve
    /// (`ip` exits 1).
    #[default]
    Local,
    /// The kernel answered the request with an error (`NLMSG_ERROR` or an
    /// `NLMSG_DONE` with an error): `ip`'s "RTNETLINK answers", exit 2.
    Kernel,
    /// An argument that names nothing usable, e.g. a network namespace
    /// that cannot be opened (`ip -n`, `ip link add ... netns`: exit 255).
    Argument,
}

/// A failed request: a positive errno and what the kernel said about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NlError {
    /// Positive errno.
    pub errno: i32,
    /// Whose error it is.
    pub origin: Origin,
    /// The extended ACK.
    pub ext: ExtAck,
    /// Name of the missing attribute, filled in by the caller that knows the
    /// attribute set (`NLMSGERR_ATTR_MISS_TYPE` is only a number).
    pub missing_name: Option<String>,
    /// Name of the request attribute `NLMSGERR_ATTR_OFFS` points at, filled
    /// in by the caller that built the request.
    pub offset_name: Option<String>,
}

impl NlError {
    /// An error of our own with a message.
    pub fn msg(errno: i32, msg: impl Into<String>) -> NlError {
        NlError {
            errno,
            ext: ExtAck {
                msg: Some(msg.into()),
                ..ExtAck::default()
            },
            ..NlError::default()
        }
    }

    /// An error without extended ACK, e.g. from a socket call.
    pub fn from_io(e: &io::Error) -> NlError {
        NlError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            ext: ExtAck::default(),
            ..NlError::default()
        }
    }

    /// Decodes an `NLMSG_ERROR` whose header had `flags`.
    pub fn from_error_message(flags: u16, m: &ErrorMessage) -> NlError {
        // The payload after the code is the request copy, then the TLVs.
        let rest = &m.header;
        let copy_len = if flags & NLM_F_CAPPED != 0 {
            NLMSG_HDRLEN
        } else {
            let len = u32_of(rest).unwrap_or(0) as usize;
            (len + 3) & !3
        };
        let ext = if flags & NLM_F_ACK_TLVS != 0 {
            ExtAck::parse(rest.get(copy_len..).unwrap_or_default())
        } else {
            ExtAck::default()
        };
        NlError {
            errno: -m.raw_code(),
            origin: Origin::Kernel,
            ext,
            ..NlError::default()
        }
    }

    /// Decodes an `NLMSG_DONE` that ended a dump with an error.
    pub fn from_done_message(flags: u16, m: &DoneMessage) -> NlError {
        let ext = if flags & NLM_F_ACK_TLVS != 0 {
            ExtAck::parse(&m.extended_ack)
        } else {
            ExtAck::default()
        };
        NlError {
            errno: -m.code,
            origin: Origin::Kernel,
            ext,
            ..NlError::default()
        }
    }
}

/// `strerror(errno)` without the " (os error N)" suffix Rust appends.
pub fn strerror(errno: i32) -> String {
    let s = io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl fmt::Display for NlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", strerror(self.errno))?;
        if let Some(m) = &self.ext.msg {
            write!(f, ": {m}")?;
        }
        match (&self.missing_name, self.ext.missing_type) {
            (Some(n), _) => write!(f, " (missing attribute {n})")?,
            (None, Some(t)) => write!(f, " (missing attribute {t})")?,
            _ => {}
        }
        match (&self.offset_name, self.ext.offset) {
            (Some(n), _) => write!(f, " (attribute {n})")?,
            (None, Some(o)) => write!(f, " (at request offset {o})")?,
            _ => {}
        }
        Ok(())
    }
}

impl std::error::Error for NlError {}

/// Splits a receive buffer into the netlink messages it holds.
pub fn split_messages(buf: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let Ok(b) = NetlinkBuffer::new_checked(&buf[off..]) else {
            break;
        };
        let len = b.length() as usize;
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            break;
        }
        out.push(&buf[off..off + len]);
        off += (len + 3) & !3;
    }
    out
}

/// What one received message means for the request it answers.
#[derive(Debug)]
pub enum Step<I> {
    /// An answer message; more may follow.
    Message(I),
    /// The request is complete (ACK or end of dump).
    Done,
    /// The request failed.
    Failed(NlError),
    /// Not for this request (other sequence number, noop).
    Skip,
}

/// Classifies one received message for the request with sequence `seq`.
pub fn classify<I>(bytes: &[u8], seq: u32) -> Result<Step<I>, NlError>
where
    I: NetlinkDeserializable,
{
    let msg = NetlinkMessage::<I>::deserialize(bytes).map_err(|e| decode_error(&e))?;
    if msg.header.sequence_number != seq {
        return Ok(Step::Skip);
    }
    let flags = msg.header.flags;
    Ok(match msg.payload {
        NetlinkPayload::Error(e) if e.code.is_none() => Step::Done,
        NetlinkPayload::Error(e) => Step::Failed(NlError::from_error_message(flags, &e)),
        NetlinkPayload::Done(d) if d.code < 0 => {
            Step::Failed(NlError::from_done_message(flags, &d))
        }
        NetlinkPayload::Done(_) => Step::Done,
        NetlinkPayload::InnerMessage(m) => Step::Message(m),
        _ => Step::Skip,
    })
}

fn decode_error<E: fmt::Display>(e: &E) -> NlError {
    NlError::msg(
        libc::EBADMSG,
        format!("cannot decode the kernel's answer: {e}"),
    )
}

/// Encodes a request with the given flags and sequence number.
pub fn encode<I>(inner: I, flags: u16, seq: u32) -> Vec<u8>
where
    I: NetlinkSerializable,
{
    let mut hdr = NetlinkHeader::default();
    hdr.flags = flags;
    hdr.sequence_number = seq;
    let mut msg = NetlinkMessage::new(hdr, NetlinkPayload::InnerMessage(inner));
    msg.finalize();
    let mut buf = vec![0u8; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}

/// A netlink socket of one protocol.
pub struct NlSocket {
    sock: Socket,
    seq: u32,
}

impl NlSocket {
    /// Opens and binds a socket with extended ACKs and capped error copies.
    pub fn open(protocol: isize) -> Result<NlSocket, NlError> {
        let io = |e: io::Error| NlError::from_io(&e);
        let mut sock = Socket::new(protocol).map_err(io)?;
        sock.bind_auto().map_err(io)?;
        sock.connect(&SocketAddr::new(0, 0)).map_err(io)?;
        sock.set_ext_ack(true).map_err(io)?;
        sock.set_cap_ack(true).map_err(io)?;
        Ok(NlSocket { sock, seq: 1 })
    }

    /// Joins a multicast group (by id).
    pub fn join(&self, group: u32) -> Result<(), NlError> {
        self.sock
            .add_membership(group)
            .map_err(|e| NlError::from_io(&e))
    }

    /// Receives one datagram into `buf` (cleared first; its capacity is
    /// the most that is read: size it for the largest datagram expected).
    /// With `wait` false, returns `Ok(false)` at once when nothing is
    /// queued (`MSG_DONTWAIT`) instead of blocking.
    pub fn recv_into(&self, buf: &mut Vec<u8>, wait: bool) -> Result<bool, NlError> {
        buf.clear();
        let flags = if wait { 0 } else { libc::MSG_DONTWAIT };
        match self.sock.recv(buf, flags) {
            Ok(_) => Ok(true),
            Err(e) if !wait && e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(NlError::from_io(&e)),
        }
    }

    /// Receives one datagram.
    pub fn recv(&self) -> Result<Vec<u8>, NlError> {
        let (buf, _) = self
            .sock
            .recv_from_full()
            .map_err(|e| NlError::from_io(&e))?;
        Ok(buf)
    }

    /// Sends a request and collects its answer messages.
    pub fn request<I>(&mut self, inner: I, dump: bool) -> Result<Vec<I>, NlError>
    where
        I: NetlinkSerializable + NetlinkDeserializable,
    {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut flags = NLM_F_REQUEST | NLM_F_ACK;
        if dump {
            flags |= NLM_F_DUMP;
        }
        self.request_flags(inner, flags, seq)
    }

    /// Sends a request with explicit flags (e.g. `NLM_F_CREATE`).
    pub fn request_flags<I>(&mut self, inner: I, flags: u16, seq: u32) -> Result<Vec<I>, NlError>
    where
        I: NetlinkSerializable + NetlinkDeserializable,
    {
        let buf = encode(inner, flags, seq);
        self.sock.send(&buf, 0).map_err(|e| NlError::from_io(&e))?;
        let mut out = Vec::new();
        loop {
            let data = self.recv()?;
            // A `do` answer is followed by the ACK (we ask for one), a dump
            // ends with NLMSG_DONE: either way the loop ends on Step::Done.
            for m in split_messages(&data) {
                match classify::<I>(m, seq)? {
                    Step::Message(i) => out.push(i),
                    Step::Done => return Ok(out),
                    Step::Failed(e) => return Err(e),
                    Step::Skip => {}
                }
            }
        }
    }

    /// The next sequence number to use with [`Self::request_flags`].
    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}

/// Iterates the attributes of a buffer as `(type without flags, value)`.
pub fn attrs(buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    NlasIterator::new(buf)
        .flatten()
        .map(|n: NlaBuffer<&[u8]>| (n.kind(), n.into_inner_value()))
}

/// Access to an NLA's value with the buffer's lifetime.
trait IntoInnerValue<'a> {
    fn into_inner_value(self) -> &'a [u8];
}

impl<'a> IntoInnerValue<'a> for NlaBuffer<&'a [u8]> {
    fn into_inner_value(self) -> &'a [u8] {
        let len = self.value_length();
        let inner = self.into_inner();
        inner.get(4..4 + len).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NLM_F_MULTIPART;
    use netlink_packet_route::RouteNetlinkMessage;

    /// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and
    /// NETLINK_EXT_ACK: code, the request's nlmsghdr, then TLVs.
    fn error_reply(seq: u32, code: i32, tlvs: &[u8]) -> Vec<u8> {
        let len = 16 + 4 + 16 + tlvs.len();
        let mut b = Vec::new();
        b.extend((len as u32).to_ne_bytes());
        b.extend(2u16.to_ne_bytes()); // NLMSG_ERROR
        b.extend((NLM_F_CAPPED | NLM_F_ACK_TLVS).to_ne_bytes());
        b.extend(seq.to_ne_bytes());
        b.extend(0u32.to_ne_bytes());
        b.extend(code.to_ne_bytes());
        // The request's header (length 36, type 0x1e, flags, seq, pid).
        b.extend(36u32.to_ne_bytes());
        b.extend(0x1eu16.to_ne_bytes());
        b.extend(5u16.to_ne_bytes());
        b.extend(seq.to_ne_bytes());
        b.extend(0u32.to_ne_bytes());
        b.extend(tlvs);
        b
    }

    #[test]
    fn extack_message_offset_and_missing_attr() {
        let mut tlvs = Vec::new();
        // NLMSGERR_ATTR_MSG "missing dst\0" (12 bytes) + header 4 = 16.
        tlvs.extend([16, 0, 1, 0]);
        tlvs.extend(b"missing dst\0");
        // NLMSGERR_ATTR_OFFS 20.
        tlvs.extend([8, 0, 2, 0, 20, 0, 0, 0]);
        // NLMSGERR_ATTR_MISS_TYPE 1.
        tlvs.extend([8, 0, 5, 0, 1, 0, 0, 0]);
        let b = error_reply(9, -libc::EINVAL, &tlvs);
        let msgs = split_messages(&b);
        assert_eq!(msgs.len(), 1);
        let Step::Failed(e) = classify::<RouteNetlinkMessage>(msgs[0], 9).unwrap() else {
            panic!("not an error")
        };
        assert_eq!(e.errno, libc::EINVAL);
        assert_eq!(e.origin, Origin::Kernel);
        assert_eq!(e.ext.msg.as_deref(), Some("missing dst"));
        assert_eq!(e.ext.offset, Some(20));
        assert_eq!(e.ext.missing_type, Some(1));
        assert_eq!(
            e.to_string(),
            "Invalid argument: missing dst (missing attribute 1) (at request offset 20)"
        );
    }

    #[test]
    fn uncapped_error_skips_whole_request_copy() {
        // Without NLM_F_CAPPED the whole request (here 20 bytes, padded) is
        // echoed before the TLVs.
        let mut b = Vec::new();
        let tlvs = [8u8, 0, 1, 0, b'b', b'a', b'd', 0];
        let len = 16 + 4 + 20 + tlvs.len();
        b.extend((len as u32).to_ne_bytes());
        b.extend(2u16.to_ne_bytes());
        b.extend(NLM_F_ACK_TLVS.to_ne_bytes());
        b.extend(5u32.to_ne_bytes());
        b.extend(0u32.to_ne_bytes());
        b.extend((-libc::ENODEV).to_ne_bytes());
        b.extend(20u32.to_ne_bytes());
        b.extend([0u8; 16]);
        b.extend(tlvs);
        let Step::Failed(e) = classify::<RouteNetlinkMessage>(&b, 5).unwrap() else {
            panic!()
        };
        assert_eq!(e.errno, libc::ENODEV);
        assert_eq!(e.ext.msg.as_deref(), Some("bad"));
    }

    #[test]
    fn ack_done_and_foreign_seq() {
        let ack = error_reply(3, 0, &[]);
        assert!(matches!(
            classify::<RouteNetlinkMessage>(&ack, 3).unwrap(),
            Step::Done
        ));
        assert!(matches!(
            classify::<RouteNetlinkMessage>(&ack, 4).unwrap(),
            Step::Skip
        ));
        // NLMSG_DONE with -ENOENT and an extack message.
        let mut d = Vec::new();
        d.extend(28u32.to_ne_bytes());
        d.extend(3u16.to_ne_bytes());
        d.extend((NLM_F_MULTIPART | NLM_F_ACK_TLVS).to_ne_bytes());
        d.extend(3u32.to_ne_bytes());
        d.extend(0u32.to_ne_bytes());
        d.extend((-libc::ENOENT).to_ne_bytes());
        d.extend([8, 0, 1, 0, b'n', b'o', b'!', 0]);
        let Step::Failed(e) = classify::<RouteNetlinkMessage>(&d, 3).unwrap() else {
            panic!()
        };
        assert_eq!(e.to_string(), "No such file or directory: no!");
        assert_eq!(e.origin, Origin::Kernel);
        // Two messages in one datagram, the second padded.
        let mut two = ack.clone();
        two.extend(&d);
        assert_eq!(split_messages(&two).len(), 2);
    }
}
