-- nslab.docker: a small model of Docker's networking (seed 001), built
-- only from nslab's primitives: what `docker run` does to the network,
-- step by step, with the names and numbers Docker uses.
--
--   local docker = require "nslab.docker"
--   local test1 = docker.run{name = "test1"}              -- --network bridge
--   docker.run{name = "n", network = "none"}              -- only lo
--   docker.run{name = "h", network = "host"}              -- the host's stack
--   docker.run{name = "c", network = "container:test1"}   -- test1's stack
--   docker.network_create("demo1", {subnet = "172.18.0.0/16"})
--   docker.network_create("v6", {subnet = "172.18.0.0/16", ipv6 = true, subnet6 = "fd00:db8::/64"})
--                                                          -- dual-stack (nslab.docker_ipv6)
--   docker.network_inspect "bridge"; docker.network_ls(); docker.network_rm "demo1"
--   docker.ps(); docker.ps(true)                           -- docker ps [-a]
--   docker.stop "test1"; docker.start "test1"; docker.rm "test1"
--   docker.rm({"c1", "c2", "c3"}, true)                    -- docker rm -f c1 c2 c3: one batch
--
-- The default bridge network is docker0, 172.17.0.1/16. A container on a
-- bridge network gets the next free address, a MAC derived from it
-- (02:42:ac:11:00:02 for 172.17.0.2), eth0 inside, a host-side veth named
-- "veth" + 7 hex characters on the bridge, and a default route via the
-- gateway.
local netns = require("nslab.netns")
local link = require("nslab.link")
local container = require("nslab.container")
local trace = require("nslab.trace")
local firewall = require("nslab.docker_firewall")
local arp = require("nslab.docker_arp")
local bridge = require("nslab.bridge")
local ipv6 = require("nslab.ipv6")
local v6 = require("nslab.docker_ipv6")
local options = require("nslab.options")
local core = require("nslab.core")
local overlay = require("nslab.docker_overlay")

local Daemon = {}
Daemon.__index = Daemon

-- A container as the model keeps it: name, id, network, mode, state, and
-- while running its process (proc), pid, netns and, on a bridge network,
-- ip, mac, veth and endpoint_id (and ip6 on a dual-stack network).
local DockerContainer = {}
DockerContainer.__index = DockerContainer

local M = { Daemon = Daemon, Container = DockerContainer }

-- docker exec NAME CMD
function DockerContainer:exec(cmd, opts)
  if self.state ~= "running" then error(string.format("docker exec: container %s is not running", self.name), 0) end
  return container.internal.exec(self.proc, "docker exec", cmd, opts)
end

-- docker exec -it NAME sh: a shell in it, on the terminal (nslab.shell)
function DockerContainer:shell(...)
  if self.state ~= "running" then error(string.format("docker exec: container %s is not running", self.name), 0) end
  return self.proc:shell(...)
end

function DockerContainer:__tostring()
  return string.format("docker container %s (%s)", self.name, self.state)
end

---------------------------------------------------------------- helpers

-- Random bytes from the kernel, read a page at a time (three ids per
-- container: one read per ~40 containers, not three opens and reads each),
-- written as hex by a table of the 256 bytes' digits (one gsub, not a
-- string.format of 32 numbers per id).
local pool, pool_at = "", 1
local HEX = {}
for b = 0, 255 do HEX[string.char(b)] = ("%02x"):format(b) end

local function random_hex(chars)
  local need = (chars + 1) // 2
  if pool_at + need > #pool + 1 then
    local f = assert(io.open("/dev/urandom", "rb"))
    pool, pool_at = f:read(4096), 1
    f:close()
  end
  local bytes = pool:sub(pool_at, pool_at + need - 1)
  pool_at = pool_at + need
  return (bytes:gsub(".", HEX)):sub(1, chars)
end

-- The veth pair of a container's endpoint: the host end in ns, named as
-- libnetwork names it ("veth" and 7 random hex digits), eth0 in inside.
-- 28 random bits meet an earlier name about once in 500 runs of a
-- thousand containers: a name taken in ns is drawn again, three tries in
-- all, as libnetwork's GenerateIfaceName does. Returns the name and both
-- ends.
local random_names = {} -- drawn through this table (a spec draws taken ones)
function random_names.veth() return "veth" .. random_hex(7) end
function random_names.container() return "c" .. random_hex(6) end

local function endpoint_veth(ns, inside)
  for try = 1, 3 do
    local name = random_names.veth()
    local ok, host_end, eth0 = pcall(netns.internal.veth_at_once, ns, name, "eth0", { peer_netns = inside })
    if ok then return name, host_end, eth0 end
    if try == 3 or not tostring(host_end):find("File exists", 1, true) or not ns.handle:link_get(name) then
      error(host_end, 0)
    end
  end
end

-- A default container name ("c" and 6 random hex digits) no container of
-- this daemon has; 24 bits meet an earlier one about once in 30 runs of
-- a thousand unnamed containers, so it is drawn again then.
local function fresh_name(daemon)
  local name
  repeat name = random_names.container() until not daemon.containers[name]
  return name
end

-- Docker's rule for container and network names.
local NAME = { type = "string", max = 64, required = true }
local NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"

local function check_name(op, what, name, label)
  options.value(name, op, nil, label or "argument 1 (name)", NAME)
  if not name:match("^[%w][%w_.-]*$") then
    error(string.format('%s: invalid %s name "%s", only %s are allowed', op, what, name, NAME_CHARS), 0)
  end
  return name
end

-- "A.B.C.D" as a number, nil when it is not one (an octet over 255, a
-- leading zero that inet_aton would read as octal, a missing part).
local function ipv4_parse(text)
  local parts = { text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #parts ~= 4 then return nil end
  local n = 0
  for _, p in ipairs(parts) do
    if #p > 3 or (#p > 1 and p:sub(1, 1) == "0") or tonumber(p) > 255 then return nil end
    n = n * 256 + tonumber(p)
  end
  return n
end

local function ipv4_text(n)
  return string.format("%d.%d.%d.%d", n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255)
end

-- Docker's MAC for an address: 02:42 and the four bytes of the IPv4 address.
local function mac_of_number(n)
  return string.format("02:42:%02x:%02x:%02x:%02x", n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255)
end

-- The MAC Docker gives the container at address ip: 02:42 and the
-- address's four bytes (docker.mac_of "172.17.0.2" is 02:42:ac:11:00:02).
function M.mac_of(ip, ...)
  options.nargs("docker mac_of", 1, ip, ...)
  options.value(ip, "docker mac_of", nil, "argument 1 (ip)", { type = "string", max = 15, required = true })
  local n = ipv4_parse(ip)
  if not n then error(string.format('docker mac_of: invalid IPv4 address "%s"', ip), 0) end
  return mac_of_number(n)
end

local function mask_of(plen) return (0xffffffff << (32 - plen)) & 0xffffffff end

-- "A.B.C.D/N": its network number and prefix length. The address must be
-- the network's own (Docker: "it should be 172.18.0.0/16"), and the prefix
-- leave room for a gateway and a container (8..30).
local function parse_subnet(op, subnet)
  local text, plen = subnet:match("^([%d.]+)/(%d%d?)$")
  local base = text and ipv4_parse(text)
  plen = tonumber(plen)
  if not base or plen < 8 or plen > 30 then
    error(string.format('%s: invalid subnet "%s" (A.B.C.D/8..30)', op, subnet), 0)
  end
  local mask = mask_of(plen)
  if base & mask ~= base then
    error(string.format("%s: invalid subnet %s: it should be %s/%d", op, subnet, ipv4_text(base & mask), plen), 0)
  end
  return base, plen
end

-- The gateway of a subnet: inside it, neither its network nor its
-- broadcast address. Default: the first address.
local function parse_gateway(op, gateway, base, plen)
  if gateway == nil then return ipv4_text(base + 1) end
  local gw = ipv4_parse(gateway)
  if not gw then error(string.format('%s: invalid gateway "%s" (an IPv4 address)', op, gateway), 0) end
  local mask = mask_of(plen)
  local subnet = ipv4_text(base) .. "/" .. plen
  if gw & mask ~= base then
    error(string.format("%s: no matching subnet for gateway %s (it is not in %s)", op, gateway, subnet), 0)
  end
  if gw == base or gw == base | (~mask & 0xffffffff) then
    error(string.format("%s: gateway %s is the network or broadcast address of %s", op, gateway, subnet), 0)
  end
  return ipv4_text(gw)
end

local function now()
  return os.date("!%Y-%m-%dT%H:%M:%S.000000000Z")
end

---------------------------------------------------------------- networks

-- A bridge network: its Linux bridge, addressed with the gateway, up, and
-- its firewall rules. Everything is checked before anything is made, and
-- what was made is undone when a later step fails: the bridge goes (its
-- address and route with it); the rules are one batch, all or nothing.
function Daemon:add_bridge_network(name, subnet, gateway, bridge_name, opts, net6)
  local op = "docker network create " .. name
  local base, plen = parse_subnet(op, subnet)
  gateway = parse_gateway(op, gateway, base, plen)
  for _, other in pairs(self.networks) do
    if other.base then
      local mask = mask_of(math.min(plen, other.plen))
      if base & mask == other.base & mask then
        error(string.format("%s: Pool overlaps with other one on this address space (%s)", op, other.name), 0)
      end
    end
  end
  local id = random_hex(64)
  bridge_name = bridge_name or ("br-" .. id:sub(1, 12))
  local net = { name = name, id = id, driver = "bridge", created = now(),
                subnet = ipv4_text(base) .. "/" .. plen, gateway = gateway, base = base,
                plen = plen, bridge_name = bridge_name, options = opts or {}, used = {}, ports = 0,
                v6 = net6 } -- the IPv6 half of a dual-stack network (nslab.docker_ipv6)
  local ok, err = pcall(function()
    net.bridge = self.host:bridge(bridge_name, { stp = false })
    net.bridge:addr_add(gateway .. "/" .. plen, { broadcast = true })
    if net6 then v6.add_network(net) end
    net.bridge:up()
    self.firewall:add_network(net)
  end)
  if not ok then
    if net.bridge then pcall(net.bridge.delete, net.bridge) end
    error(err, 0)
  end
  self.networks[name] = net
  self.network_order[#self.network_order + 1] = name
  arp.network(self, net)
  return net
end

local function add_plain_network(self, name, driver)
  self.networks[name] = { name = name, id = random_hex(64), driver = driver, created = now(), options = {} }
  self.network_order[#self.network_order + 1] = name
end

-- A min-heap of released addresses (nslab.docker_ipv6 keeps it for both).
local heap_push, heap_pop = v6.heap_push, v6.heap_pop

-- The lowest free address of a bridge network (Docker's IPAM hands them
-- out in order and reuses released ones): every address below the cursor
-- (net.next) was handed out once, and is either in use or on the free
-- list (net.free, a min-heap), so the answer is the smallest released
-- one, else the cursor's, without looking at the others.
local function allocate(net, owner, who) -- who: the command and container, for its error
  net.next = net.next or net.base + 1
  net.free = net.free or {}
  net.gateway_n = net.gateway_n or ipv4_parse(net.gateway)
  while #net.free > 0 do
    local n = heap_pop(net.free)
    local ip = ipv4_text(n)
    if not net.used[ip] then
      net.used[ip] = owner
      return ip, n
    end
  end
  local last = net.base + (1 << (32 - net.plen)) - 2
  while net.next <= last do
    local n = net.next
    net.next = n + 1
    local ip = ipv4_text(n)
    if n ~= net.gateway_n and not net.used[ip] then
      net.used[ip] = owner
      return ip, n
    end
  end
  error(string.format("%s: no free address left in network %s", who, net.name), 0)
end

-- Give an address back to its network's free list.
local function release(net, ip)
  if net.used[ip] == nil then return end
  net.used[ip] = nil
  heap_push(net.free, ipv4_parse(ip))
end

---------------------------------------------------------------- the daemon

local NEW = { host = { type = "any", doc = "the namespace of the daemon's machine (default: the world's host)" } }

-- A daemon as dockerd starts: the networks bridge (docker0), host, none.
-- opts.host: the namespace of the machine it runs on (nslab.hosts; by
-- default the world's host), where docker0, the firewall and the
-- containers' host ends are.
function M.new(opts, ...)
  options.nargs("docker new", 1, opts, ...)
  opts = options.check(opts, "docker new", NEW)
  local host = opts.host ~= nil and netns.check(opts.host, "docker new", nil, "option 'host'") or netns.host()
  local ok_get, d0 = pcall(host.handle.link_get, host.handle, "docker0")
  if not ok_get then error("docker new: option 'host': " .. tostring(d0), 0) end -- closed, deleted
  if d0 then -- another daemon's: its tables and bridge are not ours to undo
    error(string.format("docker new: namespace %s has a docker0 already (one daemon per host)", host:label()), 0)
  end
  local self = setmetatable({ host = host, networks = {}, network_order = {},
                              containers = {}, by_id = {}, published = {}, sharing = {} }, Daemon)
  local ok, err = pcall(function()
    self.firewall = firewall.install(self.host)
    self:add_bridge_network("bridge", "172.17.0.0/16", "172.17.0.1", "docker0", {
      ["com.docker.network.bridge.default_bridge"] = "true",
      ["com.docker.network.bridge.enable_icc"] = "true",
      ["com.docker.network.bridge.enable_ip_masquerade"] = "true",
      ["com.docker.network.bridge.host_binding_ipv4"] = "0.0.0.0",
      ["com.docker.network.bridge.name"] = "docker0",
      ["com.docker.network.driver.mtu"] = "1500",
    })
  end)
  if not ok then -- leave nothing half-made: the next try starts clean
    pcall(function() self.host:link("docker0"):delete() end)
    if self.firewall then pcall(self.firewall.remove, self.firewall) end
    error(err, 0)
  end
  add_plain_network(self, "host", "host")
  add_plain_network(self, "none", "null")
  return self
end

local NETWORK_CREATE = {
  subnet = { type = "string", max = 18, required = true, doc = "A.B.C.D/N (--subnet)" },
  gateway = { type = "string", max = 15, doc = "an address in the subnet (--gateway; default: the first)" },
  arp = arp.OPTION,
  driver = { type = "choice", choices = { "bridge", "overlay" },
             doc = "bridge (default) or overlay (nslab.docker_overlay: its own options, and {hosts =})" },
  ipv6 = v6.OPTIONS.ipv6, subnet6 = v6.OPTIONS.subnet6, gateway6 = v6.OPTIONS.gateway6,
}

-- docker network create NAME --subnet S [--gateway G] [--ipv6 --subnet S6
-- [--gateway G6]]
function Daemon:network_create(name, opts, ...)
  if overlay.wanted(opts) then return overlay.create(self, name, opts, ...) end
  options.nargs("docker network create", 2, name, opts, ...)
  check_name("docker network create", "network", name)
  opts = options.check(opts, "docker network create", NETWORK_CREATE, name)
  if self.networks[name] then
    error(string.format("docker network create %s: network with name %s already exists", name, name), 0)
  end
  local net6 = v6.config(self, "docker network create " .. name, opts)
  local net = self:add_bridge_network(name, opts.subnet, opts.gateway, nil, nil, net6)
  if opts.arp then arp.network(self, net, opts.arp) end -- static ARP (nslab.docker_arp)
  return net
end

-- A network removed from the daemon's lists (docker network rm).
local function forget_network(self, name)
  if self.networks[name] then arp.forget(self.networks[name]) end
  self.networks[name] = nil
  for i, other in ipairs(self.network_order) do
    if other == name then table.remove(self.network_order, i) break end
  end
end

-- The network called name, for command op (docker network by default).
local function network_named(self, op, name)
  local net = self.networks[name]
  if not net then error(string.format("%s: network %s not found", op, name), 0) end
  return net
end

function Daemon:network(name)
  return network_named(self, "docker network", name)
end

-- docker network rm NAME: its bridge (its address and route go with it)
-- and its firewall rules; an overlay network from every host. Refused as
-- Docker refuses: the predefined networks, and one a running container
-- is on. A stopped container may be on it: its start then fails, the
-- network not found, as in Docker.
function Daemon:network_rm(name, ...)
  local op = "docker network rm"
  options.nargs(op, 1, name, ...)
  options.value(name, op, nil, "argument 1 (name)", NAME)
  local net = network_named(self, op, name)
  op = op .. " " .. name
  if name == "bridge" or net.driver == "host" or net.driver == "null" then
    error(string.format("%s: %s is a pre-defined network and cannot be removed", op, name), 0)
  end
  local active = {}
  if net.members then -- overlay: every host's containers on it
    for c in pairs(net.members) do active[#active + 1] = c.name end
  else
    for _, c in pairs(self.containers) do
      if c.state == "running" and c.network == net then active[#active + 1] = c.name end
    end
  end
  if #active > 0 then
    table.sort(active)
    error(string.format("%s: error while removing network: network %s id %s has active endpoints (%s)", op, name,
                        net.id, table.concat(active, ", ")), 0)
  end
  if net.driver == "overlay" then
    overlay.remove(net)
  else
    self.firewall:remove_network(net)
    if self.host.handle:link_get(net.bridge.ifindex) then net.bridge:delete() end
    forget_network(self, name)
  end
  net.removed = true
end

-- The container called name (the only argument of command op).
-- Docker's order: the name, else the id or a prefix of it naming one
-- container (docker exec 28dc2e8853df, seed 003). The ids are looked
-- at only when no name matches.
local function find(self, op, name, ...)
  options.nargs(op, 1, name, ...)
  if getmetatable(name) == DockerContainer then -- the object docker.run returned
    if self.containers[name.name] == name then return name end
    error(string.format("%s: No such container: %s", op, name.id), 0)
  end
  options.value(name, op, nil, "argument 1 (name)", NAME)
  local c = self.containers[name] or self.by_id[name] -- (a whole id: no scan)
  if c then return c end
  if name:match("^%x+$") then
    for _, other in pairs(self.containers) do
      if other.id:sub(1, #name) == name then
        if c then error(string.format("%s: multiple IDs found with provided prefix: %s", op, name), 0) end
        c = other
      end
    end
  end
  if not c then error(string.format("%s: No such container: %s", op, name), 0) end
  return c
end

-- The container a name, an id or a unique prefix of an id names (docker
-- inspect NAME); an error when none does.
function Daemon:container(name, ...)
  return find(self, "docker container", name, ...)
end

-- A Linux bridge holds at most BR_MAX_PORTS - 1 ports (port number 0 is
-- reserved): 1023, as Docker's own bridge networks do.
M.BRIDGE_PORTS = 1023

local function full(who, net)
  return string.format("%s: network %s is full: a Linux bridge holds at most %d ports (BR_MAX_PORTS)",
                       who, net.name, M.BRIDGE_PORTS)
end

-- The command starting c and its name, for its errors ("docker start web").
local function who(c) return (c.starting or "docker run") .. " " .. c.name end

-- Wire a running container into its network: what libnetwork does on start.
local function connect(self, c)
  local net = c.network
  if c.mode == "container" then return end -- it shares the other's, wired already
  local inside = c.proc.netns
  local lo = link.new(inside, "lo", 1) -- a new namespace's loopback is ifindex 1: no lookup
  if net.driver == "null" then lo:up() return end
  if net.driver == "overlay" then return overlay.join(self, c, lo) end
  if net.driver ~= "bridge" then return end
  local n
  c.ip, n = allocate(net, c.name, who(c))
  c.mac = mac_of_number(n)
  -- made at once, each end's IPv6 address generation mode (nslab.ipv6) set
  -- with its first change: eth0's address, the host end's master
  local quiet = v6.link_mode(net, ipv6.create_mode())
  local host_end, eth0
  c.veth, host_end, eth0 = endpoint_veth(self.host, inside)
  c.host_end = host_end
  if quiet then ipv6.note() end
  eth0:set{ address = c.mac, addrgenmode = quiet }
  eth0:addr_add(c.ip .. "/" .. net.plen, { broadcast = true })
  if net.v6 then v6.connect_address(c, eth0, who(c)) end
  lo:up()
  eth0:up()
  inside:route_add{ dst = "default", via = net.gateway }
  if net.v6 then v6.connect_route(c, inside) end
  local ok, err = pcall(bridge.internal.attach, net.bridge, host_end, quiet)
  if not ok then error(tostring(err):find("(BR_MAX_PORTS)", 1, true) and full(who(c), net) or err, 0) end
  c.attached = true
  net.ports = net.ports + 1
  host_end:up()
  -- `docker run` returns with the network working: wait for carrier on
  -- both ends (the kernel turns it into operstate asynchronously)
  if not (eth0:wait("UP") and host_end:wait("UP")) then
    error(who(c) .. ": eth0 did not come up", 0)
  end
  if net.v6 then v6.ready(c) end
  arp.connect(self, c)
  for _, p in ipairs(c.ports) do
    self.firewall:publish(c, p.host, p.container)
    self.published[p.host] = c.name
  end
end

-- Undo connect, whatever part of it happened: published ports, the host
-- end (eth0 goes with it), the address. With ends (a list), the host end
-- is not deleted but put there: the caller lets the kernel remove it with
-- the container's namespace (see teardown).
local function disconnect(self, c, ends, leaving)
  if c.network and c.network.driver == "overlay" then return overlay.leave(self, c) end
  arp.disconnect(self, c, leaving)
  for _, p in ipairs(c.ports) do
    if self.published[p.host] == c.name then
      self.firewall:unpublish(c, p.host, p.container)
      self.published[p.host] = nil
    end
  end
  if c.host_end then
    if ends then
      ends[#ends + 1] = c.host_end
    elseif self.host.handle:link_get(c.host_end.ifindex) then
      c.host_end:delete()
    end
  end
  if c.attached then c.network.ports = c.network.ports - 1 end
  if c.ip then release(c.network, c.ip) end
  v6.disconnect(c)
  c.veth, c.host_end, c.attached, c.ip, c.mac = nil, nil, nil, nil, nil
end

-- The hostname Docker gives: the first 12 characters of the id; with
-- --network host the host's own name, with container:X the name of X.
local function hostname_of(self, c)
  if c.hostname then return c.hostname end
  if c.mode == "host" then
    local f = io.open("/proc/sys/kernel/hostname")
    local name = f and f:read("l")
    if f then f:close() end
    return name
  end
  if c.mode == "container" then return hostname_of(self, c.joined) end
  return c.id:sub(1, 12)
end

-- op: the command that starts it (docker run, docker start).
local function launch(self, op, c)
  local net, joined
  if c.mode == "host" then net = self.host
  elseif c.mode == "container" then
    joined = find(self, op .. " " .. c.name, c.joined) -- (removed since: No such container: ID)
    if joined.state ~= "running" then
      error(string.format("%s %s: cannot join network of a non running container: %s", op, c.name, joined.name), 0)
    end
    net = joined.proc
  elseif c.network and c.network.removed then -- docker network rm while it was stopped
    error(string.format("%s %s: network %s not found", op, c.name, c.network.name), 0)
  elseif c.mode == "bridge" and c.network.ports >= M.BRIDGE_PORTS then
    error(full(op .. " " .. c.name, c.network), 0) -- before anything is made
  end
  c.endpoint_id = random_hex(64)
  c.proc = container.start{ name = c.name, hostname = hostname_of(self, c), net = net }
  c.pid, c.netns = c.proc.pid, c.proc.netns
  c.state = "running"
  c.starting = op
  local ok, err = pcall(connect, self, c)
  c.starting = nil
  if not ok then
    pcall(disconnect, self, c)
    c.proc:stop()
    c.state = "exited"
    error(err, 0)
  end
  if joined then -- its process holds the other's namespace from now on
    c.holds = joined
    c.shares = joined.shares or joined.proc -- the process whose namespace it is
    self.sharing[c.shares] = (self.sharing[c.shares] or 0) + 1
  end
end

-- Docker's words for a host port taken.
local function allocated(op, port)
  return string.format("%s: Bind for 0.0.0.0:%d failed: port is already allocated", op, port)
end

-- "-p 8080:80" (or {"8080:80", ...}) as {{host = 8080, container = 80}}.
local function parse_ports(publish)
  if publish == nil then return {} end
  if type(publish) == "string" then publish = { publish } end
  if type(publish) ~= "table" then
    error("docker run: option 'publish' must be a string or an array of strings, got " .. type(publish), 0)
  end
  for k in pairs(publish) do
    if math.type(k) ~= "integer" or k < 1 or k > #publish then
      error("docker run: option 'publish' must be a string or an array of strings, got a table with key "
            .. tostring(k), 0)
    end
  end
  local ports, seen = {}, {}
  for _, spec in ipairs(publish) do
    local h, c = tostring(spec):match("^(%d+):(%d+)$")
    h, c = tonumber(h), tonumber(c)
    if not h or h < 1 or h > 65535 or c < 1 or c > 65535 then
      error(string.format('docker run: invalid publish "%s" (HOSTPORT:CONTAINERPORT)', tostring(spec)), 0)
    end
    if seen[h] then error(allocated("docker run", h), 0) end
    seen[h] = true
    ports[#ports + 1] = { host = h, container = c }
  end
  return ports
end

-- Are c's host ports free (another container's published ones are not)?
local function ports_free(self, op, c)
  for _, p in ipairs(c.ports) do
    if self.published[p.host] and self.published[p.host] ~= c.name then error(allocated(op, p.host), 0) end
  end
end

-- docker run --name NAME [--network bridge|none|host|container:NAME|NET]
-- [-p HOSTPORT:PORT]: opts name, network, hostname, publish.
-- What container start takes as hostname, as the core declares it (there
-- it names the object; here the container's name does).
local HOSTNAME = {}
for k, v in pairs(core.options()["container start"].hostname) do HOSTNAME[k] = v end
HOSTNAME.object = nil
HOSTNAME.doc = "--hostname (default: the first 12 characters of the id; refused with container:)"

local RUN = {
  name = { type = "string", max = 64, object = true, doc = "--name (default: a random one)" },
  network = { type = "string", max = 80, doc = "bridge (default), none, host, container:NAME or a network" },
  hostname = HOSTNAME,
  publish = { type = "any", doc = '"HOSTPORT:PORT" or an array of them (-p)' },
}

M.RUN_OPTIONS = RUN -- (help(docker.run) lists them)

function Daemon:run(opts, ...)
  options.nargs("docker run", 1, opts, ...)
  opts = options.check(opts, "docker run", RUN)
  if opts.name then check_name("docker run", "container", opts.name, "option 'name'") end
  local name = opts.name or fresh_name(self)
  if self.containers[name] then
    error(string.format('docker run: the container name "/%s" is already in use', name), 0)
  end
  local network = opts.network or "bridge"
  self.serial = (self.serial or 0) + 1 -- the order they came in (docker ps)
  local c = setmetatable({ name = name, id = random_hex(64), hostname = opts.hostname,
                           ports = parse_ports(opts.publish), serial = self.serial }, DockerContainer)
  ports_free(self, "docker run", c)
  if network == "container:" then
    error("docker run: invalid network mode: invalid container format container:<name|id>", 0)
  end
  local joined = network:match("^container:(.+)$")
  if joined then
    -- the container, not its name: Docker keeps container:<id>, so a
    -- name used again later names another one
    c.mode, c.joined, c.network = "container", find(self, "docker run " .. name, joined), nil
    if opts.hostname then error("docker run: conflicting options: hostname and the network mode", 0) end
  else
    c.network = network_named(self, "docker run", network)
    c.mode = c.network.driver == "null" and "none" or c.network.driver
  end
  if #c.ports > 0 and c.mode == "container" then -- as Docker does: refused, or dropped with a warning
    error("docker run: conflicting options: port publishing and the container type network mode", 0)
  elseif #c.ports > 0 and (c.mode == "host" or c.mode == "none") then
    trace.note(string.format("docker run %s: published ports are discarded when using %s network mode", name, c.mode))
    c.ports = {}
  end
  launch(self, "docker run", c)
  self.containers[name] = c
  self.by_id[c.id] = c
  return c
end

-- Stop running containers (the stopped ones are left as they are):
-- their ports, their process (signal: nil for SIGTERM, "KILL"), their
-- address. The host end of a single container's veth is deleted here,
-- which costs the kernel's synchronous device teardown (~30 ms: RCU grace
-- periods under RTNL, as `ip link delete` costs). For several, nothing is
-- deleted one by one: each process goes and its namespace with it, and
-- the kernel removes every pair inside in one batch of its own (~4 ms a
-- pair at 100); the call returns once it has, so the meaning is the same.
-- A namespace another process still holds (a container: joiner outside
-- the list) keeps its pair: that one is deleted here.
local function teardown(self, list, signal)
  -- joiners first: then a namespace still held is held from outside the list
  local running = {}
  for pass = 1, 2 do
    for _, c in ipairs(list) do
      if c.state == "running" and (c.holds ~= nil) == (pass == 1) then running[#running + 1] = c end
    end
  end
  local ends = #running > 1 and {} or nil
  -- a namespace goes with its container when every container sharing it
  -- goes too (joiners of joiners as well)
  local joining = {}
  for _, c in ipairs(running) do
    if c.shares then joining[c.shares] = (joining[c.shares] or 0) + 1 end
  end
  local leaving = {} -- the containers whose namespaces go with them
  for _, c in ipairs(running) do
    leaving[c] = not c.shares and (self.sharing[c.proc] or 0) == (joining[c.proc] or 0) or nil
  end
  for _, c in ipairs(running) do disconnect(self, c, leaving[c] and ends or nil, ends and leaving) end
  -- every process signalled first, then each stopped (reaped): their exits,
  -- and their namespaces' teardown, overlap in the kernel instead of each
  -- waiting for the one before (and the deletes above for none of them)
  if #running > 1 then
    for _, c in ipairs(running) do pcall(c.proc.proc.signal, c.proc.proc, signal) end
  end
  for _, c in ipairs(running) do
    c.proc:stop(signal)
    c.state = "exited"
    if c.shares then
      self.sharing[c.shares] = self.sharing[c.shares] - 1
      if self.sharing[c.shares] == 0 then self.sharing[c.shares] = nil end
      c.holds, c.shares = nil, nil
    end
  end
  if not ends or #ends == 0 then return end
  -- wait for the kernel: each end is looked at until it is gone, in order
  local h = self.host.handle
  local deadline = core.clock() + 5 + 0.01 * #ends -- a loaded machine cleans up slowly
  local waited = {}
  for _, e in ipairs(ends) do
    local deleted = false
    while not deleted and h:link_get(e.ifindex) do
      if core.clock() > deadline then -- held by someone else: not the kernel's to remove
        e:delete()
        deleted = true
      else
        core.sleep(0.002)
      end
    end
    if not deleted then waited[#waited + 1] = e.name end
  end
  if #waited == 0 then return end
  trace.command(string.format('for v in %s; do while ip link show dev "$v" >/dev/null 2>&1; do sleep 0.01; done; done',
                              table.concat(waited, " ")))
end

-- The containers a command names: one name, or a list of names (docker
-- stop c1 c2 ...), each checked, none twice; a container object stands
-- for its name.
local function named(self, op, names)
  if getmetatable(names) == DockerContainer then return { find(self, op, names) } end
  if type(names) ~= "table" then
    options.value(names, op, nil, "argument 1 (name)", NAME)
    return { find(self, op, names) }, names
  end
  if #names == 0 then error(op .. ": argument 1 (names) must name at least one container", 0) end
  local list, seen = {}, {}
  for i, name in ipairs(names) do
    if getmetatable(name) ~= DockerContainer then
      options.value(name, op, nil, ("argument 1 (names), item %d"):format(i), NAME)
    end
    list[i] = find(self, op, name)
    if seen[list[i]] then error(string.format("%s: container %s is named twice", op, list[i].name), 0) end
    seen[list[i]] = true
  end
  return list
end

-- docker stop NAME (or a list of names)
function Daemon:stop(names, ...)
  options.nargs("docker stop", 1, names, ...)
  local list = named(self, "docker stop", names)
  teardown(self, list)
  return type(names) == "table" and list or list[1]
end

-- docker start NAME: a new process, wired again (the address may be the
-- same one, when it is still free).
function Daemon:start(name, ...)
  local c = find(self, "docker start", name, ...)
  if c.state == "running" then return c end
  ports_free(self, "docker start", c)
  launch(self, "docker start", c)
  return c
end

-- docker rm [-f] NAME (or a list of names: docker rm -f c1 c2 ...). Every
-- name is checked first: nothing is removed when one is wrong. -f kills
-- (SIGKILL, as Docker does).
function Daemon:rm(names, force, ...)
  options.nargs("docker rm", 2, names, force, ...)
  local object = type(names) == "string" and names or nil
  if type(names) ~= "table" then
    options.value(names, "docker rm", nil, "argument 1 (name)", NAME) -- it names the object below
  end
  options.value(force, "docker rm", object, "argument 2 (force)", { type = "boolean" })
  local list = named(self, "docker rm", names)
  for _, c in ipairs(list) do
    if c.state == "running" and not force then
      error(string.format("docker rm: You cannot remove a running container %s. " ..
                          "Stop the container before attempting removal or force remove", c.id), 0)
    end
  end
  teardown(self, list, "KILL")
  for _, c in ipairs(list) do self.containers[c.name], self.by_id[c.id] = nil, nil end
end

-- docker exec NAME CMD
function Daemon:exec(name, cmd, opts, ...)
  options.nargs("docker exec", 3, name, cmd, opts, ...)
  return find(self, "docker exec", name):exec(cmd, opts)
end

-- docker inspect --format '{{.State.Pid}}' NAME
function Daemon:pid(name, ...)
  local c = find(self, "docker inspect", name, ...)
  return c.state == "running" and c.pid or 0
end

-- docker network ls: NETWORK ID, NAME, DRIVER, SCOPE
function Daemon:network_ls(...)
  options.nargs("docker network ls", 0, ...)
  local rows = {}
  for _, name in ipairs(self.network_order) do
    local net = self.networks[name]
    rows[#rows + 1] = { ["NETWORK ID"] = net.id:sub(1, 12), NAME = name, DRIVER = net.driver, SCOPE = "local" }
  end
  return rows
end

-- A container's published ports as docker ps prints them.
local function ports_text(c)
  local parts = {}
  for _, p in ipairs(c.ports) do parts[#parts + 1] = ("0.0.0.0:%d->%d/tcp"):format(p.host, p.container) end
  return table.concat(parts, ", ")
end

-- docker ps [-a]: the running containers (all with all = true), the
-- newest first, as rows: CONTAINER ID, STATUS, PORTS, NAMES, NETWORKS
-- (the model runs no image and no command: those columns are not there).
function Daemon:ps(all, ...)
  options.nargs("docker ps", 1, all, ...)
  options.value(all, "docker ps", nil, "argument 1 (all)", { type = "boolean" })
  local list = {}
  for _, c in pairs(self.containers) do
    if all or c.state == "running" then list[#list + 1] = c end
  end
  table.sort(list, function(a, b) return a.serial > b.serial end)
  local rows = {}
  for i, c in ipairs(list) do
    local network = c.mode == "container" and "container:" .. c.joined.name or c.network.name
    rows[i] = { ["CONTAINER ID"] = c.id:sub(1, 12), STATUS = c.state == "running" and "Up" or "Exited",
                PORTS = c.state == "running" and ports_text(c) or "", NAMES = c.name, NETWORKS = network }
  end
  return rows
end

-- docker network inspect NAME, shaped like Docker's JSON (seed 001).
function Daemon:network_inspect(name, ...)
  options.nargs("docker network inspect", 1, name, ...)
  options.value(name, "docker network inspect", nil, "argument 1 (name)", NAME)
  local net = network_named(self, "docker network inspect", name)
  local containers = {}
  for _, c in pairs(self.containers) do
    if c.state == "running" and c.network == net then
      containers[c.id] = {
        Name = c.name,
        EndpointID = c.endpoint_id,
        MacAddress = c.mac or "",
        IPv4Address = c.ip and (c.ip .. "/" .. net.plen) or "",
        IPv6Address = c.ip6 and (c.ip6 .. "/" .. net.v6.plen) or "",
      }
    end
  end
  local config = {}
  if net.driver == "bridge" then config[1] = { Subnet = net.subnet, Gateway = net.gateway } end
  if net.v6 then config[2] = v6.ipam_config(net) end
  return {
    Name = net.name, Id = net.id, Created = net.created, Scope = "local", Driver = net.driver,
    EnableIPv6 = net.v6 ~= nil,
    IPAM = { Driver = "default", Options = nil, Config = config },
    Internal = false, Attachable = false, Ingress = false,
    ConfigFrom = { Network = "" }, ConfigOnly = false,
    Containers = containers, Options = net.options, Labels = {},
  }
end

---------------------------------------------------------------- module level

local default

-- The world's daemon, which docker.run{...} and friends act on: made at
-- first use (docker.new()).
function M.daemon(...)
  options.nargs("docker daemon", 0, ...)
  default = default or M.new()
  return default
end

-- Forget the default daemon (a spec's fresh world has none).
function M.reset(...)
  options.nargs("docker reset", 0, ...)
  if default then arp.forget_daemon(default) end
  default = nil
end

for _, method in ipairs{ "run", "stop", "start", "rm", "exec", "pid", "ps", "network_ls",
                         "network_inspect", "network_create", "network_rm", "container" } do
  M[method] = function(...) return M.daemon()[method](M.daemon(), ...) end
end

-- An overlay network is its hosts' daemons' (the third argument), not
-- the default daemon's.
local network_create = M.network_create
function M.network_create(name, opts, ...)
  if overlay.wanted(opts) then return overlay.create(nil, name, opts, ...) end
  return network_create(name, opts, ...)
end

-- For nslab.docker_overlay: the model's addresses and names, one IPAM.
M.internal = { random_hex = random_hex, check_name = check_name, parse_subnet = parse_subnet,
               parse_gateway = parse_gateway, ipv4_text = ipv4_text, ipv4_parse = ipv4_parse,
               mac_of_number = mac_of_number, endpoint_veth = endpoint_veth, names = random_names,
               mask_of = mask_of, allocate = allocate, who = who, release = release, now = now,
               forget_network = forget_network }

return M
