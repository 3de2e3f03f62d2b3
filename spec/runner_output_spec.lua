-- runner_output: `nslab run` as CI systems and learners read it: TAP 13
-- (parsed strictly here, and by prove when perl has it), JUnit XML
-- (xmllint checks it is well-formed and counts), JSON lines (dkjson reads
-- every line), -q, -v, --explain, run --help, the lab's file and line on
-- FAIL lines and on errors raised deep inside nslab, check.equal on long
-- strings and tables, and progress lines kept quiet. Real labs in real
-- namespaces, run by the program as a user runs it.
local world = require("spec.support.world")
local program = require("spec.support.program")
local json = require("dkjson")

local quote, run, nslab, slurp = program.quote, program.run, program.nslab, program.slurp

local function lines_of(text)
  local list = {}
  for line in text:gmatch("([^\n]*)\n") do list[#list + 1] = line end
  return list
end

local function have(cmd)
  local _, code = run("command -v " .. cmd .. " >/dev/null")
  return code == 0
end

-- A lab with a section, a step, two passing checks, two failing ones and
-- an error raised by the core inside a step (line 12), in a file.
local LAB = [[
lab "output # formats"
section "build"
step("ip netns add t1", function()
  t1 = netns.add "t1"
end)
check.equal(t1:link_names(), { "lo" }, "t1 has only lo")
check.ok(true, "arithmetic & <logic>")
check.equal("line one\nline two\nthree", "line one\nline 2\nthree", "long text")
check.equal({ a = { b = 1 } }, { a = { b = 2 } }, "a table")
section "break"
step("a veth named like its peer", function()
  host:veth("vv0", "vv0")
end)
check.ok(true, "never reached")
]]

describe("nslab run", function()
  before_each(world.fresh)
  local file = program.temp_files(after_each)

  describe("text", function()
    it("names the lab's file and line on FAIL lines and on an error raised inside nslab", function()
      local path = file(LAB)
      local out, code = nslab("run " .. quote(path))
      assert.equal(1, code, out)
      local lines = lines_of(out)
      assert.equal("  FAIL " .. path .. ":8: long text — expected \"line one\\nline 2\\nthree\", got "
                   .. "\"line one\\nline two\\nthree\" (at line 2, column 6: expected \"line 2\", got "
                   .. "\"line two\")", lines[8], out)
      assert.equal("  FAIL " .. path .. ":9: a table — expected {a = {b = 2}}, got {a = {b = 1}} "
                   .. "(at .a.b: expected 2, got 1)", lines[9], out)
      assert.equal("error in step a veth named like its peer: " .. path .. ":12: link add vv0: File exists",
                   lines[#lines - 2], out)
      assert.equal("2 passed, 3 failed", lines[#lines])
      assert.is_nil(out:find("never reached", 1, true))
    end)

    it("-q prints only the failures, the error and the summary", function()
      local path = file(LAB)
      local out, code = nslab("run -q " .. quote(path))
      assert.equal(1, code, out)
      local lines = lines_of(out)
      assert.equal(5, #lines, out)
      assert.matches("^  FAIL .*:8: long text", lines[1])
      assert.matches("^  FAIL .*:9: a table", lines[2])
      assert.matches("^error in step a veth named like its peer: .*:12: link add vv0", lines[3])
      assert.same({ "", "2 passed, 3 failed" }, { lines[4], lines[5] })
      -- and a lab that passes says only its counts
      out = nslab("run -q " .. quote(file('check.ok(true, "x")\n')))
      assert.equal("1 passed, 0 failed\n", out)
    end)

    it("-v shows the commands trace.quietly hides, --explain each step's as a shell block", function()
      local path = file([[
step("two namespaces", function()
  netns.add "q1"
  trace.quietly(function() netns.add "q2" end)
end)
check.equal(netns.list(), { "q1", "q2" }, "both made")
]])
      local plain = nslab("run " .. quote(path))
      assert.matches("    $ ip netns add q1\n", plain, 1, true)
      assert.is_nil(plain:find("q2\n", 1, true), plain)
      local verbose = nslab("run -v " .. quote(path))
      assert.matches("    $ ip netns add q1\n    $ ip netns add q2\n", verbose, 1, true)
      local explain = nslab("run --explain " .. quote(path))
      assert.matches("* two namespaces\n    ```sh\n    ip netns add q1\n    ip netns add q2\n"
                     .. "    ip netns list\n    ```\n  PASS both made\n", explain, 1, true)
      -- the block is a script: run by sh in a fresh world, it makes the same namespaces
      local script = explain:match("```sh\n(.-)    ```")
      local made = run(quote(program.program) .. " sandbox -- sh -c " ..
                       quote(script:gsub("\n    ", "\n"):gsub("^    ", "") .. "ip netns list"))
      assert.matches("q1", made)
      assert.matches("q2", made)
    end)

    it("the default text is the same with or without a terminal's progress lines", function()
      local path = file([[
local term = require "nslab.term"
local p = term.progress()
for i = 1, 3 do p:update("step " .. i) end
p:done()
check.ok(true, "done")
]])
      local out = nslab("run " .. quote(path))
      assert.is_nil(out:find("\r", 1, true))
      assert.equal("  PASS done\n\n1 passed, 0 failed\n", out)
    end)

    it("progress lines stay quiet under --tap, --json, --junit and -q, even on a terminal", function()
      local lab = require("nslab.lab")
      -- the lab's stream: a stand-in for a terminal
      local seen = {}
      local stream = { write = function(_, ...) seen[#seen + 1] = table.concat({ ... }) end, flush = function() end }
      local function case(opts)
        seen = {}
        opts.globals = { stream = stream }
        opts.writer, opts.color = function() end, "never"
        lab.run_string([[
          local p = require("nslab.term").progress({ live = true, stream = stream, every = 0 })
          p:update("1 of 2")
          p:done()
        ]], "progress", opts)
        return table.concat(seen)
      end
      assert.equal("\r1 of 2\27[K\r\27[K", case({}))
      assert.equal("", case({ format = "tap" }))
      assert.equal("", case({ format = "json" }))
      assert.equal("", case({ quiet = true }))
      assert.equal("", case({ junit = function() end }))
      -- and back after the run
      local p = require("nslab.term").progress({ live = true, stream = stream, every = 0 })
      seen = {}
      p:update("x")
      assert.equal("\rx\27[K", table.concat(seen))
    end)

    it("--shell without a terminal says so on stderr and keeps the lab's status", function()
      local out, code, err = nslab("run --shell " .. quote(file('check.ok(false, "x")\n')))
      assert.equal(1, code)
      assert.matches("1 failed\n$", out)
      assert.matches("run --shell: stdin is not a terminal", err, 1, true)
    end)

    it("run --help lists every option of run", function()
      local out, code = nslab("run --help")
      assert.equal(0, code)
      assert.matches("^usage: nslab run %[OPTIONS%] FILE", out)
      for _, flag in ipairs{ "--tap", "--junit FILE", "--json", "-q", "-v", "--explain", "--shell",
                             "--pause-on-fail", "--color=WHEN", "--traceback" } do
        assert.matches("\n  " .. flag .. " ", out, 1, true)
      end
      for line in out:gmatch("[^\n]+") do assert.is_true(#line < 80, line) end
      local _, code2, err = nslab("run --frob x.lua")
      assert.equal(2, code2)
      assert.matches("unknown option '--frob'", err, 1, true)
      _, code2, err = nslab("run --tap --json x.lua")
      assert.equal(2, code2)
      assert.matches("choose one", err, 1, true)
      _, code2, err = nslab("run --junit")
      assert.equal(2, code2)
      assert.matches("--junit needs FILE", err, 1, true)
    end)
  end)

  describe("--tap", function()
    -- A strict reader of what nslab writes: the version line, test points
    -- numbered from 1 in order, a YAML block (indented, --- to ...) only
    -- after a failed point, comments, and the plan as the last test line.
    local function parse(text)
      local lines = lines_of(text)
      assert.equal("TAP version 13", lines[1])
      local points, plan, i = {}, nil, 2
      while i <= #lines do
        local line = lines[i]
        local no, n, desc = line:match("^(n?o?t? ?)ok (%d+) %- (.*)$")
        if n then
          assert.is_nil(plan, "a test point after the plan")
          assert.equal(#points + 1, tonumber(n), line)
          local point = { ok = no == "", desc = desc }
          points[#points + 1] = point
          if lines[i + 1] == "  ---" then
            assert.is_false(point.ok, "diagnostics under a passing point")
            point.yaml = {}
            i = i + 2
            while lines[i] ~= "  ..." do
              local key, value = assert(lines[i], "an unterminated YAML block"):match("^  ([%w_]+): (.+)$")
              assert.is_not_nil(key, lines[i])
              point.yaml[key] = value:match('^"') and json.decode(value) or tonumber(value)
              i = i + 1
            end
          elseif not point.ok then
            error("no diagnostics under " .. line)
          end
        elseif line:match("^1%.%.%d+$") then
          plan = tonumber(line:match("%d+$"))
        else
          assert.matches("^#", line)
        end
        i = i + 1
      end
      assert.equal(#points, plan)
      return points
    end

    it("writes one test point per check and one for the error, with file:line diagnostics", function()
      local path = file(LAB)
      local out, code = nslab("run --tap " .. quote(path))
      assert.equal(1, code, out)
      local points = parse(out)
      assert.equal(5, #points)
      assert.same({ true, true, false, false, false },
                  { points[1].ok, points[2].ok, points[3].ok, points[4].ok, points[5].ok })
      assert.equal("t1 has only lo", points[1].desc)
      assert.equal("arithmetic & <logic>", points[2].desc)
      assert.equal(path .. ":8", points[3].yaml.at)
      assert.equal(8, points[3].yaml.line)
      assert.matches("at line 2, column 6", points[3].yaml.message, 1, true)
      assert.equal("error in step a veth named like its peer", points[5].desc)
      assert.equal(path .. ":12: link add vv0: File exists", points[5].yaml.message)
      assert.equal("error", points[5].yaml.severity)
      assert.matches("\n# output # formats\n", "\n" .. out, 1, true) -- the title, a comment
      assert.is_nil(out:find("$ ip netns add", 1, true)) -- commands only with -v
    end)

    it("is read by prove (perl's TAP harness)", function()
      if not have("prove") then
        pending("prove is missing (Debian package perl): TAP checked by the strict reader only")
        return
      end
      local failing = file("")
      local f = assert(io.open(failing, "w"))
      f:write((nslab("run --tap " .. quote(file(LAB)))))
      f:close()
      local out, code = run("prove -e cat " .. quote(failing) .. " 2>&1")
      assert.equal(1, code, out)
      assert.matches("Tests: 5 Failed: 3", out, 1, true)
      assert.matches("Failed tests:  3-5", out, 1, true)
      assert.is_nil(out:find("Parse errors", 1, true), out)
      local passing = file("")
      f = assert(io.open(passing, "w"))
      f:write((nslab("run --tap " .. quote(file('check.ok(true, "a # b")\ncheck.ok(true, "c")\n')))))
      f:close()
      out, code = run("prove -e cat " .. quote(passing) .. " 2>&1")
      assert.equal(0, code, out)
      assert.matches("Result: PASS", out, 1, true)
    end)
  end)

  describe("--junit FILE", function()
    it("writes well-formed JUnit XML: one testsuite, one testcase per check, failures and errors", function()
      if not have("xmllint") then
        pending("xmllint is missing (Debian package libxml2-utils)")
        return
      end
      local xml = file("")
      local out, code = nslab("run --junit " .. quote(xml) .. " " .. quote(file(LAB)))
      assert.equal(1, code, out)
      assert.matches("2 passed, 3 failed\n$", out) -- the text still on stdout
      local _, lint, err = run("xmllint --noout " .. quote(xml))
      assert.equal(0, lint, err .. slurp(xml))
      local function count(xpath)
        return tonumber((run("xmllint --xpath " .. quote(xpath) .. " " .. quote(xml))))
      end
      assert.equal(1, count("count(//testsuite)"))
      assert.equal(5, count("count(//testsuite/testcase)"))
      assert.equal(2, count("count(//testcase/failure)"))
      assert.equal(1, count("count(//testcase/error)"))
      assert.equal(5, count("number(//testsuite/@tests)"))
      assert.equal(2, count("number(//testsuite/@failures)"))
      assert.equal(1, count("number(//testsuite/@errors)"))
      assert.equal(1, count('count(//testcase[@name="arithmetic & <logic>"])'))
      assert.equal(5, count("count(//testcase[number(@time) >= 0])")) -- seconds each took
      assert.equal(1, count('count(//testcase[@classname="break"]/error)'))
      local message = run("xmllint --xpath " .. quote('string(//testcase[@name="a table"]/failure/@message)')
                          .. " " .. quote(xml))
      assert.equal("expected {a = {b = 2}}, got {a = {b = 1}} (at .a.b: expected 2, got 1)", message:gsub("\n$", ""))
      local name = run("xmllint --xpath 'string(//testsuite/@name)' " .. quote(xml))
      assert.equal("output # formats", (name:gsub("\n$", "")))
    end)
  end)

  it("--junit and --json say when the lab cannot be loaded (status 2)", function()
    if not have("xmllint") then
      pending("xmllint is missing (Debian package libxml2-utils)")
      return
    end
    local xml = file("")
    local bad = file("step(\n")
    local _, code, err = nslab("run --junit " .. quote(xml) .. " " .. quote(bad))
    assert.equal(2, code)
    assert.matches(bad .. ":2:", err, 1, true)
    local _, lint = run("xmllint --noout " .. quote(xml))
    assert.equal(0, lint, slurp(xml))
    assert.matches('<testsuite name="' .. bad .. '" tests="1" failures="0" errors="1" time="', slurp(xml), 1, true)
    local out = nslab("run --json " .. quote(bad))
    local last = json.decode(lines_of(out)[2])
    assert.same({ event = "summary", passed = 0, failed = 1, status = 2 }, last)
  end)

  describe("--json", function()
    it("writes one JSON object per line per event", function()
      local path = file(LAB)
      local out, code = nslab("run --json " .. quote(path))
      assert.equal(1, code, out)
      local events = {}
      for _, line in ipairs(lines_of(out)) do
        local e, _, err = json.decode(line)
        assert.is_table(e, tostring(err) .. ": " .. line)
        events[#events + 1] = e
      end
      local kinds = {}
      for i, e in ipairs(events) do kinds[i] = e.event end
      assert.same({ "title", "section", "step", "command", "check", "check", "check", "check", "section",
                    "step", "error", "summary" }, kinds)
      assert.same({ event = "title", text = "output # formats" }, events[1])
      assert.same({ event = "command", text = "ip netns add t1" }, events[4])
      assert.is_true(events[5].passed)
      assert.equal(6, events[5].line)
      assert.same({ event = "check", passed = false, description = "a table",
                    detail = "expected {a = {b = 2}}, got {a = {b = 1}} (at .a.b: expected 2, got 1)",
                    file = path, line = 9 }, events[8])
      assert.equal(12, events[11].line)
      assert.equal("a veth named like its peer", events[11].step)
      assert.same({ event = "summary", passed = 2, failed = 3, status = 1 }, events[12])
    end)
  end)
end)
