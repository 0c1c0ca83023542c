// SPDX-License-Identifier: GPL-2.0
//! iproute2-style keyword parsing: `rvnetctl [-j] [-n NS] OBJECT COMMAND
//! ARGS...`, where objects and commands may be abbreviated as `ip` allows
//! (`r g` for `route get`).

use std::net::IpAddr;

use crate::link::LinkAdd;

/// Usage text.
pub const USAGE: &str = "\
Usage: rvnetctl [OPTIONS] OBJECT COMMAND [ARGS]
Options:
  -j, --json            output a JSON array of objects (ip -j style)
  -n, --netns NS        run in network namespace NS (/run/netns/NS)
  -h, --help            this help
  -V, --version         version
Commands:
  link add NAME [peer NAME] [netns NS] [queues N] [numtxqueues N] [numrxqueues N]
                        [type KIND (default rvnet)]
  link del NAME
  route get DST [from SRC] [mark M] [oif DEV] [iif DEV] [table T] [uid U] [dscp D]
  neigh get ADDR dev DEV [resolve]
  path DST [from SRC] [mark M]
  dev show [DEV]
  dev set DEV [sample N] [ring N]
  dev decisions DEV     the decisions recorded on DEV (decision-dump)
  monitor [dev DEV]     decision events as they happen (decisions group)
  family";

/// Global options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    /// `-j`: JSON output.
    pub json: bool,
    /// `-n NS`: enter this namespace first.
    pub netns: Option<String>,
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
    /// `dscp`: DSCP value (6 bits).
    pub dscp: Option<u8>,
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
    /// `help`.
    Help,
    /// `--version`.
    Version,
}

/// A usage error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

type Res<T> = Result<T, UsageError>;

fn err<T>(m: impl Into<String>) -> Res<T> {
    Err(UsageError(m.into()))
}

/// `word` abbreviates `full` (iproute2's `matches`).
fn is(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

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

    fn value(&mut self, key: &str) -> Res<&'a str> {
        match self.next() {
            Some(v) => Ok(v),
            None => err(format!("\"{key}\" needs an argument")),
        }
    }
}

fn parse_num<T: TryFrom<u64>>(key: &str, s: &str) -> Res<T> {
    let n = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse::<u64>().ok()
    };
    match n.and_then(|n| T::try_from(n).ok()) {
        Some(v) => Ok(v),
        None => err(format!("invalid \"{key}\" value \"{s}\"")),
    }
}

fn parse_addr(key: &str, s: &str) -> Res<IpAddr> {
    match s.parse() {
        Ok(a) => Ok(a),
        Err(_) => err(format!("invalid {key} address \"{s}\"")),
    }
}

/// Table names of `/etc/iproute2/rt_tables` that every system has.
fn parse_table(s: &str) -> Res<u32> {
    match s {
        "main" => Ok(254),
        "local" => Ok(255),
        "default" => Ok(253),
        _ => parse_num("table", s),
    }
}

fn check_name(s: &str) -> Res<String> {
    if s.is_empty() || s.len() > 15 || s.contains('/') || s.contains(char::is_whitespace) {
        return err(format!("\"{s}\" is not a valid interface name"));
    }
    Ok(s.to_string())
}

/// Parses the whole command line (without `argv[0]`).
pub fn parse(argv: &[String]) -> Res<(Opts, Cmd)> {
    let mut a = Args { v: argv, i: 0 };
    let mut o = Opts::default();
    let obj = loop {
        match a.next() {
            Some("-j" | "-json" | "--json") => o.json = true,
            Some("-n" | "-netns" | "--netns") => o.netns = Some(a.value("-n")?.to_string()),
            Some("-h" | "-help" | "--help") => return Ok((o, Cmd::Help)),
            Some("-V" | "-Version" | "--version") => return Ok((o, Cmd::Version)),
            Some(s) if s.starts_with('-') => return err(format!("unknown option \"{s}\"")),
            Some(s) => break s,
            None => return Ok((o, Cmd::Help)),
        }
    };
    let cmd = match obj {
        s if is(s, "link") => parse_link(&mut a)?,
        s if is(s, "route") => match a.next() {
            Some(c) if is(c, "get") => Cmd::RouteGet(parse_route_query(&mut a, true)?),
            Some(c) => return err(format!("unknown route command \"{c}\"")),
            None => return err("route: missing command (get)"),
        },
        s if is(s, "neighbour") || is(s, "neighbor") => match a.next() {
            Some(c) if is(c, "get") => parse_neigh(&mut a)?,
            Some(c) => return err(format!("unknown neigh command \"{c}\"")),
            None => return err("neigh: missing command (get)"),
        },
        s if is(s, "path") => {
            // `path get DST` reads as well as `path DST`.
            if a.v.get(a.i).is_some_and(|w| w == "get") {
                a.i += 1;
            }
            Cmd::Path(parse_route_query(&mut a, false)?)
        }
        s if is(s, "device") => parse_dev(&mut a)?,
        s if is(s, "decisions") => Cmd::Decisions(parse_dev_name(&mut a, "decisions")?),
        s if is(s, "monitor") => Cmd::Monitor(parse_opt_dev(&mut a)?),
        s if is(s, "family") => Cmd::Family,
        s if is(s, "help") => Cmd::Help,
        s => return err(format!("unknown object \"{s}\"")),
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
                        r.peer = Some(check_name(v)?);
                    }
                    "netns" => r.netns = Some(a.value(k)?.to_string()),
                    "queues" => {
                        let n = parse_num(k, a.value(k)?)?;
                        r.txqueues = Some(n);
                        r.rxqueues = Some(n);
                    }
                    "numtxqueues" => r.txqueues = Some(parse_num(k, a.value(k)?)?),
                    "numrxqueues" => r.rxqueues = Some(parse_num(k, a.value(k)?)?),
                    "name" => name = Some(check_name(a.value(k)?)?),
                    "type" => r.kind = Some(a.value(k)?.to_string()),
                    _ if name.is_none() => name = Some(check_name(k)?),
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
            Ok(Cmd::LinkDel(check_name(v)?))
        }
        Some(c) => err(format!("unknown link command \"{c}\"")),
        None => err("link: missing command (add, del)"),
    }
}

fn parse_route_query(a: &mut Args, full: bool) -> Res<RouteQuery> {
    let mut dst = None;
    let mut q = RouteQuery {
        dst: IpAddr::from([0, 0, 0, 0]),
        src: None,
        mark: None,
        oif: None,
        iif: None,
        table: None,
        uid: None,
        dscp: None,
    };
    while let Some(k) = a.next() {
        match k {
            "from" => q.src = Some(parse_addr(k, a.value(k)?)?),
            "mark" => q.mark = Some(parse_num(k, a.value(k)?)?),
            "to" => dst = Some(parse_addr("destination", a.value(k)?)?),
            "oif" if full => q.oif = Some(check_name(a.value(k)?)?),
            "iif" if full => q.iif = Some(check_name(a.value(k)?)?),
            "table" if full => q.table = Some(parse_table(a.value(k)?)?),
            "uid" if full => q.uid = Some(parse_num(k, a.value(k)?)?),
            "dscp" if full => {
                let d: u8 = parse_num(k, a.value(k)?)?;
                if d > 63 {
                    return err("dscp is 6 bits (0..63)");
                }
                q.dscp = Some(d);
            }
            _ if dst.is_none() => dst = Some(parse_addr("destination", k)?),
            _ => return err(format!("unknown argument \"{k}\"")),
        }
    }
    match dst {
        Some(d) => q.dst = d,
        None => return err("missing destination address"),
    }
    if let Some(s) = q.src {
        if s.is_ipv4() != q.dst.is_ipv4() {
            return err("from and destination are of different address families");
        }
    }
    Ok(q)
}

fn parse_neigh(a: &mut Args) -> Res<Cmd> {
    let mut addr = None;
    let mut dev = None;
    let mut resolve = false;
    while let Some(k) = a.next() {
        match k {
            "dev" => dev = Some(check_name(a.value(k)?)?),
            "resolve" => resolve = true,
            "to" => addr = Some(parse_addr("neighbour", a.value(k)?)?),
            _ if addr.is_none() => addr = Some(parse_addr("neighbour", k)?),
            _ => return err(format!("unknown argument \"{k}\"")),
        }
    }
    match (addr, dev) {
        (Some(addr), Some(dev)) => Ok(Cmd::NeighGet { addr, dev, resolve }),
        (None, _) => err("neigh get: missing address"),
        (_, None) => err("neigh get: missing \"dev DEV\""),
    }
}

fn parse_opt_dev(a: &mut Args) -> Res<Option<String>> {
    match a.next() {
        None => Ok(None),
        Some("dev") => Ok(Some(check_name(a.value("dev")?)?)),
        Some(k) => err(format!("unknown argument \"{k}\"")),
    }
}

/// `DEV` or `dev DEV`.
fn parse_dev_name(a: &mut Args, what: &str) -> Res<String> {
    let mut dev = a.value(what)?;
    if dev == "dev" {
        dev = a.value("dev")?;
    }
    check_name(dev)
}

fn parse_dev(a: &mut Args) -> Res<Cmd> {
    match a.next() {
        None => Ok(Cmd::DevShow(None)),
        Some(c) if is(c, "show") || is(c, "list") => {
            let d = match a.next() {
                None => None,
                Some("dev") => Some(check_name(a.value("dev")?)?),
                Some(d) => Some(check_name(d)?),
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
                    json: false,
                    netns: Some("ns1".into())
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
}
