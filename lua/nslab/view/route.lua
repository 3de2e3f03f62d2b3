-- The view of a route (an entry of ns:routes()): a line of `ip route` as
-- text, `ip -j route`'s fields as JSON. What ip leaves out by default it
-- leaves out too: type unicast, table main, protocol boot, scope global.
local K = {}

function K.is(x)
  return getmetatable(x) == nil and type(x.dst) == "string" and type(x.family) == "string"
         and (x.table ~= nil or x.oif ~= nil or x.gateway ~= nil)
end

function K.data(x) return x end

function K.print(p, r)
  if r.type and r.type ~= "unicast" then p:field("type", "%s ", r.type) end
  p:field("dst", "%s ", r.dst)
  p:field("gateway", "via %s ", r.gateway)
  p:field("dev", "dev %s ", r.dev)
  if r.table and r.table ~= "main" then p:field("table", "table %s ", r.table) end
  if r.protocol and r.protocol ~= "boot" then p:field("protocol", "proto %s ", r.protocol) end
  if r.scope and r.scope ~= "global" then p:field("scope", "scope %s ", r.scope) end
  p:field("prefsrc", "src %s ", r.prefsrc)
  p:field("metric", "metric %d ", r.metric)
  p:array("flags", function()
    for _, f in ipairs(r.flags or {}) do p:json(nil, f) end
  end)
  p:text("\n")
end

return K
