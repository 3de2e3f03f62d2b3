-- The view of a Bridge: its row of `brctl show` as text. JSON: the
-- link's `ip -j link` fields, brctl's bridge_id, stp_enabled and
-- interfaces, and its forwarding database as `bridge -j fdb` lists it
-- (the entries whose master is this bridge).
local link = require("nslab.view.link")
local brctl = require("nslab.view.brctl")
local fdb = require("nslab.view.fdb")

local K = { header = brctl.header, op = "bridge show" }

function K.is(x) return getmetatable(x) == require("nslab.bridge").Bridge end

function K.data(br)
  local entries = {}
  for _, e in ipairs(br.ns:neigh("bridge")) do
    if e.master_index == br:index() then entries[#entries + 1] = e end
  end
  return { info = br:info(), row = br:show(), fdb = entries, ns = br.ns }
end

function K.print(p, d)
  if p.is_json then
    link.head(p, d.info)
    link.tail(p, d.info)
  end
  brctl.print(p, d.row)
  p:array("fdb", function()
    if not p.is_json then return end
    for _, e in ipairs(d.fdb) do
      e.master = d.info.ifname
      p:object(nil, function() fdb.print(p, e) end)
    end
  end)
end

return K
