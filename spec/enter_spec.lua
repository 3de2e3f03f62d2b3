-- enter: `nslab enter` lists the running worlds and runs a shell or a
-- command inside one, from another process. A world is started in the
-- background (`nslab sandbox -- sh -c '...; exec sleep 30'`), found in the
-- list by its PID, entered (its host namespace, one of its named
-- namespaces), cross-checked with `ip -j link` on both sides, killed with
-- SIGKILL, and gone from the list. The spec's own world stands for the
-- machine: what enter runs must never see it.
local world = require("spec.support.world")
local program = require("spec.support.program")
local netns = require("nslab.netns")
local core = require("nslab.core")
local json = require("dkjson")

local quote, run, nslab = program.quote, program.run, program.nslab
local NSLAB = quote(program.program)

-- Poll fn until it returns a true value, up to seconds (default 10).
local function wait_for(what, fn, seconds)
  local deadline = core.clock() + (seconds or 10)
  repeat
    local v = fn()
    if v then return v end
    core.sleep(0.02)
  until core.clock() > deadline
  error("timed out waiting for " .. what, 2)
end

-- The running worlds, from `nslab enter --json`.
local function worlds()
  local out, code, err = nslab("enter --json")
  assert(code == 0, err)
  return json.decode(out)
end

local function by_pid(pid)
  for _, w in ipairs(worlds()) do if w.pid == pid then return w end end
end

local function names_of(text)
  local list = json.decode(text)
  assert(type(list) == "table", text)
  return world.pluck(list, "ifname")
end

-- Start a world in the background running script (sh) then sleeping; wait
-- until it is listed and its script has run (then it names its UTS
-- namespace: the world's own).
-- Returns its PID and its entry.
local function start_world(script, user)
  local out = run((user or "") .. NSLAB .. " sandbox -- sh -c " ..
                  quote(script .. " && hostname world-ready && exec sleep 30") ..
                  " </dev/null >/dev/null 2>&1 & echo $!")
  local pid = assert(tonumber(out:match("^(%d+)")), out)
  local entry = wait_for("world " .. pid .. " in the list", function() return by_pid(pid) end)
  wait_for("world " .. pid .. "'s script", function()
    return (nslab("enter " .. entry.id .. " -- hostname")) == "world-ready\n"
  end)
  return pid, entry
end

describe("nslab enter", function()
  before_each(world.fresh)
  local started = {}
  after_each(function()
    for _, pid in ipairs(started) do run("kill -9 " .. pid .. " 2>/dev/null") end
    started = {}
  end)
  local function background(script, user)
    local pid, entry = start_world(script, user)
    started[#started + 1] = pid
    return pid, entry
  end

  it("lists a running world: ID, PID, start time, its command", function()
    local pid, entry = background("true")
    assert.matches("^nslab sandbox %-%- sh %-c ", entry.command)
    assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$", entry.started)
    local out, code = nslab("enter")
    assert.equal(0, code)
    assert.matches("^ID +PID +STARTED +COMMAND\n", out)
    assert.matches("\n" .. entry.id .. " +" .. pid .. " +" .. entry.started:gsub("%p", "%%%0") ..
                   " +nslab sandbox %-%- sh %-c ", out)
  end)

  it("runs a command in the world's host namespace: its links, not ours", function()
    netns.host():veth("ours-a", "ours-b")
    local _, entry = background("ip link add enterA type veth peer name enterB")
    local out, code, err = nslab("enter " .. entry.id .. " -- ip -j link")
    assert.equal(0, code, err)
    assert.same({ "enterA", "enterB", "lo" }, names_of(out))
    -- and nothing of the world here
    assert.same({ "lo", "ours-a", "ours-b" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
  end)

  it("runs a command in a named namespace of the world, with its own /sys", function()
    local _, entry = background("ip netns add e1 && ip -n e1 link add e1a type veth peer name e1b")
    local out, code, err = nslab("enter " .. entry.id .. " e1 -- ip -j link")
    assert.equal(0, code, err)
    assert.same({ "e1a", "e1b", "lo" }, names_of(out))
    out = nslab("enter " .. entry.id .. " e1 -- ls /sys/class/net")
    assert.equal("e1a\ne1b\nlo\n", out)
    local _, missing, why = nslab("enter " .. entry.id .. " nope -- true")
    assert.equal(1, missing)
    assert.matches('netns "nope": no such namespace', why, 1, true)
  end)

  it("inside: the world's PID namespace and mounts, NSLAB_WORLD naming its network", function()
    local pid, entry = background("ip netns add e2")
    local out, code, err = nslab("enter " .. entry.id .. " -- sh -c " ..
      quote("echo $NSLAB_WORLD; readlink /proc/self/ns/net; tr '\\0' ' ' </proc/1/cmdline; echo; ip netns list"))
    assert.equal(0, code, err)
    local inode, net, init, list = out:match("^(%d+)\n(net:%[%d+%])\n([^\n]*)\n(.*)$")
    assert.is_not_nil(inode, out)
    assert.equal("net:[" .. inode .. "]", net)
    assert.equal(core.readlink("/proc/" .. pid .. "/ns/net"), net)
    assert.are_not.equal(core.readlink("/proc/self/ns/net"), net)
    assert.matches("nslab sandbox", init, 1, true) -- PID 1 there is the world's init
    assert.equal("e2\n", list)
    -- the exit status is the command's
    local _, seven = nslab("enter " .. entry.id .. " -- sh -c 'exit 7'")
    assert.equal(7, seven)
  end)

  it("lists many times without filling the world's socket backlog", function()
    local pid = background("true")
    local _, code = run("for i in $(seq 150); do " .. NSLAB .. " enter >/dev/null || exit 1; done")
    assert.equal(0, code)
    assert.is_not_nil(by_pid(pid))
  end)

  it("forgets a world killed with SIGKILL", function()
    local pid, entry = background("true")
    run("kill -9 " .. pid)
    wait_for("world " .. pid .. " to leave the list", function() return by_pid(pid) == nil end, 5)
    local _, code, err = nslab("enter " .. entry.id .. " -- true")
    assert.equal(1, code)
    assert.matches("world " .. entry.id .. ": no such world", err, 1, true)
    -- and with none left, the list is empty
    assert.same({}, worlds())
    assert.equal("", (nslab("enter")))
  end)

  it("lists a world started inside another one there, not here", function()
    local pid, entry = background(NSLAB .. " sandbox -- sleep 30 </dev/null >/dev/null 2>&1 & true")
    assert.equal(1, #worlds())
    assert.equal(pid, worlds()[1].pid)
    local inner = wait_for("the inner world", function()
      local out = nslab("enter " .. entry.id .. " -- " .. NSLAB .. " enter --json")
      local list = json.decode(out)
      return list and list[1] and list
    end)
    assert.equal(1, #inner)
    assert.equal("nslab sandbox -- sleep 30", inner[1].command)
  end)

  it("refuses what is not a world ID, and an ID no world has", function()
    local _, code, err = nslab("enter x")
    assert.equal(2, code)
    assert.matches("'x' is not a world ID", err, 1, true)
    _, code, err = nslab("enter 4242 -- true")
    assert.equal(1, code)
    assert.matches("world 4242: no such world", err, 1, true)
    _, code, err = nslab("enter 1 a b")
    assert.equal(2, code)
    assert.matches("a command goes after --", err, 1, true)
    _, code, err = nslab("enter 1 --")
    assert.equal(2, code)
    assert.matches("no command after --", err, 1, true)
  end)

  it("never enters this network namespace: not a world's name a process here took", function()
    if select(2, run("command -v socat >/dev/null")) ~= 0 then
      pending("socat is missing: it holds a world's name here")
    else
      -- a process of this namespace holds a world's name
      local out = run("socat ABSTRACT-LISTEN:nslab/world/77,fork /dev/null </dev/null >/dev/null 2>&1 & echo $!")
      local fake = assert(tonumber(out:match("%d+")))
      started[#started + 1] = fake
      wait_for("socat to listen", function() return run("grep -c '@nslab/world/77$' /proc/net/unix") == "1\n" end)
      assert.same({}, worlds())
      local _, code, err = nslab("enter 77 -- true")
      assert.equal(1, code)
      assert.matches("world 77 has this network namespace: not a world; refusing", err, 1, true)
    end
  end)

  it("never enters this network namespace: not a named namespace of a world leading here", function()
    -- bind-mounted in from here, by root
    local pid, entry = background("touch /run/netns/here")
    -- (its init, the waiting process's child, is in its PID namespace: /proc/self there)
    local init = assert(tonumber(program.slurp("/proc/" .. pid .. "/task/" .. pid .. "/children"):match("%d+")))
    local _, code, err = run("nsenter -t " .. init .. " -m -p --wd=/ sh -c " ..
                             quote("mount --no-canonicalize --bind /proc/self/fd/3 /run/netns/here") ..
                             " 3</proc/self/ns/net")
    assert.equal(0, code, err)
    local out
    out, code, err = nslab("enter " .. entry.id .. " here -- ip -j link")
    assert.equal(1, code, out)
    assert.equal("", out)
    assert.matches('netns "here" is the network namespace nslab enter started in; refusing', err, 1, true)
  end)

  it("opens an interactive shell on a terminal (tmux), back out with exit", function()
    if select(2, run("command -v tmux >/dev/null")) ~= 0 then
      pending("tmux is missing (Debian package tmux): this needs a terminal")
      return
    end
    local _, entry = background("ip link add termA type veth peer name termB")
    local dir = run("mktemp -d"):gsub("\n$", "")
    local tmux = "tmux -S " .. quote(dir .. "/sock") .. " "
    local status = dir .. "/status"
    run(tmux .. "-f /dev/null new-session -d -s t -x 100 -y 30 " ..
        quote("env HOME=" .. dir .. " " .. NSLAB .. " enter " .. entry.id ..
              "; echo $? > " .. status .. "; sleep 30"))
    local function screen() return (run(tmux .. "capture-pane -p -t t")) end
    -- (the prompt is whatever bash's rc files make it; typed keys wait)
    wait_for("the shell", function()
      return screen():find("nslab: in world " .. entry.id .. "; exit to leave", 1, true)
    end)
    run(tmux .. "send-keys -t t -l " .. quote("ip -br link | grep -c '^term'; exit 3") ..
        " && " .. tmux .. "send-keys -t t Enter")
    wait_for("the shell to end", function()
      local f = io.open(status)
      local text = f and f:read("a")
      if f then f:close() end
      return text and text ~= ""
    end)
    assert.matches("\n2\n", screen())
    assert.equal("3\n", program.slurp(status))
    run(tmux .. "kill-server; rm -rf " .. quote(dir))
  end)

  it("without root: a user enters a world of their own (user namespaces)", function()
    local user = "setpriv --reuid=65534 --regid=65534 --clear-groups "
    local _, code, err = run(user .. NSLAB .. " sandbox -- true")
    if code ~= 0 then
      pending("no world without root here (setpriv, or unprivileged user namespaces): " .. err)
      return
    end
    local pid = start_world("ip link add userA type veth peer name userB", user)
    started[#started + 1] = pid
    local entry = by_pid(pid)
    local out
    out, code, err = run(user .. NSLAB .. " enter " .. entry.id .. " -- ip -j link")
    assert.equal(0, code, err)
    assert.same({ "lo", "userA", "userB" }, names_of(out))
  end)
end)
