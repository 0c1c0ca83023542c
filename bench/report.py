#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's raw JSON lines into medians, ratios, a table, a JSON
file and a plot.

    bench/report.py RAW.jsonl [--json OUT.json] [--png OUT.png] [--accel tcg|kvm]

For every (workload, case, metric) and device: the counted runs (warm-ups
excluded), median, min, max; ratio of medians to veth and, for the pktgen
transmit rates, to dummy; and the median of the per-round ratios (run i of
rvnet / run i of veth, measured back to back). Numbers are never pass/fail:
the exit status only says whether the raw file could be read.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

# (workload, metric) -> unit, which direction is better (None: context
# only), ratio to dummy meaningful, short label.
METRICS = {
    ("pktgen_start_xmit", "tx_pps"): ("pps", "higher", True, "pktgen start_xmit tx"),
    ("pktgen_start_xmit", "rx_pps"): ("pps", "higher", False, "pktgen start_xmit rx at peer"),
    ("pktgen_queue_xmit_fq_codel", "tx_pps"): ("pps", "higher", True, "pktgen queue_xmit+fq_codel tx"),
    ("pktgen_queue_xmit_fq_codel", "rx_pps"): ("pps", "higher", False, "pktgen queue_xmit+fq_codel rx at peer"),
    ("pktgen_queue_xmit_fq_codel", "requeues_per_s"): ("1/s", None, False, "queue_xmit qdisc requeues"),
    ("pktgen_queue_xmit_fq_codel", "drops_per_s"): ("1/s", "lower", False, "queue_xmit qdisc drops"),
    ("tcp_stream", "gbit_s"): ("Gbit/s", "higher", False, "TCP stream"),
    ("udp_64B", "rx_pps"): ("pps", "higher", False, "UDP 64 B received"),
    ("udp_64B", "tx_pps"): ("pps", None, False, "UDP 64 B sent"),
    ("tcp_rr", "tps"): ("1/s", "higher", False, "TCP_RR transactions"),
    ("tcp_rr", "p50_us"): ("us", "lower", False, "TCP_RR RTT p50"),
    ("tcp_rr", "p99_us"): ("us", "lower", False, "TCP_RR RTT p99"),
    ("latency_under_load", "p50_ms"): ("ms", "lower", False, "ping RTT p50 under UDP flood, fq_codel"),
    ("latency_under_load", "p99_ms"): ("ms", "lower", False, "ping RTT p99 under UDP flood, fq_codel"),
    ("latency_under_load", "ping_loss_pct"): ("%", "lower", False, "ping loss under flood"),
    ("latency_under_load", "flood_rx_mbit_s"): ("Mbit/s", None, False, "flood received"),
    ("slow_consumer", "p50_ms"): ("ms", "lower", False, "ping RTT p50, slow consumer"),
    ("slow_consumer", "p99_ms"): ("ms", "lower", False, "ping RTT p99, slow consumer"),
    ("slow_consumer", "ping_loss_pct"): ("%", "lower", False, "ping loss, slow consumer"),
    ("slow_consumer", "consumer_rx_pps"): ("pps", "higher", False, "flood taken by the slow consumer"),
    ("observation_cost", "tx_pps"): ("pps", "higher", False, "pktgen 64 B into rvnet, sampling"),
    ("observation_cost", "rx_pps"): ("pps", "higher", False, "pktgen 64 B rx at peer, sampling"),
    ("observation_cost_tcp", "gbit_s"): ("Gbit/s", "higher", False, "TCP stream over rvnet, sampling"),
    ("xdp_drop", "xdp_pps"): ("pps", "higher", False, "XDP_DROP on the receiving end"),
    ("xdp_drop", "tx_pps"): ("pps", None, False, "pktgen tx into XDP_DROP"),
    ("xdp_redirect", "xdp_pps"): ("pps", "higher", False, "XDP_REDIRECT to a second pair, dropped there"),
    ("xdp_redirect", "tx_pps"): ("pps", None, False, "pktgen tx into XDP_REDIRECT"),
}
DEVICES = ["dummy", "veth", "rvnet"]


def load(path):
    meta, runs, na, end = {}, [], [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                sys.exit("report: %s:%d: not JSON" % (path, n))
            t = r.get("type")
            if t == "meta":
                meta = r
            elif t == "run":
                runs.append(r)
            elif t == "na":
                na.append({"workload": r["workload"], "reason": r["reason"]})
            elif t == "end":
                end = r
    return meta, runs, na, end


def med(v):
    return statistics.median(v) if v else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def summarize(runs):
    """[{id, workload, case, metric, unit, better, label, devices{...}}] in
    the order the guest measured them."""
    order, groups = [], {}
    for r in runs:
        key = (r["workload"], r["case"])
        if key not in groups:
            order.append(key)
            groups[key] = []
        groups[key].append(r)
    out = []
    for wl, case in order:
        recs = groups[(wl, case)]
        names = []
        for r in recs:
            for m in r.get("metrics", {}):
                if m not in names:
                    names.append(m)
        known = [k[1] for k in METRICS if k[0] == wl]
        names.sort(key=lambda n: known.index(n) if n in known else len(known))
        for m in names:
            unit, better, vs_dummy, label = METRICS.get((wl, m), ("", "higher", False, m))
            devs = {}
            for d in DEVICES:
                mine = [r for r in recs if r["device"] == d]
                if not mine:
                    continue
                counted = [r for r in mine if not r["warmup"]]
                vals = [r["metrics"][m] for r in counted
                        if r["status"] == "ok" and r["metrics"].get(m) is not None]
                bad = [r for r in counted if r["status"] != "ok"]
                e = {
                    "runs": vals,
                    "warmup_runs": [r["metrics"].get(m) for r in mine if r["warmup"] and r["status"] == "ok"],
                    "run_index": [r["run"] for r in counted if r["status"] == "ok" and r["metrics"].get(m) is not None],
                    "n": len(vals),
                    "median": med(vals),
                    "min": min(vals) if vals else None,
                    "max": max(vals) if vals else None,
                }
                if bad:
                    e["status"] = bad[0]["status"]
                    e["note"] = bad[0].get("note", "")
                    e["failed_runs"] = len(bad)
                devs[d] = e
            for d, e in devs.items():
                if d != "veth" and "veth" in devs:
                    e["ratio_to_veth"] = ratio(e["median"], devs["veth"]["median"])
                    ref = dict(zip(devs["veth"]["run_index"], devs["veth"]["runs"]))
                    pr = [v / ref[i] for i, v in zip(e["run_index"], e["runs"]) if ref.get(i)]
                    if pr:
                        e["paired_ratio_to_veth"] = {"median": med(pr), "min": min(pr), "max": max(pr), "n": len(pr)}
                if vs_dummy and d != "dummy" and "dummy" in devs:
                    e["ratio_to_dummy"] = ratio(e["median"], devs["dummy"]["median"])
            out.append({"id": "%s/%s/%s" % (wl, case, m), "workload": wl, "case": case, "metric": m,
                        "unit": unit, "better": better, "label": label, "devices": devs})
    return out


def targets(metrics):
    by = {m["id"]: m for m in metrics}

    def rv(mid, key):
        m = by.get(mid)
        return m and m["devices"].get("rvnet", {}).get(key)

    t = []

    def add(name, mid, key, cmp, thr):
        v = rv(mid, key)
        t.append({"target": name, "metric": mid, "ratio": key, "value": v, "threshold": thr,
                  "met": None if v is None else (v >= thr if cmp == ">=" else v <= thr)})

    for mid in ("pktgen_start_xmit/64B/tx_pps", "pktgen_start_xmit/1500B/tx_pps",
                "pktgen_queue_xmit_fq_codel/64B/tx_pps"):
        add("rvnet >= 1.0x veth, pktgen pps", mid, "ratio_to_veth", ">=", 1.0)
    add("rvnet >= 1.0x veth, UDP 64 B received pps", "udp_64B/iperf3 -u -l 64 -b 0/rx_pps",
        "ratio_to_veth", ">=", 1.0)
    for m in metrics:
        if m["workload"] == "tcp_stream":
            add("rvnet >= 1.0x veth, TCP throughput", m["id"], "ratio_to_veth", ">=", 1.0)
    add("rvnet >= 0.8x dummy, start_xmit pps at 1500 B", "pktgen_start_xmit/1500B/tx_pps",
        "ratio_to_dummy", ">=", 0.8)
    for case in ("fq_codel + UDP flood", "fq_codel + UDP flood, receiver saturated"):
        add("rvnet p99 RTT under load <= 0.5x veth (fq_codel)",
            "latency_under_load/%s/p99_ms" % case, "ratio_to_veth", "<=", 0.5)
    # BQL's purpose on a pair: under a consumer that is the bottleneck the
    # packets wait in the qdisc (which manages them), not in the ring.
    for root in ("fq_codel", "sfq"):
        add("rvnet p99 RTT, slow consumer <= 0.2x veth (%s)" % root,
            "slow_consumer/%s/p99_ms" % root, "ratio_to_veth", "<=", 0.2)
        add("rvnet bulk throughput, slow consumer >= 0.95x veth (%s)" % root,
            "slow_consumer/%s/consumer_rx_pps" % root, "ratio_to_veth", ">=", 0.95)
    add("rvnet p99 RTT, threaded NAPI <= 1.0x veth (fq_codel)",
        "latency_under_load/fq_codel + UDP flood, threaded NAPI/p99_ms", "ratio_to_veth", "<=", 1.0)
    # Observation off: the module as built (sampling off) against the
    # same source built without the decision hooks (qemu/module
    # --no-observe), each freshly loaded, alternating in the same boot.
    mid = "observation_cost/%s/tx_pps"
    base = rv(mid % "hooks compiled out", "median")
    hooks = rv(mid % "hooks in, sample off", "median")
    v = hooks / base if hooks is not None and base else None
    t.append({"target": "observation off costs <= 1 % pps", "metric": mid % "hooks in, sample off",
              "ratio": "ratio_to_hooks_compiled_out", "value": v, "threshold": 0.99,
              "met": None if v is None else v >= 0.99})
    # Observation: rvnet with 1-in-1 sampling and listeners against
    # sampling off, in the same boot.
    for wl, metric in (("observation_cost", "tx_pps"), ("observation_cost_tcp", "gbit_s")):
        off = rv("%s/sample off/%s" % (wl, metric), "median")
        on = rv("%s/sample 1/1 one listener/%s" % (wl, metric), "median")
        v = on / off if on is not None and off else None
        t.append({"target": "1-in-1 sampling + listener costs <= 15 %",
                  "metric": "%s/sample 1/1 one listener/%s" % (wl, metric),
                  "ratio": "ratio_to_sample_off", "value": v, "threshold": 0.85,
                  "met": None if v is None else v >= 0.85})
    return t


EVIDENCE = ("qdisc_backlog_bytes_max", "ring_fill_max", "bql_limit_last", "bql_inflight_max")


def evidence(runs):
    """(workload, case, device) -> medians of the queue evidence the
    latency cases record (`queue_evidence`), over the counted runs."""
    out = {}
    for r in runs:
        if r["warmup"] or r["status"] != "ok":
            continue
        qe = r.get("extra", {}).get("queue_evidence")
        if not qe:
            continue
        out.setdefault((r["workload"], r["case"], r["device"]), []).append(
            dict({k: qe.get(k) for k in EVIDENCE}, qdisc_requeues=r["extra"].get("qdisc_requeues")))
    res = {}
    for key, lst in out.items():
        res[key] = {k: med([x[k] for x in lst if isinstance(x.get(k), (int, float))])
                    for k in EVIDENCE + ("qdisc_requeues",)}
    return res


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if unit in ("pps", "1/s") and abs(v) >= 1000:
        return "%.1fk" % (v / 1e3) if abs(v) < 1e6 else "%.2fM" % (v / 1e6)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.3g" % v


def fr(v):
    return "n/a" if v is None else "%.2fx" % v


def table(meta, metrics, na, tg, ev):
    rows = [("workload [case] metric", "unit", "dummy", "veth", "rvnet", "rv/veth", "paired", "rv/dummy")]
    notes = []
    for m in metrics:
        d = m["devices"]

        def cell(dev):
            e = d.get(dev)
            if e is None:
                return "-"
            s = fmt(e["median"], m["unit"])
            if e.get("status") and e["median"] is None:
                s = e["status"]
                if e["note"] not in notes:
                    notes.append(e["note"])
                s += "[%d]" % (notes.index(e["note"]) + 1)
            return s
        rv = d.get("rvnet", {})
        arrow = {"higher": "+", "lower": "-"}.get(m["better"], " ")
        rows.append(("%s [%s] %s" % (m["workload"], m["case"], m["metric"]), m["unit"] + arrow,
                     cell("dummy"), cell("veth"), cell("rvnet"),
                     fr(rv.get("ratio_to_veth")), fr(rv.get("paired_ratio_to_veth", {}).get("median")),
                     fr(rv.get("ratio_to_dummy"))))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    hdr = "rvnet bench: kernel %s, %s, %s vCPUs, %s counted runs/device after %s warm-up, medians" % (
        meta.get("kernel"), meta.get("accel", "?").upper(), meta.get("nproc"),
        meta.get("config", {}).get("runs"), meta.get("config", {}).get("warmup"))
    lines.append(hdr)
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w[j]) if j == 0 else c.rjust(w[j]) for j, c in enumerate(r)))
        if i == 0:
            lines.append("  ".join("-" * x for x in w))
    lines.append("unit+ higher is better, unit- lower is better; rv/veth and rv/dummy are ratios of "
                 "medians, 'paired' the median of per-round rvnet/veth ratios")
    for i, n in enumerate(notes):
        lines.append("[%d] %s" % (i + 1, n))
    for n in na:
        lines.append("%s: %s" % (n["workload"], n["reason"]))
    for wl, metric, what in (("observation_cost", "tx_pps", "pktgen 64 B tx pps"),
                             ("observation_cost_tcp", "gbit_s", "TCP stream Gbit/s")):
        obs = [m for m in metrics if m["workload"] == wl and m["metric"] == metric]
        base = next((m for m in obs if m["case"] == "sample off"), None)
        if base and base["devices"].get("rvnet", {}).get("median"):
            b = base["devices"]["rvnet"]["median"]
            lines.append("")
            lines.append("observation cost (rvnet %s relative to sampling off):" % what)
            hooks = [m for m in obs if m["case"].startswith("hooks ")]
            for m in obs:
                if m in hooks:
                    continue
                v = m["devices"].get("rvnet", {}).get("median")
                lines.append("  %-24s %10s  %s" % (m["case"], fmt(v, m["unit"]), fr(ratio(v, b))))
            # Each build freshly loaded, against the one without the hooks.
            nohooks = next((m for m in hooks if m["case"] == "hooks compiled out"), None)
            ob = nohooks and nohooks["devices"].get("rvnet", {}).get("median")
            if ob:
                lines.append("decision hooks (rvnet %s relative to the build without them):" % what)
                for m in hooks:
                    v = m["devices"].get("rvnet", {}).get("median")
                    lines.append("  %-24s %10s  %s" % (m["case"], fmt(v, m["unit"]), fr(ratio(v, ob))))
    if ev:
        lines.append("")
        lines.append("did a queue form? (medians over the counted runs; qdisc backlog and BQL sampled during the ping)")
        lines.append("  %-62s %-6s %10s %9s %9s %10s %10s" % ("case", "device", "backlog B", "requeues",
                                                              "ring pkts", "BQL limit", "inflight"))
        for (wl, case, d), e in ev.items():
            lines.append("  %-62s %-6s %10s %9s %9s %10s %10s" % (
                "%s [%s]" % (wl, case), d, fmt(e["qdisc_backlog_bytes_max"]), fmt(e["qdisc_requeues"]),
                fmt(e["ring_fill_max"]), fmt(e["bql_limit_last"]), fmt(e["bql_inflight_max"])))
    lines.append("")
    lines.append("targets (ratio of medians):")
    for t in tg:
        verdict = {True: "met", False: "NOT met", None: "no data"}[t["met"]]
        lines.append("  %-52s %-62s %7s  (%s %s)  %s" % (
            t["target"], t["metric"], fr(t["value"]), t["ratio"].replace("ratio_to_", "vs "),
            t["threshold"], verdict))
    return "\n".join(lines)


def plot(path, meta, metrics, tg):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = [m for m in metrics if m["better"] and m["devices"].get("rvnet", {}).get("ratio_to_veth")]
    dummy_rows = [m for m in metrics if any("ratio_to_dummy" in e and e["ratio_to_dummy"]
                                            for e in m["devices"].values())]
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(15, 0.42 * max(len(rows), 8) + 2.2),
        gridspec_kw={"width_ratios": [3, 1.3]})
    labels, adv, lo, hi, texts = [], [], [], [], []
    for m in rows:
        e = m["devices"]["rvnet"]
        r = e["ratio_to_veth"]
        p = e.get("paired_ratio_to_veth", {})
        inv = m["better"] == "lower"
        a = 1 / r if inv else r
        pl, ph = p.get("min", r), p.get("max", r)
        if inv:
            # A round in which rvnet measured 0 (no ping lost) is an
            # advantage without bound: drawn to the axis' end (100x).
            pl, ph = (1 / ph if ph > 0 else 100.0), (1 / pl if pl > 0 else 100.0)
        with_case = m["workload"].startswith(("pktgen", "tcp_stream", "latency_under_load", "slow_consumer"))
        labels.append("%s [%s]" % (m["label"], m["case"]) if with_case else m["label"])
        adv.append(a)
        lo.append(max(a - pl, 0))
        hi.append(max(ph - a, 0))
        texts.append("%.2fx%s" % (r, " (lower is better: 1/%.2f)" % r if inv else ""))
    y = list(range(len(rows)))[::-1]
    colors = ["#2a9d4a" if a >= 1 else "#d1495b" for a in adv]
    ax.barh(y, [a - 1 for a in adv], left=1, color=colors, xerr=[lo, hi], ecolor="#555", capsize=2, height=0.6)
    ax.set_xscale("log")
    ax.axvline(1, color="black", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    lim = max([max(a + h, 1 / max(a - l, 1e-3)) for a, l, h in zip(adv, lo, hi)] + [2.0])
    lim = min(lim * 1.3, 100)
    ax.set_xlim(1 / lim, lim)
    ticks = [t for t in (0.1, 0.2, 0.25, 0.5, 0.8, 1, 1.25, 2, 4, 5, 10, 20, 50) if 1 / lim <= t <= lim]
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%gx" % v))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    for yi, a, h, t in zip(y, adv, hi, texts):
        ax.text(max(a + h, 1) * 1.03, yi, t, va="center", ha="left", fontsize=7)
    ax.set_xlabel("rvnet vs veth, log scale, right of 1x = rvnet better (lower-is-better metrics inverted);\n"
                  "bar: ratio of medians, whiskers: min-max of per-round ratios; labels: raw rvnet/veth")
    ax.set_title("rvnet relative to veth", fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.3)

    y2, lab2, vals2, col2 = [], [], [], []
    i = 0
    for m in dummy_rows:
        for d, c in (("veth", "#888"), ("rvnet", "#1f6fb4")):
            e = m["devices"].get(d, {})
            if e.get("ratio_to_dummy"):
                y2.append(i)
                lab2.append("%s [%s] %s" % (m["workload"].replace("pktgen_", ""), m["case"], d))
                vals2.append(e["ratio_to_dummy"])
                col2.append(c)
                i += 1
    y2 = [len(y2) - 1 - v for v in y2]
    ax2.barh(y2, vals2, color=col2, height=0.6)
    ax2.axvline(1, color="black", lw=1)
    ax2.axvline(0.8, color="#d1495b", ls="--", lw=1)
    ax2.set_yticks(y2)
    ax2.set_yticklabels(lab2, fontsize=8)
    for yi, v in zip(y2, vals2):
        ax2.text(v + 0.01, yi, "%.2fx" % v, va="center", fontsize=7)
    ax2.set_xlim(0, max(vals2 + [1.0]) * 1.2)
    ax2.set_xlabel("pktgen tx pps relative to dummy (upper bound);\ndashed: 0.8x target for rvnet at 1500 B")
    ax2.set_title("transmit path vs dummy", fontsize=10)
    ax2.grid(axis="x", alpha=0.3)

    met = sum(1 for t in tg if t["met"])
    fig.suptitle("rvnet bench %s: kernel %s, %s, %s vCPUs, median of %s runs each, %d of %d targets met"
                 % (meta.get("date", "")[:10], meta.get("kernel"), meta.get("accel", "?").upper(),
                    meta.get("nproc"), meta.get("config", {}).get("runs"), met, len(tg)), fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw")
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--accel", help="tcg or kvm (default: /tmp/rvnet-kvm-probe)")
    args = ap.parse_args()

    meta, runs, na, end = load(args.raw)
    if not meta or not runs:
        sys.exit("report: %s has no meta or run records" % args.raw)
    accel = args.accel
    if not accel:
        try:
            with open("/tmp/rvnet-kvm-probe") as f:
                accel = f.read().strip()
        except OSError:
            accel = "unknown"
    host_cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                host_cpu = line.split(":", 1)[1].strip()
                break
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
    m = dict(meta)
    m.pop("type", None)
    m.update({"accel": accel, "host_cpu_model": host_cpu, "host_kernel": platform.release(),
              "git_commit": commit + ("-dirty" if dirty else ""),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "raw": os.path.relpath(os.path.abspath(args.raw), root),
              "complete": end is not None, "guest_elapsed_s": end and end.get("elapsed_s")})
    metrics = summarize(runs)
    tg = targets(metrics)
    ev = evidence(runs)
    print(table(m, metrics, na, tg, ev))
    if not m["complete"]:
        print("WARNING: the guest did not finish (no end record); results are partial")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": m, "metrics": metrics, "not_available": na, "targets": tg,
                       "queue_evidence": [{"workload": k[0], "case": k[1], "device": k[2], **v}
                                          for k, v in ev.items()]}, f, indent=1)
            f.write("\n")
    wrote = [args.json] if args.json else []
    rc = 0
    if args.png:
        try:
            plot(args.png, m, metrics, tg)
            wrote.append(args.png)
        except ImportError as e:
            print("report: no plot (%s); install python3-matplotlib" % e, file=sys.stderr)
            rc = 1
    if wrote:
        print("wrote %s" % " and ".join(wrote))
    return rc


if __name__ == "__main__":
    sys.exit(main())
