-- world: `nslab sandbox` runs a command in a private world: only lo, its
-- own network namespace, /run/netns a tmpfs, /sys for the new namespace,
-- nothing leaks out, the world dies with nslab (even on SIGKILL), and the
-- command's exit status comes back.
--
-- The spec itself runs inside a world; the sandboxes it starts are worlds
-- nested in it, and this world stands for the host they must not touch.
local world = require("spec.support.world")
local core = require("nslab.core")
local json = require("dkjson")

local program = require("spec.support.program")

local quote, nslab = program.quote, program.nslab

local function sandbox(args) return nslab("sandbox -- " .. args) end

local function sh(script)
  return "sh -c " .. quote(script)
end

local function readlink(path)
  local p = assert(io.popen("readlink " .. quote(path) .. " 2>/dev/null"))
  local target = p:read("l")
  p:close()
  return target
end

-- PIDs of the processes whose /proc/PID/cmdline is exactly argv.
local function pids_of(argv)
  local want = table.concat(argv, "\0") .. "\0"
  local found = {}
  local p = assert(io.popen("ls /proc"))
  for name in p:lines() do
    if name:match("^%d+$") then
      local f = io.open("/proc/" .. name .. "/cmdline", "rb")
      if f then
        if f:read("a") == want then found[#found + 1] = tonumber(name) end
        f:close()
      end
    end
  end
  p:close()
  return found
end

-- PIDs of the processes in the network namespace "net:[INODE]".
local function pids_in(netns_link)
  local found = {}
  local p = assert(io.popen("ls /proc"))
  for name in p:lines() do
    if name:match("^%d+$") and readlink("/proc/" .. name .. "/ns/net") == netns_link then
      found[#found + 1] = tonumber(name)
    end
  end
  p:close()
  return found
end

-- Call fn until it returns a true value or `seconds` pass; its last result.
local function wait_for(seconds, fn)
  local deadline = core.clock() + seconds
  local value = fn()
  while not value and core.clock() < deadline do
    core.sleep(0.01)
    value = fn()
  end
  return value
end

describe("sandbox", function()
  before_each(world.fresh)

  it("has only lo, up (UNKNOWN), in a namespace of its own", function()
    local out, code, err = sandbox("ip -j link")
    assert.equal(0, code, err)
    local links = json.decode(out)
    assert.equal(1, #links)
    assert.equal("lo", links[1].ifname)
    assert.equal("UNKNOWN", links[1].operstate)
    local own = readlink("/proc/self/ns/net")
    local inside = sandbox("readlink /proc/self/ns/net"):match("^(net:%[%d+%])\n$")
    assert.is_not_nil(inside)
    assert.are_not.equal(own, inside)
    -- and another sandbox has yet another one
    assert.are_not.equal(inside, sandbox("readlink /proc/self/ns/net"):match("^(net:%[%d+%])\n$"))
  end)

  it("leaks neither namespaces nor links to where it was started", function()
    local out, code, err = sandbox(sh("ip netns add leak1 && " ..
      "{ ip link add leak0 type dummy 2>/dev/null || ip link add leak0 type veth peer name leak9; } && " ..
      "ip netns list && ip -o link show leak0"))
    assert.equal(0, code, err)
    -- they were made in there
    assert.matches("^leak1\n", out)
    assert.matches("leak0", out, 1, true)
    -- and are not here
    assert.same({}, world.ip_json(nil, "netns list"))
    local links = world.ip_json(nil, "link")
    assert.is_nil(world.find(links, "ifname", "leak0"))
    assert.is_nil(world.find(links, "ifname", "leak9"))
    assert.is_nil(io.open("/run/netns/leak1"))
  end)

  it("dies with nslab, even on SIGKILL, and its namespace with it", function()
    -- sh starts nslab in the background, says its PID and waits for it
    -- (so that it is reaped)
    local p = assert(io.popen(quote(program.program)
                              .. " sandbox -- sleep 1000 </dev/null >/dev/null 2>&1 & echo $!; wait"))
    local parent = tonumber(p:read("l"))
    assert.is_not_nil(parent)
    local ok, err = pcall(function()
      -- the sleep, a grandchild of nslab in the world's PID namespace
      local sleeper = wait_for(5, function() return pids_of{ "sleep", "1000" }[1] end)
      assert.is_not_nil(sleeper, "the sandboxed sleep did not start")
      local netns_link = readlink("/proc/" .. sleeper .. "/ns/net")
      assert.are_not.equal(readlink("/proc/self/ns/net"), netns_link)
      assert.is_true(#pids_in(netns_link) >= 2, "the world's init and the sleep")
      assert.is_true(os.execute("kill -KILL " .. parent))
      assert.is_true(wait_for(5, function() return #pids_of{ "sleep", "1000" } == 0 end),
                     "sleep 1000 outlived nslab")
      assert.is_true(wait_for(5, function() return #pids_in(netns_link) == 0 end),
                     "processes remain in the world's namespace " .. netns_link)
    end)
    if not ok then os.execute("kill -KILL " .. parent .. " 2>/dev/null") end
    p:close()
    assert(ok, err)
  end)

  it("has a tmpfs on /run/netns and a /sys with only lo", function()
    local out, code, err = sandbox("cat /proc/self/mountinfo")
    assert.equal(0, code, err)
    local fstype
    for line in out:gmatch("[^\n]+") do
      -- ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ...
      local mount_point, rest = line:match("^%S+ %S+ %S+ %S+ (%S+) (.*)$")
      if mount_point == "/run/netns" then fstype = rest:match(" %- (%S+) ") end
    end
    assert.equal("tmpfs", fstype) -- the last mount on /run/netns
    assert.equal("lo\n", (sandbox("ls /sys/class/net")))
    assert.equal("", (sandbox("ls -A /run/netns")))
  end)

  it("passes the command's exit status through", function()
    assert.equal(0, select(2, sandbox("true")))
    assert.equal(5, select(2, sandbox(sh("exit 5"))))
    assert.equal(143, select(2, sandbox(sh("kill -TERM $$"))))
    local _, code, err = sandbox("no-such-program-xyz")
    assert.equal(127, code)
    assert.matches("no-such-program-xyz", err, 1, true)
  end)

  it("reaps orphans: a lab's background commands leave no zombies", function()
    -- sh leaves a short sleep behind in the background and exits; the
    -- orphan goes to the world's init. The script waits (up to 5 s) until
    -- the sleep is gone from /proc, i.e. exited and reaped, and says what
    -- became of it. Were the orphan never reaped (Lua as PID 1 does not
    -- wait for children it did not start), it would sit there as a
    -- zombie: "sleep Z" after the deadline, and ps would list it.
    local script = program.temp_file([[
local core = require("nslab.core")
local p = assert(io.popen("sh -c 'sleep 0.05 </dev/null >/dev/null 2>&1 & echo $!'"))
local pid = assert(tonumber(p:read("l")), "no PID for the background sleep")
p:close()
-- its state letter (S, R, Z...), nil once it is no more
local function state()
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local stat = f:read("a") -- nil when it went between open and read
  f:close()
  return stat and stat:match("^%d+ %(.*%) (%S+)")
end
local deadline = core.clock() + 5
while state() and core.clock() < deadline do core.sleep(0.01) end
print("sleep " .. (state() or "gone"))
os.execute("ps -e -o stat= -o comm=")
]])
    local out, code, err = nslab("lua " .. quote(script))
    os.remove(script)
    assert.equal(0, code, err)
    assert.matches("^sleep gone\n", out)
    assert.matches("ps", out, 1, true)
    assert.is_nil(out:match("Z%S*%s+sleep"), out)
    assert.is_nil(out:match("\nZ"), out)
  end)

  it("without a command is a usage error", function()
    local _, code, err = nslab("sandbox --")
    assert.equal(2, code)
    assert.matches("no command", err, 1, true)
  end)
end)
