// SPDX-License-Identifier: GPL-2.0
//! rvnetctl: create rvnet pairs over rtnetlink and ask the `rvnet` generic
//! netlink family about the kernel's route, neighbour and path decisions.

mod attr;
mod cli;
mod cmds;
mod codec;
mod decision;
mod genl;
mod link;
mod monitor;
mod names;
mod nl;
mod show;
mod spec;
#[cfg(test)]
mod spec_check;
mod value;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::ExitCode;

use cli::{Cmd, Opts, UsageError, EXIT_FAILURE, EXIT_KERNEL, EXIT_USAGE};
use nl::{NlError, Origin};
use value::{Obj, Value};

/// Name of a command for error messages (`rvnetctl: route get: ...`).
fn cmd_name(c: &Cmd) -> &'static str {
    match c {
        Cmd::LinkAdd(_) => "link add",
        Cmd::LinkDel(_) => "link del",
        Cmd::RouteGet(_) => "route get",
        Cmd::NeighGet { .. } => "neigh get",
        Cmd::Path(_) => "path",
        Cmd::DevShow(_) => "dev show",
        Cmd::DevSet { .. } => "dev set",
        Cmd::Decisions(_) => "dev decisions",
        Cmd::Monitor(_) => "monitor",
        Cmd::Family => "family",
        Cmd::Help(_) => "help",
        Cmd::Version => "version",
        Cmd::Batch => "batch",
    }
}

/// Moves this process into the named network namespace.
fn enter_netns(name: &str) -> Result<(), NlError> {
    let f: File = link::open_netns(name)?;
    // SAFETY: setns() on an fd we own; it only changes this thread's
    // namespace, and we are single-threaded.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        let mut e = NlError::from_io(&std::io::Error::last_os_error());
        e.ext.msg = Some(format!("cannot enter network namespace {name}"));
        e.origin = Origin::Argument;
        return Err(e);
    }
    Ok(())
}

/// Prints answers as `ip -j` (`-j -p`) would or as text lines.
fn print(opts: &Opts, objs: &[Obj], text: impl Fn(&Obj) -> String) {
    if opts.json {
        println!("{}", value::json_array_fmt(objs, opts.pretty));
    } else {
        for o in objs {
            println!("{}", text(o));
        }
    }
}

fn run(opts: &Opts, cmd: &Cmd) -> Result<(), NlError> {
    match cmd {
        // Asked-for help goes to stdout and succeeds (ip prints it to
        // stderr and exits 255, as for a usage error).
        Cmd::Help(h) => println!("{}", h.text()),
        Cmd::Version => println!("rvnetctl {}", env!("CARGO_PKG_VERSION")),
        Cmd::LinkAdd(r) => link::add(r)?,
        Cmd::LinkDel(n) => link::del(n)?,
        Cmd::Family => {
            let s = genl::RvnetSocket::open()?;
            let f = &s.family;
            let groups = f
                .groups
                .iter()
                .map(|(n, id)| {
                    Value::O(vec![
                        ("name".into(), Value::S(n.clone())),
                        ("id".into(), Value::U(u64::from(*id))),
                    ])
                })
                .collect();
            let o: Obj = vec![
                ("name".into(), Value::S(f.name.clone())),
                ("id".into(), Value::U(u64::from(f.id))),
                ("version".into(), Value::U(u64::from(f.version))),
                ("maxattr".into(), Value::U(u64::from(f.maxattr))),
                (
                    "ops".into(),
                    Value::L(
                        f.ops
                            .iter()
                            .map(
                                |&id| match spec::OPS.iter().find(|o| u32::from(o.cmd) == id) {
                                    Some(o) => Value::S(o.name.into()),
                                    None => Value::U(u64::from(id)),
                                },
                            )
                            .collect(),
                    ),
                ),
                ("mcast-groups".into(), Value::L(groups)),
            ];
            print(opts, &[o], |o| {
                format!(
                    "{} id {} version {} maxattr {} ops {} groups {}",
                    value::get_str(o, "name").unwrap_or_default(),
                    value::get_u64(o, "id").unwrap_or_default(),
                    value::get_u64(o, "version").unwrap_or_default(),
                    value::get_u64(o, "maxattr").unwrap_or_default(),
                    value::get(o, "ops").map(Value::text).unwrap_or_default(),
                    f.groups
                        .iter()
                        .map(|(n, id)| format!("{n}({id})"))
                        .collect::<Vec<_>>()
                        .join(","),
                )
            });
        }
        Cmd::RouteGet(q) => {
            let mut s = genl::RvnetSocket::open()?;
            let mut objs = cmds::call(&mut s, spec::ROUTE_GET, cmds::route_request(q)?, false)?;
            if q.connected && q.src.is_none() {
                // As ip: the question again, from the answer's source (a
                // reject route ends it: printed, then its error).
                if let Some(e) = objs.iter().find_map(cmds::route_error) {
                    print(opts, &objs, show::route_line);
                    return Err(e);
                }
                let again = cmds::connected_query(q, &objs)?;
                objs = cmds::call(&mut s, spec::ROUTE_GET, cmds::route_request(&again)?, false)?;
            }
            print(opts, &objs, show::route_line);
            // A reject route: its type is printed, then the kernel's
            // error, and the exit status is ip's for it.
            if let Some(e) = objs.iter().find_map(cmds::route_error) {
                return Err(e);
            }
        }
        Cmd::NeighGet { addr, dev, resolve } => {
            let attrs = cmds::neigh_request(*addr, cmds::ifindex(dev)?, *resolve);
            let mut s = genl::RvnetSocket::open()?;
            let objs = cmds::call(&mut s, spec::NEIGH_GET, attrs, false)?;
            print(opts, &objs, show::neigh_line);
        }
        Cmd::Path(q) => {
            let mut s = genl::RvnetSocket::open()?;
            let objs = cmds::call(&mut s, spec::PATH_GET, cmds::path_request(q), false)?;
            print(opts, &objs, show::path_lines);
        }
        Cmd::DevShow(dev) => {
            let mut s = genl::RvnetSocket::open()?;
            let objs = match dev {
                Some(d) => {
                    let a = codec::put(
                        &spec::DEV,
                        "ifindex",
                        codec::Put::U(cmds::ifindex(d)?.into()),
                    );
                    cmds::call(&mut s, spec::DEV_GET, vec![a], false)?
                }
                None => cmds::call(&mut s, spec::DEV_GET, Vec::new(), true)?,
            };
            print(opts, &objs, show::dev_line);
        }
        Cmd::DevSet { dev, sample, ring } => {
            let attrs = cmds::dev_set_request(cmds::ifindex(dev)?, *sample, *ring);
            let mut s = genl::RvnetSocket::open()?;
            let objs = cmds::call(&mut s, spec::DEV_SET, attrs, false)?;
            // Like `ip link set`, silent unless asked for JSON.
            if opts.json {
                print(opts, &objs, show::dev_line);
            }
        }
        Cmd::Decisions(dev) => {
            let attrs = cmds::decision_dump_request(cmds::ifindex(dev)?);
            let mut s = genl::RvnetSocket::open()?;
            let objs = cmds::call(&mut s, spec::DECISION_DUMP, attrs, true)?;
            // The JSON form names the neigh-state bits; the text line
            // formats the raw attributes itself.
            if opts.json {
                let objs: Vec<Obj> = objs.iter().map(decision::json_form).collect();
                print(opts, &objs, decision::line);
            } else {
                print(opts, &objs, decision::line);
            }
        }
        Cmd::Monitor(dev) => monitor::run(opts, dev.as_deref())?,
        Cmd::Batch => return Err(NlError::msg(libc::EINVAL, "no batch in a batch")),
    }
    Ok(())
}

/// `-batch FILE`, as `ip -batch`: each line (not empty, not a `#`
/// comment) is a command line without the global options, run with those
/// of the real command line; a failure prints its error and `Command
/// failed FILE:LINE` on stderr and ends the batch unless `-force`. Exit
/// status 0, or 1 if a command failed (ip's).
fn run_batch(opts: &Opts) -> ExitCode {
    use std::io::BufRead;
    let name = opts.batch.as_deref().unwrap_or("-");
    let input: Box<dyn BufRead> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match File::open(name) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("rvnetctl: cannot open batch file \"{name}\": {e}");
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    };
    let mut failed = false;
    for (i, line) in input.lines().enumerate() {
        let Ok(line) = line else { break };
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        if words.is_empty() || words[0].starts_with('#') {
            continue;
        }
        let ok = match cli::parse(&words) {
            Ok((lo, Cmd::Batch)) if lo.batch.is_some() => {
                eprintln!("rvnetctl: -batch inside a batch");
                false
            }
            Ok((lo, cmd)) => {
                let o = Opts {
                    json: opts.json || lo.json,
                    pretty: opts.pretty || lo.pretty,
                    family: lo.family.or(opts.family),
                    ..opts.clone()
                };
                match run(&o, &cmd) {
                    Ok(()) => true,
                    Err(e) => {
                        eprintln!("rvnetctl: {}: {e}", cmd_name(&cmd));
                        false
                    }
                }
            }
            Err(UsageError { msg, .. }) => {
                eprintln!("rvnetctl: {msg}");
                false
            }
        };
        if !ok {
            eprintln!("Command failed {name}:{}", i + 1);
            failed = true;
            if !opts.force {
                break;
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    }
}

/// The exit status of a failed command, as `ip` would exit: 2 when the
/// kernel refused the request, 255 for a namespace that cannot be
/// entered, 1 for the rest (no such device, a socket that cannot be
/// opened).
fn exit_code(e: &NlError) -> u8 {
    match e.origin {
        Origin::Kernel => EXIT_KERNEL,
        Origin::Argument => EXIT_USAGE,
        Origin::Local => EXIT_FAILURE,
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (opts, cmd) = match cli::parse(&argv) {
        Ok(x) => x,
        Err(UsageError { msg, code }) => {
            eprintln!("rvnetctl: {msg}");
            eprintln!("Try \"rvnetctl help\".");
            return ExitCode::from(code);
        }
    };
    let entered = match &opts.netns {
        Some(ns) => enter_netns(ns),
        None => Ok(()),
    };
    if cmd == Cmd::Batch {
        if let Err(e) = entered {
            eprintln!("rvnetctl: batch: {e}");
            return ExitCode::from(exit_code(&e));
        }
        return run_batch(&opts);
    }
    let res = entered.and_then(|()| run(&opts, &cmd));
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rvnetctl: {}: {e}", cmd_name(&cmd));
            ExitCode::from(exit_code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 for what the kernel refused (ip's "RTNETLINK answers" / "Error:
    /// ..." from extack), 255 for a namespace that cannot be entered, 1
    /// for a device that is not there.
    #[test]
    fn exit_codes_as_ip() {
        let kernel = NlError {
            errno: libc::ENOENT,
            origin: Origin::Kernel,
            ..NlError::default()
        };
        assert_eq!(exit_code(&kernel), 2);
        let nodev = cmds::ifindex("rvnetctl-none0").unwrap_err();
        assert_eq!(nodev.errno, libc::ENODEV);
        assert_eq!(exit_code(&nodev), 1);
        let ns = link::open_netns("rvnetctl-no-such-netns").unwrap_err();
        assert_eq!(exit_code(&ns), 255);
        let io = NlError::from_io(&std::io::Error::from_raw_os_error(libc::EPERM));
        assert_eq!(exit_code(&io), 1);
    }
}
