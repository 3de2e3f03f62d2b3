-- Specs for the lab runner (nslab.lab, nslab.check, nslab.term). They use a
-- fake API table with canned ping results, so they need no privileges and no
-- C module.
local lab = require("nslab.lab")
local check = require("nslab.check")
local term = require("nslab.term")
local trace = require("nslab.trace")

-- A namespace whose ping answers from a table: replies[target] = received
-- (missing: 0 received). Calls are recorded to prove parallel pings are one
-- call.
local function fake_ns(name, replies)
  local ns = { name = name, calls = {} }
  local function answer(target, opts)
    local received = math.min(replies[target] or 0, opts.count)
    local result = { target = target, sent = opts.count, received = received }
    if received > 0 then
      result.rtt_min, result.rtt_avg, result.rtt_max = 0.04, 0.05, 0.06
    end
    return result
  end
  function ns:ping(target, opts)
    self.calls[#self.calls + 1] = { target = target, opts = opts }
    if type(target) ~= "table" then return answer(target, opts) end
    local results = {}
    for i, t in ipairs(target) do results[i] = answer(t, opts) end
    return results
  end
  function ns:exec(cmd)
    trace.command("ip netns exec " .. self.name .. " " .. cmd)
    return { status = 0, stdout = "1: lo: <LOOPBACK> mtu 65536\n    link/loopback\n",
             stderr = "" }
  end
  return ns
end

local function fake_globals()
  local host = fake_ns(nil, { ["192.168.1.1"] = 3 })
  return {
    host = host,
    test1 = fake_ns("test1", { ["192.168.1.2"] = 3, ["10.0.0.1"] = 3 }),
    test2 = fake_ns("test2", {}),
  }
end

-- Run a lab given as a string; returns status, stdout lines, stderr text,
-- env.
local function run(code, opts)
  local out, err = {}, {}
  opts = opts or {}
  opts.writer = opts.writer or function(text) out[#out + 1] = text end
  opts.err_writer = function(text) err[#err + 1] = text end
  opts.globals = opts.globals or fake_globals
  opts.color = opts.color or "never"
  local status, env = lab.run_string(code, "test-lab", opts)
  local lines = {}
  for line in table.concat(out):gmatch("(.-)\n") do lines[#lines + 1] = line end
  return status, lines, table.concat(err), env
end

local function has_line(lines, wanted)
  for _, line in ipairs(lines) do
    if line == wanted then return true end
  end
  return false
end

local function index_of(lines, wanted)
  for i, line in ipairs(lines) do
    if line == wanted then return i end
  end
end

describe("lab runner", function()
  describe("counting and the summary line", function()
    it("ends with a blank line and 'N passed, N failed'", function()
      local status, lines = run([[
        check.ok(true, "one")
        check.ok(true, "two")
        check.ok(false, "three", "it was false")
      ]])
      assert.equal(1, status)
      assert.equal("", lines[#lines - 1])
      assert.equal("2 passed, 1 failed", lines[#lines])
      assert.is_true(has_line(lines, "  PASS one"))
      assert.is_true(has_line(lines, "  FAIL test-lab:3: three — it was false"))
    end)

    it("keeps going after a failed check", function()
      local status, lines = run([[
        check.ok(false, "first")
        step("later")
        check.ok(true, "second")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines, "* later"))
      assert.equal("1 passed, 1 failed", lines[#lines])
    end)

    it("returns 0 when every check passed", function()
      local status, lines = run([[check.ok(1 + 1 == 2, "arithmetic")]])
      assert.equal(0, status)
      assert.equal("1 passed, 0 failed", lines[#lines])
    end)

    it("returns 0 for a lab without checks", function()
      local status, lines = run([[step("nothing to check")]])
      assert.equal(0, status)
      assert.equal("0 passed, 0 failed", lines[#lines])
    end)

    it("makes check(cond, text) a short form of check.ok", function()
      local status, lines = run([[check(false, "short")]])
      assert.equal(1, status)
      assert.is_true(has_line(lines, "  FAIL test-lab:1: short"))
    end)

    it("names a check without description by its line", function()
      local _, lines = run("\n\ncheck.ok(true)")
      assert.is_true(has_line(lines, "  PASS check at test-lab:3"))
    end)
  end)

  describe("printing", function()
    it("prints the title, sections and steps in order", function()
      local _, lines = run([[
        lab "veth"
        section "links"
        step "make a cable"
      ]])
      assert.same({ "# veth", "", "## links", "* make a cable", "",
                    "0 passed, 0 failed" }, lines)
    end)

    it("prints traced commands indented under the current step", function()
      local _, lines = run([[
        step("create", function()
          trace.command("ip netns add test1")
          check.ok(true, "created")
        end)
      ]], { globals = function()
        local g = fake_globals()
        g.trace = trace
        return g
      end })
      local at = index_of(lines, "* create")
      assert.is_not_nil(at)
      assert.equal("    $ ip netns add test1", lines[at + 1])
      assert.equal("  PASS created", lines[at + 2])
    end)

    it("stops printing commands once the lab has ended", function()
      local out = {}
      lab.run_string("", "empty", { writer = function(t) out[#out + 1] = t end,
                                    globals = fake_globals })
      trace.command("ip link show")
      assert.is_nil(table.concat(out):find("ip link show", 1, true))
    end)

    it("shows command output indented, from text or an exec result", function()
      local _, lines = run([[
        show("a\nb\n")
        show(test1:exec("ip a"))
      ]])
      assert.is_true(has_line(lines, "    a"))
      assert.is_true(has_line(lines, "    b"))
      assert.is_true(has_line(lines, "    $ ip netns exec test1 ip a"))
      assert.is_true(has_line(lines, "    1: lo: <LOOPBACK> mtu 65536"))
      assert.is_true(has_line(lines, "        link/loopback"))
    end)

    it("hands other values to the API's own show", function()
      local _, lines = run([[show(test1)]], { globals = function()
        local g = fake_globals()
        g.show = function(ns) return "view of " .. ns.name end
        return g
      end })
      assert.is_true(has_line(lines, "    view of test1"))
    end)
  end)

  describe("errors", function()
    it("stop the lab in a step, count one failure, print no traceback", function()
      local status, lines = run([[
        check.ok(true, "before")
        step("add the veth", function()
          error("link add veth-test1: File exists", 0)
        end)
        check.ok(true, "after")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines,
        "error in step add the veth: link add veth-test1: File exists"))
      assert.is_false(has_line(lines, "  PASS after"))
      assert.equal("1 passed, 1 failed", lines[#lines])
      assert.is_nil(table.concat(lines, "\n"):find("traceback", 1, true))
    end)

    it("name the innermost step", function()
      local _, lines = run([[
        step("outer", function()
          step("inner", function() error("boom", 0) end)
        end)
      ]])
      assert.is_true(has_line(lines, "error in step inner: boom"))
    end)

    it("outside a step stop the lab too", function()
      local status, lines = run([[
        check.ok(true, "first")
        local x = nil
        x.field = 1
        check.ok(true, "never")
      ]])
      assert.equal(1, status)
      assert.matches("^error: test%-lab:3: attempt to index", lines[#lines - 2])
      assert.equal("1 passed, 1 failed", lines[#lines])
    end)

    it("print a traceback only when asked", function()
      local _, lines = run([[step("s", function() error("deep", 0) end)]],
                           { traceback = true })
      assert.truthy(table.concat(lines, "\n"):find("stack traceback", 1, true))
    end)

    it("return 2 for a syntax error, with the message on stderr", function()
      local status, lines, err = run("step(")
      assert.equal(2, status)
      assert.same({}, lines)
      assert.matches("^nslab: test%-lab:1:", err)
    end)

    it("reject a misspelled runner option", function()
      assert.has_error(function() lab.run_string("", "x", { colour = "never" }) end,
                       "lab: invalid option 'colour'")
      assert.has_error(function() lab.run_string("", "x", { traceback = "yes" }) end,
                       "lab: option 'traceback' must be a boolean, got \"yes\"")
      assert.has_error(function() lab.run_string("", "x", 5) end,
                       "lab: options must be a table, got 5")
    end)

    -- The runner's functions and the checks refuse what they cannot use in
    -- the words of the core ("OP: argument N (what) must be ..."), and extra
    -- arguments, instead of an internal error or silence.
    it("bad arguments to the runner's functions and the checks", function()
      local cases = {
        { 'step("a", 5)', "step: argument 2 (fn) must be a function, got number" },
        { 'step({}, function() end)',
          "step: argument 1 (text) must be a string of 0..65536 bytes without NUL, got table" },
        { 'step("a", function() end, 1)', "step: too many arguments (3 given, at most 2)" },
        { 'section("a", "b")', "section: too many arguments (2 given, at most 1)" },
        { 'lab("a", "b")', 'lab: options must be a table, got "b"' },
        { 'lab("a", {}, 1)', "lab: too many arguments (3 given, at most 2)" },
        { 'lab("a", { ipv6 = "yes" })', 'lab: option \'ipv6\' must be true, false or "auto", got "yes"' },
        { 'lab("a", { ipv4 = true })', "lab: invalid option 'ipv4'" },
        { 'check.ok(true, {})',
          "check.ok: argument 2 (description) must be a string of 0..65536 bytes without NUL, got table" },
        { 'check.ok(true, "a", "b", "c")', "check.ok: too many arguments (4 given, at most 3)" },
        { 'check(true, "a\0b")',
          "check.ok: argument 2 (description) must be a string of 0..65536 bytes without NUL, " ..
          "got a string with a NUL byte" },
        { 'check.equal(1, 1, 5)',
          "check.equal: argument 3 (description) must be a string of 0..65536 bytes without NUL, got 5" },
        { 'check.equal(1, 1, "a", 1)', "check.equal: too many arguments (4 given, at most 3)" },
        { 'check.match("x", 5)',
          "check.match: argument 2 (pattern) must be a string of 0..65536 bytes without NUL, got 5" },
        { 'check.match("x")',
          "check.match: argument 2 (pattern) must be a string of 0..65536 bytes without NUL, got nil" },
        { 'check.raises(5)', "check.raises: argument 1 (fn) must be a function, got number" },
        { 'check.raises(error, 5)',
          "check.raises: argument 2 (pattern) must be a string of 0..65536 bytes without NUL, got 5" },
        { 'check.raises(error, "x", "d", 1)', "check.raises: too many arguments (4 given, at most 3)" },
        { 'check.reachable(5, "192.168.1.2")', "check.reachable: argument 1 (ns) must be a netns, got number" },
        { 'check.reachable(test1, {})',
          "check.reachable: argument 2 (targets) must hold at least one address, got an empty table" },
        { 'check.reachable(test1, "192.168.1.2", {}, 1)', "check.reachable: too many arguments (4 given, at most 3)" },
        { 'check.reachable(test1, "192.168.1.2", { count = 0 })',
          "check.reachable: option 'count' must be an integer 1..65536, got 0" },
        { 'check.reachable(test1, "192.168.1.2", { timeout = "1" })',
          'check.reachable: option \'timeout\' must be a number 0.001..3600, got "1"' },
        { 'check.unreachable(test1, "192.168.1.9", { timeout = 0 / 0 })',
          "check.unreachable: option 'timeout' must be a number 0.001..3600, got nan" },
        { 'check.unreachable(test1, "192.168.1.9", { description = 5 })',
          "check.unreachable: option 'description' must be a string of 0..65536 bytes without NUL, got 5" },
        { 'check.unreachable(test1, "192.168.1.9", 5)', "check.unreachable: options must be a table, got 5" },
      }
      for _, case in ipairs(cases) do
        local status, lines = run(case[1])
        assert.equal(1, status, case[1])
        -- raised inside nslab, reported at the lab's line
        assert.equal("error: test-lab:1: " .. case[2], lines[#lines - 2], case[1])
      end
    end)
  end)

  describe("the event stream", function()
    it("goes to the reporter of the format, and to a JUnit writer as well", function()
      local xml = {}
      local status, lines = run([[
        lab "events"
        step("one", function() check.ok(true, "yes") end)
        check.ok(false, "no", "why")
      ]], { format = "json", junit = function(text) xml[#xml + 1] = text end })
      assert.equal(1, status)
      assert.same({ '{"event":"title","text":"events"}', '{"event":"step","text":"one"}',
                    '{"event":"check","passed":true,"description":"yes","file":"test-lab","line":2}',
                    '{"event":"check","passed":false,"description":"no","detail":"why","file":"test-lab","line":3}',
                    '{"event":"summary","passed":1,"failed":1,"status":1}' }, lines)
      xml = table.concat(xml)
      assert.matches('<testsuite name="events" tests="2" failures="1" errors="0" time="%d+%.%d%d%d">', xml)
      assert.matches('<testcase classname="events" name="yes" time="%d+%.%d%d%d"/>', xml)
      assert.matches('<failure message="why" type="check">test-lab:3: no — why</failure>', xml, 1, true)
    end)

    it("says TAP: the version first, the plan last", function()
      local _, lines = run([[check.ok(true, "a # b") check.ok(false, "c")]], { format = "tap" })
      assert.same({ "TAP version 13", "ok 1 - a \\# b", "not ok 2 - c", "  ---", '  message: "failed"',
                    '  severity: "fail"', '  at: "test-lab:1"', '  file: "test-lab"', "  line: 1", "  ...",
                    "1..2", "# 1 passed, 1 failed" }, lines)
    end)

    it("ends with status 130 when interrupted (Ctrl-C), the lab's line named", function()
      local status, lines = run([[
        check.ok(true, "before")
        step("wait", function() error("somewhere.lua:9: interrupted!", 0) end)
      ]])
      assert.equal(130, status)
      assert.equal("error in step wait: test-lab:2: interrupted!", lines[#lines - 2])
      local _, tap = run('error("interrupted!")', { format = "tap" })
      assert.same({ "not ok 1 - error", "Bail out! interrupted (Ctrl-C)", "1..1" }, { tap[2], tap[10], tap[11] })
      assert.equal('  severity: "interrupted"', tap[5])
    end)

    it("refuses an unknown format", function()
      assert.has_error(function() lab.run_string("", "x", { format = "xml" }) end,
                       'lab: option \'format\' must be "text", "tap" or "json", got "xml"')
    end)
  end)

  describe("run_file", function()
    local function tmpfile(text)
      local name = os.tmpname()
      local f = assert(io.open(name, "w"))
      f:write(text)
      f:close()
      return name
    end

    local function run_file(path, args)
      local out, err = {}, {}
      local status, env = lab.run_file(path, args, {
        writer = function(t) out[#out + 1] = t end,
        err_writer = function(t) err[#err + 1] = t end,
        globals = fake_globals, color = "never" })
      return status, table.concat(out), table.concat(err), env
    end

    it("returns 2 for a missing file", function()
      local status, out, err = run_file("/nonexistent/lab.lua")
      assert.equal(2, status)
      assert.equal("", out)
      assert.matches("No such file or directory", err)
    end)

    it("returns 2 when there is nothing to run", function()
      assert.equal(2, (run_file(nil)))
      assert.equal(2, (run_file("/")))
    end)

    it("runs a file with arguments and returns its environment", function()
      local path = tmpfile("#!/usr/bin/env nslab\n" ..
                           "name = ... \n check.ok(arg[1] == 'x', 'arg')\n")
      local status, out, _, env = run_file(path, { "x" })
      os.remove(path)
      assert.equal(0, status)
      assert.matches("1 passed, 0 failed\n$", out)
      assert.equal("x", env.name)
      assert.equal(path, env.arg[0])
      assert.equal(env.test1, env.test1) -- the API is in the environment
      assert.is_function(env.print)      -- standard globals behind it
      assert.is_nil(rawget(_G, "name"))  -- nothing leaks into _G
    end)
  end)

  describe("colour", function()
    it("is off with color=never", function()
      local _, lines = run([[check.ok(true, "x") check.ok(false, "y")]],
                           { color = "never" })
      assert.is_nil(table.concat(lines):find("\27", 1, true))
    end)

    it("is on with color=always", function()
      local _, lines = run([[check.ok(true, "x") check.ok(false, "y")]],
                           { color = "always" })
      assert.is_true(has_line(lines, "  \27[32mPASS\27[0m x"))
      assert.is_true(has_line(lines, "  \27[31mFAIL\27[0m test-lab:1: y"))
      assert.equal("1 passed, 1 failed", lines[#lines])
    end)

    it("is off in auto mode when output is not stdout", function()
      assert.is_false(term.use_color("auto", { write = print }))
    end)

    describe("with NO_COLOR set", function()
      local getenv = os.getenv
      before_each(function()
        os.getenv = function(name) -- luacheck: ignore 122 (a stand-in, put back after)
          if name == "NO_COLOR" then return "1" end
          return getenv(name)
        end
      end)
      after_each(function() os.getenv = getenv end) -- luacheck: ignore 122

      it("is off in auto mode even on a terminal", function()
        assert.is_false(term.use_color("auto", io.stdout))
        local _, lines = run([[check.ok(true, "x")]], { color = "auto" })
        assert.is_nil(table.concat(lines):find("\27", 1, true))
      end)
    end)

    it("rejects an unknown mode", function()
      assert.has_error(function() term.use_color("sometimes") end,
                       'color: expected auto, always or never, got "sometimes"')
    end)
  end)

  describe("check.equal", function()
    it("compares tables deeply, whatever the key order", function()
      local status = run([[
        check.equal({ a = 1, b = { 1, 2, { c = "x" } } },
                    { b = { 1, 2, { c = "x" } }, a = 1 }, "deep")
      ]])
      assert.equal(0, status)
    end)

    it("shows both values and where they differ", function()
      local status, lines = run([[
        check.equal({ ifname = "lo", addr_info = { { ["local"] = "127.0.0.1" } } },
                    { ifname = "lo", addr_info = { { ["local"] = "127.0.0.2" } } },
                    "lo addresses")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines, '  FAIL test-lab:1: lo addresses — expected ' ..
        '{addr_info = {{["local"] = "127.0.0.2"}}, ifname = "lo"}, got ' ..
        '{addr_info = {{["local"] = "127.0.0.1"}}, ifname = "lo"} ' ..
        '(at .addr_info[1]["local"]: expected "127.0.0.2", got "127.0.0.1")'))
    end)

    it("says where long or multi-line strings differ: line, column and both excerpts", function()
      local status, lines = run([[
        check.equal("eth0 UP\nveth1 DOWN\n", "eth0 UP\nveth1 UP\n", "two lines")
        check.equal({ out = { text = "a\nbb" } }, { out = { text = "a\nbc" } }, "nested")
        check.equal(("x"):rep(70) .. "1", ("x"):rep(70) .. "2", "long")
        check.equal("DOWN", "UP", "short")
        check.equal("abc\n", "abc\nmore", "shorter")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines, '  FAIL test-lab:1: two lines — expected "eth0 UP\\nveth1 UP\\n", got '
        .. '"eth0 UP\\nveth1 DOWN\\n" (at line 2, column 7: expected "veth1 UP", got "veth1 DOWN")'))
      assert.is_true(has_line(lines, '  FAIL test-lab:2: nested — expected {out = {text = "a\\nbc"}}, got '
        .. '{out = {text = "a\\nbb"}} (at .out.text, line 2, column 2: expected "bc", got "bb")'))
      assert.matches('%(at line 1, column 71: expected …"xxxxxxxxxxxxxxxxxxxx2", got …"xxxxxxxxxxxxxxxxxxxx1"%)$',
                     lines[3])
      assert.is_true(has_line(lines, '  FAIL test-lab:4: short — expected "UP", got "DOWN"'))
      assert.matches('%(at line 2, column 1: expected "more", got the end%)$', lines[5])
    end)

    it("notices a key present only in the expected table", function()
      assert.is_false(check.deep_equal({ a = 1 }, { a = 1, b = 2 }))
      assert.is_false(check.deep_equal({ 1, 2 }, { 1, 2, 3 }))
      assert.is_false(check.deep_equal({ 1 }, 1))
      assert.is_true(check.deep_equal({}, {}))
    end)

    it("copes with cycles", function()
      local a, b = { n = 1 }, { n = 1 }
      a.self, b.self = a, b
      assert.is_true(check.deep_equal(a, b))
      assert.equal("{n = 1, self = <cycle>}", check.render(a))
    end)
  end)

  describe("check.match", function()
    it("passes on a Lua pattern or a literal text", function()
      local status, lines = run([[
        check.match("state UNKNOWN", "state %u+", "pattern")
        check.match("veth-test1@if2", "veth-test1@", "literal")
        check.match("state DOWN", "UP", "missing")
        check.match(nil, "x", "not a string")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines, "  PASS pattern"))
      assert.is_true(has_line(lines, "  PASS literal"))
      assert.is_true(has_line(lines, '  FAIL test-lab:3: missing — no match for "UP" in "state DOWN"'))
      assert.is_true(has_line(lines, "  FAIL test-lab:4: not a string — expected a string, got nil"))
    end)
  end)

  describe("check.raises", function()
    it("passes when the error matches, fails otherwise", function()
      local status, lines = run([[
        check.raises(function() error("link add veth-test1: File exists", 0) end,
                     "veth-test1: File exists", "duplicate")
        check.raises(function() end, "x", "no error")
        check.raises(function() error("other", 0) end, "File exists", "wrong error")
        check.raises(function() error({ code = 1 }) end, nil, "any error")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines, "  PASS duplicate"))
      assert.is_true(has_line(lines, "  FAIL test-lab:3: no error — no error raised"))
      assert.is_true(has_line(lines,
        '  FAIL test-lab:4: wrong error — error "other" does not match "File exists"'))
      assert.is_true(has_line(lines, "  PASS any error"))
      assert.equal("2 passed, 2 failed", lines[#lines])
    end)

    it("returns the message so a lab can show it", function()
      local _, lines = run([[
        local ok, message = check.raises(function() error("bad", 0) end, "bad")
        show(message)
      ]])
      assert.is_true(has_line(lines, "    bad"))
    end)
  end)

  describe("check.reachable and check.unreachable", function()
    it("describe the replies and the round trip", function()
      local status, lines = run([[
        check.reachable(test1, "192.168.1.2")
        check.reachable(host, "192.168.1.1")
        check.reachable(test2, "192.168.1.1")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines,
        "  PASS ping 192.168.1.2 from test1: 3/3 replies, avg 0.05 ms"))
      assert.is_true(has_line(lines,
        "  PASS ping 192.168.1.1 from host: 3/3 replies, avg 0.05 ms"))
      assert.is_true(has_line(lines,
        "  FAIL test-lab:3: ping 192.168.1.1 from test2: 0/3 replies — no reply within 2 s"))
    end)

    it("use count 3, timeout 2 s and done at the first reply for reachable, 1 s for unreachable", function()
      local _, _, _, env = run([[
        check.reachable(test1, "192.168.1.2")
        check.unreachable(test1, "192.168.1.9")
        check.reachable(test1, "192.168.1.2", { count = 1, timeout = 0.5 })
      ]])
      local calls = env.test1.calls
      assert.same({ count = 3, timeout = 2, replies = 1 }, calls[1].opts)
      assert.same({ count = 1, timeout = 1 }, calls[2].opts)
      assert.same({ count = 1, timeout = 0.5, replies = 1 }, calls[3].opts)
    end)

    it("ping several targets in one call, one check each", function()
      local status, lines, _, env = run([[
        check.reachable(test1, { "192.168.1.2", "10.0.0.1", "10.0.0.9" })
      ]])
      assert.equal(1, status)
      assert.equal(1, #env.test1.calls)
      assert.equal("2 passed, 1 failed", lines[#lines])
      assert.is_true(has_line(lines,
        "  FAIL test-lab:1: ping 10.0.0.9 from test1: 0/3 replies — no reply within 2 s"))
    end)

    it("unreachable passes without reply and fails with one", function()
      local status, lines = run([[
        check.unreachable(test2, "192.168.1.1")
        check.unreachable(test1, "192.168.1.2")
      ]])
      assert.equal(1, status)
      assert.is_true(has_line(lines,
        "  PASS ping 192.168.1.1 from test2: no reply within 1 s"))
      assert.is_true(has_line(lines,
        "  FAIL test-lab:2: ping 192.168.1.2 from test1: no reply within 1 s — expected none, got 1/1 replies, "
        .. "avg 0.05 ms"))
    end)

    it("unreachable counts only 'no way there' errors as no reply", function()
      local function failing(errno, text)
        return { ping = function(_, target, _opts)
          local r = { target = target, sent = 0, received = 0, error = text, errno = errno }
          return type(target) == "table" and { r } or r
        end, name = "n1" }
      end
      local status, lines = run([[
        check.unreachable(unreachable_net, "192.0.2.1")
        check.unreachable(broken, "192.0.2.1")
      ]], { globals = function()
        return { unreachable_net = failing("ENETUNREACH", "Network is unreachable"),
                 broken = failing("ENOBUFS", "No buffer space available") }
      end })
      assert.equal(1, status)
      assert.is_true(has_line(lines,
        "  PASS ping 192.0.2.1 from n1: no reply within 1 s (Network is unreachable)"))
      assert.is_true(has_line(lines,
        "  FAIL test-lab:2: ping 192.0.2.1 from n1: no reply within 1 s — the probe failed: No buffer space available"))
    end)

    it("take a description", function()
      local _, lines = run([[
        check.reachable(test1, "192.168.1.2", { description = "the cable works" })
      ]])
      assert.is_true(has_line(lines, "  PASS the cable works"))
    end)

    it("reject a misspelled option as an error of the lab", function()
      local status, lines = run([[
        step("ping", function()
          check.reachable(test1, "192.168.1.2", { timout = 1 })
        end)
      ]])
      assert.equal(1, status)
      assert.equal("error in step ping: test-lab:2: check.reachable: invalid option 'timout'",
                   lines[#lines - 2])
    end)
  end)
end)
