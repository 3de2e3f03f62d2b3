-- The view of an address (an entry of ns:addrs() or link:addrs()): a
-- line in the style of `ip -o addr` as text; `ip -j addr`'s addr_info
-- fields (with ifname) as JSON.
local K = {}

function K.is(x)
  return getmetatable(x) == nil and type(x["local"]) == "string" and math.type(x.prefixlen) == "integer"
         and type(x.family) == "string"
end

function K.data(x) return x end

function K.print(p, a)
  p:field("ifname", "%s ", a.ifname)
  p:field("family", "%s ", a.family)
  p:field("local", "%s", a["local"])
  p:field("prefixlen", "/%d ", a.prefixlen)
  p:field("broadcast", "brd %s ", a.broadcast)
  p:field("scope", "scope %s ", a.scope)
  p:text("\n")
end

return K
