-- nslab.settle: a probe sent right after a link came up is not lost.
--
-- A device just set up with its carrier on (a veth whose peer is up)
-- sends nothing yet: until the kernel's link watch has run for it (a work
-- item, queued by the carrier change) its queue is the noop qdisc, which
-- drops every packet, and its operstate is not yet UP. An ARP request
-- dropped there is sent again a second later (retrans_time), so a one
-- second check.unreachable straight after setup would pass on a path that
-- works, and a one-echo check.reachable would fail on it. Before nslab
-- probes, it waits (at most DEADLINE seconds) until the links the lab
-- brought up since the last probe are past that: UP, or with no carrier
-- to wait for. The link watch handles its events in the order they came,
-- so the newest link settled first means the older ones have.
--
--   settle.note(link)       -- Link:set{up = true} succeeded
--   settle.before_probe()   -- the checks, ns:ping, check.matrix
local core = require("nslab.core")

local M = { DEADLINE = 1, KEEP = 16 }

-- The last KEEP links brought up since the last probe, in a ring (older
-- ones are ahead of them in the link watch's queue). Held weakly: a link
-- the lab let go must not keep its namespace's handle open, and with it
-- a namespace the lab deleted.
local ring = setmetatable({}, { __mode = "v" })
local head, noted = 0, 0

function M.note(link)
  head = head % M.KEEP + 1
  ring[head] = link
  noted = math.min(noted + 1, M.KEEP)
end

-- Set up and carrier on, but not yet through the link watch. (A link
-- whose operstate is UNKNOWN, lo or a tap, has none to wait for.)
local function waiting(info)
  if not info or info.operstate == "UP" or info.operstate == "UNKNOWN" then return false end
  local up, lower = false, false
  for _, f in ipairs(info.flags or {}) do
    up, lower = up or f == "UP", lower or f == "LOWER_UP"
  end
  return up and lower
end

-- The link's state now, or nil when it (or its namespace) is gone.
local function state(link)
  local ok, info = pcall(link.ns.handle.link_get, link.ns.handle, link.ifindex or link.name)
  return ok and info or nil
end

function M.before_probe()
  if noted == 0 then return end
  local deadline = core.clock() + M.DEADLINE
  for k = 0, noted - 1 do -- the newest first
    local i = (head - 1 - k) % M.KEEP + 1
    local link, pause = ring[i], 0.0002
    ring[i] = nil
    while link and waiting(state(link)) and core.clock() < deadline do
      core.sleep(pause)
      pause = math.min(pause * 2, 0.005)
    end
  end
  noted = 0
end

return M
