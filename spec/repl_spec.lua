-- repl: the prompt as a person uses it, on a real terminal: tmux runs
-- bin/nslab in a pane, keys go in with send-keys and the screen comes back
-- with capture-pane. Line editing (Left arrow), completion of a namespace
-- name and of a method, multi-line input, an error line, history across
-- two runs (HOME in a temp directory), Ctrl-C at the prompt and in running
-- code, and ns:shell() coming back to the prompt. Skipped, saying why,
-- when tmux is missing.
local program = require("spec.support.program")

local quote, run = program.quote, program.run

local tmux = require("spec.support.tmux")

describe("the REPL on a terminal (tmux)", function()
  if not tmux.available() then
    pending("tmux is missing (Debian package tmux, in vendor/debian-packages): the REPL spec needs a terminal")
    return
  end

  local term = tmux.per_test(before_each, after_each)
  local pane

  -- bin/nslab ARGS in a pane, HOME in the temp directory, and the first prompt.
  local function start(args)
    pane = term.nslab(args)
    pane:wait_for("nslab> ")
    return pane
  end

  it("edits a line: Left arrow, then typing in the middle", function()
    start()
    pane:type("1+2")
    pane:keys("Left", "Left")
    pane:type("0")
    pane:keys("Enter")
    local screen = pane:wait_for("nslab> 10+2\n12\n")
    assert.is_nil(screen:find("unexpected symbol", 1, true), screen)
  end)

  it("keeps UTF-8 as typed and edits it a character at a time, in a UTF-8 locale or in C", function()
    for _, env in ipairs{ "LC_ALL=C.UTF-8", "LC_ALL=C LANG=C" } do
      pane = term.nslab("", { env = env })
      pane:wait_for("nslab> ")
      pane:type('print(#"é网", "日本語 ✓")')
      pane:keys("Enter")
      pane:wait_for("5       日本語 ✓\n")
      pane:type('x = "ñé"')
      pane:keys("Left", "Left", "BSpace", "Enter") -- ñ: one character, two bytes
      pane:type("print(x, #x)")
      pane:keys("Enter")
      pane:wait_for("é       2\n")
      pane:kill()
    end
  end)

  it("completes a namespace name inside a string, and a method after ':'", function()
    local lab = term.dir .. "/lab.lua"
    local f = assert(io.open(lab, "w"))
    f:write('tabns1 = netns.add "tab-ns1"\n')
    f:close()
    start("repl " .. quote(lab))
    pane:type('netns.open("tab-')
    pane:keys("Tab")
    pane:wait_for('netns.open("tab-ns1')
    pane:type('")')
    pane:keys("Enter")
    pane:wait_for('netns tab-ns1\nlo               DOWN\nnslab> ')
    pane:type("tabns1:link_na")
    pane:keys("Tab")
    pane:wait_for("tabns1:link_names")
    pane:type("()")
    pane:keys("Enter")
    pane:wait_for('{ "lo" }')
  end)

  it("reads a statement over several lines with the >> prompt", function()
    start()
    pane:type("for i = 1, 3 do")
    pane:keys("Enter")
    pane:wait_for(">> ")
    pane:type("io.write(i, ';')")
    pane:keys("Enter")
    pane:wait_for(">> ", 2)
    pane:type("end")
    pane:keys("Enter")
    pane:wait_for("1;2;3;")
  end)

  it("prints an error as stdin:LINE: message, without a traceback, and goes on", function()
    start()
    pane:type('netns.open("nope")')
    pane:keys("Enter")
    local screen = pane:wait_for('stdin:1: netns "nope": no such namespace')
    assert.is_nil(screen:find("stack traceback", 1, true), screen)
    pane:type("traceback()")
    pane:keys("Enter")
    pane:wait_for("stack traceback")
    pane:type("6*7")
    pane:keys("Enter")
    pane:wait_for("\n42\n")
  end)

  it("keeps the history in ~/.nslab_history from one run to the next", function()
    start()
    pane:type("hist_x = 40 + 2")
    pane:keys("Enter")
    pane:wait_for("nslab> ", 2)
    pane:keys("C-d")
    pane:wait_for("NSLAB-EXITED 0")
    pane:kill()
    local f = assert(io.open(term.dir .. "/.nslab_history"))
    local saved = f:read("a")
    f:close()
    assert.truthy(saved:find("hist_x", 1, true), saved)
    start()
    pane:keys("Up")
    pane:wait_for("nslab> hist_x = 40 + 2")
    pane:keys("Enter")
    pane:wait_for("nslab> ", 2)
    pane:type("hist_x")
    pane:keys("Enter")
    pane:wait_for("\n42\n")
  end)

  it("Ctrl-C abandons the line at the prompt and stops running code", function()
    start()
    pane:type("abandoned_y = 1")
    pane:keys("C-c")
    pane:wait_for("nslab> ", 2)
    pane:type("while true do end")
    pane:keys("Enter")
    run("sleep 0.3")
    pane:keys("C-c")
    pane:wait_for("stdin:1: interrupted!")
    pane:type('host:exec "sleep 20"') -- in C, with a child that gets the Ctrl-C too
    pane:keys("Enter")
    run("sleep 0.5")
    pane:keys("C-c")
    pane:wait_for("stdin:1: interrupted!", 2)
    pane:type("abandoned_y")
    pane:keys("Enter")
    pane:wait_for("nslab> abandoned_y\nnil\n")
  end)

  it("Ctrl-Z stops nslab for the shell's job control; fg brings the editing back", function()
    pane = term.open(string.format("env HOME=%s TERM=screen PS1='bash$ ' bash --norc --noprofile -i", quote(term.dir)))
    pane:wait_for("bash$")
    pane:type(program.program)
    pane:keys("Enter")
    pane:wait_for("nslab> ")
    pane:keys("C-z")
    pane:wait_for("Stopped")
    pane:type("fg")
    pane:keys("Enter")
    pane:wait_for("nslab> ", 2)
    pane:type("1+2")
    pane:keys("Left", "Left")
    pane:type("0")
    pane:keys("Enter")
    pane:wait_for("nslab> 10+2\n12\n")
  end)

  it("ns:shell() hands the terminal to a shell inside and comes back", function()
    start()
    pane:type('t = netns.add "shellns"')
    pane:keys("Enter")
    pane:wait_for("nslab> ", 2)
    pane:type("t:shell()")
    pane:keys("Enter")
    pane:wait_for("shellns: ip netns exec shellns /bin/sh")
    pane:type("ip -br link; echo IN-$((6*7)); exit 5")
    pane:keys("Enter")
    local screen = pane:wait_for("\n5\nnslab> ")
    assert.truthy(screen:find("\nIN-42\n", 1, true), screen)
    assert.truthy(screen:find("lo%s+DOWN"), screen) -- shellns's own lo (the world's host has it up)
    -- the prompt still reads the terminal (nslab was not stopped)
    pane:type("1+1")
    pane:keys("Enter")
    pane:wait_for("nslab> 1+1\n2\n")
    pane:type('t:exec "bash -i"')
    pane:keys("Enter")
    pane:wait_for("use shellns:shell()")
    -- a docker container's: in its UTS namespace too (its hostname)
    pane:keys("C-l")
    pane:type('trace(false); docker.daemon(); c = docker.run{ name = "shellc1" }; print("ID-" .. c.id:sub(1, 12))')
    pane:keys("Enter")
    local id = pane:wait_for("\nID-"):match("\nID%-(%x+)")
    pane:type("c:shell()")
    pane:keys("Enter")
    pane:wait_for("container shellc1: nsenter -t $C_shellc1 -n -u -i /bin/sh")
    pane:type("echo HOST-$(hostname)")
    pane:keys("Enter")
    pane:wait_for("\nHOST-" .. id .. "\n")
    pane:keys("C-d")
    pane:wait_for("\n0\nnslab>")
    pane:keys("C-d")
    pane:wait_for("NSLAB-EXITED 0")
  end)
end)

-- The completer and the printer in-process (what TAB offers is the same
-- function the terminal calls).
describe("the REPL's completion", function()
  local world = require("spec.support.world")
  local repl = require("nslab.repl")
  before_each(world.fresh)

  local function env()
    local e = require("nslab").globals()
    return setmetatable(e, { __index = _G })
  end

  it("offers globals, the API's fields after '.', methods after ':'", function()
    local e = env()
    assert.same({ "netns" }, repl.complete(e, "", "netn"))
    assert.same({ "print" }, repl.complete(e, "x = ", "prin"))
    assert.same({ "while" }, repl.complete(e, "", "whil"))
    assert.same({ "add", "allow_host" }, repl.complete(e, "netns.", "a"))
    local methods = repl.complete(e, "host:", "")
    for _, m in ipairs{ "veth", "link", "link_names", "exec", "shell", "routes" } do
      assert.truthy(table.concat(methods, " "):find("%f[%w_]" .. m .. "%f[^%w_]"), m)
    end
    assert.same({ "upper" }, repl.complete({ s = "x" }, "s:", "up"))
    -- an object's fields: not its class's metamethods
    local a = e.netns.add("comp-f")
    e.a = a
    local fields = table.concat(repl.complete(e, "a.", ""), " ")
    assert.is_nil(fields:find("__", 1, true), fields)
    assert.truthy(fields:find("%f[%w_]handle%f[^%w_]"), fields)
    -- a link's methods, though its class's __index is a function
    e.va = a:veth("va", "vb")
    assert.same({ "addr_add", "addr_del", "addrs" }, repl.complete(e, "va:", "add"))
    assert.same({ "unshape", "up" }, repl.complete(e, "va:", "u"))
    assert.same({}, repl.complete(e, "f().", "a"))  -- nothing is called to complete
    assert.same({}, repl.complete(e, "nothere.", ""))
  end)

  it("offers the names of namespaces and links inside a string", function()
    local e = env()
    local ns = e.netns.add("comp-a")
    e.netns.add("comp-b")
    ns:veth("veth-comp0", "veth-comp1")
    assert.same({ "comp-a", "comp-b" }, repl.complete(e, 'netns.open("', "comp"))
    e.a = ns
    assert.same({ "veth-comp0", "veth-comp1" }, repl.complete(e, 'a:link("', "veth"))
    assert.same({ "lo" }, repl.complete(e, "netns.open('", "l"))
    -- the editor's word starts after "-": the rest of the name replaces it
    assert.same({ "a", "b" }, repl.complete(e, 'netns.open("comp-', ""))
    assert.same({ "comp0", "comp1" }, repl.complete(e, 'a:link("veth-', "comp"))
    assert.same({}, repl.complete(e, 'x = "it is" .. ', "comp")) -- the string is closed
  end)

  it("prints a list of objects that take several lines one per line", function()
    local obj = setmetatable({}, { __tostring = function() return "two\nlines" end })
    assert.equal("two\nlines\ntwo\nlines", repl.value_text({ obj, obj }))
    assert.equal('{ 1, "a", k = {...} }', repl.value_text({ 1, "a", k = { 2 } }))
  end)

  it("keeps a bounded history file, a statement of several lines as one entry", function()
    local le = require("nslab.lineedit")
    local path = os.tmpname()
    os.remove(path)
    le.history_file(path, 3)
    for i = 1, 5 do le.add_history("line " .. i) end
    le.add_history("for i = 1, 2 do\nprint(i)\nend")
    local f = assert(io.open(path))
    local lines = {}
    for l in f:lines() do lines[#lines + 1] = l end
    f:close()
    os.remove(path)
    -- libedit's format: a header, then each entry with blanks and newlines escaped
    assert.same({ "_HiStOrY_V2_", "line\\0404", "line\\0405",
                  "for\\040i\\040=\\0401,\\0402\\040do\\012print(i)\\012end" }, lines)
    assert.has_error(function() le.history_file(path, 0) end)
  end)

  it("knows an interactive shell when exec is asked to run one", function()
    local shell = require("nslab.shell")
    for _, cmd in ipairs{ "bash -i", "/bin/sh -i", { "zsh", "-il" }, { "sh", "-c", "bash -i" } } do
      assert.is_true(shell.is_interactive(cmd), require("nslab.check").render(cmd))
    end
    for _, cmd in ipairs{ "bash -c 'echo -i'", "ip -i", { "sh", "-c", "echo hi" }, "bash script.sh" } do
      assert.is_false(shell.is_interactive(cmd), require("nslab.check").render(cmd))
    end
    local ns = require("nslab.netns").add("sh-a")
    assert.has_error(function() ns:exec "bash -i" end,
                     "netns exec sh-a: bash -i is an interactive shell (exec gives it no terminal): use sh-a:shell()")
    assert.has_error(function() ns:shell() end)  -- no terminal here: says so
    local ok, err = pcall(ns.shell, ns)
    assert.is_false(ok)
    assert.equal("netns shell sh-a: stdin is not a terminal: an interactive shell needs one", err)
  end)
end)
