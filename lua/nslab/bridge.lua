-- nslab.bridge: a Linux bridge, the software switch behind docker0,
-- lxcbr0 and br0.
--
--   local br = host:bridge("br0", {stp = false})  -- ip link add br0 type bridge stp_state 0
--   br:attach(host:link "veth0")                  -- ip link set dev veth0 master br0
--   br:show()     -- brctl show: name, bridge id, STP enabled, interfaces
--   br:macs()     -- brctl showmacs: port, MAC, is local, ageing timer
--
-- A Bridge is a Link with switch methods; times are in seconds.
local dad = require("nslab.dad")
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local link = require("nslab.link")
local netns = require("nslab.netns")
local api = require("nslab.api")

local Bridge = setmetatable({}, { __index = link.Link })
Bridge.__index = Bridge
Bridge.__tostring = link.Link.__tostring

local M = { Bridge = Bridge }

-- The words of `ip link ... type bridge`: times in centiseconds.
local function bridge_words(opts)
  local words = {}
  local function add(word, value) words[#words + 1] = word .. " " .. value end
  if opts.stp ~= nil then add("stp_state", opts.stp and 1 or 0) end
  if opts.ageing_time then add("ageing_time", math.floor(opts.ageing_time * 100 + 0.5)) end
  if opts.forward_delay then add("forward_delay", math.floor(opts.forward_delay * 100 + 0.5)) end
  if opts.hello_time then add("hello_time", math.floor(opts.hello_time * 100 + 0.5)) end
  if opts.max_age then add("max_age", math.floor(opts.max_age * 100 + 0.5)) end
  if opts.priority then add("priority", opts.priority) end
  if opts.mcast_snooping ~= nil then add("mcast_snooping", opts.mcast_snooping and 1 or 0) end
  return table.concat(words, " ")
end

-- A handle on the bridge name of ns, bound to its ifindex as a Link is:
-- once the bridge is gone, its methods say so.
function M.new(ns, name)
  return setmetatable(link.new(ns, name), Bridge)
end

-- ip link add NAME type bridge [stp_state 0|1] [ageing_time CS] ...
function M.add(ns, name, opts)
  ns = netns.check(ns, "link add", api.object_name(name), "argument 1 (netns)")
  local ipv6 = require("nslab.ipv6")
  local quiet = ipv6.create_mode()
  ns.handle:link_add{ name = name, kind = "bridge", bridge = opts, addrgenmode = quiet }
  local words = bridge_words(opts or {})
  trace.command(ns:ip("link add " .. shell.quote(name) .. " type bridge" ..
                      (words ~= "" and " " .. words or "")))
  if quiet then ipv6.trace_created(ns, name) end
  return M.new(ns, name)
end

-- ip link set dev NAME type bridge stp_state 1 ...
function Bridge:configure(opts)
  self.ns.handle:link_set(self:index(), { bridge = opts })
  trace.command(self.ns:ip("link set dev " .. shell.quote(self.name) .. " type bridge " .. bridge_words(opts)))
  return self
end

-- A Linux bridge holds at most BR_MAX_PORTS - 1 = 1023 ports (port
-- number 0 is reserved); the kernel says EXFULL past that.
M.PORTS_MAX = 1023

-- Bridge:attach below, with the port's addrgenmode in the same message.
local function attach(self, port, addrgenmode)
  port = link.is(port) and port or self.ns:link(port)
  local h = port.ns.handle
  if port.ns ~= self.ns and port.ns:inode() ~= self.ns:inode() then
    error(string.format("link set %s: master %s is in netns %s, %s in netns %s: a bridge takes ports of its own "
                          .. "namespace (move it there first: set_netns)", port.name, self.name, self.ns:label(),
                        port.name, port.ns:label()), 0)
  end
  local master = port.ns == self.ns and self.ifindex or self.name
  local ok, err = pcall(h.link_set, h, port.ifindex or port.name, { master = master, addrgenmode = addrgenmode })
  if not ok then
    self:index() -- raises when the bridge is gone
    port:index() -- and when the port is
    err = tostring(err)
    if err:find(": Exchange full$") then
      error(string.format("link set %s: bridge %s is full: a Linux bridge holds at most %d ports (BR_MAX_PORTS)",
                          port.name, self.name, M.PORTS_MAX), 0)
    end
    error((err:gsub("^link set ifindex %d+:", "link set " .. port.name .. ":")), 0)
  end
  trace.command(port.ns:ip("link set dev " .. shell.quote(port.name) .. " master " .. shell.quote(self.name)
                           .. (addrgenmode and " addrgenmode " .. addrgenmode or "")))
  dad.settle("link set " .. port.name) -- the bridge may have carrier now: its IPv6 addresses do DAD
  return port
end

-- ip link set dev PORT master NAME (brctl addif NAME PORT): a Link or a
-- device name in the bridge's namespace. One request, by ifindex when both
-- are bound (no lookups: the cost of an attach does not grow with the
-- links around); only a failure looks at what is still there.
function Bridge:attach(port) return attach(self, port) end

-- M.internal.attach(bridge, port, addrgenmode): the same, setting the port's
-- address generation mode in the same message (docker run's veth).
M.internal = { attach = attach } -- for other nslab modules, not part of the API

-- ip link set dev PORT nomaster (brctl delif NAME PORT)
function Bridge:detach(port)
  port = link.is(port) and port or self.ns:link(port)
  local mine, info = self:index(), port:info()
  if info.master_index ~= mine then
    error(string.format("link set %s: not a port of bridge %s", port.name, self.name), 0)
  end
  port.ns.handle:link_set(info.ifindex, { master = 0 })
  trace.command(port.ns:ip("link set dev " .. shell.quote(port.name) .. " nomaster"))
  return port
end

-- The ports, as `ip -j link show master NAME` lists them.
function Bridge:ports()
  self:index() -- the bridge is still there
  local ports = {}
  for _, l in ipairs(self.ns:links()) do
    if l.master == self.name then ports[#ports + 1] = l end
  end
  table.sort(ports, function(a, b) return a.ifname < b.ifname end)
  return ports
end

-- One row of `brctl show`.
function Bridge:show()
  local info = self:info()
  local interfaces = {}
  for _, p in ipairs(self:ports()) do interfaces[#interfaces + 1] = p.ifname end
  return { bridge_name = self.name, bridge_id = info.bridge.bridge_id,
           stp_enabled = info.bridge.stp and "yes" or "no", interfaces = interfaces }
end

-- `brctl showmacs NAME`: every MAC the bridge knows, on which port, whether
-- it is the port's own (local) address, and how long since it was seen.
function Bridge:macs()
  local names, mine = {}, self:index()
  for _, l in ipairs(self.ns:links()) do names[l.ifindex] = l.ifname end
  local macs = {}
  for _, e in ipairs(self.ns.handle:neigh_list{ family = "bridge" }) do
    if e.master_index == mine and not e.vlan and e.ifindex ~= mine then
      macs[#macs + 1] = { port = names[e.ifindex], mac = e.mac,
                          is_local = e.state == "permanent", ageing = e.updated or 0 }
    end
  end
  table.sort(macs, function(a, b)
    if a.port ~= b.port then return a.port < b.port end
    return a.mac < b.mac
  end)
  return macs
end

---------------------------------------------------------------- signatures

-- Every function and method's positional arguments, once (nslab.api).
local OPTS = { type = "table" }
local PORT = { type = "any", required = true } -- a Link or a device name here

api.declare(M, "bridge", {
  add = { op = "link add", { "netns", { type = "any", required = true } },
          { "name", { type = "ifname", required = true } }, { "opts", OPTS } },
}, { functions = true })

api.declare(Bridge, "Bridge", {
  configure = { op = "link set", { "opts", { type = "table", required = true } } },
  attach = { op = "link set", { "port", PORT } },
  detach = { op = "link set", { "port", PORT } },
  ports = { op = "link show" }, show = { op = "bridge show" }, macs = { op = "bridge fdb" },
}, { object = function(self) return self.name end })

return M
