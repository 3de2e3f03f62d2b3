-- A container reaches the internet through the host's MASQUERADE: seed 001.
--
--   the host:      eth0 198.51.100.2/24, default via 198.51.100.1
--   the internet:  a namespace with 198.51.100.1 and a server 203.0.113.10,
--                  and no route back to 172.17.0.0/16 (private addresses
--                  are not routed on the internet)
--   dockerd:       ip_forward=1, ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
lab "nat: from a container to the internet"

section "The internet, behind the host's eth0"
step("the internet namespace, wired to the host's eth0", function()
  internet = netns.add "internet"
  internet:link("lo"):up()
  eth0, isp0 = host:veth("eth0", "isp0", { peer_netns = internet })
  eth0:addr_add("198.51.100.2/24")
  isp0:addr_add("198.51.100.1/24")
  internet:link("lo"):addr_add("203.0.113.10/32") -- the server
  eth0:up()
  isp0:up()
  host:route_add{ dst = "default", via = "198.51.100.1" }
end)
check.ok(eth0:wait("UP") and isp0:wait("UP"), "the host's eth0 is UP")
check.reachable(host, "203.0.113.10")

section "dockerd and a container on docker0"
step("dockerd starts (ip_forward, NAT and FORWARD rules); docker run --name test1", function()
  test1 = docker.run{ name = "test1" }
end)
check.equal(host:sysctl("net.ipv4.ip_forward"), "1", "net.ipv4.ip_forward = 1")
show(host:nft_ruleset())
local function masquerade_rule()
  for _, r in ipairs(docker.daemon().firewall.nat_postrouting:rules()) do
    if r.plain:find("masquerade", 1, true) then return r end
  end
end
check.equal(masquerade_rule().plain, 'ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade',
            "POSTROUTING: ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade")

section "With MASQUERADE: the internet sees the host"
check.reachable(test1.netns, "203.0.113.10")
local server = internet:tcp_listen("203.0.113.10", 80)
local client = test1.netns:tcp_connect("203.0.113.10", 80, { timeout = 2 })
local conn, peer = server:accept(2)
check.equal(peer, "198.51.100.2", "the server sees the TCP connection come from the host's 198.51.100.2")
client:send("GET / HTTP/1.0\r\n\r\n")
check.equal(conn:recv(100, 2), "GET / HTTP/1.0\r\n\r\n", "and the request arrives")
conn:close(); client:close()
local dns = internet:udp_bind("203.0.113.10", 53)
local asker = test1.netns:udp_send("203.0.113.10", 53, "query")
local data, from, port = dns:recvfrom(100, 2)
check.equal({ data, from }, { "query", "198.51.100.2" }, "a UDP datagram arrives from 198.51.100.2 too")
dns:sendto("answer", from, port)
check.equal(asker:recvfrom(100, 2), "answer", "and the answer finds its way back to the container")
local rewritten = masquerade_rule().packets
check.ok(rewritten >= 3, ("the masquerade rule's counter shows %d connections it rewrote"):format(rewritten))

section "On the wire: the source rewritten between docker0 and eth0"
step("capture on docker0 and on the host's eth0 while test1 pings and connects to 203.0.113.10:80", function()
  on_docker0 = host:link("docker0"):capture{ filter = "icmp or tcp port 80" }
  on_eth0 = eth0:capture{ filter = "icmp or tcp port 80" }
  test1.netns:ping("203.0.113.10")
  local c = test1.netns:tcp_connect("203.0.113.10", 80, { timeout = 2 })
  server:accept(2):close()
  c:close()
end)
local function first(cap, pattern) return cap:find(pattern)[1] or {} end
local syn_in = first(on_docker0, { dir = "in", tcp = { flags = "S", dport = 80 } })
local syn_out = first(on_eth0, { dir = "out", tcp = { flags = "S", dport = 80 } })
for _, p in ipairs{ syn_in, syn_out } do if p.text then show(tostring(p)) end end
check.equal((syn_in.ip or {}).src, "172.17.0.2", "the SYN came into docker0 from the container's 172.17.0.2")
check.equal((syn_out.ip or {}).src, "198.51.100.2", "and left the host's eth0 with source 198.51.100.2")
local echo_out = first(on_eth0, { dir = "out", icmp = { type = 8 } })
check.equal((echo_out.ip or {}).src, "198.51.100.2", "the echo request left eth0 with source 198.51.100.2 too")
local reply_in = first(on_eth0, { dir = "in", icmp = { type = 0 } })
local reply_back = first(on_docker0, { dir = "out", icmp = { type = 0 } })
check.equal({ (reply_in.ip or {}).dst, (reply_back.ip or {}).dst }, { "198.51.100.2", "172.17.0.2" },
            "its reply came to 198.51.100.2 and went on to 172.17.0.2 (the rewrite undone)")
on_docker0:stop()
on_eth0:stop()

section "Without MASQUERADE: the reply never comes back"
step("nft delete rule ip nat POSTROUTING handle N (the masquerade rule)", function()
  docker.daemon().firewall.nat_postrouting:delete_rule(masquerade_rule().handle)
end)
check.unreachable(test1.netns, "203.0.113.10", { timeout = 1 })
local report
step('why? check.why(test1, "203.0.113.10"): the request arrives, the reply does not come back', function()
  report = check.why(test1, "203.0.113.10")
  show(report)
end)
check.ok(report.arrived, "the diagnosis follows the request to the internet")
check.match(report.cause, "the reply has no way back: no route to 172.17.0.2 in internet",
            "and shows the internet's route lookup for the private source 172.17.0.2 failing")
check.raises(function() test1.netns:tcp_connect("203.0.113.10", 80, { timeout = 1 }) end,
             "timed out", "a TCP connection no longer completes (the SYN-ACK has no way back)")
test1.netns:udp_send("203.0.113.10", 53, "query")
local _, private = dns:recvfrom(100, 2)
check.equal(private, "172.17.0.2", "the internet sees the container's private address 172.17.0.2")

section "On the wire without MASQUERADE: the private source leaves the host"
step("capture on the host's eth0 while test1 pings 203.0.113.10", function()
  on_eth0 = eth0:capture{ filter = "icmp" }
  test1.netns:ping("203.0.113.10")
end)
local leaked = on_eth0:find{ dir = "out", icmp = { type = 8 } }[1] or {}
if leaked.text then show(tostring(leaked)) end
check.equal((leaked.ip or {}).src, "172.17.0.2", "the echo request left eth0 with the private source 172.17.0.2")
check.equal(#on_eth0:find{ dir = "in", icmp = { type = 0 } }, 0, "and no reply came back to eth0")
on_eth0:stop()
