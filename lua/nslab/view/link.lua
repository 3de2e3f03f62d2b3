-- The view of a link: `ip -br link` as text; `ip -j link`'s fields as
-- JSON. A Link handle, or a device table as ns:links() and link:info()
-- give it. The helpers are the netns view's too (`ip -br addr`).
local K = { op = "link show" }

function K.is(x)
  if getmetatable(x) == require("nslab.link").Link then return true end
  return getmetatable(x) == nil and type(x.ifname) == "string" and math.type(x.ifindex) == "integer"
         and type(x.flags) == "table" and x.family == nil
end

function K.data(x)
  if getmetatable(x) ~= nil then return x:info() end
  return x
end

-- "veth0@if5", "veth0@veth1", "lo": the first column, as ip names it.
function K.name_text(l)
  if l.link_index == nil then return l.ifname end
  if l.link_index == 0 then return l.ifname .. "@NONE" end
  if l.link and not l.link_netnsid then return l.ifname .. "@" .. l.link end
  return l.ifname .. "@if" .. l.link_index
end

-- The fields every link prints in JSON before its addresses, in ip's
-- order; the text's first two columns (name, operstate).
function K.head(p, l)
  p:json("ifindex", l.ifindex)
  if l.link_netnsid then
    p:json("link_index", l.link_index)
  elseif l.link_index and l.link_index ~= 0 then
    p:json("link", l.link or "if" .. l.link_index)
  end
  p:text("%-16s ", K.name_text(l))
  p:json("ifname", l.ifname)
  p:array("flags", function()
    for _, f in ipairs(l.flags) do p:json(nil, f) end
  end)
  p:json("mtu", l.mtu)
  p:json("master", l.master)
  p:field("operstate", "%-14s ", l.operstate)
  p:json("link_type", l.link_type)
end

-- The hardware address and its netns id, in ip -j's place for them.
function K.tail(p, l)
  p:json("address", l.address)
  p:json("link_netnsid", l.link_netnsid)
end

function K.print(p, l)
  K.head(p, l)
  p:text("%s ", l.address or "")
  K.tail(p, l)
  local flags = {}
  for i, f in ipairs(l.flags) do flags[i] = f end
  p:text("<%s> \n", table.concat(flags, ","))
  if l.kind then
    p:object("linkinfo", function() p:json("info_kind", l.kind) end)
  end
end

-- The addresses of one link: `ip -br addr`'s "local/prefixlen " each, and
-- `ip -j addr`'s addr_info.
function K.addrs(p, list)
  p:array("addr_info", function()
    for _, a in ipairs(list) do
      p:object(nil, function()
        p:json("family", a.family)
        p:field("local", "%s", a["local"])
        p:field("prefixlen", "/%d ", a.prefixlen)
        p:json("broadcast", a.broadcast)
        p:json("scope", a.scope)
        p:json("label", a.label)
      end)
    end
  end)
end

return K
