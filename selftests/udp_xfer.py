#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Verified UDP bulk transfer for the rvnet selftests.

    udp_xfer.py recv PORT OUTFILE
    udp_xfer.py send HOST PORT INFILE

The sender sends the file in numbered 1400-byte datagrams, a window at a
time; after each window it asks the receiver which datagrams of the window
are missing and resends them, so the data arrives complete even if a socket
buffer overflows. The receiver writes the reassembled file. The sender
prints how many datagrams had to be resent.
"""
import socket
import struct
import sys

CHUNK = 1400
WINDOW = 512
HDR = struct.Struct("!IIB")  # seq, total, kind (0 data, 1 query, 2 done)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def recv(port, out):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::", port))
    s.settimeout(120)
    chunks = {}
    total = None
    while True:
        data, peer = s.recvfrom(65536)
        seq, tot, kind = HDR.unpack_from(data)
        total = tot
        if kind == 0:
            chunks[seq] = data[HDR.size:]
        elif kind == 1:
            lo, hi = seq, min(seq + WINDOW, tot)
            missing = [i for i in range(lo, hi) if i not in chunks]
            s.sendto(struct.pack("!I%dI" % len(missing), len(missing), *missing), peer)
        else:
            s.sendto(b"ok", peer)
            break
    with open(out, "wb") as f:
        for i in range(total):
            f.write(chunks[i])


def send(host, port, path):
    data = open(path, "rb").read()
    total = (len(data) + CHUNK - 1) // CHUNK
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(2)
    dst = (host, port)
    resent = 0

    def dgram(i):
        s.sendto(HDR.pack(i, total, 0) + data[i * CHUNK:(i + 1) * CHUNK], dst)

    for lo in range(0, total, WINDOW):
        todo = list(range(lo, min(lo + WINDOW, total)))
        first = True
        while todo:
            for i in todo:
                dgram(i)
            if not first:
                resent += len(todo)
            first = False
            while True:
                s.sendto(HDR.pack(lo, total, 1), dst)
                try:
                    reply, _ = s.recvfrom(65536)
                    break
                except socket.timeout:
                    continue
            n = struct.unpack_from("!I", reply)[0]
            todo = list(struct.unpack_from("!%dI" % n, reply, 4))
    for _ in range(20):
        s.sendto(HDR.pack(0, total, 2), dst)
        try:
            s.recvfrom(16)
            break
        except socket.timeout:
            continue
    print("sent %d datagrams, resent %d" % (total, resent))


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(int(sys.argv[2]), sys.argv[3])
    else:
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4])
