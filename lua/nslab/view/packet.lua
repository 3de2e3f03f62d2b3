-- The view of a captured packet (an entry of cap:packets()): its
-- direction and tcpdump -nn -t's line; as JSON, those with its time,
-- length and the names of its headers.
local K = { op = "capture show" }

function K.is(x) return getmetatable(x) == require("nslab.capture").Packet end

function K.data(x) return x end

function K.print(p, pk) require("nslab.view.capture").packet(p, pk) end

return K
