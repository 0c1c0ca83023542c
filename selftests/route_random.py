#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""route-get against `ip route get` on a random routing set-up.

    route_random.py NS RVNETCTL SEED QUERIES
    route_random.py --cases NS RVNETCTL < CASES

Builds random routes (tables, reject types, multipath, on-link, a VRF
with a port and its own table in most set-ups) and policy
rules (from, to, fwmark, dscp, uidrange, ipproto, sport, dport) and a
random multipath hash policy (layer 3 or 4) in namespace NS, which must
hold rv1 with 10.23.0.1/24 and fd23::1/64, then asks QUERIES random
questions (destinations in and out of the routes, multicast, broadcast,
local, source, mark, DS field, output interface, `vrf`, IP protocol and ports,
as an unprivileged uid, `connected`, `fibmatch` (the matched FIB entry,
compared with ip's route-show form), and as received on an input interface, with
forwarding and rp_filter set at random) of both `ip -j route get` and `rvnetctl -j
route get`, and compares type, device, gateway, preferred source, table
and metric; where ip fails, rvnetctl must fail with the same errno (ip's
message), and a reject route must be reported with its type and that
errno. Each tool answers all questions of one uid in one `-batch`
process (a process per question costs most of the time under TCG), so
the exit status per question is not seen here (rvnet_ctl.sh checks it).
Prints the seed and every disagreement; exits 1 if there is one. With
--cases, the questions are the lines of standard input (route get
arguments, the same for both) in an existing set-up.
"""
import json
import random
import re
import subprocess
import sys
import time

CASES = sys.argv[1] == "--cases"
if CASES:
    ns, ctl, seed, nq = sys.argv[2], sys.argv[3], 0, 0
else:
    ns, ctl, seed, nq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
if not CASES:
    print(f"seed {seed}")
VRF = not CASES and rnd.random() < 0.6

TABLES = [100, 101, 102]
# A VRF (vr0, its port dm0, routes in VRF_TABLE) in most set-ups.
VRF_TABLE = 110
NAMES = {"main": 254, "local": 255, "default": 253}
UID = 1000
# 6.12 takes only the old TOS bits in IPv4 rules (IPTOS_TOS_MASK, 0x1e);
# queries use DSCP values above them too (the lookup masks with 0xfc).
RULE_TOS = [0x04, 0x08, 0x10, 0x18]
QUERY_DSCP = [1, 2, 4, 6, 10, 26, 46]
# Ports the rules name and the questions use (and some they do not).
PORTS = [22, 53, 80, 443, 5000, 5353, 8080]
RULE_L4 = ["ipproto tcp", "ipproto udp", "ipproto icmp", "dport 80",
           "dport 5000-5999", "sport 53", "ipproto tcp dport 443",
           "ipproto udp sport 5353 dport 53"]
# ip route get's error messages (strerror) and their errno.
ERRNO = {"Invalid argument": 22, "No route to host": 113,
         "Permission denied": 13, "Network is unreachable": 101,
         "Invalid cross-device link": 18}
REJECT = {22: "blackhole", 113: "unreachable", 13: "prohibit"}


def run(argv):
    """(exit status, output) of argv in NS: ip enters it itself (-n)."""
    cmd = ["ip", "-n", ns] + argv[1:] if argv[0] == "ip" else ["ip", "netns", "exec", ns] + argv
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, (p.stdout + "\n" + p.stderr).strip()


def prefix4(rnd):
    a = rnd.randrange(80, 88)
    if rnd.random() < 0.5:
        return f"10.{a}.0.0/16"
    return f"10.{a}.{rnd.randrange(0, 4)}.0/24"


def route_lines(rnd):
    out = []
    for _ in range(rnd.randrange(8, 14)):
        p = prefix4(rnd)
        t = rnd.choice(["", "", f" table {rnd.choice(TABLES)}"])
        kind = rnd.choice(["via", "via", "dev", "multipath", "blackhole",
                           "unreachable", "prohibit", "throw"])
        metric = f" metric {rnd.randrange(0, 200)}"
        if kind == "via":
            gw = rnd.choice(["10.23.0.2", "10.23.0.3"])
            out.append(f"route replace {p} via {gw} dev rv1{t}{metric}")
        elif kind == "dev":
            out.append(f"route replace {p} dev rv1{t}{metric}")
        elif kind == "multipath":
            out.append(f"route replace {p}{t}{metric} nexthop via 10.23.0.2 dev rv1 "
                       "nexthop via 10.23.0.3 dev rv1")
        else:
            out.append(f"route replace {kind} {p}{t}{metric}")
    for tb in TABLES:
        if rnd.random() < 0.5:
            out.append(f"route replace default via 10.23.0.4 dev rv1 table {tb}")
    for i in range(rnd.randrange(3, 7)):
        sel = rnd.choice([
            "from 10.23.0.1", f"to {prefix4(rnd)}", f"fwmark {rnd.randrange(1, 4)}",
            f"tos {hex(rnd.choice(RULE_TOS))}", f"uidrange {UID}-{UID}",
            f"to {prefix4(rnd)} fwmark {rnd.randrange(1, 4)}",
            rnd.choice(RULE_L4), rnd.choice(RULE_L4)])
        out.append(f"rule add {sel} table {rnd.choice(TABLES)} pref {100 + i}")
    # IPv6: a few routes in main and one table, and a rule.
    for _ in range(rnd.randrange(2, 5)):
        p = f"fd{rnd.randrange(50, 54)}::/64"
        kind = rnd.choice(["via", "via", "multipath", "unreachable", "blackhole", "prohibit"])
        t = rnd.choice(["", f" table {TABLES[0]}"])
        m = f" metric {rnd.randrange(1, 300)}"
        if kind == "via":
            out.append(f"route replace {p} via fd23::2 dev rv1{t}{m}")
        elif kind == "multipath":
            out.append(f"route replace {p}{t}{m} nexthop via fd23::2 dev rv1 "
                       "nexthop via fd23::3 dev rv1")
        else:
            out.append(f"route replace {kind} {p}{t}{m}")
    # Known gateways: with an unresolved one, IPv6 round-robins among
    # routes of one metric (RT6_NUD_FAIL_DO_RR), and each lookup, ip's or
    # rvnet's, moves the next answer on; resolved, ECMP hashes the flow.
    for gw in ("fd23::2", "fd23::3"):
        out.append(f"neigh replace {gw} lladdr 02:00:00:00:23:{gw[-1]}0 nud permanent dev rv1")
    out.append(f"-6 rule add from fd23::1 table {TABLES[0]} pref 90")
    out.append(f"-6 rule add ipproto tcp dport 443 table {TABLES[0]} pref 91")
    if VRF:
        out += vrf_lines(rnd)
    return out


def vrf_lines(rnd):
    """A VRF vr0 (table VRF_TABLE; creating it adds the l3mdev rule) with a
    dummy dm0 enslaved, routes of both families in its table."""
    out = [f"link add vr0 type vrf table {VRF_TABLE}", "link set vr0 up",
           "link add dm0 type dummy", "link set dm0 master vr0", "link set dm0 up",
           "addr add 10.31.0.1/24 dev dm0", "addr add fd31::1/64 dev dm0 nodad"]
    for _ in range(rnd.randrange(2, 6)):
        kind = rnd.choice(["via", "via", "dev", "multipath", "unreachable", "blackhole"])
        p = prefix4(rnd)
        m = f" metric {rnd.randrange(0, 200)}"
        t = f" table {VRF_TABLE}"
        if kind == "via":
            out.append(f"route replace {p} via 10.31.0.2 dev dm0{t}{m}")
        elif kind == "dev":
            out.append(f"route replace {p} dev dm0{t}{m}")
        elif kind == "multipath":
            out.append(f"route replace {p}{t}{m} nexthop via 10.31.0.2 dev dm0 "
                       "nexthop via 10.31.0.3 dev dm0")
        else:
            out.append(f"route replace {kind} {p}{t}{m}")
    if rnd.random() < 0.5:
        # The usual VRF set-up: nothing leaks out of the VRF's table.
        out.append(f"route replace unreachable default table {VRF_TABLE} metric 4278198272")
    out.append(f"route replace fd{rnd.randrange(50, 54)}::/64 via fd31::2 dev dm0 "
               f"table {VRF_TABLE}")
    return out


def l4_keys(rnd, v6):
    """ipproto / sport / dport of a question (the same words for both).
    No ports with ICMP: the kernel's route get hashes the ICMP header it
    builds, which has none, where a flow carries them (see genl.rst)."""
    a = []
    proto = None
    if rnd.random() < 0.4:
        proto = rnd.choice(["tcp", "udp", "ipv6-icmp" if v6 else "icmp"])
        a += ["ipproto", proto]
    if proto not in ("icmp", "ipv6-icmp"):
        if rnd.random() < 0.3:
            a += ["sport", str(rnd.choice(PORTS))]
        if rnd.random() < 0.4:
            a += ["dport", str(rnd.choice(PORTS))]
    return a


def unicast4(rnd):
    """An address in or near the random routes' prefixes."""
    return f"10.{rnd.randrange(79, 89)}.{rnd.randrange(0, 5)}.{rnd.randrange(1, 255)}"


def dst4(rnd, special):
    """An IPv4 destination: link-local multicast (5%), broadcast or local
    (`special`), else unicast4."""
    r = rnd.random()
    if r < 0.05:
        return f"224.0.0.{rnd.randrange(1, 250)}"
    if r < 0.05 + special:
        return rnd.choice(["10.23.0.255", "10.23.0.1", "255.255.255.255"])
    return unicast4(rnd)


def dst6(rnd):
    """An IPv6 destination: in or near the random routes, the peer, a local
    address or all-nodes multicast."""
    return rnd.choice([f"fd{rnd.randrange(50, 55)}::{rnd.randrange(1, 9)}",
                       "fd23::2", "fd23::1", "ff02::1"])


def connected(rnd, words):
    """`connected` on one question in ten without `from`: both ask again
    from the first answer's preferred source."""
    return ["connected"] if "from" not in words and rnd.random() < 0.1 else []


def input_query(rnd):
    """A question about a packet received on rv1 (or lo): the input path
    (forwarding, rp_filter, martians) decides; sources include a local
    address (martian) and ones without a route back (rp_filter)."""
    if rnd.random() < 0.2:
        dst = dst6(rnd)
        a = [dst, "from", rnd.choice(["fd23::2", "fd23::9", "fd23::1", "fd77::1"]),
             "iif", "rv1"] + l4_keys(rnd, True)
        return a, list(a), None
    dst = dst4(rnd, 0.1)
    src = rnd.choice(["10.23.0.2", "10.23.0.2", "10.23.0.9", "10.23.0.1", "192.0.2.7",
                      unicast4(rnd)])
    a = [dst, "from", src, "iif", "lo" if rnd.random() < 0.1 else "rv1"]
    if rnd.random() < 0.15:
        a.append("fibmatch")
    if rnd.random() < 0.3:
        a += ["mark", str(rnd.randrange(1, 4))]
    ip, ctl_a = list(a), list(a)
    if rnd.random() < 0.3:
        d = rnd.choice(QUERY_DSCP)
        ip += ["dsfield", hex(d << 2)]
        ctl_a += ["dscp", str(d)]
    k = l4_keys(rnd, False)
    return ip + k, ctl_a + k, None


def vrf_query(rnd):
    """A question in the VRF: `vrf vr0` (the VRF device as output
    interface: its table through the l3mdev rule), `oif dm0` (a port of
    the VRF) or received on dm0."""
    v6 = rnd.random() < 0.25
    if v6:
        dst = rnd.choice([dst6(rnd), "fd31::2", "fd31::1"])
    else:
        dst = rnd.choice([unicast4(rnd), unicast4(rnd), "10.31.0.2", "10.31.0.1",
                          "10.23.0.2"])
    how = rnd.choice(["vrf", "vrf", "oif", "iif"])
    if how == "iif":
        src = rnd.choice(["fd31::2", "fd23::2"] if v6 else ["10.31.0.2", "10.31.0.9", "10.23.0.2"])
        a = [dst, "from", src, "iif", "dm0"]
    else:
        a = [dst, how, "vr0" if how == "vrf" else "dm0"]
    if rnd.random() < 0.2:
        a += ["mark", str(rnd.randrange(1, 4))]
    a += l4_keys(rnd, v6)
    if rnd.random() < 0.15:
        a.append("fibmatch")
    return a, list(a), None


def query(rnd):
    """(ip args, rvnetctl args, uid)"""
    if rnd.random() < 0.2:
        return input_query(rnd)
    if VRF and rnd.random() < 0.15:
        return vrf_query(rnd)
    if rnd.random() < 0.2:
        dst = dst6(rnd)
        ip = [dst]
        if rnd.random() < 0.3:
            ip += ["from", "fd23::1"]
        ip += l4_keys(rnd, True)
        ip += connected(rnd, ip)
        # (fibmatch with connected: see below.)
        if "connected" not in ip and rnd.random() < 0.15:
            ip.append("fibmatch")
        return ip, list(ip), None
    dst = dst4(rnd, 0.05)
    ip, ctl_a = [dst], [dst]
    if rnd.random() < 0.2:
        ip += ["from", "10.23.0.1"]
        ctl_a += ["from", "10.23.0.1"]
    if rnd.random() < 0.3:
        m = str(rnd.randrange(1, 4))
        ip += ["mark", m]
        ctl_a += ["mark", m]
    if rnd.random() < 0.3:
        d = rnd.choice(QUERY_DSCP)
        ip += ["dsfield", hex(d << 2)]
        ctl_a += ["dscp", str(d)]
    if rnd.random() < 0.15:
        ip += ["oif", "rv1"]
        ctl_a += ["oif", "rv1"]
    k = l4_keys(rnd, False) + connected(rnd, ip)
    # (fibmatch with connected is ip's "Failed to connect the route": a
    # FIB entry has no preferred source to ask again from.)
    if "connected" not in k and rnd.random() < 0.15:
        k.append("fibmatch")
    ip += k
    ctl_a += k
    uid = UID if rnd.random() < 0.2 else None
    return ip, ctl_a, uid


FAILED = re.compile(r"^Command failed (.*):(\d+)$")
# rvnetctl's error for a reject route, printed after the route itself.
REJECT_ERR = re.compile(r"route get: .*: (blackhole|unreachable|prohibit) route$")


def batch(argv0, questions, uid, json_on_failure):
    """(exit status, stdout, stderr) of each `route get` question, all
    asked by one `argv0 -j -force -batch -` (ip or rvnetctl): a failed
    question is the stderr lines before its `Command failed -:N`, and
    prints a JSON line only if json_on_failure(its error) (status 2: a
    batch does not tell the kernel's refusals from others)."""
    text = "".join("route get " + " ".join(q) + "\n" for q in questions)
    if uid is None:
        cmd = [argv0, "-n", ns]
    else:
        cmd = ["ip", "netns", "exec", ns, "setpriv", f"--reuid={uid}",
               f"--regid={uid}", "--clear-groups", argv0]
    p = subprocess.run(cmd + ["-j", "-force", "-batch", "-"], input=text,
                       capture_output=True, text=True)
    failed, pending = {}, []
    for ln in p.stderr.splitlines():
        m = FAILED.match(ln)
        if m:
            failed[int(m.group(2))] = "\n".join(pending)
            pending = []
        else:
            pending.append(ln)
    outs = iter(p.stdout.splitlines())
    res = []
    for i in range(1, len(questions) + 1):
        if i in failed:
            out = next(outs, "") if json_on_failure(failed[i]) else ""
            res.append((2, out, failed[i]))
        else:
            res.append((0, next(outs, ""), ""))
    return res


def ask_all(questions):
    """Asks every (ip args, rvnetctl args, uid) question of both, one batch
    per tool and uid; prints each disagreement and returns their count."""
    bad = 0
    for uid in sorted({q[2] for q in questions}, key=str):
        idx = [i for i, q in enumerate(questions) if q[2] == uid]
        # `connected`: ip's answer is that of the same question from the
        # first answer's source (ip -j prints the second one as text), so
        # ip is asked the first question, then the second where it has a
        # source; rvnetctl is asked with `connected`.
        ipq = [[w for w in questions[i][0] if w != "connected"] for i in idx]
        ipr = batch("ip", ipq, uid, lambda e: False)
        again = [n for n, i in enumerate(idx) if "connected" in questions[i][0]
                 and ipr[n][0] == 0 and "prefsrc" in json.loads(ipr[n][1])[0]]
        if again:
            second = batch("ip", [ipq[n] + ["from", json.loads(ipr[n][1])[0]["prefsrc"]]
                                  for n in again], uid, lambda e: False)
            for n, r in zip(again, second):
                ipr[n] = r
        ctr = batch(ctl, [questions[i][1] for i in idx], uid,
                    lambda e: REJECT_ERR.search(e) is not None)
        for n, i in enumerate(idx):
            ipa, ctla, _ = questions[i]
            if compare(ipa, ctla, uid, ipr[n], ctr[n]):
                bad += 1
                print(f"  (question {i})")
    return bad


def compare_entry(ip, ct, chk):
    """fibmatch: the FIB entry as ip prints it (ip route show's form)."""
    plen = ct.get("prefix-length")
    host = 128 if ":" in str(ct.get("prefix")) else 32
    want = "default" if plen == 0 else (
        ct.get("prefix") if plen == host else f"{ct.get('prefix')}/{plen}")
    chk("entry", ip.get("dst"), want)
    chk("type", ip.get("type", "unicast"), ct.get("type"))
    t = ip.get("table", "main")
    chk("table", int(NAMES.get(t, t)), ct.get("table"))
    chk("metric", ip.get("metric", 0), ct.get("priority", 0))
    chk("gateway", ip.get("gateway"), ct.get("gateway"))
    chk("dev", ip.get("dev"), ct.get("oif-name"))
    chk("prefsrc", ip.get("prefsrc"), ct.get("prefsrc"))
    nh = ct.get("nexthop", [])
    nh = nh if isinstance(nh, list) else [nh]
    chk("nexthops", [(n.get("gateway"), n.get("dev"), n.get("weight", 1))
                     for n in ip.get("nexthops", [])],
        [(n.get("gateway"), n.get("oif-name"), n.get("weight")) for n in nh])


def compare(ipa, ctla, uid, ipres, ctlres):
    """Disagreements of ip and rvnetctl on one question (empty: agree)."""
    iprc, ipout, iperr = ipres
    crc, ctlout, ctlerr = ctlres
    errs = []

    def chk(name, a, b):
        if a != b:
            errs.append(f"{name}: ip {a!r} rvnetctl {b!r}")
    if iprc != 0:
        # The kernel refused: rvnetctl must report the same errno, exit 2
        # and say what ip says; a reject route also with its type.
        msg = next((k for k in ERRNO if k in iperr), None)
        if msg is None:
            errs.append("ip failed unexpectedly")
        chk("exit status", 2, crc)
        if msg and msg not in ctlerr:
            errs.append(f"rvnetctl's error does not say '{msg}'")
        e = ERRNO.get(msg)
        if e == 22 and "iif" in ipa and not ctlout:
            # Received packets: EINVAL is a martian as well as a
            # blackhole route; only a reported reject route is checked.
            pass
        elif e == 113 and "fibmatch" in ipa and not ctlout:
            # No FIB entry behind the route (fibmatch), not an
            # unreachable route.
            pass
        elif e in REJECT:
            ct = (json.loads(ctlout) or [{}])[0] if ctlout.startswith("[") else {}
            chk("type", REJECT[e], ct.get("type"))
            chk("error", e, ct.get("error"))
    elif crc != 0:
        errs.append("rvnetctl failed where ip answered")
    elif "fibmatch" in ipa:
        compare_entry(json.loads(ipout)[0], json.loads(ctlout)[0], chk)
    else:
        ip = json.loads(ipout)[0]
        ct = json.loads(ctlout)[0]
        chk("type", ip.get("type", "unicast"), ct.get("type"))
        chk("dev", ip.get("dev"), ct.get("oif-name"))
        chk("gateway", ip.get("gateway"), ct.get("gateway"))
        if "iif" in ipa:
            # An input route has no preferred source.
            chk("prefsrc", None, ct.get("prefsrc"))
        else:
            chk("prefsrc", ip.get("prefsrc", ip.get("from")), ct.get("prefsrc"))
        t = ip.get("table", "main")
        if "iif" in ipa and "table" not in ip:
            # ip prints neither main nor 0 (an input route built without
            # the FIB: multicast, limited broadcast), where rvnet names none.
            if ct.get("table") not in (None, 254):
                chk("table", "main or none", ct.get("table"))
        elif "table" in ct:
            chk("table", int(NAMES.get(t, t)), ct.get("table"))
        if "metric" in ip:
            chk("metric", ip["metric"], ct.get("priority"))
        chk("error", None, ct.get("error"))
    if errs:
        who = f" (uid {uid})" if uid is not None else ""
        print(f"route get {' '.join(ipa)}{who}: " + "; ".join(errs))
        print(f"  ip: {ipout} {iperr}".rstrip())
        print(f"  rvnetctl: {ctlout} {ctlerr} (exit {crc})".rstrip())
    return errs


if CASES:
    qs = [(ln.split(), ln.split(), None) for ln in sys.stdin if ln.strip()]
    bad = ask_all(qs)
    print(f"{len(qs) - bad}/{len(qs)} questions agree")
    sys.exit(1 if bad else 0)

lines = route_lines(rnd)
# The multipath hash: addresses (0) or addresses, protocol and ports (1).
hp = rnd.choice([0, 1])
# Forwarding and the reverse path filter, for the questions about
# received packets (rp_filter: the larger of all and rv1 applies).
fwd = rnd.choice([0, 1, 1])
rpf = (rnd.choice([0, 0, 1, 2]), rnd.choice([0, 1, 2]))
lines_shown = lines + [f"(sysctl fib_multipath_hash_policy={hp}, IPv4 and IPv6)",
                       f"(sysctl net.ipv4.conf.all.forwarding={fwd} "
                       f"net.ipv4.conf.all.rp_filter={rpf[0]} net.ipv4.conf.rv1.rp_filter={rpf[1]})"]
for fam in ("ipv4", "ipv6"):
    run(["sysctl", "-qw", f"net.{fam}.fib_multipath_hash_policy={hp}"])
run(["sysctl", "-qw", f"net.ipv4.conf.all.forwarding={fwd}",
     f"net.ipv4.conf.all.rp_filter={rpf[0]}", f"net.ipv4.conf.rv1.rp_filter={rpf[1]}"])
# `ip -batch` takes no -6 per line: those lines run on their own.
with open("/tmp/rvnet-route-random.batch", "w") as f:
    f.write("\n".join(ln for ln in lines if not ln.startswith("-6 ")) + "\n")
for ln in lines:
    if ln.startswith("-6 "):
        rc, out = run(["ip"] + ln.split())
        if rc != 0:
            print(f"set-up: ip {ln}: {out}")
rc, out = run(["ip", "-force", "-batch", "/tmp/rvnet-route-random.batch"])
if rc != 0:
    # Some random lines are refused (e.g. a throw route where the kernel
    # wants none); the rest are in place.
    notes = out.replace("\n", "; ")[:300]
    print(f"set-up notes: {notes}")

# Source selection skips tentative addresses: wait until the link-local
# addresses passed DAD, or the answer changes between the two askings.
for _ in range(100):
    if not run(["ip", "-6", "addr", "show", "tentative"])[1]:
        break
    time.sleep(0.1)

bad = ask_all([query(rnd) for _ in range(nq)])
print(f"{nq - bad}/{nq} queries agree")
if bad:
    print("set-up:")
    for ln in lines_shown:
        print("  ip " + ln)
sys.exit(1 if bad else 0)
