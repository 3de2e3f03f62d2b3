"""bench/tools/pyroute2_bench.py N: docker-bridge-N (bench/layout.lua) with
pyroute2 (Debian python3-pyroute2) the way its documentation shows it: one
IPRoute in the host, a NetNS per namespace (opened, used, closed), IPv6
left on. Static entries past 500 containers, layout.py's check; teardown:
netns.remove each, then the bridges. Run it inside a private world:

    bin/nslab sandbox -- /usr/bin/python3 bench/tools/pyroute2_bench.py 100
"""
import sys

from pyroute2 import IPRoute, NetNS, netns
from pyroute2.netlink.rtnl import ndmsg
from socket import AF_BRIDGE

import layout as L

n = int(sys.argv[1])
ph = L.Phases()
ipr = IPRoute()
with ph.timed("setup"):
    brs = []
    for b in range(L.bridges(n)):
        ipr.link("add", ifname="br%d" % b, kind="bridge")
        br = ipr.link_lookup(ifname="br%d" % b)[0]
        ipr.addr("add", index=br, address=L.gateway(b), mask=16)
        ipr.link("set", index=br, state="up")
        brs.append(br)
    for i in range(1, n + 1):
        name = "c%d" % i
        netns.create(name)
        ipr.link("add", ifname="v%d" % i, kind="veth", peer={"ifname": "eth0", "net_ns_fd": name})
        ns = NetNS(name)
        eth0 = ns.link_lookup(ifname="eth0")[0]
        ns.link("set", index=eth0, address=L.mac(i))
        ns.addr("add", index=eth0, address=L.ip(i), mask=16)
        ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
        ns.link("set", index=eth0, state="up")
        ns.route("add", dst="0.0.0.0/0", gateway=L.gateway(L.bridge_of(i)))
        ns.close()
        port = ipr.link_lookup(ifname="v%d" % i)[0]
        ipr.link("set", index=port, master=brs[L.bridge_of(i)])
        ipr.link("set", index=port, state="up")

with ph.timed("static"):
    if n >= L.STATIC_MIN:
        for f, j in L.probes(n):
            for a, b in ((f, j), (j, f)):
                ns = NetNS("c%d" % a)
                ns.neigh("replace", dst=L.ip(b), lladdr=L.mac(b), ifindex=ns.link_lookup(ifname="eth0")[0],
                         state=ndmsg.states["permanent"])
                ns.close()
        for i in range(1, n + 1):  # bridge fdb add MAC dev vI master static
            ipr.neigh("replace", family=AF_BRIDGE, ifindex=ipr.link_lookup(ifname="v%d" % i)[0],
                      lladdr=L.mac(i), state=ndmsg.states["noarp"], flags=ndmsg.flags["master"])

with ph.timed("check"):
    probes, answered = L.check(n)

with ph.timed("teardown"):
    for i in range(1, n + 1):
        netns.remove("c%d" % i)
    for br in brs:
        ipr.link("del", index=br)
ipr.close()
ph.report(probes, answered)
