-- world: `nslab sandbox` runs a command in a private world: only lo, its
-- own network namespace, /run/netns a tmpfs, /sys for the new namespace,
-- nothing leaks out, the world dies with nslab (even on SIGKILL), and the
-- command's exit status comes back. Nothing inherited leads back out:
-- descriptors above 2 are closed, 0-2 may not be namespaces or
-- directories, and the working directory is the world's own view of it.
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


-- What a lab sees of its inheritance: every open descriptor of the Lua
-- process (number and target), whether /proc/self/fd/9 opens, its own
-- namespace, its working directory and what a relative name opens there.
local INSPECT = [[
local stat = io.open("/proc/self/stat")
local pid = stat:read("a"):match("^(%d+)")
stat:close()
local p = io.popen("cd /proc/" .. pid .. "/fd && for f in *; do echo \"fd $f $(readlink $f)\"; done")
io.write(p:read("a"))
p:close()
local f = io.open("/proc/self/fd/9")
print("fd9 " .. (f and "open" or "closed"))
if f then f:close() end
p = io.popen("readlink /proc/" .. pid .. "/ns/net /proc/" .. pid .. "/cwd")
print("netns " .. p:read("l"))
print("cwd " .. p:read("l"))
p:close()
local name = ...
if name then
  p = io.popen("readlink " .. name .. " 2>/dev/null || ls -d " .. name .. " 2>/dev/null")
  print("relative " .. (p:read("l") or "missing"))
  p:close()
end
]]

describe("a world's inheritance", function()
  before_each(world.fresh)
  local script
  before_each(function() script = program.temp_file(INSPECT) end)
  after_each(function() os.remove(script) end)

  local function inspect(prefix, suffix)
    local out, code, err = program.run((prefix or "") .. "NO_COLOR=1 " .. quote(program.program) ..
                                       " lua " .. quote(script) .. " " .. (suffix or ""))
    assert.equal(0, code, err)
    local seen = { fds = {}, targets = {} }
    for fd, target in out:gmatch("fd (%d+) ([^\n]*)\n") do
      seen.fds[#seen.fds + 1] = tonumber(fd)
      seen.targets[#seen.targets + 1] = target
    end
    seen.fd9 = out:match("fd9 (%a+)")
    seen.netns = out:match("netns (net:%[%d+%])")
    seen.cwd = out:match("cwd ([^\n]+)")
    seen.relative = out:match("relative ([^\n]+)")
    return seen, out
  end

  it("cannot open an inherited namespace descriptor (9</proc/self/ns/net)", function()
    local outer = readlink("/proc/self/ns/net")
    local seen, out = inspect(nil, "9</proc/self/ns/net 7</run/netns 5</dev/null")
    assert.equal("closed", seen.fd9, out)
    assert.is_not_nil(seen.netns, out)
    assert.are_not.equal(outer, seen.netns)
    -- 0-2 and the lab's own pipe from io.popen (its other end may be
    -- listed as it closes), nothing inherited
    for i, fd in ipairs(seen.fds) do
      assert.is_true(fd <= 2 or seen.targets[i]:match("^pipe:") ~= nil or seen.targets[i] == "",
                     "fd " .. fd .. " -> " .. seen.targets[i] .. "\n" .. out)
      assert.is_nil(seen.targets[i]:match("^net:"), out)
      assert.are_not.equal("/run/netns", seen.targets[i], out)
    end
  end)

  it("closes them in sandbox too, and its init holds only 0-2", function()
    local outer = readlink("/proc/self/ns/net")
    local out, code, err = program.run(quote(program.program) .. " sandbox -- " .. sh(
      "ls /proc/1/fd | tr '\\n' ' '; echo; readlink /proc/self/fd/9 || echo closed; " ..
      "readlink /proc/self/ns/net") .. " 9</proc/self/ns/net")
    assert.equal(0, code, err)
    local init_fds, fd9, netns_link = out:match("^([^\n]*)\n([^\n]*)\n([^\n]*)\n$")
    assert.equal("0 1 2 ", init_fds, out)
    assert.equal("closed", fd9, out)
    assert.are_not.equal(outer, netns_link)
  end)

  it("gives a closed 0-2 /dev/null, so that no file takes its number", function()
    local out, code, err = program.run(quote(program.program) .. " sandbox -- readlink " ..
                                       "/proc/self/fd/0 /proc/self/fd/2 <&- 2>&-")
    assert.equal(0, code, err)
    assert.equal("/dev/null\n/dev/null\n", out)
  end)

  it("refuses a namespace or a directory as descriptor 0-2", function()
    for _, redirect in ipairs{ "</proc/self/ns/net", "</run/netns", "<&- 0</proc/self",
                               "1</proc/self/ns/net" } do
      local _, code, err = program.run(quote(program.program) .. " lua " .. quote(script) .. " " .. redirect)
      assert.equal(2, code, redirect)
      assert.matches("cannot make a private world: descriptor %d %(std%a+%) is a %a+, which leads out", err)
    end
    -- stderr itself: refused too (the message has nowhere to go)
    local _, status = program.run(quote(program.program) .. " lua " .. quote(script) .. " 2</proc/self/ns/net")
    assert.equal(2, status)
  end)

  -- A socket made where nslab starts is the machine's network's, and
  -- would send there from inside: any but a Unix one is refused.
  it("refuses a network socket as descriptor 0-2, and takes a Unix one", function()
    local function with_stdin(make)
      return program.run("python3 -c " .. quote("import os, socket, sys; s = " .. make .. "; "
        .. "os.dup2(s.fileno(), 0); os.execv(sys.argv[1], sys.argv[1:])") .. " " .. quote(program.program)
        .. " lua " .. quote(script))
    end
    for make, what in pairs{ ["socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"] = "an IPv4 socket",
                             ["socket.socket(socket.AF_INET6, socket.SOCK_STREAM)"] = "an IPv6 socket" } do
      local _, code, err = with_stdin(make)
      assert.equal(2, code, make)
      assert.truthy(err:find("cannot make a private world: descriptor 0 (stdin) is " .. what
                             .. ", which leads out", 1, true), err)
    end
    local _, code, err = with_stdin("socket.socketpair()[0]")
    assert.equal(0, code, err)
  end)

  it("sees its working directory as the world shows it", function()
    -- a named namespace here, in the /run/netns the lab would shadow
    local ns = require("nslab.netns").add("outer")
    local seen, out = inspect("cd /run/netns && ", "outer")
    assert.equal("/run/netns", seen.cwd, out)
    assert.equal("missing", seen.relative, out) -- not this world's "outer"
    ns:close()
    -- /proc/1 is the world's init there, not this world's
    seen, out = inspect("cd /proc/1 && ", "ns/net")
    assert.equal("/proc/1", seen.cwd, out)
    assert.equal(seen.netns, seen.relative, out)
    assert.are_not.equal(readlink("/proc/1/ns/net"), seen.relative, out)
  end)
end)
