-- nslab.dad: IPv6 addresses usable when the next call needs them.
--
-- An IPv6 address added without nodad is tentative while the kernel runs
-- duplicate address detection (DAD, a second or two): it is neither a
-- source nor answered for, so a ping right after `ip addr add` fails with
-- "Cannot assign requested address". nslab waits instead of a lab
-- sleeping, on the kernel's own notifications (handle:addr_wait):
--
--   * link:addr_add(v6) returns once DAD is over when the device does DAD
--     now (it is up and has carrier), raising when it failed (another
--     node has the address; the address is removed again).
--   * A device that is down, or up without carrier (a veth whose peer is
--     down), starts DAD only when it gets both: its address is noted
--     here, and the link:set (up(), ...) after which it has them waits for
--     it, whichever device that set changed (upping a veth's second end
--     gives carrier to the first).
--   * {wait = false} (or nodad) skips the wait; link:wait_ipv6() waits
--     later.
local trace = require("nslab.trace")
local shell = require("nslab.shell")

local M = {}

-- Links with addresses added while their device did no DAD (a handle the
-- lab dropped is forgotten).
local waiting = setmetatable({}, { __mode = "k" }) -- link -> the order it came in
local count = 0

M.TIMEOUT = 5 -- seconds: DAD takes up to 2 with the kernel's defaults

-- Does the device do DAD now: up, with carrier (nil when it is gone)?
local function runs(link)
  local info = link.ns.handle:link_get(link.ifindex or link.name)
  if not info then return nil end
  local up, lower = false, false
  for _, f in ipairs(info.flags) do
    up, lower = up or f == "UP", lower or f == "LOWER_UP"
  end
  return up and lower
end

-- "fd00::1 on vb in netns b" for each {address, link} of a list.
local function failed(op, list)
  local words = {}
  for i, f in ipairs(list) do words[i] = string.format("%s on %s in netns %s", f[1], f[2].name, f[2].ns:label()) end
  error(string.format("%s: duplicate address detection failed for %s (dadfailed): another node on the link "
                      .. "has %s", op, table.concat(words, " and "), #list > 1 and "them" or "it"), 0)
end

-- Wait for link's tentative addresses: true, or false and the address
-- still tentative at the deadline, or false, the address and "dadfailed".
-- The trace says the same in the shell's words: a script made of it
-- (nslab explain) pings only once the address can be used.
local function wait(link, timeout)
  local ok, address, why = link.ns.handle:addr_wait(link.ifindex or link.name, { timeout = timeout or M.TIMEOUT })
  trace.command(string.format("while %s | grep -q inet6; do sleep 0.02; done",
                              link.ns:ip("-6 addr show dev " .. shell.quote(link.name) .. " tentative")))
  return ok, address, why
end

-- The same, raising (op's error) when an address failed.
function M.wait(link, op, timeout)
  local ok, address, why = wait(link, timeout)
  if why == "dadfailed" then failed(op, { { address, link } }) end
  return ok, address
end

-- After link:addr_add(prefix, opts) with the core's own wait off: wait
-- now, or note the link for the set that lets it do DAD. A failed or
-- unfinished DAD removes the address again (op is "addr add PREFIX dev
-- NAME").
function M.added(link, prefix, opts, op)
  if not prefix:find(":", 1, true) or (opts and (opts.nodad or opts.wait == false)) then return end
  if not runs(link) then
    count = count + 1
    waiting[link] = count
    return
  end
  local ok, settled, address = pcall(M.wait, link, op)
  if ok and settled then return end
  pcall(link.ns.handle.addr_del, link.ns.handle, link.ifindex or link.name, prefix)
  if not ok then error(settled, 0) end
  error(string.format("%s: %s still tentative after %g s (duplicate address detection)", op, address,
                      M.TIMEOUT), 0)
end

-- After a link set (op: "link set NAME"): wait for every noted link that
-- does DAD now; the addresses that failed are op's error, all of them (two
-- ends given one address both fail).
function M.settle(op)
  if next(waiting) == nil then return end
  local ready = {}
  for link in pairs(waiting) do
    local r = runs(link)
    if r == nil then waiting[link] = nil elseif r then ready[#ready + 1] = link end
  end
  table.sort(ready, function(x, y) return waiting[x] < waiting[y] end)
  -- DAD runs on all of them at once: waiting one after the other takes
  -- the longest one's time
  local failures = {}
  for _, link in ipairs(ready) do
    waiting[link] = nil
    local _, address, why = wait(link)
    if why == "dadfailed" then failures[#failures + 1] = { address, link } end
  end
  if #failures > 0 then failed(op, failures) end
end

return M
