-- nslab.route: routes of a namespace, as `ip route` names them. The
-- Netns methods (ns:route_add{...}, ns:routes(), ns:route_get(dst)) call
-- these; the core checks every option.
--
--   ns:route_add{ dst = "10.0.0.0/8", via = "192.168.1.1" }  -- ip route add 10.0.0.0/8 via 192.168.1.1
--   ns:routes{ table = "local" }                            -- ip -j route show table local
--   ns:route_get "10.0.0.5"                                 -- ip -j route get 10.0.0.5
local trace = require("nslab.trace")

local M = {}

-- ifindex -> name, for the lists that carry only indexes.
local function names_by_index(ns)
  local names = {}
  for _, l in ipairs(ns.handle:link_list()) do names[l.ifindex] = l.ifname end
  return names
end
M.names_by_index = names_by_index

-- The device's name of a route entry: by the one name given, or by a
-- look-up of the namespace's links.
local function name_devs(ns, list, dev)
  local names = type(dev) == "string" and setmetatable({}, { __index = function() return dev end })
                or names_by_index(ns)
  for _, r in ipairs(list) do r.dev = r.oif and names[r.oif] end
  return list
end

-- Routes as `ip -j route` shows them (table main unless opts.table says
-- "local", a number or "all"; opts.family, opts.dev), dev by name.
function M.list(ns, opts, ...)
  return name_devs(ns, ns.handle:route_list(opts, ...), opts and opts.dev)
end

-- The route the kernel takes to dst (`ip route get DST`); opts: from,
-- dev, fibmatch (the table's route rather than the lookup's result).
function M.get(ns, dst, opts, ...)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("route get: options must be a table, got %s", type(opts)), 0)
  end
  if opts and opts.dst ~= nil then error("route get: the destination is the first argument, not option 'dst'", 0) end
  local query = { dst = dst }
  for k, v in pairs(opts or {}) do query[k] = v end
  local r = ns.handle:route_get(query, ...)
  return name_devs(ns, { r }, query.dev)[1]
end

local function route_words(ns, r)
  local words = {}
  if type(r.dev) == "number" then
    r = setmetatable({ dev = names_by_index(ns)[r.dev] }, { __index = r })
  end
  if r.type and r.type ~= "unicast" then words[1] = r.type end
  words[#words + 1] = r.dst or "default"
  for _, key in ipairs{ "via", "dev", "src", "table", "metric", "scope", "proto" } do
    if r[key] ~= nil then words[#words + 1] = key .. " " .. tostring(r[key]) end
  end
  return table.concat(words, " ")
end

-- "-6 " when only the family option says the route is IPv6.
local function family_flag(r)
  return r.family == "inet6" and "-6 " or ""
end

-- ip route add DST [via GW] [dev DEV] [table T] ...: r = {dst=, via=, dev=, ...}
function M.add(ns, r, ...)
  ns.handle:route_add(r, ...)
  trace.command(ns:ip(family_flag(r) .. "route add " .. route_words(ns, r)))
end

function M.del(ns, r, ...)
  ns.handle:route_del(r, ...)
  trace.command(ns:ip(family_flag(r) .. "route del " .. route_words(ns, r)))
end

return M
