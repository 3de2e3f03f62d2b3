-- nslab.pending: veth pairs made when they are first observed.
--
--   local a, b = host:veth("veth-a", "veth-b")   -- checked and traced now
--   b:set_netns(ns1)                              -- traced now
--   ns1:exec "ip link"                            -- the pair is made here,
--                                                 -- veth-b born in ns1
--
-- Moving a device to another namespace costs the kernel an rcu_barrier()
-- under RTNL (__dev_change_net_namespace): 15-30 ms a move on this machine
-- kind, whatever the device's state (bench/move.lua). The tutorials make a
-- pair in one namespace and then move its ends; nslab makes the pair when
-- something could see it, with each end already where the moves put it,
-- so no move happens. Nothing can tell the difference but the time: a
-- pending pair is down, has no address, no master, and its ends are
-- where the lab moved them; every way to look at the kernel (each method
-- of a core handle, the core's functions, io.open, io.lines, io.popen,
-- os.execute, a read from a file or from the terminal, as the REPL waits
-- for a line) makes the pending pairs first, in the order they were asked
-- for. A pair is deferred only when the checks the kernel would
-- make pass now (names free where each end is born, valid names and
-- options), and a move only when the name is free where it goes;
-- anything else is done at once, so it fails as it would have. If the
-- kernel still refuses at the first use (something outside nslab took
-- a name meanwhile), the error names the step that asked for the pair.
local core = require("nslab.core")

local M = {}

local queue = {} -- pending pairs, oldest first
-- by_place[name][inode] = the pending end of that name in that namespace
-- (numbers and the lab's own names as keys: no new string per pair)
local by_place = {}
local function place(ino, name) local t = by_place[name] return t and t[ino] end
local function put(ino, name, e)
  local t = by_place[name]
  if not t then t = {} by_place[name] = t end
  t[ino] = e
end
local function drop(ino, name)
  local t = by_place[name]
  if t then
    t[ino] = nil
    if next(t) == nil then by_place[name] = nil end
  end
end
local inode -- below

local flushing = false
local eager = os.getenv("NSLAB_EAGER") ~= nil -- everything at once (to compare)
M.stats = { deferred = 0, moves = 0, made = 0 }

-- The unwrapped core: the methods of a netns handle and the functions of
-- the module, as they were before M.install.
local raw_methods, raw_core = {}, {}
M.raw = raw_methods
-- io.open and a file's read as they were: for files that show no device
-- (/proc/self/stat).
M.raw_open = io.open

-- Every handle on an end of a pair just made now names its device by
-- ifindex, as a handle on a pair made at once does from the start. A
-- handle left behind by a move through another handle stays a handle on
-- its name where it was: the device is not there any more (its message
-- differs from the eager one's "deleted or moved away: ifindex N", which no ifindex
-- of the new device could make true).
-- made: the ends' ifindexes when the maker knew them (the kernel's echo).
local function bind(pair, made)
  for i, e in ipairs(pair.ends) do
    local index = made[i]
    if not index then
      local ok, info = pcall(raw_methods.link_get, e.ns.handle, e.name)
      index = ok and info and info.ifindex
    end
    for _, link in ipairs(e.links) do
      rawset(link, "pending", nil)
      if index and rawget(link, "name") == e.name and inode(link.ns) == e.inode then
        rawset(link, "ifindex", index)
      end
    end
  end
end

-- Make every pending pair now. Errors name the step that asked for it.
function M.flush()
  if flushing or not queue[1] then return end
  flushing = true
  local list = queue
  queue, by_place = {}, {} -- what is made now is pending no more
  for i, pair in ipairs(list) do
    pair.done = true
    local ok, err, peer_index = pcall(pair.make, pair)
    if ok then ok, err = pcall(bind, pair, { err, peer_index }) end
    if not ok then
      local why = string.format("%s (made when first used, for the step: %s)", tostring(err), pair.trace or "?")
      -- its handles name no device: the name may be another's (nslab.link)
      for _, e in ipairs(pair.ends) do
        for _, link in ipairs(e.links) do
          rawset(link, "pending", nil)
          rawset(link, "unmade", why)
        end
      end
      -- the pairs after this one stay pending, in order
      for j = i + 1, #list do
        queue[#queue + 1] = list[j]
        for _, e in ipairs(list[j].ends) do put(e.inode, e.name, e) end
      end
      flushing = false
      error(why, 0)
    end
    M.stats.made = M.stats.made + 1
  end
  flushing = false
end

-- Forget the pending pairs (their world is gone: world_fresh).
function M.discard()
  for _, pair in ipairs(queue) do
    pair.done = true
    for _, e in ipairs(pair.ends) do e.links = {} end
  end
  queue, by_place = {}, {}
end

function M.count() return #queue end

-- Defer when true; set_eager(true) makes every pair at once (specs
-- compare the two; NSLAB_EAGER=1 does the same for a whole run).
function M.set_eager(on)
  if on then M.flush() end
  eager = on and true or false
end

---------------------------------------------------------------- the hooks

-- Functions and methods that cannot see a device (names, fds, clocks,
-- option readers, opening or making a namespace): they do not flush.
local QUIET_CORE = { allow_host = true, bindings = true, check_options = true, check_value = true,
                     clock = true, guarded = true, netns_create = true, netns_current = true,
                     netns_open = true, netns_open_path = true, netns_open_pid = true,
                     nft_vocabulary = true, options = true, sleep = true, nft_rule = true,
                     netns_list = true, netns_pool_stats = true }
local QUIET_METHODS = { fd = true, inode = true, name = true }

local function flushing_first(fn)
  return function(...)
    if queue[1] then M.flush() end
    return fn(...)
  end
end

local installed = false
function M.install()
  if installed then return end
  installed = true
  -- A handle's methods are found through __index: an empty table whose
  -- own __index makes what is pending before the method is even fetched,
  -- and the method is still called as one (its errors count arguments as
  -- a method's).
  local meta = debug.getregistry()["nslab.netns"]
  local methods = meta and meta.__index
  if type(methods) == "table" then
    for name, fn in pairs(methods) do raw_methods[name] = fn end
    -- still a table (what iterates or indexes the methods sees them all)
    meta.__index = setmetatable({}, {
      __index = function(_, key)
        if queue[1] and not QUIET_METHODS[key] then M.flush() end
        return methods[key]
      end,
      __pairs = function() return next, methods, nil end,
    })
  end
  for name, fn in pairs(core) do
    raw_core[name] = fn
    if type(fn) == "function" and not QUIET_CORE[name] then core[name] = flushing_first(fn) end
  end
  -- A fresh world: what was pending belonged to the old one.
  local fresh = raw_core.world_fresh
  if fresh then core.world_fresh = function(...) M.discard() return fresh(...) end end
  -- Other programs and files see the kernel too (ip link, /sys/class/net).
  rawset(io, "open", flushing_first(io.open))
  rawset(io, "lines", flushing_first(io.lines))
  rawset(io, "popen", flushing_first(io.popen))
  rawset(os, "execute", flushing_first(os.execute))
  -- Reading a file or waiting for input (the REPL's prompt: another
  -- terminal may look at the world meanwhile).
  local file = debug.getregistry()["FILE*"]
  local fmethods = file and file.__index
  if type(fmethods) == "table" then
    M.raw_read = fmethods.read
    for _, name in ipairs({ "read", "lines" }) do
      if type(fmethods[name]) == "function" then fmethods[name] = flushing_first(fmethods[name]) end
    end
  end
  rawset(io, "read", flushing_first(io.read))
end

---------------------------------------------------------------- checks

-- A name the kernel takes for a device (dev_valid_name): 1-15 bytes, no
-- '/', ':' or white space, not "." or "..". Stricter is safe: such a name
-- is then made at once, and refused as it would be.
local function good_name(name)
  return type(name) == "string" and #name >= 1 and #name <= 15 and name ~= "." and name ~= ".."
         and not name:find("[/:%s%z]")
end

-- The inode of a namespace (identity across Netns objects), or nil when its
-- handle is closed.
function inode(ns)
  local ok, ino = pcall(raw_methods.inode, ns.handle)
  return ok and ino or nil
end

-- Is a device named name in the namespace of ns, or pending there? nil when
-- that cannot be told (a closed handle: the eager path says why).
local function taken(ns, name)
  local ino = inode(ns)
  if not ino then return nil end
  if place(ino, name) then return true end
  local ok, info = pcall(raw_methods.link_get, ns.handle, name)
  if not ok then return nil end
  return info ~= nil
end

-- May this process change devices in the namespace of ns? The kernel
-- asks for CAP_NET_ADMIN over its owner (a lab without privilege, a
-- namespace of another user's): a change of no device (ifindex 2^31-1,
-- nothing to set) is refused with EPERM or else with ENODEV. Once per
-- Netns object.
local function permitted(ns)
  local known = rawget(ns, "may_change") -- kept on the Netns: it goes with it
  if known == nil then
    local ok, err = pcall(raw_methods.link_set, ns.handle, 2147483647, {})
    known = ok or not tostring(err):find("not permitted", 1, true)
    rawset(ns, "may_change", known)
  end
  return known
end

---------------------------------------------------------------- pairs

-- A pair to make later: ends[1] = {ns, name}, ends[2] = {ns, peer}; mtu as
-- given. make(pair) creates it with each end where it is by then. Returns
-- the pair, or nil when it must be made now.
function M.defer(spec)
  -- Outside a world (--host) the machine's own tools could look at any
  -- time, and nothing may be left unmade at exit: everything at once.
  if eager or not os.getenv("NSLAB_WORLD") then return nil end
  local a, b = spec.ends[1], spec.ends[2]
  if not (good_name(a.name) and good_name(b.name)) then return nil end
  if spec.mtu ~= nil and not (math.type(spec.mtu) == "integer" and spec.mtu >= 68 and spec.mtu <= 65535) then
    return nil
  end
  for _, e in ipairs(spec.ends) do
    e.inode = inode(e.ns)
    if not e.inode or not permitted(e.ns) or taken(e.ns, e.name) ~= false then return nil end
  end
  local home = inode(spec.creator)
  if not home or not permitted(spec.creator) then return nil end
  if a.inode == b.inode and a.name == b.name then return nil end
  queue[#queue + 1] = spec
  for _, e in ipairs(spec.ends) do
    e.pair, e.links = spec, {} -- links: the handles on it (until it is made or dropped)
    put(e.inode, e.name, e)
  end
  M.stats.deferred = M.stats.deferred + 1
  return spec
end

-- The pending end that link stands for (nil: none, or already made).
local function end_of(link)
  local e = rawget(link, "pending")
  if not e or e.pair.done or e.name ~= link.name or e.inode ~= inode(link.ns) then return nil end
  return e
end

-- The pending end named name in ns, or nil.
function M.lookup(ns, name)
  if not queue[1] or type(name) ~= "string" then return nil end
  local ino = inode(ns)
  return ino and place(ino, name) or nil
end

-- Move link's pending end to target (a Netns) as new_name (or its name):
-- true when recorded, false when it must be done now (not pending, the
-- same namespace, a name not free or not valid there).
function M.move(link, target, new_name)
  local e = end_of(link)
  if not e then return false end
  local final = new_name or e.name
  local ino = inode(target)
  if not ino or ino == e.inode or not good_name(final) or not permitted(target) then return false end
  if taken(target, final) ~= false then return false end
  drop(e.inode, e.name)
  e.ns, e.name, e.inode = target, final, ino
  put(ino, final, e)
  M.stats.moves = M.stats.moves + 1
  return true
end

-- Register a handle on the end e: bound at once when its pair was made
-- meanwhile, else when it is made.
function M.hold(e, link)
  if not e.pair.done then
    e.links[#e.links + 1] = link
    return
  end
  rawset(link, "pending", nil)
  local ok, info = pcall(raw_methods.link_get, e.ns.handle, e.name)
  if ok and info and inode(link.ns) == e.inode then rawset(link, "ifindex", info.ifindex) end
end

M.install()

return M
