-- The namespace pool (core/ns_pool.c): from the second namespace a lab
-- makes, a thread of the core makes the next ones ahead. What it hands
-- out must be as new as a namespace made on the spot, for netns.add,
-- anonymous namespaces and containers alike; iproute2 and /proc are the
-- witnesses.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

local function ns_link(pid, kind) return core.readlink(("/proc/%d/ns/%s"):format(pid, kind)) end

-- Until the pool has spares ready (its thread works while we wait).
local function spares_ready()
  local deadline = core.clock() + 3
  while core.netns_pool_stats().spares == 0 and core.clock() < deadline do core.sleep(0.005) end
  return core.netns_pool_stats().spares > 0
end

describe("namespace pool", function()
  before_each(world.fresh)

  it("hands out new network namespaces, each with only lo down, as ip sees them", function()
    local handles, seen = {}, { [netns.host():inode()] = true }
    local start = core.netns_pool_stats() -- counts since the process began
    handles[1], handles[2] = core.netns_create(), core.netns_create()
    assert.is_true(spares_ready())
    for i = 3, 10 do handles[i] = core.netns_create() end
    local stats = core.netns_pool_stats()
    assert.is_true(stats.running)
    assert.is_true(stats.ahead > start.ahead, "some were made ahead")
    assert.equal(10, stats.ahead - start.ahead + stats.here - start.here)
    for _, h in ipairs(handles) do
      assert.is_nil(seen[h:inode()], "a namespace handed out twice")
      seen[h:inode()] = true
      local links = h:link_list()
      assert.equal(1, #links)
      assert.equal("lo", links[1].ifname)
      assert.equal("DOWN", links[1].operstate)
      assert.equal("0", h:sysctl_get("net.ipv4.ip_forward"))
    end
  end)

  it("names a namespace made ahead as ip netns add does", function()
    netns.add("a1")
    netns.add("a2")
    assert.is_true(spares_ready())
    local before = core.netns_pool_stats().ahead
    local a3 = netns.add("a3")
    assert.equal(before + 1, core.netns_pool_stats().ahead)
    assert.equal("a1\na2\na3\n", world.sh(nil, "ip netns list | cut -d' ' -f1 | sort"))
    -- the name is the very namespace of the handle
    assert.equal(("net:[%d]\n"):format(a3:inode()), world.sh(nil, "ip netns exec a3 readlink /proc/self/ns/net"))
    local links = world.ip_json(a3, "link")
    assert.equal(1, #links)
    assert.equal("lo", links[1].ifname)
    netns.delete(a3)
    assert.equal("a1\na2\n", world.sh(nil, "ip netns list | cut -d' ' -f1 | sort"))
  end)

  it("gives containers network and IPC namespaces of their own, made ahead", function()
    local cs = {}
    cs[1], cs[2] = core.container_start{ hostname = "c1" }, core.container_start{ hostname = "c2" }
    assert.is_true(spares_ready())
    local before = core.netns_pool_stats().ahead
    for i = 3, 6 do cs[i] = core.container_start{ hostname = "c" .. i } end
    assert.is_true(core.netns_pool_stats().ahead > before)
    local seen = { net = {}, ipc = {}, uts = {} }
    for kind, t in pairs(seen) do t[ns_link(world.pid(), kind)] = true end
    for i, c in ipairs(cs) do
      for kind, t in pairs(seen) do
        local link = ns_link(c:pid(), kind)
        assert.is_nil(t[link], kind .. " namespace shared by container " .. i)
        t[link] = true
      end
      assert.equal("c" .. i .. "\n", netns.host():exec("hostname", { pid = c:pid() }).stdout)
      assert.equal("lo\n", netns.host():exec("ls /sys/class/net", { pid = c:pid() }).stdout)
    end
    -- a message queue made in one container's IPC namespace is seen there only
    local host = netns.host()
    assert.equal(0, host:exec("ipcmk -Q", { pid = cs[3]:pid() }).status)
    local function queues(c) return select(2, host:exec("ipcs -q", { pid = c:pid() }).stdout:gsub("\n0x", "")) end
    assert.equal(1, queues(cs[3]))
    assert.equal(0, queues(cs[4]))
    for _, c in ipairs(cs) do c:stop() end
  end)

  it("does not start inside a namespace entered for a callback (it would hold it)", function()
    local x = netns.add("x")
    local made = {}
    x.handle:run(function()
      made[1], made[2], made[3] = core.netns_create(), core.netns_create(), core.netns_create()
    end)
    assert.is_false(core.netns_pool_stats().running)
    for _, h in ipairs(made) do assert.are_not.equal(x:inode(), h:inode()) end
    core.netns_create() -- back home: now it starts
    assert.is_true(core.netns_pool_stats().running)
  end)

  it("stops with the world: a fresh world holds no spare of the old one", function()
    core.netns_create()
    core.netns_create()
    assert.is_true(spares_ready())
    world.fresh()
    local stats = core.netns_pool_stats()
    assert.is_false(stats.running)
    assert.equal(0, stats.spares)
  end)

  it("is off with NSLAB_NS_POOL=0: every namespace made on the spot", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write([[local core = require("nslab.core")
      local t = {}
      for i = 1, 6 do t[i] = core.netns_create() end
      local s = core.netns_pool_stats()
      print(s.ahead, s.here, s.running)]])
    f:close()
    local p = assert(io.popen("NSLAB_NS_POOL=0 bin/nslab lua " .. script .. " 2>&1"))
    local out = p:read("a")
    p:close()
    os.remove(script)
    assert.equal("0\t6\tfalse\n", out)
  end)
end)
