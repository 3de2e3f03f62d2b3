-- nslab.explain and what it hears from nslab.trace: recorders hear every
-- command with its outcome (quiet ones too), attempts that raised, PIDs
-- by variable; the script says which checks it replays; a mesh's probes
-- are one loop per node; the lab's own output and errors are comments.
local world = require("spec.support.world")
local program = require("spec.support.program")
local trace = require("nslab.trace")
local explain = require("nslab.explain")
local netns = require("nslab.netns")

local function lab_file(text)
  return program.temp_file(text)
end

local function has(text, line)
  return text:find("\n" .. line .. "\n", 1, true) ~= nil
end

-- A line that starts so (a check's line ends with the lab's file and line).
local function starts(text, line)
  return text:find("\n" .. line, 1, true) ~= nil
end

describe("explain", function()
  before_each(world.fresh)

  describe("trace recorders", function()
    it("hear quiet commands and attempts with their outcome; the history keeps only what was made", function()
      trace.clear()
      local heard = {}
      local stop = trace.record_all(function(text, ok, n) heard[#heard + 1] = { text, ok, n } end)
      trace.quietly(function() trace.command("ip link set dev lo up") end)
      trace.command("ping -c 1 -w 1 192.0.2.1", false)
      trace.attempt("socat -u /dev/null TCP:192.0.2.1:80,connect-timeout=1")
      trace.checks(2)
      trace.alias(4242, "$C_x")
      stop()
      trace.alias(4343, "$C_y")
      assert.same({ { "ip link set dev lo up" }, { "ping -c 1 -w 1 192.0.2.1", false },
                    { "socat -u /dev/null TCP:192.0.2.1:80,connect-timeout=1", false }, { nil, nil, 2 } }, heard)
      assert.same({ "ip link set dev lo up", "ping -c 1 -w 1 192.0.2.1" }, trace.history)
      assert.equal("$C_x", trace.aliases[4242])
      assert.is_nil(trace.aliases[4343], "no recorder, no alias kept")
    end)

    it("hear a refused connection as an attempt, and a taken port as what the script can check", function()
      local a = netns.add("a")
      a:link("lo"):up()
      local heard = {}
      local stop = trace.record_all(function(text, ok) heard[#heard + 1] = { text, ok } end)
      local l = a:tcp_listen("127.0.0.1", 80)
      assert.has_error(function() a:tcp_listen("127.0.0.1", 80) end)
      assert.has_error(function() a:tcp_connect("127.0.0.1", 81, { timeout = 1 }) end)
      stop()
      l:close()
      assert.same({
        { "ip netns exec a socat -u TCP-LISTEN:80,bind=127.0.0.1,reuseaddr,fork - & L_a_tcp_80=$!" },
        { "ip netns exec a timeout 5 sh -c 'until ss -Hltn \"sport = :80\" | grep -q .; do sleep 0.01; done'" },
        { "ip netns exec a ss -Hltn 'sport = :80' | grep -q . # in use", true },
        { "ip netns exec a socat -u /dev/null TCP:127.0.0.1:81,connect-timeout=1", false },
      }, heard)
    end)
  end)

  it("stops a namespace's earlier listener on a port by its pid, not another namespace's", function()
    local a, b = netns.add("a"), netns.add("b")
    local heard = {}
    local stop = trace.record_all(function(text) heard[#heard + 1] = text end)
    local la = a:tcp_listen("0.0.0.0", 80)
    local lb = b:tcp_listen("0.0.0.0", 80)
    la:close()
    la = a:tcp_listen("0.0.0.0", 80)
    stop()
    la:close()
    lb:close()
    local lines = {}
    for _, text in ipairs(heard) do
      if text:find("socat", 1, true) or text:find("kill", 1, true) then lines[#lines + 1] = text end
    end
    assert.same({
      "ip netns exec a socat -u TCP-LISTEN:80,bind=0.0.0.0,reuseaddr,fork - & L_a_tcp_80=$!",
      "ip netns exec b socat -u TCP-LISTEN:80,bind=0.0.0.0,reuseaddr,fork - & L_b_tcp_80=$!",
      "kill $L_a_tcp_80 && wait $L_a_tcp_80 2>/dev/null || true",
      "ip netns exec a socat -u TCP-LISTEN:80,bind=0.0.0.0,reuseaddr,fork - & L_a_tcp_80=$!",
    }, lines)
  end)

  it("makes a script of a lab: sections, steps, shows, notes, prints, checks replayed or not, errors", function()
    local path = lab_file([[
lab "a small lab"
section "two namespaces"
step("a and b, and a mesh", function()
  a, b, c = netns.add "a", netns.add "b", netns.add "c"
  a:link("lo"):up(); b:link("lo"):up(); c:link("lo"):up()
end)
io.write("written ", 1, "\n")
show("shown text\n")
check.mesh({ { a, "127.0.0.1" }, { b, "127.0.0.1" }, { c, "127.0.0.1" } })
check.equal(1, 1, "only Lua")
check.reachable(a, "192.0.2.1", { count = 1, timeout = 1, description = "fails in the lab" })
error("stopped here")
]])
    local status, script = explain.run(path, {}, {})
    os.remove(path)
    assert.equal(1, status)
    assert.equal("#!/bin/bash\n", script:sub(1, 12))
    assert.truthy(has(script, "set -e"), script)
    assert.truthy(has(script, "# a small lab"), script)
    assert.truthy(has(script, "## two namespaces"), script)
    assert.truthy(has(script, "# * a and b, and a mesh"), script)
    assert.truthy(has(script, "# written 1"), script)
    assert.truthy(has(script, "#   shown text"), script)
    assert.truthy(has(script, "ip netns exec a sh -c 'for t in 127.0.0.1 127.0.0.1; do ping -c 1 -i 0.2 -w 2 \"$t\" "
                              .. "|| exit 1; done'"), script)
    assert.truthy(starts(script, "# check: mesh of 3: every node reaches every other one (6 probes) ("), script)
    assert.truthy(script:find("\n# check in Lua %(not replayed%): only Lua %([^\n]*:10%)\n"), script)
    assert.truthy(has(script, "! ip netns exec a ping -c 1 -w 1 192.0.2.1 || false"), script)
    assert.truthy(starts(script, "# check, FAILED in the lab: fails in the lab — Network is unreachable ("), script)
    assert.truthy(script:find("\n# error: [^\n:]+:%d+: stopped here\n"), script) -- its place once
    assert.truthy(has(script, "# 2 passed, 2 failed"), script)
  end)

  it("waits in the script where the lab waited for IPv6 DAD, so ping -6 finds its address usable", function()
    local path = lab_file([[
lab "an IPv6 cable"
local a, b = netns.add "a", netns.add "b"
local va, vb = a:veth("va", "vb", { peer_netns = b })
va:addr_add "fd00::1/64"; vb:addr_add "fd00::2/64"
va:up(); vb:up()
check.reachable(b, "fd00::1")
]])
    local status, script = explain.run(path, {}, {})
    os.remove(path)
    assert.equal(0, status)
    assert.truthy(has(script, "while ip -n a -6 addr show dev va tentative | grep -q inet6; do sleep 0.02; done"),
                  script)
    local file = program.temp_file(script)
    local out, code, err = program.nslab("sandbox -- bash " .. program.quote(file))
    os.remove(file)
    assert.equal(0, code, out .. err)
  end)

  it("leaves a lab it cannot load to its error (status 2, no script)", function()
    local said = {}
    local status, script = explain.run("/nonexistent/lab.lua", {}, { err_writer = function(t) said[#said + 1] = t end })
    assert.matches("No such file", table.concat(said), 1, true)
    assert.equal(2, status)
    assert.is_nil(script)
  end)
end)
