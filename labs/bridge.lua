-- Two containers on Docker's default bridge: seed 001.
--
--   docker run --name test1 -d busybox ...; docker run --name test2 ...
--   docker exec test1 ip a          -> eth0 172.17.0.2/16, 02:42:ac:11:00:02
--   brctl show                      -> docker0 with two vethXXXXXXX ports
--   docker network inspect bridge   -> both containers
--   docker exec test1 ping 172.17.0.3
--   docker stop test2; docker start test2
lab "bridge: containers on docker0"

local function addr_of(c)
  local a = c.netns:link("eth0"):addrs("inet")[1]
  return a and (a["local"] .. "/" .. a.prefixlen .. " brd " .. tostring(a.broadcast))
end

local function inspect_names()
  local names = {}
  for _, ep in pairs(docker.network_inspect("bridge").Containers) do names[#names + 1] = ep.Name end
  table.sort(names)
  return names
end

-- The row of `brctl show` for docker0.
local function docker0_row()
  for _, row in ipairs(host:brctl_show()) do
    if row.bridge_name == "docker0" then return row end
  end
end

section "The daemon: docker0, 172.17.0.1/16"
step("dockerd starts: the networks bridge, host, none", function() docker.daemon() end)
local docker0 = host:link("docker0"):info()
check.equal(docker0.kind, "bridge", "docker0 is a Linux bridge")
check.equal(host:link("docker0"):addrs("inet")[1]["local"], "172.17.0.1", "docker0 has the gateway address 172.17.0.1")
show(docker.network_ls())
local names = {}
for _, row in ipairs(docker.network_ls()) do names[#names + 1] = row.NAME .. "/" .. row.DRIVER end
check.equal(names, { "bridge/bridge", "host/host", "none/null" }, "docker network ls: bridge, host, none")

section "docker run --name test1, --name test2"
step("docker run --name test1; docker run --name test2", function()
  test1 = docker.run{ name = "test1" }
  test2 = docker.run{ name = "test2" }
end)
show(test1:exec("ip a").stdout)
check.equal(addr_of(test1), "172.17.0.2/16 brd 172.17.255.255", "test1: eth0 172.17.0.2/16")
check.equal(test1.netns:link("eth0"):info().address, "02:42:ac:11:00:02",
            "test1: MAC 02:42:ac:11:00:02, from its address")
check.equal(addr_of(test2), "172.17.0.3/16 brd 172.17.255.255", "test2: eth0 172.17.0.3/16")
check.equal(test2.netns:link("eth0"):info().address, "02:42:ac:11:00:03", "test2: MAC 02:42:ac:11:00:03")
check.ok(test1.netns:inode() ~= test2.netns:inode() and test1.netns:inode() ~= host:inode(),
         "each container has its own network namespace")
local route = test1.netns:routes()[1]
check.equal(route.dst .. " via " .. tostring(route.gateway), "default via 172.17.0.1",
            "test1's default route is via docker0")

section "On the host: a veth per container, on docker0 (brctl show)"
show(host:brctl_show())
local row = docker0_row()
local expected = { test1.veth, test2.veth }
table.sort(expected)
check.equal(row.interfaces, expected, "docker0's interfaces are the two host-side veths")
check.match(test1.veth, "^veth%x%x%x%x%x%x%x$", "named veth + 7 hex characters, as Docker names them")
check.equal(row.stp_enabled, "no", "STP is off")
check.match(row.bridge_id, "^8000%.%x+$", "bridge id 8000.<docker0's MAC>")
check.equal(host:link(test1.veth):info().link_index, test1.netns:link("eth0"):info().ifindex,
            "test1's veth is the peer of its eth0 (vethXXX@ifN)")

section "docker network inspect bridge"
local inspect = docker.network_inspect("bridge")
show(inspect)
check.equal(inspect.IPAM.Config[1], { Subnet = "172.17.0.0/16", Gateway = "172.17.0.1" },
            "IPAM: 172.17.0.0/16 via 172.17.0.1")
check.equal(inspect_names(), { "test1", "test2" }, "Containers lists test1 and test2")
check.equal(inspect.Containers[test1.id].IPv4Address, "172.17.0.2/16", "test1's IPv4Address")
check.equal(inspect.Options["com.docker.network.bridge.name"], "docker0", "the bridge is docker0")

section "They talk through docker0"
check.reachable(test1.netns, "172.17.0.3")
check.reachable(test2.netns, "172.17.0.2")

section "docker stop test2"
step("docker stop test2", function() docker.stop("test2") end)
check.equal(docker0_row().interfaces, { test1.veth }, "its veth is gone from docker0")
check.equal(inspect_names(), { "test1" }, "inspect drops test2")
check.unreachable(test1.netns, "172.17.0.3")

section "docker start test2"
step("docker start test2", function() docker.start("test2") end)
check.equal(addr_of(test2), "172.17.0.3/16 brd 172.17.255.255", "test2 gets 172.17.0.3 again")
check.equal(#docker0_row().interfaces, 2, "a new veth on docker0")
check.equal(inspect_names(), { "test1", "test2" }, "inspect lists it again")
check.reachable(test1.netns, "172.17.0.3")
