-- The view of a forwarding database entry (ns:neigh("bridge")): a line
-- of `bridge fdb show` as text, `bridge -j fdb`'s fields as JSON.
local K = {}

function K.is(x)
  return getmetatable(x) == nil and type(x.mac) == "string" and math.type(x.ifindex) == "integer"
         and x.dst == nil and type(x.flags) == "table"
end

function K.data(x) return x end

function K.print(p, e)
  p:field("mac", "%s ", e.mac)
  p:field("ifname", "dev %s ", e.dev or e.ifname)
  p:field("vlan", "vlan %d ", e.vlan)
  p:array("flags", function()
    for _, f in ipairs(e.flags) do p:field(nil, "%s ", f) end
  end)
  p:field("master", "master %s ", e.master)
  if e.state and e.state ~= "" and e.state ~= "reachable" then
    p:field("state", "%s ", e.state)
  end
  p:text("\n")
end

return K
