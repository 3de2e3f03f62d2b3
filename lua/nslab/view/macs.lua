-- The view of an entry of br:macs(): a row of `brctl showmacs` (the port
-- by name: nslab has the name, brctl its number). JSON: the entry's own
-- fields.
local K = { header = "port\tmac addr\t\tis local?\tageing timer\n" }

function K.is(x)
  return getmetatable(x) == nil and type(x.port) == "string" and type(x.mac) == "string"
         and type(x.is_local) == "boolean"
end

function K.data(x) return x end

-- brctl: "%3i\t" port, "%s\t" MAC, "%s\t\t" local, "%4i.%.2i" timer.
function K.print(p, m)
  p:field("port", "%3s\t", m.port)
  p:field("mac", "%s\t", m.mac)
  p:json("is_local", m.is_local)
  p:text("%s\t\t", m.is_local and "yes" or "no")
  p:field("ageing", "%7.2f\n", m.ageing)
end

return K
