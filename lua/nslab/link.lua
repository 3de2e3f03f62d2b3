-- nslab.link: one network device, named by its namespace and name.
--
--   local a = test1:link "veth-test1"
--   a:addr_add "192.168.1.1/24"     -- ip -n test1 addr add 192.168.1.1/24 dev veth-test1
--   a:up()                          -- ip -n test1 link set dev veth-test1 up
--   host:link("veth-test1"):set_netns(test1)  -- ip link set veth-test1 netns test1
--
-- A Link follows its device: after set_netns or rename it names the device
-- in its new namespace or under its new name.
local shell = require("nslab.shell")
local trace = require("nslab.trace")
local options = require("nslab.options")
local netns = require("nslab.netns")
local core = require("nslab.core")

local Link = {}
Link.__index = Link

local M = { Link = Link }

function M.new(ns, name)
  return setmetatable({ ns = ns, name = name }, Link)
end

function M.is(x) return getmetatable(x) == Link end

function Link:__tostring()
  return string.format("link %s in netns %s", self.name, self.ns:label())
end

local function q(word) return shell.quote(word) end

-- The device as `ip -j link show dev NAME` shows it.
function Link:info()
  for _, l in ipairs(self.ns:links()) do
    if l.ifname == self.name then return l end
  end
  error(string.format("link %s: No such device in netns %s", self.name, self.ns:label()), 2)
end

function Link:index() return self:info().ifindex end

-- Wait until the device's operstate is `state` (default "UP"): the kernel
-- turns carrier into operstate asynchronously, so a lab asks rather than
-- sleeps. Returns true, or false and the last state seen after `timeout`.
local OPERSTATES = { UNKNOWN = true, NOTPRESENT = true, DOWN = true, LOWERLAYERDOWN = true,
                     TESTING = true, DORMANT = true, UP = true }

function Link:wait(state, timeout)
  state, timeout = state or "UP", timeout or 2
  if not OPERSTATES[state] then
    error(string.format("link wait: %q is not an operstate (UP, DOWN, LOWERLAYERDOWN, UNKNOWN, ...)", tostring(state)), 2)
  end
  local deadline = core.clock() + timeout
  local seen
  repeat
    local info = self.ns.handle:link_get(self.name)
    seen = info and info.operstate
    if seen == state then return true end
    core.sleep(0.01)
  until core.clock() > deadline
  return false, seen
end

-- ip link set dev NAME [up|down] [mtu N] [address MAC] [name NEW], in one
-- message. The kernel applies the parts in order (address, mtu, name, up)
-- and undoes none when a later one fails; the one that can fail late, a
-- name already taken, is refused before anything is sent.
local SET = { up = true, mtu = true, address = true, name = true, addrgenmode = true }

function Link:set(changes)
  options.check(changes, "link set", SET)
  if changes.name and changes.name ~= self.name and self.ns.handle:link_get(changes.name) then
    error(string.format("link set %s: File exists (netns %s already has %s)",
                        self.name, self.ns:label(), changes.name), 2)
  end
  self.ns.handle:link_set(self.name, changes)
  local words = { "link set dev " .. q(self.name) }
  if changes.up ~= nil then words[#words + 1] = changes.up and "up" or "down" end
  if changes.mtu then words[#words + 1] = "mtu " .. changes.mtu end
  if changes.address then words[#words + 1] = "address " .. changes.address end
  if changes.addrgenmode then words[#words + 1] = "addrgenmode " .. changes.addrgenmode end
  if changes.name then words[#words + 1] = "name " .. q(changes.name) end
  trace.command(self.ns:ip(table.concat(words, " ")))
  if changes.name then self.name = changes.name end
  return self
end

function Link:up() return self:set{ up = true } end
function Link:down() return self:set{ up = false } end
function Link:rename(name) return self:set{ name = name } end
function Link:set_mtu(mtu) return self:set{ mtu = mtu } end
function Link:set_address(mac) return self:set{ address = mac } end

-- The 16 bytes of an IPv6 address text, as 32 hex digits.
local function ipv6_hex(text)
  local head, tail = text:match("^(.-)::(.*)$")
  local function groups(part)
    local list = {}
    for g in part:gmatch("[^:]+") do list[#list + 1] = ("%04x"):format(tonumber(g, 16)) end
    return list
  end
  local left, right = groups(head or text), groups(tail or "")
  for _ = 1, 8 - #left - #right do left[#left + 1] = "0000" end
  for _, g in ipairs(right) do left[#left + 1] = g end
  return table.concat(left)
end

-- Has this device joined the multicast group (32 hex digits, as
-- /proc/net/igmp6 writes it)?
local function joined(self, group)
  return self.ns:run(function()
    for line in io.lines("/proc/thread-self/net/igmp6") do
      local dev, g = line:match("^%d+%s+(%S+)%s+(%x+)")
      if dev == self.name and g == group then return true end
    end
    return false
  end)
end

-- Wait until every IPv6 address here can be found by neighbour discovery.
-- The kernel joins an address's solicited-node group (ff02::1:ffXX:XXXX)
-- from a work queue after the link comes up, even with nodad, and a
-- solicitation that arrives before is dropped, the next one coming a
-- second later: a lab that pings over IPv6 right away asks first.
function Link:wait_ipv6(timeout)
  local deadline = core.clock() + (timeout or 2)
  for _, a in ipairs(self:addrs("inet6")) do
    local group = "ff0200000000000000000001ff" .. ipv6_hex(a["local"]):sub(-6)
    while not joined(self, group) do
      if core.clock() > deadline then return false end
      core.sleep(0.005)
    end
  end
  return true
end

-- ip link set NAME netns NS [name NEW]: move (and rename) in one message;
-- if the kernel refuses (a name taken there), the device stays as it was.
function Link:set_netns(target, new_name)
  target = netns.check(target, "link set")
  -- The kernel moves first and renames after: with the new name taken in
  -- the target it would move the device, then fail (6.x). Refuse up front.
  if new_name and target.handle:link_get(new_name) then
    error(string.format("link set %s: File exists (netns %s already has %s)",
                        self.name, target:label(), new_name), 2)
  end
  self.ns.handle:link_set(self.name, { netns = target.handle, name = new_name })
  local words = "link set " .. q(self.name) .. " netns " .. target:ref()
  if new_name then words = words .. " name " .. q(new_name) end
  trace.command(self.ns:ip(words))
  self.ns, self.name = target, new_name or self.name
  return self
end

-- ip link delete NAME (a veth takes its peer with it)
function Link:delete()
  self.ns.handle:link_del(self.name)
  trace.command(self.ns:ip("link delete " .. q(self.name)))
end

-- ip addr add PREFIX dev NAME [brd +]; opts: broadcast (true or address),
-- nodad (IPv6: usable at once, no duplicate address detection).
function Link:addr_add(prefix, opts)
  if opts then options.check(opts, "addr add", { broadcast = true, nodad = true }) end
  self.ns.handle:addr_add(self.name, prefix, opts)
  local words = "addr add " .. prefix
  if opts and opts.broadcast then
    words = words .. " brd " .. (opts.broadcast == true and "+" or opts.broadcast)
  end
  words = words .. " dev " .. q(self.name)
  if opts and opts.nodad then words = words .. " nodad" end
  trace.command(self.ns:ip(words))
  return self
end

function Link:addr_del(prefix)
  self.ns.handle:addr_del(self.name, prefix)
  trace.command(self.ns:ip("addr del " .. prefix .. " dev " .. q(self.name)))
  return self
end

-- This device's addresses (entries of `ip -j addr`'s addr_info).
function Link:addrs(family)
  local list = {}
  for _, a in ipairs(self.ns:addrs(family)) do
    if a.ifname == self.name then list[#list + 1] = a end
  end
  return list
end

return M
