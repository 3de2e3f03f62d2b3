-- The child process of bad_input_spec: runs some of the generated calls in
-- a world of its own, so that a crash or a hang ends this process, not the
-- spec. Run as
--
--   bin/nslab lua spec/support/badinput_driver.lua OUT MODE ID...
--
-- MODE is "batch" (a cheap fingerprint of the namespaces around each call,
-- the ip/nft witness at the start and the end), "each" (the witness around
-- every call) or "control" (each mapped target's valid call, in a fresh
-- world each, must succeed). Lines written to OUT, flushed one by one:
--   B id                      about to call
--   R id class seconds why message
--   L id what                 the call left something behind
--   W first last what         the witness changed, no call to blame
--   C i target ok|fail message a control
--   F message                 the fixture could not be made
--   DONE
package.path = "./?.lua;" .. package.path
local core = require("nslab.core")
local nslab = require("nslab")
local bi = require("spec.support.badinput")
local json = require("dkjson")

local out_path, mode = arg[1], arg[2]
local out = assert(io.open(out_path, "w"))
local function say(...)
  out:write(table.concat({ ... }, "\t"), "\n")
  out:flush()
end

---------------------------------------------------------------- the fixture

-- Everything a call may need, made on first use (a docker daemon or a
-- container only for the calls that need them).
local build = {}

local function fixture()
  nslab.netns.reset()
  nslab.docker.reset()
  collectgarbage()
  core.world_fresh()
  local f = { core = core, netns = nslab.netns }
  f.host = nslab.netns.host()
  f.A = nslab.netns.add("bi-a")
  f.B = nslab.netns.add("bi-b")
  f.Ah = f.A.handle
  local a0 = f.A:veth("bi-a0", "bi-b0", { peer_netns = f.B })
  f.link = a0
  a0:addr_add("198.51.100.1/24")
  f.A:link("lo"):up()
  a0:up()
  f.Ah:route_add{ dst = "192.0.2.0/24", dev = "bi-a0" }
  f.Ah:neigh_add("bi-a0", { dst = "198.51.100.5", lladdr = "02:00:00:00:00:05" })
  f.A:veth("bi-spare0", "bi-spare1")
  f.br = f.A:bridge("bi-br0")
  local p0 = f.A:veth("bi-p0", "bi-p1")
  f.br:attach(p0)
  f.attached = p0
  f.Ah:fdb_add("bi-p0", { mac = "02:00:00:00:00:09" })
  f.port = f.A:veth("bi-q0", "bi-q1")
  core.netns_create("bi-del"):close() -- for netns.delete and core.netns_delete
  f.T = f.A:nft_table("ip", "bi")
  f.CH = f.T:chain("bi-c")
  f.CH:rule("ip saddr 198.51.100.1 counter accept")
  f.T:chain("bi-j") -- a jump's target
  f.T:chain("bi-post", { type = "nat", hook = "postrouting", priority = 100 })
  f.T:chain("bi-pre", { type = "nat", hook = "prerouting", priority = -100 })
  f.rule_handle = f.CH:rules()[1].handle
  setmetatable(f, { __index = function(t, k)
    local make = build[k]
    if not make then return nil end
    local v = make(t)
    rawset(t, k, v)
    return v
  end })
  return f
end

local Link = nslab.link
-- Made where the witness does not look (anonymous namespaces, or
-- deleted again), so that making them on first use changes nothing seen.
function build.closed_core()
  local h = core.netns_create()
  h:close()
  return h
end
function build.deleted_core()
  local h = core.netns_create("bi-gone-core")
  core.netns_delete("bi-gone-core")
  return h
end
function build.closed_ns(f)
  local ns = f.netns.new()
  ns:close()
  return ns
end
function build.deleted_ns(f)
  local ns = f.netns.add("bi-gone")
  ns:veth("bi-g0", "bi-g1")
  core.netns_delete("bi-gone") -- underneath: the handle does not know
  return ns
end
function build.deleted_link(f)
  local l = f.A:veth("bi-d0", "bi-d1")
  f.Ah:link_del("bi-d0")
  return l
end
function build.R(f) return f.netns.new() end -- unwitnessed: for replaced_link
function build.replaced_link(f)
  local l = f.R:veth("bi-r0", "bi-r1")
  f.R.handle:link_del("bi-r0")
  f.R.handle:link_add{ name = "bi-r0", kind = "veth", peer = "bi-r1" }
  return l
end
function build.link_in_deleted_ns(f) return Link.new(f.deleted_ns, "bi-g0") end
function build.link_n16(f) return Link.new(f.A, bi.N16) end
function build.link_mb(f) return Link.new(f.A, bi.MB) end
function build.link_empty(f) return Link.new(f.A, "") end
function build.link_nul(f) return Link.new(f.A, "bi-a0\0x") end
function build.deleted_br(f)
  local b = f.A:bridge("bi-br-gone")
  f.Ah:link_del("bi-br-gone")
  return b
end
function build.deleted_T(f)
  local t = f.A:nft_table("ip", "bi-gone")
  f.Ah:nft_apply{ { op = "delete", object = "table", family = "ip", table = "bi-gone" } }
  return t
end
function build.deleted_CH(f)
  local c = f.T:chain("bi-c-gone")
  f.Ah:nft_apply{ { op = "delete", object = "chain", family = "ip", table = "bi", chain = "bi-c-gone" } }
  return c
end
function build.ct() return nslab.container.start{ name = "bi-ct" } end
function build.stopped_ct()
  local c = nslab.container.start{ name = "bi-ct-stopped" }
  c:stop()
  return c
end
function build.proc(f) return core.container_start{ net = f.Ah } end
function build.stopped_proc(f)
  local p = core.container_start{ net = f.Ah }
  p:stop()
  return p
end
function build.udp(f)
  local s = f.Ah:udp_bind("127.0.0.1", 0)
  s:sendto("x", "127.0.0.1", s:port()) -- a datagram for recvfrom
  return s
end
function build.closed_udp(f)
  local s = f.Ah:udp_bind("127.0.0.1", 0)
  s:close()
  return s
end
function build.listener(f) return f.Ah:tcp_listen("127.0.0.1", 0) end
function build.tcp_port(f) return f.listener:port() end
function build.check(f)
  local runner = { record = function(passed) return passed end, host = function() return f.host end }
  return require("nslab.check").bind(runner)
end
function build.docker()
  local d = nslab.docker
  d.run{ name = "bi-d", network = "none" }
  d.run{ name = "bi-ds", network = "none" }
  d.stop("bi-ds")
  return d
end

---------------------------------------------------------------- what is there

local function keep_addr(a) return not tostring(a):match("^fe80") end
local function keep_route(dst) return not tostring(dst):match("^fe80") and not tostring(dst):match("^ff") end

-- A canonical text of a Lua value (sorted keys).
local function canon(v)
  if type(v) ~= "table" then return type(v) == "string" and string.format("%q", v) or tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. canon(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- The namespaces involved: the container's too, once there is one (in
-- the fingerprint only: it comes and goes with the calls that need it).
local function places(f, witnessed)
  local list = { { "host", f.host }, { "bi-a", f.A }, { "bi-b", f.B } }
  local ct = rawget(f, "ct")
  if ct and not witnessed then list[#list + 1] = { "bi-ct", ct.netns } end
  return list
end

-- The namespaces as the core lists them: cheap, around every call.
local function row(t, ...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  t[#t + 1] = table.concat(parts, "|")
end

local function fingerprint(f)
  local parts = { "netns " .. table.concat(core.netns_list(), " ") }
  for _, p in ipairs(places(f)) do
    local h = p[2].handle
    local t = { p[1] }
    if p[1] == "bi-ct" and not pcall(h.fd, h) then goto next end -- a stopped container's
    for _, l in ipairs(h:link_list()) do
      local up = false
      for _, fl in ipairs(l.flags) do up = up or fl == "UP" end
      row(t, "link", l.ifname, l.kind, l.mtu, l.master_index, up, l.address)
    end
    for _, a in ipairs(h:addr_list()) do
      if keep_addr(a["local"]) then row(t, "addr", a.ifindex, a["local"], a.prefixlen) end
    end
    for _, r in ipairs(h:route_list{ table = "all" }) do
      if keep_route(r.dst) then row(t, "route", r.dst, r.gateway, r.oif, r.table, r.type) end
    end
    for _, n in ipairs(h:neigh_list{ family = "inet" }) do -- made ones, not what traffic resolved
      local permanent = false
      for _, st in ipairs(type(n.state) == "table" and n.state or {}) do permanent = permanent or st == "PERMANENT" end
      if permanent then row(t, "neigh", n.dst, n.ifindex, n.lladdr) end
    end
    local nft = h:nft_list()
    for _, x in ipairs(nft.tables) do row(t, "table", x.family, x.name) end
    for _, c in ipairs(nft.chains) do row(t, "chain", c.table, c.name, c.hook, c.priority, c.policy) end
    for _, r in ipairs(nft.rules) do row(t, "rule", r.table, r.chain, r.handle) end
    parts[#parts + 1] = table.concat(t, " ")
    ::next::
  end
  return parts
end

-- The independent witness: ip -j and nft -j, run inside each namespace.
local WITNESS = "ip -j -batch - <<E\nlink show\naddr show\nroute show table all\n-6 route show table all\nE\n" ..
  "echo; nft -j list ruleset"
local function witness(f)
  local parts = { "netns " .. canon(core.netns_list()) }
  for _, p in ipairs(places(f, true)) do
    local r = p[2].handle:exec({ "/bin/sh", "-c", WITNESS })
    local docs = {}
    for line in (r.stdout or ""):gmatch("[^\n]+") do docs[#docs + 1] = json.decode(line) end
    if #docs ~= 5 then parts[#parts + 1] = p[1] .. ": the witness printed " .. #docs .. " documents" end
    local links, addrs, routes = {}, {}, {}
    for _, l in ipairs(docs[1] or {}) do
      local up = false
      for _, fl in ipairs(l.flags or {}) do up = up or fl == "UP" end
      links[#links + 1] = { l.ifname, l.mtu, l.master, up } -- not the address: random per fixture
    end
    for _, l in ipairs(docs[2] or {}) do
      for _, a in ipairs(l.addr_info or {}) do
        if keep_addr(a["local"]) then addrs[#addrs + 1] = { l.ifname, a["local"], a.prefixlen } end
      end
    end
    for i = 3, 4 do
      for _, rt in ipairs(docs[i] or {}) do
        if keep_route(rt.dst) then routes[#routes + 1] = { rt.dst, rt.gateway, rt.dev, rt.table, rt.type } end
      end
    end
    local nft = {}
    for _, item in ipairs((docs[5] or {}).nftables or {}) do
      if not item.metainfo then
        if item.rule then item.rule.expr = #(item.rule.expr or {}) end
        nft[#nft + 1] = item
      end
    end
    parts[#parts + 1] = p[1] .. " links " .. canon(links) .. " addrs " .. canon(addrs) .. " routes " ..
      canon(routes) .. " nft " .. canon(nft) .. (r.status ~= 0 and " (failed: " .. r.stderr .. ")" or "")
  end
  return parts
end

-- What differs between two lists of parts, shortly.
local function difference(before, after)
  for i = 1, math.max(#before, #after) do
    local a, b = before[i] or "", after[i] or ""
    if a ~= b then
      local j = 1
      while j <= #a and a:sub(j, j) == b:sub(j, j) do j = j + 1 end
      local from = math.max(1, j - 40)
      return (a:match("^(%S+)") or "?") .. ": " .. bi.short(a:sub(from, j + 80), 130) .. " -> " ..
        bi.short(b:sub(from, j + 80), 130)
    end
  end
end

---------------------------------------------------------------- running

local cases = bi.cases()

-- Fixture objects that change what the witness sees when made: made
-- between two looks.
local VISIBLE = { ["docker."] = "docker" }

local function prepare(case, f)
  if case.setup then pcall(case.setup, f) end
  if case.target:match("^check%.") then local _ = f.check end
  if case.recv and case.recv ~= "self" then local _ = f[case.recv] end
end

local function safe_witness(f)
  local ok, w = pcall(witness, f)
  return ok and w or { "witness failed: " .. bi.short(w) }
end

-- A fresh fixture looks the same every time (no addresses, no ifindexes
-- in the witness): its witness is taken once, and once more with docker.
local baselines = {}
local function baseline(f)
  local key = rawget(f, "docker") and "docker" or "fresh"
  baselines[key] = baselines[key] or safe_witness(f)
  return baselines[key]
end

local function run_cases(ids)
  local ok_f, f = pcall(fixture)
  if not ok_f then
    say("F", bi.short(f, 400))
    return
  end
  local each = mode == "each"
  local seen = not each and baseline(f) or nil
  local first
  -- Compare the witness with the last look; blame nobody (the calls since
  -- the last look left no trace in the fingerprint).
  local function look(last)
    if each or not first then return end
    local d = difference(seen, safe_witness(f))
    if d then say("W", first, last, d) end
    first = nil
  end
  for k, id in ipairs(ids) do
    local case = cases[id]
    local visible = not case.bare and VISIBLE[case.group.prefix]
    if visible and not rawget(f, visible) then
      look(ids[k - 1])
      local ok_v, err_v = pcall(function() return f[visible] end)
      if not ok_v then say("F", bi.short(err_v, 400)) return end
      seen = not each and baseline(f) or nil
    end
    first = first or id
    say("B", id)
    local ready, fn, args, n = pcall(function()
      prepare(case, f)
      return bi.call_of(case, f)
    end)
    if not ready then
      say("R", id, "setup", 0, "the call could not be made", bi.short(fn, 300))
    else
      local before = each and safe_witness(f) or fingerprint(f)
      local t0 = core.clock()
      local ok, err = pcall(fn, table.unpack(args, 1, n))
      local dt = core.clock() - t0
      local class, why = bi.classify(ok, err, case, dt)
      local ok_after, after = pcall(each and safe_witness or fingerprint, f)
      local changed = not ok_after and ("listing failed: " .. bi.short(after)) or difference(before, after)
      if changed and class == "clean" then class, why = "leftover", "error, and something was left" end
      say("R", id, class, string.format("%.3f", dt), why or "", ok and "" or bi.short(err, 300))
      if ok and not changed then
        -- accepted, nothing seen changed: what only Lua holds may have (a
        -- handle renamed, a socket closed, docker's model): remake the
        -- objects made on first use, or all of it for docker's model
        if case.group.prefix == "docker." or case.group.prefix == "check." then changed = "(remade)"
        else
          for name in pairs(build) do
            local v = rawget(f, name)
            if type(v) == "table" and v.proc and v.stop then pcall(v.stop, v) end
            rawset(f, name, nil)
          end
        end
      end
      if changed then
        if changed ~= "(remade)" then say("L", id, changed) end
        -- start again from a known state: the next call must not pay for this one
        local ok2, f2 = pcall(fixture)
        if not ok2 then
          say("F", bi.short(f2, 400))
          return
        end
        f, first = f2, nil
        seen = not each and baseline(f) or nil
      end
    end
  end
  look(ids[#ids])
end

local function run_controls(ids)
  local controls = bi.controls()
  for _, i in ipairs(ids) do
    local c = controls[i]
    local ok, err = pcall(function()
      local f = fixture()
      if VISIBLE[c.group.prefix] then local _ = f[VISIBLE[c.group.prefix]] end
      prepare(c, f)
      local case = { target = c.target, group = c.group, make = c.make }
      local fn, args, n = bi.call_of(case, f)
      return fn(table.unpack(args, 1, n))
    end)
    -- a kind this kernel lacks: the control says so (the cases still run:
    -- what the core refuses before sending is refused all the same)
    local lacking = not ok and tostring(err):find("Unknown device type", 1, true)
    say("C", i, c.target, ok and "ok" or lacking and "skip" or "fail", ok and "" or bi.short(err, 300))
  end
end

local ids = {}
for i = 3, #arg do
  local a, b = arg[i]:match("^(%d+)%-(%d+)$")
  if a then for id = tonumber(a), tonumber(b) do ids[#ids + 1] = id end
  else ids[#ids + 1] = tonumber(arg[i]) end
end
if mode == "control" then run_controls(ids) else run_cases(ids) end
say("DONE")
out:close()
os.exit(0)
