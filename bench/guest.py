#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Guest side of `make bench`: measure rvnet, veth and dummy in one boot.

Runs inside the guest (bench/guest.sh loads the module and calls this).
Every workload runs its devices in alternation (A B A B ...): warm-up
rounds first, then the counted rounds. Each measurement is written as one
JSON line to --out; bench/report.py turns them into medians and ratios.

Record types (one JSON object per line):
  meta  kernel, CPU, settings, device defaults
  run   workload, case, device, run (-1 = warm-up), warmup, status
        (ok | unsupported | error), metrics {name: number}, extra, note
  na    a workload that cannot be measured yet, with the reason
  end   elapsed seconds
"""
import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
A_IP, B_IP = "10.70.0.1", "10.70.0.2"
IPERF_PORT, RR_PORT = 5201, 7001
PAIRS = ["veth", "rvnet"]
ALL = ["dummy", "veth", "rvnet"]
WORKLOADS = ["pktgen", "qdisc", "tcp", "udp", "rr", "lat", "obs"]

FULL = dict(pktgen_s=3, qdisc_s=3, tcp_s=3, udp_s=3, rr_s=3, lat_s=5,
            ping_interval=0.01, runs=5, warmup=1)
SMOKE = dict(pktgen_s=1, qdisc_s=1, tcp_s=1, udp_s=1, rr_s=1, lat_s=2,
             ping_interval=0.01, runs=1, warmup=0)


class Unsupported(Exception):
    pass


def ns_a(kind):
    return "rvbA_" + kind


def ns_b(kind):
    return "rvbB_" + kind


def sh(cmd, check=True, timeout=120, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                                 (p.stderr or p.stdout).strip()[-300:]))
    return p.stdout


def nsx(ns, *cmd, **kw):
    return sh(["ip", "netns", "exec", ns] + [str(c) for c in cmd], **kw)


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    return sorted_vals[max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)]


def link_stats(ns, dev):
    j = json.loads(sh(["ip", "-n", ns, "-j", "-s", "link", "show", "dev", dev]))
    return j[0]["stats64"]


def ethtool_stats(ns, dev):
    out = nsx(ns, "ethtool", "-S", dev, check=False)
    st = {}
    for line in out.splitlines():
        m = re.match(r"\s+([\w\-\[\]]+):\s+(\d+)$", line)
        if m:
            st[m.group(1)] = int(m.group(2))
    return st


def delta(before, after):
    """Counters that changed between two ethtool -S snapshots."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def qdisc_stats(ns, dev):
    j = json.loads(sh(["tc", "-n", ns, "-s", "-j", "qdisc", "show", "dev", dev]))
    root = [q for q in j if q.get("root")] or j
    return root[0]


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
        self.servers = {}
        self.defaults = {}
        self.state = {}
        self.t0 = time.time()

    # -- output --------------------------------------------------------
    def emit(self, rec):
        self.out.write(json.dumps(rec, sort_keys=True) + "\n")

    def say(self, msg):
        print("[%5.0fs] %s" % (time.time() - self.t0, msg), flush=True)

    # -- topology ------------------------------------------------------
    def setup(self, kind):
        a, b, q = ns_a(kind), ns_b(kind), str(self.args.queues)
        sh(["ip", "netns", "add", a])
        spaces = [a]
        if kind != "dummy":
            sh(["ip", "netns", "add", b])
            spaces.append(b)
        for ns in spaces:
            # No background IPv6 (ND, MLD) traffic on the measured devices.
            nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            nsx(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        if kind == "rvnet":
            sh(["ip", "-n", a, "link", "add", "b1", "numtxqueues", q, "numrxqueues", q, "type", "rvnet"])
            out = sh(["ip", "-n", a, "-o", "link", "show", "b1"])
            m = re.search(r"b1@([^:]+):", out)
            if not m:
                raise RuntimeError("no rvnet peer in: " + out)
            sh(["ip", "-n", a, "link", "set", m.group(1), "name", "b2"])
            sh(["ip", "-n", a, "link", "set", "b2", "netns", b])
        elif kind == "veth":
            sh(["ip", "-n", a, "link", "add", "b1", "numtxqueues", q, "numrxqueues", q, "type", "veth",
                "peer", "name", "b2", "netns", b, "numtxqueues", q, "numrxqueues", q])
        else:
            sh(["ip", "-n", a, "link", "add", "b1", "type", "dummy"])
        sh(["ip", "-n", a, "addr", "add", A_IP + "/24", "dev", "b1"])
        sh(["ip", "-n", a, "link", "set", "b1", "up"])
        ends = [(a, "b1")]
        if kind != "dummy":
            sh(["ip", "-n", b, "addr", "add", B_IP + "/24", "dev", "b2"])
            sh(["ip", "-n", b, "link", "set", "b2", "up"])
            ends.append((b, "b2"))
            for _ in range(100):
                if "LOWER_UP" in sh(["ip", "-n", a, "link", "show", "b1"]):
                    break
                time.sleep(0.1)
            nsx(a, "ping", "-c", "1", "-W", "3", B_IP)
            subprocess.run(["ip", "netns", "exec", b, "iperf3", "-s", "-D", "-p", str(IPERF_PORT),
                            "--pidfile", "/tmp/rvb-iperf3-%s.pid" % kind],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=60)
            self.servers[kind] = subprocess.Popen(
                ["ip", "netns", "exec", b, PY, os.path.join(HERE, "rr.py"), "server", str(RR_PORT)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = {}
        for ns, dev in ends:
            k = nsx(ns, "ethtool", "-k", dev)
            gro = re.search(r"generic-receive-offload: (\w+)", k).group(1)
            d[dev] = {
                "gro": gro,
                "root_qdisc": qdisc_stats(ns, dev)["kind"],
                "threaded": nsx(ns, "cat", "/sys/class/net/%s/threaded" % dev, check=False).strip(),
                "tso": re.search(r"tcp-segmentation-offload: (\w+)", k).group(1),
            }
        self.defaults[kind] = d
        self.state[kind] = {"gro": None, "threaded": None}
        if kind != "dummy":
            self.wait_port(b, IPERF_PORT)
            self.wait_port(b, RR_PORT)

    def wait_port(self, ns, port):
        for _ in range(300):
            if (":%d " % port) in nsx(ns, "ss", "-ltnH"):
                return
            time.sleep(0.1)
        raise RuntimeError("nothing listens on port %d in %s" % (port, ns))

    def teardown(self, kind):
        p = self.servers.pop(kind, None)
        if p:
            p.terminate()
            p.wait()
        pidf = "/tmp/rvb-iperf3-%s.pid" % kind
        try:
            with open(pidf) as f:
                os.kill(int(f.read().strip().strip("\0")), signal.SIGTERM)
            os.unlink(pidf)
        except (OSError, ValueError):
            pass
        for ns in (ns_a(kind), ns_b(kind)):
            sh(["ip", "netns", "del", ns], check=False)

    def ends(self, kind):
        e = [(ns_a(kind), "b1")]
        if kind != "dummy":
            e.append((ns_b(kind), "b2"))
        return e

    def set_root(self, kind, qdisc):
        """Root qdisc of the sending end: a fresh one (zeroed stats), or the
        device default when qdisc is None."""
        a = ns_a(kind)
        sh(["tc", "-n", a, "qdisc", "del", "dev", "b1", "root"], check=False)
        if qdisc:
            sh(["tc", "-n", a, "qdisc", "add", "dev", "b1", "root"] + qdisc.split())

    def set_features(self, kind, gro, threaded):
        """GRO and threaded NAPI on both ends; Unsupported if the device
        refuses threaded NAPI (veth has no NAPI without GRO or XDP)."""
        st = self.state[kind]
        if st["gro"] == gro and st["threaded"] == threaded:
            return
        for ns, dev in self.ends(kind):
            nsx(ns, "sh", "-c", "echo 0 > /sys/class/net/%s/threaded" % dev, check=False)
        st["threaded"] = "off"
        for ns, dev in self.ends(kind):
            nsx(ns, "ethtool", "-K", dev, "gro", gro)
        st["gro"] = gro
        if threaded == "on":
            for ns, dev in self.ends(kind):
                p = subprocess.run(["ip", "netns", "exec", ns, "sh", "-c",
                                    "echo 1 > /sys/class/net/%s/threaded" % dev],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                if p.returncode != 0:
                    st["threaded"] = None
                    raise Unsupported("writing 1 to /sys/class/net/%s/threaded failed (gro %s): %s"
                                      % (dev, gro, p.stdout.strip().replace("sh: 1: ", "")))
            st["threaded"] = "on"

    def restore_features(self, kind):
        for ns, dev in self.ends(kind):
            nsx(ns, "sh", "-c", "echo 0 > /sys/class/net/%s/threaded" % dev, check=False)
            nsx(ns, "ethtool", "-K", dev, "gro", self.defaults[kind][dev]["gro"])
        self.state[kind] = {"gro": None, "threaded": None}

    # -- measurements --------------------------------------------------
    def pktgen(self, kind, mode, size, secs):
        a, b = ns_a(kind), ns_b(kind)
        pair = kind != "dummy"
        s1 = link_stats(a, "b1")
        e1 = ethtool_stats(a, "b1") if kind == "rvnet" else {}
        s2 = link_stats(b, "b2") if pair else None
        env = dict(os.environ, PKTGEN_DIR=self.args.pktgen_dir)
        out = nsx(a, os.path.join(HERE, "pktgen.sh"), "b1", mode, size, secs,
                  timeout=secs + 60, env=env)
        m = re.search(r"usec=(\d+) pkts=(\d+) pps=(\d+) errors=(\d+)", out)
        if not m:
            raise RuntimeError("unparsable pktgen output: " + out.strip()[-300:])
        usec, pkts, pps, errors = (int(x) for x in m.groups())
        time.sleep(0.1)  # let the receiving NAPI drain its ring
        metrics = {"tx_pps": pps}
        t1 = link_stats(a, "b1")
        extra = {"pktgen_pkts": pkts, "pktgen_errors": errors, "usec": usec,
                 "sender_tx_dropped": t1["tx"]["dropped"] - s1["tx"]["dropped"]}
        if pair:
            t2 = link_stats(b, "b2")
            rx = t2["rx"]["packets"] - s2["rx"]["packets"]
            metrics["rx_pps"] = rx / (usec / 1e6) if usec else 0
            extra["receiver_rx_dropped"] = t2["rx"]["dropped"] - s2["rx"]["dropped"]
        if kind == "rvnet":
            extra["ethtool_delta"] = delta(e1, ethtool_stats(a, "b1"))
        return metrics, extra

    def m_pktgen(self, kind, size):
        return self.pktgen(kind, "start_xmit", size, self.cfg["pktgen_s"])

    def m_qdisc(self, kind, size):
        self.set_root(kind, "fq_codel")
        metrics, extra = self.pktgen(kind, "queue_xmit", size, self.cfg["qdisc_s"])
        q = qdisc_stats(ns_a(kind), "b1")
        secs = extra["usec"] / 1e6
        metrics["requeues_per_s"] = q["requeues"] / secs
        metrics["drops_per_s"] = q["drops"] / secs
        extra.update({"qdisc_" + k: q.get(k) for k in ("packets", "drops", "requeues", "overlimits", "backlog", "qlen")})
        return metrics, extra

    def iperf(self, kind, args, secs):
        out = nsx(ns_a(kind), "iperf3", "-c", B_IP, "-p", IPERF_PORT, "-J", "-t", secs, *args,
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

    def m_udp(self, kind, _case):
        j = self.iperf(kind, ["-u", "-l", "64", "-b", "0"], self.cfg["udp_s"])
        r, s = j["end"]["sum_received"], j["end"]["sum_sent"]
        return ({"rx_pps": r["bytes"] / 64 / r["seconds"],
                 "tx_pps": s["bytes"] / 64 / s["seconds"]},
                {"lost_percent": r.get("lost_percent"), "seconds": r["seconds"]})

    def m_rr(self, kind, _case):
        out = nsx(ns_a(kind), PY, os.path.join(HERE, "rr.py"), "client", B_IP, RR_PORT,
                  self.cfg["rr_s"], timeout=self.cfg["rr_s"] + 60)
        j = json.loads(out)
        return ({"tps": j["tps"], "p50_us": j["p50_us"], "p99_us": j["p99_us"]},
                {"transactions": j["transactions"], "mean_us": j["mean_us"]})

    def m_lat(self, kind, _case):
        a = ns_a(kind)
        secs = self.cfg["lat_s"]
        self.set_root(kind, "fq_codel")
        e1 = ethtool_stats(a, "b1") if kind == "rvnet" else {}
        flood = subprocess.Popen(
            ["ip", "netns", "exec", a, "iperf3", "-c", B_IP, "-p", str(IPERF_PORT), "-J",
             "-u", "-b", "0", "-l", "1400", "-t", str(secs + 2)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(1.0)  # let the flood fill the queues
            out = nsx(a, "ping", "-n", "-i", self.cfg["ping_interval"], "-W", "1", "-w", secs, B_IP,
                      check=False, timeout=secs + 30)
            q = qdisc_stats(a, "b1")
            bql = nsx(a, "cat", "/sys/class/net/b1/queues/tx-0/byte_queue_limits/limit", check=False).strip()
        finally:
            fout, _ = flood.communicate(timeout=secs + 60)
        rtts = sorted(float(x) for x in re.findall(r"time=([\d.]+) ms", out))
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        if not rtts or not m:
            raise RuntimeError("no ping replies: " + out.strip()[-300:])
        sent, got = int(m.group(1)), int(m.group(2))
        try:
            fj = json.loads(fout)
            flood_mbps = fj["end"]["sum_received"]["bits_per_second"] / 1e6
        except (ValueError, KeyError):
            raise RuntimeError("flood iperf3 failed: " + fout.strip()[-300:])
        extra = {"pings": sent, "replies": got, "max_ms": rtts[-1],
                 "qdisc_drops": q.get("drops"), "qdisc_requeues": q.get("requeues"),
                 "qdisc_backlog_bytes_at_end": q.get("backlog"), "bql_limit": bql}
        if kind == "rvnet":
            extra["ethtool_delta"] = delta(e1, ethtool_stats(a, "b1"))
        return ({"p50_ms": pct(rtts, 50), "p99_ms": pct(rtts, 99),
                 "ping_loss_pct": 100.0 * (sent - got) / sent if sent else None,
                 "flood_rx_mbit_s": flood_mbps}, extra)

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
        self.say("%s %s %s %s: %s" % (workload, case_name, kind,
                                       "warm-up" if run < 0 else "run %d" % run,
                                       shown or rec["status"] + ": " + rec.get("note", "")))

    def alternate(self, workload, case_name, kinds, fn, case=None, after=None):
        """Warm-up rounds, then counted rounds; each round runs every device
        once, in the same order (A B A B ...)."""
        w, n = self.cfg["warmup"], self.cfg["runs"]
        for r in range(-w, n):
            for kind in kinds:
                self.measure(workload, case_name, kind, r, fn, case)
        if after:
            for kind in kinds:
                after(kind)

    def run(self):
        sel = self.args.only.split(",") if self.args.only else WORKLOADS
        cpu = ""
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m.group(1) if m else "unknown"
        kinds = ALL
        for k in kinds:
            self.teardown(k)  # leftovers of an interrupted run
            self.setup(k)
        self.emit({"type": "meta", "kernel": os.uname().release, "guest_cpu_model": cpu,
                   "nproc": os.cpu_count(), "smoke": self.args.smoke, "config": self.cfg,
                   "queues": self.args.queues, "workloads": sel,
                   "device_defaults": self.defaults,
                   "pktgen": {"clone_skb": 0, "burst": 1, "dir": self.args.pktgen_dir}})
        self.say("kernel %s, %d CPUs (%s); %d warm-up + %d counted rounds; defaults %s"
                 % (os.uname().release, os.cpu_count(), cpu, self.cfg["warmup"], self.cfg["runs"],
                    json.dumps(self.defaults)))
        try:
            if "pktgen" in sel:
                for label, size in (("64B", 60), ("1500B", 1514)):
                    self.alternate("pktgen_start_xmit", label, ALL, self.m_pktgen, size)
            if "qdisc" in sel:
                self.alternate("pktgen_queue_xmit_fq_codel", "64B", ALL, self.m_qdisc, 60,
                               after=lambda k: self.set_root(k, None))
            if "tcp" in sel:
                for threaded in ("off", "on"):
                    for gro in ("on", "off"):
                        for streams in (1, 2):
                            name = "P%d gro-%s threaded-%s" % (streams, gro, threaded)
                            self.alternate("tcp_stream", name, PAIRS, self.m_tcp,
                                           (streams, gro, threaded))
                for k in PAIRS:
                    self.restore_features(k)
            if "udp" in sel:
                self.alternate("udp_64B", "iperf3 -u -l 64 -b 0", PAIRS, self.m_udp)
            if "rr" in sel:
                self.alternate("tcp_rr", "1B ping-pong", PAIRS, self.m_rr)
            if "lat" in sel:
                self.alternate("latency_under_load", "fq_codel + UDP flood", PAIRS, self.m_lat,
                               after=lambda k: self.set_root(k, None))
            if "obs" in sel:
                self.emit({"type": "na", "workload": "observation_cost",
                           "reason": "not available yet: rvnet's generic-netlink decision "
                                     "sampling does not exist yet (separate issue)"})
                self.say("observation_cost: not available yet (no decision sampling in rvnet)")
        finally:
            for k in kinds:
                self.teardown(k)
        self.emit({"type": "end", "elapsed_s": round(time.time() - self.t0, 1)})
        self.say("done")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="JSON-lines file to append to")
    ap.add_argument("--smoke", action="store_true", help="1 run per device, ~1 s per run")
    ap.add_argument("--runs", type=int, help="counted rounds (default 5, smoke 1)")
    ap.add_argument("--warmup", type=int, help="warm-up rounds (default 1, smoke 0)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every duration")
    ap.add_argument("--queues", type=int, default=1, help="tx/rx queues of veth and rvnet")
    ap.add_argument("--only", help="comma list of: " + ",".join(WORKLOADS))
    ap.add_argument("--pktgen-dir", default=os.environ.get("PKTGEN_DIR", ""))
    args = ap.parse_args()
    if not args.pktgen_dir or not os.path.exists(os.path.join(args.pktgen_dir, "functions.sh")):
        sys.exit("bench: PKTGEN_DIR (kernel samples/pktgen) not found: %r" % args.pktgen_dir)
    Bench(args).run()


if __name__ == "__main__":
    main()
