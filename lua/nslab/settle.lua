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

local recent = {} -- links brought up since the last probe, newest last

function M.note(link)
  if #recent >= M.KEEP then table.remove(recent, 1) end -- older ones are ahead in the queue
  recent[#recent + 1] = link
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
  if not recent[1] then return end
  local list = recent
  recent = {}
  local deadline = core.clock() + M.DEADLINE
  for i = #list, 1, -1 do
    local pause = 0.0002
    while waiting(state(list[i])) and core.clock() < deadline do
      core.sleep(pause)
      pause = math.min(pause * 2, 0.005)
    end
  end
end

return M
