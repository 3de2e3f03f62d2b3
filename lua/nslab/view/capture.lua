-- The view of a capture (link:capture{...}): its line (device, filter,
-- packets, state), then each packet seen so far as tcpdump -nn -t prints
-- it, with its direction; as JSON, the capture's stats and the packets.
local K = { op = "capture show" }

function K.is(x) return getmetatable(x) == require("nslab.capture").Capture end

function K.data(c)
  c:packets() -- what is queued, taken now
  return c
end

local function packet(p, pk)
  p:field("dir", "%s ", pk.dir)
  p:json("time", pk.time)
  p:json("len", pk.len)
  p:json("layers", pk.layers)
  p:field("text", "%s\n", pk.text)
end
K.packet = packet

function K.print(p, c)
  local s = c:stats()
  p:field("name", "%s", tostring(c.handle))
  p:json("filter", s.filter)
  p:json("packets", s.packets)
  p:json("dropped", s.dropped)
  p:json("running", s.running)
  p:text("\n")
  p:array("list", function()
    for _, pk in ipairs(c.list) do
      p:text("  ")
      p:object(nil, function() packet(p, pk) end)
    end
  end)
end

return K
