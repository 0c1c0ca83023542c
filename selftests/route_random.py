#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""route-get against `ip route get` on a random routing set-up.

    route_random.py NS RVNETCTL SEED QUERIES

Builds random routes (tables, reject types, multipath, on-link) and policy
rules (from, to, fwmark, dscp, uidrange) in namespace NS, which must hold
rv1 with 10.23.0.1/24 and fd23::1/64, then asks QUERIES random questions
(destinations in and out of the routes, multicast, broadcast, local,
source, mark, DS field, output interface, and as an unprivileged uid) of
both `ip -j route get` and `rvnetctl -j route get`, and compares type,
device, gateway, preferred source, table and metric. Prints the seed and
every disagreement; exits 1 if there is one.
"""
import json
import random
import subprocess
import sys
import time

ns, ctl, seed, nq = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
print(f"seed {seed}")

TABLES = [100, 101, 102]
NAMES = {"main": 254, "local": 255, "default": 253}
UID = 1000
# 6.12 takes only the old TOS bits in IPv4 rules (IPTOS_TOS_MASK, 0x1e);
# queries use DSCP values above them too (the lookup masks with 0xfc).
RULE_TOS = [0x04, 0x08, 0x10, 0x18]
QUERY_DSCP = [1, 2, 4, 6, 10, 26, 46]


def run(argv, uid=None):
    cmd = ["ip", "netns", "exec", ns]
    if uid is not None:
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    p = subprocess.run(cmd + argv, capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


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
            f"to {prefix4(rnd)} fwmark {rnd.randrange(1, 4)}"])
        out.append(f"rule add {sel} table {rnd.choice(TABLES)} pref {100 + i}")
    # IPv6: a few routes in main and one table, and a rule.
    for _ in range(rnd.randrange(2, 5)):
        p = f"fd{rnd.randrange(50, 54)}::/64"
        kind = rnd.choice(["via", "unreachable", "blackhole", "prohibit"])
        t = rnd.choice(["", f" table {TABLES[0]}"])
        m = f" metric {rnd.randrange(1, 300)}"
        if kind == "via":
            out.append(f"route replace {p} via fd23::2 dev rv1{t}{m}")
        else:
            out.append(f"route replace {kind} {p}{t}{m}")
    out.append(f"-6 rule add from fd23::1 table {TABLES[0]} pref 90")
    return out


def query(rnd):
    """(ip args, rvnetctl args, uid)"""
    if rnd.random() < 0.2:
        dst = rnd.choice([f"fd{rnd.randrange(50, 55)}::{rnd.randrange(1, 9)}",
                          "fd23::2", "fd23::1", "ff02::1"])
        ip = [dst]
        if rnd.random() < 0.3:
            ip += ["from", "fd23::1"]
        return ip, list(ip), None
    r = rnd.random()
    if r < 0.05:
        dst = f"224.0.0.{rnd.randrange(1, 250)}"
    elif r < 0.1:
        dst = rnd.choice(["10.23.0.255", "10.23.0.1", "255.255.255.255"])
    else:
        dst = f"10.{rnd.randrange(79, 89)}.{rnd.randrange(0, 5)}.{rnd.randrange(1, 255)}"
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
    uid = UID if rnd.random() < 0.2 else None
    return ip, ctl_a, uid


lines = route_lines(rnd)
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

bad = 0
for i in range(nq):
    ipa, ctla, uid = query(rnd)
    iprc, ipout = run(["ip", "-j", "route", "get"] + ipa, uid)
    crc, ctlout = run([ctl, "-j", "route", "get"] + ctla, uid)
    errs = []
    if iprc != 0:
        want = {"No route to host": "unreachable", "Permission denied": "prohibit",
                "Invalid argument": "blackhole", "Network is unreachable": None}
        t = next((v for k, v in want.items() if k in ipout), "?")
        if t is None:
            if crc == 0:
                errs.append("ip: network unreachable, rvnetctl answered")
        elif crc != 0:
            errs.append(f"ip: {t}, rvnetctl failed")
        else:
            ct = json.loads(ctlout)[0]
            if ct.get("type") != t:
                errs.append(f"type: ip {t} rvnetctl {ct.get('type')}")
    elif crc != 0:
        errs.append("rvnetctl failed where ip answered")
    else:
        ip = json.loads(ipout)[0]
        ct = json.loads(ctlout)[0]

        def chk(name, a, b):
            if a != b:
                errs.append(f"{name}: ip {a!r} rvnetctl {b!r}")
        chk("type", ip.get("type", "unicast"), ct.get("type"))
        chk("dev", ip.get("dev"), ct.get("oif-name"))
        chk("gateway", ip.get("gateway"), ct.get("gateway"))
        chk("prefsrc", ip.get("prefsrc", ip.get("from")), ct.get("prefsrc"))
        t = ip.get("table", "main")
        if "table" in ct:
            chk("table", int(NAMES.get(t, t)), ct.get("table"))
        if "metric" in ip:
            chk("metric", ip["metric"], ct.get("priority"))
    if errs:
        bad += 1
        who = f" (uid {uid})" if uid is not None else ""
        print(f"query {i}: route get {' '.join(ipa)}{who}: " + "; ".join(errs))
        print(f"  ip: {ipout}")
        print(f"  rvnetctl: {ctlout}")
print(f"{nq - bad}/{nq} queries agree")
if bad:
    print("set-up:")
    for ln in lines:
        print("  ip " + ln)
sys.exit(1 if bad else 0)
