"""bench/tools/layout.py: bench/layout.lua's numbering for the Python tools.

Container i (1..N) is on bridge b = (i-1) // 1000 (172.(17+b).0.1/16); see
layout.lua for the static entries and the check."""
import json
import os
import subprocess
import tempfile
import time

PER_BRIDGE = int(os.environ.get("BENCH_PER_BRIDGE", 1000))
STATIC_MIN = int(os.environ.get("BENCH_STATIC_MIN", 500))


def bridges(n):
    return (n + PER_BRIDGE - 1) // PER_BRIDGE


def bridge_of(i):
    return (i - 1) // PER_BRIDGE


def first(b):
    return b * PER_BRIDGE + 1


def gateway(b):
    return "172.%d.0.1" % (17 + b)


def ip(i):
    h = (i - 1) % PER_BRIDGE + 2
    return "172.%d.%d.%d" % (17 + bridge_of(i), h >> 8, h & 255)


def mac(i):
    h = (i - 1) % PER_BRIDGE + 2
    return "02:42:ac:%02x:%02x:%02x" % (17 + bridge_of(i), h >> 8, h & 255)


def probes(n):
    """(first member, other member) of every bridge, the check's probes."""
    out = []
    for b in range(bridges(n)):
        f = first(b)
        out += [(f, j) for j in range(f + 1, min(n, f + PER_BRIDGE - 1) + 1)]
    return out


def check(n, run_in=None):
    """layout.sh's check: one fping from each bridge's first member to the
    others (up to 3 echoes, 1 ms apart). run_in(i, argv) runs argv in
    container i (default: ip netns exec cI). Returns (probes, answered)."""
    run_in = run_in or (lambda i, argv: subprocess.run(["ip", "netns", "exec", "c%d" % i] + argv,
                                                       capture_output=True, text=True).stdout)
    total = answered = 0
    for b in range(bridges(n)):
        targets = [ip(j) for f, j in probes(n) if f == first(b)]
        total += len(targets)
        # the targets in a file: a Mininet host's shell reads its commands
        # through a pty, whose lines end at 4096 characters
        with tempfile.NamedTemporaryFile("w", prefix="bench-targets.", suffix=".txt") as f:
            f.write("\n".join(targets) + "\n")
            f.flush()
            out = run_in(first(b), ["fping", "-a", "-r", "2", "-t", "500", "-i", "1", "-f", f.name])
        answered += len(out.split())
    return total, answered


class Phases:
    """Wall time per phase: with phases.timed("setup"): ..."""

    def __init__(self):
        self.r = {}

    def timed(self, name):
        phases = self

        class Timer:
            def __enter__(self):
                self.t = time.monotonic()

            def __exit__(self, *exc):
                phases.r[name] = time.monotonic() - self.t

        return Timer()

    def report(self, probes_, answered):
        self.r.update(probes=probes_, answered=answered)
        print("bench " + json.dumps(self.r), flush=True)
