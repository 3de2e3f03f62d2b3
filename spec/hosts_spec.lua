-- hosts: several machines in one lab (nslab.hosts), each a namespace with
-- eth0 on an underlay bridge and a daemon of its own; checked with ip -j
-- and nft -j in the same world, each host's daemon apart from the
-- others' and from the world's default one.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local docker = require("nslab.docker")
local hosts = require("nslab.hosts")
local core = require("nslab.core")
local json = require("dkjson")

local function names(ns)
  return world.pluck(world.ip_json(ns, "link"), "ifname")
end

-- The nf_tables tables of ns, "family name" each, sorted.
local function nft_tables(ns)
  local out = {}
  for _, item in ipairs(json.decode(world.sh(ns, "nft -j list tables")).nftables) do
    if item.table then out[#out + 1] = item.table.family .. " " .. item.table.name end
  end
  table.sort(out)
  return out
end

local function alive(pid) return io.open("/proc/" .. pid .. "/stat") ~= nil end

describe("hosts", function()
  before_each(function()
    world.fresh()
    docker.reset()
    hosts.reset()
  end)

  it("makes each host a namespace with eth0 on the underlay, its address and its own docker0", function()
    local node1, node2 = hosts.add{ "node1", "node2", underlay = "192.0.2.0/24" }
    assert.same({ "192.0.2.1", "192.0.2.2" }, { node1.address, node2.address })
    assert.same({ "underlay0", "node1-eth0", "node2-eth0" },
                { netns.host():link("underlay0").name, node1.port.name, node2.port.name })
    local br = world.ip_link(nil, "underlay0")
    assert.equal("bridge", br.linkinfo.info_kind)
    assert.equal("underlay0", world.ip_link(nil, "node1-eth0").master)
    assert.equal("underlay0", world.ip_link(nil, "node2-eth0").master)
    for _, h in ipairs{ node1, node2 } do
      assert.same({ "docker0", "eth0", "lo" }, names(h))
      local eth0 = world.find(world.ip_json(h, "addr"), "ifname", "eth0")
      assert.equal(h.address, eth0.addr_info[1]["local"])
      local d0 = world.find(world.ip_json(h, "addr"), "ifname", "docker0")
      assert.equal("172.17.0.1", d0.addr_info[1]["local"])
      assert.same({ "ip filter", "ip nat" }, nft_tables(h))
      assert.equal("1", world.sh(h, "cat /proc/sys/net/ipv4/ip_forward"):match("%d"))
    end
    -- the world's namespace is the network between them: no daemon there
    assert.same({}, nft_tables(netns.host()))
    assert.is_nil(world.ip_link(nil, "docker0"))
    assert.is_true(node1:ping("192.0.2.2").received > 0)
  end)

  it("keeps the daemons apart: one name on each host, one address each, one firewall each", function()
    local node1, node2 = hosts.add{ "node1", "node2" }
    local a = node1.docker:run{ name = "web", publish = "8080:80" }
    local b = node2.docker:run{ name = "web", publish = "8080:80" }
    assert.same({ "172.17.0.2", "172.17.0.2" }, { a.ip, b.ip })
    assert.not_equal(a.pid, b.pid)
    assert.equal(1, #world.pluck(world.ip_json(node1, "link show master docker0"), "ifname"))
    assert.equal(a.veth, world.ip_json(node1, "link show master docker0")[1].ifname)
    assert.equal(b.veth, world.ip_json(node2, "link show master docker0")[1].ifname)
    assert.truthy(world.sh(node1, "nft list chain ip nat DOCKER"):find("dnat to 172.17.0.2:80", 1, true))
    node1.docker:rm("web", true)
    assert.falsy(world.sh(node1, "nft list chain ip nat DOCKER"):find("dnat", 1, true))
    assert.truthy(world.sh(node2, "nft list chain ip nat DOCKER"):find("dnat to 172.17.0.2:80", 1, true))
    assert.same({ "web" }, world.pluck((function()
      local l = {}
      for name in pairs(node2.docker.containers) do l[#l + 1] = { name = name } end
      return l
    end)(), "name"))
    -- a container of one host reaches the other host through its NAT
    assert.is_true(b.netns:ping("192.0.2.1").received > 0)
  end)

  it("leaves docker.daemon() the world's host's, as it was", function()
    local node1 = hosts.new("node1")
    local d = docker.daemon()
    assert.equal(netns.host(), d.host)
    assert.not_equal(d, node1.docker)
    local c = docker.run{ name = "c1" }
    assert.equal("172.17.0.2", c.ip)
    assert.same({ "ip filter", "ip nat" }, nft_tables(netns.host()))
    assert.equal(c.veth, world.ip_json(nil, "link show master docker0")[1].ifname)
    assert.same({}, world.ip_json(node1, "link show master docker0"))
    -- one daemon per machine: a second one on node1 finds its docker0
    assert.has_error(function() docker.new{ host = node1 } end,
                     "docker new: namespace node1 has a docker0 already (one daemon per host)")
    assert.same({ "ip filter", "ip nat" }, nft_tables(node1))
  end)

  it("gives addresses in order, or the one asked for, and refuses a taken one", function()
    local a = hosts.new("a", { underlay = "198.51.100.0/24", address = "198.51.100.7" })
    local b = hosts.new("b", { underlay = "198.51.100.0/24" })
    assert.same({ "198.51.100.7", "198.51.100.1" }, { a.address, b.address })
    assert.has_error(function() hosts.new("c", { underlay = "198.51.100.0/24", address = "198.51.100.7" }) end,
                     "hosts new c: address 198.51.100.7 is host a's")
    assert.same({ "a", "b" }, world.pluck(core.netns_list(), 1) and (function()
      local l = core.netns_list()
      table.sort(l)
      return l
    end)()) -- nothing half-made
  end)

  it("removes a host with its containers, its firewall and its eth0: nothing left", function()
    local node1, node2 = hosts.add{ "node1", "node2" }
    local c = node1.docker:run{ name = "c1" }
    local before = names(nil)
    hosts.remove(node1)
    assert.is_false(alive(c.pid))
    assert.falsy(pcall(netns.open, "node1"))
    assert.same({ "lo", "node2-eth0", "underlay0" }, names(nil))
    assert.not_same(before, names(nil))
    assert.same({ "docker0", "eth0", "lo" }, names(node2))
    assert.is_true(node2:ping("192.0.2.2").received > 0)
    -- the address is free again
    assert.equal("192.0.2.1", hosts.new("node3").address)
  end)

  it("refuses bad input with the operation, the object and why", function()
    assert.has_error(function() hosts.add{} end, "hosts add: argument 1 (hosts) must name at least one host")
    assert.has_error(function() hosts.add{ "a", underlay = "192.0.2.0/24", mtu = 1 } end,
                     "hosts add: invalid option 'mtu'")
    assert.has_error(function() hosts.new("bad name") end,
                     'hosts new: invalid host name "bad name", only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed')
    assert.has_error(function() hosts.new("a", { underlay = "192.0.2.1/24" }) end,
                     "hosts new a: invalid subnet 192.0.2.1/24: it should be 192.0.2.0/24")
    assert.has_error(function() hosts.new("a", { address = "203.0.113.1" }) end,
                     "hosts new a: address 203.0.113.1 is not a host's address in the underlay 192.0.2.0/24")
    assert.has_error(function() hosts.remove(netns.host()) end,
                     "hosts remove: argument 1 (host) must be a host (nslab.hosts), got a namespace")
    assert.has_error(function() hosts.remove(nil) end,
                     "hosts remove: argument 1 (host) must be a value, got nil")
    assert.has_error(function() hosts.remove(1, 2) end, "hosts remove: too many arguments (2 given, at most 1)")
    assert.has_error(function() docker.new{ host = 7 } end,
                     "docker new: option 'host' must be a netns or a namespace name, got 7")
    assert.same({}, core.netns_list())
  end)
end)
