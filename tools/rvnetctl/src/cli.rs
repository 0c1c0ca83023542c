// SPDX-License-Identifier: GPL-2.0
//! iproute2-style command line: `rvnetctl [-j] [-p] [-4|-6] [-n NS] OBJECT
//! COMMAND ARGS...`. Options, objects, commands and `route get` keywords
//! are matched as `ip` (iproute2 6.1) matches them: `matches()`, a prefix
//! match, tried in `ip`'s order, so an abbreviation means what it means to
//! `ip` (`r g 10.0.0.1 ma 5` is `route get 10.0.0.1 mark 5`; `m` is ip's
//! `maddress`, not `monitor`). Words `ip` knows and rvnetctl does not do
//! are refused by name instead of being read as something else.

use std::net::IpAddr;

use crate::link::LinkAdd;
use crate::names::{strtoul, Names};

/// Usage text (`rvnetctl help`).
pub const USAGE: &str = "\
Usage: rvnetctl [OPTIONS] OBJECT { COMMAND | help }
Options:
  -j, --json            output a JSON array of objects (ip -j style)
  -p, --pretty          indent the JSON as ip -j -p does
  -4, -6                addresses are IPv4 (-4) or IPv6 (-6) only
  -n, --netns NS        run in network namespace NS (/run/netns/NS)
  -b, -batch FILE       run the commands of FILE (- = stdin), one a line,
                        as ip -batch; -force: go on after a failed one
  -h, --help            this help
  -V, --version         version
Commands:
  link add NAME [peer NAME] [netns NS] [queues N] [numtxqueues N] [numrxqueues N]
                        [type KIND (default rvnet)]
  link del NAME
  route get DST [from SRC] [iif DEV] [mark M] [oif DEV] [vrf NAME] [uid U]
                [tos TOS] [sport P] [dport P] [ipproto PROTO] [connected] [fibmatch]
                [table T] [dscp D]
                        (rvnetctl route help)
  neigh get ADDR dev DEV [resolve]
  path DST [from SRC] [mark M]
  dev show [DEV]
  dev set DEV [sample N] [ring N]
  dev decisions DEV     the decisions recorded on DEV (decision-dump)
  monitor [dev DEV]     decision events as they happen (decisions group)
  family
Words may be abbreviated as ip allows (r g 10.0.0.1 ma 5).
Exit status: 0 done, 1 failed here (no such device, address of the other
family), 2 the kernel refused the request, 255 bad command line.";

/// `rvnetctl route help`.
pub const ROUTE_USAGE: &str = "\
Usage: rvnetctl route get ADDRESS [ from ADDRESS ] [ iif DEV ] [ mark MARK ]
                          [ oif DEV ] [ vrf NAME ] [ uid UID ] [ tos TOS ]
                          [ sport NUMBER ] [ dport NUMBER ]
                          [ ipproto PROTOCOL ] [ connected ] [ fibmatch ]
                          [ table TABLE_ID ] [ dscp DSCP ]
       rvnetctl route help
ADDRESS := an IPv4 or IPv6 address; both of one family (-4, -6: that one)
TOS := { NAME of /etc/iproute2/rt_dsfield | NUMBER in hex (28 = 0x28) }
       the DS field byte, as ip route get reads it; dsfield is tos
DSCP := 0..63, the DS field's upper six bits (dscp 10 = tos 0x28)
TABLE_ID := { main | local | default | NUMBER |
              NAME of /etc/iproute2/rt_tables or rt_tables.d/*.conf }
MARK, UID := NUMBER (0x... hex, 0... octal)
PROTOCOL := { NUMBER (decimal) | NAME of /etc/protocols }; the kernel takes
            tcp, udp, icmp (IPv4) and ipv6-icmp (IPv6); IPv4 default udp
A reject route (blackhole, unreachable, prohibit) is printed, then the
kernel's error as ip route get reports it, and the exit status is 2.
dev is oif; vrf NAME is oif NAME for a VRF device (its l3mdev rule picks the
VRF's table); keywords abbreviate as in ip route get (d = dsfield, ma = mark).";

/// Exit status of a failure that is not the kernel's (no such device, an
/// address of the other family): `ip`'s 1.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status when the kernel refused the request: `ip`'s 2.
pub const EXIT_KERNEL: u8 = 2;
/// Exit status of a bad command line: `ip`'s `exit(-1)`.
pub const EXIT_USAGE: u8 = 255;

/// Address family (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `-4`.
    Inet,
    /// `-6`.
    Inet6,
}

impl Family {
    fn of(a: &IpAddr) -> Family {
        match a {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }

    /// `family_name_verbose`.
    fn name(f: Option<Family>) -> &'static str {
        match f {
            Some(Family::Inet) => "inet",
            Some(Family::Inet6) => "inet6",
            None => "any valid",
        }
    }
}

/// Global options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// `-j`: JSON output.
    pub json: bool,
    /// `-p`: indented JSON (with `-j`).
    pub pretty: bool,
    /// `-4` / `-6`: addresses of this family only.
    pub family: Option<Family>,
    /// `-n NS`: enter this namespace first.
    pub netns: Option<String>,
    /// `-batch FILE`: the commands of FILE (`-`: stdin), one a line.
    pub batch: Option<String>,
    /// `-force`: a batch goes on after a failed command.
    pub force: bool,
}

/// The inputs of a route (or path) question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQuery {
    /// Destination address.
    pub dst: IpAddr,
    /// `from`: source address.
    pub src: Option<IpAddr>,
    /// `mark`: fwmark.
    pub mark: Option<u32>,
    /// `oif`: output device name.
    pub oif: Option<String>,
    /// `iif`: input device name.
    pub iif: Option<String>,
    /// `table`: table id.
    pub table: Option<u32>,
    /// `uid`: socket owner uid for uid-range rules.
    pub uid: Option<u32>,
    /// `tos`/`dsfield` (the DS field byte), or `dscp D` as `D << 2`.
    pub tos: Option<u8>,
    /// `ipproto`: IP protocol of the flow.
    pub ipproto: Option<u8>,
    /// `sport`: source port.
    pub sport: Option<u16>,
    /// `dport`: destination port.
    pub dport: Option<u16>,
    /// `vrf NAME`: devices that must be VRFs (`oif` is set to the last).
    pub vrf: Vec<String>,
    /// `connected`: ask again from the answer's preferred source, as
    /// `ip route get ... connected` does.
    pub connected: bool,
    /// `fibmatch`: answer with the matched FIB entry.
    pub fibmatch: bool,
}

impl RouteQuery {
    /// A question about `dst` alone.
    pub fn new(dst: IpAddr) -> RouteQuery {
        RouteQuery {
            dst,
            src: None,
            mark: None,
            oif: None,
            iif: None,
            table: None,
            uid: None,
            tos: None,
            ipproto: None,
            sport: None,
            dport: None,
            vrf: Vec::new(),
            connected: false,
            fibmatch: false,
        }
    }
}

/// What `help` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Help {
    /// [`USAGE`].
    Main,
    /// [`ROUTE_USAGE`].
    Route,
}

impl Help {
    /// The text.
    pub fn text(self) -> &'static str {
        match self {
            Help::Main => USAGE,
            Help::Route => ROUTE_USAGE,
        }
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// `link add`.
    LinkAdd(LinkAdd),
    /// `link del NAME`.
    LinkDel(String),
    /// `route get`.
    RouteGet(RouteQuery),
    /// `neigh get ADDR dev DEV [resolve]`.
    NeighGet {
        /// Neighbour address.
        addr: IpAddr,
        /// Device name.
        dev: String,
        /// Start resolution.
        resolve: bool,
    },
    /// `path DST`.
    Path(RouteQuery),
    /// `dev show [DEV]`.
    DevShow(Option<String>),
    /// `dev set DEV ...`.
    DevSet {
        /// Device name.
        dev: String,
        /// 1-in-N sampling, 0 = off.
        sample: Option<u32>,
        /// Decision ring size.
        ring: Option<u32>,
    },
    /// `dev decisions DEV` (or `decisions DEV`): the recorded decisions.
    Decisions(String),
    /// `monitor [dev DEV]`.
    Monitor(Option<String>),
    /// `family`: the generic netlink family as the controller reports it.
    Family,
    /// `help`, `-h`, `route help`, ...: usage on stdout, exit 0.
    Help(Help),
    /// `--version`.
    Version,
    /// `-batch FILE`: run the commands of FILE.
    Batch,
}

/// A command line error: the message and the exit status (`ip`'s:
/// [`EXIT_USAGE`] for a bad command line, [`EXIT_FAILURE`] for an address
/// `ip` would not take, a missing destination or an unknown object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// What is wrong.
    pub msg: String,
    /// Exit status.
    pub code: u8,
}

type Res<T> = Result<T, UsageError>;

fn err<T>(m: impl Into<String>) -> Res<T> {
    Err(UsageError {
        msg: m.into(),
        code: EXIT_USAGE,
    })
}

/// An error `ip` exits 1 for (`get_prefix`, `get_addr`, missing
/// destination, unknown object).
fn fail<T>(m: impl Into<String>) -> Res<T> {
    Err(UsageError {
        msg: m.into(),
        code: EXIT_FAILURE,
    })
}

/// `word` abbreviates `full` (iproute2's `matches`; an empty word matches
/// nothing here).
fn is(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

/// How a keyword is compared: `matches()` (any prefix) or `strcmp`.
#[derive(Clone, Copy)]
enum M {
    Prefix,
    Exact,
}

/// The first entry of `table` that `w` names, in table order.
fn lookup<K: Copy>(table: &[(&'static str, M, K)], w: &str) -> Option<(&'static str, K)> {
    table.iter().find_map(|&(full, m, k)| {
        let hit = match m {
            M::Prefix => is(w, full),
            M::Exact => w == full,
        };
        hit.then_some((full, k))
    })
}

/// Objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Object {
    Link,
    Route,
    Neigh,
    Monitor,
    Help,
    Path,
    Device,
    Decisions,
    Family,
    /// An `ip` object rvnetctl does not have.
    IpOnly,
}

/// `ip`'s object table (`cmds[]` of ip/ip.c in 6.1, Debian's order: `mo`
/// is `monitor`), then rvnetctl's own objects.
const OBJECTS: &[(&str, M, Object)] = {
    use Object::*;
    use M::Prefix as P;
    &[
        ("address", P, IpOnly),
        ("addrlabel", P, IpOnly),
        ("maddress", P, IpOnly),
        ("route", P, Route),
        ("rule", P, IpOnly),
        ("neighbor", P, Neigh),
        ("neighbour", P, Neigh),
        ("ntable", P, IpOnly),
        ("ntbl", P, IpOnly),
        ("link", P, Link),
        ("l2tp", P, IpOnly),
        ("fou", P, IpOnly),
        ("ila", P, IpOnly),
        ("macsec", P, IpOnly),
        ("tunnel", P, IpOnly),
        ("tunl", P, IpOnly),
        ("tuntap", P, IpOnly),
        ("tap", P, IpOnly),
        ("token", P, IpOnly),
        ("tcpmetrics", P, IpOnly),
        ("tcp_metrics", P, IpOnly),
        ("monitor", P, Monitor),
        ("xfrm", P, IpOnly),
        ("mroute", P, IpOnly),
        ("mrule", P, IpOnly),
        ("netns", P, IpOnly),
        ("netconf", P, IpOnly),
        ("vrf", P, IpOnly),
        ("sr", P, IpOnly),
        ("nexthop", P, IpOnly),
        ("mptcp", P, IpOnly),
        ("ioam", P, IpOnly),
        ("help", P, Help),
        ("stats", P, IpOnly),
        ("path", P, Path),
        ("device", P, Device),
        ("decisions", P, Decisions),
        ("family", P, Family),
    ]
};

/// `route get` keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Tos,
    From,
    Iif,
    Mark,
    Oif,
    Uid,
    Table,
    Dscp,
    Sport,
    Dport,
    Ipproto,
    Connected,
    Fibmatch,
    Vrf,
    /// A keyword of `ip route get` that rvnetctl does not take.
    IpOnly,
}

/// The keywords of `iproute_get` (ip/iproute.c, iproute2 6.1) in its
/// order, then rvnetctl's `table` and `dscp`; anything else is the
/// destination (`to` before it is optional).
const ROUTE_GET_KEYS: &[(&str, M, Key)] = {
    use Key::*;
    use M::{Exact as E, Prefix as P};
    &[
        ("tos", E, Tos),
        ("dsfield", P, Tos),
        ("from", P, From),
        ("iif", P, Iif),
        ("mark", P, Mark),
        ("oif", P, Oif),
        ("dev", E, Oif),
        ("notify", P, IpOnly),
        ("connected", P, Connected),
        ("vrf", P, Vrf),
        ("uid", P, Uid),
        ("fibmatch", P, Fibmatch),
        ("as", E, IpOnly),
        ("sport", P, Sport),
        ("dport", P, Dport),
        ("ipproto", P, Ipproto),
        ("table", P, Table),
        ("dscp", P, Dscp),
    ]
};

struct Args<'a> {
    v: &'a [String],
    i: usize,
}

impl<'a> Args<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let a = self.v.get(self.i)?;
        self.i += 1;
        Some(a.as_str())
    }

    fn peek(&self) -> Option<&'a str> {
        self.v.get(self.i).map(String::as_str)
    }

    fn value(&mut self, key: &str) -> Res<&'a str> {
        match self.next() {
            Some(v) => Ok(v),
            None => err(format!("\"{key}\" needs an argument")),
        }
    }
}

/// A number as `get_u32(.., 0)` reads it (`strtoul` base 0: `0x` hex, a
/// leading 0 octal), in `T`'s range.
fn parse_num<T: TryFrom<u64>>(key: &str, s: &str) -> Res<T> {
    match strtoul(s, 0).and_then(|n| T::try_from(n).ok()) {
        Some(v) => Ok(v),
        None => err(format!("invalid \"{key}\" value \"{s}\"")),
    }
}

/// A port as `get_be16(.., 0)` reads it (`sport`, `dport`).
fn parse_port(_key: &str, s: &str, what: &str) -> Res<u16> {
    match strtoul(s, 0).and_then(|n| u16::try_from(n).ok()) {
        Some(v) => Ok(v),
        None => err(format!("argument \"{s}\" is wrong: invalid {what}")),
    }
}

/// An IP protocol as `inet_proto_a2n` reads it: a decimal number up to
/// 255, else a name of the protocols database (`getprotobyname`:
/// /etc/protocols, names and aliases as written there).
fn ip_proto(s: &str) -> Option<u8> {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        return s.parse::<u8>().ok();
    }
    let c = std::ffi::CString::new(s).ok()?;
    // SAFETY: `c` is NUL-terminated; the result is NULL or a static entry
    // of libc's, read at once (we are single-threaded).
    let p = unsafe { libc::getprotobyname(c.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL: a valid protoent.
    u8::try_from(unsafe { (*p).p_proto }).ok()
}

/// An address as `get_prefix` / `get_addr` take it: of family `fam` if
/// one is set (by `-4`/`-6` or an earlier address), which it then sets.
fn parse_addr(s: &str, fam: &mut Option<Family>, what: &str) -> Res<IpAddr> {
    match s.parse::<IpAddr>() {
        Ok(a) if fam.is_none_or(|f| f == Family::of(&a)) => {
            *fam = Some(Family::of(&a));
            Ok(a)
        }
        _ => fail(format!(
            "{} {what} is expected rather than \"{s}\"",
            Family::name(*fam)
        )),
    }
}

/// A name of a new device (`link add`): a bad one is a bad command line.
fn new_name(s: &str) -> Res<String> {
    if s.is_empty() || s.len() > 15 || s.contains('/') || s.contains(char::is_whitespace) {
        return err(format!("\"{s}\" is not a valid interface name"));
    }
    Ok(s.to_string())
}

/// A name of an existing device: one that cannot exist is `ip`'s "Cannot
/// find device" (exit 1).
fn dev_name(s: &str) -> Res<String> {
    new_name(s).or_else(|_| fail(format!("cannot find device \"{s}\"")))
}

/// Parses the whole command line (without `argv[0]`), table and DS field
/// names from `/etc/iproute2`.
pub fn parse(argv: &[String]) -> Res<(Opts, Cmd)> {
    parse_with(argv, &Names::default())
}

/// [`parse`] with the name databases of `names`.
pub fn parse_with(argv: &[String], names: &Names) -> Res<(Opts, Cmd)> {
    let mut a = Args { v: argv, i: 0 };
    let mut o = Opts::default();
    // ip's option loop: `--` ends the options, `--x` is `-x`; -4 and -6
    // by strcmp, the others by matches() in ip's order (-Version, -json,
    // -pretty, -help, -netns). `-h` is help here (ip's -human).
    while let Some(arg) = a.peek() {
        if arg == "--" {
            a.i += 1;
            break;
        }
        if !arg.starts_with('-') {
            break;
        }
        a.i += 1;
        let opt = arg
            .strip_prefix('-')
            .filter(|o| o.starts_with('-'))
            .unwrap_or(arg);
        match opt {
            "-4" => o.family = Some(Family::Inet),
            "-6" => o.family = Some(Family::Inet6),
            "-h" => return Ok((o, Cmd::Help(Help::Main))),
            "-version" => return Ok((o, Cmd::Version)),
            _ if opt.len() < 2 => return err(format!("unknown option \"{arg}\"")),
            _ if is(opt, "-Version") => return Ok((o, Cmd::Version)),
            _ if is(opt, "-json") => o.json = true,
            _ if is(opt, "-pretty") => o.pretty = true,
            _ if is(opt, "-help") => return Ok((o, Cmd::Help(Help::Main))),
            _ if is(opt, "-netns") => o.netns = Some(a.value(arg)?.to_string()),
            // ip's order: -family (which rvnetctl does not take) before
            // -force, then -batch (so -b is batch, -f is not force).
            _ if is(opt, "-family") => return err(format!("unknown option \"{arg}\"")),
            _ if is(opt, "-force") => o.force = true,
            _ if is(opt, "-batch") => o.batch = Some(a.value(arg)?.to_string()),
            _ => return err(format!("unknown option \"{arg}\"")),
        }
    }
    if o.batch.is_some() {
        if let Some(extra) = a.next() {
            return err(format!("unexpected argument \"{extra}\" after -batch FILE"));
        }
        return Ok((o, Cmd::Batch));
    }
    let Some(obj) = a.next() else {
        return err("missing OBJECT (rvnetctl help lists them)");
    };
    let cmd = match lookup(OBJECTS, obj) {
        Some((_, Object::Link)) => parse_link(&mut a)?,
        Some((_, Object::Route)) => match a.next() {
            Some(c) if is(c, "get") => match parse_route_query(&mut a, &o, names, true)? {
                Some(q) => Cmd::RouteGet(q),
                None => return Ok((o, Cmd::Help(Help::Route))),
            },
            Some(c) if is(c, "help") => return Ok((o, Cmd::Help(Help::Route))),
            Some(c) => return err(format!("unknown route command \"{c}\" (get, help)")),
            None => return err("route: missing command (get, help)"),
        },
        Some((_, Object::Neigh)) => match a.next() {
            Some(c) if is(c, "get") => match parse_neigh(&mut a, &o)? {
                Some(c) => c,
                None => return Ok((o, Cmd::Help(Help::Main))),
            },
            Some(c) if is(c, "help") => return Ok((o, Cmd::Help(Help::Main))),
            Some(c) => return err(format!("unknown neigh command \"{c}\" (get, help)")),
            None => return err("neigh: missing command (get, help)"),
        },
        Some((_, Object::Path)) => {
            // `path get DST` reads as well as `path DST`.
            if a.peek() == Some("get") {
                a.i += 1;
            }
            match parse_route_query(&mut a, &o, names, false)? {
                Some(q) => Cmd::Path(q),
                None => return Ok((o, Cmd::Help(Help::Main))),
            }
        }
        Some((_, Object::Device)) => parse_dev(&mut a)?,
        Some((_, Object::Decisions)) => Cmd::Decisions(parse_dev_name(&mut a, "decisions")?),
        Some((_, Object::Monitor)) => match a.next() {
            None => Cmd::Monitor(None),
            Some("dev") => Cmd::Monitor(Some(dev_name(a.value("dev")?)?)),
            Some(k) if is(k, "help") => return Ok((o, Cmd::Help(Help::Main))),
            Some(k) => return err(format!("unknown argument \"{k}\"")),
        },
        Some((_, Object::Family)) => Cmd::Family,
        Some((_, Object::Help)) => {
            // `help route` is route's help; ip's `help` ignores the rest.
            let h = match a.next().and_then(|w| lookup(OBJECTS, w)) {
                Some((_, Object::Route)) => Help::Route,
                _ => Help::Main,
            };
            return Ok((o, Cmd::Help(h)));
        }
        Some((full, Object::IpOnly)) => {
            return fail(format!(
                "object \"{obj}\" is ip's {full}, which rvnetctl does not have"
            ))
        }
        None => return fail(format!("object \"{obj}\" is unknown")),
    };
    if let Some(extra) = a.next() {
        return err(format!("unexpected argument \"{extra}\""));
    }
    Ok((o, cmd))
}

fn parse_link(a: &mut Args) -> Res<Cmd> {
    match a.next() {
        Some(c) if is(c, "add") => {
            let mut r = LinkAdd::default();
            let mut name = None;
            while let Some(k) = a.next() {
                match k {
                    "peer" => {
                        // `peer NAME` and ip's `peer name NAME`.
                        let mut v = a.value(k)?;
                        if v == "name" {
                            v = a.value("peer name")?;
                        }
                        r.peer = Some(new_name(v)?);
                    }
                    "netns" => r.netns = Some(a.value(k)?.to_string()),
                    "queues" => {
                        let n = parse_num(k, a.value(k)?)?;
                        r.txqueues = Some(n);
                        r.rxqueues = Some(n);
                    }
                    "numtxqueues" => r.txqueues = Some(parse_num(k, a.value(k)?)?),
                    "numrxqueues" => r.rxqueues = Some(parse_num(k, a.value(k)?)?),
                    "name" => name = Some(new_name(a.value(k)?)?),
                    "type" => r.kind = Some(a.value(k)?.to_string()),
                    _ if name.is_none() => name = Some(new_name(k)?),
                    _ => return err(format!("unknown link add argument \"{k}\"")),
                }
            }
            match name {
                Some(n) => r.name = n,
                None => return err("link add: missing NAME"),
            }
            for q in [r.txqueues, r.rxqueues].into_iter().flatten() {
                if q == 0 {
                    return err("queues must be at least 1");
                }
            }
            Ok(Cmd::LinkAdd(r))
        }
        Some(c) if is(c, "delete") => {
            let mut v = a.value("link del")?;
            if v == "dev" {
                v = a.value("dev")?;
            }
            Ok(Cmd::LinkDel(dev_name(v)?))
        }
        Some(c) if is(c, "help") => Ok(Cmd::Help(Help::Main)),
        Some(c) => err(format!("unknown link command \"{c}\" (add, del, help)")),
        None => err("link: missing command (add, del, help)"),
    }
}

/// `route get` (`full`) or `path` arguments, as `iproute_get` reads them;
/// `None` when they ask for help. Addresses are of `-4`/`-6`'s family or
/// of the first address's, as in `ip`.
fn parse_route_query(a: &mut Args, o: &Opts, names: &Names, full: bool) -> Res<Option<RouteQuery>> {
    let mut fam = o.family;
    let mut dst = None;
    let mut q = RouteQuery::new(IpAddr::from([0, 0, 0, 0]));
    while let Some(k) = a.next() {
        let key = lookup(ROUTE_GET_KEYS, k);
        match key {
            Some((full_kw, kk)) if !full && kk != Key::From && kk != Key::Mark => {
                return err(format!(
                    "path takes from and mark, not \"{k}\" ({full_kw}; see route get)"
                ));
            }
            _ => {}
        }
        match key {
            Some((kw, Key::Tos)) => {
                let v = a.value(k)?;
                match names.dsfield(v) {
                    Some(t) => q.tos = Some(t),
                    None => return err(format!("invalid \"{kw}\" value \"{v}\"")),
                }
            }
            Some((_, Key::From)) => {
                let v = a.value(k)?;
                if is(v, "help") {
                    return Ok(None);
                }
                q.src = Some(parse_addr(v, &mut fam, "prefix")?);
            }
            Some((_, Key::Iif)) => q.iif = Some(dev_name(a.value(k)?)?),
            Some((kw, Key::Mark)) => q.mark = Some(parse_num(kw, a.value(k)?)?),
            Some((_, Key::Oif)) => q.oif = Some(dev_name(a.value(k)?)?),
            // As ip: the VRF device is the output device (its l3mdev
            // rule then picks the VRF's table); it must be a VRF.
            Some((_, Key::Vrf)) => {
                let v = dev_name(a.value(k)?)?;
                q.oif = Some(v.clone());
                q.vrf.push(v);
            }
            Some((kw, Key::Uid)) => q.uid = Some(parse_num(kw, a.value(k)?)?),
            Some((kw, Key::Table)) => {
                let v = a.value(k)?;
                match names.table(v) {
                    Some(t) => q.table = Some(t),
                    None => return err(format!("invalid \"{kw}\" value \"{v}\"")),
                }
            }
            Some((_, Key::Sport)) => q.sport = Some(parse_port(k, a.value(k)?, "sport")?),
            Some((_, Key::Dport)) => q.dport = Some(parse_port(k, a.value(k)?, "dport")?),
            Some((_, Key::Connected)) => q.connected = true,
            Some((_, Key::Fibmatch)) => q.fibmatch = true,
            Some((_, Key::Ipproto)) => {
                let v = a.value(k)?;
                match ip_proto(v) {
                    Some(p) => q.ipproto = Some(p),
                    None => {
                        return err(format!(
                            "argument \"{v}\" is wrong: Invalid \"ipproto\" value"
                        ))
                    }
                }
            }
            Some((kw, Key::Dscp)) => {
                let d: u8 = parse_num(kw, a.value(k)?)?;
                if d > 63 {
                    return err("dscp is 6 bits (0..63)");
                }
                q.tos = Some(d << 2);
            }
            Some((kw, Key::IpOnly)) => {
                return err(format!(
                    "\"{k}\" is ip route get's {kw}, which rvnetctl does not take"
                ));
            }
            None => {
                let w = if k == "to" { a.value(k)? } else { k };
                if is(w, "help") {
                    return Ok(None);
                }
                if dst.is_some() {
                    return err(format!("a second destination \"{w}\""));
                }
                dst = Some(parse_addr(w, &mut fam, "prefix")?);
            }
        }
    }
    match dst {
        Some(d) => q.dst = d,
        None => return fail("need at least a destination address"),
    }
    Ok(Some(q))
}

/// `neigh get` as `ipneigh_get` reads it (`dev` by strcmp, `to`, the
/// address of `-4`/`-6`'s family); `None` for help.
fn parse_neigh(a: &mut Args, o: &Opts) -> Res<Option<Cmd>> {
    let mut fam = o.family;
    let mut addr = None;
    let mut dev = None;
    let mut resolve = false;
    while let Some(k) = a.next() {
        match k {
            "dev" => dev = Some(dev_name(a.value(k)?)?),
            "resolve" => resolve = true,
            _ => {
                let w = if k == "to" { a.value(k)? } else { k };
                if is(w, "help") {
                    return Ok(None);
                }
                if addr.is_some() {
                    return err(format!("a second address \"{w}\""));
                }
                addr = Some(parse_addr(w, &mut fam, "address")?);
            }
        }
    }
    match (addr, dev) {
        (Some(addr), Some(dev)) => Ok(Some(Cmd::NeighGet { addr, dev, resolve })),
        (None, _) => fail("neigh get: missing address"),
        (_, None) => fail("neigh get: missing \"dev DEV\""),
    }
}

/// `DEV` or `dev DEV`.
fn parse_dev_name(a: &mut Args, what: &str) -> Res<String> {
    let mut dev = a.value(what)?;
    if dev == "dev" {
        dev = a.value("dev")?;
    }
    dev_name(dev)
}

fn parse_dev(a: &mut Args) -> Res<Cmd> {
    match a.next() {
        None => Ok(Cmd::DevShow(None)),
        Some(c) if is(c, "show") || is(c, "list") => {
            let d = match a.next() {
                None => None,
                Some("dev") => Some(dev_name(a.value("dev")?)?),
                Some(d) => Some(dev_name(d)?),
            };
            Ok(Cmd::DevShow(d))
        }
        Some(c) if is(c, "set") => {
            let dev = parse_dev_name(a, "dev set")?;
            let (mut sample, mut ring) = (None, None);
            while let Some(k) = a.next() {
                match k {
                    "sample" => {
                        let v = a.value(k)?;
                        sample = Some(if v == "off" { 0 } else { parse_num(k, v)? });
                    }
                    "ring" => ring = Some(parse_num(k, a.value(k)?)?),
                    _ => return err(format!("unknown dev set argument \"{k}\"")),
                }
            }
            if sample.is_none() && ring.is_none() {
                return err("dev set: nothing to set (sample N, ring N)");
            }
            Ok(Cmd::DevSet { dev, sample, ring })
        }
        Some(c) if is(c, "decisions") => Ok(Cmd::Decisions(parse_dev_name(a, "dev decisions")?)),
        Some(c) if is(c, "help") => Ok(Cmd::Help(Help::Main)),
        Some(c) => err(format!("unknown dev command \"{c}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Res<(Opts, Cmd)> {
        let v: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&v)
    }

    #[test]
    fn route_get_iproute2_syntax() {
        let (o, c) = p("-j route get 10.0.0.1 from 10.0.0.2 mark 5 oif rv1 table main").unwrap();
        assert!(o.json);
        let Cmd::RouteGet(q) = c else { panic!() };
        assert_eq!(q.dst, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(q.src, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(q.mark, Some(5));
        assert_eq!(q.oif.as_deref(), Some("rv1"));
        assert_eq!(q.table, Some(254));
        let (_, c) = p("r g fd00::1 mark 0x10").unwrap();
        let Cmd::RouteGet(q) = c else { panic!() };
        assert_eq!(q.mark, Some(16));
        assert!(q.dst.is_ipv6());
    }

    #[test]
    fn usage_errors() {
        assert!(p("route get").is_err());
        assert!(p("route get 10.0.0.1 from fd00::1").is_err());
        assert!(p("route get 10.0.0.1 mark").is_err());
        assert!(p("route get 10.0.0.1 mark x").is_err());
        assert!(p("route get 10.0.0.1 10.0.0.2").is_err());
        assert!(p("path 10.0.0.1 oif rv1").is_err());
        assert!(p("neigh get 10.0.0.1").is_err());
        assert!(p("link add").is_err());
        assert!(p("link add a queues 0").is_err());
        assert!(p("link add a b").is_err());
        assert!(p("dev set rv1").is_err());
        assert!(p("dev decisions").is_err());
        assert!(p("dev decisions rv1 rv2").is_err());
        assert!(p("decisions").is_err());
        assert!(p("monitor rv1").is_err());
        assert!(p("bogus").is_err());
        assert!(p("--bogus").is_err());
    }

    #[test]
    fn link_add_forms() {
        let (_, c) = p("link add rv1 peer rv2 netns ns2 queues 4").unwrap();
        assert_eq!(
            c,
            Cmd::LinkAdd(LinkAdd {
                name: "rv1".into(),
                peer: Some("rv2".into()),
                netns: Some("ns2".into()),
                txqueues: Some(4),
                rxqueues: Some(4),
                kind: None,
            })
        );
        let (_, c) = p("link add name rv1 peer name rv2 numtxqueues 2").unwrap();
        let Cmd::LinkAdd(r) = c else { panic!() };
        assert_eq!((r.txqueues, r.rxqueues), (Some(2), None));
        assert_eq!(p("link del rv1").unwrap().1, Cmd::LinkDel("rv1".into()));
        assert_eq!(p("l d dev rv1").unwrap().1, Cmd::LinkDel("rv1".into()));
    }

    #[test]
    fn neigh_dev_monitor() {
        assert_eq!(
            p("-n ns1 neigh get 10.0.0.2 dev rv1 resolve").unwrap(),
            (
                Opts {
                    netns: Some("ns1".into()),
                    ..Opts::default()
                },
                Cmd::NeighGet {
                    addr: "10.0.0.2".parse().unwrap(),
                    dev: "rv1".into(),
                    resolve: true
                }
            )
        );
        assert_eq!(p("dev").unwrap().1, Cmd::DevShow(None));
        assert_eq!(
            p("dev show rv1").unwrap().1,
            Cmd::DevShow(Some("rv1".into()))
        );
        assert_eq!(
            p("dev set rv1 sample 100 ring 64").unwrap().1,
            Cmd::DevSet {
                dev: "rv1".into(),
                sample: Some(100),
                ring: Some(64)
            }
        );
        assert_eq!(
            p("monitor dev rv1").unwrap().1,
            Cmd::Monitor(Some("rv1".into()))
        );
        assert_eq!(p("monitor").unwrap().1, Cmd::Monitor(None));
        assert_eq!(p("path get 10.1.1.1").unwrap().1, {
            let Cmd::Path(q) = p("path 10.1.1.1").unwrap().1 else {
                panic!()
            };
            Cmd::Path(q)
        });
    }

    #[test]
    fn decisions_forms() {
        let want = Cmd::Decisions("rv1".into());
        for line in [
            "dev decisions rv1",
            "dev decisions dev rv1",
            "dev dec rv1",
            "d d rv1",
            "decisions rv1",
            "decisions dev rv1",
            "dec rv1",
        ] {
            assert_eq!(p(line).unwrap().1, want, "{line}");
        }
        let (o, c) = p("-j -n ns1 dev decisions rv2").unwrap();
        assert!(o.json);
        assert_eq!(o.netns.as_deref(), Some("ns1"));
        assert_eq!(c, Cmd::Decisions("rv2".into()));
        // `de` is still `device`, as before.
        assert_eq!(p("de show").unwrap().1, Cmd::DevShow(None));
    }

    fn code(s: &str) -> u8 {
        p(s).expect_err(s).code
    }

    fn rq(s: &str) -> RouteQuery {
        match p(s).unwrap().1 {
            Cmd::RouteGet(q) => q,
            c => panic!("{s}: {c:?}"),
        }
    }

    /// Exit statuses as ip's: 255 for a bad command line, 1 for an
    /// address ip would not take, a missing destination or object.
    #[test]
    fn usage_exit_codes_as_ip() {
        // ip route get 1.2.3.4 mark / mark x / tos foo / uid -1: 255.
        assert_eq!(code("route get 10.0.0.1 mark"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 mark x"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 tos foo"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 tos 100"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 uid -1"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 table nosuchname"), EXIT_USAGE);
        assert_eq!(code("route bogus"), EXIT_USAGE);
        assert_eq!(code("-bogus route get 10.0.0.1"), EXIT_USAGE);
        assert_eq!(code("-"), EXIT_USAGE);
        assert_eq!(code("-n"), EXIT_USAGE);
        assert_eq!(code(""), EXIT_USAGE);
        assert_eq!(code("-j"), EXIT_USAGE);
        assert_eq!(code("link add"), EXIT_USAGE);
        // ip route get (no destination), ip route get ff, ip -4 route get
        // fd00::1, ip route get ::1 from 1.2.3.4, ip bogus: 1.
        assert_eq!(code("route get"), EXIT_FAILURE);
        assert_eq!(code("route get ff"), EXIT_FAILURE);
        assert_eq!(code("-4 route get fd00::1"), EXIT_FAILURE);
        assert_eq!(code("route get ::1 from 10.0.0.1"), EXIT_FAILURE);
        assert_eq!(code("neigh get 10.0.0.1"), EXIT_FAILURE);
        assert_eq!(code("bogus"), EXIT_FAILURE);
        assert_eq!(code("route get 10.0.0.1 oif a/b"), EXIT_FAILURE);
    }

    #[test]
    fn family_options() {
        let (o, c) = p("-4 route get 10.0.0.1").unwrap();
        assert_eq!(o.family, Some(Family::Inet));
        assert!(matches!(c, Cmd::RouteGet(_)));
        let (o, _) = p("-6 route get fd00::1 from fd00::2").unwrap();
        assert_eq!(o.family, Some(Family::Inet6));
        // The last one counts, as in ip.
        assert_eq!(
            p("-4 -6 r g fd00::1").unwrap().0.family,
            Some(Family::Inet6)
        );
        assert_eq!(
            p("-4 route get fd00::1").unwrap_err().msg,
            "inet prefix is expected rather than \"fd00::1\""
        );
        assert_eq!(
            p("-6 route get 10.0.0.1").unwrap_err().msg,
            "inet6 prefix is expected rather than \"10.0.0.1\""
        );
        assert_eq!(
            p("-6 route get fd00::1 from 10.0.0.1").unwrap_err().msg,
            "inet6 prefix is expected rather than \"10.0.0.1\""
        );
        // Without -4/-6 the first address sets the family (ip: "route get
        // 1.2.3.4 from ::1" is "inet prefix is expected rather than").
        assert_eq!(
            p("route get 10.0.0.1 from fd00::1").unwrap_err().msg,
            "inet prefix is expected rather than \"fd00::1\""
        );
        assert_eq!(
            p("route get from 10.0.0.2 fd00::1").unwrap_err().msg,
            "inet prefix is expected rather than \"fd00::1\""
        );
        assert_eq!(
            p("route get zz").unwrap_err().msg,
            "any valid prefix is expected rather than \"zz\""
        );
        assert_eq!(
            p("-4 neigh get fd00::1 dev rv1").unwrap_err(),
            UsageError {
                msg: "inet address is expected rather than \"fd00::1\"".into(),
                code: EXIT_FAILURE
            }
        );
        assert_eq!(code("-6 path 10.0.0.1"), EXIT_FAILURE);
        assert!(p("-6 neigh get fd00::1 dev rv1").is_ok());
        assert!(p("--4 route get 10.0.0.1").is_ok());
    }

    #[test]
    fn pretty_and_other_options() {
        let (o, _) = p("-j -p route get 10.0.0.1").unwrap();
        assert!(o.json && o.pretty);
        let (o, _) = p("-json -pretty route get 10.0.0.1").unwrap();
        assert!(o.json && o.pretty);
        let (o, _) = p("--json --pret -n ns1 route get 10.0.0.1").unwrap();
        assert!(o.json && o.pretty);
        assert_eq!(o.netns.as_deref(), Some("ns1"));
        let (o, _) = p("-net ns2 -js dev").unwrap();
        assert_eq!(
            (o.json, o.pretty, o.netns.as_deref()),
            (true, false, Some("ns2"))
        );
        // -p alone is accepted (and has nothing to indent), as in ip.
        assert!(p("-p dev").unwrap().0.pretty);
        // `--` ends the options.
        assert!(matches!(
            p("-- route get 10.0.0.1").unwrap().1,
            Cmd::RouteGet(_)
        ));
        assert_eq!(p("-V").unwrap().1, Cmd::Version);
        assert_eq!(p("--Ver").unwrap().1, Cmd::Version);
        assert_eq!(p("--version").unwrap().1, Cmd::Version);
        // ip's options rvnetctl does not have are unknown, not another one.
        for bad in ["-d", "-s", "-r", "-f", "-fa", "-c", "-hu", "-0"] {
            assert_eq!(code(&format!("{bad} dev")), EXIT_USAGE, "{bad}");
        }
    }

    /// `-batch FILE` (`-b`) and `-force` as ip reads them; no command
    /// after the file.
    #[test]
    fn batch_options() {
        let (o, c) = p("-j -force -batch - ").unwrap();
        assert_eq!(c, Cmd::Batch);
        assert_eq!(
            (o.json, o.force, o.batch.as_deref()),
            (true, true, Some("-"))
        );
        let (o, c) = p("-n ns1 -b /tmp/x").unwrap();
        assert_eq!((c, o.force), (Cmd::Batch, false));
        assert_eq!(o.netns.as_deref(), Some("ns1"));
        assert!(p("-fo -b f").unwrap().0.force);
        assert_eq!(code("-batch"), EXIT_USAGE);
        assert_eq!(code("-batch f route get 10.0.0.1"), EXIT_USAGE);
    }

    #[test]
    fn tos_dsfield_dscp() {
        // Hex, as ip's rtnl_dsfield_a2n reads it.
        assert_eq!(rq("route get 10.0.0.1 tos 0x28").tos, Some(0x28));
        assert_eq!(rq("route get 10.0.0.1 tos 28").tos, Some(0x28));
        assert_eq!(rq("route get 10.0.0.1 dsfield 40").tos, Some(0x40));
        assert_eq!(rq("route get 10.0.0.1 dsf ff").tos, Some(0xff));
        assert_eq!(rq("route get 10.0.0.1 d 0x10").tos, Some(0x10));
        assert_eq!(rq("route get 10.0.0.1 tos 0").tos, Some(0));
        // dscp D is tos D << 2; the last one given counts.
        assert_eq!(rq("route get 10.0.0.1 dscp 10").tos, Some(0x28));
        assert_eq!(rq("route get 10.0.0.1 dscp 10 tos 4").tos, Some(4));
        assert_eq!(rq("route get 10.0.0.1 tos 4 dsc 63").tos, Some(0xfc));
        assert_eq!(code("route get 10.0.0.1 dscp 64"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 tos"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 tos 1ff"), EXIT_USAGE);
        // `to` is not an abbreviation of tos (ip compares tos exactly).
        assert_eq!(
            rq("route get to 10.0.0.1").dst,
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        // Names of rt_dsfield.
        let d = crate::names::tests::conf_dir("cli-tos", &[("rt_dsfield", "0x28\tAF11\n")]);
        let v: Vec<String> = "route get 10.0.0.1 tos AF11"
            .split_whitespace()
            .map(String::from)
            .collect();
        let (_, c) = parse_with(&v, &Names::at(&d)).unwrap();
        let Cmd::RouteGet(q) = c else { panic!() };
        assert_eq!(q.tos, Some(0x28));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// `ipproto` as inet_proto_a2n reads it (decimal or a protocols
    /// database name), ports as get_be16 (strtoul base 0, 16 bits); ip's
    /// messages and exit 255 for bad values.
    #[test]
    fn flow_keys_as_ip() {
        let q = rq("route get 10.0.0.1 ipproto tcp sport 0x10 dport 443");
        assert_eq!(
            (q.ipproto, q.sport, q.dport),
            (Some(6), Some(16), Some(443))
        );
        assert_eq!(rq("route get 10.0.0.1 ipproto 17").ipproto, Some(17));
        assert_eq!(rq("route get 10.0.0.1 ipproto 017").ipproto, Some(17));
        assert_eq!(rq("route get fd00::1 ipproto 58").ipproto, Some(58));
        // A number the kernel refuses is still the kernel's to refuse.
        assert_eq!(rq("route get 10.0.0.1 ipproto 132").ipproto, Some(132));
        if std::path::Path::new("/etc/protocols").exists() {
            assert_eq!(rq("route get 10.0.0.1 ipproto UDP").ipproto, Some(17));
            assert_eq!(rq("route get fd00::1 ipproto ipv6-icmp").ipproto, Some(58));
        }
        assert_eq!(rq("route get 10.0.0.1 sport 0").sport, Some(0));
        assert_eq!(rq("route get 10.0.0.1 dport 65535").dport, Some(65535));
        for bad in [
            "ipproto 0x6",
            "ipproto 256",
            "ipproto nosuchproto",
            "ipproto",
        ] {
            assert_eq!(
                code(&format!("route get 10.0.0.1 {bad}")),
                EXIT_USAGE,
                "{bad}"
            );
        }
        assert_eq!(
            p("route get 10.0.0.1 ipproto 0x6").unwrap_err().msg,
            "argument \"0x6\" is wrong: Invalid \"ipproto\" value"
        );
        assert_eq!(
            p("route get 10.0.0.1 sport 65536").unwrap_err().msg,
            "argument \"65536\" is wrong: invalid sport"
        );
        assert_eq!(code("route get 10.0.0.1 dport -1"), EXIT_USAGE);
        assert_eq!(code("route get 10.0.0.1 dport"), EXIT_USAGE);
        // path takes none of them.
        assert_eq!(code("path 10.0.0.1 dport 80"), EXIT_USAGE);
    }

    #[test]
    fn table_names() {
        let d = crate::names::tests::conf_dir(
            "cli-table",
            &[
                ("rt_tables", "255\tlocal\n254\tmain\n100 blue\n"),
                ("rt_tables.d/x.conf", "0x1000 green\n"),
            ],
        );
        let names = Names::at(&d);
        let t = |s: &str| {
            let v: Vec<String> = s.split_whitespace().map(String::from).collect();
            match parse_with(&v, &names).map(|(_, c)| c) {
                Ok(Cmd::RouteGet(q)) => Ok(q.table),
                Ok(c) => panic!("{c:?}"),
                Err(e) => Err(e.code),
            }
        };
        assert_eq!(t("r g 10.0.0.1 table blue"), Ok(Some(100)));
        assert_eq!(t("r g 10.0.0.1 table green"), Ok(Some(0x1000)));
        assert_eq!(t("r g 10.0.0.1 table main"), Ok(Some(254)));
        assert_eq!(t("r g 10.0.0.1 table default"), Ok(Some(253)));
        assert_eq!(t("r g 10.0.0.1 ta 4242"), Ok(Some(4242)));
        assert_eq!(t("r g 10.0.0.1 t 0x10"), Ok(Some(16)));
        assert_eq!(t("r g 10.0.0.1 table red"), Err(EXIT_USAGE));
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Abbreviations resolve in ip's order (iproute_get, ip's cmds[]).
    #[test]
    fn abbreviations_as_ip() {
        let q = rq("r g 10.0.0.1 ma 5 f 10.0.0.2 i rv1 o rv2 u 7");
        assert_eq!(q.mark, Some(5));
        assert_eq!(q.src, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(q.iif.as_deref(), Some("rv1"));
        assert_eq!(q.oif.as_deref(), Some("rv2"));
        assert_eq!(q.uid, Some(7));
        assert_eq!(rq("ro ge 10.0.0.1 m 0x10").mark, Some(16));
        assert_eq!(rq("route get 10.0.0.1 mark 010").mark, Some(8));
        assert_eq!(rq("route get 10.0.0.1 dev rv1").oif.as_deref(), Some("rv1"));
        // `ip` is ipproto (not iif), `s` sport, `dp` dport, as in ip.
        let q = rq("r g 10.0.0.1 ip 6 s 1000 dp 0x50");
        assert_eq!(
            (q.ipproto, q.sport, q.dport),
            (Some(6), Some(1000), Some(80))
        );
        assert_eq!(q.iif, None);
        // `c` is connected, a flag, as in ip.
        assert!(rq("r g 10.0.0.1 c").connected);
        assert!(!rq("r g 10.0.0.1").connected);
        // ip's keywords rvnetctl does not take are refused by name: `fi`
        // is fibmatch (not from, and a flag), `n` notify; `v` is vrf.
        assert!(rq("r g 10.0.0.1 fi").fibmatch);
        let v = rq("r g 10.0.0.1 vrf red");
        assert_eq!(
            (v.oif.as_deref(), v.vrf.clone()),
            (Some("red"), vec!["red".to_string()])
        );
        let v = rq("r g 10.0.0.1 vrf red oif rv1");
        assert_eq!((v.oif.as_deref(), v.vrf.len()), (Some("rv1"), 1));
        assert_eq!(rq("r g 10.0.0.1 v red").vrf, vec!["red".to_string()]);
        for w in ["n", "as"] {
            let e = p(&format!("route get 10.0.0.1 {w} 1")).unwrap_err();
            assert_eq!(e.code, EXIT_USAGE, "{w}");
            assert!(e.msg.contains("ip route get's"), "{w}: {}", e.msg);
        }
        // `de` is no keyword (dev is compared exactly): a destination.
        assert_eq!(code("route get 10.0.0.1 de rv1"), EXIT_USAGE);
        assert_eq!(code("route get de rv1"), EXIT_FAILURE);
        // Objects: `m` is ip's maddress and `f` ip's fou, not monitor and
        // family; `mo` is monitor, `fa` family, `n` neighbour.
        assert_eq!(code("m"), EXIT_FAILURE);
        assert!(p("m").unwrap_err().msg.contains("maddress"));
        assert_eq!(code("f"), EXIT_FAILURE);
        assert_eq!(p("mo").unwrap().1, Cmd::Monitor(None));
        assert_eq!(p("fa").unwrap().1, Cmd::Family);
        assert!(matches!(
            p("n g 10.0.0.1 dev rv1").unwrap().1,
            Cmd::NeighGet { .. }
        ));
        assert!(matches!(
            p("neighbor get 10.0.0.1 dev rv1").unwrap().1,
            Cmd::NeighGet { .. }
        ));
        assert!(matches!(p("p 10.0.0.1 ma 3").unwrap().1, Cmd::Path(q) if q.mark == Some(3)));
        assert_eq!(code("path 10.0.0.1 d 4"), EXIT_USAGE);
        assert_eq!(code("a"), EXIT_FAILURE);
    }

    #[test]
    fn help_forms() {
        for s in [
            "route help",
            "r h",
            "route get help",
            "route get 10.0.0.1 h",
            "route get 10.0.0.1 from help",
            "route get to help",
            "help route",
            "route get 10.0.0.1 mark 5 help bogus",
        ] {
            assert_eq!(p(s).unwrap().1, Cmd::Help(Help::Route), "{s}");
        }
        for s in [
            "help",
            "h",
            "-h",
            "-help",
            "--help",
            "--he",
            "link help",
            "neigh help",
            "neigh get help",
            "dev help",
            "monitor help",
            "path help",
            "help bogus",
        ] {
            assert_eq!(p(s).unwrap().1, Cmd::Help(Help::Main), "{s}");
        }
        assert!(ROUTE_USAGE.contains("tos TOS"));
        assert!(USAGE.contains("-p, --pretty") && USAGE.contains("-4, -6"));
    }
}
