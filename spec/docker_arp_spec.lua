-- docker_arp: the Docker model's static ARP (nslab.docker_arp) at a small
-- N, forced by network_create's arp option (or a small budget for auto).
-- Witnesses: `ip -j neigh` inside the containers and on the host, `bridge
-- -j fdb` on the host, in the same world.
local world = require("spec.support.world")
local docker = require("nslab.docker")
local arp = require("nslab.docker_arp")
local check = require("nslab.check")
local trace = require("nslab.trace")
local json = require("dkjson")

-- ip's IPv4 neighbours of a container (or the host's on dev), by address.
local function neighbours(c, dev)
  local ns = c and c.netns or nil
  local list = world.ip_json(ns, "-4 neigh show nud all" .. (dev and " dev " .. dev or ""))
  local by = {}
  for _, e in ipairs(list) do by[e.dst] = e end
  return by
end

local function permanent(e, mac)
  assert.is_not_nil(e, "no entry")
  assert.same({ mac, { "PERMANENT" } }, { e.lladdr, e.state })
end

-- The host's FDB entries of a bridge that nslab added (master, by MAC).
local function fdb(bridge)
  local by = {}
  for _, e in ipairs(json.decode(world.sh(nil, "bridge -j fdb show br " .. bridge))) do
    if e.mac:match("^02:42:") then by[e.mac] = e end
  end
  return by
end

-- A check bound to a counting runner.
local function checks()
  local counts = { passed = 0, failed = 0 }
  local c = check.bind({ record = function(ok)
    counts[ok and "passed" or "failed"] = counts[ok and "passed" or "failed"] + 1
    return ok
  end })
  return c, counts
end

-- The notes said since the spec began (trace.note: what nslab changed on
-- its own and why).
local heard = {}
trace.listen_notes(function(text) heard[#heard + 1] = text end)
local function notes()
  local out = {}
  for _, t in ipairs(heard) do
    if t:find("^docker network") then out[#out + 1] = t end
  end
  return out
end

describe("docker static ARP", function()
  local budget
  before_each(function()
    world.fresh()
    docker.reset()
    trace.clear()
    for i = #heard, 1, -1 do heard[i] = nil end
    budget = arp.BUDGET
  end)
  after_each(function() arp.BUDGET = budget end)

  local function network(name, mode, n)
    local net = docker.network_create(name, { subnet = "10.66.0.0/24", arp = mode })
    local cs = {}
    for i = 1, n do cs[i] = docker.run{ name = name .. "-c" .. i, network = name } end
    return net, cs
  end

  it("at connect: a static FDB entry per port and permanent entries with the gateway, both ways", function()
    local net, cs = network("sa", "static", 3)
    local br = net.bridge_name
    local brmac = world.ip_link(nil, br).address
    local host, ports = neighbours(nil, br), fdb(br)
    for _, c in ipairs(cs) do
      permanent(host[c.ip], c.mac)
      local e = ports[c.mac]
      assert.is_not_nil(e, "fdb entry of " .. c.mac)
      assert.same({ c.veth, "static" }, { e.ifname, e.state })
      local inside = neighbours(c)
      permanent(inside["10.66.0.1"], brmac)
      -- nothing about the other containers until a probe
      for _, other in ipairs(cs) do assert.is_nil(inside[other.ip]) end
    end
    -- the bridge's MAC is pinned: ports with other MACs leave it as it was
    docker.run{ name = "sa-c4", network = "sa" }
    assert.equal(brmac, world.ip_link(nil, br).address)
    assert.equal(1, #notes())
    assert.matches('docker network sa: static ARP .*arp = "static"', notes()[1])
  end)

  it("before a probe: permanent entries for exactly the pairs probed, on both sides", function()
    local _, cs = network("sb", "static", 4)
    local c, counts = checks()
    assert.is_true(c.reachable(cs[1], { cs[2].ip, cs[3].ip }, { count = 1, timeout = 2 }))
    assert.same({ passed = 2, failed = 0 }, counts)
    local one = neighbours(cs[1])
    permanent(one[cs[2].ip], cs[2].mac)
    permanent(one[cs[3].ip], cs[3].mac)
    assert.is_nil(one[cs[4].ip])
    permanent(neighbours(cs[2])[cs[1].ip], cs[1].mac)
    permanent(neighbours(cs[3])[cs[1].ip], cs[1].mac)
    assert.is_nil(neighbours(cs[2])[cs[3].ip])
    assert.is_nil(neighbours(cs[4])[cs[1].ip])
    -- ns:ping from a container takes the same way; a probe again adds nothing
    trace.clear()
    assert.equal(1, cs[4].netns:ping(cs[1].ip, { timeout = 2 }).received)
    permanent(neighbours(cs[4])[cs[1].ip], cs[1].mac)
    permanent(neighbours(cs[1])[cs[4].ip], cs[1 + 3].mac)
    local added = #trace.history
    cs[4].netns:ping(cs[1].ip, { timeout = 2 })
    assert.equal(added + 1, #trace.history) -- only the ping's own line
    -- a mesh: every pair of the four
    local passed = c.mesh(cs, { count = 1, timeout = 2 })
    assert.is_true(passed)
    for _, a in ipairs(cs) do
      local mine = neighbours(a)
      for _, b in ipairs(cs) do
        if a ~= b then permanent(mine[b.ip], b.mac) end
      end
    end
  end)

  it("the entries go when the container goes", function()
    local net, cs = network("sc", "static", 3)
    local c = checks()
    assert.is_true(c.mesh(cs, { count = 1, timeout = 2 }))
    local gone = { name = cs[2].name, ip = cs[2].ip, mac = cs[2].mac }
    assert.is_not_nil(neighbours(cs[1])[gone.ip])
    docker.rm(gone.name, true)
    assert.is_nil(neighbours(nil, net.bridge_name)[gone.ip])
    assert.is_nil(fdb(net.bridge_name)[gone.mac])
    assert.is_nil(neighbours(cs[1])[gone.ip])
    assert.is_nil(neighbours(cs[3])[gone.ip])
    permanent(neighbours(cs[1])[cs[3].ip], cs[3].mac) -- the others stay
    -- a new container on the freed address gets its own entries
    local again = docker.run{ name = "sc-new", network = "sc" }
    assert.equal(gone.ip, again.ip)
    permanent(neighbours(nil, net.bridge_name)[again.ip], again.mac)
    assert.is_true(c.reachable(cs[1], again.ip, { count = 1, timeout = 2 }))
    permanent(neighbours(again)[cs[1].ip], cs[1].mac)
  end)

  it("auto: static once the network could need more than the budget, said once", function()
    arp.BUDGET = 4 -- two containers fit, the third does not
    local net, cs = network("sd", nil, 3)
    assert.same({ "PERMANENT" }, neighbours(nil, net.bridge_name)[cs[1].ip].state)
    assert.equal("static", fdb(net.bridge_name)[cs[1].mac].state)
    assert.equal(1, #notes())
    assert.matches("3 containers could need 6 entries with the gateway alone", notes()[1])
    docker.run{ name = "sd-c4", network = "sd" }
    assert.equal(1, #notes())
  end)

  it("auto: a probe batch past the budget turns the network static first", function()
    arp.BUDGET = 6 -- three containers fit; their mesh (3 pairs, 6 entries) too, a mesh of 4 not
    local net = docker.network_create("se", { subnet = "10.66.0.0/24" })
    local cs = {}
    for i = 1, 3 do cs[i] = docker.run{ name = "se-c" .. i, network = "se" } end
    assert.same({}, notes())
    local learned = fdb(net.bridge_name)[cs[1].mac] -- maybe learned, not static
    assert.is_true(learned == nil or learned.state ~= "static")
    cs[4] = docker.run{ name = "se-c4", network = "se" } -- 8 > 6: the network itself
    assert.equal(1, #notes())
    arp.BUDGET = 10
    local quiet = docker.network_create("sf", { subnet = "10.67.0.0/24" })
    local qs = {}
    for i = 1, 4 do qs[i] = docker.run{ name = "sf-c" .. i, network = "sf" } end
    assert.equal(1, #notes())
    local c = checks()
    assert.is_true(c.mesh(qs, { count = 1, timeout = 2 })) -- 6 pairs, 12 entries > 10
    assert.equal(2, #notes())
    assert.matches("docker network sf: .*probes of 6 container pairs would need 12 entries", notes()[2])
    assert.equal("static", fdb(quiet.bridge_name)[qs[4].mac].state)
    permanent(neighbours(qs[2])[qs[3].ip], qs[3].mac)
  end)

  it("auto: probes one after the other count together", function()
    arp.BUDGET = 8 -- four containers fit, and four probed pairs
    local _, cs = network("si", nil, 4)
    local c = checks()
    assert.is_true(c.reachable(cs[1], { cs[2].ip, cs[3].ip }, { count = 1, timeout = 2 }))
    assert.is_true(c.reachable(cs[4], { cs[2].ip, cs[3].ip }, { count = 1, timeout = 2 }))
    assert.is_true(c.reachable(cs[2], cs[1].ip, { count = 1, timeout = 2 })) -- probed already: not counted
    assert.same({}, notes())
    assert.same({ "REACHABLE" }, neighbours(cs[1])[cs[2].ip].state) -- ARP's own
    assert.is_true(c.reachable(cs[1], cs[4].ip, { count = 1, timeout = 2 })) -- the fifth pair
    assert.equal(1, #notes())
    assert.matches("docker network si: .*probes of 5 container pairs would need 10 entries", notes()[1])
    permanent(neighbours(cs[1])[cs[4].ip], cs[4].mac)
    permanent(neighbours(cs[4])[cs[1].ip], cs[1].mac)
  end)

  -- The table is one for every network: networks still on ARP count
  -- together (ten of 120 containers would overflow it as one of 1200).
  it("auto: networks on ARP share the budget", function()
    arp.BUDGET = 8 -- four containers fit, in all
    network("sj", nil, 3)
    local _, cs = (function()
      local net = docker.network_create("sk", { subnet = "10.70.0.0/24" })
      return net, { docker.run{ name = "sk-c1", network = "sk" } }
    end)()
    assert.same({}, notes()) -- 8: fits
    cs[2] = docker.run{ name = "sk-c2", network = "sk" }
    assert.equal(1, #notes())
    assert.matches("docker network sk: .*its 2 containers and the other networks on ARP could need 10 entries "
      .. "together", notes()[1])
    assert.equal("static", fdb(docker.daemon():network("sk").bridge_name)[cs[2].mac].state)
    -- a network removed counts no more
    docker.rm({ "sj-c1", "sj-c2", "sj-c3" }, true)
    docker.network_rm("sj")
    network("sl", nil, 3)
    assert.equal(1, #notes())
  end)

  -- A container: joiner probes from its partner's namespace (another
  -- handle of it): the pairs get their entries as the partner's would.
  it("static: a container: joiner's probes get their entries", function()
    local _, cs = network("sm", "static", 2)
    local j = docker.run{ name = "sm-j", network = "container:sm-c1" }
    local c = checks()
    assert.is_true(c.reachable(j, cs[2].ip, { count = 1, timeout = 2 }))
    permanent(neighbours(cs[1])[cs[2].ip], cs[2].mac)
    permanent(neighbours(cs[2])[cs[1].ip], cs[1].mac)
    -- and a socket's connect, as a probe
    local l = cs[2].netns:tcp_listen("0.0.0.0", 8080)
    local d = docker.run{ name = "sm-c3", network = "sm" }
    d.netns:tcp_connect(cs[2].ip, 8080):close()
    permanent(neighbours(d)[cs[2].ip], cs[2].mac)
    l:close()
  end)

  it("dynamic: ARP as Docker does it, no entries added", function()
    local net, cs = network("sg", "dynamic", 2)
    local c = checks()
    assert.is_true(c.reachable(cs[1], cs[2].ip, { count = 1, timeout = 2 }))
    assert.same({ "REACHABLE" }, neighbours(cs[1])[cs[2].ip].state)
    for _, e in pairs(fdb(net.bridge_name)) do assert.is_not.equal("static", e.state) end
    assert.same({}, notes())
  end)

  it("a bad mode is refused before anything is made", function()
    assert.has_error(function()
      docker.network_create("sh", { subnet = "10.68.0.0/24", arp = "always" })
    end, 'docker network create sh: option \'arp\' must be one of auto, static or dynamic, got "always"')
    assert.is_nil(docker.daemon().networks.sh)
  end)
end)
