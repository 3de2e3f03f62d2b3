-- privilege: labs run without root (in a user namespace); an operation
-- without privilege says what failed; with neither privilege nor user
-- namespaces, nslab says what is missing and exits 2.
--
-- The spec runs as root inside a world; setpriv drops to uid 65534 with no
-- capabilities, so each case really runs unprivileged.
local world = require("spec.support.world")
local program = require("spec.support.program")

local quote, ROOT, NSLAB = program.quote, program.root, program.program

-- Run a shell command line; its output (stdout and stderr merged, in the
-- order written) and exit status.
local function run(command)
  local out, code = program.run("exec 2>&1\n" .. command)
  return out, code
end

local function last_line(text)
  return text:match("([^\n]*)\n*$")
end

-- The prefix that runs a command as uid/gid 65534, no groups, no
-- capabilities to inherit (setuid away from 0 clears the rest).
local NOBODY = "setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "

-- Lua code run by the stock interpreter as nobody, with the tree's paths.
local function lua_as_nobody(code)
  local env = "env LUA_PATH=" .. quote(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;")
    .. " LUA_CPATH=" .. quote(ROOT .. "/lib/?.so;;") .. " "
  return run(NOBODY .. env .. "lua5.4 -e " .. quote(code))
end

-- Print the error a call raises (or "no error").
local function error_of(call)
  return "local nslab = require('nslab'); "
    .. "local ok, err = pcall(function() " .. call .. " end); "
    .. "print(ok and 'no error' or err)"
end

describe("privilege", function()
  before_each(world.fresh)

  it("the test really drops privilege", function()
    local out, code = run(NOBODY .. "sh -c 'id -u; grep CapEff /proc/self/status'")
    assert.equal(0, code, out)
    assert.equal("65534\nCapEff:\t0000000000000000\n", out)
  end)

  it("the veth lab passes as uid 65534, in a world nested in this one", function()
    local out, code = run("cd " .. quote(ROOT) .. " && NO_COLOR=1 " .. NOBODY
                          .. quote(NSLAB) .. " run labs/veth.lua")
    assert.equal(0, code, out)
    local passed, failed = last_line(out):match("^(%d+) passed, (%d+) failed$")
    assert.is_not_nil(passed, "no summary line:\n" .. out)
    assert.is_true(tonumber(passed) > 0, out)
    assert.equal("0", failed, out)
    -- it ran in a user namespace: the lab's host is root there, not here
    out, code = run(NOBODY .. quote(NSLAB) .. " sandbox -- sh -c 'id -u; cat /proc/self/uid_map'")
    assert.equal(0, code, out)
    local inside, outside = out:match("^(%d+)\n%s*0%s+(%d+)%s+1\n$")
    assert.same({ "0", "65534" }, { inside, outside }, out)
  end)

  describe("an operation without privilege names the operation", function()
    it("link add", function()
      local out = lua_as_nobody(error_of("nslab.netns.host():veth('a', 'b')"))
      assert.equal("link add a: Operation not permitted\n", out)
      -- and nothing was made
      assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    end)
    it("netns add", function()
      local out = lua_as_nobody(error_of("nslab.netns.add('x')"))
      assert.equal("netns add x: Operation not permitted\n", out)
      assert.same({}, world.ip_json(nil, "netns list"))
    end)
    it("link set", function()
      local out = lua_as_nobody(error_of("nslab.netns.host():link('lo'):down()"))
      assert.equal("link set lo: Operation not permitted\n", out)
      assert.equal("UNKNOWN", world.ip_json(nil, "link")[1].operstate)
    end)
    it("ping (raw ICMP sockets)", function()
      local out = lua_as_nobody(error_of("nslab.netns.host():ping('127.0.0.1')"))
      assert.equal('ping "127.0.0.1": raw ICMP socket needs CAP_NET_RAW\n', out)
    end)
  end)

  -- No CAP_SYS_ADMIN and no user namespaces. user.max_user_namespaces is a
  -- limit of each user namespace that applies to the namespaces made below
  -- it; a new user namespace (root maps to root, and 65534 to itself) gets
  -- the limit 0, so that its nobody can make none, and the host's own
  -- limit is never written. The process that set the map must exec after
  -- it to be root with capabilities inside (unshare execs too early).
  local NO_USERNS = [[
set -e
unshare --user sh -c '
  i=0
  while [ -z "$(cat /proc/self/uid_map)" ]; do
    i=$((i + 1)); [ $i -lt 500 ] || exit 98; sleep 0.01
  done
  exec sh -ec "echo 0 > /proc/sys/user/max_user_namespaces
    exec ]] .. NOBODY .. [[\"\$@\"" sh "$@"
' sh "$@" &
child=$!
i=0
while [ "$(readlink /proc/$child/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do
  i=$((i + 1)); [ $i -lt 500 ] || exit 99; sleep 0.01
done
printf '0 0 1\n65534 65534 1\n' > /proc/$child/uid_map
printf '0 0 1\n65534 65534 1\n' > /proc/$child/gid_map
wait $child
]]

  local function without_userns(args)
    return run("sh -c " .. quote(NO_USERNS) .. " sh " .. args)
  end

  local function read_limit()
    local f = assert(io.open("/proc/sys/user/max_user_namespaces"))
    local n = f:read("n")
    f:close()
    return n
  end

  it("the no-user-namespace setting is real and stays in its namespace", function()
    local before = read_limit()
    local out, code = without_userns("unshare --user true")
    assert.equal(1, code, out)
    assert.matches("No space left on device", out)
    -- in the host's user namespace the limit is as it was
    assert.equal(before, read_limit())
    assert.is_true(before > 0)
  end)

  it("without privilege or user namespaces nslab says what is missing, exit 2", function()
    for _, command in ipairs{ "run labs/veth.lua", "sandbox -- true", "lua /dev/null" } do
      local out, code = without_userns("sh -c " .. quote("cd " .. quote(ROOT) .. " && "
                                       .. quote(NSLAB) .. " " .. command))
      assert.equal(2, code, command .. ": " .. out)
      assert.equal(1, select(2, out:gsub("\n", "")), "one line: " .. out)
      assert.matches("^nslab: cannot make a private world: ", out)
      -- what is missing: the capability and user namespaces
      assert.matches("CAP_SYS_ADMIN", out, 1, true)
      assert.matches("user namespace", out, 1, true)
      -- the way out, said in full (a message cut short leaves a
      -- parenthesis open)
      assert.matches("user.max_user_namespaces", out, 1, true)
      assert.equal(select(2, out:gsub("%(", "")), select(2, out:gsub("%)", "")),
                   "unbalanced parentheses, the message was cut short: " .. out)
    end
  end)
end)
