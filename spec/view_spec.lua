-- view: what nslab shows of a namespace, a link, a bridge, its FDB, the
-- neighbours, an nf_tables table and a docker network, as text and as JSON,
-- cross-checked with the tools' own output in the same world: `ip -j addr`,
-- `ip -j route`, `ip -j -d link`, `bridge -j fdb`, `nft -j list table`,
-- and the text of `ip -br addr`, `ip -br link`, `ip route`, `brctl show`.
local world = require("spec.support.world")
require("nslab") -- obj:view()
local netns = require("nslab.netns")
local view = require("nslab.view")
local json = require("nslab.json")
local dkjson = require("dkjson")

local function decode(text)
  local v, _, err = dkjson.decode(text, 1, dkjson.null)
  assert(err == nil, err)
  return v
end

-- `CMD` inside ns (nil: the host), its stdout.
local sh = world.sh

-- Lines of text, without the empty last one.
local function lines_of(text)
  local out = {}
  for line in text:gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

-- Every key of mine has the same value in theirs (deeply); the keys
-- compared are returned so a spec can say which were (never none).
local function same_fields(mine, theirs, where, except)
  local keys = {}
  for k, v in pairs(mine) do
    if except and except[k] then -- luacheck: ignore 542
    elseif type(v) ~= "table" or (type(v) == "table" and #v > 0 and type(v[1]) ~= "table") or next(v) == nil then
      assert.same(v, theirs[k], (where or "") .. "." .. tostring(k))
      keys[#keys + 1] = k
    end
  end
  table.sort(keys)
  return keys
end

local function find(list, key, value) return world.find(list, key, value) end

-- test1 with one end of a cable to the host, both ends up, addresses
-- that need no DAD, no link-local address (addrgenmode none), a route.
local function build()
  local host = netns.host()
  local test1 = netns.add("test1")
  local a, b = host:veth("veth-h", "veth-t", { peer_netns = test1 })
  a:set{ addrgenmode = "none" }
  b:set{ addrgenmode = "none" }
  a:addr_add("10.1.0.1/24")
  b:addr_add("10.1.0.2/24")
  b:addr_add("fd00::2/64", { nodad = true })
  test1:link("lo"):up()
  a:up()
  b:up()
  assert(a:wait("UP") and b:wait("UP"))
  test1:route_add{ dst = "192.0.2.0/24", via = "10.1.0.1" }
  test1:route_add{ dst = "fd00:1::/64", via = "fd00::1" }
  return host, test1, a, b
end

describe("view", function()
  before_each(world.fresh)

  describe("of a namespace", function()
    it("has ip -j addr's links and addr_info, ip -j route's routes", function()
      local _, test1 = build()
      local mine = decode(view.json(test1))
      assert.equal("test1", mine.netns)
      local theirs = world.ip_json(test1, "addr")
      assert.equal(#theirs, #mine.links)
      for i, l in ipairs(mine.links) do
        local t = theirs[i]
        local keys = same_fields(l, t, l.ifname)
        for _, k in ipairs{ "ifindex", "ifname", "operstate", "address", "flags", "mtu" } do
          assert.is_true(l[k] ~= nil, l.ifname .. " shows " .. k)
        end
        assert.is_true(#keys >= 6)
        assert.equal(#t.addr_info, #l.addr_info, l.ifname .. " addresses")
        for j, a in ipairs(l.addr_info) do
          same_fields(a, t.addr_info[j], l.ifname .. ".addr_info")
          for _, k in ipairs{ "family", "local", "prefixlen" } do assert.is_not_nil(a[k]) end
        end
      end
      assert.equal("10.1.0.2", find(mine.links, "ifname", "veth-t").addr_info[1]["local"])
      local routes = world.ip_json(test1, "route")
      for _, r in ipairs(world.ip_json(test1, "-6 route")) do routes[#routes + 1] = r end
      assert.equal(#routes, #mine.routes)
      for i, r in ipairs(mine.routes) do
        same_fields(r, routes[i], "route " .. r.dst)
        assert.equal(r.dst, routes[i].dst)
      end
      assert.equal("10.1.0.1", find(mine.routes, "dst", "192.0.2.0/24").gateway)
      assert.equal("veth-t", find(mine.routes, "dst", "192.0.2.0/24").dev)
    end)

    it("reads as ip -br addr, then ip route and ip -6 route", function()
      local _, test1 = build()
      local text = view.text(test1)
      local expected = "netns test1\n" .. sh(test1, "ip -br addr") .. sh(test1, "ip route")
      -- ip -6 route adds "pref medium" to each line, which nslab does not hold
      expected = expected .. sh(test1, "ip -6 route"):gsub("pref medium\n", "\n")
      assert.equal(expected, text)
    end)

    it("of the host is named host", function()
      local host = build()
      assert.equal("netns host", lines_of(view.text(host))[1])
    end)
  end)

  describe("of a link", function()
    it("reads as ip -br link", function()
      local host, test1, a, b = build()
      assert.equal(sh(nil, "ip -br link show dev veth-h"), view.text(a))
      assert.equal(sh(test1, "ip -br link show dev veth-t"), view.text(b))
      local c = host:veth("p0", "p1")
      assert.equal(sh(nil, "ip -br link show dev p0"), view.text(c)) -- p0@p1: the peer here
      assert.equal(sh(nil, "ip -br link show dev lo"), view.text(host:link("lo")))
    end)

    it("has ip -j -d link's fields", function()
      local host, _, a = build()
      host:veth("p0", "p1")
      for _, l in ipairs{ a, host:link("p0"), host:link("lo") } do
        local mine = decode(l:view{ json = true })
        local theirs = world.ip_link(nil, l.name)
        local keys = same_fields(mine, theirs, l.name)
        assert.is_true(#keys >= 7, l.name .. ": " .. table.concat(keys, " "))
        if mine.linkinfo then assert.equal(theirs.linkinfo.info_kind, mine.linkinfo.info_kind) end
      end
      assert.equal("veth", decode(view.json(a)).linkinfo.info_kind)
    end)

    it("of a device table (ns:links()) is the same as of its handle", function()
      local host, _, a = build()
      assert.equal(view.text(a), view.text(host:link("veth-h"):info()))
      local all = view.text(host:links())
      assert.equal(sh(nil, "ip -br link"), all)
    end)
  end)

  describe("of a bridge", function()
    local function bridge_world()
      local host = netns.host()
      local br = host:bridge("br0", { stp = false })
      for i = 0, 1 do
        local p = host:veth("port" .. i, "peer" .. i)
        br:attach(p)
        p:up() -- its peer stays down: no traffic, nothing learned between two dumps
      end
      br:up()
      host:fdb_add("port1", { mac = "02:00:00:00:00:01" })
      return host, br
    end

    it("reads as brctl show", function()
      local host, br = bridge_world()
      host:bridge("br1") -- a bridge without ports: one line
      local r = host:exec("brctl show")
      if r.status ~= 0 then
        pending("brctl (bridge-utils) is not installed: " .. r.stderr)
        return
      end
      assert.equal(r.stdout, view.text(host:brctl_show()))
      local one = host:exec("brctl show br0")
      assert.equal(one.stdout, view.text(br))
    end)

    it("has ip -j link's fields and bridge -j fdb's entries", function()
      local host, br = bridge_world()
      local mine = decode(view.json(br))
      -- brctl's own words are not ip's
      local brctl = { bridge_name = true, bridge_id = true, stp_enabled = true, interfaces = true }
      local keys = same_fields(mine, world.ip_link(nil, "br0"), "br0", brctl)
      assert.is_true(#keys >= 7)
      assert.same({ "port0", "port1" }, mine.interfaces)
      local theirs = decode(sh(nil, "bridge -j fdb show br br0"))
      local compared = 0
      for _, e in ipairs(mine.fdb) do
        local t
        for _, x in ipairs(theirs) do
          if x.mac == e.mac and x.ifname == e.ifname and x.master == "br0" then t = x end
        end
        assert.is_not_nil(t, e.mac .. " on " .. e.ifname)
        same_fields(e, t, e.mac)
        compared = compared + 1
      end
      local n = 0
      for _, x in ipairs(theirs) do if x.master == "br0" and not x.vlan then n = n + 1 end end
      assert.equal(n, compared)
      local static = find(mine.fdb, "mac", "02:00:00:00:00:01")
      assert.same({ "port1", "br0", "static" }, { static.ifname, static.master, static.state })
      assert.is_not_nil(host)
    end)

    it("shows its FDB as brctl showmacs", function()
      local _, br = bridge_world()
      local text = view.text(br:macs())
      local lines = lines_of(text)
      assert.equal("port\tmac addr\t\tis local?\tageing timer", lines[1])
      assert.equal(#br:macs() + 1, #lines)
      local found = false
      for _, line in ipairs(lines) do
        if line:match("^port1\t02:00:00:00:00:01\tno\t\t +%d+%.%d%d$") then found = true end
      end
      assert.is_true(found, text)
      assert.same(br:macs()[1].mac, decode(view.json(br:macs()))[1].mac)
    end)
  end)

  describe("of neighbours", function()
    it("reads as ip neigh and has ip -j neigh's fields", function()
      local host, _, a = build()
      host:neigh_add(a.name, { dst = "10.1.0.9", lladdr = "02:00:00:00:00:09" })
      local list = host:neigh("inet")
      assert.equal(sh(nil, "ip -4 neigh"), view.text(list))
      local theirs = world.ip_json(nil, "-4 neigh")
      local mine = decode(view.json(list))
      assert.equal(#theirs, #mine)
      for i, e in ipairs(mine) do
        assert.is_true(#same_fields(e, theirs[i], e.dst) >= 4)
      end
    end)
  end)

  describe("of an nf_tables table", function()
    local function nat(host)
      local t = host:nft_table("ip", "nat")
      local post = t:chain("POSTROUTING", { type = "nat", hook = "postrouting", priority = "srcnat" })
      post:rule('ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade')
      t:chain("DOCKER")
      host:nft_table("ip", "other"):chain("c")
      return t, post
    end

    it("reads as nft list table and nft list chain", function()
      local host = netns.host()
      local t, post = nat(host)
      assert.equal(sh(nil, "nft list table ip nat"), view.text(t))
      assert.equal(sh(nil, "nft list chain ip nat POSTROUTING"), view.text(post))
    end)

    it("has nft -j list table's table, chains and rules", function()
      local host = netns.host()
      local t = nat(host)
      local mine = decode(view.json(t)).nftables
      local theirs = {}
      for _, item in ipairs(decode(sh(nil, "nft -j list table ip nat")).nftables) do
        if not item.metainfo then theirs[#theirs + 1] = item end
      end
      assert.equal(#theirs, #mine)
      for i, item in ipairs(mine) do
        local kind = next(item)
        assert.is_not_nil(theirs[i][kind], kind)
        -- a rule's text stands for nft's expression tree
        local keys = same_fields(item[kind], theirs[i][kind], kind, { text = true })
        assert.is_true(#keys >= 3)
      end
      assert.equal(100, mine[2].chain.prio)
    end)
  end)

  describe("of a docker network", function()
    it("reads as docker network inspect: its JSON, in Docker's order", function()
      local docker = require("nslab.docker")
      docker.reset()
      local c = docker.run{ name = "v1" }
      local inspect = docker.network_inspect("bridge")
      local text = view.text(docker.daemon():network("bridge"))
      assert.equal(text, view.text(inspect))
      local list = decode(text)
      assert.equal(1, #list)
      assert.equal("bridge", list[1].Name)
      assert.equal(inspect.Containers[c.id].IPv4Address, list[1].Containers[c.id].IPv4Address)
      assert.same(inspect.IPAM.Config, list[1].IPAM.Config)
      assert.truthy(text:find('^%[\n    {\n        "Name": "bridge",\n        "Id": '))
      assert.same(list[1], decode(view.json(inspect)))
      docker.rm("v1", true)
      docker.reset()
    end)
  end)

  describe("of docker network ls", function()
    it("pads its columns as docker's tabwriter does; JSON as --format json names them", function()
      local docker = require("nslab.docker")
      docker.reset()
      docker.network_create("demo-network-1", { subnet = "172.18.0.0/16" })
      local rows = docker.network_ls()
      local lines = lines_of(view.text(rows))
      assert.equal("NETWORK ID     NAME             DRIVER    SCOPE", lines[1])
      assert.equal(#rows + 1, #lines)
      for i, row in ipairs(rows) do
        assert.equal(("%-15s%-17s%-10s%s"):format(row["NETWORK ID"], row.NAME, row.DRIVER, row.SCOPE), lines[i + 1])
      end
      local one = lines_of(view.text(rows[1]))
      assert.equal("NETWORK ID     NAME      DRIVER    SCOPE", one[1])
      local list = decode(view.json(rows))
      assert.same({ ID = rows[4]["NETWORK ID"], Name = "demo-network-1", Driver = "bridge", Scope = "local" },
                  list[4])
      docker.reset()
    end)
  end)

  describe("show", function()
    it("in a lab puts the view under the step; json = true gives the JSON", function()
      local out = {}
      local status = require("nslab.lab").run_string([[
        local t = netns.add "test1"
        show(t)
        show(t:link "lo", { json = true })
      ]], "show", { writer = function(text) out[#out + 1] = text end })
      assert.equal(0, status)
      local text = table.concat(out)
      assert.truthy(text:find("\n    netns test1\n    lo               DOWN           \n", 1, true))
      assert.truthy(text:find('\n    {"ifindex":1,"ifname":"lo",', 1, true))
    end)

    it("refuses an option it does not know, in the one shape", function()
      local host = netns.host()
      assert.has_error(function() view.render(host, { jsn = true }) end, "show: invalid option 'jsn'")
      assert.has_error(function() view.render(host, { json = 1 }) end)
      assert.has_error(function() view.show(host, {}, 3) end, "show: too many arguments (3 given, at most 2)")
    end)

    it("of a value without a view is nil from render", function()
      assert.is_nil(view.render(42))
      assert.is_nil(view.render({ 1, 2 }))
      assert.is_false(view.has({}))
    end)
  end)
end)

describe("json", function()
  it("escapes what RFC 8259 asks and keeps UTF-8", function()
    local s = 'a"b\\c\n\t\1\127é'
    assert.equal('"a\\"b\\\\c\\n\\t\\u0001\127é"', json.encode(s))
    assert.equal(s, decode(json.encode(s)))
    assert.equal('"\\u00ff"', json.encode("\255"))
  end)

  it("is deterministic: sorted keys, or the object's own order", function()
    assert.equal('{"a":1,"b":[1,2],"c":{}}', json.encode({ c = {}, b = { 1, 2 }, a = 1 }))
    assert.equal('{"z":1,"a":2,"m":3}', json.encode(json.object({ "z", "a" }, { a = 2, z = 1, m = 3 })))
    assert.equal("[]", json.encode(json.array()))
    assert.equal('{\n  "a": [\n    1\n  ]\n}', json.encode({ a = { 1 } }, { pretty = true }))
  end)

  it("writes numbers that read back the same", function()
    for _, n in ipairs{ 0, -1, 2 ^ 53, 0.1, 1 / 3, 1e300, -2.5e-7, math.maxinteger, math.mininteger } do
      assert.equal(n, decode(json.encode(n)))
    end
    assert.equal("1500", json.encode(1500))
  end)

  it("refuses NaN, infinities, functions, cycles, mixed and sparse tables", function()
    local cyclic = {}
    cyclic.self = cyclic
    for _, case in ipairs{
      { 0 / 0, "json: NaN cannot be encoded" }, { math.huge, "json: infinity cannot be encoded" },
      { -math.huge, "json: infinity cannot be encoded" }, { print, "json: a function cannot be encoded" },
      { cyclic, "json: a table contains itself" }, { { 1, x = 2 }, "json: a table mixes array and object keys" },
      { { [1] = 1, [3] = 3 }, "json: an array has holes" },
      { { [true] = 1 }, "json: an object key must be a string, got boolean" },
    } do
      assert.has_error(function() json.encode(case[1]) end, case[2])
    end
  end)
end)
