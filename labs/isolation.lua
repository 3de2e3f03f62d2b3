-- Two user-defined bridge networks are isolated from each other.
--
--   docker network create demo1 --subnet 172.18.0.0/16
--   docker network create demo2 --subnet 172.19.0.0/16
--   a1, a2 on demo1; b1 on demo2; c1 on the default bridge
-- Containers reach their own network's members, not the other's: the
-- DOCKER-ISOLATION-STAGE-1/2 chains drop traffic from one bridge to another.
-- check.matrix probes every pair at once (ICMP, a TCP connect to a
-- listener it makes, a UDP echo) and prints the policy it found.
lab "isolation: two bridge networks"

section "Two networks, four containers"
step("docker network create demo1 / demo2", function()
  docker.network_create("demo1", { subnet = "172.18.0.0/16" })
  docker.network_create("demo2", { subnet = "172.19.0.0/16" })
end)
step("docker run a1, a2 on demo1; b1 on demo2; c1 on bridge", function()
  a1 = docker.run{ name = "a1", network = "demo1" }
  a2 = docker.run{ name = "a2", network = "demo1" }
  b1 = docker.run{ name = "b1", network = "demo2" }
  c1 = docker.run{ name = "c1" }
end)
check.equal({ a1.ip, a2.ip, b1.ip, c1.ip }, { "172.18.0.2", "172.18.0.3", "172.19.0.2", "172.17.0.2" },
            "addresses from each network's subnet")

section "The policy, every pair at once: own network reachable, the other networks not"
local everyone = { a1, a2, b1, c1 }
local same_network = function(from, to) return from.network == to.network end
check.matrix{ from = everyone, to = everyone, proto = "icmp", expect = same_network }
check.matrix{ from = everyone, to = everyone, proto = "tcp:80", expect = same_network }
check.matrix{ from = everyone, to = everyone, proto = "udp:53", expect = same_network }
show(host:nft_ruleset())
local rules, drops = docker.daemon().firewall.stage2:rules(), 0
for _, r in ipairs(rules) do drops = drops + (r.packets or 0) end
check.equal(#rules, 3, "DOCKER-ISOLATION-STAGE-2 has a drop rule per bridge network")
check.ok(drops > 0, ("and they dropped %d packets"):format(drops))
