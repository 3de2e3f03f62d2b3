-- nslab.docker_firewall: the packet filter rules dockerd installs, in
-- nftables form (Docker writes the same rules with iptables):
--
--   ip_forward = 1
--   table ip nat:     POSTROUTING  ip saddr SUBNET oifname != "BRIDGE" masquerade
--                     PREROUTING / OUTPUT  fib daddr type local -> DOCKER (dnat)
--   table ip filter:  FORWARD policy drop
--                       jump DOCKER-USER, jump DOCKER-ISOLATION-STAGE-1
--                       oifname BRIDGE ct state established,related accept
--                       oifname BRIDGE jump DOCKER
--                       iifname BRIDGE oifname != BRIDGE accept
--                       iifname BRIDGE oifname BRIDGE accept
--                     DOCKER-ISOLATION-STAGE-1/2: one bridge network cannot
--                       reach another
--
-- Docker's "-m addrtype --dst-type LOCAL" is nft's "fib daddr type local":
-- only packets addressed to the host itself are candidates for DNAT. Not
-- modelled: docker-proxy, the userland forwarder that also answers on
-- 127.0.0.1:PORT and for a container reaching its own host's published
-- port (the hairpin); here those connections are refused.
local M = {}

local Firewall = {}
Firewall.__index = Firewall

local function q(name) return '"' .. name .. '"' end

-- Install the tables and chains, and turn on forwarding, as dockerd does
-- when it starts: one nf_tables batch.
function M.install(host)
  local fw = setmetatable({ host = host }, Firewall)
  host:nft_batch(function(b)
    fw.nat = b:table("ip", "nat")
    fw.nat_prerouting = b:chain(fw.nat, "PREROUTING", { type = "nat", hook = "prerouting", priority = "dstnat" })
    fw.nat_output = b:chain(fw.nat, "OUTPUT", { type = "nat", hook = "output", priority = -100 })
    fw.nat_postrouting = b:chain(fw.nat, "POSTROUTING", { type = "nat", hook = "postrouting", priority = "srcnat" })
    fw.nat_docker = b:chain(fw.nat, "DOCKER")
    b:rule(fw.nat_prerouting, "fib daddr type local jump DOCKER")
    b:rule(fw.nat_output, "ip daddr != 127.0.0.0/8 fib daddr type local jump DOCKER")

    fw.filter = b:table("ip", "filter")
    fw.forward = b:chain(fw.filter, "FORWARD",
                         { type = "filter", hook = "forward", priority = "filter", policy = "drop" })
    fw.docker = b:chain(fw.filter, "DOCKER")
    fw.user = b:chain(fw.filter, "DOCKER-USER")
    fw.stage1 = b:chain(fw.filter, "DOCKER-ISOLATION-STAGE-1")
    fw.stage2 = b:chain(fw.filter, "DOCKER-ISOLATION-STAGE-2")
    b:rule(fw.forward, "jump DOCKER-USER")
    b:rule(fw.forward, "jump DOCKER-ISOLATION-STAGE-1")
  end)
  host:sysctl("net.ipv4.ip_forward", 1)
  return fw
end

-- Remove both tables (a daemon that failed to start leaves nothing).
function Firewall:remove()
  self.nat:delete()
  self.filter:delete()
end

-- The rules of one bridge network: out through NAT, forwarding to and
-- from its bridge, isolation from the other bridge networks.
function Firewall:add_network(net)
  local br = q(net.bridge_name)
  self.host:nft_batch(function(b)
    b:rule(self.nat_postrouting, ("ip saddr %s oifname != %s counter masquerade"):format(net.subnet, br))
    b:rule(self.nat_docker, ("iifname %s return"):format(br))
    b:rule(self.forward, ("oifname %s ct state established,related accept"):format(br))
    b:rule(self.forward, ("oifname %s jump DOCKER"):format(br))
    b:rule(self.forward, ("iifname %s oifname != %s accept"):format(br, br))
    b:rule(self.forward, ("iifname %s oifname %s accept"):format(br, br))
    b:rule(self.stage1, ("iifname %s oifname != %s jump DOCKER-ISOLATION-STAGE-2"):format(br, br))
    b:rule(self.stage2, ("oifname %s counter drop"):format(br))
  end)
end

-- The two rules of a published port: -p HOSTPORT:PORT for container c.
local function port_rules(c, host_port, port)
  local br = q(c.network.bridge_name)
  return ("iifname != %s tcp dport %d dnat to %s:%d"):format(br, host_port, c.ip, port),
         ("ip daddr %s iifname != %s oifname %s tcp dport %d accept"):format(c.ip, br, br, port)
end

-- docker run -p HOSTPORT:PORT: DNAT from the host's port to the container.
-- The rules' handles (the kernel's echo) are kept, so that unpublishing
-- deletes them without reading the chains (a cost that would grow with
-- the ports published).
function Firewall:publish(c, host_port, port)
  local dnat, accept = port_rules(c, host_port, port)
  local refs
  self.host:nft_batch(function(b)
    refs = { { self.nat_docker, b:rule(self.nat_docker, dnat), dnat },
             { self.docker, b:rule(self.docker, accept), accept } }
  end)
  self.handles = self.handles or {}
  self.handles[c.name .. ":" .. host_port] = refs
end

-- Remove what publish added (docker stop).
function Firewall:unpublish(c, host_port, port)
  local key = c.name .. ":" .. host_port
  local refs = self.handles and self.handles[key]
  if self.handles then self.handles[key] = nil end
  local dnat, accept = port_rules(c, host_port, port)
  refs = refs or { { self.nat_docker, {}, dnat }, { self.docker, {}, accept } }
  for _, r in ipairs(refs) do
    local chain, handle, text = r[1], r[2].handle, r[3]
    if handle then
      chain:delete_rule(handle)
    else -- not echoed: look for it
      for _, rule in ipairs(chain:rules()) do
        if rule.plain == text then chain:delete_rule(rule.handle) end
      end
    end
  end
end

return M
