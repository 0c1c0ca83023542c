#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TCP request/response (netperf TCP_RR style): one byte each way, one
transaction in flight, TCP_NODELAY. bench/guest.py imports it and runs
both ends in-process (server forked); the command line is for manual use.

    rr.py server PORT                 serve connections one after another
    rr.py client HOST PORT SECONDS    print one JSON object: transactions,
                                      tps, p50_us, p99_us, mean_us
"""
import json
import math
import socket
import sys
import time


def listener(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(8)
    return ls


def serve(ls):
    """Echo one byte per transaction, one connection after another."""
    while True:
        c, _ = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                b = c.recv(1)
                if not b:
                    break
                c.sendall(b)
        except OSError:
            pass
        c.close()


def pct(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    return sorted_vals[max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)]


def client(host, port, seconds):
    return run_client(socket.create_connection((host, port), timeout=5), seconds)


def run_client(s, seconds):
    """Ping-pong on connected socket s for `seconds`; returns the stats."""
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    clock = time.perf_counter_ns
    for _ in range(50):  # warm the path (caches, TCP state) before counting
        s.sendall(b"x")
        s.recv(1)
    rtts = []
    start = clock()
    deadline = start + int(seconds * 1e9)
    t = start
    while t < deadline:
        s.sendall(b"x")
        if not s.recv(1):
            raise SystemExit("server closed the connection")
        now = clock()
        rtts.append(now - t)
        t = now
    elapsed = (t - start) / 1e9
    s.close()
    rtts.sort()
    return {
        "transactions": len(rtts),
        "seconds": elapsed,
        "tps": len(rtts) / elapsed,
        "p50_us": pct(rtts, 50) / 1e3,
        "p99_us": pct(rtts, 99) / 1e3,
        "mean_us": sum(rtts) / len(rtts) / 1e3,
    }


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "server":
        serve(listener(int(sys.argv[2])))
    elif len(sys.argv) >= 5 and sys.argv[1] == "client":
        print(json.dumps(client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))))
    else:
        raise SystemExit(__doc__)
