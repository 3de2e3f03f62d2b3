-- cli: the nslab program as a user meets it: --help, usage errors (exit
-- 2), labs that pass, fail (exit 1) or raise, `nslab lua` as lua5.4 runs
-- a script, and the REPL fed from a pipe.
local world = require("spec.support.world")
local program = require("spec.support.program")

local quote, run, nslab, temp_file = program.quote, program.run, program.nslab, program.temp_file

local function lines_of(text)
  local list = {}
  for line in text:gmatch("([^\n]*)\n") do list[#list + 1] = line end
  return list
end

local function last_line(text)
  local list = lines_of(text)
  return list[#list]
end

describe("nslab", function()
  before_each(world.fresh)
  local files = {}
  local function lab_file(text)
    local path = temp_file(text)
    files[#files + 1] = path
    return path
  end
  after_each(function()
    for _, path in ipairs(files) do os.remove(path) end
    files = {}
  end)

  describe("usage", function()
    it("--help exits 0 and names the commands", function()
      local out, code = nslab("--help")
      assert.equal(0, code)
      for _, word in ipairs{ "run", "repl", "sandbox", "lua" } do
        assert.matches("nslab " .. word, out, 1, true)
      end
    end)

    it("raises the soft descriptor limit to the hard one (3 descriptors a container)", function()
      local hard = run("sh -c 'ulimit -Hn'"):match("%d+")
      local out, code = run("sh -c 'ulimit -Sn 64 && exec " .. program.program .. " sandbox -- sh -c \"ulimit -Sn\"'")
      assert.equal(0, code, out)
      assert.equal(hard, out:match("%d+"))
    end)

    it("--version", function()
      local out, code = nslab("--version")
      assert.equal(0, code)
      assert.matches("^nslab %d+%.%d+%.%d+ %(Lua 5%.4", out)
    end)

    it("an unknown command exits 2 and says so", function()
      local out, code, err = nslab("frobnicate")
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("unknown command", err, 1, true)
      assert.matches("frobnicate", err, 1, true)
    end)

    it("a lab file that does not exist exits 2, naming it", function()
      local out, code, err = nslab("run /nonexistent.lua")
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("/nonexistent.lua", err, 1, true)
      assert.matches("No such file", err, 1, true)
    end)

    it("run without a file exits 2", function()
      local _, code, err = nslab("run")
      assert.equal(2, code)
      assert.matches("no lab file", err, 1, true)
    end)

    it("a lab with a syntax error exits 2, naming the file", function()
      local path = lab_file("lab 'broken'\ncheck.ok(true, 'x'\n")
      local _, code, err = nslab("run " .. quote(path))
      assert.equal(2, code)
      assert.matches(path:match("[^/]+$"), err, 1, true)
    end)

    it("lua without a script exits 2", function()
      local _, code, err = nslab("lua")
      assert.equal(2, code)
      assert.matches("no script", err, 1, true)
    end)
  end)

  describe("run", function()
    it("a lab whose checks pass exits 0", function()
      local path = lab_file([[
lab "all good"
check.ok(true, "one")
check.equal({ 1, 2 }, { 1, 2 }, "two")
]])
      local out, code = nslab("run " .. quote(path))
      assert.equal(0, code, out)
      assert.equal("2 passed, 0 failed", last_line(out))
      assert.is_nil(out:find("\27[", 1, true), "plain text on a pipe")
    end)

    it("a failing check: the lab goes on, exit 1, N passed, 1 failed", function()
      local path = lab_file([[
lab "one check fails"
check.ok(true, "before")
check.equal(1, 2, "one is two")
check.ok(true, "after")
]])
      local out, code = nslab("run " .. quote(path))
      assert.equal(1, code, out)
      assert.equal("2 passed, 1 failed", last_line(out))
      -- the failure is shown, and the check after it still ran
      local fail = out:find("one is two", 1, true)
      local after = out:find("after", 1, true)
      assert.is_not_nil(fail, out)
      assert.is_not_nil(after, out)
      assert.is_true(fail < after)
      assert.matches("FAIL[^\n]*one is two", out)
    end)

    it("an error in a step stops the lab, exit 1, with the summary last", function()
      local path = lab_file([[
lab "a step raises"
check.ok(true, "before")
step("open a namespace that is not there", function()
  netns.open "test9"
end)
check.ok(true, "never reached")
]])
      local out, code = nslab("run " .. quote(path))
      assert.equal(1, code, out)
      assert.matches('error in step open a namespace that is not there: ' .. path
                     .. ':4: netns "test9": no such namespace', out, 1, true)
      assert.is_nil(out:find("never reached", 1, true), out)
      assert.equal("1 passed, 1 failed", last_line(out))
    end)

    it("the lab gets its arguments as arg and ...", function()
      local path = lab_file([[
local a, b = ...
check.equal({ a, b, arg[1], arg[2] }, { "x", "y z", "x", "y z" }, "arguments")
]])
      local out, code = nslab("run " .. quote(path) .. " x 'y z'")
      assert.equal(0, code, out)
      assert.equal("1 passed, 0 failed", last_line(out))
    end)
  end)

  describe("explain", function()
    it("prints the lab as a bash script that rebuilds it", function()
      local out, code = nslab("explain labs/veth.lua")
      assert.equal(0, code)
      local lines = lines_of(out)
      assert.equal("#!/bin/bash", lines[1])
      assert.truthy(out:find("\nset %-e\n"))
      assert.truthy(out:find("\nip link add veth-test1 type veth peer name veth-test2\n", 1, true))
      assert.is_nil(out:find("PASS", 1, true))
      local script = temp_file(out)
      local replay, status = nslab("sandbox -- sh -c " .. quote("bash " .. script ..
        " >/dev/null 2>&1; ip netns exec test1 ping -c 1 -W 2 192.168.1.2 >/dev/null && echo replayed"))
      os.remove(script)
      assert.equal(0, status)
      assert.equal("replayed\n", replay)
    end)
    it("writes checks as probes that fail the script as the lab's checks would", function()
      local path = lab_file([[
print("the lab's own output")
a = netns.add "a"
a:link("lo"):up()
check.reachable(a, "127.0.0.1")
check.unreachable(a, "192.0.2.1", { timeout = 1 })
c = container.start{ name = "box" }
c.netns:link("lo"):up()
local l = c.netns:tcp_listen("127.0.0.1", 80)
c.netns:tcp_connect("127.0.0.1", 80, { timeout = 1 }):close()
check.raises(function() c.netns:tcp_connect("127.0.0.1", 81, { timeout = 1 }) end, "refused", "refused")
check.equal(a:exec({ "sh", "-c", "exit 3" }).status, 3, "exit 3")
check.ok(netns.open{ pid = c.pid }:exec("true").status == 0, "by pid")
l:close()
]])
      local out, code, err = nslab("explain " .. quote(path))
      assert.equal(0, code, err)
      assert.equal("#!/bin/bash", lines_of(out)[1])
      assert.truthy(out:find("\n# the lab's own output\n", 1, true), out)
      assert.truthy(out:find("\nip netns exec a ping -c 1 -i 0.2 -w 2 127.0.0.1\n# check: ping 127.0.0.1 from a",
                             1, true), out)
      assert.truthy(out:find("\n! ip netns exec a ping -c 1 -w 1 192.0.2.1 || false\n", 1, true), out)
      local box = "\nnsenter -t $C_box -n socat -u "
      assert.truthy(out:find(box .. "TCP-LISTEN:80,bind=127.0.0.1,reuseaddr,fork - &\n", 1, true), out)
      assert.truthy(out:find(box .. "/dev/null TCP:127.0.0.1:80,connect-timeout=1\n", 1, true), out)
      local refused = "\n! " .. box:sub(2) .. "/dev/null TCP:127.0.0.1:81,connect-timeout=1 || false\n"
      assert.truthy(out:find(refused, 1, true), out)
      assert.truthy(out:find("\n! ip netns exec a sh -c 'exit 3' || false\n", 1, true), out)
      assert.truthy(out:find("\n# check in Lua (not replayed): exit 3 (", 1, true), out)
      assert.truthy(out:find("\nnsenter -t $C_box -n true\n", 1, true), out)
      assert.is_nil(out:find("nsenter -t %d"), out)
      local script = temp_file(out)
      local _, status, stderr = nslab("sandbox -- bash " .. quote(script))
      assert.equal(0, status, stderr)
      -- and a check that does not hold there stops it
      local f = assert(io.open(script, "a"))
      f:write("ip netns exec a ping -c 1 -w 1 192.0.2.1\necho not reached\n")
      f:close()
      local after, failed = nslab("sandbox -- bash " .. quote(script))
      os.remove(script)
      assert.are_not.equal(0, failed)
      assert.is_nil(after:find("not reached", 1, true))
    end)
    it("prints every command of a lab longer than the trace's usual history", function()
      local n = require("nslab.trace").limit * 3 // 2
      local path = lab_file(string.format([[
for i = 1, %d do host:link("lo"):set_mtu(1000 + i) end
]], n))
      local out, code, err = nslab("explain " .. quote(path))
      assert.equal(0, code, err)
      local mtus = {}
      for mtu in out:gmatch("ip link set dev lo mtu (%d+)\n") do mtus[#mtus + 1] = tonumber(mtu) end
      assert.equal(n, #mtus)
      assert.equal(1001, mtus[1])
      assert.equal(1000 + n, mtus[n])
    end)
    it("without a file is a usage error", function()
      local _, code, err = nslab("explain")
      assert.equal(2, code)
      assert.matches("explain: no lab file given", err, 1, true)
    end)
  end)

  describe("lua", function()
    it("sets arg and ... as lua5.4 does", function()
      local path = lab_file([[
print(arg[0], arg[1], arg[2], #arg, select("#", ...), ...)
]])
      local mine, code, err = nslab("lua " .. quote(path) .. " a 'b c'")
      assert.equal(0, code, err)
      local stock = run("lua5.4 " .. quote(path) .. " a 'b c'")
      assert.equal(stock, mine)
      assert.equal(path .. "\ta\tb c\t2\t2\ta\tb c\n", mine)
    end)

    it("exits 1 with the error and a traceback when the script raises", function()
      local path = lab_file('error("boom")\n')
      local _, code, err = nslab("lua " .. quote(path))
      assert.equal(1, code)
      assert.matches("boom", err, 1, true)
      assert.matches("stack traceback", err, 1, true)
    end)

    it("runs inside a world of its own", function()
      local path = lab_file([[
local f = assert(io.open("/proc/self/ns/net"))
f:close()
print(require("nslab.netns").host():inode())
]])
      local out, code, err = nslab("lua " .. quote(path))
      assert.equal(0, code, err)
      local mine = require("nslab.netns").host():inode()
      assert.are_not.equal(tostring(mine), out:match("^(%d+)\n$"))
    end)
  end)

  describe("repl", function()
    it("prints results and leaves at end of input", function()
      local out, code, err = nslab("repl", "1+1\nreturn netns.list()\n")
      assert.equal(0, code, err)
      assert.matches("nslab> 2\n", out, 1, true)
      assert.matches("nslab> $ ip netns list\n{}\n", out, 1, true)
      assert.equal("", err)
    end)

    it("prints each primitive's command until trace(false), and =expr", function()
      local out, code, err = nslab("repl", 'netns.add "t1"\ntrace(false)\nnetns.add "t2"\n=#netns.list()\n')
      assert.equal(0, code, err)
      assert.matches("nslab> $ ip netns add t1\n", out, 1, true)
      assert.is_nil(out:find("ip netns add t2", 1, true), out)
      assert.matches("nslab> 2\n", out, 1, true)
    end)

    it("prints an error as stdin:LINE: message, the traceback only on request", function()
      local input = 'error("boom")\nnetns.open("nope")\nx = 1\nif x then\n  error("deep")\nend\n'
      local _, code, err = nslab("repl", input)
      assert.equal(0, code)
      assert.matches("stdin:1: boom\n", err, 1, true)
      assert.matches('stdin:1: netns "nope": no such namespace\n', err, 1, true)
      assert.matches("stdin:2: deep\n", err, 1, true)
      assert.is_nil(err:find("traceback", 1, true), err)
      local _, _, verbose = nslab("repl --traceback", 'error("boom")\n')
      assert.matches("stdin:1: boom\nstack traceback:", verbose, 1, true)
      local _, _, asked = nslab("repl", 'error("boom")\ntraceback()\n')
      assert.matches("stack traceback:", asked, 1, true)
    end)

    it("has check, show and help without a lab: PASS/FAIL lines, the counts at the end", function()
      local out, code = nslab("repl", 'check.ok(true, "yes")\ncheck.equal(1, 2, "no")\nshow "text"\nhelp()\n')
      assert.equal(1, code, out)
      assert.matches("  PASS yes\n", out, 1, true)
      assert.matches("  FAIL no — expected 2, got 1", out, 1, true)
      assert.matches("    text\n", out, 1, true)
      assert.matches("\nNamespaces: the netns module\n", out, 1, true)
      assert.matches("\n  netns.add(name) ", out, 1, true)
      assert.equal("1 passed, 1 failed", last_line(out))
    end)

    it("goes on after a syntax error and after a runtime error", function()
      local out, code, err = nslab("repl", table.concat({
        "local = 1",          -- syntax error
        "7 * 6",
        "error('boom')",      -- runtime error
        "for i = 1, 2 do",    -- a statement over three lines
        "  print('line ' .. i)",
        "end",
        "x = netns.add('test1')",
        "netns.list()[1]",
      }, "\n") .. "\n")
      assert.equal(0, code, err)
      assert.matches("<name> expected", err, 1, true)
      assert.matches("boom", err, 1, true)
      assert.matches("42\n", out, 1, true)
      assert.matches("line 1\nline 2\n", out, 1, true)
      assert.matches("test1\n", out, 1, true)
      -- the syntax error came before 42 and did not stop the prompt
      local o = out:find("42", 1, true)
      assert.is_true(o ~= nil and out:find("test1", o, true) ~= nil)
    end)

    it("with a lab: the prompt sees what the lab made", function()
      local path = lab_file([[
test1 = netns.add "test1"
check.ok(true, "made test1")
]])
      local out, code, err = nslab("repl " .. quote(path), "test1.name\n")
      assert.equal(0, code, err)
      assert.matches("1 passed, 0 failed", out, 1, true)
      assert.matches("nslab> test1\n", out, 1, true)
    end)

    it("with a lab: its top-level locals are in scope, however it ended", function()
      local normal = lab_file("#!/usr/bin/env nslab\nlocal a = 6\nlocal b = 7\ndo local hidden = 1 end\n")
      local out, code, err = nslab("repl " .. quote(normal), "a * b\nhidden\n")
      assert.equal(0, code, err)
      assert.matches("nslab> 42\nnslab> nil\n", out, 1, true)
      local early = lab_file("local a = 1\nif a then return end\nlocal later = 2\n")
      out = nslab("repl " .. quote(early), "a\nlater\n")
      assert.matches("nslab> 1\nnslab> nil\n", out, 1, true)
      local raised = lab_file("local a = 5\nstep('fails', function() error('stop here') end)\n")
      out = nslab("repl " .. quote(raised), "a\n")
      assert.matches("error in step fails: " .. raised .. ":2: stop here", out, 1, true)
      assert.matches("nslab> 5\n", out, 1, true)
    end)

    it("with labs/bridge.lua: its local docker0 is in scope", function()
      local out, code, err = nslab("repl labs/bridge.lua", "docker0.ifname\n")
      assert.equal(0, code, err)
      assert.matches("nslab> docker0\n", out, 1, true)
    end)

    it("nslab with no arguments is the repl", function()
      local out, code = nslab("", "6 * 7\n")
      assert.equal(0, code)
      assert.matches("nslab> 42\n", out, 1, true)
    end)
  end)
end)
