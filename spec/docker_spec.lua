-- docker: the model of Docker's networking. Its views are compared with
-- what Docker printed in seed 001, and every fact it claims is checked
-- against the kernel with iproute2 and bridge(8).
local world = require("spec.support.world")
local docker = require("nslab.docker")
local json = require("dkjson")

-- `docker network inspect bridge` as seed 001 shows it (one container).
local SEED_INSPECT = json.decode([[
{
"Name": "bridge",
"Id": "664f65044a2ff1f59413d02db2ec032cf6c0e1d759a0ca497d02c4c8dd4ef619",
"Created": "2018-11-08T14:58:57.971424978+08:00",
"Scope": "local",
"Driver": "bridge",
"EnableIPv6": false,
"IPAM": { "Driver": "default", "Options": null,
          "Config": [ { "Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1" } ] },
"Internal": false, "Attachable": false, "Ingress": false,
"ConfigFrom": { "Network": "" },
"ConfigOnly": false,
"Containers": {
  "a7e7ecb9de2a8ef47d29630455fd6587602f9fa25dc7db25c70867aa15ebb5eb": {
    "Name": "test1",
    "EndpointID": "c1c530262d07673bbe69b7780e23d2e83b13bea7882da1a2e65d8076e63692f2",
    "MacAddress": "02:42:ac:11:00:02",
    "IPv4Address": "172.17.0.2/16",
    "IPv6Address": "" } },
"Options": {
  "com.docker.network.bridge.default_bridge": "true",
  "com.docker.network.bridge.enable_icc": "true",
  "com.docker.network.bridge.enable_ip_masquerade": "true",
  "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
  "com.docker.network.bridge.name": "docker0",
  "com.docker.network.driver.mtu": "1500" },
"Labels": {}
}]])

-- The shape of a value: the same keys all the way down (ids vary).
local function shape(v)
  if type(v) ~= "table" then return type(v) end
  local out = {}
  for k, x in pairs(v) do
    local key = type(k) == "string" and #k == 64 and k:match("^%x+$") and "<id>" or k
    out[key] = shape(x)
  end
  return out
end

local function only(t)
  local _, v = next(t)
  return v
end

describe("docker model", function()
  before_each(function()
    world.fresh()
    docker.reset()
  end)

  it("network inspect bridge has the fields and values of seed 001", function()
    local c = docker.run{ name = "test1" }
    local mine = docker.network_inspect("bridge")
    local seed = SEED_INSPECT
    -- IPAM.Options is null in Docker's JSON: absent in both decoded tables
    assert.same(shape(seed), shape(mine))
    for _, key in ipairs{ "Name", "Scope", "Driver", "EnableIPv6", "Internal", "IPAM", "Options", "Labels" } do
      assert.same(seed[key], mine[key], key)
    end
    local theirs, ours = only(seed.Containers), mine.Containers[c.id]
    for _, key in ipairs{ "Name", "MacAddress", "IPv4Address", "IPv6Address" } do
      assert.equal(theirs[key], ours[key], key)
    end
    assert.matches("^%x+$", mine.Id)
    assert.equal(64, #mine.Id)
    assert.equal(64, #ours.EndpointID)
  end)

  it("network ls lists bridge, host and none, as in seed 001", function()
    local rows = docker.network_ls()
    local view = {}
    for _, r in ipairs(rows) do
      view[#view + 1] = r.NAME .. " " .. r.DRIVER .. " " .. r.SCOPE
      assert.matches("^%x%x%x%x%x%x%x%x%x%x%x%x$", r["NETWORK ID"])
    end
    assert.same({ "bridge bridge local", "host host local", "none null local" }, view)
  end)

  it("run wires what inspect says: address, MAC, veth on docker0, default route", function()
    local c = docker.run{ name = "test1" }
    local eth0 = world.find(world.ip_json(c.netns, "addr"), "ifname", "eth0")
    assert.equal("02:42:ac:11:00:02", eth0.address)
    local a = world.find(eth0.addr_info, "family", "inet")
    assert.same({ "172.17.0.2", 16, "172.17.255.255" }, { a["local"], a.prefixlen, a.broadcast })
    local route = world.find(world.ip_json(c.netns, "route"), "dst", "default")
    assert.same({ "172.17.0.1", "eth0" }, { route.gateway, route.dev })
    local port = world.find(world.ip_json(nil, "link show master docker0"), "ifname", c.veth)
    assert.is_not_nil(port)
    assert.matches("^veth%x%x%x%x%x%x%x$", c.veth)
    local br = world.find(json.decode(world.sh(nil, "bridge -j link")), "ifname", c.veth)
    assert.equal("docker0", br.master)
    assert.equal(docker.pid("test1"), c.pid)
    assert.equal(("net:[%d]"):format(c.netns:inode()), require("nslab.core").readlink(("/proc/%d/ns/net"):format(c.pid)))
  end)

  it("hands out addresses in order, and reuses a released one", function()
    local a, b, c = docker.run{ name = "a" }, docker.run{ name = "b" }, docker.run{ name = "c" }
    assert.same({ "172.17.0.2", "172.17.0.3", "172.17.0.4" }, { a.ip, b.ip, c.ip })
    local veth = b.veth
    docker.stop("b")
    assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", veth))
    assert.is_nil(b.ip)
    docker.start("b")
    assert.equal("172.17.0.3", b.ip)
    assert.equal(3, #world.ip_json(nil, "link show master docker0"))
  end)

  it("stop removes the veth from docker0 and the container from inspect; rm forgets it", function()
    local c = docker.run{ name = "test1" }
    local veth = c.veth
    docker.stop("test1")
    assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", veth))
    assert.same({}, docker.network_inspect("bridge").Containers)
    assert.equal(0, docker.pid("test1"))
    docker.rm("test1")
    assert.has_error(function() docker.start("test1") end, "docker: No such container: test1")
  end)

  it("user-defined bridge networks get their own bridge and subnet", function()
    local net = docker.network_create("demo1", { subnet = "172.18.0.0/16" })
    local c = docker.run{ name = "d1", network = "demo1" }
    assert.equal("172.18.0.2", c.ip)
    assert.equal("br-" .. net.id:sub(1, 12), net.bridge_name)
    local br = world.find(world.ip_json(nil, "-d link"), "ifname", net.bridge_name)
    assert.equal("bridge", br.linkinfo.info_kind)
    assert.same({ { Subnet = "172.18.0.0/16", Gateway = "172.18.0.1" } }, docker.network_inspect("demo1").IPAM.Config)
  end)

  it("modes: none has only lo, host shares the host, container: shares the other's", function()
    local n = docker.run{ name = "n", network = "none" }
    assert.same({ "lo" }, world.pluck(world.ip_json(n.netns, "link"), "ifname"))
    local h = docker.run{ name = "h", network = "host" }
    assert.equal(require("nslab.netns").host():inode(), h.netns:inode())
    local t = docker.run{ name = "t" }
    local j = docker.run{ name = "j", network = "container:t" }
    assert.equal(t.netns:inode(), j.netns:inode())
    assert.is_nil(docker.network_inspect("bridge").Containers[j.id])
  end)

  it("hostnames as Docker gives them", function()
    local c = docker.run{ name = "c" }
    assert.equal(c.id:sub(1, 12) .. "\n", c:exec("hostname").stdout)
    local j = docker.run{ name = "j", network = "container:c" }
    assert.equal(c.id:sub(1, 12) .. "\n", j:exec("hostname").stdout)
    local h = docker.run{ name = "h", network = "host" }
    assert.equal(require("nslab.netns").host():exec("hostname").stdout, h:exec("hostname").stdout)
  end)

  describe("errors", function()
    it("overlapping subnets, a bad subnet, a port published twice", function()
      assert.has_error(function() docker.network_create("dup", { subnet = "172.17.0.0/16" }) end,
        "docker network create: Pool overlaps with other one on this address space (bridge)")
      assert.has_error(function() docker.network_create("bad", { subnet = "300.1.0.0/16" }) end,
        'docker network create: invalid subnet "300.1.0.0/16"')
      docker.run{ name = "web", publish = "8080:80" }
      assert.has_error(function() docker.run{ name = "web2", publish = "8080:80" } end,
        "docker run: Bind for 0.0.0.0:8080 failed: port is already allocated")
      docker.stop("web")
      docker.run{ name = "web3", publish = "8080:80" } -- free again
    end)
    it("a container name in use", function()
      docker.run{ name = "test1" }
      assert.has_error(function() docker.run{ name = "test1" } end,
        'docker run: the container name "/test1" is already in use')
      assert.equal(1, #world.ip_json(nil, "link show master docker0"))
    end)
    it("an unknown network, an unknown container to join, a misspelled option", function()
      assert.has_error(function() docker.run{ name = "x", network = "nonet" } end, "docker: network nonet not found")
      assert.has_error(function() docker.run{ name = "x", network = "container:ghost" } end,
        "docker: No such container: ghost")
      assert.has_error(function() docker.run{ name = "x", netwrok = "bridge" } end, "docker run: invalid option 'netwrok'")
    end)
    it("removing a running container without force", function()
      local c = docker.run{ name = "test1" }
      assert.has_error(function() docker.rm("test1") end)
      assert.is_true(c.proc:running())
      docker.rm("test1", true)
      assert.is_false(c.proc:running())
    end)
    it("a network name in use and a bad subnet", function()
      docker.network_create("demo1", { subnet = "172.18.0.0/16" })
      assert.has_error(function() docker.network_create("demo1", { subnet = "172.19.0.0/16" }) end,
        "docker network create: network with name demo1 already exists")
      assert.has_error(function() docker.network_create("demo2", { subnet = "172.19.0.0" }) end,
        'docker network create: invalid subnet "172.19.0.0"')
    end)
  end)
end)
