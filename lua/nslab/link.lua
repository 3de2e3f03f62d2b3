-- nslab.link: one network device of one namespace.
--
--   local a = test1:link "veth-test1"
--   a:addr_add "192.168.1.1/24"     -- ip -n test1 addr add 192.168.1.1/24 dev veth-test1
--   a:up()                          -- ip -n test1 link set dev veth-test1 up
--   host:link("veth-test1"):set_netns(test1)  -- ip link set veth-test1 netns test1
--
-- A Link remembers its device's ifindex and addresses it by that, not by
-- name: once the device is gone, the handle says so, even when a new one
-- has taken the name. After set_netns or rename it follows its device to
-- its new namespace, name and (after a move) ifindex.
local shell = require("nslab.shell")
local trace = require("nslab.trace")
local netns = require("nslab.netns")
local core = require("nslab.core")
local api = require("nslab.api")
local pending = require("nslab.pending")
local dad = require("nslab.dad")
local settle = require("nslab.settle")

local Link = {}
-- A handle on a pending end (nslab.pending) has no ifindex yet: asking
-- for it makes the pair, which binds the handle.
-- A handle on an end the kernel refused to make then (nslab.pending)
-- names no device: the name may be another's by now.
function Link.__index(self, key)
  local v = Link[key]
  if v == nil and key == "ifindex" and rawget(self, "pending") then
    pending.flush()
    return rawget(self, "ifindex")
  end
  local unmade = v == nil and key == "ifindex" and rawget(self, "unmade")
  if unmade then
    error(string.format("link %s: never made: %s", tostring(rawget(self, "name")), unmade), 0)
  end
  return v
end

local M = { Link = Link }

-- A handle on the device name (or ifindex) of ns, bound to its ifindex
-- when it exists; a handle on a missing name binds when the device
-- appears and, until then, reports what the core says about the name.
function M.new(ns, name, ifindex)
  if not netns.is(ns) then
    error(string.format("link: argument 1 (netns) must be a netns, got %s", type(ns)), 0)
  end
  local self = setmetatable({ ns = ns, name = name, ifindex = ifindex }, Link)
  if not ifindex then
    local ok, info = pcall(ns.handle.link_get, ns.handle, name)
    if ok and info then self.ifindex, self.name = info.ifindex, info.ifname end
  end
  return self
end

-- The device dev (a name or an ifindex) of ns; raises when there is none.
-- Netns:link delegates here.
function M.lookup(ns, dev)
  local info, why = ns.handle:link_get(dev)
  if not info then error(string.format("%s in netns %s", why, ns:label()), 0) end
  return M.new(ns, info.ifname, info.ifindex)
end

-- The same for an ifindex only.
function M.by_index(ns, ifindex)
  core.check_value(ifindex, "link", nil, "argument 2 (ifindex)",
                   { type = "integer", min = 1, max = 2147483647 })
  return M.lookup(ns, ifindex)
end

-- A Link, or an object of a class made from it (a Bridge).
function M.is(x)
  local mt = getmetatable(x)
  while type(mt) == "table" do
    if mt == Link then return true end
    local parent = getmetatable(mt)
    mt = parent and parent.__index
  end
  return false
end

-- A handle on a pending end of a veth pair (nslab.pending): it binds to
-- its ifindex at its first use, once the pair is made.
function M.pending(e)
  local link = setmetatable({ ns = e.ns, name = e.name, pending = e }, Link)
  pending.hold(e, link)
  return link
end

function Link:__tostring()
  return string.format("link %s in netns %s", self.name, self.ns:label())
end

local function q(word) return shell.quote(word) end

-- What the core is given for the device: its ifindex once bound.
local function dev(self)
  if not self.ifindex then
    local ok, info = pcall(self.ns.handle.link_get, self.ns.handle, self.name)
    if ok and info then self.ifindex = info.ifindex end
  end
  return self.ifindex or self.name
end

local function gone(self, op)
  local name = api.object_name(self.name) or "?"
  error(string.format("%s %s: No such device (deleted or moved away: ifindex %d was %s in netns %s)",
                      op, name, self.ifindex, name, self.ns:label()), 0)
end

-- handle:method(dev, ...) for operation op: the core names the device
-- "ifindex N" when given one, and a device that is gone may be the cause.
local function call(self, op, method, ...)
  local h = self.ns.handle
  local d = dev(self)
  local ok, a, b = pcall(h[method], h, d, ...)
  if ok then return a, b end
  -- Ctrl-C (the prompt's "interrupted!") is no error of the device's
  if type(a) ~= "string" or a:find("interrupted!$") then error(a, 0) end
  -- the core counts its handle and the device: the method's argument 1
  -- is the core's 3
  a = a:gsub(": argument (%d+) %(", function(n)
    n = tonumber(n)
    if n > 2 then return ": argument " .. (n - 2) .. " (" end
  end, 1)
  if type(d) ~= "number" then error(a, 0) end
  if not h:link_get(d) then gone(self, op) end
  local head, rest = a:match("^(.-): (.*)$")
  if head then
    head = head:gsub("^(%a+ %a+) ifindex " .. d .. "$", "%1 " .. self.name)
               :gsub(" dev " .. d .. "$", " dev " .. self.name)
               :gsub(" dev ifindex " .. d .. "$", " dev " .. self.name)
    a = head .. ": " .. rest
  end
  error(a, 0)
end

-- This device's table as link_get gives it (one RTM_GETLINK), or the
-- error of op when it is gone.
local function get(self, op)
  local d = dev(self)
  local info = self.ns.handle:link_get(d)
  if info then
    self.name = info.ifname -- renamed by another handle or by ip
    return info
  end
  if type(d) == "number" then gone(self, op) end
  local name = api.object_name(self.name)
  error(string.format("%s%s: No such device in netns %s", op, name and " " .. name or "", self.ns:label()), 0)
end

-- The device as `ip -j link show dev NAME` shows it: one get, and one
-- each for its master and its peer (named when in this namespace; M-DOWN
-- when the device with the peer's index here is not up, as ip prints it).
function Link:info()
  local h = self.ns.handle
  local l = get(self, "link show")
  if l.master_index then
    local m = h:link_get(l.master_index)
    l.master = m and m.ifname
  end
  if l.link_index then
    local other = h:link_get(l.link_index)
    if other and not l.link_netnsid then l.link = other.ifname end
    local up = false
    for _, f in ipairs(other and other.flags or {}) do up = up or f == "UP" end
    if l.link_index ~= l.ifindex and not up then l.flags[#l.flags + 1] = "M-DOWN" end
  end
  return l
end

function Link:index() return get(self, "link show").ifindex end

-- Wait until the device's operstate is `state` (default "UP"): the kernel
-- turns carrier into operstate asynchronously, so a lab asks rather than
-- sleeps. Returns true, or false and the last state seen after `timeout`
-- seconds (default 2).
local WAIT_STATE = { type = "choice", choices = { "UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
                                                 "TESTING", "DORMANT", "UP" } }
local WAIT_TIMEOUT = { type = "number", min = 0, max = 3600 }

function Link:wait(state, timeout)
  state, timeout = state or "UP", timeout or 2 -- checked by the declaration below
  local deadline = core.clock() + timeout
  local seen
  local pause = 0.0002 -- the kernel's link work is usually done within a millisecond: look again soon, then less often
  repeat
    seen = get(self, "link wait").operstate
    if seen == state then return true end
    core.sleep(pause)
    pause = math.min(pause * 2, 0.01)
  until core.clock() > deadline
  return false, seen
end

-- The command `changes` amounts to (target: the Netns it moves to;
-- master: the master's name when changes has its ifindex).
local function set_words(self, target, changes, master)
  local words = { "link set dev " .. q(self.name) }
  if target then words[#words + 1] = "netns " .. target:ref() end
  if changes.up ~= nil then words[#words + 1] = changes.up and "up" or "down" end
  if changes.mtu then words[#words + 1] = "mtu " .. changes.mtu end
  if changes.address then words[#words + 1] = "address " .. changes.address end
  if changes.master == 0 then words[#words + 1] = "nomaster"
  elseif changes.master then words[#words + 1] = "master " .. q(master or tostring(changes.master)) end
  if changes.addrgenmode then words[#words + 1] = "addrgenmode " .. changes.addrgenmode end
  if changes.name then words[#words + 1] = "name " .. q(changes.name) end
  return self.ns:ip(table.concat(words, " "))
end

-- The MTU the device has once changes are made: theirs, a pending pair's
-- (nil: the kernel's default), else the device's own (one read).
local function mtu_after(self, changes)
  if changes.mtu then return changes.mtu end
  local e = rawget(self, "pending")
  if e and not e.pair.done then return e.pair.mtu end
  return get(self, "link set").mtu
end

-- Is changes a move (netns, and a name or not) and nothing else?
local function only_move(changes)
  for k in pairs(changes) do
    if k ~= "netns" and k ~= "name" then return false end
  end
  return true
end

-- ip link set dev NAME [up|down] [mtu N] [address MAC] [name NEW] [netns
-- NS] [master M|nomaster] [addrgenmode G], in one call: the core makes it
-- all or nothing and checks every option. netns may be a Netns or a
-- name, master a Link.
function Link:set(changes)
  local target, master
  if type(changes) == "table" and (changes.netns ~= nil or M.is(changes.master)) then
    local copy = {}
    for k, v in pairs(changes) do copy[k] = v end
    if changes.netns ~= nil then
      target = netns.check(changes.netns, "link set", api.object_name(self.name), "option 'netns'")
      copy.netns = target.handle
    end
    if M.is(changes.master) then -- the core takes its ifindex; ip its name
      master = changes.master.name
      copy.master = dev(changes.master)
    end
    changes = copy
  end
  changes = changes or {} -- nil: nothing to change (the core wants a table)
  local moving_only = target and only_move(changes)
  if target and changes.addrgenmode == nil then
    -- a move resets IPv6 address generation to the target's default: the
    -- same message keeps it off (nslab.ipv6), as `ip link set ... netns NS
    -- addrgenmode none` does
    changes.addrgenmode = require("nslab.ipv6").create_mode(mtu_after(self, changes))
  end
  -- A pending end moves before it is made: it is then born there.
  if moving_only and rawget(self, "pending") and pending.move(self, target, changes.name) then
    trace.command(set_words(self, target, changes, master))
    self.ns, self.name = target, changes.name or self.name
    return self
  end
  call(self, "link set", "link_set", changes)
  trace.command(set_words(self, target, changes, master))
  if changes.up then settle.note(self) end -- a probe waits for its link watch (nslab.settle)
  if changes.name then self.name = changes.name end
  if target and target ~= self.ns then
    -- the ifindex is kept only when it is free there
    self.ns, self.ifindex = target, nil
    self.ifindex = target.handle:link_get(self.name).ifindex
  end
  -- IPv6 addresses waiting for this change to start their DAD (nslab.dad)
  dad.settle("link set " .. self.name)
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
      local ifname, g = line:match("^%d+%s+(%S+)%s+(%x+)")
      if ifname == self.name and g == group then return true end
    end
    return false
  end)
end

-- Wait until every IPv6 address of the device is usable: none is
-- tentative (duplicate address detection is over; woken by the kernel's
-- notifications, see nslab.dad) and each can be found by neighbour
-- discovery (the kernel joins an address's solicited-node group,
-- ff02::1:ffXX:XXXX, from a work queue after the link comes up, even with
-- nodad, and drops a solicitation that arrives before). Returns true; or
-- false and the address still tentative (or not yet in its group) after
-- timeout seconds (default 5: DAD takes up to 2, and the link-local
-- address nslab.ipv6 turns back on does it too, nodad or not). A device
-- that is down, or has no carrier, does no DAD: its addresses stay
-- tentative. An address that failed DAD (another node on the link has it)
-- is an error naming it.
function Link:wait_ipv6(timeout)
  timeout = timeout or dad.TIMEOUT -- checked by the declaration below
  local deadline = core.clock() + timeout
  local ok, address = dad.wait(self, "link wait_ipv6 " .. self.name, timeout)
  if not ok then return false, address end
  for _, a in ipairs(self:addrs("inet6")) do
    local group = "ff0200000000000000000001ff" .. ipv6_hex(a["local"]):sub(-6)
    while not joined(self, group) do
      if core.clock() > deadline then return false, a["local"] end
      core.sleep(0.005) -- (the kernel tells no one of a group it joins)
    end
  end
  return true
end

-- ip link set NAME netns NS [name NEW]: move (and rename) in one call; if
-- the kernel refuses (a name taken there), the device stays as it was.
function Link:set_netns(target, new_name)
  local ns = netns.check(target, "link set", api.object_name(self.name), "argument 1 (netns)")
  return self:set{ netns = ns, name = new_name }
end

-- ip link delete NAME (a veth takes its peer with it)
function Link:delete()
  call(self, "link delete", "link_del")
  trace.command(self.ns:ip("link delete " .. q(self.name)))
end

-- ip addr add PREFIX dev NAME [brd +]: an address on the device; an IPv6
-- one is usable once the call returns. On a device that is up with
-- carrier, addr_add waits until duplicate address detection is over (a
-- second or two, woken by the kernel's notifications); on one that is down
-- or has no carrier (a veth whose peer is down) DAD starts later, and the
-- link:set, up() or br:attach that starts it waits (nslab.dad). An address
-- another node has (dadfailed) is an error, and is removed again. opts:
-- broadcast (true or an address), nodad (IPv6: no DAD at all), wait
-- (IPv6, default true; false returns at once, link:wait_ipv6() waits
-- later).
function Link:addr_add(prefix, opts)
  local given, v6 = opts, type(prefix) == "string" and prefix:find(":", 1, true)
  if v6 and (opts == nil or type(opts) == "table" and (opts.wait == nil or opts.wait == true)) then
    -- the wait is below, once IPv6 is back on for the link (its own
    -- link-local address then does DAD at the same time); a wait that is
    -- no boolean goes to the core as given, which refuses it
    local copy = {}
    for k, v in pairs(opts or {}) do copy[k] = v end
    copy.wait = false
    opts = copy
  end
  call(self, "addr add", "addr_add", prefix, opts)
  local words = "addr add " .. prefix
  if opts and opts.broadcast then
    words = words .. " brd " .. (opts.broadcast == true and "+" or opts.broadcast)
  end
  words = words .. " dev " .. q(self.name)
  if opts and opts.nodad then words = words .. " nodad" end
  trace.command(self.ns:ip(words))
  require("nslab.ipv6").address_added(self, prefix) -- IPv6 back on for an IPv6 address
  if v6 then dad.added(self, prefix, given, words) end
  return self
end

function Link:addr_del(prefix)
  call(self, "addr del", "addr_del", prefix)
  trace.command(self.ns:ip("addr del " .. prefix .. " dev " .. q(self.name)))
  return self
end

-- tc qdisc replace dev NAME root tbf rate R burst B latency L: the rate
-- shaped ({rate = "10mbit" [, burst = "32kb", latency = "50ms"]}), or
-- netem's {delay =, jitter =, loss =} where the kernel has it; unshape:
-- tc qdisc del dev NAME root (nslab.shape).
function Link:shape(opts) return require("nslab.shape").shape(self, call, opts) end
function Link:unshape() return require("nslab.shape").unshape(self, call) end

-- This device's addresses (entries of `ip -j addr`'s addr_info).
function Link:addrs(family)
  -- one filtered dump: the kernel sends this device's addresses only
  local list = self.ns.handle:addr_list{ family = family, dev = get(self, "addr show").ifindex }
  for _, a in ipairs(list) do a.ifname = self.name end
  return list
end

-- Capture what this device sends and receives, both ways, from now on: a
-- Capture (nslab.capture) whose packets() are decoded (eth, ip, tcp...
-- tables, dir "in"/"out", tcpdump's line as text); wait(), find{...},
-- stop(). The filter is tcpdump's syntax; file gets pcap for tcpdump -r.
function Link:capture(opts)
  return require("nslab.capture").start(self, call(self, "capture", "capture", opts))
end

---------------------------------------------------------------- signatures

-- Every method's positional arguments, once (nslab.api).
local OPTS = { type = "table" }
local TIMEOUT = { type = "number", min = 0, max = 3600 }

api.declare(Link, "Link", {
  info = { op = "link show" }, index = { op = "link show" },
  wait = { op = "link wait", { "state", WAIT_STATE, lua = true }, { "timeout", WAIT_TIMEOUT, lua = true } },
  set = { op = "link set", { "changes", OPTS } },
  up = { op = "link set" }, down = { op = "link set" },
  rename = { op = "link set", { "name", { type = "ifname", required = true } } },
  set_mtu = { op = "link set", { "mtu", { type = "integer", min = 68, max = 65535, required = true } } },
  set_address = { op = "link set", { "address", { type = "string", max = 64, required = true } } },
  wait_ipv6 = { op = "link wait_ipv6", { "timeout", TIMEOUT, lua = true } },
  set_netns = { op = "link set", { "netns", { type = "any", required = true } }, { "name", { type = "ifname" } } },
  delete = { op = "link delete" },
  addr_add = { op = "addr add", { "prefix", { type = "string", required = true } }, { "opts", OPTS } },
  addr_del = { op = "addr del", { "prefix", { type = "string", required = true } } },
  addrs = { op = "addr show", { "family", { type = "any" } } },
  capture = { op = "capture", { "opts", OPTS } },
  shape = { op = "link shape", { "opts", { type = "table", required = true } } }, unshape = { op = "link unshape" },
}, { object = function(self) return self.name end })

return M
