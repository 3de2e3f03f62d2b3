-- Docker's container network mode: seeds 001 and 002.
--
--   docker run --name test1 busybox ...
--   docker run --name test2 --network container:test1 busybox ...
--   both see the same eth0 and address; /proc/PID/ns/net is one inode
lab "container mode: joining another container's network namespace"

local function view(c)
  local list = {}
  for _, l in ipairs(c.netns:links()) do
    local a = c.netns:link(l.ifname):addrs("inet")[1]
    list[#list + 1] = l.ifname .. " " .. l.address .. " " .. (a and a["local"] or "-")
  end
  return list
end

section "test1 on the default bridge, test2 in test1's network"
step("docker run --name test1", function() test1 = docker.run{ name = "test1" } end)
step("docker run --name test2 --network container:test1", function()
  test2 = docker.run{ name = "test2", network = "container:test1" }
end)

section "One network namespace, two containers"
local ns1, ns2 = test1.proc:ns(), test2.proc:ns()
show(("test1: net -> %s\ntest2: net -> %s\n"):format(ns1.net, ns2.net))
check.equal(ns2.net, ns1.net, "ls -l /proc/PID/ns/net: the same inode for both")
check.ok(ns2.uts ~= ns1.uts, "but each has its own UTS namespace")
check.equal(view(test2), view(test1), "test2 sees test1's interfaces, addresses and MACs")
check.equal(test2:exec("ip -4 -o addr show eth0").stdout, test1:exec("ip -4 -o addr show eth0").stdout,
            "ip addr inside both agrees")
check.reachable(test2.netns, "172.17.0.1")

section "A server in one is reachable at the other's localhost"
step("test1 listens on 127.0.0.1:8080", function() listener = test1.netns:tcp_listen("127.0.0.1", 8080) end)
check.ok(pcall(function() test2.netns:tcp_connect("127.0.0.1", 8080, { timeout = 1 }):close() end),
         "test2 connects to 127.0.0.1:8080: the same stack")
