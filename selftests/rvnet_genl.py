#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for rvnet_genl.sh that need many requests in one process.

Uses the kernel's own YNL library (tools/net/ynl/lib, the code under
cli.py) with rvnet's spec.

  rvnet_genl.py route-cmp CASE...   compare route-get with `ip -j route get`
      CASE: "DST[,from=SRC][,mark=N][,oif=DEV][,ipproto=P][,sport=N][,dport=N]"
      (run inside the netns); a reject route must carry ip's errno
  rvnet_genl.py raw CMD HEXATTRS   one request with raw attributes; prints
      "errno=N msg=EXTACK"
  rvnet_genl.py fuzz SECONDS SEED   random requests; every error must be a
      clean errno reply (with an extack message when the handler ran)
  rvnet_genl.py serve   requests from stdin, one per line, one answer line
      each ("NS do|dump OP JSON", "NS raw CMD HEX"; see serve())
  rvnet_genl.py errors < CASES   requests that must fail, from one process:
      each line "do|dump OP JSON ERRNO [MSG...]": the errno, an extack
      message, containing MSG if given
"""
import ctypes
import functools
import ipaddress
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

import yaml

# The YNL library parses the spec with yaml.safe_load, PyYAML's pure-Python
# parser; libyaml's (CSafeLoader, the same documents) where PyYAML has it.
# Measured on the host: YnlFamily(rvnet.yaml) in 0.11 s against 0.20 s,
# a cost every serve process (one per genl case) pays under TCG.
if getattr(yaml, "CSafeLoader", None) is not None:
    yaml.safe_load = functools.partial(yaml.load, Loader=yaml.CSafeLoader)

KSFT_DIR = os.environ["KSFT_DIR"]
sys.path.insert(0, os.path.join(KSFT_DIR, "../../net/ynl"))
from lib import YnlFamily, NlError  # noqa: E402
from cli import YnlEncoder  # noqa: E402  (cli.py --output-json's encoding)

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "../Documentation/netlink/specs/rvnet.yaml")

# ip route get's error for each reject route type, and its errno.
REJECT = {
    "blackhole": ("Invalid argument", 22),
    "unreachable": ("No route to host", 113),
    "prohibit": ("Permission denied", 13),
}
PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58}
TABLES = {"local": 255, "main": 254, "default": 253}


def ynl():
    return YnlFamily(SPEC, "")


def hexaddr(a):
    return ipaddress.ip_address(a).packed.hex()


def route_cmp(cases):
    y = ynl()
    bad = 0
    for case in cases:
        parts = case.split(",")
        dst = parts[0]
        opts = dict(p.split("=", 1) for p in parts[1:])
        ipcmd = ["ip", "-j", "route", "get", dst]
        req = {"dst": hexaddr(dst)}
        if "from" in opts:
            ipcmd += ["from", opts["from"]]
            req["src"] = hexaddr(opts["from"])
        if "mark" in opts:
            ipcmd += ["mark", opts["mark"]]
            req["mark"] = int(opts["mark"])
        if "oif" in opts:
            ipcmd += ["oif", opts["oif"]]
            req["oif"] = socket.if_nametoindex(opts["oif"])
        if "ipproto" in opts:
            ipcmd += ["ipproto", opts["ipproto"]]
            req["ipproto"] = PROTOS[opts["ipproto"]]
        for k in ("sport", "dport"):
            if k in opts:
                ipcmd += [k, opts[k]]
                req[k] = int(opts[k])
        p = subprocess.run(ipcmd, capture_output=True, text=True)
        try:
            ans = y.do("route-get", req)
            err = None
        except NlError as e:
            ans, err = None, e
        if p.returncode != 0:
            # ip fails on reject routes: we answer with the route type
            # and ip's errno.
            want = [(t, e) for t, (msg, e) in REJECT.items() if msg in p.stderr]
            if want and ans and (ans.get("type"), ans.get("error")) == want[0]:
                print(f"ok {case}: {want[0]} (ip: {p.stderr.strip()})")
                continue
            if not want and err is not None and err.error == 101:  # ENETUNREACH
                print(f"ok {case}: unreachable network, both fail")
                continue
            print(f"MISMATCH {case}: ip failed '{p.stderr.strip()}', ynl {ans or err}")
            bad += 1
            continue
        if err is not None:
            print(f"MISMATCH {case}: ip ok, ynl failed: {err}")
            bad += 1
            continue
        r = json.loads(p.stdout)[0]
        want = {
            "type": r.get("type", "unicast"),
            "table": TABLES.get(r.get("table", "main"), None) or int(r["table"]),
            "gateway": r.get("gateway"),
            "dev": r.get("dev"),
            "prefsrc": r.get("prefsrc"),
        }
        if "from" in opts and want["prefsrc"] is None:
            # ip prints prefsrc only when it differs from the given source.
            want["prefsrc"] = opts["from"]
        got = {
            "type": ans.get("type"),
            "table": ans.get("table"),
            "gateway": ans.get("gateway"),
            "dev": ans.get("oif-name"),
            "prefsrc": ans.get("prefsrc"),
        }
        if want != got:
            print(f"MISMATCH {case}: ip {want} ynl {got}")
            bad += 1
        else:
            print(f"ok {case}: {got}")
    return 1 if bad else 0


def fuzz(seconds, seed):
    rnd = random.Random(seed)
    y = ynl()
    fam = y.nlproto.family_id
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)  # GENERIC
    sock.setsockopt(270, 11, 1)  # NETLINK_EXT_ACK
    sock.settimeout(5)
    end = time.time() + seconds
    n = errs = 0
    seq = 1
    while time.time() < end:
        cmd = rnd.choice([1, 2, 3, 4, 5, 0, 6, 200])
        attrs = b""
        for _ in range(rnd.randint(0, 6)):
            t = rnd.choice([rnd.randint(0, 24), rnd.randint(0, 0xffff)])
            if rnd.random() < 0.2:
                t |= 0x8000  # NLA_F_NESTED
            ln = rnd.choice([0, 1, 2, 4, 5, 8, 15, 16, 17, rnd.randint(0, 64)])
            if t & 0x7fff in (1, 2) and rnd.random() < 0.5:
                ln = rnd.choice([4, 16])
            payload = bytes(rnd.getrandbits(8) for _ in range(ln))
            alen = 4 + ln
            attrs += struct.pack("HH", alen, t) + payload + b"\0" * ((4 - alen % 4) % 4)
        flags = 1 | 4  # REQUEST | ACK
        if rnd.random() < 0.1:
            flags |= 0x300  # DUMP
        msg = struct.pack("BBH", cmd, 1, 0) + attrs
        hdr = struct.pack("IHHII", 16 + len(msg), fam, flags, seq, 0)
        sock.send(hdr + msg)
        seq += 1
        n += 1
        # Drain until the ACK / error (dumps end with DONE).
        done = False
        while not done:
            for typ, e, _ in messages(sock.recv(65536)):
                if typ == 2:  # NLMSG_ERROR (ACK when e == 0)
                    errs += e != 0
                    done = True
                elif typ == 3:  # NLMSG_DONE
                    done = True
    print(f"fuzz: {n} requests, {errs} errors, seed {seed}")
    return 0


def messages(data):
    """(type, errno, extack message) of each netlink message in data."""
    off = 0
    while off + 16 <= len(data):
        ln, typ, flags = struct.unpack_from("IHH", data, off)
        e, msg = 0, ""
        if typ == 2:
            e = struct.unpack_from("i", data, off + 16)[0]
            # Extack TLVs follow the (capped) original header when
            # NLM_F_ACK_TLVS (0x200) is set.
            if flags & 0x200:
                echo = 16 if flags & 0x100 or e == 0 else \
                    struct.unpack_from("I", data, off + 20)[0]
                a = off + 20 + ((echo + 3) & ~3)
                while a + 4 <= off + ln:
                    alen, atyp = struct.unpack_from("HH", data, a)
                    if alen < 4:
                        break
                    if atyp == 1:  # NLMSGERR_ATTR_MSG
                        msg = data[a + 4:a + alen].split(b"\0")[0].decode()
                    a += (alen + 3) & ~3
        yield typ, e, msg
        if ln < 16:
            break
        off += (ln + 3) & ~3


def raw(cmd, hexattrs):
    """One request with raw attributes; prints errno and extack message."""
    print(raw_req(ynl(), cmd, hexattrs))
    return 0


def raw_req(y, cmd, hexattrs):
    """Send one request with raw attributes: "errno=E msg=M" of its ack."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    sock.setsockopt(270, 11, 1)  # NETLINK_EXT_ACK
    sock.setsockopt(270, 10, 1)  # NETLINK_CAP_ACK
    msg = struct.pack("BBH", cmd, 1, 0) + bytes.fromhex(hexattrs)
    sock.send(struct.pack("IHHII", 16 + len(msg), y.nlproto.family_id, 5, 1, 0) + msg)
    while True:
        for typ, e, m in messages(sock.recv(65536)):
            if typ == 2:
                sock.close()
                return f"errno={-e} msg={m}"


def errors(lines):
    y = ynl()
    bad = n = 0
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        how, op, req, want, *msg = line.split(None, 4)
        msg = msg[0].strip() if msg else ""
        n += 1
        try:
            (y.dump if how == "dump" else y.do)(op, json.loads(req))
            print(f"FAIL {op} {req}: accepted")
            bad += 1
            continue
        except NlError as e:
            got, ext = e.error, e.nl_msg.extack or {}
        m = ext.get("msg", "")
        if got != int(want) or not m or msg not in m:
            print(f"FAIL {op} {req}: errno {got} msg '{m}', wanted {want} '{msg}'")
            bad += 1
    print(f"{n - bad}/{n} refused as wanted")
    return 1 if bad else 0


def setns(fd, libc):
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")


def serve():
    """Requests from stdin, one per line, answered in order, one line each.

    "NS do|dump OP JSON": NS is a name under /run/netns or "-" for our
    own namespace; the answer is "0 " and the reply as cli.py
    --output-json prints it, or "1 " and the NlError text as cli.py prints
    it, on one line. "NS raw CMD HEX": as the raw command, "0 errno=E
    msg=M". Each request is made from inside NS, with one YnlFamily per
    namespace. For shell cases that ask many questions: a python3 start
    costs seconds on the debug kernel under TCG.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    fams = {}
    for line in sys.stdin:
        ns, mode, op, arg = (line.rstrip("\n").split(" ", 3) + ["", "", ""])[:4]
        fd = None if ns == "-" else os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            if fd is not None:
                setns(fd, libc)
            if ns not in fams:
                fams[ns] = ynl()
            y = fams[ns]
            if mode == "raw":
                out = "0 " + raw_req(y, int(op), arg)
            elif mode in ("do", "dump"):
                req = json.loads(arg or "{}")
                rep = y.do(op, req) if mode == "do" else y.dump(op, req)
                out = "0 " + json.dumps(rep, cls=YnlEncoder)
            else:
                out = f"1 unknown request: {line.strip()}"
        except NlError as e:
            out = "1 " + str(e).replace("\n", " ")
        finally:
            if fd is not None:
                setns(own, libc)
                os.close(fd)
        print(out, flush=True)
    return 0


def main():
    if sys.argv[1] == "serve":
        return serve()
    if sys.argv[1] == "route-cmp":
        return route_cmp(sys.argv[2:])
    if sys.argv[1] == "raw":
        return raw(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "")
    if sys.argv[1] == "errors":
        return errors(sys.stdin)
    if sys.argv[1] == "fuzz":
        return fuzz(float(sys.argv[2]), int(sys.argv[3]))
    return 2


if __name__ == "__main__":
    sys.exit(main())
