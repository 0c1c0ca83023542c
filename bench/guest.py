#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Guest side of `make bench`: measure rvnet, veth and dummy in one boot.

Runs inside the guest (bench/guest.sh loads the module and calls this).
Every workload runs its devices in alternation (A B A B ...): warm-up
rounds first, then the counted rounds. Each measurement is written as one
JSON line to --out; bench/report.py turns them into medians and ratios.

Under TCG every exec costs a good fraction of a second, so this process
does as much as it can itself: it enters the namespaces with setns(2),
drives /proc/net/pktgen directly (the pg_ctrl/pg_thread/pg_set protocol of
the kernel's samples/pktgen/functions.sh), reads link counters from
/proc/net/dev, ethtool counters and GRO through SIOCETHTOOL, and runs the
TCP_RR client and (forked) server itself. iperf3, ping and tc are exec'd.

Record types (one JSON object per line):
  meta  kernel, CPU, settings, device defaults
  run   workload, case, device, run (-1 = warm-up), warmup, status
        (ok | unsupported | error), metrics {name: number}, extra, note
  na    a workload that cannot be measured yet, with the reason
  end   elapsed seconds
"""
import argparse
import contextlib
import ctypes
import fcntl
import glob
import json
import math
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the checkout
import rr  # noqa: E402

A_IP, B_IP = "10.70.0.1", "10.70.0.2"
IPERF_PORT, RR_PORT = 5201, 7001
PAIRS = ["veth", "rvnet"]
CTL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "rvnetctl")
ALL = ["dummy", "veth", "rvnet"]
WORKLOADS = ["pktgen", "qdisc", "tcp", "udp", "rr", "lat", "slow", "obs", "xdp"]
# rvnet's `ethtool -C` defaults (tx-usecs: BQL completion coalescing; tx-frames:
# the BQL floor in full frames), restored after a run that changes them.
RVNET_TX_USECS, RVNET_TX_FRAMES = 100, 8
# One XDP program per verdict (selftests/xdp_verdicts.bpf.c), built on the
# host by selftests/xdp-progs (bench/run does).
XDP_OBJ = os.path.join(HERE, "..", "out", "xdp_verdicts.bpf.o")
XDP_IFINDEX = 111  # the redirect target of section redirect_to_111

# slow_filters: tc matchall filters (action continue) on the receiving end's
# ingress in the slow-consumer cases, each run for every packet received.
FULL = dict(pktgen_s=2, qdisc_s=2, tcp_s=2, udp_s=2, rr_s=2, lat_s=4, slow_s=4, xdp_s=2,
            slow_filters=1500, ping_interval=0.01, runs=5, warmup=1)
SMOKE = dict(pktgen_s=1, qdisc_s=1, tcp_s=1, udp_s=1, rr_s=1, lat_s=2, slow_s=1, xdp_s=1,
             slow_filters=50, ping_interval=0.01, runs=1, warmup=0)


class Unsupported(Exception):
    pass


def no_observe_ko():
    """The measurement build of rvnet with the decision hooks compiled out
    (`qemu/module --no-observe`, out/<variant>-no-observe/rvnet.ko beside
    $RVNET_KO's out/<variant>/), or None if there is none."""
    ko = os.environ.get("RVNET_KO")
    if not ko:
        return None
    p = os.path.join(os.path.dirname(ko) + "-no-observe", "rvnet.ko")
    return p if os.path.exists(p) else None


def load_rvnet(ko):
    """Replace the loaded rvnet module with `ko`. Unloading deletes every
    rvnet device left (rtnl_link_unregister); a namespace being dismantled
    may hold the module for a moment, so rmmod is retried."""
    for i in range(50):
        with open("/proc/modules") as f:
            if not any(line.startswith("rvnet ") for line in f):
                break
        if subprocess.run(["rmmod", "rvnet"], stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1 * (i + 1))
    else:
        raise RuntimeError("could not unload rvnet")
    sh(["insmod", ko])


# -- namespaces -----------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
_INIT_NET = os.open("/proc/self/ns/net", os.O_RDONLY)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


@contextlib.contextmanager
def netns(name):
    """Run the block (and anything it forks or execs) in netns `name`."""
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        _setns(fd)
        yield
    finally:
        _setns(_INIT_NET)
        os.close(fd)


def ns_a(kind):
    return "rvbA_" + kind


def ns_b(kind):
    return "rvbB_" + kind


def sh(cmd, check=True, timeout=120, stdin=None):
    p = subprocess.run([str(c) for c in cmd], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(str(c) for c in cmd), p.returncode,
                                                 (p.stderr or p.stdout).strip()[-300:]))
    return p.stdout


def nsh(ns, cmd, **kw):
    with netns(ns):
        return sh(cmd, **kw)


def write_proc(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    return sorted_vals[max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)]


def link_stats(ns, dev):
    """rx/tx packets and drops of dev from /proc/net/dev of netns ns."""
    with netns(ns):
        with open("/proc/self/net/dev") as f:
            lines = f.read().splitlines()
    for line in lines:
        name, _, rest = line.partition(":")
        if name.strip() == dev:
            v = [int(x) for x in rest.split()]
            return {"rx_packets": v[1], "rx_dropped": v[3], "tx_packets": v[9], "tx_dropped": v[11]}
    raise RuntimeError("%s not in /proc/net/dev of %s" % (dev, ns))


# -- ethtool through SIOCETHTOOL -------------------------------------------
SIOCETHTOOL = 0x8946
ETHTOOL_GDRVINFO, ETHTOOL_GSTRINGS, ETHTOOL_GSTATS = 0x03, 0x1B, 0x1D
ETHTOOL_GTSO, ETHTOOL_STSO, ETHTOOL_GGRO, ETHTOOL_SGRO = 0x1E, 0x1F, 0x2B, 0x2C
ETH_SS_STATS = 1
_socks = {}


def _ethtool(ns, dev, buf):
    if ns not in _socks:
        with netns(ns):  # a socket stays in the netns it was created in
            _socks[ns] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = struct.pack("16sP", dev.encode(), ctypes.addressof(buf)).ljust(40, b"\0")
    fcntl.ioctl(_socks[ns].fileno(), SIOCETHTOOL, ifr)


def ethtool_value(ns, dev, cmd, value=0):
    buf = ctypes.create_string_buffer(struct.pack("II", cmd, value), 8)
    _ethtool(ns, dev, buf)
    return struct.unpack_from("II", buf)[1]


def ethtool_stats(ns, dev):
    """ethtool -S as a dict."""
    drv = ctypes.create_string_buffer(struct.pack("I", ETHTOOL_GDRVINFO), 196)
    _ethtool(ns, dev, drv)
    n = struct.unpack_from("I", drv, 180)[0]
    if n == 0:
        return {}
    names = ctypes.create_string_buffer(struct.pack("III", ETHTOOL_GSTRINGS, ETH_SS_STATS, n), 12 + 32 * n)
    _ethtool(ns, dev, names)
    vals = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_GSTATS, n), 8 + 8 * n)
    _ethtool(ns, dev, vals)
    keys = [names.raw[12 + 32 * i:12 + 32 * (i + 1)].split(b"\0")[0].decode() for i in range(n)]
    return dict(zip(keys, struct.unpack_from("%dQ" % n, vals, 8)))


def delta(before, after):
    """Counters that changed between two snapshots."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


# -- pktgen, as samples/pktgen/functions.sh drives it ------------------------
PG = "/proc/net/pktgen"


def pg_cmd(proc_file, cmd):
    """proc_cmd of functions.sh: write, then require "Result: OK:" (except
    for pgctrl)."""
    path = "%s/%s" % (PG, proc_file)
    write_proc(path, cmd + "\n")
    if proc_file != "pgctrl":
        with open(path) as f:
            res = f.read()
        if "Result: OK:" not in res:
            raise RuntimeError("pktgen %s <- %r: %s" % (proc_file, cmd,
                                                         " ".join(re.findall(r"Result:.*", res))))


def pg_ctrl(cmd):
    pg_cmd("pgctrl", cmd)


def pg_thread(thread, cmd):
    pg_cmd("kpktgend_%d" % thread, cmd)


def pg_set(dev, cmd):
    pg_cmd(dev, cmd)


def pids_named(prefix):
    """PIDs of the tasks whose comm starts with prefix (kernel threads
    included: they all live in the initial namespace, so their name is all
    there is to tell them by)."""
    pids = []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            with open(comm) as f:
                if f.read().startswith(prefix):
                    pids.append(int(comm.split("/")[2]))
        except OSError:
            continue
    return pids


def softirq_load():
    """CPU ticks (utime + stime) of all ksoftirqd threads and the NET_TX and
    NET_RX counts of /proc/softirqs summed over CPUs: whether softirq work
    was deferred to the threads, and how much of it ran."""
    ticks = 0
    for pid in pids_named("ksoftirqd/"):
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
            ticks += int(st[11]) + int(st[12])
        except (OSError, IndexError, ValueError):
            continue
    counts = {}
    with open("/proc/softirqs") as f:
        for line in f:
            name, *vals = line.split()
            if name in ("NET_TX:", "NET_RX:"):
                counts[name[:-1]] = sum(int(v) for v in vals)
    return {"ksoftirqd_ticks": ticks, **counts}


def net_tx_per_cpu():
    """NET_TX softirqs per CPU (/proc/softirqs): on which CPU the
    sending end's qdisc was run after its queue was woken."""
    with open("/proc/softirqs") as f:
        for line in f:
            name, *vals = line.split()
            if name == "NET_TX:":
                return [int(v) for v in vals]
    return []


def mark(line):
    """A line for bench/hostthreads.py on the host (RVNET_BENCH_MARKS, a
    file in the directory the guest shares with the host): the host stamps
    it with its own clock when it appears, so the host's per-thread CPU
    times of QEMU can be matched to a window without trusting the guest's
    clock under TCG."""
    path = os.environ.get("RVNET_BENCH_MARKS")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


def clocksource():
    """The clocksource the guest's timekeeping reads now (the watchdog
    may switch it from the TSC to an emulated HPET during a boot, which
    makes every clock read an exit to QEMU under TCG)."""
    try:
        with open("/sys/devices/system/clocksource/clocksource0/current_clocksource") as f:
            return f.read().strip()
    except OSError:
        return None


def cpu_ticks():
    """Per CPU, the /proc/stat ticks (USER_HZ) by kind: user (with
    nice), system, idle (with iowait), irq, softirq."""
    cpus = []
    with open("/proc/stat") as f:
        for line in f:
            name, *vals = line.split()
            if name.startswith("cpu") and name != "cpu":
                v = [int(x) for x in vals]
                cpus.append({"user": v[0] + v[1], "system": v[2], "idle": v[3] + v[4],
                             "irq": v[5], "softirq": v[6]})
    return cpus


def cpu_ticks_delta(before, after, secs):
    """`cpu_ticks` differences as percentages of `secs` per CPU."""
    hz = os.sysconf("SC_CLK_TCK")
    return [{k: round(100.0 * (a[k] - b[k]) / (hz * secs), 1) for k in a}
            for b, a in zip(before, after)]


def irq_counts():
    """Per CPU, the /proc/interrupts counts of the local timer (LOC),
    rescheduling (RES), function-call (CAL) and TLB-shootdown (TLB) IPIs,
    and of all device interrupts together (dev): under TCG each one is an
    exit from translated code."""
    with open("/proc/interrupts") as f:
        ncpu = len(f.readline().split())
        out = [{"LOC": 0, "RES": 0, "CAL": 0, "TLB": 0, "dev": 0} for _ in range(ncpu)]
        for line in f:
            name, *vals = line.split()
            name = name.rstrip(":")
            try:
                counts = [int(v) for v in vals[:ncpu]]
            except ValueError:
                continue
            key = name if name in ("LOC", "RES", "CAL", "TLB") else ("dev" if name.isdigit() else None)
            if key:
                for c, n in enumerate(counts):
                    out[c][key] += n
    return out


def task_ticks():
    """utime + stime ticks, comm and last CPU of every task (threads of
    user processes included), by TID."""
    out = {}
    for stat in glob.glob("/proc/[0-9]*/task/[0-9]*/stat"):
        try:
            with open(stat) as f:
                raw = f.read()
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            st = raw.rsplit(")", 1)[1].split()
            out[int(stat.split("/")[4])] = (comm, int(st[11]) + int(st[12]), int(st[36]))
        except (OSError, ValueError, IndexError):
            continue
    return out


def top_tasks(before, after, n=6):
    """The `n` tasks that ran most between two `task_ticks`: comm, ticks,
    last CPU."""
    d = [(after[t][0], after[t][1] - before.get(t, (None, 0))[1], after[t][2]) for t in after]
    return [list(x) for x in sorted(d, key=lambda x: -x[1])[:n] if x[1] > 0]


def thread_sleeps(pids):
    """Voluntary context switches (sleeps, /proc/PID/status) of `pids`."""
    sleeps = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                m = re.search(r"^voluntary_ctxt_switches:\s*(\d+)", f.read(), re.M)
            sleeps += int(m.group(1)) if m else 0
        except OSError:
            continue
    return sleeps


def qdisc_stats(ns, dev):
    j = json.loads(nsh(ns, ["tc", "-s", "-j", "qdisc", "show", "dev", dev]))
    root = [q for q in j if q.get("root")] or j
    return root[0]


def ping_probe_run(cfg, a, secs, ev, preexec):
    """The latency probe: ping B_IP from netns `a` every cfg ping_interval
    for `secs`, while `ev` samples the queue evidence; ping's output."""
    with netns(a):
        ping = subprocess.Popen(
            ["ping", "-n", "-i", str(cfg["ping_interval"]), "-W", "1", "-w", str(secs), B_IP],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=preexec)
    try:
        ev.sample_while(lambda: ping.poll() is None, secs)
        out, _ = ping.communicate(timeout=secs + 30)
    finally:
        if ping.poll() is None:
            ping.kill()
            ping.wait()
    return out


class QueueEvidence:
    """Whether a queue really formed, sampled while the ping runs: the
    root qdisc's backlog (`tc -s -j qdisc`, a few samples), b1 tx-0's BQL
    inflight and limit (/sys/.../byte_queue_limits/, read by a sampler in
    b1's namespace; veth in 6.12 has no BQL, so none there) and, for
    rvnet, how many packets sit in b2's ring (b1's tx0_packets minus b2's
    rx0_packets, ethtool -S) and b2's pace (rx0_pace_ns). veth has no ring counter: in 6.12 it stops
    its queue only when its 256-slot ring is full, so a qdisc backlog
    above 0 (and its requeues) says its ring is full."""

    def __init__(self, bench, kind, affinity):
        self.kind, self.a, self.b = kind, ns_a(kind), ns_b(kind)
        self.backlog, self.qlen, self.ring, self.pace = [], [], [], []
        # One process for the whole run, no fork per sample: sysfs shows a
        # namespace's devices only where it is mounted for that namespace.
        self.sampler = subprocess.Popen(
            ["ip", "netns", "exec", self.a, "/usr/bin/python3", os.path.abspath(__file__),
             "--sample-bql", "b1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, preexec_fn=affinity)
        # It says when it samples (Python starts slowly under TCG): the
        # ping starts after that.
        self.sampler.stdout.readline()

    def sample(self):
        q = qdisc_stats(self.a, "b1")
        self.backlog.append(q.get("backlog"))
        self.qlen.append(q.get("qlen"))
        if self.kind == "rvnet":
            # Taken first: the difference is an upper bound (b1 sends on
            # between the two reads), never negative.
            st = ethtool_stats(self.b, "b2")
            rx = st.get("rx0_packets")
            tx = ethtool_stats(self.a, "b1").get("tx0_packets")
            if tx is not None and rx is not None:
                self.ring.append(tx - rx)
            # b2's threaded polls' time per packet: at or above b1's
            # tx-usecs, b1's BQL is completed per packet.
            if st.get("rx0_pace_ns") is not None:
                self.pace.append(st["rx0_pace_ns"])

    def sample_while(self, running, secs):
        """About four samples spread over `secs`, while running()."""
        end = time.time() + secs
        while running() and time.time() < end:
            self.sample()
            time.sleep(max(0.05, secs / 4.0))

    def finish(self):
        self.sampler.terminate()
        try:
            out, _ = self.sampler.communicate(timeout=30)
            bql = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
            if not isinstance(bql, dict):
                bql = {}
        except (ValueError, subprocess.TimeoutExpired):
            self.sampler.kill()
            bql = {}
        nums = [v for v in self.backlog if isinstance(v, int)]
        ev = {"qdisc_backlog_bytes_samples": self.backlog, "qdisc_qlen_samples": self.qlen,
              "qdisc_backlog_bytes_max": max(nums) if nums else None,
              "ring_fill_samples": self.ring if self.kind == "rvnet" else None,
              "ring_fill_max": max(self.ring) if self.ring else None,
              "consumer_pace_ns_samples": self.pace if self.kind == "rvnet" else None}
        ev.update(bql)
        return ev


def sample_bql(dev, interval=0.05):
    """--sample-bql DEV: read tx-0's BQL inflight and limit of DEV every
    `interval` until SIGTERM, then print one JSON line: the samples'
    count, max and mean inflight, min/max/last limit (all None without
    BQL). Run with `ip netns exec`, which mounts the namespace's sysfs."""
    d = "/sys/class/net/%s/queues/tx-0/byte_queue_limits/" % dev
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    infl, lim = [], []
    print("sampling", flush=True)
    while not stop:
        try:
            with open(d + "inflight") as f:
                i = int(f.read())
            with open(d + "limit") as f:
                li = int(f.read())
        except (OSError, ValueError):
            break  # no BQL on this device
        infl.append(i)
        lim.append(li)
        time.sleep(interval)
    while not stop:
        time.sleep(interval)
    print(json.dumps({"bql_samples": len(infl),
                      "bql_inflight_max": max(infl) if infl else None,
                      "bql_inflight_mean": sum(infl) / len(infl) if infl else None,
                      "bql_limit_min": min(lim) if lim else None,
                      "bql_limit_max": max(lim) if lim else None,
                      "bql_limit_last": lim[-1] if lim else None}), flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.cfg = dict(SMOKE if args.smoke else FULL)
        if args.runs is not None:
            self.cfg["runs"] = args.runs
        if args.warmup is not None:
            self.cfg["warmup"] = args.warmup
        for k in list(self.cfg):
            if k.endswith("_s"):  # iperf3 -t and ping -w take whole seconds
                self.cfg[k] = max(1, int(round(self.cfg[k] * args.scale)))
        self.out = open(args.out, "a", buffering=1)
        self.keep_filters = False
        self.rr_servers = {}
        self.defaults = {}
        self.state = {}
        self.t0 = time.time()

    # -- output --------------------------------------------------------
    def emit(self, rec):
        self.out.write(json.dumps(rec, sort_keys=True) + "\n")

    def say(self, msg):
        print("[%5.0fs] %s" % (time.time() - self.t0, msg), flush=True)

    # -- topology ------------------------------------------------------
    def ends(self, kind):
        e = [(ns_a(kind), "b1")]
        if kind != "dummy":
            e.append((ns_b(kind), "b2"))
        return e

    def setup(self, kind):
        a, b, q = ns_a(kind), ns_b(kind), str(self.args.queues)
        spaces = [a] if kind == "dummy" else [a, b]
        for ns in spaces:
            sh(["ip", "netns", "add", ns])
            with netns(ns):
                # No background IPv6 (ND, MLD) traffic on the measured devices.
                for c in ("all", "default"):
                    write_proc("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % c, "1")
                sh(["ip", "link", "set", "lo", "up"])
        with netns(a):
            if kind == "rvnet":
                sh(["ip", "link", "add", "b1", "numtxqueues", q, "numrxqueues", q, "type", "rvnet"])
                m = re.search(r"b1@([^:]+):", sh(["ip", "-o", "link", "show", "b1"]))
                if not m:
                    raise RuntimeError("no rvnet peer of b1")
                sh(["ip", "-batch", "-"], stdin="link set %s name b2\nlink set b2 netns %s\n" % (m.group(1), b))
            elif kind == "veth":
                sh(["ip", "link", "add", "b1", "numtxqueues", q, "numrxqueues", q, "type", "veth",
                    "peer", "name", "b2", "netns", b, "numtxqueues", q, "numrxqueues", q])
            else:
                sh(["ip", "link", "add", "b1", "type", "dummy"])
            sh(["ip", "-batch", "-"], stdin="addr add %s/24 dev b1\nlink set b1 up\n" % A_IP)
        if kind != "dummy":
            with netns(b):
                sh(["ip", "-batch", "-"], stdin="addr add %s/24 dev b2\nlink set b2 up\n" % B_IP)
                subprocess.run(["iperf3", "-s", "-D", "-p", str(IPERF_PORT),
                                "--pidfile", "/tmp/rvb-iperf3-%s.pid" % kind],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=60)
                ls = rr.listener(RR_PORT)
            pid = os.fork()
            if pid == 0:
                try:
                    rr.serve(ls)
                finally:
                    os._exit(0)
            ls.close()
            self.rr_servers[kind] = pid
            # Waits for carrier and resolves the neighbour.
            nsh(a, ["ping", "-c", "1", "-w", "10", B_IP], timeout=30)
        d = {}
        for ns, dev in self.ends(kind):
            d[dev] = {
                "gro": "on" if ethtool_value(ns, dev, ETHTOOL_GGRO) else "off",
                "tso": "on" if ethtool_value(ns, dev, ETHTOOL_GTSO) else "off",
                "root_qdisc": qdisc_stats(ns, dev)["kind"],
            }
        self.defaults[kind] = d
        self.state[kind] = {"gro": None, "threaded": None}
        if kind != "dummy":
            for _ in range(300):
                if ":%d " % IPERF_PORT in nsh(b, ["ss", "-ltnH"]):
                    break
                time.sleep(0.1)

    def teardown(self, kind):
        pid = self.rr_servers.pop(kind, None)
        if pid:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        pidf = "/tmp/rvb-iperf3-%s.pid" % kind
        try:
            with open(pidf) as f:
                os.kill(int(f.read().strip().strip("\0")), signal.SIGTERM)
            os.unlink(pidf)
        except (OSError, ValueError):
            pass
        for ns in (ns_a(kind), ns_b(kind)):
            _socks.pop(ns, None)
            if os.path.exists("/run/netns/" + ns):
                sh(["ip", "netns", "del", ns], check=False)

    def set_root(self, kind, qdisc):
        """Root qdisc of the sending end: a fresh one (zeroed stats), or the
        device default when qdisc is None."""
        cmds = "qdisc del dev b1 root\n" + ("qdisc add dev b1 root %s\n" % qdisc if qdisc else "")
        nsh(ns_a(kind), ["tc", "-force", "-batch", "-"], stdin=cmds, check=False)
        if qdisc and qdisc_stats(ns_a(kind), "b1")["kind"] != qdisc.split()[0]:
            raise RuntimeError("could not set root qdisc %s" % qdisc)

    def write_threaded(self, ns, dev, v):
        p = subprocess.run(["ip", "netns", "exec", ns, "sh", "-c",
                            "echo %d > /sys/class/net/%s/threaded" % (v, dev)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return p.returncode, p.stdout.strip().replace("sh: 1: ", "")

    def set_features(self, kind, gro, threaded):
        """GRO and threaded NAPI on both ends; Unsupported if the device
        refuses threaded NAPI (veth has no NAPI without GRO or XDP)."""
        st = self.state[kind]
        if st["gro"] == gro and st["threaded"] == threaded:
            return
        if st["threaded"] != "off":
            for ns, dev in self.ends(kind):
                self.write_threaded(ns, dev, 0)
            st["threaded"] = "off"
        for ns, dev in self.ends(kind):
            ethtool_value(ns, dev, ETHTOOL_SGRO, 1 if gro == "on" else 0)
        st["gro"] = gro
        if threaded == "on":
            for ns, dev in self.ends(kind):
                rc, msg = self.write_threaded(ns, dev, 1)
                if rc != 0:
                    st["threaded"] = None
                    raise Unsupported("writing 1 to /sys/class/net/%s/threaded failed with gro %s: %s"
                                      % (dev, gro, msg))
            st["threaded"] = "on"

    def restore_features(self, kind):
        for ns, dev in self.ends(kind):
            self.write_threaded(ns, dev, 0)
            ethtool_value(ns, dev, ETHTOOL_SGRO, 1 if self.defaults[kind][dev]["gro"] == "on" else 0)
        self.state[kind].update(gro=None, threaded=None)

    # -- measurements --------------------------------------------------
    def snapshot(self, kind):
        s = {"b1": link_stats(ns_a(kind), "b1")}
        if kind != "dummy":
            s["b2"] = link_stats(ns_b(kind), "b2")
        if kind == "rvnet":
            s["b1.ethtool"] = ethtool_stats(ns_a(kind), "b1")
            s["b2.ethtool"] = ethtool_stats(ns_b(kind), "b2")
        return s

    def snap_extra(self, kind, s0, s1):
        x = {"b1_tx_dropped": s1["b1"]["tx_dropped"] - s0["b1"]["tx_dropped"]}
        if kind != "dummy":
            x["b2_rx_packets"] = s1["b2"]["rx_packets"] - s0["b2"]["rx_packets"]
            x["b2_rx_dropped"] = s1["b2"]["rx_dropped"] - s0["b2"]["rx_dropped"]
        if kind == "rvnet":
            x["ethtool_delta"] = {"b1": delta(s0["b1.ethtool"], s1["b1.ethtool"]),
                                  "b2": delta(s0["b2.ethtool"], s1["b2.ethtool"])}
        return x

    def pktgen(self, kind, mode, size, secs):
        """One timed pktgen run on b1 of `kind`: clone_skb 0, burst 1 (veth
        and rvnet clear IFF_TX_SKB_SHARING; queue_xmit allows no burst).
        The samples' defaults as destination: a foreign MAC and a TEST-NET
        address, so the receiving end drops each frame after its rx path."""
        s0 = self.snapshot(kind)
        with netns(ns_a(kind)):
            pg_ctrl("reset")
            pg_thread(0, "rem_device_all")
            pg_thread(0, "add_device b1")
            for c in ("count 0", "clone_skb 0", "pkt_size %d" % size, "delay 0", "flag NO_TIMESTAMP",
                      "dst_mac 90:e2:ba:ff:ff:ff", "dst_min 198.18.0.42", "dst_max 198.18.0.42"):
                pg_set("b1", c)
            if mode == "start_xmit":
                pg_set("b1", "burst 1")
            pg_set("b1", "xmit_mode " + mode)
            # "start" returns when the threads stop: stop them after secs.
            # The thread inherits this netns (pgctrl acts on the writer's).
            err = []
            starter = threading.Thread(target=lambda: self._try(err, pg_ctrl, "start"))
            starter.start()
            time.sleep(secs)
            pg_ctrl("stop")
            starter.join(60)
            with open(PG + "/b1") as f:
                res = f.read()
            pg_ctrl("reset")
        if err:
            raise err[0]
        m = re.search(r"Result: OK: (\d+)\(.*usec, (\d+) \(.*\)\s+(\d+)pps .*errors: (\d+)", res, re.S)
        if not m:
            raise RuntimeError("no pktgen result: " + " ".join(re.findall(r"Result:.*", res)))
        usec, pkts, pps, errors = (int(x) for x in m.groups())
        time.sleep(0.05)  # let the receiving NAPI drain its ring
        extra = {"pktgen_pkts": pkts, "pktgen_errors": errors, "usec": usec}
        extra.update(self.snap_extra(kind, s0, self.snapshot(kind)))
        metrics = {"tx_pps": pps}
        if kind != "dummy":
            metrics["rx_pps"] = extra["b2_rx_packets"] / (usec / 1e6) if usec else 0.0
        return metrics, extra

    @staticmethod
    def _try(err, fn, *a):
        try:
            fn(*a)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            err.append(e)

    def m_pktgen(self, kind, size):
        return self.pktgen(kind, "start_xmit", size, self.cfg["pktgen_s"])

    def m_pktgen_thr(self, kind, size):
        """pktgen (CPU 0) with the receiving end's NAPI in its own thread on
        the last CPU (`receiver_thread`): the sender's CPU no longer runs
        the receive path. dummy has no receiving end and runs as is."""
        if kind == "dummy":
            return self.m_pktgen(kind, size)
        with self.receiver_thread(kind):
            return self.m_pktgen(kind, size)

    def m_qdisc(self, kind, size):
        self.set_root(kind, "fq_codel")
        metrics, extra = self.pktgen(kind, "queue_xmit", size, self.cfg["qdisc_s"])
        q = qdisc_stats(ns_a(kind), "b1")
        secs = extra["usec"] / 1e6
        metrics["requeues_per_s"] = q["requeues"] / secs
        metrics["drops_per_s"] = q["drops"] / secs
        extra.update({"qdisc_" + k: q.get(k) for k in
                      ("packets", "drops", "requeues", "overlimits", "backlog", "qlen")})
        return metrics, extra

    # -- XDP ------------------------------------------------------------
    @staticmethod
    def xdp(ns, dev, section):
        """Attach (replace) the program of `section` natively, or detach
        with None."""
        if section is None:
            sh(["ip", "-n", ns, "link", "set", "dev", dev, "xdpdrv", "off"], check=False)
        else:
            sh(["ip", "-force", "-n", ns, "link", "set", "dev", dev, "xdpdrv",
                "object", XDP_OBJ, "section", section])

    @staticmethod
    def xdp_drops(ns, dev):
        """Frames the XDP program of `dev` dropped (rvnet rxN_xdp_drop,
        veth rx_queue_N_xdp_drops), all queues."""
        return sum(v for k, v in ethtool_stats(ns, dev).items()
                   if re.match(r"rx.*_xdp_drops?$", k))

    def xdp_setup(self, kind, case):
        """XDP_DROP on b2 (case drop); or XDP_REDIRECT on b2 to r1, the end
        with ifindex 111 of a second pair of the same kind in b2's
        namespace, whose other end r2 drops with XDP (case redirect: the
        frames cross r1's ndo_xdp_xmit into r2's ring)."""
        b = ns_b(kind)
        if not os.path.exists(XDP_OBJ):
            raise Unsupported("no %s (selftests/xdp-progs)" % XDP_OBJ)
        if case == "redirect":
            with netns(b):
                if kind == "rvnet":
                    sh(["ip", "link", "add", "r1", "index", str(XDP_IFINDEX), "type", "rvnet"])
                    m = re.search(r"r1@([^:]+):", sh(["ip", "-o", "link", "show", "r1"]))
                    if not m:
                        raise RuntimeError("no rvnet peer of r1")
                    sh(["ip", "link", "set", m.group(1), "name", "r2"])
                else:
                    sh(["ip", "link", "add", "r1", "index", str(XDP_IFINDEX), "type", "veth",
                        "peer", "name", "r2"])
                sh(["ip", "-batch", "-"], stdin="link set r2 up\nlink set r1 up\n")
            self.xdp(b, "r2", "drop")
            self.xdp(b, "b2", "redirect_to_%d" % XDP_IFINDEX)
        else:
            self.xdp(b, "b2", "drop")

    def xdp_teardown(self, kind, case):
        b = ns_b(kind)
        self.xdp(b, "b2", None)
        if case == "redirect":
            sh(["ip", "-n", b, "link", "del", "r1"], check=False)

    def m_xdp(self, kind, case):
        """pktgen 64 B start_xmit into b1; the program on b2 drops or
        redirects every frame (see xdp_setup). xdp_pps: frames dropped per
        second by the last program (b2's, or r2's after the redirect)."""
        b = ns_b(kind)
        sink = "b2" if case == "drop" else "r2"
        d0 = self.xdp_drops(b, sink)
        metrics, extra = self.pktgen(kind, "start_xmit", 60, self.cfg["xdp_s"])
        d1 = self.xdp_drops(b, sink)
        secs = extra["usec"] / 1e6
        metrics["xdp_pps"] = (d1 - d0) / secs if secs else 0.0
        extra["xdp_dropped"] = d1 - d0
        return metrics, extra

    def set_sample(self, n):
        """Decision sampling 1-in-n (0 = off) on both rvnet ends."""
        for ns, dev in self.ends("rvnet"):
            sh([CTL, "-n", ns, "dev", "set", dev, "sample", str(n)])

    def observation_cost(self):
        """The cost of decision records on rvnet's datapath: pktgen 64 B
        with sampling off, 1-in-1000 and 1-in-1 (listeners attached),
        alternating the cases round by round; and 1-in-1 without a
        listener, which splits the 1-in-1 cost into recording (parse,
        route and neighbour facts, the ring) and delivery (event build,
        multicast, the listeners' CPU time); and 1-in-1 with one listener
        (the sender's namespace), as the issue's "a listener attached":
        on 2 vCPUs a monitor per end keeps both CPUs busy. The same cases for one TCP
        stream (GRO on): routed packets, whose tx records also read the
        route and the neighbour."""
        cases = [("sample off", (0, False)), ("sample 1/1000", (1000, True)),
                 ("sample 1/1", (1, True)), ("sample 1/1 one listener", (1, "a")),
                 ("sample 1/1 no listener", (1, False))]
        for r in range(-self.cfg["warmup"], self.cfg["runs"]):
            for name, case in cases:
                self.measure("observation_cost", name, "rvnet", r, self.m_obs, case)
        for r in range(-self.cfg["warmup"], self.cfg["runs"]):
            for name, case in cases:
                self.measure("observation_cost_tcp", name, "rvnet", r, self.m_obs_tcp, case)
        self.restore_features("rvnet")

    @contextlib.contextmanager
    def rvnet_module(self, ko):
        """rvnet's pair on module `ko`, freshly loaded, for the duration;
        after it, the pair on $RVNET_KO, made the way setup() makes it.
        When `ko` is $RVNET_KO and all went well, that pair is already
        there and is not made again."""
        self.teardown("rvnet")
        done = False
        try:
            load_rvnet(ko)
            self.setup("rvnet")
            yield
            done = True
        finally:
            if not done or ko != os.environ["RVNET_KO"]:
                self.teardown("rvnet")
                load_rvnet(os.environ["RVNET_KO"])
                self.setup("rvnet")

    def hooks_cost(self):
        """What the decision hooks cost with sampling off: pktgen 64 B into
        rvnet built as usual (sampling off) and built with the hooks
        compiled out (`qemu/module --no-observe`), each on a freshly loaded
        module and pair with a 1-second warm-up, alternating round by round."""
        cases = [("hooks compiled out", no_observe_ko), ("hooks in, sample off", lambda: os.environ["RVNET_KO"])]
        for r in range(-self.cfg["warmup"], self.cfg["runs"]):
            for name, ko in cases:
                self.measure("observation_cost", name, "rvnet", r, self.m_hooks, ko)

    def m_hooks(self, _kind, ko):
        """pktgen 64 B into rvnet loaded from ko()."""
        if not no_observe_ko():
            raise Unsupported("no rvnet.ko without decision hooks beside $RVNET_KO "
                              "(build it with qemu/module --no-observe)")
        with self.rvnet_module(ko()):
            self.pktgen("rvnet", "start_xmit", 60, 1)  # warm-up: new code to translate
            # Through sampled() for its event counts: both builds must send none.
            return self.sampled((0, False), lambda: self.pktgen("rvnet", "start_xmit", 60, self.cfg["pktgen_s"]))

    def sampled(self, case, fn):
        """fn() with decision sampling `case` = (1-in-n, listeners) on both
        rvnet ends. Listeners: True, rvnetctl monitor in each end's
        namespace (events go to the device's namespace); "a", one monitor,
        in the sender's (b1's) namespace; False, none. Their output is
        discarded; sampled packets build and send events as they would for
        a user. Returns fn's (metrics, extra), extra with this run's event
        counts per end."""
        n, listen = case
        mons = []
        if listen:
            ends = self.ends("rvnet")[:1 if listen == "a" else None]
            for ns, _dev in ends:
                mons.append(subprocess.Popen(["ip", "netns", "exec", ns, CTL, "monitor"],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.await_listeners(ends)
        before = self.event_counts()
        self.set_sample(n)
        try:
            metrics, extra = fn()
        finally:
            for m in mons:
                m.terminate()
                m.wait(10)
            self.set_sample(0)
        # This run's events (the device counters are cumulative).
        for k, v in self.event_counts().items():
            extra[k] = v - before[k] if isinstance(v, int) and isinstance(before.get(k), int) else None
        return metrics, extra

    def m_obs(self, _kind, case):
        """pktgen 64 B into rvnet, sampled as `case`."""
        return self.sampled(case, lambda: self.pktgen("rvnet", "start_xmit", 60, self.cfg["pktgen_s"]))

    def m_obs_tcp(self, _kind, case):
        """One TCP stream over rvnet (GRO on), sampled as `case`."""
        return self.sampled(case, lambda: self.m_tcp("rvnet", (1, "on", "off")))

    def await_listeners(self, ends):
        """Until the monitors just started in the namespaces of `ends` have
        joined (an event of a probe datagram b1 sends to b2 is sent on each
        of these ends): events made before any listener exists are neither
        sent nor counted as dropped, so a fixed wait let a loaded guest's
        pktgen start while a monitor was still starting and the 1-in-1
        counts came up short. Sampling is 1-in-1 while it waits."""
        self.set_sample(1)
        base = self.event_counts()
        deadline = time.monotonic() + 30
        while True:
            with netns(ns_a("rvnet")):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.sendto(b"probe", (B_IP, 9))
            time.sleep(0.1)
            now = self.event_counts()
            key = "%s_events_sent"
            if all(now[key % dev] > base[key % dev] for _ns, dev in ends):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("decision monitors not listening after 30 s: %r" % now)
        self.set_sample(0)

    def event_counts(self):
        """rvnet's cumulative decision-event counters, per end."""
        c = {}
        for ns, dev in self.ends("rvnet"):
            d = json.loads(sh([CTL, "-j", "-n", ns, "dev", "show", dev]))[0]
            c["%s_events_sent" % dev] = d.get("events-sent")
            c["%s_events_dropped" % dev] = d.get("events-dropped")
        return c

    def iperf(self, kind, args, secs):
        out = nsh(ns_a(kind), ["iperf3", "-c", B_IP, "-p", IPERF_PORT, "-J", "-t", secs] + args,
                  timeout=secs + 30, check=False)
        try:
            j = json.loads(out)
        except ValueError:
            raise RuntimeError("iperf3 output not JSON: " + out.strip()[-300:])
        if "error" in j:
            raise RuntimeError("iperf3: " + j["error"])
        return j

    def m_tcp(self, kind, case):
        streams, gro, threaded = case
        self.set_features(kind, gro, threaded)
        j = self.iperf(kind, ["-P", streams], self.cfg["tcp_s"])
        r, s = j["end"]["sum_received"], j["end"]["sum_sent"]
        return ({"gbit_s": r["bits_per_second"] / 1e9},
                {"retransmits": s.get("retransmits"), "seconds": r["seconds"]})

    @contextlib.contextmanager
    def rvnet_coalesce(self, kind, usecs=None, frames=None):
        """On rvnet, b1's `ethtool -C` values for the run: `tx-usecs` (BQL
        completion coalescing; 0: every packet completed on its own) and
        `tx-frames` (the BQL floor in full frames; 0: none), each when not
        None; rvnet's defaults back after. Nothing on other kinds."""
        opts = []
        if kind == "rvnet":
            if usecs is not None:
                opts += ["tx-usecs", usecs]
            if frames is not None:
                opts += ["tx-frames", frames]
        if opts:
            nsh(ns_a(kind), ["ethtool", "-C", "b1"] + opts)
        try:
            yield
        finally:
            if opts:
                nsh(ns_a(kind), ["ethtool", "-C", "b1", "tx-usecs", RVNET_TX_USECS,
                                 "tx-frames", RVNET_TX_FRAMES], check=False)

    def m_udp(self, kind, frames):
        """64-byte UDP (iperf3, unpaced); on rvnet with b1's `tx-frames`
        (the BQL floor, in full frames) set to `frames` for the run when it
        is not None (0: no floor, as before 2026-12-06)."""
        with self.rvnet_coalesce(kind, frames=frames):
            s0 = self.snapshot(kind)
            j = self.iperf(kind, ["-u", "-l", "64", "-b", "0"], self.cfg["udp_s"])
            extra = self.snap_extra(kind, s0, self.snapshot(kind))
        r, s = j["end"]["sum_received"], j["end"]["sum_sent"]
        extra.update({"lost_percent": r.get("lost_percent"), "seconds": r["seconds"]})
        return ({"rx_pps": r["bytes"] / 64 / r["seconds"],
                 "tx_pps": s["bytes"] / 64 / s["seconds"]}, extra)

    def m_rr(self, kind, _case):
        with netns(ns_a(kind)):
            s = socket.create_connection((B_IP, RR_PORT), timeout=5)
        j = rr.run_client(s, self.cfg["rr_s"])
        return ({"tps": j["tps"], "p50_us": j["p50_us"], "p99_us": j["p99_us"]},
                {"transactions": j["transactions"], "mean_us": j["mean_us"]})

    @contextlib.contextmanager
    def receiver_thread(self, kind, also=()):
        """b2's NAPI in its own thread (threaded NAPI, GRO on: veth has NAPI
        only with GRO or XDP), pinned with the tasks `also` to the last CPU.
        TSO off on b1: 6.12's veth then takes every skb through its NAPI
        ring (256 packets, queue stopped when full) instead of the sender's
        per-CPU backlog, as rvnet does with its ring. The same settings for
        both devices, restored after. Yields the CPU."""
        ncpu = os.cpu_count() or 1
        if ncpu < 2:
            raise Unsupported("needs 2 CPUs (sender on one, receiver on another), have %d" % ncpu)
        a, b, last = ns_a(kind), ns_b(kind), ncpu - 1
        tso = ethtool_value(a, "b1", ETHTOOL_GTSO)
        pinned = []
        try:
            ethtool_value(a, "b1", ETHTOOL_STSO, 0)
            ethtool_value(b, "b2", ETHTOOL_SGRO, 1)
            rc, msg = self.write_threaded(b, "b2", 1)
            if rc != 0:
                raise RuntimeError("threaded NAPI on b2: " + msg)
            # Every b2 NAPI thread: the other pair's are idle meanwhile.
            threads = pids_named("napi/b2-")
            if not threads:
                raise RuntimeError("no napi/b2-* thread after enabling threaded NAPI")
            for pid in threads + list(also):
                os.sched_setaffinity(pid, {last})
                pinned.append(pid)
            yield last
        finally:
            for pid in pinned:
                try:
                    os.sched_setaffinity(pid, range(ncpu))
                except OSError:
                    pass
            ethtool_value(a, "b1", ETHTOOL_STSO, tso)
            self.restore_features(kind)

    @contextlib.contextmanager
    def saturated(self, kind):
        """The receiving end slower than the sender, so that a queue forms:
        b2's NAPI thread and the receiving iperf3 share the last CPU
        (`receiver_thread`), the flood is pinned to CPU 0. The flood
        socket's send buffer (4 MB, -w) can fill veth's 256-packet ring;
        the default (about 90 datagrams in flight) cannot. Settings are the
        same for both devices and restored after."""
        with open("/tmp/rvb-iperf3-%s.pid" % kind) as f:
            srv = int(f.read().strip().strip("\0"))
        limits = ("/proc/sys/net/core/wmem_max", "/proc/sys/net/core/rmem_max")
        saved = {}
        for p in limits:
            with open(p) as f:
                saved[p] = f.read().strip()
        try:
            for p in limits:
                write_proc(p, str(max(int(saved[p]), 4 << 20)))
            with self.receiver_thread(kind, also=[srv]):
                yield ["-A", "0", "-w", "4M"]
        finally:
            for p in limits:
                write_proc(p, saved[p])

    @contextlib.contextmanager
    def napi_threads(self, kind):
        """GRO and threaded NAPI on both ends and TSO off on both, so that
        6.12's veth takes every skb through its NAPI ring (256 packets,
        queue stopped when full) in both directions, as rvnet does; the
        same settings for both devices, restored after. Yields the NAPI
        thread PIDs per end."""
        saved = {}
        try:
            for ns, dev in self.ends(kind):
                saved[(ns, dev)] = ethtool_value(ns, dev, ETHTOOL_GTSO)
                ethtool_value(ns, dev, ETHTOOL_STSO, 0)
                ethtool_value(ns, dev, ETHTOOL_SGRO, 1)
                rc, msg = self.write_threaded(ns, dev, 1)
                if rc != 0:
                    raise RuntimeError("threaded NAPI on %s: %s" % (dev, msg))
            self.state[kind].update(gro=None, threaded=None)
            # The other pair's threads are gone meanwhile (threaded off).
            threads = {dev: pids_named("napi/%s-" % dev) for _ns, dev in self.ends(kind)}
            if not all(threads.values()):
                raise RuntimeError("no NAPI thread after enabling threaded NAPI: %r" % threads)
            yield threads
        finally:
            for (ns, dev), tso in saved.items():
                ethtool_value(ns, dev, ETHTOOL_STSO, tso)
            self.restore_features(kind)

    @contextlib.contextmanager
    def threaded_both(self, kind):
        """Both ends' NAPI threaded (`napi_threads`), nothing pinned."""
        with self.napi_threads(kind):
            yield

    @contextlib.contextmanager
    def slow_consumer(self, kind):
        """A receiving end slower than the sender, the same for both
        devices, so that a queue forms and stays: b2's NAPI thread runs on
        the last CPU alone and does `slow_filters` tc matchall filters
        (action continue, so every one runs) per packet on b2's ingress;
        the flood (4 MB send buffer, as `saturated`), the receiving iperf3,
        b1's NAPI thread (the replies' receiver) and the ping run on CPU 0.
        Both ends' NAPI threaded, GRO on, TSO off (`napi_threads`). Yields
        the flood's extra iperf3 arguments."""
        ncpu = os.cpu_count() or 1
        if ncpu < 2:
            raise Unsupported("needs 2 CPUs (sender on one, consumer on another), have %d" % ncpu)
        a, b, last = ns_a(kind), ns_b(kind), ncpu - 1
        with open("/tmp/rvb-iperf3-%s.pid" % kind) as f:
            srv = int(f.read().strip().strip("\0"))
        limits = ("/proc/sys/net/core/wmem_max", "/proc/sys/net/core/rmem_max")
        saved = {}
        for p in limits:
            with open(p) as f:
                saved[p] = f.read().strip()
        pinned = []
        try:
            for p in limits:
                write_proc(p, str(max(int(saved[p]), 4 << 20)))
            with self.napi_threads(kind) as threads:
                for pid, cpu in [(p, last) for p in threads["b2"]] + \
                        [(p, 0) for p in threads["b1"] + [srv]]:
                    os.sched_setaffinity(pid, {cpu})
                    pinned.append(pid)
                self.slow_filters(kind, True)
                self.state[kind]["consumer_threads"] = threads["b2"]
                yield ["-A", "0", "-w", "4M"]
        finally:
            self.state[kind].pop("consumer_threads", None)
            for pid in pinned:
                try:
                    os.sched_setaffinity(pid, range(ncpu))
                except OSError:
                    pass
            for p in limits:
                write_proc(p, saved[p])

    def slow_filters(self, kind, on):
        """`slow_filters` matchall filters on b2's ingress (clsact), each
        with `action continue` so that every packet runs all of them;
        removed by `on` False. m_slow makes them afresh for every run:
        made once per device, one set of objects served every run of that
        device in a boot, so wherever they had landed in memory weighed on
        one device only (boots 14-23 in bench/NOTES.md: identical veth
        pairs 0.91x-1.09x apart, rvnet's sfq rate below veth's in every
        round of a boot and above it in others); made per run, it lands on
        the rounds' pairing instead."""
        st = self.state[kind]
        if on and not st.get("filters"):
            n = self.cfg["slow_filters"]
            cmds = "qdisc add dev b2 clsact\n" + "".join(
                "filter add dev b2 ingress pref %d matchall action continue\n" % (i + 1)
                for i in range(n))
            nsh(ns_b(kind), ["tc", "-batch", "-"], stdin=cmds, timeout=600)
            st["filters"] = n
        elif not on and st.get("filters"):
            nsh(ns_b(kind), ["tc", "qdisc", "del", "dev", "b2", "clsact"], check=False)
            st["filters"] = None

    def m_lat(self, kind, case):
        if case == "saturated":
            with self.saturated(kind) as flood_args:
                return self._lat(kind, flood_args)
        if case in ("threaded", "threaded0"):
            # threaded0: rvnet completing every packet on its own (b1's
            # tx-usecs 0), as it did before it batched.
            with self.rvnet_coalesce(kind, usecs=0 if case == "threaded0" else None):
                with self.threaded_both(kind):
                    return self._lat(kind, [])
        return self._lat(kind, [])

    def m_slow(self, kind, case):
        """Ping under a UDP flood whose consumer is the bottleneck
        (`slow_consumer`), with `root` as b1's root qdisc; on rvnet with
        b1's `tx-usecs` (BQL completion coalescing) set to `usecs` for the
        run when it is not None (0: every packet completed on its own, as
        rvnet did before it batched), and b1's `tx-frames` (the floor under
        its BQL limits, in full frames) set to `frames` when it is not None
        (0: no floor, as before 2026-12-06)."""
        root, usecs, frames = (tuple(case) + (None,))[:3]
        with self.rvnet_coalesce(kind, usecs, frames):
            with self.slow_consumer(kind):
                metrics, extra = self._slow(kind, root)
                t = time.time()
            extra["ending"]["restore_s"] = round(time.time() - t, 2)
            # Fresh filters for every run (see slow_filters), unless a
            # placement run keeps them on purpose.
            if not self.keep_filters:
                self.slow_filters(kind, False)
            return metrics, extra

    def m_placement(self, kind):
        """`--only place`: does the consumer's rate follow its filter set?
        Three sets of `slow_filters` per pair (sfq root), each measured
        twice before it is removed: a spread between sets well above the
        spread within a set says that where the filters landed in memory
        sets the consumer's speed."""
        self.keep_filters = True
        try:
            for fs in range(3):
                for rep in range(2):
                    self.measure("slow_placement", "sfq, filter set %d" % fs, kind, rep,
                                 self.m_slow, ("sfq", None))
                self.slow_filters(kind, False)
        finally:
            self.keep_filters = False
            self.set_root(kind, None)

    @contextlib.contextmanager
    def slow_flood(self, kind):
        """pktgen floods b1's root qdisc from CPU 0 (queue_xmit, 1400-byte
        frames to a foreign MAC, so b2 drops each after its ingress; a
        producer that never waits) for the body, after 0.8 s to fill the
        queues. Yields a dict that gets how long each step of the ending
        took."""
        a = ns_a(kind)
        err = []
        tail = {}
        with netns(a):
            pg_ctrl("reset")
            pg_thread(0, "rem_device_all")
            pg_thread(0, "add_device b1")
            for c in ("count 0", "clone_skb 0", "pkt_size 1400", "delay 0", "flag NO_TIMESTAMP",
                      "dst_mac 90:e2:ba:ff:ff:ff", "dst_min 198.18.0.42", "dst_max 198.18.0.42",
                      "xmit_mode queue_xmit"):
                pg_set("b1", c)
            # The thread inherits this netns (pgctrl acts on the writer's).
            starter = threading.Thread(target=lambda: self._try(err, pg_ctrl, "start"))
            starter.start()
        try:
            time.sleep(0.8)  # let the flood fill the queues
            yield tail
        finally:
            # The flood keeps running until pktgen's thread stops.
            with netns(a):
                t = time.time()
                pg_ctrl("stop")
                tail["pktgen_stop_s"] = round(time.time() - t, 2)
                t = time.time()
                starter.join(60)
                tail["pktgen_join_s"] = round(time.time() - t, 2)
                t = time.time()
                pg_ctrl("reset")
                tail["pktgen_reset_s"] = round(time.time() - t, 2)
        if err:
            raise err[0]

    def _slow(self, kind, root):
        """Ping RTTs from b1 to b2 (ping on CPU 0) while pktgen floods b1's
        root qdisc `root` (queue_xmit, 1400-byte frames to a foreign MAC, so
        b2 drops each after its ingress; a producer that never waits, on
        CPU 0): the consumer sets the rate. The bulk figure is what b2's
        consumer took (b2's rx_packets per second); the queue evidence
        is sampled during the ping (`QueueEvidence`)."""
        a = ns_a(kind)
        secs = self.cfg["slow_s"]
        self.set_root(kind, root)
        pin = lambda: os.sched_setaffinity(0, {0})  # noqa: E731
        s0 = self.snapshot(kind)
        # What the other pair's last run left in its root qdisc: work its
        # consumer may still be doing during this run.
        others = {k: qdisc_stats(ns_a(k), "b1").get("backlog") for k in PAIRS if k != kind}
        ev = None
        with self.slow_flood(kind) as tail:
            try:
                q0 = qdisc_stats(a, "b1")
                ev = QueueEvidence(self, kind, pin)
                consumer = self.state[kind].get("consumer_threads", [])
                x0, i0, k0, c0 = net_tx_per_cpu(), cpu_ticks(), task_ticks(), thread_sleeps(consumer)
                n0 = irq_counts()
                r0, t0 = link_stats(ns_b(kind), "b2")["rx_packets"], time.time()
                mark("start slow %s %s" % (kind, root))
                out = ping_probe_run(self.cfg, a, secs, ev, pin)
                mark("end slow %s %s" % (kind, root))
                r1, t1 = link_stats(ns_b(kind), "b2")["rx_packets"], time.time()
                x1, i1, k1, c1 = net_tx_per_cpu(), cpu_ticks(), task_ticks(), thread_sleeps(consumer)
                n1 = irq_counts()
                q = qdisc_stats(a, "b1")
            finally:
                t = time.time()
                evidence = ev.finish() if ev else {}
                tail["evidence_s"] = round(time.time() - t, 2)
        time.sleep(0.2)
        extra = self.snap_extra(kind, s0, self.snapshot(kind))
        extra["ending"] = tail
        rtts = sorted(float(x) for x in re.findall(r"time=([\d.]+) ms", out))
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        if not rtts or not m:
            raise RuntimeError("no ping replies: " + out.strip()[-300:])
        sent, got = int(m.group(1)), int(m.group(2))
        extra.update({"pings": sent, "replies": got, "max_ms": rtts[-1], "root_qdisc": root,
                      "qdisc_drops": q.get("drops"), "qdisc_requeues": q.get("requeues"),
                      "qdisc_backlog_bytes_before_ping": q0.get("backlog"),
                      "qdisc_backlog_bytes_after_ping": q.get("backlog"),
                      "queue_evidence": evidence,
                      # The flood's CPU is 0, the consumer's the last: a
                      # woken queue's qdisc run on the consumer's CPU is
                      # work taken from the consumer.
                      "net_tx_per_cpu_during_ping": [n1 - n0 for n0, n1 in zip(x0, x1)],
                      "consumer_rx_packets_during_ping": r1 - r0,
                      "other_pairs_backlog_bytes_at_start": others,
                      # Whether the consumer ever waited for packets (its
                      # CPU idle, its NAPI thread asleep) and what else
                      # took CPU time during the ping.
                      "cpu_pct_during_ping": cpu_ticks_delta(i0, i1, t1 - t0),
                      "top_tasks_during_ping": top_tasks(k0, k1),
                      "interrupts_per_cpu_during_ping": [{k: b[k] - a_[k] for k in b}
                                                         for a_, b in zip(n0, n1)],
                      "consumer_thread_sleeps_during_ping": c1 - c0,
                      "clocksource": clocksource()})
        return ({"p50_ms": pct(rtts, 50), "p99_ms": pct(rtts, 99),
                 "ping_loss_pct": 100.0 * (sent - got) / sent if sent else None,
                 "consumer_rx_pps": (r1 - r0) / (t1 - t0)}, extra)

    def _lat(self, kind, flood_args, root="fq_codel", secs=None, pin=False):
        """Ping RTTs from b1 to b2 while an iperf3 UDP flood (1400 B, as
        fast as it can) runs from b1 to b2 through `root` on b1. With `pin`
        the ping and the samplers run on CPU 0 (the flood's CPU; the
        receiving NAPI thread has the last CPU to itself). Next to the
        figures, the evidence of a queue (`queue_evidence`)."""
        a = ns_a(kind)
        secs = secs or self.cfg["lat_s"]
        self.set_root(kind, root)
        affinity = (lambda: os.sched_setaffinity(0, {0})) if pin else None
        s0 = self.snapshot(kind)
        l0 = softirq_load()
        with netns(a):
            flood = subprocess.Popen(
                ["iperf3", "-c", B_IP, "-p", str(IPERF_PORT), "-J",
                 "-u", "-b", "0", "-l", "1400", "-t", str(secs + 1)] + flood_args,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ev = QueueEvidence(self, kind, affinity)
        try:
            time.sleep(0.8)  # let the flood fill the queues
            q0 = qdisc_stats(a, "b1")
            out = ping_probe_run(self.cfg, a, secs, ev, affinity)
            q = qdisc_stats(a, "b1")
            l1 = softirq_load()
        finally:
            evidence = ev.finish()
            fout, _ = flood.communicate(timeout=secs + 60)
        extra = self.snap_extra(kind, s0, self.snapshot(kind))
        rtts = sorted(float(x) for x in re.findall(r"time=([\d.]+) ms", out))
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        if not rtts or not m:
            raise RuntimeError("no ping replies: " + out.strip()[-300:])
        sent, got = int(m.group(1)), int(m.group(2))
        try:
            flood_mbps = json.loads(fout)["end"]["sum_received"]["bits_per_second"] / 1e6
        except (ValueError, KeyError):
            raise RuntimeError("flood iperf3 failed: " + fout.strip()[-300:])
        extra.update({"pings": sent, "replies": got, "max_ms": rtts[-1], "root_qdisc": root,
                      "qdisc_drops": q.get("drops"), "qdisc_requeues": q.get("requeues"),
                      "qdisc_backlog_bytes_before_ping": q0.get("backlog"),
                      "qdisc_backlog_bytes_after_ping": q.get("backlog"),
                      "queue_evidence": evidence})
        # Whether a queue formed at all: softirq work deferred to ksoftirqd
        # (ticks) and how many NET_TX/NET_RX softirqs ran during the ping.
        extra.update({k + "_during_ping": l1[k] - l0[k] for k in l0 if k in l1})
        return ({"p50_ms": pct(rtts, 50), "p99_ms": pct(rtts, 99),
                 "ping_loss_pct": 100.0 * (sent - got) / sent if sent else None,
                 "flood_rx_mbit_s": flood_mbps}, extra)

    def tcp_cases(self):
        """(streams, gro, threaded): the full matrix, or for a smoke run
        two cases that still flip every knob."""
        if self.args.smoke:
            return [(1, "on", "off"), (2, "off", "on")]
        return [(p, g, t) for t in ("off", "on") for g in ("on", "off") for p in (1, 2)]

    # -- driver --------------------------------------------------------
    def measure(self, workload, case_name, kind, run, fn, case):
        rec = {"type": "run", "workload": workload, "case": case_name, "device": kind,
               "run": run, "warmup": run < 0, "status": "ok", "metrics": {}, "extra": {}}
        t = time.time()
        try:
            rec["metrics"], rec["extra"] = fn(kind, case)
        except Unsupported as e:
            rec["status"], rec["note"] = "unsupported", str(e)
        except Exception as e:  # noqa: BLE001 - a failed run is recorded, not fatal
            rec["status"], rec["note"] = "error", "%s: %s" % (type(e).__name__, e)
        rec["wall_s"] = round(time.time() - t, 2)
        self.emit(rec)
        shown = ", ".join("%s=%.4g" % (k, v) for k, v in rec["metrics"].items() if v is not None)
        self.say("%s [%s] %s %s: %s" % (workload, case_name, kind,
                                         "warm-up" if run < 0 else "run %d" % run,
                                         shown or rec["status"] + ": " + rec.get("note", "")))

    def alternate(self, workload, case_name, kinds, fn, case=None, after=None):
        """Warm-up rounds, then counted rounds; each round runs every device
        once, every second round in the reverse order (A B, B A, A B, ...),
        so that no device always runs right after the other (whatever one
        run leaves behind lands on both)."""
        for r in range(-self.cfg["warmup"], self.cfg["runs"]):
            for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                self.measure(workload, case_name, kind, r, fn, case)
        if after:
            for kind in kinds:
                after(kind)

    def profile(self, outdir):
        """Instruction profiles of pktgen start_xmit (64 B and 1500 B) on
        each device (64 B on the pairs also with `receiver_thread`, as
        64Bthr), of 64 B into rvnet with every packet sampled (without
        and with a listener) and of 64-byte UDP (iperf3) on the pairs, counted by
        QEMU (bench/tcgprof/insnprof.c, loaded by bench/run --profile): a
        snapshot of the per-block instruction counts before and after one
        run after a warm-up, the counters of the run next to them, and the
        guest's kallsyms (with rvnet's symbols) to resolve the addresses. bench/tcgprof/report.py
        subtracts and resolves them on the host."""
        secs = self.cfg["pktgen_s"]
        with open("/proc/kallsyms") as f, open(os.path.join(outdir, "kallsyms"), "w") as o:
            o.write(f.read())

        def snap(name):
            req = os.path.join(outdir, "req-" + name)
            open(req, "w").close()
            for _ in range(1200):
                if not os.path.exists(req):
                    return
                time.sleep(0.05)
            raise RuntimeError("insnprof did not answer %s (is the plugin loaded?)" % req)

        for k in ALL:
            self.teardown(k)
        try:
            for k in ALL:
                self.setup(k)
            if self.args.only == "slow":
                self.profile_slow(outdir, snap)
                return
            for label, size in (("64B", 60), ("1500B", 1514)):
                for kind in ALL:
                    self.pktgen(kind, "start_xmit", size, 1)  # warm-up
                    name = "%s-%s" % (kind, label)
                    snap(name + "-0")
                    metrics, extra = self.pktgen(kind, "start_xmit", size, secs)
                    snap(name + "-1")
                    with open(os.path.join(outdir, name + ".json"), "w") as f:
                        json.dump({"kind": kind, "size": label, "metrics": metrics,
                                   "extra": extra}, f, sort_keys=True)
                    self.say("profile %s %s: %s" % (label, kind, json.dumps(metrics)))
            # The receiving end's NAPI threaded on the other CPU: the same
            # per-packet work, split differently between the CPUs.
            for kind in PAIRS:
                with self.receiver_thread(kind):
                    self.pktgen(kind, "start_xmit", 60, 1)  # warm-up
                    name = "%s-64Bthr" % kind
                    snap(name + "-0")
                    metrics, extra = self.pktgen(kind, "start_xmit", 60, secs)
                    snap(name + "-1")
                with open(os.path.join(outdir, name + ".json"), "w") as f:
                    json.dump({"kind": kind, "size": "64Bthr", "metrics": metrics,
                               "extra": extra}, f, sort_keys=True)
                self.say("profile 64B receiver threaded %s: %s" % (kind, json.dumps(metrics)))
            # What decision sampling costs per packet: pktgen 64 B into
            # rvnet, every packet recorded at both ends, without a listener
            # (recording) and with one in the sender's namespace (delivery
            # too, the listener's own work included).
            for label, case in (("64B+sample1", (1, False)), ("64B+sample1+listener", (1, "a"))):
                self.sampled(case, lambda: self.pktgen("rvnet", "start_xmit", 60, 1))  # warm-up
                name = "rvnet-" + label
                snap(name + "-0")
                metrics, extra = self.sampled(
                    case, lambda: self.pktgen("rvnet", "start_xmit", 60, secs))
                snap(name + "-1")
                with open(os.path.join(outdir, name + ".json"), "w") as f:
                    json.dump({"kind": "rvnet", "size": label, "metrics": metrics,
                               "extra": extra}, f, sort_keys=True)
                self.say("profile %s rvnet: %s" % (label, json.dumps(metrics)))
            # The decision hooks with sampling off, against a build without
            # them: what observation costs when nobody observes. Both
            # modules freshly loaded, with fresh pairs, the same way; the
            # module's symbols are read again after each load.
            noobs = no_observe_ko()
            if not noobs:
                self.say("profile: no rvnet.ko without decision hooks (qemu/module --no-observe), skipped")
            builds = (("64B+no-observe", noobs), ("64B+reloaded", os.environ["RVNET_KO"])) if noobs else ()
            for label, ko in builds:
                name = "rvnet-" + label
                with self.rvnet_module(ko):
                    self.pktgen("rvnet", "start_xmit", 60, 1)  # warm-up
                    with open("/proc/kallsyms") as f, open(os.path.join(outdir, name + ".kallsyms"), "w") as o:
                        o.write(f.read())
                    snap(name + "-0")
                    metrics, extra = self.pktgen("rvnet", "start_xmit", 60, secs)
                    snap(name + "-1")
                with open(os.path.join(outdir, name + ".json"), "w") as f:
                    json.dump({"kind": "rvnet", "size": label, "metrics": metrics,
                               "extra": extra}, f, sort_keys=True)
                self.say("profile %s rvnet: %s" % (label, json.dumps(metrics)))
            # The whole stack: 64-byte UDP from a socket through the root
            # qdisc and the pair to a socket, per datagram received.
            for kind in PAIRS:
                self.m_udp(kind, None)  # warm-up
                name = "%s-udp64" % kind
                snap(name + "-0")
                metrics, extra = self.m_udp(kind, None)
                snap(name + "-1")
                extra["packets"] = extra["b2_rx_packets"]
                with open(os.path.join(outdir, name + ".json"), "w") as f:
                    json.dump({"kind": kind, "size": "udp64", "workload": "iperf3 UDP 64 B",
                               "metrics": metrics, "extra": extra}, f, sort_keys=True)
                self.say("profile udp64 %s: %s" % (kind, json.dumps(metrics)))
        finally:
            for k in ALL:
                self.teardown(k)

    def profile_slow(self, outdir, snap):
        """`--profile --only slow`: the slow consumer (`slow_consumer`, the
        pktgen flood) on each pair with each root of --profile-roots
        (fq_codel; sfq is named KIND-slow-sfq), per packet the consumer
        took. All CPUs are counted, so the flood's own work on CPU 0
        (enqueues and the qdisc's drops) is in the totals; the consumer's
        symbols (b2's poll, the stack, the tc filters, b1's qdisc runs
        after a wake) are the ones to compare."""
        secs = self.cfg["slow_s"]
        for root in self.args.profile_roots.split(","):
            for kind in PAIRS:
                size = "slow" if root == "fq_codel" else "slow-" + root
                name = "%s-%s" % (kind, size)
                with self.slow_consumer(kind):
                    self.set_root(kind, root)
                    with self.slow_flood(kind):
                        r0, t0 = link_stats(ns_b(kind), "b2")["rx_packets"], time.time()
                        snap(name + "-0")
                        time.sleep(secs)
                        snap(name + "-1")
                        r1, t1 = link_stats(ns_b(kind), "b2")["rx_packets"], time.time()
                self.set_root(kind, None)
                self.slow_filters(kind, False)
                metrics = {"consumer_rx_pps": (r1 - r0) / (t1 - t0)}
                with open(os.path.join(outdir, name + ".json"), "w") as f:
                    json.dump({"kind": kind, "size": size, "metrics": metrics,
                               "workload": "slow consumer, %s, pktgen flood" % root,
                               "extra": {"packets": r1 - r0}}, f, sort_keys=True)
                self.say("profile %s %s: %s" % (size, kind, json.dumps(metrics)))

    def run(self):
        if self.args.profile:
            self.profile(self.args.profile)
            return
        sel = self.args.only.split(",") if self.args.only else WORKLOADS
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
        cpu = m.group(1) if m else "unknown"
        for k in ALL:
            self.teardown(k)  # leftovers of an interrupted run
        try:
            for k in ALL:
                self.setup(k)
            self.emit({"type": "meta", "kernel": os.uname().release, "guest_cpu_model": cpu,
                       "nproc": os.cpu_count(), "smoke": self.args.smoke, "config": self.cfg,
                       "clocksource": clocksource(),
                       "queues": self.args.queues, "workloads": sel,
                       "device_defaults": self.defaults,
                       "pktgen": {"clone_skb": 0, "burst": 1, "thread": 0,
                                  "pkt_size": {"64B": 60, "1500B": 1514}}})
            self.say("kernel %s, %d CPUs (%s); %d warm-up + %d counted rounds; defaults %s"
                     % (os.uname().release, os.cpu_count(), cpu, self.cfg["warmup"],
                        self.cfg["runs"], json.dumps(self.defaults)))
            if "pktgen" in sel:
                for label, size in (("64B", 60), ("1500B", 1514)):
                    self.alternate("pktgen_start_xmit", label, ALL, self.m_pktgen, size)
                for label, size in (("64B", 60), ("1500B", 1514)):
                    self.alternate("pktgen_start_xmit", label + ", receiver threaded", ALL,
                                   self.m_pktgen_thr, size)
            if "qdisc" in sel:
                self.alternate("pktgen_queue_xmit_fq_codel", "64B", ALL, self.m_qdisc, 60,
                               after=lambda k: self.set_root(k, None))
            if "tcp" in sel:
                for case in self.tcp_cases():
                    self.alternate("tcp_stream", "P%d gro-%s threaded-%s" % case, PAIRS,
                                   self.m_tcp, case)
                for k in PAIRS:
                    self.restore_features(k)
            if "udp" in sel:
                self.alternate("udp_64B", "iperf3 -u -l 64 -b 0", PAIRS, self.m_udp)
                if not self.args.smoke:
                    # rvnet without its BQL floor in the same boot.
                    self.alternate("udp_64B", "iperf3 -u -l 64 -b 0, rvnet tx-frames 0", PAIRS,
                                   self.m_udp, 0)
            if "rr" in sel:
                self.alternate("tcp_rr", "1B ping-pong", PAIRS, self.m_rr)
            if "lat" in sel:
                self.alternate("latency_under_load", "fq_codel + UDP flood", PAIRS, self.m_lat,
                               after=lambda k: self.set_root(k, None))
                self.alternate("latency_under_load", "fq_codel + UDP flood, receiver saturated", PAIRS,
                               self.m_lat, "saturated", after=lambda k: self.set_root(k, None))
                if not self.args.smoke:  # the smoke stays short: slow covers threads
                    self.alternate("latency_under_load", "fq_codel + UDP flood, threaded NAPI", PAIRS,
                                   self.m_lat, "threaded", after=lambda k: self.set_root(k, None))
                    self.alternate("latency_under_load", "fq_codel + UDP flood, threaded NAPI, rvnet tx-usecs 0",
                                   PAIRS, self.m_lat, "threaded0", after=lambda k: self.set_root(k, None))
            if "slow" in sel:
                # The smoke run measures one root (the scenario runs and
                # records its evidence); the bench both.
                cases = [("fq_codel", ("fq_codel", None))]
                if not self.args.smoke:
                    # And rvnet without its BQL floor (tx-frames 0): a slow
                    # consumer is completed per packet (its pace is above
                    # tx-usecs), so without the floor its limit is two
                    # packets, each poll takes two or three, and each is
                    # followed by b1's qdisc run on the consumer's CPU
                    # (net_tx_per_cpu_during_ping).
                    cases += [("sfq", ("sfq", None)),
                              ("fq_codel, rvnet tx-frames 0", ("fq_codel", None, 0)),
                              ("sfq, rvnet tx-frames 0", ("sfq", None, 0))]
                for name, case in cases:
                    self.alternate("slow_consumer", name, PAIRS, self.m_slow, case,
                                   after=lambda k: self.set_root(k, None))
                for k in PAIRS:
                    self.slow_filters(k, False)
            if "place" in sel:
                for k in PAIRS:
                    self.m_placement(k)
            if "obs" in sel:
                self.observation_cost()
                self.hooks_cost()
            if "xdp" in sel:
                for case in ("drop", "redirect"):
                    for k in PAIRS:
                        self.xdp_setup(k, case)
                    try:
                        self.alternate("xdp_" + case, "pktgen 64B", PAIRS, self.m_xdp, case)
                    finally:
                        for k in PAIRS:
                            self.xdp_teardown(k, case)
        finally:
            for k in ALL:
                self.teardown(k)
        self.emit({"type": "end", "elapsed_s": round(time.time() - self.t0, 1), "clocksource": clocksource()})
        self.say("done")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--sample-bql":
        sample_bql(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="JSON-lines file to append to")
    ap.add_argument("--smoke", action="store_true",
                    help="every workload briefly: 1 run per device, ~1 s each, 2 TCP cases")
    ap.add_argument("--runs", type=int, help="counted rounds (default 5, smoke 1)")
    ap.add_argument("--warmup", type=int, help="warm-up rounds (default 1, smoke 0)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every duration")
    ap.add_argument("--queues", type=int, default=1, help="tx/rx queues of veth and rvnet")
    ap.add_argument("--only", help="comma list of: " + ",".join(WORKLOADS)
                    + " (and place: the slow consumer's rate against its filter sets, not in the default)")
    ap.add_argument("--profile-roots", default="fq_codel", metavar="LIST",
                    help="--profile --only slow: b1's root qdiscs to profile, a comma list (fq_codel,sfq)")
    ap.add_argument("--profile", metavar="DIR",
                    help="instead of measuring: instruction profiles of pktgen on each device into DIR (needs bench/tcgprof/insnprof.c loaded)")
    args = ap.parse_args()
    if not os.path.exists(PG + "/pgctrl"):
        sys.exit("bench: no %s (CONFIG_NET_PKTGEN)" % PG)
    Bench(args).run()


if __name__ == "__main__":
    main()
