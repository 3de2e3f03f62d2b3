-- overlay: Docker's overlay driver across hosts (nslab.docker_overlay),
-- checked with ip -j -d link, ip -j neigh and bridge -j fdb in each
-- host's sandbox of the network; the traced commands replayed with ip,
-- bridge and nft build the same entries.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local docker = require("nslab.docker")
local hosts = require("nslab.hosts")
local overlay = require("nslab.docker_overlay")
local trace = require("nslab.trace")
local core = require("nslab.core")
local json = require("dkjson")

local function decode(ns, command) return json.decode(world.sh(ns, command)) end

-- vxlan0's own FDB entries in a sandbox, "MAC dst state" each, sorted.
local function fdb(sb)
  local out = {}
  for _, e in ipairs(decode(sb, "bridge -j fdb show dev vxlan0")) do
    if e.dst then out[#out + 1] = table.concat({ e.mac, e.dst, e.state, table.concat(e.flags, ",") }, " ") end
  end
  table.sort(out)
  return out
end

-- vxlan0's neighbour entries in a sandbox, "IP MAC STATE" each, sorted.
local function neigh(sb)
  local out = {}
  for _, e in ipairs(decode(sb, "ip -j neigh show dev vxlan0")) do
    out[#out + 1] = table.concat({ e.dst, e.lladdr, table.concat(e.state, ",") }, " ")
  end
  table.sort(out)
  return out
end

local function reaches(c, ip) return c.netns:ping(ip, { timeout = 1 }).received > 0 end

local function sorted_netns()
  local l = core.netns_list()
  table.sort(l)
  return l
end

describe("overlay", function()
  local node1, node2, ov
  before_each(function()
    world.fresh()
    docker.reset()
    hosts.reset()
    node1, node2 = hosts.add{ "node1", "node2" }
  end)

  local function create(name, subnet, list)
    return docker.network_create(name, { driver = "overlay", subnet = subnet }, { hosts = list or { node1, node2 } })
  end

  it("makes a sandbox on each host: br0 with the gateway, vxlan0 (VNI, port 4789, nolearning, proxy) on it", function()
    ov = create("ov", "10.0.9.0/24")
    for _, h in ipairs{ node1, node2 } do
      local sb = overlay.sandbox(ov, h)
      assert.equal(h.name .. "-1-" .. ov.id:sub(1, 10), sb.name)
      local vx = world.ip_link(sb, "vxlan0")
      local d = vx.linkinfo.info_data
      assert.same({ 4097, 4789, false, true, 1450, "br0" }, { d.id, d.port, d.learning, d.proxy, vx.mtu, vx.master })
      assert.is_nil(d.remote) -- no default destination: no flooding, no multicast
      assert.is_nil(d.group)
      local br = world.find(world.ip_json(sb, "addr"), "ifname", "br0")
      assert.equal("10.0.9.1", br.addr_info[1]["local"])
      assert.same({}, fdb(sb))
      -- its socket is the host's: UDP 4789 bound in the host's namespace, not the sandbox's
      assert.truthy(world.sh(h, "cat /proc/net/udp"):find(":12B5 ", 1, true))
      assert.falsy(world.sh(sb, "cat /proc/net/udp"):find(":12B5 ", 1, true))
    end
    assert.equal(4098, create("ov2", "10.0.10.0/24").vni)
    assert.equal("overlay", node1.docker:network_ls()[4].DRIVER)
  end)

  it("network rm from one host removes it from every host: its sandboxes go, its VNI is free", function()
    local before = sorted_netns()
    ov = create("ov", "10.0.9.0/24")
    local c = node2.docker:run{ name = "c2", network = "ov" }
    assert.has_error(function() node1.docker:network_rm("ov") end,
      "docker network rm ov: error while removing network: network ov id " .. ov.id .. " has active endpoints (c2)")
    node2.docker:stop("c2")
    node1.docker:network_rm("ov")
    assert.same(before, sorted_netns()) -- both sandboxes gone
    for _, h in ipairs{ node1, node2 } do
      assert.has_error(function() h.docker:network_inspect("ov") end, "docker network inspect: network ov not found")
    end
    assert.has_error(function() node2.docker:start("c2") end, "docker start c2: network ov not found")
    assert.equal("exited", c.state)
    assert.equal(4097, create("ov2", "10.0.9.0/24").vni) -- the VNI and the subnet again
  end)

  it("gives addresses from one pool, programs the peers' entries on join and removes them on leave", function()
    ov = create("ov", "10.0.9.0/24")
    local sb1, sb2 = overlay.sandbox(ov, node1), overlay.sandbox(ov, node2)
    local c1 = node1.docker:run{ name = "c1", network = "ov" }
    assert.same({ "10.0.9.2", "02:42:0a:00:09:02" }, { c1.ip, c1.mac })
    assert.same({}, fdb(sb1)) -- the local host learns nothing of its own
    assert.same({ "02:42:0a:00:09:02 192.0.2.1 permanent self" }, fdb(sb2))
    assert.same({ "10.0.9.2 02:42:0a:00:09:02 PERMANENT" }, neigh(sb2))
    local c2 = node2.docker:run{ name = "c2", network = "ov" }
    local c3 = node1.docker:run{ name = "c3", network = "ov" }
    assert.same({ "10.0.9.3", "10.0.9.4" }, { c2.ip, c3.ip })
    assert.same({ "02:42:0a:00:09:03 192.0.2.2 permanent self" }, fdb(sb1))
    assert.same({ "02:42:0a:00:09:02 192.0.2.1 permanent self", "02:42:0a:00:09:04 192.0.2.1 permanent self" },
                fdb(sb2))
    local link = world.find(world.ip_json(c2.netns, "-d link"), "ifname", "eth0")
    assert.same({ 1450, "02:42:0a:00:09:03" }, { link.mtu, link.address })
    assert.same({ c2.veth, "vxlan0" }, world.pluck(world.ip_json(sb2, "link show master br0"), "ifname"))
    node1.docker:rm("c1", true)
    assert.same({ "02:42:0a:00:09:04 192.0.2.1 permanent self" }, fdb(sb2))
    assert.same({ "10.0.9.4 02:42:0a:00:09:04 PERMANENT" }, neigh(sb2))
    assert.is_nil(world.find(world.ip_json(sb1, "link"), "ifname", c1.veth))
    node2.docker:stop("c2")
    assert.same({}, fdb(sb1))
    assert.same({}, neigh(sb1))
    node2.docker:start("c2") -- its address again, the lowest free
    assert.equal("10.0.9.2", c2.ip)
    assert.same({ "02:42:0a:00:09:02 192.0.2.2 permanent self" }, fdb(sb1))
  end)

  it("carries pings across hosts and keeps another overlay network apart", function()
    ov = create("ov", "10.0.9.0/24")
    create("ov2", "10.0.10.0/24")
    local c1 = node1.docker:run{ name = "c1", network = "ov" }
    local c2 = node2.docker:run{ name = "c2", network = "ov" }
    local c3 = node2.docker:run{ name = "c3", network = "ov2" }
    assert.is_true(reaches(c1, c2.ip))
    assert.is_true(reaches(c2, c1.ip))
    assert.is_false(reaches(c1, c3.ip))
    -- a route does not help: node1's ov sandbox has no entry for c3, and
    -- node2 would take VNI 4097 frames to ov's bridge, not ov2's
    c1.netns:route_add{ dst = "10.0.10.0/24", dev = "eth0" }
    assert.is_false(reaches(c1, c3.ip))
    -- the overlay rides on the underlay
    node1.eth0:down()
    assert.is_false(reaches(c1, c2.ip))
    node1.eth0:up()
    assert.truthy(node1.eth0:wait("UP"))
    -- the world's end turns forwarding on the underlay's bridge when the
    -- kernel's linkwatch gets to its carrier (up to a second): a few tries
    local back = false
    for _ = 1, 5 do
      back = back or reaches(c1, c2.ip)
    end
    assert.is_true(back)
  end)

  it("spans only its hosts: a third host has no sandbox, and its daemon no such network", function()
    local node3 = hosts.new("node3")
    ov = create("ov", "10.0.9.0/24")
    assert.has_error(function() overlay.sandbox(ov, node3) end, "docker overlay: network ov is not on host node3")
    assert.has_error(function() node3.docker:run{ name = "x", network = "ov" } end, "docker run: network ov not found")
    hosts.remove(node2)
    assert.same({ node1 }, ov.hosts)
    local c1 = node1.docker:run{ name = "c1", network = "ov" }
    assert.equal("10.0.9.2", c1.ip)
    assert.same({ "node1", "node1-1-" .. ov.id:sub(1, 10), "node3" }, sorted_netns())
  end)

  it("replayed with ip, bridge and nft, the traced commands build the same sandboxes and entries", function()
    trace.clear()
    local was = trace.record(true)
    ov = create("ov", "10.0.9.0/24")
    node1.docker:run{ name = "c1", network = "ov" }
    node2.docker:run{ name = "c2", network = "ov" }
    trace.record(was)
    local commands = { table.unpack(trace.history) }
    local sb1, sb2 = overlay.sandbox(ov, node1).name, overlay.sandbox(ov, node2).name
    local expected = { fdb(overlay.sandbox(ov, node1)), fdb(overlay.sandbox(ov, node2)),
                       neigh(overlay.sandbox(ov, node1)), neigh(overlay.sandbox(ov, node2)) }
    local vx = world.ip_link(overlay.sandbox(ov, node1), "vxlan0").linkinfo.info_data

    world.fresh()
    hosts.reset()
    docker.reset()
    -- the hosts as before, the rest from the trace, as one script (it
    -- names the containers' processes in shell variables)
    hosts.add{ "node1", "node2" }
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write("set -e\n", table.concat(commands, "\n"), "\nkill -KILL $C_c1 $C_c2\n")
    f:close()
    local r = netns.host():exec("sh " .. script)
    os.remove(script)
    assert.equal(0, r.status, r.stderr)
    local a, b = netns.open(sb1), netns.open(sb2)
    assert.same(expected, { fdb(a), fdb(b), neigh(a), neigh(b) })
    local again = world.ip_link(a, "vxlan0").linkinfo.info_data
    assert.same({ vx.id, vx.port, vx.learning, vx.proxy }, { again.id, again.port, again.learning, again.proxy })
  end)

  it("programs a VXLAN FDB entry's VTEP (fdb_add dst), read back as bridge -j fdb has it", function()
    local ns = netns.add("vx")
    node1:vxlan("vxlan0", { id = 7, dstport = 4789, learning = false, proxy = true, netns = ns })
    trace.clear()
    ns:fdb_add("vxlan0", { mac = "02:42:0a:00:09:07", dst = "192.0.2.2", self = true })
    ns:fdb_add("vxlan0", { { mac = "02:42:0a:00:09:08", dst = "192.0.2.3", self = true } })
    -- an IPv4 tunnel end takes IPv4 VTEPs only: the kernel's word
    assert.has_error(function()
      ns:fdb_add("vxlan0", { mac = "02:42:0a:00:09:09", dst = "2001:db8::2", self = true })
    end,
                     "fdb add 02:42:0a:00:09:09 dev vxlan0: Address family not supported by protocol")
    assert.same({ "ip netns exec vx bridge fdb replace 02:42:0a:00:09:07 dev vxlan0 dst 192.0.2.2 self permanent",
                  "ip netns exec vx bridge fdb replace 02:42:0a:00:09:08 dev vxlan0 dst 192.0.2.3 self permanent" },
                trace.history)
    local mine = {}
    for _, e in ipairs(ns:neigh("bridge")) do
      if e.dst then mine[#mine + 1] = table.concat({ e.mac, e.dev, e.dst, e.state }, " ") end
    end
    table.sort(mine)
    assert.same({ "02:42:0a:00:09:07 vxlan0 192.0.2.2 permanent", "02:42:0a:00:09:08 vxlan0 192.0.2.3 permanent" },
                mine)
    assert.same({ "02:42:0a:00:09:07 192.0.2.2 permanent self", "02:42:0a:00:09:08 192.0.2.3 permanent self" },
                fdb(ns))
    assert.has_error(function() ns:fdb_add("vxlan0", { mac = "02:42:0a:00:09:09", dst = "300.1.1.1", self = true }) end)
    assert.has_error(function() ns:fdb_add("vxlan0", { mac = "02:42:0a:00:09:09", dst = 5, self = true }) end,
                     "fdb add vxlan0: option 'dst' must be a string of 1..63 bytes without NUL, got 5")
  end)

  it("refuses bad input with the operation, the object and why, and leaves nothing made", function()
    local before = sorted_netns()
    local cases = {
      { function() docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24", arp = "static" },
                                         { hosts = { node1 } }) end,
        "docker network create ov: invalid option 'arp'" },
      { function()
          docker.network_create("ov", { driver = "macvlan", subnet = "10.0.9.0/24" }, { hosts = { node1 } })
        end,
        'docker network create ov: plugin "macvlan" not found (drivers: bridge, overlay)' },
      { function() docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" }) end,
        "docker network create ov: option 'hosts' is required (a table)" },
      { function() docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" }, { hosts = {} }) end,
        "docker network create ov: option 'hosts' must name at least one host" },
      { function() docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" },
                                         { hosts = { node1, netns.host() } }) end,
        "docker network create ov: option 'hosts' item 2 must be a host (nslab.hosts), got a namespace" },
      { function() docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" },
                                         { hosts = { node1, node1 } }) end,
        "docker network create ov: host node1 is named twice" },
      { function() node2.docker:network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" },
                                               { hosts = { node1 } }) end,
        "docker network create ov: option 'hosts' must include this daemon's host" },
      { function() docker.network_create("ov", { driver = "overlay", subnet = "172.17.0.0/24" },
                                         { hosts = { node1, node2 } }) end,
        "docker network create ov: Pool overlaps with other one on this address space (bridge on host node1)" },
      { function()
          docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.1/24" }, { hosts = { node1 } })
        end,
        "docker network create ov: invalid subnet 10.0.9.1/24: it should be 10.0.9.0/24" },
      { function() docker.network_create("ov", { driver = "overlay" }, { hosts = { node1 } }) end,
        "docker network create ov: option 'subnet' is required (a string of 1..18 bytes without NUL)" },
      { function() docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24", vxlanid_list = 0 },
                                         { hosts = { node1 } }) end,
        "docker network create ov: option 'vxlanid_list' must be an integer 1..16777215, got 0" },
      { function()
          docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" }, { hosts = { node1 }, x = 1 })
        end,
        "docker network create ov: invalid option 'x'" },
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(case[1])
      assert.is_false(ok, case[2])
      assert.equal(case[2], err)
    end
    assert.same(before, sorted_netns())
    assert.is_nil(node1.docker.networks.ov)
    -- a taken name, a taken VNI; -p on an overlay network
    create("ov", "10.0.9.0/24")
    assert.has_error(function() create("ov", "10.0.10.0/24") end,
                     "docker network create ov: network with name ov already exists (on host node1)")
    assert.has_error(function()
      docker.network_create("ov3", { driver = "overlay", subnet = "10.0.11.0/24", vxlanid_list = 4097 },
                            { hosts = { node1 } })
    end, "docker network create ov3: VNI 4097 is network ov's")
    assert.has_error(function() node1.docker:run{ name = "p", network = "ov", publish = "80:80" } end,
                     "docker run p: -p on overlay network ov needs docker_gwbridge, which the model has not")
    assert.same({}, fdb(overlay.sandbox(node1.docker.networks.ov, node2)))
  end)
end)
