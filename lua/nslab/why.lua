-- nslab.why: why a probe did not arrive (or did, when it should not), from
-- what the kernel itself reports.
--
--   local report = why.diagnose(net0, "10.0.1.2")   -- check.why(net0, "10.0.1.2") in a lab
--   print(report:text())      -- the words; report.cause is the first reason found
--   print(report:json())      -- the same as JSON (nslab.json)
--
-- What it looks at, hop by hop from the source namespace:
--   * the route lookup of each namespace the packet reaches, as `ip route
--     get DST from SRC iif DEV` asks it (RTM_GETROUTE with the input
--     device: forwarding, rp_filter and martians decide there);
--   * where the output device leads: a veth's peer (its namespace found
--     among the world's by the pair's indexes), a bridge's ports (the one
--     whose far end holds the next hop), the bridge's own address;
--   * link state (down, no carrier, a bridge port not forwarding), the
--     neighbour entry of the next hop after the probe (INCOMPLETE, FAILED,
--     or a MAC address the device holding the next hop does not have);
--   * the sysctls that decide: ip_forward where a packet is forwarded,
--     rp_filter where it comes in, bridge-nf-call-iptables where it is
--     bridged, icmp_echo_ignore_all where it arrives;
--   * the way back: the same walk from the destination to the source (a
--     reply to a private source that no NAT rewrote has no route back);
--   * the probe sent again with a temporary nf_tables table tracing its
--     packets (meta nftrace, core nftrace_start) in every namespace on the
--     way, the trace events naming table, chain, rule and verdict, and the
--     rules whose counters moved meanwhile; a namespace on the way the
--     request never showed up in, behind a netdev ingress chain on its
--     device (that hook comes before any the trace can see). The table is
--     gone afterwards, and none of this is traced as a lab's command.
local core = require("nslab.core")
local json = require("nslab.json")

local why = {}

-- Is diagnosis under failed checks on? (specs of other things may turn
-- it off; nslab.check asks why.explain.)
why.enabled = true

local MAX_HOPS = 16

-- One of ping's options, as the core declares it, for the probe sent again.
local function ping_option(name, doc)
  local spec = {}
  for k, v in pairs(core.options().ping[name]) do spec[k] = v end
  spec.doc = doc
  return spec
end

local OPTIONS = {
  count = { type = "integer", min = 1, max = 10, doc = "echo requests of the probe sent again (2)" },
  timeout = { type = "number", min = 0.05, max = 10, doc = "how long the probe sent again waits (1 s)" },
  trace = { type = "boolean", doc = "false: no nf_tables trace and no second probe, only the lookups" },
  size = ping_option("size", "bytes after the ICMP header of the probe sent again (56)"),
  dont_fragment = ping_option("dont_fragment", "the probe sent again may not be fragmented (ping -M do)"),
}
why.OPTIONS = OPTIONS

---------------------------------------------------------------- the world

local function has(list, word)
  for _, w in ipairs(list or {}) do
    if w == word then return true end
  end
  return false
end

local function ipv4_number(text)
  local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

-- Does prefix addr/len hold x? (IPv4; IPv6 compares the whole address)
local function holds(addr, len, x)
  local p, q = ipv4_number(addr), ipv4_number(x)
  if not (p and q) then return addr == x end
  if len >= 32 then return p == q end
  local size = 1 << (32 - len)
  return p // size == q // size
end

-- A namespace as the walk sees it: links by index and name, addresses.
local function space_of(entry)
  local h = entry.ns.handle
  local s = { label = entry.label:gsub("^netns ", ""), ns = entry.ns, handle = h, by_index = {}, by_name = {},
              addrs = {}, close = entry.close }
  local ok, links = pcall(h.link_list, h)
  for _, l in ipairs(ok and links or {}) do
    s.by_index[l.ifindex], s.by_name[l.ifname] = l, l
  end
  local ok2, addrs = pcall(h.addr_list, h)
  for _, a in ipairs(ok2 and addrs or {}) do
    s.addrs[#s.addrs + 1] = { ifindex = a.ifindex, addr = a["local"], prefixlen = a.prefixlen, family = a.family }
  end
  return s
end

-- Every namespace of the world (as nslab.graph finds them), the source
-- one included even when graph would not list it.
local function world(src)
  local spaces, first = {}, nil
  local inode = src:inode()
  for _, entry in ipairs(require("nslab.graph").namespaces()) do
    local s = space_of(entry)
    spaces[#spaces + 1] = s
    if entry.ns:inode() == inode then first = s end
  end
  if not first then
    first = space_of({ ns = src, label = src.name or "source" })
    table.insert(spaces, 1, first)
  end
  return spaces, first
end

local function close_world(spaces)
  for _, s in ipairs(spaces) do
    if s.close then pcall(s.ns.close, s.ns) end
  end
end

-- The device of s holding address a, or nil.
local function owner(s, a)
  for _, x in ipairs(s.addrs) do
    if x.addr == a then return s.by_index[x.ifindex] end
  end
  return nil
end

local function name_of(s, ifindex)
  local l = s.by_index[ifindex]
  return l and l.ifname or ("if" .. tostring(ifindex))
end

-- The other end of veth l of s: {space, link} candidates (a pair is two
-- veths whose link indexes point at each other).
local function peers(spaces, s, l)
  if l.kind ~= "veth" or not l.link_index then return {} end
  if not l.link_netnsid then
    local m = s.by_index[l.link_index]
    return m and { { s, m } } or {}
  end
  local found = {}
  for _, t in ipairs(spaces) do
    local m = t ~= s and t.by_index[l.link_index]
    if m and m.kind == "veth" and m.link_index == l.ifindex and m.link_netnsid then found[#found + 1] = { t, m } end
  end
  return found
end

---------------------------------------------------------------- facts

local function sysctl(s, key)
  local ok, v = pcall(s.handle.sysctl_get, s.handle, key)
  if ok then return (tostring(v):gsub("%s+$", "")) end
  return nil
end

-- What a link's state says against a packet: nil when it can pass.
local function link_problem(s, l)
  if not has(l.flags, "UP") then
    return l.ifname .. " in " .. s.label .. " is down (ip link set " .. l.ifname .. " up)"
  end
  if not has(l.flags, "LOWER_UP") or has(l.flags, "NO-CARRIER") and not has(l.flags, "LOWER_UP") then
    return l.ifname .. " in " .. s.label .. " has no carrier (operstate " .. tostring(l.operstate) .. ")"
  end
  if l.port and l.port.state and l.port.state ~= "forwarding" then
    return "bridge port " .. l.ifname .. " in " .. s.label .. " is " .. tostring(l.port.state) .. ", not forwarding"
  end
  return nil
end

-- link_problem, and for a veth that is up without carrier which end is
-- down: the problem and the peer ({space, link}) it names.
local function link_cause(spaces, s, l)
  local problem = link_problem(s, l)
  local c = problem and has(l.flags, "UP") and l.kind == "veth" and peers(spaces, s, l)[1]
  if not c then return problem end
  return problem .. ": its peer " .. c[2].ifname .. " in " .. c[1].label ..
    (has(c[2].flags, "UP") and " has no carrier either" or " is down"), c
end

local function link_state(l)
  local t = { ifname = l.ifname, operstate = l.operstate, up = has(l.flags, "UP"), carrier = has(l.flags, "LOWER_UP") }
  if l.port then t.port_state = l.port.state end
  return t
end

-- The text of a route lookup's answer, as `ip route get` prints it.
local function route_text(s, r, dst)
  local words = {}
  if r.type ~= "unicast" then words[#words + 1] = r.type end
  words[#words + 1] = dst
  if r.gateway then words[#words + 1] = "via " .. r.gateway end
  if r.oif then words[#words + 1] = "dev " .. name_of(s, r.oif) end
  if r.prefsrc then words[#words + 1] = "src " .. r.prefsrc end
  if r.iif then words[#words + 1] = "iif " .. name_of(s, r.iif) end
  return table.concat(words, " ")
end

local function query_text(q)
  local words = { "ip route get " .. q.dst }
  if q.from then words[#words + 1] = "from " .. q.from end
  if q.iif_name then words[#words + 1] = "iif " .. q.iif_name end
  return table.concat(words, " ")
end

-- The loopback device of s.
local function loopback(s)
  for _, l in pairs(s.by_index) do
    if has(l.flags, "LOOPBACK") then return l end
  end
  return nil
end

-- A private IPv4 source (RFC 1918): what a router on the way to the
-- internet must translate.
local function private(addr)
  return holds("10.0.0.0", 8, addr) or holds("172.16.0.0", 12, addr) or holds("192.168.0.0", 16, addr)
end

-- A reply with no route back to a private source no NAT translated: the
-- router it left the private side by is where a masquerade rule goes.
local function untranslated(hops, back, src)
  local last = back[#back]
  if not (src and private(src) and last and last.errno == "ENETUNREACH") then return nil end
  for i = #hops - 1, 1, -1 do
    if hops[i].iif then
      return string.format("no NAT rewrote the private source %s: %s forwards it out %s as it is (a masquerade "
                           .. "or snat rule there would give the reply a way back)", src, hops[i].ns,
                           tostring(hops[i].oif))
    end
  end
  return nil
end

-- Why s takes dst as its own: the address that makes it local there.
local function local_text(s, dst)
  local on = owner(s, dst)
  if on then return dst .. " is " .. s.label .. "'s own address too (on " .. on.ifname .. ")" end
  for _, x in ipairs(s.addrs) do
    local l = s.by_index[x.ifindex]
    if l and has(l.flags, "LOOPBACK") and x.prefixlen and holds(x.addr, x.prefixlen, dst) then
      return s.label .. " takes " .. dst .. " as its own: " .. x.addr .. "/" .. x.prefixlen .. " on " .. l.ifname ..
        " makes the whole prefix local"
    end
  end
  return s.label .. "'s local table holds " .. dst
end

-- The longest route of s that holds dst and refuses it (unreachable,
-- blackhole, prohibit), as `ip route show table all` lists it; or nil.
local REFUSING = { unreachable = true, blackhole = true, prohibit = true }
local function refusing_route(s, dst)
  local ok, routes = pcall(s.handle.route_list, s.handle, { table = "all" })
  local best, best_len
  for _, r in ipairs(ok and routes or {}) do
    local addr, len = tostring(r.dst):match("^([^/]+)/(%d+)$")
    -- a host route's dst has no length (ip -j prints "198.51.100.9")
    if r.dst == "default" then
      addr, len = dst, 0
    elseif not addr then
      addr, len = r.dst, r.family == "inet6" and 128 or 32
    end
    len = tonumber(len)
    if REFUSING[r.type] and (dst:find(":") ~= nil) == (r.family == "inet6") and holds(addr, len, dst)
        and (not best_len or len > best_len) then
      best, best_len = r, len
    end
  end
  return best
end

-- Why a lookup was refused, in words: errno names are the kernel's.
local function refusal(s, hop, errno, message, dst)
  local iif = hop.iif
  local r = (errno == "EHOSTUNREACH" or errno == "EINVAL" or errno == "EACCES") and refusing_route(s, dst)
  if r then
    local article = r.type:match("^[aeiou]") and "an " or "a "
    return article .. r.type .. " route in " .. s.label .. " refuses " .. dst .. " (" .. r.type .. " " .. r.dst ..
      (r.table ~= "main" and " table " .. r.table or "") .. ": " .. message .. ")"
  end
  if errno == "ENETUNREACH" then
    local cause = "no route to " .. dst .. " in " .. s.label
    local lo = loopback(s)
    local down = lo and link_problem(s, lo)
    if down and (dst == "::1" or holds("127.0.0.0", 8, dst)) then
      return cause .. ": " .. down .. ", and a namespace's lo holds " .. (dst == "::1" and "::1" or "127.0.0.1/8") ..
        " only while it is up"
    end
    for _, x in ipairs(s.addrs) do
      local l = s.by_index[x.ifindex]
      if l and x.prefixlen and holds(x.addr, x.prefixlen, dst) and link_problem(s, l) then
        return cause .. ": " .. link_problem(s, l) .. ", and it holds " .. x.addr .. "/" .. x.prefixlen
      end
    end
    return cause .. " (" .. message .. ")"
  end
  if (errno == "EHOSTUNREACH" or errno == "ENETUNREACH" and dst:find(":")) and iif then
    local v = dst:find(":") and "ipv6" or "ipv4"
    if sysctl(s, "net." .. v .. ".conf." .. iif .. ".forwarding") == "0" then
      local all = v == "ipv4" and "net.ipv4.ip_forward" or "net.ipv6.conf.all.forwarding"
      local value = tostring(sysctl(s, all))
      if value ~= "0" then -- on, but off for the device it came in on
        return s.label .. " does not forward what comes in on " .. iif .. ": net." .. v .. ".conf." .. iif ..
          ".forwarding = 0 (" .. all .. " = " .. value .. " sets every device once; this one was set apart), " ..
          "so a packet for " .. dst .. " coming in on " .. iif .. " is refused"
      end
      return s.label .. " does not forward: " .. all .. " = 0 (" .. iif .. " forwarding = 0), so a packet for " ..
        dst .. " coming in on " .. iif .. " is refused"
    end
  end
  -- rp_filter: older kernels say EXDEV, newer ones EINVAL as for any
  -- martian; the lookup of the way back tells them apart
  if iif and (errno == "EXDEV" or errno == "EINVAL") and (hop.rp_filter or 0) > 0 then
    local back = s.handle:route_get{ dst = hop.from, soft = true }
    local out = back and back.oif and name_of(s, back.oif)
    if errno == "EXDEV" or out ~= iif then
      return s.label .. "'s reverse path filter drops it: the source " .. tostring(hop.from) .. " coming in on " ..
        iif .. " would be routed back " .. (out and "through " .. out or "nowhere") .. " (rp_filter = " ..
        tostring(hop.rp_filter) .. ")"
    end
  end
  local from = errno == "EINVAL" and iif and hop.from and s.handle:route_get{ dst = hop.from, soft = true }
  if from and from.type == "local" then
    return s.label .. " drops the packet as a martian (a local source coming in on " .. iif .. "): " ..
      local_text(s, hop.from)
  end
  if errno == "EINVAL" and iif then
    return s.label .. " refuses the packet as a martian (" .. message .. ": source " .. tostring(hop.from) ..
      " or destination " .. dst .. " is not valid on " .. iif .. ")"
  end
  return "the route lookup in " .. s.label .. " fails: " .. message
end

---------------------------------------------------------------- the walk

-- The bridge br's forwarding entry for mac in t (`bridge fdb`), read
-- once per space: a static entry, or one learned before a move, sends
-- the frame where it says, whoever owns the address.
local function fdb_entry(t, br, mac)
  if not t.fdb then
    local ok, list = pcall(t.handle.neigh_list, t.handle, { family = "bridge" })
    t.fdb = ok and list or {}
  end
  mac = mac and mac:lower()
  for _, e in ipairs(t.fdb) do
    if e.master_index == br.ifindex and e.mac == mac then return e end
  end
  return nil
end

-- Where a packet leaving s through link l for next hop nh is received:
-- the space, the device, and the bridge it crossed (or nil, why not).
local function follow(spaces, s, l, nh, hop)
  local function through_bridge(t, br, inport)
    if owner(t, nh) then return t, br end -- (the bridge's namespace answers ARP for it)
    hop.bridge = { ns = t.label, name = br.ifname, port_in = inport and inport.ifname }
    hop.bridges = (hop.bridges or 0) + 1
    local sysval = sysctl(t, "net.bridge.bridge-nf-call-iptables")
    if sysval then hop.bridge.nf_call_iptables = tonumber(sysval) end
    for _, p in pairs(t.by_index) do
      if p.master_index == br.ifindex and p ~= inport then
        for _, c in ipairs(peers(spaces, t, p)) do
          local owns = owner(c[1], nh)
          local e = owns and fdb_entry(t, br, c[2].address)
          local elsewhere = e and e.ifindex ~= p.ifindex and t.by_index[e.ifindex]
          if elsewhere then
            hop.bridge.port_out = elsewhere.ifname
            return nil, string.format("bridge %s in %s sends %s (%s in %s, which holds %s) out %s, not %s: "
                                        .. "its forwarding entry says so (%s; bridge fdb del %s dev %s master)",
                                      br.ifname, t.label, c[2].address, c[2].ifname, c[1].label, nh,
                                      elsewhere.ifname, p.ifname, e.state == "static" and "static"
                                        or e.state == "permanent" and "permanent" or "learned there",
                                      c[2].address, elsewhere.ifname)
          end
          if owns then
            hop.bridge.port_out = p.ifname
            hop.bridge.problem = (inport and link_cause(spaces, t, inport)) or link_cause(spaces, t, p)
            return c[1], c[2]
          end
        end
      end
    end
    return nil, "no port of bridge " .. br.ifname .. " in " .. t.label .. " leads to " .. nh
  end
  if l.kind == "bridge" then return through_bridge(s, l, nil) end
  if l.kind ~= "veth" then
    return nil, l.ifname .. " in " .. s.label .. " is a " .. tostring(l.kind or "device") ..
      ": the walk does not follow it"
  end
  local candidates = peers(spaces, s, l)
  if #candidates == 0 then return nil, "the peer of " .. l.ifname .. " is in no namespace of the lab" end
  local pick = candidates[1]
  for _, c in ipairs(candidates) do
    if owner(c[1], nh) then pick = c end
  end
  local t, m = pick[1], pick[2]
  hop.peer = { ns = t.label, ifname = m.ifname, state = link_state(m) }
  local master = m.master_index and t.by_index[m.master_index]
  local bridge = master and master.kind == "bridge" and master or nil
  -- a bridge set down first: its ports are disabled for that
  local problem = bridge and not has(bridge.flags, "UP") and link_problem(t, bridge) or link_problem(t, m)
  if problem then return nil, problem end
  if bridge then return through_bridge(t, bridge, m) end
  if not owner(t, nh) then -- nothing there answers ARP/ND for the next hop
    return nil, "nothing answers for " .. nh .. ": the other end of " .. l.ifname .. ", " .. m.ifname .. " in " ..
      t.label .. ", and its namespace do not hold it"
  end
  return t, m
end

-- Walk from space s towards dst (src: the packet's source). Returns the
-- hops, whether it arrived, and the cause where it stopped. home: the
-- space it must arrive in (a reply's source), when it is known.
local function walk(spaces, s, src, dst, home)
  local hops, iif, seen = {}, nil, {}
  for _ = 1, MAX_HOPS do
    local q = { dst = dst, soft = true }
    local hop = { ns = s.label, space = s }
    hops[#hops + 1] = hop
    if iif then
      q.from, q.iif, hop.iif, hop.from = src, iif.ifindex, iif.ifname, src
    end
    if iif and not dst:find(":") then -- (IPv6 has no rp_filter sysctl)
      local rp_all = tonumber(sysctl(s, "net.ipv4.conf.all.rp_filter")) or 0
      local rp_dev = tonumber(sysctl(s, "net.ipv4.conf." .. iif.ifname .. ".rp_filter")) or 0
      hop.rp_filter = math.max(rp_all, rp_dev)
    end
    hop.query = query_text({ dst = dst, from = q.from, iif_name = hop.iif })
    local key = s.label .. "|" .. tostring(hop.iif)
    if seen[key] then
      hop.cause = "a loop: the packet comes back to " .. s.label .. (hop.iif and " on " .. hop.iif or "")
      return hops, false, hop.cause
    end
    seen[key] = true
    local r, message, errno = s.handle:route_get(q)
    if not r then
      hop.error, hop.errno = message, errno
      hop.cause = refusal(s, hop, errno, message, dst)
      return hops, false, hop.cause
    end
    hop.route = route_text(s, r, dst)
    hop.type = r.type
    if not src then src = r.prefsrc end
    local lo = r.type == "local" and not iif and s.by_index[r.oif]
    if lo and has(lo.flags, "LOOPBACK") and link_problem(s, lo) then
      -- what a namespace sends to itself goes out through lo and back in
      local on = owner(s, dst)
      hop.cause = link_problem(s, lo) .. ": what " .. s.label .. " sends to its own address " .. dst ..
        (on and on ~= lo and " (on " .. on.ifname .. ")" or "") .. " goes through lo"
      return hops, false, hop.cause
    end
    if r.type == "local" and home and s ~= home then
      hop.cause = "it stays in " .. s.label .. ": " .. local_text(s, dst)
      return hops, false, hop.cause
    end
    if r.type == "local" then
      hop.arrived = true
      return hops, true, nil, src
    end
    if r.type ~= "unicast" then
      hop.cause = "the route in " .. s.label .. " for " .. dst .. " is of type " .. r.type
      return hops, false, hop.cause
    end
    if iif then
      local fwd = dst:find(":") and "net.ipv6.conf.all.forwarding" or "net.ipv4.ip_forward"
      hop.forwarding = tonumber(sysctl(s, fwd))
      -- IPv6 looks the route up whatever forwarding says; ip6_forward drops
      if hop.forwarding == 0 and dst:find(":") then
        hop.cause = s.label .. " does not forward: " .. fwd .. " = 0, so a packet for " .. dst ..
          " coming in on " .. iif.ifname .. " is dropped"
        return hops, false, hop.cause
      end
    end
    local l = s.by_index[r.oif]
    if not l then
      hop.cause = "the route in " .. s.label .. " leaves through an unknown device"
      return hops, false, hop.cause
    end
    hop.oif, hop.link = l.ifname, link_state(l)
    hop.nexthop = r.gateway or dst
    local problem, c = link_cause(spaces, s, l)
    if c then hop.peer = { ns = c[1].label, ifname = c[2].ifname, state = link_state(c[2]) } end
    if problem then
      hop.cause = problem
      return hops, false, hop.cause
    end
    local t, m = follow(spaces, s, l, hop.nexthop, hop)
    if not t then
      hop.cause = m
      return hops, false, hop.cause
    end
    if hop.bridge and hop.bridge.problem then
      hop.cause = hop.bridge.problem
      return hops, false, hop.cause
    end
    s, iif = t, m
    if src == nil then src = r.prefsrc end
  end
  return hops, false, "more than " .. MAX_HOPS .. " hops: a loop?"
end

---------------------------------------------------------------- nf_tables

local function ruleset(s)
  local ok, rs = pcall(s.handle.nft_list, s.handle)
  return ok and rs or { tables = {}, chains = {}, rules = {} }
end

local function rule_key(r) return r.family .. " " .. r.table .. " " .. r.chain .. " " .. r.handle end

-- A rule in a namespace of the world: a trace step's, a counter's.
local function placed_key(x) return x.ns .. " " .. rule_key(x) end

local function packets_of(r)
  local n = nil
  for _, x in ipairs(r.exprs or {}) do
    if x[1] == "counter" then n = (n or 0) + (x.packets or 0) end
  end
  return n
end

-- Rules of s whose counters moved between before and after.
local function moved(s, before, after)
  local old, out, places = {}, {}, {}
  for _, r in ipairs(before.rules or {}) do old[rule_key(r)] = packets_of(r) end
  for _, r in ipairs(after.rules or {}) do
    local chain = r.family .. " " .. r.table .. " " .. r.chain
    places[chain] = (places[chain] or 0) + 1
    local now, was = packets_of(r), old[rule_key(r)]
    if now and r.table ~= "nslab-why" and now > (was or 0) then
      out[#out + 1] = { ns = s.label, family = r.family, table = r.table, chain = r.chain, handle = r.handle,
                        place = places[chain], rule = r.plain, packets = now - (was or 0) }
    end
  end
  return out
end

local function chain_of(rs, family, tablename, name)
  for _, c in ipairs(rs.chains or {}) do
    if c.family == family and c.table == tablename and c.name == name then return c end
  end
  return nil
end

-- The rule with that handle, and its place in its chain (1: the first).
local function rule_of(rs, family, tablename, chain, handle)
  local place = 0
  for _, r in ipairs(rs.rules or {}) do
    if r.family == family and r.table == tablename and r.chain == chain then
      place = place + 1
      if r.handle == handle then return r, place end
    end
  end
  return nil
end

-- A rule as a student finds it: its place in the chain and the handle
-- `nft -a list ruleset` shows ("rule 1 (handle 14)").
local function rule_words(place, handle)
  if place then return "rule " .. place .. " (handle " .. tostring(handle) .. ")" end
  return "the rule of handle " .. tostring(handle)
end

-- "icmp echo-request 10.0.1.1 > 10.0.1.2" for an event that carried the headers.
local function packet_text(ev)
  if not ev.saddr then return nil end
  local what = ev.icmp_type and (ev.protocol .. " " .. ev.icmp_type) or (ev.protocol or "ip")
  return what .. " " .. ev.saddr .. " > " .. ev.daddr
end

-- The events of the lab's tables worth saying: verdicts and policies.
local function trace_steps(s, events, rs)
  local steps, packet = {}, {}
  for _, ev in ipairs(events) do
    packet[ev.id] = packet[ev.id] or packet_text(ev)
    if ev.table ~= "nslab-why" and (ev.type == "policy" or (ev.verdict and ev.verdict ~= "continue")) then
      local step = { ns = s.label, id = ev.id, family = ev.family, table = ev.table, chain = ev.chain,
                     type = ev.type, verdict = ev.type == "policy" and ev.policy or ev.verdict, handle = ev.handle,
                     target = ev.target, iif = ev.iif and name_of(s, ev.iif), oif = ev.oif and name_of(s, ev.oif) }
      local c = chain_of(rs, ev.family, ev.table, ev.chain)
      if c and c.hook then step.hook = c.hook end
      if ev.handle then
        local r, place = rule_of(rs, ev.family, ev.table, ev.chain, ev.handle)
        step.rule, step.place = r and r.plain, place
      end
      steps[#steps + 1] = step
    end
  end
  for _, step in ipairs(steps) do step.packet = packet[step.id] end
  return steps
end

local function chain_words(step)
  return "chain " .. step.family .. " " .. step.table .. " " .. step.chain
end

local function step_text(step)
  if step.type == "policy" then
    return chain_words(step) .. ": policy " .. tostring(step.verdict)
  end
  local what = rule_words(step.place, step.handle) .. (step.rule and ": " .. step.rule or "")
  local verdict = step.verdict .. (step.target and " " .. step.target or "")
  return chain_words(step) .. ": " .. what .. ": " .. verdict
end

local function rejects(rule) return rule ~= nil and rule:find("%f[%w]reject%f[%W]") ~= nil end

local function drop_cause(step)
  if step.type == "policy" then
    return "dropped by the policy of " .. chain_words(step) .. " (policy drop) in " .. step.ns
  end
  -- a reject is a drop to the trace; the rule says it answers with an error
  local verb = rejects(step.rule) and "rejected" or "dropped"
  return verb .. " by " .. rule_words(step.place, step.handle) .. " of " .. chain_words(step) .. " in " .. step.ns ..
    (step.rule and ": " .. step.rule or "")
end

-- Drop rules whose counters moved while the probe went, for packets the
-- trace does not follow (an ARP request a bridge-family rule drops: the
-- trace marks ICMP only): not in seen, the rules the trace named.
local function counted_drops(tr, seen)
  local out = {}
  for _, c in ipairs(tr.counters or {}) do
    local rule = tostring(c.rule or "")
    if not seen[placed_key(c)] and (rule:find("%f[%w]drop%f[%W]") or rejects(rule)) then
      local unseen = c.family == "netdev" and "its hook comes before any the trace sees"
                     or "for packets the trace does not follow, as ARP"
      out[#out + 1] = string.format("%s (its counter moved by %d during the probe, %s)", drop_cause(c), c.packets,
                                    unseen)
    end
  end
  return out
end

-- Trace the probe through every space on the way: all tables or none.
local function traced_probe(src_space, dst, spaces_on_path, addrs, ping)
  local tracers, before, out = {}, {}, { steps = {}, counters = {}, sources = {} }
  local ok, err = pcall(function()
    for i, s in ipairs(spaces_on_path) do
      before[i] = ruleset(s)
      tracers[i] = s.handle:nftrace_start{ addrs = addrs }
    end
  end)
  if not ok then
    for _, t in ipairs(tracers) do pcall(t.stop, t) end
    out.error = "no trace: " .. tostring(err)
    tracers = {}
  end
  local probe_ok, result = pcall(src_space.handle.ping, src_space.handle, dst, ping)
  out.probe = probe_ok and { sent = result.sent, received = result.received, error = result.error }
    or { error = tostring(result) }
  for i, s in ipairs(spaces_on_path) do
    local after = ruleset(s)
    if tracers[i] then
      local got, events, lost = pcall(tracers[i].events, tracers[i])
      pcall(tracers[i].stop, tracers[i])
      if got then
        for _, step in ipairs(trace_steps(s, events, after)) do out.steps[#out.steps + 1] = step end
        for _, ev in ipairs(events) do -- the request's source as s saw it (after a NAT on the way)
          if ev.daddr == dst and ev.saddr and not out.sources[s.label] then out.sources[s.label] = ev.saddr end
        end
        if lost then out.lost = true end
      end
    end
    if before[i] then
      for _, c in ipairs(moved(s, before[i], after)) do out.counters[#out.counters + 1] = c end
    end
  end
  return out
end

-- A probe bigger than the way takes (the probe sent again failed with a
-- hop's "Frag needed" or the local "message too long"): the first link
-- on the way whose MTU is smaller than the packet.
local function too_big(hops, probe, target, opts)
  local err = probe and probe.error
  if not (err and (err:find("Frag needed", 1, true) or err:find("Packet too big", 1, true)
                   or err:find("message too long", 1, true))) then
    return nil
  end
  local bytes = (opts.size or 56) + 8 + (target:find(":", 1, true) and 40 or 20)
  local fixed = opts.dont_fragment and " (not to be fragmented: ping -M do)" or ""
  for _, hop in ipairs(hops) do
    local l = hop.oif and hop.space.by_name[hop.oif]
    if l and l.mtu and l.mtu < bytes then
      return string.format("too big for the way: %d-byte packets%s, and %s in %s has MTU %d; the probe sent again: %s",
                           bytes, fixed, hop.oif, hop.ns, l.mtu, err)
    end
  end
  return string.format("too big for the way: %d-byte packets%s; the probe sent again: %s", bytes, fixed, err)
end

---------------------------------------------------------------- the report

local Report = {}
Report.__index = Report
why.Report = Report

local function hop_lines(lines, hops, indent)
  for _, hop in ipairs(hops) do
    local line = indent .. hop.ns .. ": " .. hop.query .. " → " .. (hop.route or ("refused: " .. tostring(hop.error)))
    if hop.neigh then line = line .. " (neighbour " .. hop.nexthop .. " " .. hop.neigh .. ")" end
    lines[#lines + 1] = line
    local notes = {}
    if hop.iif and hop.rp_filter and hop.rp_filter > 0 then notes[#notes + 1] = "rp_filter " .. hop.rp_filter end
    if hop.forwarding then notes[#notes + 1] = "ip_forward " .. hop.forwarding end
    if hop.peer then notes[#notes + 1] = "→ " .. hop.peer.ifname .. " in " .. hop.peer.ns end
    if hop.bridge then
      local b = hop.bridge
      notes[#notes + 1] = "bridge " .. b.name .. " in " .. b.ns .. (b.port_out and " out " .. b.port_out or "") ..
        (b.nf_call_iptables and ", bridge-nf-call-iptables " .. b.nf_call_iptables or "")
    end
    if #notes > 0 then lines[#lines + 1] = indent .. "  " .. table.concat(notes, "; ") end
  end
end

-- The report as lines of text (no indentation of its own).
function Report:lines()
  local lines = {}
  local probe = self.trace and self.trace.probe
  if self.cause then
    lines[#lines + 1] = "why: " .. self.cause
  elseif probe and (probe.received or 0) > 0 then
    lines[#lines + 1] = string.format("why: nothing is in the way: the probe sent again got %d/%d replies",
                                      probe.received, probe.sent or 0)
  else
    lines[#lines + 1] = "why: no cause found (the way there and back looks open)"
  end
  for i = 2, #self.causes do lines[#lines + 1] = "also: " .. self.causes[i] end
  lines[#lines + 1] = "the way there (" .. self.src_text .. " → " .. self.dst .. "):"
  hop_lines(lines, self.path, "  ")
  if #self.back > 0 then
    lines[#lines + 1] = "the way back (" .. self.dst .. " → " .. tostring(self.translated or self.src) ..
      (self.translated and ", the source " .. tostring(self.src) .. " as it arrived, translated on the way" or "") ..
      "):"
    hop_lines(lines, self.back, "  ")
  end
  if self.trace then
    if self.trace.error then
      lines[#lines + 1] = self.trace.error
    else
      lines[#lines + 1] = "nf_tables trace of the probe sent again (" .. tostring(self.trace.probe.received) ..
        "/" .. tostring(self.trace.probe.sent) .. " replies):"
      local seen = {}
      for _, step in ipairs(self.trace.steps) do
        local text = step.ns .. ": " .. step_text(step) .. (step.packet and "  [" .. step.packet .. "]" or "")
        if not seen[text] then lines[#lines + 1] = "  " .. text end
        seen[text] = true
      end
      if #self.trace.steps == 0 then lines[#lines + 1] = "  no chain of the lab's tables gave a verdict" end
      for _, c in ipairs(self.trace.counters) do
        lines[#lines + 1] = string.format("  counter +%d: %s: chain %s %s %s %s: %s", c.packets, c.ns, c.family,
                                          c.table, c.chain, rule_words(c.place, c.handle), c.rule)
      end
    end
  end
  return lines
end

function Report:text(indent)
  indent = indent or ""
  local lines = self:lines()
  for i, l in ipairs(lines) do lines[i] = indent .. l end
  return table.concat(lines, "\n")
end
Report.__tostring = function(self) return self:text() end

-- The plain data (what the JSON says).
function Report:data()
  local function hops(list)
    local out = json.array()
    for i, hop in ipairs(list) do
      local h = {}
      for k, v in pairs(hop) do
        if k ~= "space" then h[k] = v end
      end
      out[i] = h
    end
    return out
  end
  local causes = json.array()
  for i, c in ipairs(self.causes) do causes[i] = c end
  local d = { from = self.from, src = self.src, dst = self.dst, arrived = self.arrived, translated = self.translated,
              cause = self.cause,
              causes = causes, path = hops(self.path), back = hops(self.back) }
  if self.trace then
    local steps, counters = json.array(), json.array()
    for i, s in ipairs(self.trace.steps) do steps[i] = s end
    for i, c in ipairs(self.trace.counters) do counters[i] = c end
    d.trace = { error = self.trace.error, probe = self.trace.probe, steps = steps, counters = counters,
                lost = self.trace.lost }
  end
  return d
end

function Report:json(opts) return json.encode(self:data(), opts) end

---------------------------------------------------------------- diagnose

-- The device of s named name, or nil.
local function link_named(s, name)
  for _, l in pairs(s.by_index) do
    if l.ifname == name then return l end
  end
  return nil
end

-- Does mac belong to the device the frames for hop's next hop arrive on?
-- That is the next hop's incoming device when the walk went on (the
-- kernel takes a frame only for the MAC of the device it arrives on).
-- Where it stopped, any device of the namespace holding the address
-- will do: Linux answers ARP for its addresses on every device
-- (arp_ignore 0), so 10.0.0.2 on lo is reached through the veth's MAC.
local function mac_fits(spaces, hops, i, mac)
  local nxt = hops[i + 1]
  local receiver = nxt and nxt.space and nxt.iif and link_named(nxt.space, nxt.iif)
  if receiver and receiver.address then return receiver.address == mac, { receiver, nxt.space } end
  local holders = {}
  for _, t in ipairs(spaces) do
    local l = owner(t, hops[i].nexthop)
    if l and l.address then
      holders[#holders + 1] = { l, t }
      for _, other in pairs(t.by_index) do
        if other.address == mac then return true end
      end
    end
  end
  return #holders == 0, table.unpack(holders)
end

-- The neighbour entry of each hop's next hop, read after the probe: its
-- state, and its MAC against the device its frames arrive on.
local function neighbours(spaces, hops)
  for i, hop in ipairs(hops) do
    if hop.oif and hop.nexthop then
      local s = hop.space
      local ok, list = pcall(s.handle.neigh_list, s.handle)
      for _, n in ipairs(ok and list or {}) do
        if n.dst == hop.nexthop and s.by_index[n.ifindex] and s.by_index[n.ifindex].ifname == hop.oif then
          hop.neigh = table.concat(n.state or {}, ",")
          hop.lladdr = n.lladdr
        end
      end
      if hop.lladdr then
        local fits, receiver = mac_fits(spaces, hops, i, hop.lladdr)
        if not fits then
          local l, t = receiver[1], receiver[2]
          hop.wrong_lladdr = l.ifname .. " in " .. t.label .. " (" .. l.address .. ")"
        end
      end
    end
  end
end

-- A destination that got the echo request and sends nothing back: it
-- ignores echo requests (the request passes every rule; only the sysctl
-- says so).
local function ignored_echo(hops, dst)
  local last = hops[#hops]
  if not (last and last.space) then return nil end
  local key = dst:find(":") and "net.ipv6.icmp.echo_ignore_all" or "net.ipv4.icmp_echo_ignore_all"
  if sysctl(last.space, key) ~= "1" then return nil end
  return last.space.label .. " ignores echo requests: " .. key .. " = 1 (" .. dst .. " gets them and sends no reply)"
end

-- A namespace on the way that the request never reached (no trace event
-- for it there) behind a netdev ingress chain on the device it comes in
-- by: that chain runs before any hook the trace can see (the first such
-- hop only; the ones after it saw nothing either).
local function netdev_cause(hops, tr, dst)
  for i = 2, #hops do
    local h = hops[i]
    if h.iif and h.space and not tr.sources[h.space.label] then
      local rs = ruleset(h.space)
      for _, c in ipairs(rs.chains or {}) do
        if c.family == "netdev" and c.hook == "ingress" and c.device == h.iif then
          local rules = {}
          for _, rule in ipairs(rs.rules or {}) do
            if rule.family == "netdev" and rule.table == c.table and rule.chain == c.name then
              rules[#rules + 1] = rule.plain
            end
          end
          return string.format("the request for %s never reached %s's IP layer: netdev chain %s %s on %s (hook "
                               .. "ingress, policy %s) comes first%s", dst, h.space.label, c.table, c.name, h.iif,
                               tostring(c.policy), #rules > 0 and "; its rules: " .. table.concat(rules, "; ") or "")
        end
      end
      return nil
    end
  end
  return nil
end

local function neighbour_cause(hops)
  for _, hop in ipairs(hops) do
    if hop.wrong_lladdr then
      return string.format("the neighbour entry for %s on %s in %s says %s (%s), but %s is %s: its frames go "
                           .. "to a MAC address it does not have", hop.nexthop, hop.oif, hop.ns, hop.lladdr,
                           hop.neigh or "?", hop.nexthop, hop.wrong_lladdr)
    end
    if hop.neigh == "FAILED" or hop.neigh == "INCOMPLETE" then
      return "no answer to ARP/ND for " .. hop.nexthop .. " on " .. hop.oif .. " in " .. hop.ns ..
        " (neighbour " .. hop.neigh .. ")"
    end
  end
  return nil
end

local function source_ns(ns)
  if type(ns) == "table" and ns.handle == nil and type(ns.netns) == "table" then return ns.netns end
  return ns
end

-- why.diagnose(ns, target [, opts]): the report (see the top).
function why.diagnose(ns, target, opts, ...)
  require("nslab.options").nargs("check.why", 3, ns, target, opts, ...)
  ns = source_ns(ns)
  if type(ns) ~= "table" or type(ns.handle) ~= "userdata" then
    error("check.why: argument 1 (ns) must be a netns or a container, got " .. type(ns), 0)
  end
  local usable, why_not = pcall(ns.inode, ns)
  if not usable then error("check.why: argument 1 (ns): " .. tostring(why_not), 0) end
  core.check_value(target, "check.why", nil, "argument 2 (target)", { type = "string", max = 64, required = true })
  if not pcall(ns.handle.route_get, ns.handle, { dst = target, soft = true }) then
    error(string.format("check.why: argument 2 (target) must be an IPv4 or IPv6 address, got %q", target), 0)
  end
  core.check_options(opts, "check.why", nil, OPTIONS)
  opts = opts or {}
  local spaces, first = world(ns)
  local ok, report = pcall(function()
    local r = setmetatable({ from = first.label, dst = target, causes = {}, path = {}, back = {} }, Report)
    local hops, arrived, cause, src = walk(spaces, first, nil, target)
    r.path, r.arrived = hops, arrived
    r.src = src or (hops[1] and hops[1].route and hops[1].route:match("src (%S+)"))
    r.src_text = first.label .. (r.src and " " .. r.src or "")
    local on_path, seen = {}, {}
    local function add(s)
      if s and not seen[s] then seen[s], on_path[#on_path + 1] = true, s end
    end
    for _, h in ipairs(hops) do
      add(h.space)
      if h.bridge then
        for _, s in ipairs(spaces) do
          if s.label == h.bridge.ns then add(s) end
        end
      end
    end
    local back_cause
    if arrived and r.src then
      local last = hops[#hops].space
      local back, back_arrived, bc = walk(spaces, last, target, r.src, first)
      r.back = back
      if not back_arrived then
        local hint = untranslated(hops, back, r.src)
        back_cause = "the reply has no way back: " .. tostring(bc) .. (hint and "; " .. hint or "")
      end
      for _, h in ipairs(back) do add(h.space) end
    end
    if opts.trace ~= false then
      local addrs = { target }
      if r.src and r.src ~= target then addrs[2] = r.src end
      r.trace = traced_probe(first, target, on_path, addrs, { count = opts.count or 2, timeout = opts.timeout or 1,
                                                            interval = 0.2, size = opts.size,
                                                            dont_fragment = opts.dont_fragment })
    end
    -- a NAT on the way: the reply goes back to the source the destination saw
    local seen_as = arrived and r.trace and r.trace.sources[hops[#hops].ns]
    if seen_as and seen_as ~= r.src then
      r.translated = seen_as
      local back, back_arrived, bc = walk(spaces, hops[#hops].space, target, seen_as)
      r.back, back_cause = back, not back_arrived and "the reply has no way back: " .. tostring(bc) or nil
    end
    neighbours(spaces, r.path)
    neighbours(spaces, r.back)
    local causes, traced = r.causes, {}
    for _, step in ipairs(r.trace and r.trace.steps or {}) do
      if step.verdict == "drop" then
        local c = drop_cause(step)
        if not has(causes, c) then causes[#causes + 1] = c end
      end
      if step.handle then traced[placed_key(step)] = true end
    end
    if r.trace and #causes == 0 then
      for _, c in ipairs(counted_drops(r.trace, traced)) do causes[#causes + 1] = c end
    end
    if cause then causes[#causes + 1] = cause end
    local big = r.trace and too_big(hops, r.trace.probe, target, opts)
    if big then causes[#causes + 1] = big end
    local nd = r.trace and not r.trace.error and netdev_cause(hops, r.trace, target)
    if nd then causes[#causes + 1] = nd end
    local ignored = arrived and ignored_echo(hops, target)
    if ignored then causes[#causes + 1] = ignored end
    local nc = neighbour_cause(r.path)
    if nc then causes[#causes + 1] = nc end
    if back_cause then causes[#causes + 1] = back_cause end
    -- an ARP request of the way back left unanswered is what a broken way
    -- back (rp_filter, a reply routed elsewhere) looks like: after it
    nc = not nc and neighbour_cause(r.back)
    if nc then causes[#causes + 1] = nc end
    r.cause = causes[1]
    return r
  end)
  close_world(spaces)
  if not ok then error(report, 0) end
  return report
end

-- Failed probes of one check call that are diagnosed (each takes a probe
-- sent again, about a second): the first few say enough.
why.max_per_check = 3

-- For nslab.check: the text to put under a failed probe's FAIL line, and
-- the report; nil when there is nothing to diagnose with (a stand-in
-- namespace), diagnosis is off, or `earlier` failures of the same call
-- were diagnosed already. probe: the check's ping options (its size and
-- dont_fragment go to the probe sent again).
function why.explain(ns, target, earlier, probe)
  ns = source_ns(ns)
  if not why.enabled or type(ns) ~= "table" or type(ns.handle) ~= "userdata" or type(target) ~= "string" then
    return nil
  end
  if (earlier or 0) >= why.max_per_check then return nil end
  probe = probe or {}
  local ok, report = pcall(why.diagnose, ns, target,
                           { size = probe.size, dont_fragment = probe.dont_fragment or nil })
  if not ok then return "why: (no diagnosis: " .. tostring(report) .. ")", nil end
  return report:text(), report
end

return why
