-- The view of a namespace: its devices as `ip -br addr` shows them, then
-- its routes as `ip route` and `ip -6 route` do. JSON: {netns, links =
-- `ip -j addr`, routes = `ip -j route` then `ip -j -6 route`}.
local link = require("nslab.view.link")
local route = require("nslab.view.route")

local K = { separator = "\n", op = "netns show" }

function K.is(x) return getmetatable(x) == require("nslab.netns").Netns end

function K.data(ns)
  local ok, why = pcall(ns.handle.fd, ns.handle)
  if not ok then error("netns show: " .. tostring(why):gsub("^netns fd: ", ""), 0) end
  local addrs = {}
  for _, a in ipairs(ns:addrs()) do
    addrs[a.ifindex] = addrs[a.ifindex] or {}
    table.insert(addrs[a.ifindex], a)
  end
  local routes = {}
  for _, family in ipairs{ "inet", "inet6" } do
    for _, r in ipairs(ns:routes{ family = family }) do routes[#routes + 1] = r end
  end
  return { name = ns:label(), links = ns:links(), addrs = addrs, routes = routes }
end

function K.print(p, d)
  p:field("netns", "netns %s\n", d.name)
  p:array("links", function()
    for _, l in ipairs(d.links) do
      p:object(nil, function()
        link.head(p, l)
        link.tail(p, l)
        link.addrs(p, d.addrs[l.ifindex] or {})
        p:text("\n")
      end)
    end
  end)
  p:array("routes", function()
    for _, r in ipairs(d.routes) do
      p:object(nil, function() route.print(p, r) end)
    end
  end)
end

return K
