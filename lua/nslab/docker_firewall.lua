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
--
-- IPv6 (ip6tables on, as dockerd 26 with "ip6tables": true and 27 by
-- default): the same tables and chains in the ip6 family, made with the
-- first dual-stack network (fw.v6), with net.ipv6.conf.all.forwarding = 1;
-- its rules name the IPv6 subnet and addresses ("dnat to [fd00:db8::2]:80"),
-- and a -p publishes on both families. (Docker makes the ip6 chains when
-- it starts; here they wait for a network that needs them, so an IPv4-only
-- world's ruleset stays as it was.)
local M = {}

local Firewall = {}
Firewall.__index = Firewall

local function q(name) return '"' .. name .. '"' end

-- Install the tables and chains, and turn on forwarding, as dockerd does
-- when it starts: one nf_tables batch. family: "ip" (default) or "ip6".
function M.install(host, family)
  family = family or "ip"
  local fw = setmetatable({ host = host, family = family }, Firewall)
  local loopback = family == "ip6" and "ip6 daddr != ::1" or "ip daddr != 127.0.0.0/8"
  host:nft_batch(function(b)
    fw.nat = b:table(family, "nat")
    fw.nat_prerouting = b:chain(fw.nat, "PREROUTING", { type = "nat", hook = "prerouting", priority = "dstnat" })
    fw.nat_output = b:chain(fw.nat, "OUTPUT", { type = "nat", hook = "output", priority = -100 })
    fw.nat_postrouting = b:chain(fw.nat, "POSTROUTING", { type = "nat", hook = "postrouting", priority = "srcnat" })
    fw.nat_docker = b:chain(fw.nat, "DOCKER")
    b:rule(fw.nat_prerouting, "fib daddr type local jump DOCKER")
    b:rule(fw.nat_output, loopback .. " fib daddr type local jump DOCKER")

    fw.filter = b:table(family, "filter")
    fw.forward = b:chain(fw.filter, "FORWARD",
                         { type = "filter", hook = "forward", priority = "filter", policy = "drop" })
    fw.docker = b:chain(fw.filter, "DOCKER")
    fw.user = b:chain(fw.filter, "DOCKER-USER")
    fw.stage1 = b:chain(fw.filter, "DOCKER-ISOLATION-STAGE-1")
    fw.stage2 = b:chain(fw.filter, "DOCKER-ISOLATION-STAGE-2")
    b:rule(fw.forward, "jump DOCKER-USER")
    b:rule(fw.forward, "jump DOCKER-ISOLATION-STAGE-1")
  end)
  host:sysctl(family == "ip6" and "net.ipv6.conf.all.forwarding" or "net.ipv4.ip_forward", 1)
  return fw
end

-- Remove both tables (a daemon that failed to start leaves nothing).
function Firewall:remove()
  self.nat:delete()
  self.filter:delete()
  if self.v6 then self.v6:remove() end
end

-- The rules of one bridge network in fw's family, into batch b; each
-- {chain, ref, text} kept in refs (ref.handle: the kernel's echo).
local function network_rules(fw, b, br, subnet, refs)
  local function rule(chain, text)
    refs[#refs + 1] = { chain, b:rule(chain, text), text }
  end
  rule(fw.nat_postrouting, ("%s saddr %s oifname != %s counter masquerade"):format(fw.family, subnet, br))
  rule(fw.nat_docker, ("iifname %s return"):format(br))
  rule(fw.forward, ("oifname %s ct state established,related accept"):format(br))
  rule(fw.forward, ("oifname %s jump DOCKER"):format(br))
  rule(fw.forward, ("iifname %s oifname != %s accept"):format(br, br))
  rule(fw.forward, ("iifname %s oifname %s accept"):format(br, br))
  rule(fw.stage1, ("iifname %s oifname != %s jump DOCKER-ISOLATION-STAGE-2"):format(br, br))
  rule(fw.stage2, ("oifname %s counter drop"):format(br))
end

-- The rules of one bridge network: out through NAT, forwarding to and
-- from its bridge, isolation from the other bridge networks; for a
-- dual-stack one (net.v6) the same in ip6, in the same batch (the ip6
-- tables made first, with the first such network).
function Firewall:add_network(net)
  local br = q(net.bridge_name)
  if net.v6 and not self.v6 then self.v6 = M.install(self.host, "ip6") end
  local refs = {}
  self.host:nft_batch(function(b)
    network_rules(self, b, br, net.subnet, refs)
    if net.v6 then network_rules(self.v6, b, br, net.v6.text, refs) end
  end)
  net.rules = refs
end

-- Delete rules ({chain, ref, text}, as kept above and by publish) by
-- their handles, in one batch. A rule already gone (deleted by hand) is
-- as good: what goes must still go, so then each is deleted alone and a
-- missing one skipped. A rule with no handle (not echoed) is looked for.
local function delete_rules(host, refs)
  local ok, err = pcall(host.nft_batch, host, function(b)
    for _, r in ipairs(refs) do
      if r[2].handle then b:delete_rule(r[1], r[2].handle) end
    end
  end)
  if not ok and not tostring(err):find("No such file or directory", 1, true) then error(err, 0) end
  for _, r in ipairs(refs) do
    local chain, handle, text = r[1], r[2].handle, r[3]
    if handle and not ok then
      local done, why = pcall(chain.delete_rule, chain, handle)
      if not done and not tostring(why):find("No such file or directory", 1, true) then error(why, 0) end
    elseif not handle then
      for _, rule in ipairs(chain:rules()) do
        if rule.plain == text then chain:delete_rule(rule.handle) end
      end
    end
  end
end

-- docker network rm: the network's rules go (the chains stay, as
-- dockerd leaves them).
function Firewall:remove_network(net)
  delete_rules(self.host, net.rules or {})
  net.rules = nil
end

-- The two rules of a published port: -p HOSTPORT:PORT for container c,
-- in fw's family (its IPv6 address in brackets, as nft prints it).
local function port_rules(fw, c, host_port, port)
  local br = q(c.network.bridge_name)
  local ip = fw.family == "ip6" and c.ip6 or c.ip
  local to = fw.family == "ip6" and "[" .. ip .. "]" or ip
  return ("iifname != %s tcp dport %d dnat to %s:%d"):format(br, host_port, to, port),
         ("%s daddr %s iifname != %s oifname %s tcp dport %d accept"):format(fw.family, ip, br, br, port)
end

-- The firewalls a container's ports go through: IPv4, and IPv6 when it
-- has an IPv6 address.
local function families(fw, c)
  if c.ip6 and fw.v6 then return { fw, fw.v6 } end
  return { fw }
end

-- docker run -p HOSTPORT:PORT: DNAT from the host's port to the container.
-- The rules' handles (the kernel's echo) are kept, so that unpublishing
-- deletes them without reading the chains (a cost that would grow with
-- the ports published).
function Firewall:publish(c, host_port, port)
  local refs = {}
  self.host:nft_batch(function(b)
    for _, fw in ipairs(families(self, c)) do
      local dnat, accept = port_rules(fw, c, host_port, port)
      refs[#refs + 1] = { fw.nat_docker, b:rule(fw.nat_docker, dnat), dnat }
      refs[#refs + 1] = { fw.docker, b:rule(fw.docker, accept), accept }
    end
  end)
  self.handles = self.handles or {}
  self.handles[c.name .. ":" .. host_port] = refs
end

-- Remove what publish added (docker stop).
function Firewall:unpublish(c, host_port, port)
  local key = c.name .. ":" .. host_port
  local refs = self.handles and self.handles[key]
  if self.handles then self.handles[key] = nil end
  if not refs then
    refs = {}
    for _, fw in ipairs(families(self, c)) do
      local dnat, accept = port_rules(fw, c, host_port, port)
      refs[#refs + 1] = { fw.nat_docker, {}, dnat }
      refs[#refs + 1] = { fw.docker, {}, accept }
    end
  end
  delete_rules(self.host, refs) -- the container must stop even when one is gone
end

return M
