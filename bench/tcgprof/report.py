#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Resolve and compare the instruction profiles of `bench/run --profile`.

Input (DIR, written by bench/guest.py --profile and bench/tcgprof/insnprof.c):
  kallsyms              the guest's /proc/kallsyms (kernel and module symbols)
  KIND-SIZE-0.prof      per-block instruction counts before a run (pktgen, or
                        64-byte UDP with SIZE udp64)
  KIND-SIZE-1.prof      ... and after it
  KIND-SIZE.json        the run's counters (packets sent by pktgen, or
                        received by the pair's other end)
  KIND-SIZE.kallsyms    that run's symbols, if its module was loaded after
                        kallsyms was read (rvnet-64B+no-observe, +reloaded)

Output: DIR/KIND-SIZE.txt (each run's symbols by instructions per packet),
DIR/compare-SIZE.txt (the devices side by side) and the comparison on stdout.
Instructions are the guest's, counted by QEMU: exact, but a count, not time
(a locked instruction or a cache miss costs one like any other).
"""
import argparse
import bisect
import json
import os
import sys


def load_syms(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1] not in "tTwW":
                continue
            addr = int(parts[0], 16)
            if addr == 0:
                continue  # kptr_restrict hid it
            name = parts[2] + (" " + parts[3] if len(parts) > 3 else "")
            syms.append((addr, name))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def load_prof(path):
    """{block address: (instructions, executions)}; with insnprof's
    percpu=1 also each vCPU's instructions, in load_prof.percpu[path],
    and with time=1 each vCPU's host nanoseconds, in load_prof.ns[path]."""
    counts, cpus, ns = {}, {}, {}
    ncpu, hz = 0, 0
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
                ncpu = int(kv.get("percpu", 0))
                hz = int(kv.get("tsc_hz", 0)) if kv.get("time") == "1" else 0
                continue
            a, n, e, *c = line.split()
            counts[int(a, 16)] = (int(n), int(e))
            if c:
                cpus[int(a, 16)] = [int(x) for x in c[:ncpu or len(c)]]
            if hz and len(c) >= 2 * ncpu:
                ns[int(a, 16)] = [int(x) * 1e9 / hz for x in c[ncpu:2 * ncpu]]
    load_prof.percpu[path] = cpus
    load_prof.ns[path] = ns
    return counts


load_prof.percpu = {}
load_prof.ns = {}


def by_symbol_cpu(before, after, addrs, names):
    """Per vCPU: {symbol: instructions} for each vCPU, from percpu profiles
    (the dicts load_prof keeps in load_prof.percpu)."""
    if not after:
        return []
    ncpu = len(next(iter(after.values())))
    out = [dict() for _ in range(ncpu)]
    for a, c in after.items():
        c0 = before.get(a, [0] * ncpu)
        name = sym_name(a, addrs, names)
        for k in range(ncpu):
            d = c[k] - c0[k]
            if d > 0:
                out[k][name] = out[k].get(name, 0) + d
    return out


def sym_name(a, addrs, names):
    """The symbol a block address belongs to."""
    if a < (1 << 47):
        return "[user]"
    i = bisect.bisect_right(addrs, a) - 1
    return names[i] if i >= 0 and a - addrs[i] < (1 << 20) else "[user or unknown]"


def by_symbol(before, after, addrs, names):
    out = {}
    for a, (n, e) in after.items():
        n0, e0 = before.get(a, (0, 0))
        d, de = n - n0, e - e0
        if d <= 0:
            continue
        name = sym_name(a, addrs, names)
        o = out.setdefault(name, [0, 0])
        o[0] += d
        o[1] += de
    return out


def packets(meta):
    """Packets the run is normalised by: pktgen's sent packets, or the
    receiving end's packets for a socket workload."""
    x = meta["extra"]
    return x["packets"] if "packets" in x else x["pktgen_pkts"]


def pps(meta):
    """The run's rate: pktgen's (or the UDP sender's) tx_pps, or what a
    slow consumer took."""
    m = meta["metrics"]
    return m["tx_pps"] if "tx_pps" in m else m.get("consumer_rx_pps", 0.0)


def workload(meta):
    return meta.get("workload", "pktgen start_xmit")


def percpu_compare(percpu_runs, top, outdir, what="guest instructions per packet",
                   fname="compare-percpu.txt", fmt="%.1f"):
    """Each vCPU's instructions per packet, the runs side by side, and the
    symbols that ran most on each vCPU (insnprof percpu=1); or, with the
    time profile (time=1), each vCPU's host nanoseconds per packet."""
    names = sorted(percpu_runs)
    w = "%%%ds" % max(16, max(len(n) for n in names) + 2)
    ncpu = max(len(c) for _, c in percpu_runs.values())
    lines = []
    for k in range(ncpu):
        cols = [(p, c[k] if k < len(c) else {}) for p, c in (percpu_runs[n] for n in names)]
        if not any(sum(c.values()) for _, c in cols):
            continue
        lines.append("# vCPU %d: %s" % (k, what))
        lines.append("%-44s" % "symbol" + "".join(w % n for n in names))
        lines.append("%-44s" % "(total on this vCPU)" + "".join(
            w % ("%.0f" % (sum(c.values()) / max(p, 1))) for p, c in cols))
        every = {}
        for p, c in cols:
            for s, n in c.items():
                every[s] = max(every.get(s, 0), n / max(p, 1))
        for s, _ in sorted(every.items(), key=lambda kv: -kv[1])[:top]:
            lines.append("%-44s" % s[-44:] + "".join(
                w % (fmt % (c.get(s, 0) / max(p, 1))) for p, c in cols))
        lines.append("")
    text = "\n".join(lines)
    with open(os.path.join(outdir, fname), "w") as f:
        f.write(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--blocks", metavar="RUN:SYMBOL",
                    help="instead: the blocks of SYMBOL (a substring) in RUN (e.g. rvnet-64B), "
                    "as offsets into it, with their instructions per packet")
    args = ap.parse_args()
    addrs, names = load_syms(os.path.join(args.dir, "kallsyms"))
    if not addrs:
        sys.exit("no symbols in %s/kallsyms" % args.dir)
    if args.blocks:
        run, sym = args.blocks.split(":", 1)
        with open(os.path.join(args.dir, run + ".json")) as f:
            pkts = packets(json.load(f))
        before = load_prof(os.path.join(args.dir, run + "-0.prof"))
        after = load_prof(os.path.join(args.dir, run + "-1.prof"))
        print("%-60s %-8s %8s %8s" % ("symbol", "offset", "insn/pkt", "runs/pkt"))
        for a in sorted(after):
            d = after[a][0] - before.get(a, (0, 0))[0]
            de = after[a][1] - before.get(a, (0, 0))[1]
            i = bisect.bisect_right(addrs, a) - 1
            if d > 0 and i >= 0 and sym in names[i]:
                print("%-60s +0x%-6x %8.1f %8.2f" % (names[i][-60:], a - addrs[i], d / max(pkts, 1),
                                                     de / max(pkts, 1)))
        return
    runs, percpu_runs, time_runs = {}, {}, {}
    for fn in sorted(os.listdir(args.dir)):
        if not fn.endswith(".json"):
            continue
        name = fn[:-5]
        with open(os.path.join(args.dir, fn)) as f:
            meta = json.load(f)
        pkts = packets(meta)
        # A run on a module loaded after the profile began has its own
        # symbols (the module's code moved).
        own = os.path.join(args.dir, name + ".kallsyms")
        a_n = load_syms(own) if os.path.exists(own) else (addrs, names)
        p0, p1 = (os.path.join(args.dir, name + "-%d.prof" % i) for i in (0, 1))
        syms = by_symbol(load_prof(p0), load_prof(p1), *a_n)
        cpu_syms = by_symbol_cpu(load_prof.percpu[p0], load_prof.percpu[p1], *a_n)
        total = sum(n for n, _ in syms.values())
        blocks = sum(e for _, e in syms.values())
        runs[name] = (meta, pkts, syms, total, blocks)
        if cpu_syms:
            percpu_runs[name] = (pkts, cpu_syms)
        ns_syms = by_symbol_cpu(load_prof.ns[p0], load_prof.ns[p1], *a_n)
        if ns_syms:
            time_runs[name] = (pkts, ns_syms)
        with open(os.path.join(args.dir, name + ".txt"), "w") as f:
            f.write("# %s %s on %s: %d packets, %s\n"
                    % (workload(meta), meta["size"], meta["kind"], pkts, json.dumps(meta["metrics"])))
            f.write("# %.0f guest instructions and %.0f blocks run per packet (all CPUs)\n"
                    % (total / max(pkts, 1), blocks / max(pkts, 1)))
            f.write("%12s %7s %12s  %s\n" % ("insn/packet", "share", "blocks/pkt", "symbol"))
            for s, (n, e) in sorted(syms.items(), key=lambda kv: -kv[1][0]):
                if n / max(total, 1) < 0.001:
                    break
                f.write("%12.1f %6.1f%% %12.2f  %s\n" % (n / max(pkts, 1), 100.0 * n / total,
                                                       e / max(pkts, 1), s))
    if percpu_runs:
        print(percpu_compare(percpu_runs, args.top, args.dir))
    if time_runs:
        print(percpu_compare(time_runs, args.top, args.dir,
                             "host nanoseconds per packet (the vCPU thread's wall time, "
                             "charged to the block it was in)", "compare-time.txt", "%.0f"))
    sizes = sorted({r[0]["size"].split("+")[0] for r in runs.values()})
    tables = [(size, [k for k in ("dummy", "veth", "rvnet") if "%s-%s" % (k, size) in runs])
              for size in sizes]
    # rvnet with decision sampling (size "64B+sample1..."), beside rvnet
    # without it: what recording and delivering a decision adds per packet.
    for size in sizes:
        variants = sorted(n for n in runs if n.startswith("rvnet-%s+" % size))
        if variants:
            tables.append((size + "+sampling", ["rvnet-" + size] * ("rvnet-" + size in runs) + variants))
    for size, kinds in tables:
        cols = [runs[k if k in runs else "%s-%s" % (k, size)] for k in kinds]
        kinds = [k[len("rvnet-"):] if k in runs else k for k in kinds]
        w = "%%%ds" % max(16, max(len(k) for k in kinds) + 2)
        lines = ["# %s %s: guest instructions (blocks run) per packet %s"
                 % (workload(cols[0][0]), size, "received" if "packets" in cols[0][0]["extra"] else "sent"),
                 "%-44s" % "symbol" + "".join(w % k for k in kinds)]
        lines.append("%-44s" % "(total)" + "".join(
            w % ("%.0f (%.0f)" % (t / max(p, 1), b / max(p, 1))) for _, p, _, t, b in cols))
        lines.append("%-44s" % "(pps, slowed by the counting)"
                     + "".join(w % ("%.0f" % pps(r[0])) for r in cols))
        every = {}
        for _, p, syms, _, _ in cols:
            for s, (n, _) in syms.items():
                every[s] = max(every.get(s, 0), n / max(p, 1))
        for s, _ in sorted(every.items(), key=lambda kv: -kv[1])[:args.top]:
            lines.append("%-44s" % s[-44:] + "".join(
                w % ("%.1f (%.1f)" % tuple(v / max(p, 1) for v in syms.get(s, (0, 0))))
                for _, p, syms, _, _ in cols))
        text = "\n".join(lines) + "\n"
        with open(os.path.join(args.dir, "compare-%s.txt" % size), "w") as f:
            f.write(text)
        print(text)
    # The decision hooks with sampling off: the same source built with
    # and without them, each freshly loaded with a fresh pair.
    a, b = runs.get("rvnet-64B+reloaded"), runs.get("rvnet-64B+no-observe")
    if a and b:
        ia, ib = a[3] / max(a[1], 1), b[3] / max(b[1], 1)
        print("# decision hooks, sampling off: %.0f instructions per packet with them, %.0f without: "
              "%+.1f (%+.2f %%)" % (ia, ib, ia - ib, 100.0 * (ia - ib) / ib))


if __name__ == "__main__":
    main()
