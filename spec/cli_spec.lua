-- cli: the nslab program as a user meets it: --help, usage errors (exit
-- 2), labs that pass, fail (exit 1) or raise, `nslab lua` as lua5.4 runs
-- a script, and the REPL fed from a pipe.
local world = require("spec.support.world")
local program = require("spec.support.program")

local quote, run, nslab, temp_file = program.quote, program.run, program.nslab, program.temp_file

-- nslab with a descriptor that leads out of any world (a directory on
-- stdin): it cannot make one.
local NO_WORLD = "NO_COLOR=1 " .. quote(program.program) .. " 0</ "

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
  local lab_file = program.temp_files(after_each)

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

  describe("help", function()
    local COMMANDS = { "run", "explain", "repl", "graph", "list", "enter", "lua", "sandbox", "help" }

    it("--help on every command prints that command's own usage and exits 0", function()
      for _, name in ipairs(COMMANDS) do
        for _, flag in ipairs{ "--help", "-h" } do
          local out, code, err = nslab(name .. " " .. flag)
          assert.equal(0, code, name .. " " .. flag .. ": " .. err)
          assert.equal("", err, name)
          assert.matches("^usage: nslab " .. name .. "[ \n]", out)
          assert.equal(require("nslab.cli").usages[name], out)
        end
      end
    end)

    it("nslab help COMMAND is the same text, nslab help the overview naming them all", function()
      for _, name in ipairs(COMMANDS) do
        local out, code = nslab("help " .. name)
        assert.equal(0, code)
        assert.equal((nslab(name .. " --help")), out)
      end
      local out, code = nslab("help")
      assert.equal(0, code)
      assert.equal((nslab("--help")), out)
      for _, name in ipairs(COMMANDS) do assert.matches("\n  nslab " .. name .. " ", out, 1, true) end
    end)

    it("nslab help TOPIC is the API's help on it, as help() at the prompt", function()
      local out, code = nslab("help netns")
      assert.equal(0, code)
      assert.equal(require("nslab.help").text("netns"), out)
      out = nslab("help Link:addr_add")
      assert.matches("^link:addr_add%(prefix", out)
      local _, bad, err = nslab("help frobnicate")
      assert.equal(2, bad)
      assert.matches("no command or API topic 'frobnicate'", err, 1, true)
    end)

    it("needs no world: it works where none can be made", function()
      -- a descriptor that leads out makes nslab refuse to make a world
      local _, refused = run(NO_WORLD .. " sandbox -- true")
      assert.equal(2, refused)
      local out, code = run(NO_WORLD .. " run --help")
      assert.equal(0, code)
      assert.matches("^usage: nslab run", out)
      assert.equal(0, select(2, run(NO_WORLD .. " help netns")))
      assert.equal(0, select(2, run(NO_WORLD .. " list")))
    end)

    it("lua -- and sandbox -- pass --help through to the script and the command", function()
      local dir = run("mktemp -d"):gsub("\n$", "")
      local f = assert(io.open(dir .. "/--help", "w"))
      f:write('print("script", ...)\n')
      f:close()
      local out, code, err = run("cd " .. quote(dir) .. " && " .. quote(program.program) .. " lua -- --help x")
      assert.equal(0, code, err)
      assert.equal("script\tx\n", out)
      out, code = nslab("sandbox -- printf '%s\\n' --help")
      assert.equal(0, code)
      assert.equal("--help\n", out)
      out = nslab("sandbox printf '%s\\n' --help")
      assert.equal("--help\n", out)
      out = nslab("lua " .. quote(dir .. "/--help") .. " --help")
      assert.equal("script\t--help\n", out)
      os.remove(dir .. "/--help")
      os.remove(dir)
      -- and a lab gets its own --help
      out = nslab("run " .. quote(lab_file("print(...)\n")) .. " --help")
      assert.matches("^%-%-help\n", out)
    end)

    it("a usage error points at the command's own --help", function()
      local _, code, err = nslab("list extra")
      assert.equal(2, code)
      assert.matches("try 'nslab list --help'", err, 1, true)
      _, code, err = nslab("run --frob x")
      assert.equal(2, code)
      assert.matches("try 'nslab run --help'", err, 1, true)
    end)
  end)

  describe("shipped labs", function()
    local cli = require("nslab.cli")

    it("nslab list: every shipped lab with its one-line title", function()
      local out, code, err = nslab("list")
      assert.equal(0, code, err)
      local listed = {}
      for name, title in out:gmatch("([%w_-]+) +([^\n]*)\n") do listed[name] = title end
      local p = io.popen("ls labs")
      local n = 0
      for file in p:lines() do
        local name = file:match("^(.+)%.lua$")
        if name then
          n = n + 1
          assert.is_not_nil(listed[name], name .. " is not listed")
          assert.truthy(#listed[name] > 5, name .. " has no title")
          assert.is_nil(listed[name]:find("^" .. name .. ":"), "the title repeats the name: " .. name)
          -- the title is the file's lab "..." line
          assert.truthy(program.slurp("labs/" .. file):find('\nlab "[^"]*' .. listed[name]:gsub("%p", "%%%0") .. '"'),
                        name)
        end
      end
      p:close()
      assert.is_true(n >= 16)
      assert.equal("veth: a cable between two namespaces", 'veth: ' .. listed.veth)
    end)

    it("the title: lab \"...\" without NAME: , else the first comment line", function()
      local path = lab_file("#!/usr/bin/env nslab\n-- Something to see.\n-- more\nprint(1)\n")
      assert.equal("Something to see.", cli.lab_title(path, "x"))
      path = lab_file("lab 'first: line'\n")
      assert.equal("line", cli.lab_title(path, "first"))
      path = lab_file("-- c\nlab 'my-lab: a title'\n")
      assert.equal("a title", cli.lab_title(path, "my-lab"))
      path = lab_file("-- c\nlab(\"my lab: a title\")\n")
      assert.equal("a title", cli.lab_title(path, "my-lab"))
      assert.equal("my lab: a title", cli.lab_title(path, "x"))
    end)

    it("run, explain, repl and graph find a shipped lab by name", function()
      local out, code = nslab("run veth")
      assert.equal(0, code, out)
      assert.matches("veth: a cable between two namespaces", out, 1, true)
      assert.equal("15 passed, 0 failed", last_line(out))
      out, code = nslab("explain veth")
      assert.equal(0, code)
      assert.matches("\nip link add veth-test1 type veth peer name veth-test2\n", out, 1, true)
      out, code = nslab("repl veth", "test1.name\n")
      assert.equal(0, code)
      assert.matches("nslab> test1\n", out, 1, true)
      -- from any directory: they are found beside the program
      out, code = run("cd / && NO_COLOR=1 " .. quote(program.program) .. " run veth")
      assert.equal(0, code)
      assert.equal("15 passed, 0 failed", last_line(out))
      -- a file of that name in the current directory comes first
      local dir = run("mktemp -d"):gsub("\n$", "")
      local f = assert(io.open(dir .. "/veth", "w"))
      f:write('check.ok(true, "the local file")\n')
      f:close()
      out = run("cd " .. quote(dir) .. " && NO_COLOR=1 " .. quote(program.program) .. " run veth")
      assert.matches("PASS the local file", out, 1, true)
      os.remove(dir .. "/veth")
      os.remove(dir)
    end)

    it("a name that is no file and no shipped lab is a usage error", function()
      local out, code, err = nslab("run no-such-lab")
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("run: no lab file or shipped lab 'no-such-lab' (nslab list", err, 1, true)
    end)
  end)

  describe("graph", function()
    it("without -o: the text picture of what the lab built", function()
      local out, code, err = nslab("graph veth")
      assert.equal(0, code, err)
      assert.matches("^%+%- host %-+%+\n", out)
      assert.matches("| veth-test1 (veth) 192.168.1.1/24  <-> netns test2 veth-test2 |", out, 1, true)
      assert.is_nil(out:find("PASS", 1, true))
    end)

    it("-o FILE.dot, .svg (well-formed, naming every namespace and device) and .png", function()
      local base = os.tmpname()
      local out, code, err = nslab("graph -o " .. quote(base .. ".dot") .. " veth")
      assert.equal(0, code, err)
      assert.equal("", out)
      assert.matches("^graph nslab {\n", program.slurp(base .. ".dot"))
      assert.equal(program.slurp(base .. ".dot"), (nslab("graph veth -o -")))
      if select(2, run("command -v dot && command -v xmllint")) ~= 0 then
        pending("dot (graphviz) or xmllint (libxml2-utils) is not installed")
        return
      end
      out, code, err = nslab("graph veth -o " .. quote(base .. ".svg"))
      assert.equal(0, code, out .. err)
      assert.equal(0, select(2, run("xmllint --noout " .. quote(base .. ".svg"))))
      local svg = program.slurp(base .. ".svg")
      for _, text in ipairs{ "host", "netns test1", "netns test2", "veth&#45;test1", "veth&#45;test2" } do
        assert.truthy(svg:find(">" .. text, 1, true), text)
      end
      out, code, err = nslab("graph veth -o " .. quote(base .. ".png"))
      assert.equal(0, code, out .. err)
      assert.equal("\137PNG", program.slurp(base .. ".png"):sub(1, 4))
      for _, ext in ipairs{ ".dot", ".svg", ".png", "" } do os.remove(base .. ext) end
    end)

    it("says how to get Graphviz when dot is missing, and what works without it", function()
      local dir = run("mktemp -d"):gsub("\n$", "")
      run("ln -s \"$(command -v sh)\" " .. quote(dir .. "/sh"))
      local path = lab_file('netns.add "g1"\n')
      local out, code, err = run("PATH=" .. quote(dir) .. " " .. quote(program.program) ..
                                 " graph " .. quote(path) .. " -o " .. quote(dir .. "/x.svg"))
      local _
      assert.equal(2, code, out)
      assert.matches("graph: dot is not installed (Debian package graphviz: apt-get install graphviz);", err, 1, true)
      assert.matches("-o FILE.dot writes the Graphviz source without it", err, 1, true)
      _, code = run("PATH=" .. quote(dir) .. " " .. quote(program.program) ..
                    " graph " .. quote(path) .. " -o " .. quote(dir .. "/x.dot"))
      assert.equal(0, code)
      run("rm -rf " .. quote(dir))
    end)

    it("refuses other extensions and a missing lab", function()
      local _, code, err = nslab("graph veth -o x.jpeg")
      assert.equal(2, code)
      assert.matches("graph: x.jpeg: the file's name must end in .dot, .svg, .png or .txt", err, 1, true)
      _, code, err = nslab("graph")
      assert.equal(2, code)
      assert.matches("graph: no lab file given", err, 1, true)
      _, code = nslab("graph /nonexistent.lua")
      assert.equal(2, code)
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

    it("--color WHEN with a space as with =, and --pcap naming why a directory will not do", function()
      local path = lab_file('lab "colour"\ncheck.ok(true, "one")\n')
      local out, code = nslab("run --color always " .. quote(path))
      assert.equal(0, code, out)
      assert.truthy(out:find("\27[", 1, true), "--color always: colour on a pipe")
      out, code = nslab("run --color never " .. quote(path))
      assert.equal(0, code, out)
      assert.is_nil(out:find("\27[", 1, true))
      local _, err
      _, code, err = nslab("run --pcap " .. quote(path) .. " " .. quote(path))
      assert.equal(2, code)
      assert.matches("nslab: run: --pcap: " .. path .. ": Not a directory\n", err, 1, true)
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
      assert.truthy(out:find(box .. "TCP-LISTEN:80,bind=127.0.0.1,reuseaddr,fork - & L_container_box_tcp_80=$!\n", 1,
                             true), out)
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
