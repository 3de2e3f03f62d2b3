-- explain equivalence: for every lab in labs/, `nslab explain LAB` is a
-- bash script that builds what the lab builds. The lab runs with nslab in
-- a world of its own (nslab explain runs it) and, before it ends, the
-- world's state is dumped (NSLAB_DUMP, spec/support/explain_dump.sh); the
-- script runs with bash in another fresh world (nslab sandbox) and the
-- same dump is appended to it (spec/support/explain_equiv_run.sh does
-- both, four labs at a time). The two must be equal, namespace by
-- namespace (the host, each named namespace, each container by hostname):
-- links (name, kind, master, admin state, mtu, IPv6 address generation,
-- the address when it was set rather than random), addresses, routes,
-- permanent neighbours, static FDB entries, the nf_tables ruleset (handles
-- and counters left out) and the sysctls the lab sets; and the script
-- must exit 0.
local json = require("dkjson")
local program = require("spec.support.program")

local quote, run = program.quote, program.run

-- Arguments for labs that take them (a small N for scale).
local ARGS = { ["scale.lua"] = { "6", "3" } }

local RUN = program.root .. "/spec/support/explain_equiv_run.sh"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function decode(path)
  local text = slurp(path)
  if text == nil or text:match("^%s*$") then return {} end
  local value, _, err = json.decode(text, 1, json.null)
  assert(value ~= nil, path .. ": " .. tostring(err))
  return value
end

local function lines(text)
  local list = {}
  for line in (text or ""):gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

local function has(list, word)
  for _, w in ipairs(list or {}) do if w == word then return true end end
  return false
end

-- A stable text for a table, to sort lists of them.
local function key_of(t) return json.encode(t, { keyorder = {} }) end

local function sorted(list)
  table.sort(list, function(a, b) return key_of(a) < key_of(b) end)
  return list
end

local function pick(t, fields)
  local out = {}
  for _, f in ipairs(fields) do
    if t[f] ~= nil and t[f] ~= json.null then out[f] = t[f] end
  end
  return out
end

-- The links of a namespace: what a lab sets, not what the kernel makes up.
local function links_of(dir, random)
  local assign = {}
  for _, line in ipairs(lines(slurp(dir .. "/assign.txt"))) do
    local name, kind = line:match("^(%S+) (%d+)$")
    if name then assign[name] = tonumber(kind) end
  end
  local list = {}
  for _, l in ipairs(decode(dir .. "/link.json")) do
    local fixed = assign[l.ifname] == 3 or l.ifname == "lo"
    if not fixed and l.address then random[l.address] = true end
    list[#list + 1] = {
      ifname = l.ifname,
      kind = l.linkinfo and l.linkinfo.info_kind or nil,
      master = l.master,
      up = has(l.flags, "UP"),
      mtu = l.mtu,
      addrgenmode = l.inet6_addr_gen_mode,
      address = fixed and l.address or nil,
    }
  end
  return sorted(list)
end

local function addrs_of(dir)
  local list = {}
  for _, l in ipairs(decode(dir .. "/addr.json")) do
    for _, a in ipairs(l.addr_info or {}) do
      local local_ = a["local"]
      -- a link-local address made from a random MAC: that there is one
      if a.family == "inet6" and local_:match("^fe80:") and a.prefixlen == 64 then local_ = "fe80::(link-local)" end
      list[#list + 1] = { dev = l.ifname, family = a.family, ["local"] = local_, prefixlen = a.prefixlen,
                          broadcast = a.broadcast, scope = a.scope }
    end
  end
  return sorted(list)
end

local ROUTE_FIELDS = { "type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric" }

local function routes_of(dir)
  local list = {}
  for _, file in ipairs{ "route4.json", "route6.json" } do
    for _, r in ipairs(decode(dir .. "/" .. file)) do
      local route = pick(r, ROUTE_FIELDS)
      -- a link-local address's local route, as addrs_of says it
      if route.type == "local" and type(route.dst) == "string" and route.dst:match("^fe80:") then
        route.dst = "fe80::(link-local)"
      end
      list[#list + 1] = route
    end
  end
  return sorted(list)
end

local function neighbours_of(dir)
  local list = {}
  for _, n in ipairs(decode(dir .. "/neigh.json")) do list[#list + 1] = pick(n, { "dst", "dev", "lladdr", "state" }) end
  return sorted(list)
end

-- Static FDB entries, and permanent ones but those of a random MAC (a
-- port's own address, a macvlan's: random holds the MACs of every
-- namespace's links that were not set), or of a solicited-node group
-- (33:33:ff: an IPv6 address's last three bytes, compared with the
-- addresses, whose link-local ones come from MACs a bridge had earlier).
local function fdb_of(dir, random)
  local list = {}
  for _, e in ipairs(decode(dir .. "/fdb.json")) do
    local group = e.mac:match("^33:33:ff:")
    if e.state == "static" or (e.state == "permanent" and not random[e.mac] and not group) then
      list[#list + 1] = pick(e, { "mac", "ifname", "master", "vlan", "state", "dst", "vni" })
    end
  end
  return sorted(list)
end

-- The ruleset without its handles and with counters at zero.
local function scrub(value)
  if type(value) ~= "table" then return value end
  local out = {}
  for k, v in pairs(value) do
    if k ~= "handle" then out[k] = scrub(v) end
  end
  if type(out.counter) == "table" then out.counter = { packets = 0, bytes = 0 } end
  return out
end

local function ruleset_of(dir)
  local list = {}
  for _, item in ipairs((decode(dir .. "/nft.json")).nftables or {}) do
    if not item.metainfo then list[#list + 1] = key_of(scrub(item)) end
  end
  return list
end

local function sysctls_of(dir, keys)
  local values = {}
  for _, line in ipairs(lines(slurp(dir .. "/sysctl.txt"))) do
    local k, v = line:match("^(%S+) = ?(.*)$")
    if k and keys[k] then values[k] = v end
  end
  return values
end

local function state_of(out, keys)
  local state, names, random = {}, {}, {}
  local p = assert(io.popen("ls " .. quote(out)))
  for name in p:lines() do names[#names + 1] = name end
  p:close()
  for _, name in ipairs(names) do
    local dir = out .. "/" .. name
    state[name] = { links = links_of(dir, random) }
  end
  for _, name in ipairs(names) do
    local dir = out .. "/" .. name
    local s = state[name]
    s.addrs, s.routes, s.neighbours = addrs_of(dir), routes_of(dir), neighbours_of(dir)
    s.fdb, s.ruleset, s.sysctls = fdb_of(dir, random), ruleset_of(dir), sysctls_of(dir, keys)
  end
  return state
end

-- The sysctls a script sets (sysctl -w KEY=VALUE, the pair maybe quoted).
local function sysctl_keys(script)
  local keys = {}
  for k in script:gmatch("sysctl %-w '?([%w%._%-/]+)=") do keys[k] = true end
  return keys
end

local function labs()
  local list = {}
  local p = assert(io.popen("ls labs/*.lua"))
  for path in p:lines() do list[#list + 1] = path end
  p:close()
  return list
end

-- Every lab's two runs, four labs at a time (the runs mostly wait: for
-- probes that must time out), into a directory each.
local function run_all(tmp, list)
  local jobs = {}
  for i, path in ipairs(list) do
    local words = { quote(tmp .. "/" .. i), quote(path) }
    for _, a in ipairs(ARGS[path:match("[^/]+$")] or {}) do words[#words + 1] = quote(a) end
    jobs[i] = table.concat(words, " ")
  end
  local input = program.temp_file(table.concat(jobs, "\n") .. "\n")
  local _, code, err = run("xargs -P 4 -L 1 bash " .. quote(RUN) .. " " .. quote(program.program)
                           .. " < " .. quote(input))
  os.remove(input)
  assert(code == 0, "explain_equiv_run.sh: " .. err)
end

describe("nslab explain LAB, run with bash in a fresh world", function()
  local list = labs()
  local tmp, ran
  setup(function()
    tmp = run("mktemp -d"):match("%S+")
  end)
  teardown(function()
    run("rm -rf " .. quote(tmp))
  end)
  local function results(i)
    if not ran then
      run_all(tmp, list)
      ran = true
    end
    local dir = tmp .. "/" .. i
    return dir, tonumber(slurp(dir .. "/explain.code")), tonumber(slurp(dir .. "/bash.code"))
  end

  it("finds the labs, and the tools their scripts use", function()
    assert.is_true(#list >= 19, "labs/*.lua: " .. #list)
    for _, tool in ipairs{ "bash", "socat", "ss", "ping", "nsenter", "unshare", "nft", "bridge", "sysctl" } do
      local _, code = run("command -v " .. tool)
      assert.equal(0, code, tool .. " is missing (vendor/debian-packages lists it: make deps)")
    end
  end)

  for i, path in ipairs(list) do
    local name = path:match("[^/]+$")
    it("builds what " .. name .. " builds, and exits 0", function()
      local dir, explained, replayed = results(i)
      assert.equal(0, explained, name .. ": nslab explain failed: " .. (slurp(dir .. "/explain.err") or ""))
      local script = slurp(dir .. "/explain.out")
      assert.equal("#!/bin/bash\n", script:sub(1, 12))
      assert.equal(0, replayed, name .. ": the script failed:\n" .. (slurp(dir .. "/bash.err") or "") .. "\n"
                   .. (slurp(dir .. "/bash.out") or ""):sub(-2000))
      -- a listener left in the background could not bind (its port still taken), which fails no step of
      -- the script: socat says so on stderr (a refused connect is a check's, expected)
      local failed = (slurp(dir .. "/bash.err") or ""):match("socat%[%d+%] E bind[^\n]*")
      assert.is_nil(failed, name .. ": a listener of the script failed: " .. tostring(failed))
      local keys = sysctl_keys(script)
      local want, got = state_of(dir .. "/nslab", keys), state_of(dir .. "/bash", keys)
      assert.is_not_nil(want.host, "the lab's dump ran")
      for ns in pairs(want) do assert.is_not_nil(got[ns], name .. ": the script made no namespace " .. ns) end
      for ns in pairs(got) do
        assert.is_not_nil(want[ns], name .. ": the script made " .. ns .. " and the lab did not")
      end
      for ns, state in pairs(want) do
        for what, value in pairs(state) do
          assert.same(value, got[ns][what], name .. ": " .. ns .. ": " .. what)
        end
      end
    end)
  end
end)
