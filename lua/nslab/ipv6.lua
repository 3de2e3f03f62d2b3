-- nslab.ipv6: IPv6 quiet where a lab does not use it.
--
-- A link nslab makes (ns:veth, ns:bridge, ns:macvlan, ns:vxlan, ns:tuntap,
-- and so every docker.run) gets IPv6 address generation off (addrgenmode
-- none): no link-local address, so no duplicate address detection, router
-- solicitations or MLD reports, which a bridge floods to every port and
-- every namespace processes (PERFORMANCE.md: the largest single cost of a
-- big lab). The lab says whether it uses IPv6:
--
--   nslab.ipv6()          --> "auto" (the default), true or false
--   nslab.ipv6(true)      -- links keep the kernel's IPv6 as `ip` makes them
--   nslab.ipv6(false)     -- off on every link made, even with IPv6 addresses
--   lab("title", {ipv6 = true})   -- the same, for one lab
--
-- "auto": off until the lab gives a link an IPv6 address (Link:addr_add of
-- an inet6 prefix); that link then gets the kernel's address generation
-- back, with its link-local address, as if it had been on all along.
--
-- The first link made with it off prints one line in the lab output
-- saying what changed and why (not a command: the trace has only those).
local trace = require("nslab.trace")
local shell = require("nslab.shell")

local M = {}

M.NOTE = "IPv6 address generation is off on the links this lab makes (addrgenmode none): "
  .. "it uses no IPv6, and each new port would flood DAD, router solicitation and MLD packets "
  .. "to every bridge port; an IPv6 address turns it back on for its link; "
  .. "lab(title, {ipv6 = true}) keeps it"

local mode = "auto"
local noted = false
-- v is a mode, or an error of op naming label ("option 'ipv6'").
function M.check(v, op, label)
  if v == true or v == false or v == "auto" then return v end
  local got = type(v) == "string" and (#v <= 64 and string.format("%q", v) or "a long string")
              or (type(v) == "number" or v == nil) and tostring(v) or type(v)
  error(string.format('%s: %s must be true, false or "auto", got %s', op, label, got), 0)
end

-- Get the mode, or set it (true, false or "auto") and return the previous one.
function M.set(...)
  local n, v = select("#", ...), ...
  if n == 0 then return mode end
  if n > 1 then error(string.format("ipv6: too many arguments (%d given, at most 1)", n), 0) end
  M.check(v, "ipv6", "argument 1 (mode)")
  local was = mode
  mode = v
  return was
end

-- A new lab: the default mode, and the note not yet printed.
function M.reset()
  mode, noted = "auto", false
end

-- The addrgenmode option of a link about to be made with this MTU: "none"
-- unless the lab keeps IPv6 (nil: the kernel's). Below 1280 a device has no
-- IPv6 to quiet.
function M.create_mode(mtu)
  if mode == true or (type(mtu) == "number" and mtu < 1280) then return nil end
  return "none"
end

-- The equivalent commands of what create_mode asked for, after the
-- `ip link add` of the device (ns) and, for a veth, its peer (peer_ns):
-- given (default "none") was set on each end; by this policy unless
-- policy is false (a mode the lab gave itself: no note).
-- Say the note, once per lab: the mode "none" was asked for by this policy
-- (a maker that sets it in a later message of its own says it here).
function M.note()
  if noted then return end
  noted = true
  trace.note(M.NOTE)
end

function M.trace_created(ns, name, peer_ns, peer, given, policy)
  if policy ~= false then M.note() end
  local words = " addrgenmode " .. (given or "none")
  trace.command(ns:ip("link set dev " .. shell.quote(name) .. words))
  if peer then trace.command(peer_ns:ip("link set dev " .. shell.quote(peer) .. words)) end
end

-- The mode a device of ns would have had: the namespace's default (0
-- eui64, 1 none, 2 stable_privacy, 3 random).
local NAMES = { [0] = "eui64", "none", "stable_privacy", "random" }

-- Turn IPv6 address generation back on for l (whose mode is none). The
-- kernel makes the link-local address when the link comes up, so a link
-- that is down only needs its mode (a setlink); on a link that is already
-- up the setlink changes the mode and makes no address (measured, kernel
-- 6.18), while the per-device sysctl makes it at once, with DAD and router
-- solicitation, as at link up.
local function turn_on(l, info)
  local ns = l.ns
  local default = tonumber(ns.handle:sysctl_get("net.ipv6.conf.default.addr_gen_mode")) or 0
  if default == 1 then default = 0 end -- the world's default is quiet itself
  local up = false
  for _, f in ipairs(info.flags) do up = up or f == "UP" end
  if up then
    ns:sysctl("net.ipv6.conf." .. info.ifname:gsub("%.", "/") .. ".addr_gen_mode", default)
  else
    l:set{ addrgenmode = NAMES[default] }
  end
end

-- After l:addr_add(prefix): an IPv6 address in "auto" mode gives its link
-- IPv6 address generation back.
function M.address_added(l, prefix)
  if mode ~= "auto" or type(prefix) ~= "string" or not prefix:find(":", 1, true) then return end
  local info = l.ns.handle:link_get(l.ifindex or l.name)
  if info and info.inet6_addr_gen_mode == "none" then turn_on(l, info) end
end

return setmetatable(M, { __call = function(_, ...) return M.set(...) end })
