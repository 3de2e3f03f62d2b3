-- Docker's none network: seed 001.
--
--   docker run --name test1 --network none busybox ...
--   docker exec test1 ip a     -> only lo, 127.0.0.1
--   docker network inspect none -> test1, no addresses
lab "none: a container with only lo"

section "docker run --network none"
step("docker run --name test1 --network none", function()
  test1 = docker.run{ name = "test1", network = "none" }
end)
show(test1:exec("ip a").stdout)
local links = test1.netns:links()
check.equal(#links, 1, "one device")
check.equal(links[1].ifname, "lo", "it is lo")
check.equal(links[1].operstate, "UNKNOWN", "lo is up (UNKNOWN)")
check.equal(test1.netns:link("lo"):addrs("inet")[1]["local"], "127.0.0.1", "lo has 127.0.0.1")

section "docker network inspect none"
local inspect = docker.network_inspect("none")
local ep = inspect.Containers[test1.id]
check.equal(inspect.Driver, "null", "driver null")
check.equal(ep and ep.Name, "test1", "test1 is listed")
check.equal(ep and { ep.MacAddress, ep.IPv4Address }, { "", "" }, "with no MAC and no address")

section "It reaches nothing"
check.reachable(test1.netns, "127.0.0.1")
check.unreachable(test1.netns, { "172.17.0.1", "203.0.113.1" })
