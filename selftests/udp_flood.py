#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP senders for the rvnet selftests: bursts and floods of datagrams.

    udp_flood.py GROUP...          send, then exit 0, or 1 if a sender failed
    udp_flood.py --serve           a line of GROUPs per burst on stdin; each
                                   answered on stdout, "ok" or the first error

One python3 start for every sender of a burst (each forked from it, each in
its own network namespace if asked): under TCG a python3 start costs seconds
on the debug kernel, a fork a few milliseconds.

A GROUP is one word of comma-separated KEY=VALUE (or KEY) items:

    to=ADDR       destination address (IPv4 or IPv6), required
    netns=NAME    send from network namespace NAME (/run/netns/NAME);
                  default: the caller's
    ports=N       each round sends one datagram to each of the ports 20000 to
                  20000+N-1 (default 1)
    size=N        UDP payload bytes (default 64)
    rounds=N      stop after N rounds
    count=N       stop after N datagrams were sent (accepted by the socket)
    secs=F        stop after F seconds
    stop=FILE     stop once FILE exists (checked once a round)
    procs=N       N senders like this one, each with its own socket
                  (default 1)
    cpu=N         the group's senders run on CPU N only
    sndbuf=N      SO_SNDBUFFORCE to N bytes
    nonblock      MSG_DONTWAIT: a send that fails (EAGAIN: the socket
                  buffer is full; ENOBUFS, ENETDOWN, ...) is counted by its
                  errno and the sender goes on (after EAGAIN, 1 ms later).
                  Without it the first failed send ends the sender and
                  fails the run.
    out=FILE      the group's report, "sent N, errors none" or "sent N,
                  errors EAGAIN x3 ENOBUFS x1" (summed over its senders),
                  written to FILE ("-": standard output)

A group needs at least one of rounds, count, secs and stop. SIGTERM or
SIGINT ends every sender (the reports are not written then).
"""
import ctypes
import errno
import os
import signal
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
SO_SNDBUFFORCE = 32
KEYS = {"to": str, "netns": str, "ports": int, "size": int, "rounds": int,
        "count": int, "secs": float, "stop": str, "procs": int, "cpu": int,
        "sndbuf": int, "nonblock": bool, "out": str}
KIDS = set()  # the senders of the burst under way


def parse(word):
    g = {"ports": 1, "size": 64, "procs": 1, "nonblock": False}
    for item in word.split(","):
        key, eq, val = item.partition("=")
        kind = KEYS.get(key)
        if kind is None or (kind is bool) == bool(eq):
            raise ValueError(f"bad item {item!r} in {word!r}")
        try:
            g[key] = True if kind is bool else kind(val)
        except ValueError:
            raise ValueError(f"bad value in {item!r}") from None
    if "to" not in g:
        raise ValueError(f"no to=ADDR in {word!r}")
    if not any(k in g for k in ("rounds", "count", "secs", "stop")):
        raise ValueError(f"{word!r} never stops: give rounds, count, secs or stop")
    if g["ports"] < 1 or g["procs"] < 1 or g["size"] < 0:
        raise ValueError(f"ports and procs must be at least 1, size at least 0, in {word!r}")
    return g


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    except OSError as e:
        raise OSError(e.errno, f"netns {name}: {e.strerror}") from None
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns to netns {name}: {os.strerror(e)}")
    finally:
        os.close(fd)


def send(g):
    """One sender: (datagrams sent, {errno name: count}, fatal error or None)."""
    sent, errs = 0, {}
    try:
        if "netns" in g:
            enter_netns(g["netns"])
        if "cpu" in g:
            os.sched_setaffinity(0, {g["cpu"]})
        fam = socket.AF_INET6 if ":" in g["to"] else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if "sndbuf" in g:
            s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, g["sndbuf"])
    except OSError as e:
        return sent, errs, f"sender to {g['to']}: {e.strerror or e}"
    data = b"x" * g["size"]
    addrs = [(g["to"], 20000 + p) for p in range(g["ports"])]
    nonblock = g["nonblock"]
    flags = socket.MSG_DONTWAIT if nonblock else 0
    limit = g.get("count") or float("inf")
    rounds = g.get("rounds") or float("inf")
    end = time.monotonic() + g["secs"] if g.get("secs") else None
    stop = g.get("stop")
    done = 0
    while (done < rounds and sent < limit
           and (end is None or time.monotonic() < end)
           and (stop is None or not os.path.exists(stop))):
        for a in addrs:
            try:
                s.sendto(data, flags, a)
                sent += 1
            except OSError as e:
                if not nonblock:
                    return sent, errs, f"sendto {a[0]} port {a[1]}: {e.strerror}"
                n = errno.errorcode.get(e.errno, str(e.errno))
                errs[n] = errs.get(n, 0) + 1
                if e.errno == errno.EAGAIN:
                    time.sleep(0.001)
            if sent >= limit:
                break
        done += 1
    s.close()
    return sent, errs, None


def burst(groups):
    """Runs every sender of GROUPS at once; returns the first error or None."""
    rfd, wfd = os.pipe()
    KIDS.clear()
    for gi, g in enumerate(groups):
        for _ in range(g["procs"]):
            pid = os.fork()
            if pid == 0:
                os.close(rfd)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                sent, errs, err = send(g)
                # One line of less than PIPE_BUF bytes: written at once.
                line = "%d %d %s %s\n" % (gi, sent, ",".join(
                    "%s=%d" % kv for kv in errs.items()) or "-", err or "")
                os.write(wfd, line.encode()[:4000])
                os._exit(1 if err else 0)
            KIDS.add(pid)
    os.close(wfd)
    with os.fdopen(rfd) as r:
        lines = r.read().splitlines()
    # Reaped: no pid of this burst may be signalled once it was reused.
    statuses = [os.waitpid(pid, 0)[1] for pid in KIDS]
    KIDS.clear()
    sent = [0] * len(groups)
    errs = [{} for _ in groups]
    failures = []
    for line in lines:
        gi, n, e, err = line.split(" ", 3)
        gi = int(gi)
        sent[gi] += int(n)
        if e != "-":
            for kv in e.split(","):
                k, v = kv.split("=")
                errs[gi][k] = errs[gi].get(k, 0) + int(v)
        if err:
            failures.append(err)
    # A sender that died without its line (killed, or Python itself
    # failed) has only its status to say.
    failures += ["a sender ended with status %d" % st for st in statuses if st]
    for gi, g in enumerate(groups):
        if "out" not in g:
            continue
        rep = "sent %d, errors %s\n" % (sent[gi], " ".join(
            "%s x%d" % kv for kv in sorted(errs[gi].items())) or "none")
        if g["out"] == "-":
            sys.stdout.write(rep)
            sys.stdout.flush()
        else:
            with open(g["out"], "w") as f:
                f.write(rep)
    return failures[0] if failures else None


def end(signum, frame):
    """SIGTERM, SIGINT: the senders end with this process."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for pid in KIDS:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    os._exit(128 + signum)


def main():
    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    args = sys.argv[1:]
    if args == ["--serve"]:
        for line in sys.stdin:
            try:
                groups = [parse(w) for w in line.split()]
                err = burst(groups) if groups else "an empty line: no GROUP"
            except ValueError as e:
                err = str(e)
            print(err or "ok", flush=True)
        return 0
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        groups = [parse(w) for w in args]
    except ValueError as e:
        print(f"udp_flood.py: {e}", file=sys.stderr)
        return 2
    err = burst(groups)
    if err:
        print(f"udp_flood.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
