-- nslab.docker_ipv6: the IPv6 half of a dual-stack Docker bridge network
-- (docker network create --ipv6 --subnet fd00:db8::/64 v6), as dockerd
-- 26.1 makes it with ip6tables on (experimental there, the default from
-- 27.0):
--
--   IPAM:      the subnet's first address (::0, the subnet-router anycast
--              address) is reserved, the gateway is ::1 unless given, and
--              containers get the next free one in order (::2, ::3, ...),
--              released ones first: no MAC-derived addresses (gone in 25).
--              --ipv6 without an IPv6 subnet is an error (27.0 picks a
--              ULA /64 itself).
--   bridge:    the gateway address (no nodad: the bridge does duplicate
--              address detection) and the kernel's link-local address.
--   container: eth0 with its address added nodad (IFA_F_NODAD, as
--              libnetwork's setInterfaceIPv6 does), the kernel's
--              link-local address (EUI-64 of the MAC), default route via
--              the gateway.
--   firewall:  ip6 nat / ip6 filter as the IPv4 ones (nslab.docker_firewall),
--              net.ipv6.conf.all.forwarding = 1.
--
-- Addresses are two 64-bit integers (hi, lo); a container's place in the
-- subnet is an offset from the subnet's address (an integer < 2^63).
local core = require("nslab.core")
local trace = require("nslab.trace")
local shell = require("nslab.shell")

local M = {}

---------------------------------------------------------------- addresses

-- "fd00:db8::2" as hi, lo; nil when it is not an IPv6 address (the forms
-- inet_pton takes, without an embedded IPv4 address).
function M.parse(text)
  if type(text) ~= "string" or #text > 39 or text:find("[^%x:]") then return nil end
  local head, tail = text, nil
  local at = text:find("::", 1, true)
  if at then
    head, tail = text:sub(1, at - 1), text:sub(at + 2)
    if tail:find("::", 1, true) then return nil end
  end
  local function groups(part)
    local out = {}
    if part == "" then return out end
    for g in (part .. ":"):gmatch("([^:]*):") do
      if #g < 1 or #g > 4 then return nil end
      out[#out + 1] = tonumber(g, 16)
    end
    return out
  end
  local left, right = groups(head), groups(tail or "")
  if not left or not right then return nil end
  if at then
    if #left + #right > 7 then return nil end
    for _ = 1, 8 - #left - #right do left[#left + 1] = 0 end
    for _, g in ipairs(right) do left[#left + 1] = g end
  elseif #left ~= 8 then
    return nil
  end
  local hi, lo = 0, 0
  for i = 1, 4 do hi = hi << 16 | left[i] end
  for i = 5, 8 do lo = lo << 16 | left[i] end
  return hi, lo
end

-- hi, lo as RFC 5952 text (as the kernel and ip print it): lowercase, no
-- leading zeros, the longest run of two or more zero groups as "::".
function M.text(hi, lo)
  local g = {}
  for i = 3, 0, -1 do g[#g + 1] = hi >> (16 * i) & 0xffff end
  for i = 3, 0, -1 do g[#g + 1] = lo >> (16 * i) & 0xffff end
  local best, best_len, run, run_len = 0, 1, 0, 0
  for i = 1, 8 do
    if g[i] == 0 then
      if run_len == 0 then run = i end
      run_len = run_len + 1
      if run_len > best_len then best, best_len = run, run_len end
    else
      run_len = 0
    end
  end
  local parts = {}
  for i = 1, 8 do parts[i] = string.format("%x", g[i]) end
  if best == 0 then return table.concat(parts, ":") end
  return table.concat(parts, ":", 1, best - 1) .. "::" .. table.concat(parts, ":", best + best_len, 8)
end

-- The masks of a prefix length, for hi and lo.
local function masks(plen)
  local mhi = plen >= 64 and -1 or plen == 0 and 0 or -1 << (64 - plen)
  local mlo = plen <= 64 and 0 or -1 << (128 - plen)
  return mhi, mlo
end

-- Is (hi, lo) inside the subnet net6 ({hi =, lo =, plen =})?
local function inside(net6, hi, lo)
  local mhi, mlo = masks(net6.plen)
  return hi & mhi == net6.hi and lo & mlo == net6.lo
end

-- The offset of (hi, lo) in the subnet; nil past what an offset holds.
local function offset_of(net6, hi, lo)
  if hi ~= net6.hi or lo - net6.lo < 0 then return nil end
  return lo - net6.lo
end

-- The address at offset n of the subnet.
function M.at(net6, n)
  return M.text(net6.hi, net6.lo | n)
end

-- The largest offset a subnet holds (capped at what an integer holds).
local function last_offset(plen)
  local bits = 128 - plen
  if bits >= 63 then return math.maxinteger end
  return (1 << bits) - 1
end

---------------------------------------------------------------- network create

-- "fd00:db8::/64": {hi, lo, plen, text}. The address must be the
-- network's own, and the prefix leave room for a gateway and a container
-- (16..126).
local function parse_subnet(op, subnet)
  local text, plen = subnet:match("^([%x:]+)/(%d%d?%d?)$")
  local hi, lo = M.parse(text)
  plen = tonumber(plen)
  if not hi or plen < 16 or plen > 126 then
    error(string.format('%s: invalid subnet6 "%s" (an IPv6 prefix /16../126, as fd00:db8::/64)', op, subnet), 0)
  end
  local mhi, mlo = masks(plen)
  if hi & mhi ~= hi or lo & mlo ~= lo then
    error(string.format("%s: invalid subnet %s: it should be %s/%d", op, subnet, M.text(hi & mhi, lo & mlo),
                        plen), 0)
  end
  if hi >> 56 == 0xff then -- ff00::/8: no unicast address to give a container
    error(string.format("%s: invalid subnet6 %s: a multicast prefix (ff00::/8)", op, subnet), 0)
  end
  return { hi = hi, lo = lo, plen = plen, text = M.text(hi, lo) .. "/" .. plen }
end

-- The gateway: in the subnet, not its ::0 (the subnet-router anycast
-- address). Default: ::1. Returns its offset.
local function parse_gateway(op, gateway, net6)
  if gateway == nil then return 1 end
  local hi, lo = M.parse(gateway)
  if not hi then error(string.format('%s: invalid gateway6 "%s" (an IPv6 address)', op, gateway), 0) end
  if not inside(net6, hi, lo) then
    error(string.format("%s: no matching subnet for gateway %s (it is not in %s)", op, gateway, net6.text), 0)
  end
  local n = offset_of(net6, hi, lo)
  if n == 0 then
    error(string.format("%s: gateway %s is the subnet-router anycast address of %s", op, gateway, net6.text), 0)
  end
  if not n then error(string.format("%s: gateway %s is too far into %s for this model", op, gateway, net6.text), 0) end
  return n
end

-- The options network_create takes for IPv6 (merged into its own).
M.OPTIONS = {
  ipv6 = { type = "boolean", doc = "a dual-stack network (--ipv6): needs subnet6" },
  subnet6 = { type = "string", max = 43, doc = "the IPv6 subnet, as fd00:db8::/64 (--subnet)" },
  gateway6 = { type = "string", max = 39, doc = "an address in subnet6 (--gateway; default: ::1)" },
}

-- The IPv6 configuration of network_create's options (nil: IPv4 only),
-- checked against the daemon's other networks. Nothing is made.
function M.config(daemon, op, opts)
  if not opts.ipv6 then
    if opts.subnet6 or opts.gateway6 then
      error(string.format("%s: option '%s' needs ipv6 = true (--ipv6)", op, opts.subnet6 and "subnet6" or "gateway6"),
            0)
    end
    return nil
  end
  if not opts.subnet6 then
    error(op .. ": could not find an available, non-overlapping IPv6 address pool among the defaults to assign "
          .. "to the network", 0)
  end
  local net6 = parse_subnet(op, opts.subnet6)
  net6.gateway_n = parse_gateway(op, opts.gateway6, net6)
  net6.gateway = M.at(net6, net6.gateway_n)
  for _, other in pairs(daemon.networks) do
    local o = other.v6
    if o then
      local mhi, mlo = masks(math.min(net6.plen, o.plen))
      if net6.hi & mhi == o.hi & mhi and net6.lo & mlo == o.lo & mlo then
        error(string.format("%s: Pool overlaps with other one on this address space (%s)", op, other.name), 0)
      end
    end
  end
  net6.next, net6.free, net6.used = 1, {}, {}
  return net6
end

-- The bridge's IPv6 side, once it exists: the gateway address (with DAD,
-- as dockerd adds it), and IPv6 back on for the bridge (nslab.ipv6 does
-- that for an IPv6 address).
function M.add_network(net)
  net.bridge:addr_add(net.v6.gateway .. "/" .. net.v6.plen)
end

---------------------------------------------------------------- allocation

-- A min-heap of numbers (released addresses or offsets): push, and pop
-- the smallest.
function M.heap_push(h, v)
  local i = #h + 1
  h[i] = v
  while i > 1 and h[i // 2] > h[i] do
    h[i], h[i // 2] = h[i // 2], h[i]
    i = i // 2
  end
end

function M.heap_pop(h)
  local top, n = h[1], #h
  local last = h[n]
  h[n] = nil
  if n == 1 then return top end
  h[1] = last
  local i = 1
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if l < n and h[l] < h[m] then m = l end
    if r < n and h[r] < h[m] then m = r end
    if m == i then return top end
    h[i], h[m] = h[m], h[i]
    i = m
  end
end

-- The lowest free offset of the network's IPv6 subnet, as the IPv4
-- allocate does: the smallest released one, else the cursor's.
function M.allocate(net, owner, who)
  local v6 = net.v6
  while #v6.free > 0 do
    local n = M.heap_pop(v6.free)
    if v6.used[n] == nil then
      v6.used[n] = owner
      return M.at(v6, n), n
    end
  end
  local last = last_offset(v6.plen)
  while v6.next <= last do
    local n = v6.next
    v6.next = n + 1
    if n ~= v6.gateway_n and v6.used[n] == nil then
      v6.used[n] = owner
      return M.at(v6, n), n
    end
  end
  error(string.format("%s: no free IPv6 address left in network %s", who, net.name), 0)
end

-- Give an offset back to the free list.
function M.release(net, n)
  local v6 = net.v6
  if n == nil or v6.used[n] == nil then return end
  v6.used[n] = nil
  M.heap_push(v6.free, n)
end

---------------------------------------------------------------- containers

-- The addrgenmode of a new link on a network: the kernel's own on an
-- IPv6 network (its link-local address, as Docker leaves it), unless the
-- lab turned IPv6 off everywhere; quiet (the caller's) otherwise.
function M.link_mode(net, quiet)
  if not net.v6 then return quiet end
  return require("nslab.ipv6")() == false and quiet or nil
end

-- eth0's IPv6 address, nodad as libnetwork adds it (before eth0 is up);
-- who: the command and container, for its error.
function M.connect_address(c, eth0, who)
  local net = c.network
  c.ip6, c.ip6_n = M.allocate(net, c.name, who)
  eth0:addr_add(c.ip6 .. "/" .. net.v6.plen, { nodad = true })
end

-- Once eth0 is up: the default route via the gateway.
function M.connect_route(c, inside_ns)
  inside_ns:route_add{ dst = "default", via = c.network.v6.gateway }
end

-- Is the bridge's IPv6 address generation still waiting for DAD?
local function tentative(br)
  for _, a in ipairs(br:addrs("inet6")) do
    if a.tentative then return true end
  end
  return false
end

-- Has dev of ns joined the solicited-node group of address (hi, lo), as
-- /proc/net/igmp6 lists it?
local function joined(ns, dev, lo)
  local group = string.format("ff0200000000000000000001ff%06x", lo & 0xffffff)
  return ns:run(function()
    for line in io.lines("/proc/thread-self/net/igmp6") do
      local ifname, g = line:match("^%d+%s+(%S+)%s+(%x+)")
      if ifname == dev and g == group then return true end
    end
    return false
  end)
end

M.DAD_TIMEOUT = 5 -- seconds: the kernel's delay (up to 1 s) and one probe (1 s), with room

-- `docker run` returns with the network working: once the container's
-- port gives the bridge carrier, the bridge's addresses do DAD (up to
-- ~2 s) and neither the gateway nor forwarding to the containers (the
-- bridge's neighbour solicitations need its link-local address) works
-- before it ends: wait for it (link:wait_ipv6, on the kernel's
-- notifications). And for eth0 to join its address's solicited-node
-- group, which the kernel does from a work queue even with nodad (a
-- solicitation before is dropped, the next one a second later); not for
-- eth0's link-local address, which nothing here needs (its DAD goes on).
function M.ready(c)
  local br = c.network.bridge
  local waits = tentative(br)
  if waits then
    local ok, address = br:wait_ipv6(M.DAD_TIMEOUT)
    if not ok then
      error(string.format("docker run %s: %s on %s still tentative after %g s (duplicate address detection)",
                          c.name, tostring(address), br.name, M.DAD_TIMEOUT), 0)
    end
  end
  -- the wait in the trace whenever this port gave the bridge carrier (the
  -- attach may have waited already, nslab.dad, and says nothing)
  if waits or c.network.ports == 1 then
    trace.command(string.format("while ip -6 addr show dev %s tentative | grep -q inet6; do sleep 0.02; done",
                                shell.quote(br.name)))
  end
  local _, lo = M.parse(c.ip6)
  local deadline = core.clock() + M.DAD_TIMEOUT
  while not joined(c.netns, "eth0", lo) do
    if core.clock() > deadline then
      error(string.format("docker run %s: eth0 did not join the solicited-node group of %s", c.name, c.ip6), 0)
    end
    core.sleep(0.005) -- (the kernel tells no one of a group it joins)
  end
end

-- Undo: the offset back to the free list.
function M.disconnect(c)
  if c.ip6_n and c.network and c.network.v6 then M.release(c.network, c.ip6_n) end
  c.ip6, c.ip6_n = nil, nil
end

---------------------------------------------------------------- inspect

-- The IPAM Config entry of the IPv6 subnet.
function M.ipam_config(net)
  return { Subnet = net.v6.text, Gateway = net.v6.gateway }
end

return M
