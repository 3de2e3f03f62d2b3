"""bench/tools/afterlife.py NSLAB N [TOOL]: how long the kernel goes on
tearing a world down after nslab has exited.

nslab's exit is quick: closing a namespace's last descriptor (or killing
its last process) only queues the namespace for the kernel's cleanup_net
worker, which unregisters its devices later, one RTNL section at a time.
To watch that, this script starts `nslab lua bench/docker_bridge.lua N hold`
(TOOL "docker": bench/tools/docker.lua), waits until it has built
docker-bridge-N, opens the world's top network namespace through
/proc/PID/ns/net (holding it, so the bridges stay and there is something to
look at), tells nslab to exit and then, from inside that namespace, dumps
its links every 2 ms: each veth's host end disappears when the kernel has
destroyed the container namespace at its other end. Prints "bench {exit,
gone, left}": seconds from the request to nslab's exit, seconds from the
exit until no veth is left, and how many the first dump after the exit saw
(a dump waits for the lock the cleanup holds). Runs inside
a private world (bin/nslab sandbox); needs pyroute2 for the dump.
"""
import ctypes
import json
import os
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
nslab, n = sys.argv[1], sys.argv[2]
tool = sys.argv[3] if len(sys.argv) > 3 else "raw"
here = os.path.dirname(os.path.abspath(__file__))
script = os.path.join(here, "..", "docker_bridge.lua") if tool == "raw" else os.path.join(here, tool + ".lua")
p = subprocess.Popen([nslab, "lua", script, n, "hold"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    if line.strip() == "bench held":
        break
else:
    sys.exit("afterlife: %s did not get to its hold" % script)
world = os.open("/proc/%d/ns/net" % p.pid, os.O_RDONLY)
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(world, CLONE_NEWNET) != 0:
    sys.exit("afterlife: setns: %s" % os.strerror(ctypes.get_errno()))
from pyroute2 import IPRoute  # noqa: E402 (its socket must be made inside the world)
from pyroute2.netlink.exceptions import NetlinkDumpInterrupted  # noqa: E402

ipr = IPRoute()


def veths():
    while True:
        try:
            links = ipr.get_links()
            break
        except NetlinkDumpInterrupted:  # links went while it was dumped: dump again
            pass
    k = 0
    for link in links:
        info = link.get_attr("IFLA_LINKINFO")
        if info is not None and info.get_attr("IFLA_INFO_KIND") == "veth":
            k += 1
    return k


t = time.monotonic()
p.stdin.write("\n")
p.stdin.close()
p.wait()
exited = time.monotonic()
left = veths()
while veths() > 0:
    time.sleep(0.002)
gone = time.monotonic()
print("bench " + json.dumps({"exit": exited - t, "gone": gone - exited, "left": left}), flush=True)
