#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the host gave each QEMU thread during the guest's bench windows.

    bench/hostthreads.py MARKS [--out FILE] [--monitor SOCK] -- CMD...

Runs CMD (a `qemu/run` of bench/guest.sh with RVNET_BENCH_MARKS=MARKS in
the guest's environment) and, every 0.2 s, reads the CPU time (utime +
stime) of every thread of every qemu-system process and the lines the
guest appended to MARKS ("start slow KIND ROOT", "end ...", written by
guest.py's mark()). The host stamps each mark with its own clock when it
sees it (the guest's clock under TCG is not the host's), and for each
start/end pair prints each QEMU thread's share of a host CPU in that
window (QEMU does not name its threads: the vCPU threads are the busy
ones, vCPU 0 the lower thread id). With --monitor SOCK (CMD's QEMU started
with `-monitor unix:SOCK,server,nowait`, e.g. through RVNET_QEMU_OPTS) also
the change of the counters of the monitor's `info jit` in the window
(translations, TB flushes and invalidations, TLB flushes). Also written as
JSON lines to FILE. The exit status is CMD's.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def qemu_threads():
    """{(pid, tid): (name, cpu seconds)} of every qemu-system thread."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                if not f.read().startswith("qemu-system"):
                    continue
            tids = os.listdir("/proc/%s/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%s/task/%s/comm" % (pid, tid)) as f:
                    name = f.read().strip()
                with open("/proc/%s/task/%s/stat" % (pid, tid)) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime and stime: fields 14 and 15 of stat, 12 and 13 after
            # the comm (state is the first one after it).
            out[(pid, tid)] = (name, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def info_jit(sock):
    """The numeric counters of HMP `info jit`, {name: value}."""
    if not sock or not os.path.exists(sock):
        return {}
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(sock)
        def until_prompt():
            buf = b""
            while not buf.endswith(b"(qemu) "):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            return buf

        until_prompt()  # the greeting
        s.sendall(b"info jit\n")
        buf = until_prompt()
        s.close()
    except OSError:
        return {}
    out = {}
    for line in buf.decode(errors="replace").splitlines():
        m = re.match(r"\s*([A-Za-z][A-Za-z /-]*?)\s+(\d+)\s*$", line)
        if m:
            out[m.group(1).strip()] = int(m.group(2))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("marks")
    ap.add_argument("--out")
    ap.add_argument("--monitor")
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        ap.error("no command after --")
    args = ap.parse_args(argv[:argv.index("--")])
    cmd = argv[argv.index("--") + 1:]
    marks, mon = args.marks, args.monitor
    outf = open(args.out, "w") if args.out else None
    open(marks, "w").close()
    proc = subprocess.Popen(cmd)
    seen = 0
    start = None
    while True:
        done = proc.poll() is not None
        now = time.time()
        with open(marks) as f:
            lines = f.read().splitlines()
        for line in lines[seen:]:
            threads = qemu_threads()
            jit = info_jit(mon)
            if line.startswith("start "):
                start = (now, threads, line[6:], jit)
            elif line.startswith("end ") and start:
                t0, th0, label, jit0 = start
                secs = now - t0
                shares = {}
                for key, (name, cpu) in threads.items():
                    if key in th0:
                        n = "%s %s" % (name, key[1]) if name.startswith("qemu") else name
                        shares[n] = round((cpu - th0[key][1]) / secs, 3)
                busy = {k: v for k, v in sorted(shares.items(), key=lambda kv: -kv[1]) if v >= 0.01}
                rec = {"window": label, "host_s": round(secs, 2), "cpu_share": busy}
                print("hostthreads: %s, %.1f s: %s" % (label, secs,
                      ", ".join("%s %.0f%%" % (k, 100 * v) for k, v in busy.items())), flush=True)
                if jit and jit0:
                    rec["info_jit_per_s"] = {k: round((v - jit0.get(k, 0)) / secs, 1)
                                             for k, v in jit.items() if v != jit0.get(k)}
                    print("hostthreads: %s, info jit per second: %s" % (label, json.dumps(rec["info_jit_per_s"])),
                          flush=True)
                if outf:
                    outf.write(json.dumps(rec) + "\n")
                    outf.flush()
                start = None
        seen = len(lines)
        if done:
            return proc.returncode
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
