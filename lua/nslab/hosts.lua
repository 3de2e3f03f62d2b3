-- nslab.hosts: several machines in one lab, as the seeds' two vagrant
-- nodes. A host is a namespace standing for the machine (a Netns: every
-- namespace method works on it), with its eth0 on an underlay (a bridge
-- in the world's namespace standing for the real network between the
-- machines, named underlay0, underlay1... by subnet), an address there,
-- and its own Docker daemon (nslab.docker: docker0, firewall and
-- containers in the host's namespace):
--
--   local node1, node2 = hosts.add{ "node1", "node2", underlay = "192.0.2.0/24" }
--   node1.address                        --> "192.0.2.1" (node2: 192.0.2.2)
--   node1.docker:run{ name = "c1" }      -- docker0 of node1, 172.17.0.2
--   local node3 = hosts.new("node3", { underlay = "192.0.2.0/24", address = "192.0.2.30" })
--   check.reachable(node1, node3.address)
--   hosts.remove(node3)                  -- its containers, sandboxes, namespace gone
--
-- Traced as what a lab writer would type: ip netns add node1, a veth
-- node1-eth0 / eth0 (netns node1) on the underlay's bridge, the address,
-- both ends up.
local netns = require("nslab.netns")
local options = require("nslab.options")
local api = require("nslab.api")

local M = {}

local made = setmetatable({}, { __mode = "k" }) -- the hosts, by Netns
local underlays = {} -- by subnet, in this world

-- A host's name names its namespace and the world's end of its eth0
-- (NAME-eth0, in IFNAMSIZ).
local NAME = { type = "string", max = 10, required = true }
local SUBNET = { type = "string", max = 18, doc = "the underlay's A.B.C.D/N (default 192.0.2.0/24)" }
local NEW = { underlay = SUBNET,
              address = { type = "string", max = 15, doc = "the host's address there (default: the lowest free)" } }

function M.is(x) return made[x] ~= nil end

-- The underlay of subnet: made on first use (the bridge up, no address:
-- the real network is not a host), its addresses handed out in order.
local function underlay(op, subnet)
  local docker = require("nslab.docker").internal
  local u = underlays[subnet]
  if u and u.world == netns.host() then return u end
  local base, plen = docker.parse_subnet(op, subnet)
  local world = netns.host()
  local n = 0 -- underlay0, underlay1...: the ones of this world so far
  for _, other in pairs(underlays) do if other.world == world then n = n + 1 end end
  local name = "underlay" .. n
  u = { world = world, subnet = subnet, base = base, plen = plen, used = {}, name = name }
  u.bridge = world:bridge(name, { stp = false })
  u.bridge:up()
  underlays[subnet] = u
  return u
end

local function address_of(op, u, address)
  local docker = require("nslab.docker").internal
  if address then
    local n = docker.ipv4_parse(address)
    local mask = docker.mask_of(u.plen)
    if not n or n & mask ~= u.base or n == u.base or n == u.base | (~mask & 0xffffffff) then
      error(string.format("%s: address %s is not a host's address in the underlay %s", op, address, u.subnet), 0)
    end
  else
    local n, last = u.base + 1, u.base + (1 << (32 - u.plen)) - 2 -- the lowest free (hosts are few)
    while u.used[docker.ipv4_text(n)] and n <= last do n = n + 1 end
    if n > last then error(string.format("%s: no free address left on the underlay %s", op, u.subnet), 0) end
    address = docker.ipv4_text(n)
  end
  if u.used[address] then error(string.format("%s: address %s is host %s's", op, address, u.used[address]), 0) end
  return address
end

-- One host: its namespace, eth0 on the underlay with its address, lo up,
-- its daemon. Nothing half-made when a step fails: the namespace goes.
function M.new(name, opts, ...)
  local op = "hosts new"
  options.nargs(op, 2, name, opts, ...)
  local docker = require("nslab.docker")
  docker.internal.check_name(op, "host", name)
  options.value(name, op, nil, "argument 1 (name)", NAME)
  opts = options.check(opts, op, NEW, name)
  op = op .. " " .. name
  local u = underlay(op, opts.underlay or "192.0.2.0/24")
  local address = address_of(op, u, opts.address)
  local ns = netns.add(name)
  local ok, err = pcall(function()
    local port, eth0 = netns.host():veth(name .. "-eth0", "eth0", { peer_netns = ns })
    u.bridge:attach(port)
    eth0:addr_add(address .. "/" .. u.plen)
    ns:link("lo"):up()
    port:up()
    eth0:up()
    ns.address, ns.eth0, ns.underlay, ns.port = address, eth0, u, port
    ns.docker = docker.new{ host = ns }
    eth0:wait("UP")
  end)
  if not ok then
    pcall(function() netns.host():link(name .. "-eth0"):delete() end)
    pcall(netns.delete, ns)
    error(err, 0)
  end
  u.used[address] = name
  made[ns] = true
  return ns
end

local ADD = { underlay = SUBNET }

-- Hosts named in a list, on one underlay: returns them in order.
function M.add(spec, ...)
  options.nargs("hosts add", 1, spec, ...)
  options.value(spec, "hosts add", nil, "argument 1 (hosts)", { type = "table", required = true })
  local rest = {}
  for k, v in pairs(spec) do if math.type(k) ~= "integer" then rest[k] = v end end
  options.check(rest, "hosts add", ADD)
  if #spec == 0 then error("hosts add: argument 1 (hosts) must name at least one host", 0) end
  local list = {}
  for i, name in ipairs(spec) do
    options.value(name, "hosts add", nil, ("argument 1 (hosts), item %d"):format(i), NAME)
  end
  for i, name in ipairs(spec) do list[i] = M.new(name, { underlay = spec.underlay }) end
  return table.unpack(list)
end

-- A host gone (a machine switched off): its containers removed (docker
-- rm -f), its part of each overlay network (its sandbox, its containers'
-- entries on the other hosts), the world's end of its eth0 and its
-- namespace with docker0 and the firewall. The underlay stays.
function M.remove(h, ...)
  options.nargs("hosts remove", 1, h, ...)
  if not M.is(h) then
    error(string.format("hosts remove: argument 1 (host) must be a host (nslab.hosts), got %s",
                        netns.is(h) and "a namespace" or type(h)), 0)
  end
  local names = {}
  for name in pairs(h.docker.containers) do names[#names + 1] = name end
  table.sort(names)
  if #names > 0 then h.docker:rm(names, true) end
  local overlay = require("nslab.docker_overlay")
  for _, name in ipairs(h.docker.network_order) do
    local net = h.docker.networks[name]
    if net.driver == "overlay" then overlay.forget(net, h) end
  end
  h.port:delete()
  netns.delete(h)
  h.underlay.used[h.address] = nil
  made[h] = nil
end

-- Forget the underlays (a fresh world has none).
function M.reset() underlays = {} end

api.declare(M, "hosts", {
  new = { op = "hosts new", { "name", NAME }, { "opts", { type = "table" } } },
  add = { op = "hosts add", { "hosts", { type = "table", required = true } } },
  remove = { op = "hosts remove", { "host", { type = "any", required = true } } },
  is = { op = "hosts is", { "x", { type = "any" } } },
  reset = { op = "hosts reset" },
}, { functions = true })

return M
