-- container processes: a long-lived process in new network, UTS and IPC
-- namespaces (or joining a network namespace), entered by PID as
-- `nsenter -t PID -n -u -i` does; the kernel's view through /proc and
-- iproute2 must agree with nslab's.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

local function ns_link(pid, kind)
  return core.readlink(("/proc/%d/ns/%s"):format(pid, kind))
end

local function inode_of(link)
  return tonumber(link:match("%[(%d+)%]"))
end

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

-- Wait for cond() with a deadline, never a bare sleep.
local function eventually(cond, seconds)
  local deadline = core.clock() + (seconds or 3)
  repeat
    if cond() then return true end
    core.sleep(0.02)
  until core.clock() > deadline
  return cond()
end

-- `ip -j link` inside the container pid, entered by PID.
local function json_links(host, pid)
  local r = host:exec("ip -j link", { pid = pid })
  assert(r.status == 0, r.stderr)
  return require("dkjson").decode(r.stdout)
end

-- Field n of /proc/PID/stat (after the command name).
local function stat_field(pid, n)
  local f = assert(io.open(("/proc/%d/stat"):format(pid)))
  local rest = f:read("a"):match("%) (.*)$")
  f:close()
  local fields = {}
  for word in rest:gmatch("%S+") do fields[#fields + 1] = word end
  return fields[n - 2]
end

describe("container", function()
  local host
  before_each(function()
    world.fresh()
    host = netns.host()
  end)

  it("runs in new network, UTS and IPC namespaces, with its hostname", function()
    local hostname = world.sh(nil, "hostname")
    local c <close> = core.container_start{ hostname = "test1" }
    local pid = c:pid()
    assert.is_true(c:running())
    for _, kind in ipairs{ "net", "uts", "ipc" } do
      assert.are_not.equal(ns_link(world.pid(), kind), ns_link(pid, kind))
    end
    -- entered by PID, as docker exec / nsenter -t PID -n -u -i
    assert.equal("test1\n", host:exec("hostname", { pid = pid }).stdout)
    assert.equal(ns_link(pid, "ipc") .. "\n", host:exec("readlink /proc/self/ns/ipc", { pid = pid }).stdout)
    assert.equal(hostname, world.sh(nil, "hostname"))   -- the machine's is untouched
    -- a new network namespace has only lo, down; /sys shows it
    local links = json_links(host, pid)
    assert.same({ "lo" }, world.pluck(links, "ifname"))
    assert.equal("DOWN", links[1].operstate)
    assert.equal("lo\n", host:exec("ls /sys/class/net", { pid = pid }).stdout)
  end)

  it("netns_open_pid names its namespace; the kernel agrees", function()
    local c <close> = core.container_start{ hostname = "test1" }
    local pid = c:pid()
    local ns = core.netns_open_pid(pid)
    assert.equal(inode_of(ns_link(pid, "net")), ns:inode())
    -- ls -l /proc/PID/ns, as a shell in the world's host sees it
    local ls = world.sh(nil, ("ls -l /proc/%d/ns/net"):format(pid))
    assert.matches("net:%[" .. ns:inode() .. "%]", ls)
    -- and from inside, by PID
    assert.equal(("net:[%d]\n"):format(ns:inode()),
                 host:exec("readlink /proc/self/ns/net", { pid = pid }).stdout)
    ns:close()
  end)

  it("joins an existing namespace: a named one (ip netns identify) or another container's", function()
    local test1 = netns.add("test1")
    local c1 <close> = core.container_start{ net = test1.handle, hostname = "c1" }
    assert.equal(test1:inode(), inode_of(ns_link(c1:pid(), "net")))
    assert.equal("test1\n", world.sh(nil, "ip netns identify " .. c1:pid()))
    -- --net container:c1
    local c1_net = core.netns_open_pid(c1:pid())
    local c2 <close> = core.container_start{ net = c1_net, hostname = "c2" }
    c1_net:close()
    assert.equal(ns_link(c1:pid(), "net"), ns_link(c2:pid(), "net"))
    assert.are_not.equal(ns_link(c1:pid(), "uts"), ns_link(c2:pid(), "uts"))
    assert.equal("c2\n", host:exec("hostname", { pid = c2:pid() }).stdout)
    -- --net host: the world's host namespace, its own hostname
    local h <close> = core.container_start{ net = host.handle, hostname = "h" }
    assert.equal(host:inode(), inode_of(ns_link(h:pid(), "net")))
    assert.equal("h\n", host:exec("hostname", { pid = h:pid() }).stdout)
  end)

  it("can share UTS and IPC when asked", function()
    local c <close> = core.container_start{ uts = false, ipc = false }
    assert.equal(ns_link(world.pid(), "uts"), ns_link(c:pid(), "uts"))
    assert.equal(ns_link(world.pid(), "ipc"), ns_link(c:pid(), "ipc"))
    assert.are_not.equal(ns_link(world.pid(), "net"), ns_link(c:pid(), "net"))
  end)

  it("keeps no inherited descriptor and leaves the caller's session", function()
    local test1 = netns.add("test1")
    local l = test1.handle:tcp_listen("0.0.0.0", 80)
    -- descriptors without close-on-exec, as Lua's io.open makes them
    local files = {}
    for i = 1, 300 do files[i] = assert(io.open("/dev/null")) end
    local c <close> = core.container_start{ hostname = "test1" }
    for _, f in ipairs(files) do f:close() end
    local fds = world.sh(nil, ("ls /proc/%d/fd | sort -n | tr '\\n' ' '"):format(c:pid()))
    assert.equal("0 1 2 ", fds)
    -- the port is free once the caller closes its socket
    l:close()
    test1.handle:tcp_listen("0.0.0.0", 80):close()
    -- its own session: Ctrl-C at a prompt does not reach it
    assert.equal(tostring(c:pid()), stat_field(c:pid(), 6))
  end)

  -- A lab holds three descriptors per container (pidfd, netns, netlink
  -- socket): the child never copies the caller's table, so a start costs
  -- the same with thousands open (a vfork copies it: 1 ms more per 3000).
  it("starts as fast with thousands of descriptors open as with none", function()
    -- the caller's CPU time (a copy of the table is the caller's work;
    -- wall time on a shared machine is mostly other processes')
    local function starts()
      local t = os.clock()
      for _ = 1, 100 do
        local c <close> = core.container_start{ uts = false, ipc = false }
        assert(c)
      end
      return os.clock() - t
    end
    starts()
    local few, many, files = {}, {}, {}
    for round = 1, 5 do -- interleaved rounds, medians
      few[round] = starts()
      for i = 1, 6000 do files[i] = assert(io.open("/dev/null")) end
      many[round] = starts()
      for i, f in ipairs(files) do f:close() files[i] = nil end
    end
    table.sort(few)
    table.sort(many)
    assert.is_true(many[3] < few[3] * 1.3 + 0.002,
                   ("100 starts: %.4f s of CPU with 6000 more descriptors, %.4f s without"):format(many[3], few[3]))
  end)

  -- Not a copy of nslab: the tiny idle program, a few pages of memory,
  -- whatever the caller weighs.
  it("is a small idle program, not a copy of the caller", function()
    local ballast = {}
    for i = 1, 20000 do ballast[i] = { i, tostring(i) } end
    local c <close> = core.container_start{ hostname = "test1" }
    local pid = c:pid()
    -- it names itself once it runs (until then: its memfd's name)
    local function comm() return io.open(("/proc/%d/comm"):format(pid)):read("a") end
    assert.is_true(eventually(function() return comm() == "nslab-idle\n" end), comm())
    assert.equal("nslab-idle\0test1\0", io.open(("/proc/%d/cmdline"):format(pid)):read("a"))
    local function rss(p)
      local status = io.open(("/proc/%s/status"):format(p)):read("a")
      return tonumber(status:match("VmRSS:%s*(%d+) kB") or 0)
    end
    assert.is_true(rss(pid) < 256, "the container holds " .. rss(pid) .. " kB")
    assert.is_true(rss("self") > 4 * rss(pid))
    assert.equal("S", stat_field(pid, 3))   -- sleeping, not spinning
    assert.is_true(#ballast > 0)
    -- the same from the shell: ps names it
    assert.matches("nslab%-idle test1", world.sh(nil, "ps -o args= -p " .. pid))
  end)

  it("dies with the process that started it, and the world reaps it", function()
    -- stock lua5.4 starts one and exits without stopping it (os.exit skips
    -- the collector): the parent-death signal ends it, PID 1 reaps it
    -- (its output goes to a file: a survivor holding a pipe would hang this)
    local program = require("spec.support.program")
    local file = os.tmpname()
    local _, code, err = program.run("cd " .. program.quote(program.root) ..
      " && LUA_PATH='lua/?.lua;;' LUA_CPATH='lib/?.so;;' lua5.4 -e " .. program.quote(
      'local c = require("nslab.core").container_start{hostname = "orphan"}; ' ..
      'print(c:pid()); io.stdout:flush(); os.exit(0, false)') .. " </dev/null >" .. file .. " 2>&1")
    local out = program.slurp(file)
    os.remove(file)
    assert.equal(0, code, err .. out)
    local pid = tonumber(out)
    assert.is_not_nil(pid, out)
    assert.is_true(eventually(function() return not exists("/proc/" .. pid) end),
                   "pid " .. pid .. " outlived its parent")
    if exists("/proc/" .. pid) then world.sh(nil, "kill -9 " .. pid) end
  end)

  -- vm.memfd_noexec = 2 refuses to run the idle program from its memfd;
  -- the setting is per PID namespace and can only be raised, so it is
  -- set in a world of its own (a nested nslab), not in this one.
  it("where a memfd cannot be run, is a fork that only waits", function()
    local program = require("spec.support.program")
    local ours = world.sh(nil, "cat /proc/sys/vm/memfd_noexec 2>/dev/null || true")
    local script = program.temp_file([[
      local core = require("nslab.core")
      local f = assert(io.open("/proc/sys/vm/memfd_noexec", "w"))
      assert(f:write("2\n") and f:close())
      local c = core.container_start{ hostname = "forked" }
      local comm = io.open("/proc/" .. c:pid() .. "/comm"):read("l")
      local r = require("nslab.netns").host().handle:exec("hostname", { pid = c:pid() })
      local fds = io.popen("ls /proc/" .. c:pid() .. "/fd | sort -n | tr '\n' ' '"):read("a")
      c:stop()
      print(comm, r.stdout:gsub("\n", ""), fds, tostring(c:running()))
    ]])
    local out, code, err = program.nslab("lua " .. program.quote(script))
    os.remove(script)
    if code ~= 0 and err:match("memfd_noexec") then
      pending("vm.memfd_noexec cannot be set here (a kernel before 6.3): " .. err)
      return
    end
    assert.equal(0, code, err)
    assert.equal("nslab\tforked\t0 1 2 \tfalse\n", out)
    assert.equal(ours, world.sh(nil, "cat /proc/sys/vm/memfd_noexec 2>/dev/null || true"))   -- ours is untouched
  end)

  it("stop: the process is gone (no zombie), its namespace is freed", function()
    local c = core.container_start{ hostname = "test1" }
    local pid = c:pid()
    -- a veth end inside: the kernel removes it when the namespace goes
    local inside = netns.open{ pid = pid }
    host:veth("veth-c", "eth0", { peer_netns = inside })
    inside:close()
    assert.is_not_nil(world.find(world.ip_json(nil, "link"), "ifname", "veth-c"))
    c:stop()
    assert.is_false(c:running())
    assert.is_false(exists("/proc/" .. pid))   -- reaped: not even a zombie
    assert.is_true(eventually(function()
      return world.find(world.ip_json(nil, "link"), "ifname", "veth-c") == nil
    end), "the container's namespace still holds veth-c")
    assert.equal("container pid " .. pid .. " (stopped)", tostring(c))
    c:stop()   -- stopping twice is fine
  end)

  it("stop escalates to SIGKILL when the signal does not end it", function()
    local c = core.container_start{}
    local t0 = core.clock()
    c:stop("SIGSTOP", 0.2)   -- stopped, not ended: killed at the deadline
    local took = core.clock() - t0
    assert.is_true(took >= 0.19 and took < 2, "took " .. took)
    assert.is_false(c:running())
    assert.is_false(exists("/proc/" .. c:pid()))
    local d = core.container_start{}
    d:stop("KILL")
    assert.is_false(exists("/proc/" .. d:pid()))
  end)

  -- The process runs the caller's memory until it execs (CLONE_VM), with
  -- every signal blocked; the idle program resets them: a handler nslab
  -- has (bin/nslab's SIGINT) or a signal it was started ignoring never
  -- keeps a container alive.
  it("ends on SIGINT though the caller handles it, and on a signal the caller ignores", function()
    for _ = 1, 3 do -- the first start waits for the exec, the next ones do not
      local c <close> = core.container_start{ hostname = "sig" }
      world.sh(nil, "kill -INT " .. c:pid())
      assert.is_true(eventually(function() return not c:running() end), "SIGINT did not end it")
    end
    local program = require("spec.support.program")
    local script = program.temp_file([[
      local core = require("nslab.core")
      local cs = {}
      for i = 1, 3 do cs[i] = core.container_start{} end
      for i = 1, 3 do os.execute("kill -USR1 " .. cs[i]:pid()) end
      local deadline = core.clock() + 3
      local alive
      repeat
        alive = 0
        for i = 1, 3 do if cs[i]:running() then alive = alive + 1 end end
        core.sleep(0.02)
      until alive == 0 or core.clock() > deadline
      print(alive)
    ]])
    local out, code, err = program.run("trap '' USR1; NO_COLOR=1 " .. program.quote(program.program) ..
                                       " lua " .. program.quote(script))
    os.remove(script)
    assert.equal(0, code, err)
    assert.equal("0\n", out)
  end)

  -- Not waited for: once container_start returns its namespaces are the
  -- container's and its hostname is set (the caller sets it); the child
  -- leaves the shared descriptor table a moment later, by itself.
  it("is ready when started: namespaces, hostname, then no descriptor of the caller's", function()
    local files = {}
    for i = 1, 50 do files[i] = assert(io.open("/dev/null")) end
    for round = 1, 20 do
      local name = "r" .. round
      local c <close> = core.container_start{ hostname = name }
      local pid = c:pid()
      assert.are_not.equal(ns_link(world.pid(), "net"), ns_link(pid, "net"))
      assert.are_not.equal(ns_link(world.pid(), "uts"), ns_link(pid, "uts"))
      assert.equal(name .. "\n", host:exec("hostname", { pid = pid }).stdout)
      local fds
      assert.is_true(eventually(function()
        fds = world.sh(nil, ("ls /proc/%d/fd | sort -n | tr '\\n' ' '"):format(pid))
        return fds == "0 1 2 "
      end), fds)
    end
    for _, f in ipairs(files) do f:close() end
    assert.equal(world.sh(nil, "hostname"), io.popen("hostname"):read("a"))
  end)

  -- The stack each not-waited-for clone runs on is freed once it has
  -- exec'd: a thousand starts leave no trace in the caller's memory.
  it("frees the stack of each started process", function()
    -- anonymous mappings merge when adjacent: their total size, in KiB
    local function anon_kib()
      local n = 0
      for line in io.lines("/proc/self/maps") do
        local a, b = line:match("^(%x+)-(%x+) rw%-p 00000000 00:00 0%s*$")
        if a then n = n + (tonumber(b, 16) - tonumber(a, 16)) // 1024 end
      end
      return n
    end
    local cs = {}
    for i = 1, 5 do cs[i] = core.container_start{ uts = false, ipc = false } end
    local before = anon_kib()
    for i = 6, 205 do cs[i] = core.container_start{ uts = false, ipc = false } end
    core.sleep(0.05)
    cs[206] = core.container_start{ uts = false, ipc = false } -- reclaims
    -- 200 stacks of 16 KiB would be 3200 KiB
    assert.is_true(anon_kib() < before + 1024, ("%d KiB of anonymous mappings, %d before"):format(anon_kib(), before))
    for _, c in ipairs(cs) do c:stop("KILL") end
  end)

  it("notices a container killed by someone else, and reaps it", function()
    local c = core.container_start{}
    world.sh(nil, "kill -9 " .. c:pid())
    assert.is_true(eventually(function() return not c:running() end))
    assert.is_false(exists("/proc/" .. c:pid()))
  end)

  it("is killed and reaped when collected or closed", function()
    local pid
    do
      local c <close> = core.container_start{}
      pid = c:pid()
    end
    assert.is_false(exists("/proc/" .. pid))
    pid = core.container_start{}:pid()
    collectgarbage()
    collectgarbage()
    assert.is_false(exists("/proc/" .. pid))
  end)

  describe("errors", function()
    it("the Lua container: its name, its exec options, extra arguments", function()
      local container = require("nslab.container")
      local cases = {
        { function() container.start{ name = 5 } end,
          "container start: option 'name' must be a string of 1..64 bytes without NUL, got 5" },
        { function() container.start{ name = "a", hostnam = "x" } end, "container start a: invalid option 'hostnam'" },
        { function() container.start({ name = "a" }, 1) end,
          "container start: too many arguments (2 given, at most 1)" },
        { function() container.start(5) end, "container start: options must be a table, got 5" },
        { function() container.start{ name = "a", net = 5 } end,
          "container start a: option 'net' must be a netns, a namespace name or a container, got number" },
        { function() container.start{ name = "a", net = "nosuch" } end,
          'container start a: option \'net\': netns "nosuch": no such namespace' },
        { function() container.is(1, 2) end, "container is: too many arguments (2 given, at most 1)" },
      }
      for _, case in ipairs(cases) do
        local ok, err = pcall(case[1])
        assert.is_false(ok)
        assert.equal(case[2], err)
      end
      local c = container.start{ name = "a" }
      for _, case in ipairs{
        { function() c:exec("true", { pid = 1 }) end, "container exec a: invalid option 'pid'" },
        { function() c:exec("true", 5) end, "container exec a: options must be a table, got 5" },
        { function() c:exec("true", { timeout = -1 }) end,
          "container exec a: option 'timeout' must be a number 0.001..86400, got -1" },
        { function() c:exec("true", {}, 1) end, "container exec: too many arguments (3 given, at most 2)" },
        { function() c:stop("KILL", 1) end, "container stop: too many arguments (2 given, at most 1)" },
        { function() c:stop("NOPE") end, "container stop a: argument 1 (signal) must be a signal number " ..
          "1..64 or one of TERM, KILL, INT, HUP, QUIT, USR1, USR2, STOP, CONT, got \"NOPE\"" },
      } do
        local ok, err = pcall(case[1])
        assert.is_false(ok)
        assert.equal(case[2], err)
      end
      assert.equal("a\n", c:exec("hostname", { timeout = 5 }).stdout)
      c:stop()
      assert.has_error(function() c:ns() end, "container ns a: the container is not running")
    end)

    it("a pid that does not exist", function()
      assert.has_error(function() core.netns_open_pid(999999) end,
        "netns open pid 999999: no such process")
      assert.has_error(function() host:exec("true", { pid = 999999 }) end,
        "netns exec pid 999999: no such process")
    end)

    -- {pid = 0} used to run the command in the host's namespace, as if no
    -- pid had been given.
    it("exec: a pid that is no pid, and other bad options", function()
      local h = host.handle
      local cases = {
        { { pid = 0 }, "option 'pid' must be an integer 1..4194304, got 0" },
        { { pid = -1 }, "option 'pid' must be an integer 1..4194304, got -1" },
        { { pid = 1.5 }, "option 'pid' must be an integer 1..4194304, got 1.5" },
        { { pid = "1" }, "option 'pid' must be an integer 1..4194304, got \"1\"" },
        { { timeout = 0 }, "option 'timeout' must be a number 0.001..86400, got 0" },
        { { timeout = 0 / 0 }, "option 'timeout' must be a number 0.001..86400, got nan" },
        { { timeout = "5" }, "option 'timeout' must be a number 0.001..86400, got \"5\"" },
        { { input = 5 }, "option 'input' must be a string of 0..67108864 bytes, got number" },
        { { pdi = 1 }, "invalid option 'pdi'" },
        { "x", "options must be a table, got \"x\"" },
      }
      for _, case in ipairs(cases) do
        local ok, err = pcall(h.exec, h, "echo ran", case[1])
        assert.is_false(ok, "accepted " .. case[2])
        assert.equal("netns exec (anonymous): " .. case[2], err)
      end
      local cmd = "netns exec (anonymous): argument 1 (cmd, a string or an array of strings) " ..
        "must be a string of 1..131071 bytes without NUL, got "
      local word = "netns exec (anonymous): argument 1 (cmd) item 2 " ..
        "must be a string of 0..131071 bytes without NUL, got "
      local argv = {
        { 5,
          cmd .. "5" },
        { "echo a\0b",
          cmd .. "a string with a NUL byte" },
        { {}, "netns exec (anonymous): argument 1 (cmd) must hold 1..100000 words, got 0" },
        { { "echo", true },
          word .. "boolean" },
        { { "echo", "a\0b" },
          word .. "a string with a NUL byte" },
      }
      for _, case in ipairs(argv) do
        local ok, err = pcall(h.exec, h, case[1])
        assert.is_false(ok)
        assert.equal(case[2], err)
      end
      assert.has_error(function() h:exec("true", {}, 1) end, "netns exec: too many arguments (3 given, at most 2)")
      -- what is right still runs: numbers and empty words in argv, binary input
      local r = h:exec({ "printf", "%s|%s|", 42, "" })
      assert.equal("42||", r.stdout)
      assert.equal("a\0b", h:exec({ "cat" }, { input = "a\0b" }).stdout)
    end)

    it("a stopped container cannot be entered", function()
      local c = core.container_start{}
      c:stop()
      assert.has_error(function() host:exec("true", { pid = c:pid() }) end,
        "netns exec pid " .. c:pid() .. ": no such process")
    end)

    it("a hostname without a UTS namespace of its own, or too long", function()
      local hostname = world.sh(nil, "hostname")
      assert.has_error(function() core.container_start{ uts = false, hostname = "x" } end,
        "container start x: a hostname needs a UTS namespace of its own (uts = true)")
      assert.has_error(function() core.container_start{ hostname = ("x"):rep(65) } end,
        "container start: option 'hostname' must be a string of 1..64 bytes without NUL, got a string of 65 bytes")
      assert.has_error(function() core.container_start{ hostname = "a\0b" } end,
        "container start: option 'hostname' must be a string of 1..64 bytes without NUL, got a string with a NUL byte")
      assert.equal(hostname, world.sh(nil, "hostname"))
    end)

    it("options: misspelled, of the wrong type, a closed namespace", function()
      assert.has_error(function() core.container_start{ hostnam = "x" } end,
        "container start: invalid option 'hostnam'")
      assert.has_error(function() core.container_start{ uts = "yes" } end,
        "container start: option 'uts' must be a boolean, got \"yes\"")
      assert.has_error(function() core.container_start{ hostname = "h", ipc = 1 } end,
        "container start h: option 'ipc' must be a boolean, got 1")
      assert.has_error(function() core.container_start({}, {}) end,
        "container start: too many arguments (2 given, at most 1)")
      local closed = netns.new()
      closed:close()
      assert.has_error(function() core.container_start{ net = closed.handle } end,
        "container start: option 'net': attempt to use a closed netns (anonymous)")
      assert.has_error(function() core.container_start{ net = "test1" } end,
        "container start: option 'net' must be a netns, got \"test1\"")
      local c = core.container_start{}
      local label = "container stop pid " .. c:pid()
      local signal = ": argument 1 (signal) must be a signal number 1..64 or one of TERM, KILL, " ..
        "INT, HUP, QUIT, USR1, USR2, STOP, CONT, got "
      assert.has_error(function() c:stop("NOPE") end, label .. signal .. '"NOPE"')
      assert.has_error(function() c:stop(0) end, label .. signal .. "0")
      assert.has_error(function() c:stop(15.5) end, label .. signal .. "15.5")
      assert.has_error(function() c:stop("TERM\0") end, label .. signal .. "a string with a NUL byte")
      assert.has_error(function() c:stop({}) end, label .. signal .. "table")
      for _, t in ipairs{ -1, 0 / 0, 1 / 0, "1", 3601 } do
        local ok, err = pcall(c.stop, c, "TERM", t)
        assert.is_false(ok)
        local pattern = "^" .. label:gsub("%p", "%%%0") .. ": argument 2 %(timeout%) must be a number 0..3600, got "
        assert.matches(pattern, err)
      end
      assert.has_error(function() c:stop("TERM", 1, 1) end, "container stop: too many arguments (3 given, at most 2)")
      assert.has_error(function() c.stop(host) end, "container stop: argument self must be a container, got table")
      assert.has_error(function() c.pid(5) end, "container pid: argument self must be a container, got number")
      assert.is_true(c:running(), "no bad call stopped it")
      c:stop()
    end)
  end)
end)
