"""bench/run.py: make bench's driver. docker-bridge-N (bench/layout.lua)
built, checked and torn down by each tool in a fresh private world, once
the machine is idle again (the kernel finishes a world's teardown after
its processes exit: settle()), the tools' order rotated per repetition; then medians, and ratios taken within
each repetition (the machine is shared: compare ratios, not seconds).

    /usr/bin/python3 bench/run.py [--n "10 100 1000 2000"] [--reps 3]
                                  [--tools "raw friendly docker ip batch pyroute2 mininet"]
                                  [--out DIR] [--settle SECONDS]

Per tool, N and repetition: the phase times the tool prints ("bench {...}"),
and from wait4 on the tool's world (every process in it is waited for):
user and system CPU of all of them, peak RSS of the largest one. Each
repetition also runs a full mesh of 100 through nslab (bench/tools/mesh.lua)
and, per N, the kernel's teardown after nslab exits (bench/tools/afterlife.py),
and check.matrix over about 1,000 cells (bench/matrix.lua: icmp, tcp, udp
32 x 32, icmp 10 x 106; the target is 0.2 s each).
Writes build/bench/results.json and build/bench/results.md (or in --out DIR)
and prints the tables. spec/bench_spec.lua runs it at N = 4 (two bridges,
static entries) so that make test sees every tool still builds, checks
and tears down docker-bridge-N.
"""
import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"  # Debian's, where python3-pyroute2 and mininet live
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NSLAB = os.environ.get("NSLAB") or os.path.join(ROOT, "bin", "nslab")  # bench_spec: the build under test
SANDBOX = [NSLAB, "sandbox", "--", PY, os.path.join(ROOT, "bench", "tools", "rusage.py")]
T = os.path.join(ROOT, "bench", "tools")

TOOLS = {  # name: (what it is, argv before N)
    "raw": ("nslab raw core", [NSLAB, "lua", os.path.join(ROOT, "bench", "docker_bridge.lua")]),
    "rawc": ("nslab raw core + container processes",
             [NSLAB, "lua", os.path.join(ROOT, "bench", "docker_bridge.lua"), "--containers"]),
    "friendly": ("nslab friendly API", [NSLAB, "lua", os.path.join(T, "friendly.lua")]),
    "docker": ("nslab docker.run", [NSLAB, "lua", os.path.join(T, "docker.lua")]),
    "ip": ("one `ip` per step", SANDBOX + ["bash", os.path.join(T, "ip.sh")]),
    "batch": ("`ip -batch`, IPv6 off", SANDBOX + ["bash", os.path.join(T, "batch.sh")]),
    "pyroute2": ("pyroute2", SANDBOX + [PY, os.path.join(T, "pyroute2_bench.py")]),
    "mininet": ("Mininet, Linux bridge", SANDBOX + [PY, os.path.join(T, "mininet_bench.py")]),
}
MESH = [NSLAB, "lua", os.path.join(T, "mesh.lua"), "100"]
MATRIX = [NSLAB, "lua", os.path.join(ROOT, "bench", "matrix.lua"), "32"]
MATRIX_CASES = ("icmp", "tcp", "udp", "icmp_wide")
AFTERLIFE = [NSLAB, "sandbox", "--", PY, os.path.join(T, "afterlife.py"), NSLAB]
TIMEOUT = 1800  # seconds per tool run
SETTLE = [20]  # seconds at most waiting for the previous run's kernel work (settle; --settle)
# Mininet takes about 10 minutes per run at N = 1000 on this machine kind
# (a shell per host, veth ends moved one by one, links deleted one by one):
# from ONCE_FROM containers on it runs in the first repetition only.
ONCE, ONCE_FROM = ("mininet",), 1000
# ... and past MAX_N it is not run at all (its time grows faster than N:
# a run at 2000 would take most of an hour).
MAX_N = {"mininet": 1000}


def installed(exe):
    return any(os.access(os.path.join(d, exe), os.X_OK) for d in os.environ["PATH"].split(":") + ["/usr/sbin"])


def unavailable(tool):
    """Why a tool cannot run here, or None."""
    if tool in ("ip", "batch", "pyroute2", "mininet") and not installed("fping"):
        return "fping is missing (Debian package fping): the check of layout.sh and layout.py"
    if tool == "mininet":
        r = subprocess.run([PY, "-c", "import mininet.net, mininet.nodelib"], capture_output=True)
        if r.returncode != 0:
            return "python3 cannot import mininet (Debian package mininet)"
        for exe in ("mnexec", "brctl"):
            if not installed(exe):
                return exe + " is missing"
    if tool == "pyroute2" and subprocess.run([PY, "-c", "import pyroute2"], capture_output=True).returncode:
        return "python3 cannot import pyroute2 (Debian package python3-pyroute2)"
    return None


def cpu_times():
    """(all, idle) jiffies of the machine so far (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]


def settle(limit=None):
    """Wait until the machine is idle (at least 95 % idle in 3 windows of
    0.1 s in a row), at most limit seconds; returns the seconds waited.
    A world's teardown goes on in the kernel after its last process has
    exited (about 1.5 s at N = 1000, the afterlife figure): without this
    the tool that runs next pays for it, whichever it is."""
    limit = SETTLE[0] if limit is None else limit
    start, calm = time.monotonic(), 0
    while calm < 3 and time.monotonic() - start < limit:
        a = cpu_times()
        time.sleep(0.1)
        b = cpu_times()
        calm = calm + 1 if (b[1] - a[1]) >= 0.95 * max(1, b[0] - a[0]) else 0
    return time.monotonic() - start


def measure(argv):
    """Run argv after settle(); its "bench {...}" line plus CPU and peak RSS
    of its tree, and how long it waited for the machine to settle."""
    settled = settle()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=ROOT,
                             start_new_session=True)
        deadline = start + TIMEOUT
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(p.pid, signal.SIGKILL)
            time.sleep(0.01)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        lines = [l for l in out.read().splitlines() if l.startswith("bench {")]
        out.seek(0)
        r = json.loads(lines[-1][6:]) if lines else {}
        r.update(settled=settled, wall=wall, user=ru.ru_utime, sys=ru.ru_stime, rss_mb=ru.ru_maxrss / 1024,
                 status=os.waitstatus_to_exitcode(status))
        inner = [l for l in out.read().splitlines() if l.startswith("bench-rusage {")]
        if inner:  # the tool's own tree, without the world's nslab process (tools/rusage.py)
            r.update(json.loads(inner[-1][13:]))
        if not lines or r["status"] != 0:
            r["error"] = (err.read().strip().splitlines() or ["exit %s" % r["status"]])[-1][:300]
        if "probes" in r:
            r["failed"] = r["probes"] - r["answered"]
        return r


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", default="10 100 1000 2000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tools", default=" ".join(TOOLS))
    ap.add_argument("--no-extras", action="store_true", help="skip the mesh and the afterlife runs")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"), help="where results.json and .md go")
    ap.add_argument("--settle", type=float, default=SETTLE[0],
                    help="seconds at most waiting for the machine to be idle before each run")
    ap.add_argument("--summarize", metavar="JSON", help="only redo the medians, ratios and tables of a results file")
    a = ap.parse_args()
    SETTLE[0] = a.settle
    if a.summarize:
        with open(a.summarize) as f:
            old = json.load(f)
        a.n, a.reps, a.tools = " ".join(str(n) for n in sorted({r["n"] for r in old["runs"]})), \
            max(r["rep"] for r in old["runs"]), " ".join(old["tools"])
        a.no_extras = not old["extras"]
        print(save(old["runs"], old["extras"], [int(x) for x in a.n.split()], a.tools.split(), a,
                   old.get("skipped", {}), old))
        return
    ns = [int(x) for x in a.n.split()]
    tools = a.tools.split()
    for t in tools:
        if t not in TOOLS:
            sys.exit("bench: unknown tool %s (%s)" % (t, " ".join(TOOLS)))
    if "raw" not in tools:
        tools.insert(0, "raw")  # every ratio is against it
    skipped = {t: why for t in tools if (why := unavailable(t))}
    tools = [t for t in tools if t not in skipped]
    for t, why in skipped.items():
        print("bench: skipping %s: %s" % (t, why), flush=True)
    runs, extras = [], []
    for n in ns:
        for rep in range(a.reps):
            order = tools[rep % len(tools):] + tools[:rep % len(tools)]
            for pos, tool in enumerate(order):
                if tool in ONCE and n >= ONCE_FROM and rep > 0:
                    continue
                if n > MAX_N.get(tool, n):
                    continue
                r = measure(TOOLS[tool][1] + [str(n)])
                r.update(tool=tool, n=n, rep=rep + 1, position=pos + 1)
                if r.get("setup") is not None:  # ready to check: docker.run pins its entries in setup
                    r["ready"] = r["setup"] + (r.get("static") or 0)
                runs.append(r)
                print("bench: N=%d rep %d %-9s setup %s check %s teardown %s failed %s%s" % (
                    n, rep + 1, tool, fmt(r.get("setup")), fmt(r.get("check")), fmt(r.get("teardown")),
                    r.get("failed", "-"), "  ERROR " + r["error"] if "error" in r else ""), flush=True)
            if not a.no_extras:
                r = measure(AFTERLIFE + [str(n)])
                r.update(tool="afterlife", n=n, rep=rep + 1)
                extras.append(r)
                print("bench: N=%d rep %d afterlife exit %s, last veth gone %s later" % (
                    n, rep + 1, fmt(r.get("exit")), fmt(r.get("gone"))), flush=True)
            save(runs, extras, ns, tools, a, skipped)  # what is there so far, should a later run fail
    if not a.no_extras:
        for rep in range(a.reps):
            r = measure(MESH)
            r.update(tool="mesh", n=100, rep=rep + 1)
            extras.append(r)
            print("bench: mesh of 100 rep %d: check %s, failed %s" % (rep + 1, fmt(r.get("check")),
                                                                      r.get("failed")), flush=True)
        for rep in range(a.reps):
            r = measure(MATRIX)
            r.update(tool="matrix", n=32, rep=rep + 1)
            extras.append(r)
            print("bench: check.matrix rep %d: %s, failed %s%s" % (
                rep + 1, ", ".join("%s %s s" % (k, fmt(r.get(k))) for k in MATRIX_CASES), r.get("failed"),
                "  ERROR " + r["error"] if "error" in r else ""), flush=True)
    print("\n" + save(runs, extras, ns, tools, a, skipped))


def save(runs, extras, ns, tools, a, skipped, old=None):
    """Write results.json and results.md from the runs so far; returns the markdown."""
    results = summarize(runs, extras, ns, tools, a)
    results["skipped"] = skipped
    if old:  # a summary redone: the run's own command and date
        results.update(command=old["command"], date=old["date"], notes=old.get("notes", []))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = markdown(results)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    return md


def fmt(x, digits=3):
    if x is None:
        return "-"
    return ("%." + str(digits) + "f") % x if isinstance(x, float) else str(x)


FIGURES = ("setup", "static", "ready", "check", "teardown", "probes", "answered", "failed", "user", "sys", "rss_mb", "wall",
           "own_user", "own_sys")


def summarize(runs, extras, ns, tools, a):
    """Medians per tool and N; ratios within each repetition, then their median."""
    def pick(tool, n, rep=None, rows=runs):
        return [r for r in rows if r["tool"] == tool and r["n"] == n and (rep is None or r["rep"] == rep)]

    medians, ratios = {}, {}
    for n in ns:
        for tool in tools:
            rows = pick(tool, n)
            medians["%s/%d" % (tool, n)] = {k: median([r.get(k) for r in rows]) for k in FIGURES}
        for x in ("afterlife", "mesh", "matrix"):
            rows = pick(x, {"afterlife": n, "mesh": 100, "matrix": 32}[x], rows=extras)
            if rows:
                medians["%s/%d" % (x, rows[0]["n"])] = {k: median([r.get(k) for r in rows])
                                                       for k in ("exit", "gone", "left", "setup", "static", "check",
                                                                 "probes", "failed", "user", "sys", "rss_mb")
                                                       + MATRIX_CASES + tuple(c + "_cells" for c in MATRIX_CASES)}

    def ratio(num, den, n, key="setup", n_den=None):
        vals = []
        for rep in range(1, a.reps + 1):
            x, y = pick(num, n, rep), pick(den, n_den or n, rep)
            if x and y and x[0].get(key) and y[0].get(key):
                vals.append(x[0][key] / y[0][key])
        return median(vals)

    for n in ns:
        for tool in tools:
            ratios["%s/raw/%d" % (tool, n)] = ratio(tool, "raw", n)
            ratios["%s/raw/%d/ready" % (tool, n)] = ratio(tool, "raw", n, key="ready")
        if "docker" in tools and "rawc" in tools:  # over the same kernel work
            ratios["docker/rawc/%d" % n] = ratio("docker", "rawc", n)
            ratios["docker/rawc/%d/ready" % n] = ratio("docker", "rawc", n, key="ready")
        for other in ("batch", "pyroute2", "ip", "mininet"):
            if other in tools and "docker" in tools:
                ratios["%s/docker/%d" % (other, n)] = ratio(other, "docker", n)  # how many times faster docker is
                ratios["%s/docker/%d/ready" % (other, n)] = ratio(other, "docker", n, key="ready")
    if 1000 in ns and 2000 in ns:
        for tool in tools:
            ratios["%s/%s/2000:1000" % (tool, tool)] = ratio(tool, tool, 2000, n_den=1000)
    return {"command": "make bench N=%s REPS=%d TOOLS=%s" % (shlex.quote(a.n), a.reps, shlex.quote(" ".join(tools))),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "uname": os.uname().release,
            "cpus": os.cpu_count(), "tools": {t: TOOLS[t][0] for t in tools}, "runs": runs, "extras": extras,
            "medians": medians, "ratios": ratios}


def markdown(res):
    med, rat = res["medians"], res["ratios"]
    ns = sorted({r["n"] for r in res["runs"]})
    reps = {r["rep"] for r in res["runs"]}
    out = ["docker-bridge-N, medians of %d repetitions (tools in rotated order, each in a fresh world); "
           "×raw: setup time over the raw core's in the same repetition, median of those ratios; "
           "ready = setup + static entries (docker.run pins its own entries during setup)."
           % max(r["rep"] for r in res["runs"]), "",
           "| N | tool | setup s | ×raw | ready ×raw | static s | check s | failed/probes | teardown s | user s "
           "| nslab's own user s | sys s | peak RSS MB |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n in ns:
        for tool in res["tools"]:
            if n > MAX_N.get(tool, n):
                continue  # not run (said below the table)
            m = med.get("%s/%d" % (tool, n))
            if not m or m["setup"] is None:
                out.append("| %d | %s | failed | | | | | | | | | | |" % (n, res["tools"][tool]))
                continue
            out.append("| %d | %s | %s | %s | %s | %s | %s | %s/%s | %s | %s | %s | %s | %.1f |" % (
                n, res["tools"][tool], fmt(m["setup"], 2), fmt(rat.get("%s/raw/%d" % (tool, n)), 2),
                fmt(rat.get("%s/raw/%d/ready" % (tool, n)), 2),
                fmt(m["static"], 2), fmt(m["check"], 3), fmt(m["failed"], 0), fmt(m["probes"], 0),
                fmt(m["teardown"], 2), fmt(m["user"], 2), fmt(m.get("own_user"), 2), fmt(m["sys"], 2),
                m["rss_mb"] or 0))
    out += ["", "docker.run is this many times faster (ratio within each repetition, median), setup alone / ready to "
            "check (setup + static entries: the same work for every tool, as docker.run pins its entries during setup):",
            "", "| N | " + " | ".join("vs " + t for t in ("batch", "pyroute2", "ip", "mininet")) + " |",
            "|---|---|---|---|---|"]
    for n in ns:
        out.append("| %d | %s |" % (n, " | ".join("%s / %s" % (fmt(rat.get("%s/docker/%d" % (t, n)), 1),
                                                                fmt(rat.get("%s/docker/%d/ready" % (t, n)), 1))
                                                 for t in ("batch", "pyroute2", "ip", "mininet"))))
    if any(rat.get("docker/rawc/%d" % n) for n in ns):
        out += ["", "docker.run over the raw core doing the same kernel work (container processes too, rawc): " +
                ", ".join("N=%d setup %s, ready %s" % (n, fmt(rat.get("docker/rawc/%d" % n), 2),
                                                       fmt(rat.get("docker/rawc/%d/ready" % n), 2))
                          for n in ns if rat.get("docker/rawc/%d" % n))]
    flat = [(t, rat.get("%s/%s/2000:1000" % (t, t))) for t in res["tools"]]
    if any(v for _, v in flat):
        out += ["", "Cost per container: setup(2000) / setup(1000): " +
                ", ".join("%s %s" % (t, fmt(v, 2)) for t, v in flat if v)]
    share = []
    for n in ns:
        cells = []
        for tool in res["tools"]:
            m = med.get("%s/%d" % (tool, n))
            if not m or not m.get("user") or not m.get("wall"):
                continue
            own = " (nslab's own process %.0f %%)" % (100 * m["own_user"] / m["wall"]) if m.get("own_user") else ""
            cells.append("%s %.0f %%%s" % (tool, 100 * m["user"] / m["wall"], own))
        if cells:
            share.append("N=%d: %s" % (n, ", ".join(cells)))
    if share:
        out += ["", "User CPU over the run's wall time, the whole process tree (nslab's own process apart: the rest is "
                "its container processes, whose few hundred microseconds each the kernel books as user time): "
                + "; ".join(share)]
    extra = [(k, v) for k, v in med.items() if k.startswith(("afterlife/", "mesh/", "matrix/"))]
    if extra:
        out += ["", "| extra | figures (medians) |", "|---|---|"]
        for k, v in sorted(extra, key=lambda kv: (kv[0].split("/")[0], int(kv[0].split("/")[1]))):
            if k.startswith("matrix/"):
                out.append("| matrix: check.matrix over about 1,000 cells (target 0.2 s each) | %s; %s failed |" % (
                    ", ".join("%s %s cells %s s" % ({"icmp_wide": "icmp 10×106"}.get(c, c + " 32×32"),
                                                  fmt(v.get(c + "_cells"), 0), fmt(v.get(c)))
                              for c in MATRIX_CASES), fmt(v.get("failed"), 0)))
            elif k.startswith("mesh/"):
                out.append("| full mesh of 100 through nslab (docker.run + check.mesh) | check %s s, %s of %s probes "
                           "failed (setup %s s, static entries %s s) |" % (
                               fmt(v["check"]), fmt(v["failed"], 0), fmt(v["probes"], 0), fmt(v["setup"], 2),
                               fmt(v["static"], 2)))
            else:
                out.append("| kernel teardown after nslab exits, raw core N=%s | exit %s s, then %s s until no veth "
                           "is left (the first dump after the exit saw %s) |" % (k.split("/")[1], fmt(v["exit"]), fmt(v["gone"]),
                                                      fmt(v["left"], 0)))
    if any(len({r["rep"] for r in res["runs"] if r["tool"] == t and r["n"] == n}) == 1 < len(reps)
           for t in ONCE for n in ns if n >= ONCE_FROM):
        out += ["", "%s from N = %d: the first repetition only (about 10 minutes per run here)."
                % (", ".join(res["tools"][t] for t in ONCE if t in res["tools"]), ONCE_FROM)]
    for t, most in MAX_N.items():
        if t in res["tools"] and any(n > most for n in ns):
            out += ["", "%s: not run past N = %d (a run would take most of an hour here)." % (res["tools"][t], most)]
    if res.get("skipped"):
        out += [""] + ["Skipped: %s (%s)." % kv for kv in res["skipped"].items()]
    out += [""] + res.get("notes", []) if res.get("notes") else []
    out += ["", "Made by `%s` on %s (kernel %s, %d CPUs)." % (res["command"], res["date"], res["uname"], res["cpus"])]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
