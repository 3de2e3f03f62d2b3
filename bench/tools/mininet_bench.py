"""bench/tools/mininet_bench.py N: docker-bridge-N (bench/layout.lua) with
Mininet (Debian mininet 2.3): Linux bridge switches (LinuxBridge, one per
1000 hosts), no controller, hosts with layout.py's address, MAC and default
route via the bridge's address. Static entries past 500 hosts through each
host's shell (Mininet's staticArp would add all N*N pairs), then
layout.py's check run in the first host's shell; teardown: net.stop().

    bin/nslab sandbox -- /usr/bin/python3 bench/tools/mininet_bench.py 100
"""
import sys

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.nodelib import LinuxBridge

import layout as L

n = int(sys.argv[1])
setLogLevel("error")
ph = L.Phases()
with ph.timed("setup"):
    net = Mininet(switch=LinuxBridge, controller=None, build=False, autoSetMacs=False, waitConnected=False)
    switches = [net.addSwitch("s%d" % (b + 1), stp=False) for b in range(L.bridges(n))]
    hosts = [None]
    for i in range(1, n + 1):
        b = L.bridge_of(i)
        h = net.addHost("c%d" % i, ip=L.ip(i) + "/16", mac=L.mac(i), defaultRoute="via " + L.gateway(b))
        net.addLink(h, switches[b])
        hosts.append(h)
    net.build()
    net.start()
    for b, s in enumerate(switches):
        s.cmd("ip addr add %s/16 dev %s" % (L.gateway(b), s.name))

with ph.timed("static"):
    if n >= L.STATIC_MIN:
        for f, j in L.probes(n):
            for a, b in ((f, j), (j, f)):
                h = hosts[a]
                h.cmd("ip neigh replace %s lladdr %s dev %s nud permanent" % (L.ip(b), L.mac(b), h.defaultIntf()))
        for i in range(1, n + 1):
            s = switches[L.bridge_of(i)]
            port = hosts[i].defaultIntf().link.intf2
            s.cmd("bridge fdb replace %s dev %s master static" % (L.mac(i), port))

with ph.timed("check"):
    probes, answered = L.check(n, lambda i, argv: hosts[i].cmd(" ".join(argv) + " 2>/dev/null"))

with ph.timed("teardown"):
    net.stop()
ph.report(probes, answered)
