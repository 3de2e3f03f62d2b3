-- Publishing a port: docker run -p 8080:80.
--
-- Docker DNATs the host's port 8080 to the container's port 80 (nat
-- DOCKER chain) and lets it through FORWARD (filter DOCKER chain). An
-- outside client reaches the host's address at 8080, and so does the host
-- itself; a port that was not published is not reachable. check.matrix
-- then probes the whole policy at once.
lab "portmap: docker run -p 8080:80"

section "An outside client, on the host's eth0"
step("namespace client 198.51.100.1, the host's eth0 198.51.100.2", function()
  client = netns.add "client"
  eth0, wire = host:veth("eth0", "eth0", { peer_netns = client })
  eth0:addr_add("198.51.100.2/24")
  wire:addr_add("198.51.100.1/24")
  eth0:up()
  wire:up()
end)
check.ok(eth0:wait("UP") and wire:wait("UP"), "the wire is up")

section "A web server in a container, port 80 published on 8080"
step("docker run --name web -p 8080:80; a TCP listener on :80 inside", function()
  web = docker.run{ name = "web", publish = "8080:80" }
  server = web.netns:tcp_listen("0.0.0.0", 80)
end)
show(host:nft_ruleset())

section "From outside: 198.51.100.2:8080 is the container's :80"
local c = client:tcp_connect("198.51.100.2", 8080, { timeout = 2 })
local conn, peer = server:accept(2)
check.equal(peer, "198.51.100.1", "the container accepts the connection, from the client's own address")
c:send("hello")
check.equal(conn:recv(100, 2), "hello", "data flows")
c:close(); conn:close()

section "From the host itself"
local h = host:tcp_connect("198.51.100.2", 8080, { timeout = 2 })
local conn2 = server:accept(2)
check.ok(conn2 ~= nil, "the host reaches its own 198.51.100.2:8080 and lands in the container")
h:close(); conn2:close()

section "Only the host's own addresses are translated"
step("the client serves its own :8080", function() client_server = client:tcp_listen("198.51.100.1", 8080) end)
local out = host:tcp_connect("198.51.100.1", 8080, { timeout = 2 })
local _, who = client_server:accept(2)
check.equal(who, "198.51.100.2",
            "the host reaching 198.51.100.1:8080 gets the client, not the container (fib daddr type local)")
out:close()

section "What was not published is not reachable"
step("a listener on :81 in the container too", function() other = web.netns:tcp_listen("0.0.0.0", 81) end)
check.raises(function() client:tcp_connect("198.51.100.2", 8081, { timeout = 1 }) end,
             "Connection refused", "198.51.100.2:8081: refused, nothing listens on the host")
check.raises(function() client:tcp_connect("198.51.100.2", 81, { timeout = 1 }) end,
             "Connection refused", "198.51.100.2:81: refused, port 81 was not published")
step("the client routes 172.17.0.0/16 via the host (as a neighbour on its LAN could)", function()
  client:route_add{ dst = "172.17.0.0/16", via = "198.51.100.2" }
end)
check.unreachable(client, web.ip, { timeout = 1 })
check.raises(function() client:tcp_connect(web.ip, 81, { timeout = 1 }) end, "timed out",
             web.ip .. ":81 directly: dropped by FORWARD (only the published port is let through)")
local direct = client:tcp_connect(web.ip, 80, { timeout = 2 })
check.ok(server:accept(2) ~= nil, web.ip .. ":80 directly: accepted, as Docker's DOCKER chain allows it")
direct:close()

section "The whole policy at once: a TCP matrix"
step("the lab's own listeners closed (check.matrix makes its own)", function()
  server:close(); other:close(); client_server:close()
end)
-- From outside only the published port: 8080 on the host, 80 on the
-- container directly; nothing listens on the host's 8081 (a reset), and
-- FORWARD drops the container's 81 (silence). The host itself is on
-- docker0: no FORWARD between it and the container, every port is open.
check.matrix{
  from = { client, host },
  to = { { "198.51.100.2:8080", name = "8080" }, { "198.51.100.2:8081", name = "8081" },
         { web.ip .. ":80", name = "c:80" }, { web.ip .. ":81", name = "c:81" } },
  proto = "tcp", listen = { { web, { 80, 81 } } },
  expect = { default = false, { "*", "8080" }, { "*", "c:80" }, { host, "c:81" } },
}

section "docker stop: the publication goes with the container"
step("docker stop web", function() docker.stop("web") end)
check.raises(function() client:tcp_connect("198.51.100.2", 8080, { timeout = 1 }) end,
             "Connection refused", "198.51.100.2:8080 is refused again")
