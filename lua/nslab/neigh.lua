-- nslab.neigh: the neighbour table (ARP, NDP) and the bridge forwarding
-- database of a namespace, as `ip neigh` and `bridge fdb` name them. The
-- core checks every option. An add takes one entry or a list of them on
-- one device: the core reads the whole list first, sends it in few
-- datagrams (64 requests each) and takes back what it made when the
-- kernel refuses one; the trace is one `ip neigh replace` (or `bridge fdb
-- replace`) line per entry, which replays to the same table.
--
--   ns:neigh()                                                -- ip -j neigh
--   ns:neigh_add("eth0", { dst = "10.0.0.2", lladdr = "02:42:ac:11:00:02" })
--   ns:neigh_add("eth0", { { dst = "10.0.0.2", lladdr = ... }, { dst = "10.0.0.3", lladdr = ... } })
--   ns:fdb_add("veth0", { mac = "02:42:ac:11:00:02" })          -- bridge fdb replace ... master static
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local route = require("nslab.route")

local M = {}

-- The neighbour table as `ip -j neigh` shows it, dev by name: family
-- "inet", "inet6" (both by default) or "bridge" (the FDB).
function M.list(ns, family, ...)
  local list = ns.handle:neigh_list(family ~= nil and { family = family } or nil, ...)
  local names = route.names_by_index(ns)
  for _, e in ipairs(list) do e.dev = names[e.ifindex] end
  return list
end

-- The entries of an add: a list of them, or the one given (the core has
-- checked which it is).
local function entries(entry)
  if type(entry) == "table" and rawlen(entry) > 0 then return entry end
  return { entry }
end

-- ip neigh replace DST lladdr MAC nud STATE dev DEV, for each entry added
-- (the namespace's part of each line is made once: a pin of a thousand
-- entries is one call)
local function trace_add(ns, dev, entry)
  local head, tail = ns:ip("neigh replace "), " dev " .. shell.quote(tostring(dev))
  for _, e in ipairs(entries(entry)) do
    trace.command(head .. e.dst .. (e.lladdr and " lladdr " .. e.lladdr or "") .. " nud " .. (e.state or "permanent")
                  .. (e.router and " router" or "") .. tail)
  end
end

function M.add(ns, dev, entry, ...)
  ns.handle:neigh_add(dev, entry, ...)
  trace_add(ns, dev, entry)
end

-- M.add for each item {ns, dev, entry} in one core call, all or nothing
-- (core.neigh_add_each: many namespaces at once, on two CPUs when large).
function M.add_each(items)
  local core_items = {}
  for i, item in ipairs(items) do core_items[i] = { item[1].handle, item[2], item[3] } end
  require("nslab.core").neigh_add_each(core_items)
  for _, item in ipairs(items) do trace_add(item[1], item[2], item[3]) end
end

-- ip neigh del DST dev DEV
function M.del(ns, dev, entry, ...)
  ns.handle:neigh_del(dev, entry, ...)
  trace.command(ns:ip("neigh del " .. entry.dst .. " dev " .. shell.quote(tostring(dev))))
end

local function fdb_words(dev, entry)
  local words = { entry.mac, "dev " .. shell.quote(tostring(dev)) }
  if entry.dst then words[#words + 1] = "dst " .. entry.dst end -- a VXLAN device's VTEP
  if entry.vlan then words[#words + 1] = "vlan " .. entry.vlan end
  if entry.self then words[#words + 1] = "self" end
  if entry.master or not entry.self then words[#words + 1] = "master" end
  return words
end

-- bridge fdb replace MAC dev PORT master static (see the core's fdb_add)
function M.fdb_add(ns, dev, entry, ...)
  ns.handle:fdb_add(dev, entry, ...)
  for _, e in ipairs(entries(entry)) do
    local words = fdb_words(dev, e)
    local master = e.master or not e.self
    local permanent = e.permanent
    if permanent == nil then permanent = not master end
    if permanent then words[#words + 1] = "permanent"
    elseif e.static ~= false then words[#words + 1] = "static"
    else words[#words + 1] = "dynamic" end
    trace.command(ns:inside("bridge fdb replace " .. table.concat(words, " ")))
  end
end

-- bridge fdb del MAC dev PORT [master|self]
function M.fdb_del(ns, dev, entry, ...)
  ns.handle:fdb_del(dev, entry, ...)
  trace.command(ns:inside("bridge fdb del " .. table.concat(fdb_words(dev, entry), " ")))
end

return M
