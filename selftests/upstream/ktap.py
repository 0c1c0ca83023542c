#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""KTAP plumbing for the upstream selftests run against rvnet, veth and netdevsim.

Every upstream case becomes one flat result line

    ok - DEVICE: SUITE: CASE [# SKIP reason]
    not ok - DEVICE: SUITE: CASE [# reason]

that run-guest numbers ("ok N ...") as the stream goes by; once nested by
selftests/run_tests they are the two-space-indented leaves selftests/check
counts. Everything else is passed through as "# " diagnostics.

  ktap.py py DEV SUITE RC          python kselftest KTAP (ksft_run) on stdin
  ktap.py netdevice DEV SUITE RC   net/netdevice.sh output (PASS:/FAIL:/SKIP:/XFAIL:)
  ktap.py veth DEV SUITE RC        net/veth.sh output ("%-60s ok|fail ...")
  ktap.py gate DEV SUITE RC        results already in flat form (own scripts)
  ktap.py table LOG [MD]           comparison table from a run-guest log

Skips: on rvnet, an upstream skip (or XFAIL) is accepted only if
expected-skips lists the case as not applicable to a veth-class device, and is
then "ok ... # SKIP <upstream reason> (expected: <why>)". Any other skip on
rvnet is "not ok ... # unexpected skip: <reason>", a defect. On the reference
devices (veth, netdevsim) skips are reported as skips, and failures as
"ok ... # SKIP reference device fails: <reason>" (shown as failures in the
table; they are facts about the reference, not rvnet defects).
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DUT = "rvnet"
DEVICES = ["rvnet", "veth", "netdevsim"]
# Directive prefix of a reference device's failure (see Emitter.result).
REF_FAIL = "reference device fails:"


def load_expected():
    exp = []
    with open(os.path.join(HERE, "expected-skips")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rx, why = line.split("\t", 1)
            exp.append((re.compile(rx), why.strip()))
    return exp


EXPECTED = None


def expected_reason(suite, case):
    global EXPECTED
    if EXPECTED is None:
        EXPECTED = load_expected()
    key = f"{suite}: {case}"
    for rx, why in EXPECTED:
        if rx.search(key):
            return why
    return None


def clean(s):
    # No '#' (directive separator) and no newlines in names and reasons.
    return " ".join(s.replace("#", "").split())


class Emitter:
    def __init__(self, dev, suite):
        self.dev, self.suite = dev, suite
        self.results = 0
        self.failed = 0
        self.ref_failed = 0
        self.names = {}

    def name(self, case):
        case = clean(case)
        n = self.names.get(case, 0) + 1
        self.names[case] = n
        return case if n == 1 else f"{case} ({n})"

    def diag(self, line):
        print("# " + line.rstrip("\n") if line.strip() else "#")

    def result(self, status, case, reason=""):
        """status: pass, fail, skip, xfail."""
        case = self.name(case)
        head = f"{self.dev}: {self.suite}: {case}"
        reason = clean(reason)
        self.results += 1
        if status == "pass":
            print(f"ok - {head}")
        elif status == "fail" and self.dev.split("/")[0] != DUT:
            # A reference device failing an upstream case is a fact for the
            # table, not an rvnet defect: reported, counted as a skip.
            self.ref_failed += 1
            print(f"ok - {head} # SKIP {REF_FAIL} {reason or 'failed'}")
        elif status == "fail":
            self.failed += 1
            print(f"not ok - {head}" + (f" # {reason}" if reason else ""))
        else:
            up = ("XFAIL " if status == "xfail" else "") + reason
            if self.dev.split("/")[0] == DUT:
                why = expected_reason(self.suite, case)
                if why is None:
                    self.failed += 1
                    print(f"not ok - {head} # unexpected skip on rvnet: {up}")
                    return
                print(f"ok - {head} # SKIP {up} (expected: {why})")
            else:
                print(f"ok - {head} # SKIP {up}")

    def finish(self, rc, expect_results=True):
        """A program that crashed, timed out or reported nothing fails."""
        if rc == 124:
            self.diag(f"{self.suite} on {self.dev}: timed out")
        if (expect_results and self.results == 0) or rc == 124 or (rc not in (0, 4) and self.failed == 0 and self.ref_failed == 0):
            self.results += 1
            print(f"not ok - {self.dev}: {self.suite}: (program) # exit={rc}, "
                  f"{self.results - 1} results")


def conv_py(em, lines):
    """Nested KTAP of ksft_run: 'ok N mod.case # SKIP|XFAIL reason'."""
    plan = None
    rx = re.compile(r"^(not )?ok (\d+) ([^ #]+)(?: # (SKIP|XFAIL)\s*(.*))?$")
    for line in lines:
        line = line.rstrip("\n")
        m = re.match(r"^1\.\.(\d+)$", line)
        if m:
            plan = int(m.group(1))
            em.diag(line)
            continue
        m = rx.match(line)
        if not m:
            em.diag(line)
            continue
        case = m.group(3).split(".", 1)[-1]
        if m.group(1):
            em.result("fail", case)
        elif m.group(4) == "SKIP":
            em.result("skip", case, m.group(5))
        elif m.group(4) == "XFAIL":
            em.result("xfail", case, m.group(5))
        else:
            em.result("pass", case)
    return plan


def conv_netdevice(em, lines):
    """netdevice.sh prints 'PASS: dev: what', 'FAIL: ...', 'SKIP: ...', 'XFAIL: ...'."""
    for line in lines:
        line = line.rstrip("\n")
        m = re.match(r"^(PASS|FAIL|SKIP|XFAIL): (.*)$", line)
        if not m:
            em.diag(line)
            continue
        what = m.group(2).replace(": ", " ")
        st = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip", "XFAIL": "xfail"}[m.group(1)]
        em.diag(line)
        em.result(st, what, "" if st == "pass" else m.group(2))


def conv_veth(em, lines):
    """veth.sh prints printf '%-60s' MSG, then ' ok ' or ' fail ...'. A
    message that starts with '- ' continues the last top-level message's
    section (text before ' - ')."""
    section = ""
    for line in lines:
        line = line.rstrip("\n")
        m = re.match(r"^(.{60})\s*(ok|fail|skip)\b\s*-?\s*(.*)$", line) if len(line) > 60 else None
        if not m:
            em.diag(line)
            continue
        msg = m.group(1).strip()
        if msg.startswith("- "):
            case = f"{section} - {msg[2:]}" if section else msg[2:]
        else:
            section = msg.split(" - ")[0].strip()
            case = msg
        st = {"ok": "pass", "fail": "fail", "skip": "skip"}[m.group(2)]
        if st != "pass":
            em.diag(line)
        em.result(st, case, m.group(3))


def conv_gate(em, lines):
    """Flat results written by our own scripts: 'ok - CASE [# SKIP reason]'."""
    rx = re.compile(r"^(not )?ok - ([^#]+?)(?: # (SKIP)?\s*(.*))?$")
    for line in lines:
        line = line.rstrip("\n")
        m = rx.match(line)
        if not m:
            em.diag(line)
            continue
        if m.group(1):
            em.result("fail", m.group(2), m.group(4) or "")
        elif m.group(3):
            em.result("skip", m.group(2), m.group(4) or "")
        else:
            em.result("pass", m.group(2))


def table(log, md=None):
    """Rows: SUITE: CASE in order of appearance; columns: the devices."""
    rx = re.compile(r"^\s*(not )?ok \d+ ([^:]+): ([^:]+): (.+?)(?: # (.*))?$")
    rows, cells, info = [], {}, []
    for line in open(log, errors="replace"):
        m = re.match(r"^\s*# upstream-info: (.*)$", line)
        if m:
            info.append(m.group(1))
            continue
        m = rx.match(line.rstrip("\n"))
        if not m:
            continue
        dev, suite, case, directive = m.group(2), m.group(3), m.group(4), m.group(5) or ""
        if dev not in DEVICES and dev.split("/")[0] not in DEVICES:
            continue
        if m.group(1):
            val = "**fail**" + (f" ({directive})" if directive else "")
        elif directive.startswith("SKIP " + REF_FAIL):
            val = "**fail** (" + directive[len("SKIP " + REF_FAIL):].strip() + ")"
        elif directive.startswith("SKIP"):
            val = f"skip ({directive[4:].strip()})"
        else:
            val = "pass"
        key = (suite, case)
        if key not in cells:
            rows.append(key)
            cells[key] = {}
        cells[key].setdefault(dev, val)
    out = []
    out.append("# Upstream selftests: rvnet side by side with veth and netdevsim")
    out.append("")
    out.append("Generated by `make upstream` (selftests/upstream/run), do not edit.")
    out.append("Each case of the kernel's own selftests (tools/testing/selftests/"
               "drivers/net and net/ of the same 6.12 source), run in one boot against "
               "rvnet, veth and netdevsim. `veth/variant` is the rvnet variant script "
               "of a veth-only upstream test run on veth, to show it mirrors the upstream "
               "result; `—` means the case does not exist for that device.")
    out.append("")
    for i in info:
        out.append(f"- {i}")
    if info:
        out.append("")
    counts = {d: {"pass": 0, "fail": 0, "skip": 0} for d in DEVICES}
    for key in rows:
        for d, v in cells[key].items():
            if d in counts:
                counts[d]["fail" if v.startswith("**fail") else v.split(" ")[0]] += 1
    out.append("| | " + " | ".join(DEVICES) + " |")
    out.append("|---|" + "---|" * len(DEVICES))
    out.append("| **total** | " + " | ".join(
        f"{counts[d]['pass']} pass, {counts[d]['fail']} fail, {counts[d]['skip']} skip"
        for d in DEVICES) + " |")
    suite_prev = None
    for suite, case in rows:
        if suite != suite_prev:
            out.append(f"| **{suite}** | | | |")
            suite_prev = suite
        c = cells[(suite, case)]
        cols = []
        for d in DEVICES:
            v = c.get(d, "—")
            var = c.get(f"{d}/variant")
            if var is not None:
                v = f"{v}; variant: {var}" if v != "—" else f"variant: {var}"
            cols.append(v.replace("|", "\\|"))
        out.append(f"| {case.replace('|', '/')} | " + " | ".join(cols) + " |")
    text = "\n".join(out) + "\n"
    if md:
        with open(md, "w") as f:
            f.write(text)
    return text


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "table":
        sys.stdout.write(table(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
        return 0
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    kind, dev, suite, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    em = Emitter(dev, suite)
    lines = sys.stdin.readlines()
    if kind == "py":
        plan = conv_py(em, lines)
        if plan is not None and em.results < plan:
            em.diag(f"{suite}: {em.results} of {plan} planned results")
            em.results = 0 if em.results == 0 else em.results
            print(f"not ok - {dev}: {suite}: (program) # {plan - em.results} planned cases missing, exit={rc}")
            return 0
    elif kind == "netdevice":
        conv_netdevice(em, lines)
    elif kind == "veth":
        conv_veth(em, lines)
    elif kind == "gate":
        conv_gate(em, lines)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    em.finish(rc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
