-- The view of a row of `brctl show` (an entry of ns:brctl_show(), or
-- br:show()): brctl's own columns, tabs as it prints them.
local K = { header = "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n" }

function K.is(x)
  return getmetatable(x) == nil and type(x.bridge_name) == "string" and type(x.interfaces) == "table"
end

function K.data(x) return x end

-- brctl: "%s\t\t" name, the id, "\t%s\t\t" STP, then one port a line.
function K.print(p, row)
  p:field("bridge_name", "%s\t\t", row.bridge_name)
  p:field("bridge_id", "%s", row.bridge_id)
  p:field("stp_enabled", "\t%s\t\t", row.stp_enabled)
  p:array("interfaces", function()
    for i, name in ipairs(row.interfaces) do
      if i > 1 then p:text("\t\t\t\t\t\t\t") end
      p:field(nil, "%s\n", name)
    end
  end)
  if #row.interfaces == 0 then p:text("\n") end
end

return K
