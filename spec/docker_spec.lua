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
    assert.equal(("net:[%d]"):format(c.netns:inode()),
                 require("nslab.core").readlink(("/proc/%d/ns/net"):format(c.pid)))
  end)

  it("a container is a target: its address is pinged; an object that has none is refused, not sent nothing", function()
    local recorded = {}
    local check = require("nslab.check").bind{
      record = function(passed, description) recorded[#recorded + 1] = { passed, description } return passed end,
      host = function() return require("nslab.netns").host() end,
    }
    local a, b = docker.run{ name = "a" }, docker.run{ name = "b" }
    assert.equal(1, a.netns:ping(b).received)
    assert.equal(1, a.netns:ping({ b })[1].received)
    assert.is_true(check.reachable(a, b))
    assert.equal("ping 172.17.0.3 from container a: 1/1 replies", recorded[1][2]:match("^(.-), avg"))
    assert.is_true(check.reachable{ { a, b }, { b, { a } } })
    -- until now a container was taken for an empty list of targets: no
    -- packet sent, and check.unreachable passed
    assert.is_false(check.unreachable(a, b, { timeout = 0.2 }))
    docker.stop("b")
    local ok, err = pcall(check.unreachable, a, b)
    assert.is_false(ok)
    assert.equal("check.unreachable: argument 2 (target) must be an address, or a container that has one, "
                 .. "got docker container b (exited)", err)
    ok, err = pcall(check.reachable, { { a, "172.17.0.1" }, { a, b } })
    assert.is_false(ok)
    assert.equal("check.reachable: argument 1 (probes) item 2 [2] (target) must be an address, or a container "
                 .. "that has one, got docker container b (exited)", err)
    ok, err = pcall(a.netns.handle.ping, a.netns.handle, setmetatable({}, {}))
    assert.is_false(ok)
    assert.equal("ping: argument 1 (target) must be a string of 1..64 bytes without NUL, got table", err)
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

  -- Random names meet earlier ones (28 bits for a veth: about once in 500
  -- runs of a thousand containers; 24 for a default container name: once
  -- in 30): a taken one is drawn again, as libnetwork and dockerd do.
  describe("a random name already taken", function()
    local names = docker.internal.names
    local veth, container = names.veth, names.container
    after_each(function() names.veth, names.container = veth, container end)

    -- draws: the names given, then the real draw
    local function draws(list, real)
      local i = 0
      return function()
        i = i + 1
        return list[i] or real()
      end
    end

    it("is drawn again for a veth's host end", function()
      world.sh(nil, "ip link add vethtaken type veth peer name vethtaken-p")
      names.veth = draws({ "vethtaken", "vethfresh" }, veth)
      local c = docker.run{ name = "web" }
      assert.equal("vethfresh", c.veth)
      assert.truthy(world.find(world.ip_json(nil, "link show master docker0"), "ifname", "vethfresh"))
      -- the lab's own link is left as it was
      assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", "vethtaken").master)
      names.veth = function() return "vethtaken" end -- every draw taken: the kernel's error, nothing made
      local ok, err = pcall(docker.run, { name = "db" })
      assert.is_false(ok)
      assert.equal("link add vethtaken: File exists", err)
      assert.equal(1, #world.ip_json(nil, "link show master docker0"))
      assert.is_nil(docker.daemon().containers.db)
    end)

    it("is drawn again for a default container name", function()
      local first = docker.run{}
      names.container = draws({ first.name, first.name, "cfresh" }, container)
      assert.equal("cfresh", docker.run{}.name)
      assert.equal(2, #world.ip_json(nil, "link show master docker0"))
    end)
  end)

  it("stop removes the veth from docker0 and the container from inspect; rm forgets it", function()
    local c = docker.run{ name = "test1" }
    local veth = c.veth
    docker.stop("test1")
    assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", veth))
    assert.same({}, docker.network_inspect("bridge").Containers)
    assert.equal(0, docker.pid("test1"))
    docker.rm("test1")
    assert.has_error(function() docker.start("test1") end, "docker start: No such container: test1")
  end)

  -- docker rm -f c1 c2 ...: the processes go, and the kernel removes the
  -- pairs with their namespaces in one batch; rm returns once it has.
  it("rm of a list: every veth is gone when it returns, addresses free, one wait traced", function()
    local trace = require("nslab.trace")
    local names, veths = {}, {}
    for i = 1, 12 do
      names[i] = "c" .. i
      veths[i] = docker.run{ name = names[i] }.veth
    end
    local j = docker.run{ name = "j", network = "container:c3" } -- holds c3's namespace, rm'd too
    names[#names + 1] = "j"
    trace.clear()
    local t = require("nslab.core").clock()
    docker.rm(names, true)
    local took = require("nslab.core").clock() - t
    assert.same({}, world.ip_json(nil, "link show master docker0"))
    assert.same({}, world.ip_json(nil, "link show type veth"))
    assert.same({}, docker.network_inspect("bridge").Containers)
    assert.is_false(j.proc:running())
    assert.is_nil(docker.daemon().containers["c1"]) -- (by name: "c1" is hex, an id prefix too)
    assert.equal("172.17.0.2", docker.run{ name = "again" }.ip)
    -- the trace: the joiner first, each kill, one wait for all the pairs
    assert.equal("kill -KILL $C_j", trace.history[1])
    assert.equal("kill -KILL $C_c1", trace.history[2])
    assert.equal(("for v in %s; do while ip link show dev \"$v\" >/dev/null 2>&1; do sleep 0.01; done; done")
                 :format(table.concat(veths, " ")), trace.history[14])
    assert.is_true(took < 5, ("rm of 13 took %.3f s"):format(took)) -- no fallback deadline waited
  end)

  it("stop of a list, then start: the same addresses, new veths", function()
    local a, b = docker.run{ name = "a" }, docker.run{ name = "b" }
    local joiner = docker.run{ name = "j", network = "container:a" }
    -- a's namespace is still held by j: its veth is deleted, not waited for
    local t = require("nslab.core").clock()
    local stopped = docker.stop{ "a", "b" }
    assert.is_true(require("nslab.core").clock() - t < 2)
    assert.same({ a, b }, stopped)
    assert.same({}, world.ip_json(nil, "link show type veth"))
    assert.is_true(joiner.proc:running())
    assert.same({ "lo" }, world.pluck(world.ip_json(joiner.netns, "link"), "ifname"))
    docker.start("a")
    docker.start("b")
    assert.same({ "172.17.0.2", "172.17.0.3" }, { a.ip, b.ip })
    assert.equal(2, #world.ip_json(nil, "link show master docker0"))
  end)

  -- BR_MAX_PORTS: a bridge network holds 1023 containers; the next one
  -- is refused before anything is made, and a bridge the kernel finds
  -- full (ports docker does not know of) says the same.
  it("a full bridge network refuses a container, naming the limit, and makes nothing", function()
    local function idle() -- container processes (those of earlier specs' daemons collected first)
      collectgarbage()
      collectgarbage()
      return select(2, world.sh(nil, "pgrep -x nslab-idle || true"):gsub("\n", ""))
    end
    docker.BRIDGE_PORTS = 2
    local ok, err = pcall(function()
      docker.run{ name = "c1" }
      docker.run{ name = "c2" }
      assert.has_error(function() docker.run{ name = "c3" } end,
        "docker run c3: network bridge is full: a Linux bridge holds at most 2 ports (BR_MAX_PORTS)")
    end)
    docker.BRIDGE_PORTS = 1023
    assert(ok, err)
    assert.is_nil(docker.daemon().containers["c3"]) -- (by name: "c3" is hex, an id prefix too)
    assert.equal(2, #world.ip_json(nil, "link show master docker0"))
    docker.rm({ "c1", "c2" }, true)
    -- the kernel's limit: 1022 ports that are not containers, then c1, then none
    local host = require("nslab.netns").host()
    local docker0 = require("nslab.bridge").new(host, "docker0")
    for i = 1, 511 do
      local x, y = host:veth("fa" .. i, "fb" .. i)
      docker0:attach(x)
      docker0:attach(y)
    end
    local c1 = docker.run{ name = "c1" }
    local procs = idle()
    assert.has_error(function() docker.run{ name = "c2" } end,
      "docker run c2: network bridge is full: a Linux bridge holds at most 1023 ports (BR_MAX_PORTS)")
    assert.equal(1023, #world.ip_json(nil, "link show master docker0"))
    assert.equal(1 + 1022, #world.ip_json(nil, "link show type veth")) -- c1's end and the 1022
    assert.is_nil(docker.daemon().containers["c2"]) -- (by name: "c2" is hex, an id prefix too)
    assert.equal(procs, idle()) -- c2's is gone
    assert.equal("172.17.0.2", c1.ip)
    docker.rm("c1", true)
    host:link("fa1"):delete() -- fa1 and fb1: two places
    assert.equal("172.17.0.2", docker.run{ name = "c3" }.ip)
    assert.equal("172.17.0.3", docker.run{ name = "c4" }.ip) -- c2's try gave its address back
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

  it("network rm: the bridge and its rules go (nft and ip agree), the subnet is free again", function()
    local function rules_naming(br)
      local n = 0
      for _, chain in ipairs{ "ip nat POSTROUTING", "ip nat DOCKER", "ip filter FORWARD",
                              "ip filter DOCKER-ISOLATION-STAGE-1", "ip filter DOCKER-ISOLATION-STAGE-2" } do
        local text, at = world.sh(nil, "nft -j list chain " .. chain), 1
        while true do
          local found = text:find('"' .. br .. '"', at, true)
          if not found then break end
          n, at = n + 1, found + 1
        end
      end
      return n
    end
    docker.daemon()
    local before = world.sh(nil, "nft list ruleset")
    local net = docker.network_create("demo1", { subnet = "172.18.0.0/16" })
    assert.is_true(rules_naming(net.bridge_name) >= 8)
    local c = docker.run{ name = "d1", network = "demo1" }
    assert.has_error(function() docker.network_rm("demo1") end,
      "docker network rm demo1: error while removing network: network demo1 id " .. net.id ..
      " has active endpoints (d1)")
    assert.truthy(world.find(world.ip_json(nil, "link"), "ifname", net.bridge_name)) -- refused: all there
    docker.stop("d1")
    docker.network_rm("demo1")
    assert.is_nil(world.find(world.ip_json(nil, "link"), "ifname", net.bridge_name))
    assert.equal(0, rules_naming(net.bridge_name))
    assert.equal(before, world.sh(nil, "nft list ruleset")) -- docker0's rules as they were
    assert.same({ "bridge", "host", "none" }, world.pluck(docker.network_ls(), "NAME"))
    assert.has_error(function() docker.start("d1") end, "docker start d1: network demo1 not found")
    assert.equal("exited", c.state)
    local again = docker.network_create("demo2", { subnet = "172.18.0.0/16" }) -- no overlap left
    assert.equal("172.18.0.2", docker.run{ name = "d2", network = "demo2" }.ip)
    assert.has_error(function() docker.network_rm("demo1") end, "docker network rm: network demo1 not found")
    for _, name in ipairs{ "bridge", "host", "none" } do
      assert.has_error(function() docker.network_rm(name) end,
        ("docker network rm %s: %s is a pre-defined network and cannot be removed"):format(name, name))
    end
    assert.equal(again, docker.daemon():network("demo2"))
  end)

  it("network rm goes on when a rule of the network was deleted by hand", function()
    local net = docker.network_create("demo1", { subnet = "172.18.0.0/16" })
    local r = net.rules[1]
    world.sh(nil, ("nft delete rule ip nat POSTROUTING handle %d"):format(r[2].handle))
    docker.network_rm("demo1")
    assert.is_nil(world.sh(nil, "nft list ruleset"):find(net.bridge_name, 1, true))
  end)

  it("ps lists the running containers, the newest first (-a: the stopped too); ids name them", function()
    local function names(rows)
      local out = {}
      for i, r in ipairs(rows) do out[i] = r.NAMES end
      return out
    end
    local a = docker.run{ name = "a", publish = "8080:80" }
    local b = docker.run{ name = "b", network = "none" }
    docker.run{ name = "j", network = "container:a" }
    docker.stop("b")
    local rows = docker.ps()
    assert.same({ "j", "a" }, names(rows))
    assert.same({ ["CONTAINER ID"] = a.id:sub(1, 12), STATUS = "Up", PORTS = "0.0.0.0:8080->80/tcp",
                  NAMES = "a", NETWORKS = "bridge" }, rows[2])
    assert.equal("container:a", rows[1].NETWORKS)
    assert.same({ "j", "b", "a" }, names(docker.ps(true)))
    local stopped = docker.ps(true)[2]
    assert.same({ "Exited", "" }, { stopped.STATUS, stopped.PORTS })
    local text = require("nslab.view").text(rows)
    assert.matches("^CONTAINER ID   STATUS   ", text)
    -- docker exec 28dc2e8853df (seed 003): the id, or a prefix naming one
    assert.equal(a, docker.container(a.id))
    assert.equal(b, docker.container(b.id:sub(1, 12)))
    assert.equal(0, docker.pid(b.id:sub(1, 12))) -- stopped
    assert.equal(a.id:sub(1, 12) .. "\n", docker.exec(a.id:sub(1, 12), "hostname").stdout)
    assert.has_error(function() docker.container("nosuch") end, "docker container: No such container: nosuch")
    b.id = a.id:sub(1, 4) .. b.id:sub(5) -- two ids alike in their first 4 digits
    assert.has_error(function() docker.container(a.id:sub(1, 4)) end,
      "docker container: multiple IDs found with provided prefix: " .. a.id:sub(1, 4))
    assert.equal(a, docker.container(a.id:sub(1, 5 + (a.id:sub(5, 5) == b.id:sub(5, 5) and 7 or 0))))
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

  it("container: joins the container, not its name: a name used again later names another one", function()
    docker.run{ name = "db" }
    local app = docker.run{ name = "app", network = "container:db" }
    docker.stop("app")
    docker.rm("db", true)
    docker.run{ name = "db", network = "none" } -- another container, the same name
    assert.has_error(function() docker.start("app") end, "docker start app: No such container: " .. app.joined.id)
    assert.equal("exited", app.state)
    assert.equal(0, #world.ip_json(nil, "link show master docker0")) -- nothing of app's was made
  end)

  it("stop of a namespace's containers while a joiner of a joiner holds it: the pair is deleted, not waited for",
     function()
    docker.run{ name = "c1" }
    docker.run{ name = "c2", network = "container:c1" }
    local c3 = docker.run{ name = "c3", network = "container:c2" } -- holds c1's namespace too
    local t = require("nslab.core").clock()
    docker.stop{ "c1", "c2" }
    -- the namespace lives on with c3, so the kernel never removes the pair:
    -- it went at once (before, the stop waited 5 s for the kernel, then deleted it)
    assert.is_true(require("nslab.core").clock() - t < 2.5, "the stop waited for a pair the kernel keeps")
    assert.same({ "lo" }, world.pluck(world.ip_json(c3.netns, "link"), "ifname")) -- as Docker leaves it
    assert.equal(0, #world.ip_json(nil, "link show master docker0"))
    assert.equal("running", c3.state)
    docker.stop(c3) -- the object stands for its name
    assert.equal("exited", c3.state)
  end)

  it("hostnames as Docker gives them", function()
    local c = docker.run{ name = "c" }
    assert.equal(c.id:sub(1, 12) .. "\n", c:exec("hostname").stdout)
    local j = docker.run{ name = "j", network = "container:c" }
    assert.equal(c.id:sub(1, 12) .. "\n", j:exec("hostname").stdout)
    local h = docker.run{ name = "h", network = "host" }
    assert.equal(require("nslab.netns").host():exec("hostname").stdout, h:exec("hostname").stdout)
  end)

  it("unpublishes by the rule handles the kernel echoed: docker stop reads no chain", function()
    local nft = require("nslab.nft")
    for i = 1, 5 do docker.run{ name = "web" .. i, publish = (8080 + i) .. ":80" } end
    local function dnat_rules()
      return select(2, world.sh(nil, "nft -j list chain ip nat DOCKER"):gsub('"dnat"', ""))
    end
    assert.equal(5, dnat_rules())
    local reads, rules = 0, nft.Chain.rules
    nft.Chain.rules = function(...) reads = reads + 1 return rules(...) end
    local ok, err = pcall(function() for i = 1, 5 do docker.stop("web" .. i) end end)
    nft.Chain.rules = rules
    assert(ok, err)
    assert.equal(0, reads)
    assert.equal(0, dnat_rules())
    assert.equal(0, select(2, world.sh(nil, "nft -j list chain ip filter DOCKER"):gsub('"accept"', "")))
  end)

  describe("errors", function()
    it("overlapping subnets, a bad subnet, a port published twice", function()
      assert.has_error(function() docker.network_create("dup", { subnet = "172.17.0.0/16" }) end,
        "docker network create dup: Pool overlaps with other one on this address space (bridge)")
      assert.has_error(function() docker.network_create("bad", { subnet = "300.1.0.0/16" }) end,
        'docker network create bad: invalid subnet "300.1.0.0/16" (A.B.C.D/8..30)')
      docker.run{ name = "web", publish = "8080:80" }
      assert.has_error(function() docker.run{ name = "web2", publish = "8080:80" } end,
        "docker run: Bind for 0.0.0.0:8080 failed: port is already allocated")
      docker.stop("web")
      docker.run{ name = "web3", publish = "8080:80" } -- free again
    end)
    it("ports: twice in one run, taken while a container was stopped, a map, with a network mode of another's",
       function()
      local function dnat_rules()
        return select(2, world.sh(nil, "nft -j list chain ip nat DOCKER"):gsub('"dnat"', ""))
      end
      assert.has_error(function() docker.run{ name = "a", publish = { "8080:80", "8080:81" } } end,
        "docker run: Bind for 0.0.0.0:8080 failed: port is already allocated")
      assert.has_error(function() docker.run{ name = "a", publish = { x = "80:80" } } end,
        "docker run: option 'publish' must be a string or an array of strings, got a table with key x")
      assert.equal(0, dnat_rules())
      docker.run{ name = "p1", publish = "9090:80" }
      docker.stop("p1")
      docker.run{ name = "p2", publish = "9090:80" }
      assert.has_error(function() docker.start("p1") end,
        "docker start: Bind for 0.0.0.0:9090 failed: port is already allocated")
      assert.equal("exited", docker.container("p1").state)
      assert.equal(1, dnat_rules()) -- p2's alone
      docker.rm("p2", true)
      assert.equal(0, dnat_rules())
      docker.start("p1")
      assert.equal(1, dnat_rules())
      assert.has_error(function() docker.run{ name = "j", network = "container:p1", publish = "7070:80" } end,
        "docker run: conflicting options: port publishing and the container type network mode")
      local notes = {}
      local unlisten = require("nslab.trace").listen_notes(function(text) notes[#notes + 1] = text end)
      local ok, err = pcall(docker.run, { name = "h", network = "host", publish = "7070:80" })
      unlisten()
      assert(ok, err)
      assert.matches("docker run h: published ports are discarded when using host network mode", table.concat(notes),
                     1, true)
      assert.equal(1, dnat_rules())
      -- p1's rule deleted by hand: stop still stops it
      local h = world.sh(nil, "nft -a list chain ip nat DOCKER"):match("dnat to [%d.:]+ # handle (%d+)")
      world.sh(nil, "nft delete rule ip nat DOCKER handle " .. h)
      docker.stop("p1")
      assert.equal("exited", docker.container("p1").state)
    end)
    it("joining a stopped container, a network with no address left, pinging from a stopped container", function()
      docker.run{ name = "t" }
      docker.stop("t")
      assert.has_error(function() docker.run{ name = "j", network = "container:t" } end,
        "docker run j: cannot join network of a non running container: t")
      docker.network_create("n30", { subnet = "10.9.0.0/30" }) -- .1 the gateway, .2 the only container
      docker.run{ name = "c1", network = "n30" }
      local links = #world.ip_json(nil, "link")
      assert.has_error(function() docker.run{ name = "c2", network = "n30" } end,
        "docker run c2: no free address left in network n30")
      assert.equal(links, #world.ip_json(nil, "link"))
      assert.is_nil(docker.daemon().containers["c2"]) -- (by name: "c2" is hex, an id prefix too)
      local check = require("nslab.check").bind{ record = function(passed) return passed end,
                                                 host = function() return require("nslab.netns").host() end }
      assert.has_error(function() check.reachable(docker.container("t"), "10.9.0.1") end,
        "check.reachable: docker container t (exited) is not running: there is nothing to ping from")
    end)
    it("container: with a hostname or without a container, as Docker refuses them", function()
      docker.run{ name = "a1" }
      assert.has_error(function() docker.run{ name = "b1", network = "container:a1", hostname = "bee" } end,
        "docker run: conflicting options: hostname and the network mode")
      assert.has_error(function() docker.run{ name = "e1", network = "container:" } end,
        "docker run: invalid network mode: invalid container format container:<name|id>")
      assert.is_nil(docker.daemon().containers.b1) -- (by name: "b1" is hex, an id prefix too)
    end)
    it("a start that finds no address left says it was a start", function()
      docker.network_create("n30", { subnet = "10.9.0.0/30" })
      docker.run{ name = "a", network = "n30" }
      docker.stop("a")
      docker.run{ name = "b", network = "n30" } -- takes .2
      assert.has_error(function() docker.start("a") end, "docker start a: no free address left in network n30")
    end)
    it("a container name in use", function()
      docker.run{ name = "test1" }
      assert.has_error(function() docker.run{ name = "test1" } end,
        'docker run: the container name "/test1" is already in use')
      assert.equal(1, #world.ip_json(nil, "link show master docker0"))
    end)
    it("an unknown network, an unknown container to join, a misspelled option", function()
      assert.has_error(function() docker.run{ name = "x", network = "nonet" } end,
        "docker run: network nonet not found")
      assert.has_error(function() docker.run{ name = "x", network = "container:ghost" } end,
        "docker run x: No such container: ghost")
      assert.has_error(function() docker.run{ name = "x", netwrok = "bridge" } end,
        "docker run x: invalid option 'netwrok'")
    end)
    it("removing a running container without force", function()
      local c = docker.run{ name = "test1" }
      assert.has_error(function() docker.rm("test1") end)
      assert.is_true(c.proc:running())
      docker.rm("test1", true)
      assert.is_false(c.proc:running())
    end)
    it("a list to rm or stop: each name checked before anything is done", function()
      local a = docker.run{ name = "a" }
      docker.run{ name = "b" }
      local cases = {
        { function() docker.rm({}, true) end, "docker rm: argument 1 (names) must name at least one container" },
        { function() docker.rm({ "a", "a" }, true) end, "docker rm: container a is named twice" },
        { function() docker.rm({ "a", 5 }, true) end,
          "docker rm: argument 1 (names), item 2 must be a string of 1..64 bytes without NUL, got 5" },
        { function() docker.rm({ "a", "nosuch" }, true) end, "docker rm: No such container: nosuch" },
        { function() docker.rm({ "a", "b" }) end, "docker rm: You cannot remove a running container " .. a.id ..
          ". Stop the container before attempting removal or force remove" },
        { function() docker.rm({ "a" }, "yes") end,
          'docker rm: argument 2 (force) must be a boolean, got "yes"' },
        { function() docker.stop{ "b", "nosuch" } end, "docker stop: No such container: nosuch" },
        { function() docker.stop{ "b", docker.container("b") } end, "docker stop: container b is named twice" },
        { function() docker.stop({ "b" }, 1) end, "docker stop: too many arguments (2 given, at most 1)" },
      }
      for _, case in ipairs(cases) do
        local ok, err = pcall(case[1])
        assert.is_false(ok)
        assert.equal(case[2], err)
      end
      assert.equal(2, #world.ip_json(nil, "link show master docker0"))
      assert.is_true(a.proc:running())
    end)
    it("a network name in use and a bad subnet", function()
      docker.network_create("demo1", { subnet = "172.18.0.0/16" })
      assert.has_error(function() docker.network_create("demo1", { subnet = "172.19.0.0/16" }) end,
        "docker network create demo1: network with name demo1 already exists")
      assert.has_error(function() docker.network_create("demo2", { subnet = "172.19.0.0" }) end,
        'docker network create demo2: invalid subnet "172.19.0.0" (A.B.C.D/8..30)')
    end)

    -- What the world holds, as iproute2 and nft see it. Of the addresses,
    -- what was configured: a bridge's IPv6 link-local one comes by itself,
    -- and its flags change once DAD is done (a left-over bridge shows in
    -- the links anyway).
    local function addresses()
      local out = {}
      for _, l in ipairs(world.ip_json(nil, "addr")) do
        for _, a in ipairs(l.addr_info) do
          if not a["local"]:match("^fe80:") then
            out[#out + 1] = ("%s %s %s/%d"):format(l.ifname, a.family, a["local"], a.prefixlen)
          end
        end
      end
      return out
    end

    -- Of the links, what is configured (operstate follows the carrier, late).
    local function links()
      local out = {}
      for _, l in ipairs(world.ip_json(nil, "link")) do
        out[#out + 1] = ("%d %s %s mtu %d master %s"):format(l.ifindex, l.ifname, l.address, l.mtu,
                                                             l.master or "-")
      end
      return out
    end

    local function snapshot()
      return { link = links(), addr = addresses(),
               route = world.ip_json(nil, "route"),
               nft = json.decode(world.sh(nil, "nft -j list ruleset")) }
    end

    -- Each refused network leaves the world as it was: no bridge, no
    -- address, no route, no rule (a gateway outside the subnet used to be
    -- accepted, and a bad one left its bridge behind).
    it("network create: subnet and gateway checked, nothing left behind", function()
      docker.daemon()
      local before = snapshot()
      local create = "docker network create n: "
      local cases = {
        { { subnet = "172.18.0.0/16", gateway = "172.19.0.1" },
          create .. "no matching subnet for gateway 172.19.0.1 (it is not in 172.18.0.0/16)" },
        { { subnet = "172.18.0.0/16", gateway = "172.18.0.0" },
          create .. "gateway 172.18.0.0 is the network or broadcast address of 172.18.0.0/16" },
        { { subnet = "172.18.0.0/16", gateway = "172.18.255.255" },
          create .. "gateway 172.18.255.255 is the network or broadcast address of 172.18.0.0/16" },
        { { subnet = "172.18.0.0/16", gateway = "172.18.0.300" },
          create .. 'invalid gateway "172.18.0.300" (an IPv4 address)' },
        { { subnet = "172.18.0.0/16", gateway = "172.18.0.01" },
          create .. 'invalid gateway "172.18.0.01" (an IPv4 address)' },
        { { subnet = "172.18.0.1/16" }, create .. "invalid subnet 172.18.0.1/16: it should be 172.18.0.0/16" },
        { { subnet = "172.18.0.0/31" }, create .. 'invalid subnet "172.18.0.0/31" (A.B.C.D/8..30)' },
        { { subnet = "172.0.0.0/7" }, create .. 'invalid subnet "172.0.0.0/7" (A.B.C.D/8..30)' },
        { { subnet = "172.18.0.0/016" }, create .. 'invalid subnet "172.18.0.0/016" (A.B.C.D/8..30)' },
        { { subnet = "172.16.0.0/12" }, create .. "Pool overlaps with other one on this address space (bridge)" },
        { { subnet = "172.17.5.0/24" }, create .. "Pool overlaps with other one on this address space (bridge)" },
        { { subnet = 5 },
          "docker network create n: option 'subnet' must be a string of 1..18 bytes without NUL, got 5" },
        { { gateway = "172.18.0.1" },
          "docker network create n: option 'subnet' is required (a string of 1..18 bytes without NUL)" },
        { {}, "docker network create n: option 'subnet' is required (a string of 1..18 bytes without NUL)" },
        { { subnet = "172.18.0.0/16", gw = "172.18.0.1" }, "docker network create n: invalid option 'gw'" },
        { "172.18.0.0/16", 'docker network create n: options must be a table, got "172.18.0.0/16"' },
      }
      for _, case in ipairs(cases) do
        local ok, err = pcall(docker.network_create, "n", case[1])
        assert.is_false(ok, case[2])
        assert.equal(case[2], err)
        assert.same(before, snapshot(), case[2])
      end
      for _, case in ipairs{
        { { 5, { subnet = "172.18.0.0/16" } },
          "docker network create: argument 1 (name) must be a string of 1..64 bytes without NUL, got 5" },
        { { "a b", { subnet = "172.18.0.0/16" } },
          'docker network create: invalid network name "a b", only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
        { { "n", { subnet = "172.18.0.0/16" }, 1 }, "docker network create: too many arguments (3 given, at most 2)" },
      } do
        local ok, err = pcall(docker.network_create, table.unpack(case[1]))
        assert.is_false(ok)
        assert.equal(case[2], err)
        assert.same(before, snapshot())
      end
      -- and a gateway that fits is used
      local net = docker.network_create("n", { subnet = "172.18.0.0/16", gateway = "172.18.0.254" })
      local br = world.find(world.ip_json(nil, "addr"), "ifname", net.bridge_name)
      assert.same({ "172.18.0.254", 16 }, { br.addr_info[1]["local"], br.addr_info[1].prefixlen })
    end)

    -- A step after the bridge fails (here the firewall: its nat table was
    -- deleted under the daemon): the bridge, its address and its route go.
    it("network create undoes the bridge when a later step fails", function()
      docker.daemon()
      world.sh(nil, "nft delete table ip nat")
      local before = snapshot()
      local ok, err = pcall(docker.network_create, "n", { subnet = "172.18.0.0/16" })
      assert.is_false(ok)
      assert.is_string(err)
      assert.same(before, snapshot())
      assert.has_error(function() docker.network_inspect("n") end, "docker network inspect: network n not found")
    end)

    -- docker.run{name = 5} and the like used to give internal Lua errors.
    it("bad arguments to run and the other commands, in one shape", function()
      docker.daemon()
      local before = snapshot()
      local cases = {
        { function() docker.run{ name = 5 } end,
          "docker run: option 'name' must be a string of 1..64 bytes without NUL, got 5" },
        { function() docker.run{ name = "a b" } end,
          'docker run: invalid container name "a b", only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' },
        { function() docker.run{ name = "x", hostname = 5 } end,
          "docker run x: option 'hostname' must be a string of 1..64 bytes without NUL, got 5" },
        { function() docker.run{ name = "x", network = 5 } end,
          "docker run x: option 'network' must be a string of 1..80 bytes without NUL, got 5" },
        { function() docker.run{ name = "x", publish = 5 } end,
          "docker run: option 'publish' must be a string or an array of strings, got number" },
        { function() docker.run{ name = "x", publish = "80" } end,
          'docker run: invalid publish "80" (HOSTPORT:CONTAINERPORT)' },
        { function() docker.run(5) end, "docker run: options must be a table, got 5" },
        { function() docker.run({}, 1) end, "docker run: too many arguments (2 given, at most 1)" },
        { function() docker.stop(5) end,
          "docker stop: argument 1 (name) must be a string of 1..64 bytes without NUL, got 5" },
        { function() docker.stop("x", 1) end, "docker stop: too many arguments (2 given, at most 1)" },
        { function() docker.start() end,
          "docker start: argument 1 (name) must be a string of 1..64 bytes without NUL, got nil" },
        { function() docker.rm("x", "yes") end, 'docker rm x: argument 2 (force) must be a boolean, got "yes"' },
        { function() docker.rm(true) end,
          "docker rm: argument 1 (name) must be a string of 1..64 bytes without NUL, got boolean" },
        { function() docker.mac_of("300.1.1.1") end, 'docker mac_of: invalid IPv4 address "300.1.1.1"' },
        { function() docker.mac_of("172.17.0.2/16") end, 'docker mac_of: invalid IPv4 address "172.17.0.2/16"' },
        { function() docker.mac_of(5) end,
          "docker mac_of: argument 1 (ip) must be a string of 1..15 bytes without NUL, got 5" },
        { function() docker.mac_of("172.17.0.2", 1) end, "docker mac_of: too many arguments (2 given, at most 1)" },
        { function() docker.daemon(1) end, "docker daemon: too many arguments (1 given, at most 0)" },
        { function() docker.new({}, 1) end, "docker new: too many arguments (2 given, at most 1)" },
        { function() docker.reset(1) end, "docker reset: too many arguments (1 given, at most 0)" },
        { function() docker.pid({}) end,
          "docker inspect: argument 1 (name) must be a string of 1..64 bytes without NUL, got table" },
        { function() docker.exec(5, "true") end,
          "docker exec: argument 1 (name) must be a string of 1..64 bytes without NUL, got 5" },
        { function() docker.network_inspect(nil) end,
          "docker network inspect: argument 1 (name) must be a string of 1..64 bytes without NUL, got nil" },
        { function() docker.network_ls(1) end, "docker network ls: too many arguments (1 given, at most 0)" },
      }
      for _, case in ipairs(cases) do
        local ok, err = pcall(case[1])
        assert.is_false(ok, case[2])
        assert.equal(case[2], err)
      end
      assert.same(before, snapshot())
      -- a command for a running container: named by docker exec and the container
      docker.run{ name = "ex1", network = "none" }
      assert.has_error(function() docker.exec("ex1", 42) end,
        "docker exec ex1: argument 1 (cmd) must be a string or an array of strings, got number")
      assert.has_error(function() docker.exec("ex1", "true", { nope = 1 }) end,
        "docker exec ex1: invalid option 'nope'")
    end)
  end)
end)
