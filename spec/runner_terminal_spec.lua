-- runner_terminal: `nslab run` on a real terminal, as a person uses it:
-- tmux runs bin/nslab in a pane, keys go in with send-keys and the screen
-- comes back with capture-pane (as spec/repl_spec.lua does). Ctrl-C in a
-- step ends the run with status 130 and takes the world with it;
-- --pause-on-fail opens the prompt at the first failed check with the
-- lab's locals in scope and goes on at Ctrl-D; --shell hands the terminal
-- to a shell in the lab's world. Skipped, saying why, when tmux is missing.
local program = require("spec.support.program")

local quote, run = program.quote, program.run

local tmux = require("spec.support.tmux")

describe("nslab run on a terminal (tmux)", function()
  if not tmux.available() then
    pending("tmux is missing (Debian package tmux, in vendor/debian-packages): these specs need a terminal")
    return
  end

  local term = tmux.per_test(before_each, after_each)
  local pane

  local function lab_file(text)
    local path = term.dir .. "/lab.lua"
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    return path
  end

  -- nslab run ARGS in a pane; what it printed stays on the screen with
  -- its exit status after it.
  local function start(args)
    pane = term.nslab("run " .. args, { width = 150, height = 50, join = true, seconds = 15 })
    return pane
  end

  -- Is a process of this command line running? ("[s]leep" matches sleep
  -- but not the shell line that runs pgrep.)
  local function running(pattern, regex)
    if not regex then pattern = "[" .. pattern:sub(1, 1) .. "]" .. pattern:sub(2) end
    local out = run("pgrep -f " .. quote(pattern))
    return out ~= ""
  end

  it("Ctrl-C in a step that sleeps ends the run with status 130, the world and its processes gone", function()
    local marker = string.format("sleep %d.%d", 4000 + math.random(999), math.random(999))
    local path = lab_file(string.format([[
lab "sleeps"
c1 = netns.add "c1"
check.ok(true, "before")
step("sleep", function()
  os.execute("%s &") -- a process of the world, left behind on purpose
  c1:exec("sleep 30")
end)
check.ok(true, "never reached")
]], marker))
    start(quote(path))
    pane:wait_for("* sleep")
    for _ = 1, 100 do -- the background process is up
      if running(marker) then break end
      run("sleep 0.05")
    end
    assert.is_true(running(marker), "the lab's background process never started")
    assert.is_true(running("^[^ ]*/nslab run ", true), "nslab is not seen running")
    pane:keys("C-c")
    local screen = pane:wait_for("NSLAB-EXITED 130")
    assert.truthy(screen:find("error in step sleep: " .. path .. ":6: interrupted!", 1, true), screen)
    assert.truthy(screen:find("1 passed, 1 failed\nNSLAB-EXITED 130", 1, true), screen)
    assert.is_nil(screen:find("never reached", 1, true), screen)
    -- nothing of the world is left: its processes went with its PID namespace
    for _ = 1, 40 do
      if not running(marker) then break end
      run("sleep 0.05")
    end
    assert.is_false(running(marker), "the lab's process outlived its world")
    assert.is_false(running("^[^ ]*/nslab run ", true), "nslab outlived the run")
  end)

  it("Ctrl-C in a busy Lua loop ends the run with status 130 at the lab's line", function()
    local path = lab_file('step("spin", function()\n  while true do end\nend)\n')
    start(quote(path))
    pane:wait_for("* spin")
    run("sleep 0.3")
    pane:keys("C-c")
    local screen = pane:wait_for("NSLAB-EXITED 130")
    assert.truthy(screen:find("error in step spin: " .. path .. ":2: interrupted!", 1, true), screen)
  end)

  it("--pause-on-fail opens the prompt at the first failed check, with the lab's locals; Ctrl-D goes on", function()
    local path = lab_file([[
lab "pause"
p1 = netns.add "p1"
local mtu = 1500
local function inner()
  local deep = "in the step"
  check.equal(mtu, 9000, "mtu is 9000")
end
step("check inside a step", inner)
check.equal(mtu, 42, "the prompt changed the local")
check.ok(false, "a second failure does not pause")
check.ok(true, "the end")
]])
    start("--pause-on-fail " .. quote(path))
    pane:wait_for("FAIL " .. path .. ":6: mtu is 9000 — expected 9000, got 1500")
    pane:wait_for("paused at the first failed check (" .. path .. ":6)")
    pane:wait_for("nslab> ")
    pane:type("print(mtu .. '/' .. deep .. '/' .. p1.name)")
    pane:keys("Enter")
    pane:wait_for("\n1500/in the step/p1\n")
    pane:type("mtu = 42")
    pane:keys("Enter")
    pane:keys("C-d")
    local screen = pane:wait_for("NSLAB-EXITED 1")
    assert.truthy(screen:find("PASS the prompt changed the local", 1, true), screen)
    assert.truthy(screen:find("FAIL " .. path .. ":10: a second failure does not pause\n  PASS the end", 1, true),
                  screen)
    assert.truthy(screen:find("2 passed, 2 failed\nNSLAB-EXITED 1", 1, true), screen)
  end)

  it("--pause-on-fail opens the prompt at an error too, before the stack unwinds; Ctrl-D ends the lab", function()
    local path = lab_file([[
local name = "pe0"
step("a veth named like its peer", function()
  local peer = "pe0"
  host:veth(name, peer)
end)
check.ok(true, "never reached")
]])
    start("--pause-on-fail " .. quote(path))
    pane:wait_for("paused at an error: " .. path .. ":4: link add pe0: File exists")
    pane:wait_for("nslab> ")
    pane:type("print(name .. '+' .. peer)")
    pane:keys("Enter")
    pane:wait_for("\npe0+pe0\n")
    pane:keys("C-d")
    local screen = pane:wait_for("NSLAB-EXITED 1")
    assert.truthy(screen:find("error in step a veth named like its peer: " .. path .. ":4: link add pe0: File exists\n",
                              1, true), screen)
    assert.is_nil(screen:find("never reached", 1, true), screen)
  end)

  it("--shell hands the terminal to a shell in the lab's world after the summary", function()
    local path = lab_file('s1 = netns.add "shell-ns1"\ncheck.ok(true, "made it")\n')
    start("--shell " .. quote(path))
    pane:wait_for("1 passed, 0 failed")
    pane:wait_for("a shell in the lab's world")
    pane:type("ip netns list; echo in-the-world-$((6 * 7))")
    pane:keys("Enter")
    local screen = pane:wait_for("in-the-world-42")
    assert.truthy(screen:find("shell-ns1", 1, true), screen)
    pane:type("exit")
    pane:keys("Enter")
    pane:wait_for("NSLAB-EXITED 0")
  end)
end)
