-- scale: what a lab of a thousand containers leans on besides the kernel:
-- the trace that can keep quiet about the 999 others, the progress line
-- that only a terminal sees, and labs/scale.lua itself at small N (one and
-- several networks), its output and the commands it leaves to replay.
local world = require("spec.support.world")
local trace = require("nslab.trace")
local term = require("nslab.term")

-- A stream that keeps what is written to it.
local function sink()
  local s = { parts = {} }
  function s:write(...)
    for _, part in ipairs{ ... } do self.parts[#self.parts + 1] = part end
    return self
  end
  function s.flush() end
  function s:text() return table.concat(self.parts) end
  return s
end

describe("trace.quietly", function()
  local heard, unlisten
  before_each(function()
    trace.clear()
    heard = {}
    unlisten = trace.listen(function(text) heard[#heard + 1] = text end)
  end)
  after_each(function() unlisten() end)

  it("keeps the commands from the listeners, not from the history, and counts them", function()
    trace.command("ip netns add a")
    local before = trace.count
    local n, x, y = trace.quietly(function(p)
      trace.command("ip netns add b")
      trace.command("ip netns add c")
      return p, "two"
    end, "one")
    trace.command("ip netns add d")
    assert.same({ 2, "one", "two" }, { n, x, y })
    assert.equal(before + 3, trace.count)
    assert.same({ "ip netns add a", "ip netns add d" }, heard)
    assert.same({ "ip netns add a", "ip netns add b", "ip netns add c", "ip netns add d" }, trace.history)
  end)

  it("nests, and an error goes through with the listeners told again afterwards", function()
    local ok, err = pcall(trace.quietly, function()
      trace.quietly(function() trace.command("inner") end)
      trace.command("outer")
      error("boom", 0)
    end)
    assert.same({ false, "boom" }, { ok, err })
    trace.command("after")
    assert.same({ "after" }, heard)
    assert.has_error(function() trace.quietly(5) end, "trace quietly: argument 1 (fn) must be a function, got number")
  end)
end)

describe("term.progress", function()
  it("rewrites one line in place on a terminal, at most every `every` seconds, and erases it", function()
    local s, now = sink(), 0
    local p = term.progress{ stream = s, live = true, every = 0.1, clock = function() return now end }
    p:update("c1 of 3")
    now = 0.05
    p:update("c2 of 3") -- too soon: not shown
    now = 0.2
    p:update("c3 of 3")
    p:done()
    assert.equal("\rc1 of 3\27[K\rc3 of 3\27[K\r\27[K", s:text())
  end)

  it("writes nothing anywhere else: a pipe, a file, a stream that is not stdout", function()
    local s = sink()
    local p = term.progress{ stream = s } -- not io.stdout: never live
    p:update("c1 of 3")
    p:done()
    assert.equal("", s:text())
    local q = term.progress{ stream = s, live = false }
    q:update("x")
    q:done()
    assert.equal("", s:text())
  end)
end)

describe("labs/scale.lua", function()
  local lab = require("nslab.lab")

  local function run(...)
    world.fresh()
    require("nslab.docker").reset()
    local out = {}
    local status = lab.run_file("labs/scale.lua", { ... }, {
      writer = function(text) out[#out + 1] = text end, err_writer = function() end, color = "never" })
    return status, table.concat(out)
  end

  it("builds, checks and tears down N containers on one network, each phase timed", function()
    local status, out = run("10")
    assert.equal(0, status, out)
    assert.matches("\n    setup of 10 containers: %d+%.%d+ s\n", out)
    assert.matches("\n    setup by tenths %(1 containers each%), s:" .. (" %d+%.%d+"):rep(10) .. "\n", out)
    assert.matches("\n    %(c2 %.%.%. c10: %d+ more commands like c1's, not shown", out)
    assert.matches("\n    check: %d+%.%d+ s\n", out)
    assert.matches("\n  PASS c1 reaches all 9 others\n", out)
    assert.matches("\n    teardown %(until the kernel has removed every pair%): %d+%.%d+ s\n", out)
    assert.matches("\n  PASS no veth is left in the host\n", out)
    assert.matches("\n4 passed, 0 failed\n$", out)
    assert.is_nil(out:find("\r", 1, true)) -- not a terminal: no progress line
    -- c1's commands are shown, c2's are not
    assert.matches("\n    %$ ip link add veth%x+ type veth peer name eth0 netns %$C_c1", out)
    assert.is_nil(out:find("netns $C_c2", 1, true))
    assert.same({}, world.ip_json(nil, "link show type veth"))
  end)

  it("spreads containers over networks, checking within each from its first", function()
    local status, out = run("7", "3")
    assert.equal(0, status, out)
    for _, line in ipairs{ "## 7 containers on 3 networks", "* docker network create --subnet 172.18.0.0/16 scale2",
                           "* docker network create --subnet 172.19.0.0/16 scale3", "  PASS docker0 has 3 ports",
                           "  PASS c1 reaches all 2 others", "  PASS c4 reaches all 2 others",
                           "  PASS c7 reaches all 0 others",
                           "  PASS c7 has the address after its network's 0 others" } do
      assert.is_truthy(out:find("\n" .. line .. "\n", 1, true), line .. "\n" .. out)
    end
    assert.is_nil(out:find("setup by tenths", 1, true)) -- 7 is no multiple of 10
  end)

  it("says what N it takes", function()
    for _, args in ipairs{ { "1" }, { "x" }, { "100000" }, { "10", "1" }, { "10", "1001" } } do
      local status, out = run(table.unpack(args))
      assert.equal(1, status)
      assert.matches("error: scale: ", out)
    end
  end)
end)

describe("tools/profile.lua", function()
  local program = require("spec.support.program")

  it("profiles a script: its lines, functions and core calls, with the script's own output and status", function()
    local script = program.temp_file([[
      local core = require("nslab.core")
      local function work()
        local t = 0
        for i = 1, 200000 do t = t + i % 7 end
        for _ = 1, 20 do core.netns_create():close() end
        return t
      end
      print("result", work(), ...)
    ]])
    local out, code, err = program.nslab("lua tools/profile.lua --top=5 " .. program.quote(script) .. " a b")
    assert.equal(0, code, err)
    assert.equal("result\t599997\ta\tb\n", out)
    assert.matches("^profile: %d+%.%d+ s charged", err)
    assert.matches("\nLines %(self time", err)
    assert.matches("\nFunctions %(inclusive%)", err)
    assert.matches("%(work%)", err)
    assert.matches("%s20  %[C%] netns_create\n", err)
    local lua_out, lua_code, lua_err = program.nslab("lua tools/profile.lua --lua " .. program.quote(script))
    os.remove(script)
    assert.equal(0, lua_code, lua_err)
    assert.matches("^result", lua_out)
    assert.matches("%(work%)", lua_err)
    local _, bad = program.nslab("lua tools/profile.lua --nope x.lua")
    assert.equal(2, bad)
  end)
end)
