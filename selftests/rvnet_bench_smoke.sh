#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The smoke version of `make bench`, run inside this (already booted) guest:
# every workload once and briefly on dummy, veth and rvnet (bench/guest.sh
# --smoke). Numbers are never judged; the cases check that each workload
# produced well-formed results (every device measured or the reason it
# cannot be, finite non-negative numbers, traffic actually flowed) and that
# bench/report.py can summarise them.
. "$(dirname "$0")/lib.sh"

BENCH=$(cd "$(dirname "$0")/../bench" && pwd)
RAW=/tmp/rvnet-bench-smoke.jsonl

t_run() {
	rm -f "$RAW"
	"$BENCH/guest.sh" --smoke --out "$RAW" || fail "bench/guest.sh --smoke exited $?"
	check_raw records
}

# check_raw WHAT [WORKLOAD]: validate the raw records.
check_raw() {
	python3 - "$RAW" "$@" <<'PY'
import json, math, sys

path, what = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(path) if l.strip()]
types = [r.get("type") for r in recs]

def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)

if what == "records":
    if types.count("meta") != 1 or types.count("end") != 1:
        die("want one meta and one end record, got %s" % sorted(set(types)))
    errors = [r for r in recs if r.get("type") == "run" and r["status"] == "error"]
    for r in errors:
        print("%s [%s] %s: %s" % (r["workload"], r["case"], r["device"], r.get("note")))
    if errors:
        die("%d measurements failed" % len(errors))
    sys.exit(0)

PAIRS, ALL = ["veth", "rvnet"], ["dummy", "veth", "rvnet"]
# workload -> (devices, metrics, metrics that must be > 0, expected cases)
SPEC = {
    "pktgen_start_xmit": (ALL, ["tx_pps"], ["tx_pps"],
                          ["64B", "1500B", "64B, receiver threaded", "1500B, receiver threaded"]),
    "pktgen_queue_xmit_fq_codel": (ALL, ["tx_pps", "requeues_per_s", "drops_per_s"], ["tx_pps"], ["64B"]),
    "tcp_stream": (PAIRS, ["gbit_s"], ["gbit_s"], None),
    "udp_64B": (PAIRS, ["rx_pps", "tx_pps"], ["rx_pps"], None),
    "tcp_rr": (PAIRS, ["tps", "p50_us", "p99_us"], ["tps", "p50_us"], None),
    "latency_under_load": (PAIRS, ["p50_ms", "p99_ms", "ping_loss_pct", "flood_rx_mbit_s"], ["p50_ms"],
                           ["fq_codel + UDP flood", "fq_codel + UDP flood, receiver saturated"]),
    "slow_consumer": (PAIRS, ["p50_ms", "p99_ms", "ping_loss_pct", "consumer_rx_pps"], ["p50_ms", "consumer_rx_pps"],
                      ["fq_codel"]),
    "observation_cost": (["rvnet"], ["tx_pps"], ["tx_pps"], ["sample off", "sample 1/1000", "sample 1/1", "sample 1/1 one listener", "sample 1/1 no listener",
                                                         "hooks compiled out", "hooks in, sample off"]),
    "observation_cost_tcp": (["rvnet"], ["gbit_s"], ["gbit_s"], ["sample off", "sample 1/1000", "sample 1/1", "sample 1/1 one listener", "sample 1/1 no listener"]),
    "xdp_drop": (PAIRS, ["xdp_pps", "tx_pps"], ["xdp_pps"], ["pktgen 64B"]),
    "xdp_redirect": (PAIRS, ["xdp_pps", "tx_pps"], ["xdp_pps"], ["pktgen 64B"]),
}
wl = sys.argv[3]
devices, metrics, positive, cases = SPEC[wl]
runs = [r for r in recs if r.get("type") == "run" and r["workload"] == wl]
if not runs:
    die("no records for " + wl)
seen_cases = sorted(set(r["case"] for r in runs))
if cases and seen_cases != sorted(cases):
    die("cases %s, want %s" % (seen_cases, cases))
for case in seen_cases:
    for d in devices:
        mine = [r for r in runs if r["case"] == case and r["device"] == d]
        if len(mine) != 1:
            die("%s [%s] %s: %d records, want 1" % (wl, case, d, len(mine)))
        r = mine[0]
        if r["status"] == "unsupported" and d == "veth" and r.get("note"):
            print("%s [%s] %s: unsupported: %s" % (wl, case, d, r["note"]))
            continue
        if r["status"] != "ok":
            die("%s [%s] %s: %s %s" % (wl, case, d, r["status"], r.get("note")))
        want = metrics + (["rx_pps"] if wl.startswith("pktgen") and d != "dummy" else [])
        for m in want:
            v = r["metrics"].get(m)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                die("%s [%s] %s: %s = %r" % (wl, case, d, m, v))
            if m in positive and v <= 0:
                die("%s [%s] %s: %s = %r, no traffic" % (wl, case, d, m, v))
        print("%s [%s] %s: %s" % (wl, case, d, ", ".join("%s=%.4g" % (m, r["metrics"][m]) for m in want)))
        if wl == "slow_consumer":
            # The evidence of a queue is recorded next to the figures: the
            # root qdisc's backlog sampled during the ping on both devices,
            # and on rvnet BQL's inflight/limit and the ring's fill.
            ev = r["extra"].get("queue_evidence") or {}
            print("  queue evidence: %s" % json.dumps(ev, sort_keys=True))
            bl = ev.get("qdisc_backlog_bytes_samples")
            if not bl or not all(isinstance(v, int) and v >= 0 for v in bl):
                die("%s [%s] %s: qdisc backlog samples %r" % (wl, case, d, bl))
            if not isinstance(r["extra"].get("qdisc_requeues"), int):
                die("%s [%s] %s: no qdisc requeue count" % (wl, case, d))
            if d == "rvnet":
                for k in ("bql_limit_last", "bql_inflight_max", "ring_fill_max"):
                    if not isinstance(ev.get(k), int) or ev[k] < 0:
                        die("%s [%s] rvnet: %s = %r" % (wl, case, k, ev.get(k)))
                if not ev.get("bql_samples"):
                    die("%s [%s] rvnet: no BQL samples" % (wl, case))
            elif ev.get("bql_samples"):
                die("%s [%s] veth: BQL samples on a device without BQL: %r" % (wl, case, ev))
        if wl.startswith("observation_cost"):
            # Sampling really ran (this run's counter deltas): at 1/1 every
            # packet became an event, sent to the listeners or counted as
            # dropped; off, and 1/1 with nobody listening, build none.
            ev = {k: v for k, v in r.get("extra", {}).items() if k.endswith(("_events_sent", "_events_dropped"))}
            if any(not isinstance(v, int) for v in ev.values()) or len(ev) != 4:
                die("%s [%s]: event counters %r" % (wl, case, ev))
            sent = sum(v for k, v in ev.items() if k.endswith("_events_sent"))
            total = sum(ev.values())
            print("  events: %r" % ev)
            if case in ("sample off", "sample 1/1 no listener", "hooks compiled out",
                        "hooks in, sample off") and total != 0:
                die("%s, yet %d events" % (case, total))
            if case == "sample 1/1" and sent <= 0:
                die("sampling 1/1 with listeners: no event sent (%r)" % ev)
            # one listener, in b1's namespace: nothing reaches b2's. (b2's
            # events are still built and counted as dropped: netlink's
            # listener bitmap is per protocol, not per namespace, so
            # genl_has_listeners() sees the listener in b1's namespace.)
            if case == "sample 1/1 one listener" and (ev["b1_events_sent"] <= 0 or
                                                      ev["b2_events_sent"] != 0):
                die("sampling 1/1, listener for b1 only: %r" % ev)
            # pktgen: an event for each packet leaving b1 and each arriving
            # on b2 (pktgen's count; the drain may add a few)
            pkts = r["extra"].get("pktgen_pkts")
            if case == "sample 1/1" and wl == "observation_cost" and (not pkts or total < 2 * pkts):
                die("sampling 1/1: %d events (%d sent) for %r packets" % (total, sent, pkts))
PY
}

t_report() {
	local out
	out=$(python3 "$BENCH/report.py" "$RAW" --json /tmp/rvnet-bench-smoke.json --accel unknown) ||
		fail "bench/report.py failed: $out"
	echo "$out" | tail -20
	python3 - /tmp/rvnet-bench-smoke.json <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
wls = sorted(set(m["workload"] for m in j["metrics"]))
want = sorted(["latency_under_load", "observation_cost", "observation_cost_tcp", "pktgen_queue_xmit_fq_codel",
               "pktgen_start_xmit", "slow_consumer", "tcp_rr", "tcp_stream", "udp_64B",
               "xdp_drop", "xdp_redirect"])
if wls != want:
    sys.exit("FAIL: summarised workloads %s, want %s" % (wls, want))
for m in j["metrics"]:
    rv = m["devices"].get("rvnet")
    if m["workload"].startswith("observation_cost"):
        if rv is None or rv["median"] is None:
            sys.exit("FAIL: no rvnet median for " + m["id"])
        continue
    if rv is None or rv["median"] is None:
        sys.exit("FAIL: no rvnet median for " + m["id"])
    if "veth" in m["devices"] and m["devices"]["veth"]["median"] is not None and "ratio_to_veth" not in rv:
        sys.exit("FAIL: no rvnet/veth ratio for " + m["id"])
if not any(e["workload"] == "slow_consumer" and e["device"] == "rvnet" and e.get("bql_limit_last") is not None
           for e in j.get("queue_evidence", [])):
    sys.exit("FAIL: the report has no queue evidence for the slow-consumer case: %r" % j.get("queue_evidence"))
if not j["targets"] or j["not_available"]:
    sys.exit("FAIL: no targets, or workloads not available: %r" % j["not_available"])
PY
}

rvnet_load
ktap_print_header
ktap_set_plan 13
run_case "bench_smoke_guest_runs_every_workload_without_errors" t_run
run_case "bench_smoke_pktgen_start_xmit_64B_1500B_dummy_veth_rvnet" check_raw wl pktgen_start_xmit
run_case "bench_smoke_pktgen_queue_xmit_fq_codel_dummy_veth_rvnet" check_raw wl pktgen_queue_xmit_fq_codel
run_case "bench_smoke_tcp_stream_veth_rvnet" check_raw wl tcp_stream
run_case "bench_smoke_udp_64B_pps_veth_rvnet" check_raw wl udp_64B
run_case "bench_smoke_tcp_rr_veth_rvnet" check_raw wl tcp_rr
run_case "bench_smoke_latency_under_load_fq_codel_veth_rvnet" check_raw wl latency_under_load
run_case "bench_smoke_slow_consumer_fq_codel_records_queue_evidence_veth_rvnet" check_raw wl slow_consumer
run_case "bench_smoke_observation_cost_sampling_off_1000_1_rvnet" check_raw wl observation_cost
run_case "bench_smoke_observation_cost_tcp_sampling_off_1000_1_rvnet" check_raw wl observation_cost_tcp
run_case "bench_smoke_xdp_drop_pps_veth_rvnet" check_raw wl xdp_drop
run_case "bench_smoke_xdp_redirect_pps_veth_rvnet" check_raw wl xdp_redirect
run_case "bench_smoke_report_summarises_medians_and_ratios" t_report
rm -f "$RAW" /tmp/rvnet-bench-smoke.json
cleanup_all
rvnet_unload
ktap_finished
