-- The view of a neighbour (an entry of ns:neigh()): a line of `ip neigh`
-- as text, `ip -j neigh`'s fields as JSON.
local K = {}

function K.is(x)
  return getmetatable(x) == nil and type(x.dst) == "string" and type(x.state) == "table"
end

function K.data(x) return x end

function K.print(p, e)
  p:field("dst", "%s ", e.dst)
  p:field("dev", "dev %s ", e.dev)
  p:field("lladdr", "lladdr %s ", e.lladdr)
  if e.router then p:field("router", "router ", true) end
  p:array("state", function()
    for _, s in ipairs(e.state) do p:field(nil, "%s ", s) end
  end)
  p:text("\n")
end

return K
