-- check.matrix: a whole reachability policy at once, over three namespaces
-- on one bridge; a cell broken with nf_tables is one failure that names
-- from, to and proto and says how it ended (silence, reset, ICMP error).
-- iputils' ping, socat and ss, run in the same namespaces, are the
-- witnesses.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")
local check_mod = require("nslab.check")
local matrix = require("nslab.matrix")

-- A check bound to a runner that keeps what it would print.
local function runner()
  local log = { passed = 0, failed = 0, failures = {}, shown = {}, whys = {} }
  log.check = check_mod.bind{
    record = function(ok, description, detail, why)
      if ok then log.passed = log.passed + 1 else
        log.failed = log.failed + 1
        log.failures[#log.failures + 1] = description .. " — " .. tostring(detail)
        log.whys[#log.failures] = why
      end
      return ok
    end,
    show = function(text) log.shown[#log.shown + 1] = text end,
    host = function() return netns.host() end,
  }
  return log
end

local function sh(ns, command) return ns:exec(command) end

-- nft in ns: a table f with an input chain, and one rule in it.
local function input_rule(ns, rule)
  world.sh(ns, "nft add table ip f")
  world.sh(ns, "nft 'add chain ip f in { type filter hook input priority 0; }'")
  world.sh(ns, "nft add rule ip f in " .. rule)
end

-- Is anything listening on port in ns (TCP or UDP), as ss sees it?
local function listening(ns, port)
  local out = world.sh(ns, "ss -Htuln")
  return out:find(":" .. port .. "%s") ~= nil
end

describe("check.matrix", function()
  local a, b, c, nodes, log

  -- a 10.0.0.1, b 10.0.0.2, c 10.0.0.3 on the host's bridge br0
  before_each(function()
    world.fresh()
    local host = netns.host()
    host.handle:link_add{ name = "br0", kind = "bridge" }
    host.handle:link_set("br0", { up = true })
    a, b, c = netns.add("a"), netns.add("b"), netns.add("c")
    nodes = {}
    for i, ns in ipairs{ a, b, c } do
      local p, e = host:veth("p" .. i, "eth0", { peer_netns = ns })
      host.handle:link_set("p" .. i, { master = "br0" })
      p:up()
      e:addr_add("10.0.0." .. i .. "/24")
      e:up()
      ns:link("lo"):up()
      assert.is_true(e:wait("UP") and p:wait("UP"))
      nodes[i] = { ns, "10.0.0." .. i, name = ns.name }
    end
    log = runner()
  end)

  it("passes an ICMP matrix where every cell is as expected, one check, cells from one source to itself left out",
     function()
    local passed, res = log.check.matrix{ from = { a, b, c }, to = nodes, proto = "icmp" }
    assert.is_true(passed)
    assert.same({ 1, 0 }, { log.passed, log.failed })
    assert.equal(6, #res.cells)
    assert.equal(0, #res.mismatches)
    assert.equal(res.text, log.shown[1])
    assert.matches("icmp from 3 to 3: 6 cells, 0 not as expected", res.text, 1, true)
    assert.matches("\n   a b c\na  - o o\nb  o - o\nc  o o -\n", "\n" .. res.text .. "\n", 1, true)
    assert.matches(matrix.LEGEND.icmp, res.text, 1, true)
  end)

  it("a broken ICMP cell is one failure naming from, to and proto; ping agrees", function()
    input_rule(c, "ip saddr 10.0.0.1 icmp type echo-request drop")
    local passed, res = log.check.matrix{ from = { a, b, c }, to = nodes, proto = "icmp", timeout = 0.5 }
    assert.is_false(passed)
    assert.same({ 0, 1 }, { log.passed, log.failed })
    assert.equal("icmp matrix, 3 × 3: a → c (10.0.0.3) — expected reachable, not reached: 0/3 replies",
                 log.failures[1])
    assert.matches("\na  - o X\n", res.text, 1, true)
    -- the witness: iputils' ping from a gets nothing from c, b does
    assert.are_not.equal(0, sh(a, "ping -c 1 -W 1 10.0.0.3").status)
    assert.equal(0, sh(b, "ping -c 1 -W 1 10.0.0.3").status)
  end)

  it("TCP: the listeners are made for the call and gone after it; socat and ss agree", function()
    input_rule(c, "ip saddr 10.0.0.1 tcp dport 80 drop")
    local passed, res = log.check.matrix{ from = { a, b, c }, to = nodes, proto = "tcp:80", timeout = 0.5 }
    assert.is_false(passed)
    assert.equal(1, #res.mismatches)
    assert.equal("tcp:80 matrix, 3 × 3: a → c (10.0.0.3) port 80 — expected reachable, not reached: "
                 .. "no answer to the SYN (no answer within 0.5 s)", log.failures[1])
    for _, ns in ipairs{ a, b, c } do assert.is_false(listening(ns, 80), "a listener left in " .. ns.name) end
    -- socat as the listener and as the client: the same answer per cell
    local jobs = {}
    for _, ns in ipairs{ b, c } do
      jobs[#jobs + 1] = ns:exec("socat TCP-LISTEN:80,fork,reuseaddr /dev/null & sleep 0.3; "
                                .. "ss -Htln | grep -c ':80 '; kill %1", { timeout = 5 })
    end
    for _, j in ipairs(jobs) do assert.equal("1\n", j.stdout) end
    local witness = c:exec("socat TCP-LISTEN:80,reuseaddr,fork /dev/null & sleep 0.2; "
                           .. "ip netns exec a socat /dev/null TCP:10.0.0.3:80,connect-timeout=0.5; echo a $?; "
                           .. "ip netns exec b socat /dev/null TCP:10.0.0.3:80,connect-timeout=0.5; echo b $?; kill %1",
                           { timeout = 5 })
    assert.matches("a [1-9]", witness.stdout)
    assert.matches("b 0", witness.stdout)
    for _, cell in ipairs(res.cells) do
      if cell.col.address == "10.0.0.3" then assert.equal(cell.from ~= a, cell.reached) end
    end
  end)

  it("TCP: says whether an unreachable cell was a reset, an ICMP error or silence", function()
    input_rule(b, "tcp dport 81 reject with tcp reset")
    world.sh(b, "nft add rule ip f in tcp dport 82 reject")
    world.sh(b, "nft add rule ip f in tcp dport 83 drop")
    local to = {}
    for p = 80, 83 do to[#to + 1] = { b, "10.0.0.2:" .. p, name = tostring(p) } end
    local passed, res = log.check.matrix{ from = { a }, to = to, proto = "tcp", timeout = 0.5,
                                          expect = { default = true, { a, "81", false }, { a, "82", false },
                                                     { a, "83", false } } }
    assert.is_true(passed, log.failures[1])
    local how = {}
    for _, cell in ipairs(res.cells) do how[cell.col.name] = cell.result.how end
    assert.same({ ["80"] = "reached", ["81"] = "reset", ["82"] = "icmp", ["83"] = "timeout" }, how)
    assert.matches("\na   o  r  u  .\n", res.text, 1, true)
    assert.equal("ICMP port unreachable", res.cells[3].result.icmp)
    assert.equal("10.0.0.2", res.cells[3].result.icmp_from)
    -- expected reachable instead: the failures say how each ended
    log = runner()
    log.check.matrix{ from = { a }, to = to, proto = "tcp", timeout = 0.5 }
    assert.same({
      "tcp matrix, 1 × 4: a → 81 (10.0.0.2) port 81 — expected reachable, not reached: refused: TCP reset (RST)",
      "tcp matrix, 1 × 4: a → 82 (10.0.0.2) port 82 — expected reachable, not reached: "
        .. "refused: ICMP port unreachable from 10.0.0.2",
      "tcp matrix, 1 × 4: a → 83 (10.0.0.2) port 83 — expected reachable, not reached: "
        .. "no answer to the SYN (no answer within 0.5 s)",
    }, log.failures)
  end)

  it("UDP: an echo per cell; nothing listening is an ICMP port unreachable", function()
    local passed, res = log.check.matrix{ from = { a, b, c }, to = nodes, proto = "udp:53" }
    assert.is_true(passed, log.failures[1])
    assert.equal(6, #res.cells)
    for _, ns in ipairs{ a, b, c } do assert.is_false(listening(ns, 53)) end
    log = runner()
    passed, res = log.check.matrix{ from = { a }, to = { "10.0.0.2:53" }, proto = "udp", expect = false }
    assert.is_true(passed)
    assert.equal("icmp", res.cells[1].result.how)
    assert.equal("ECONNREFUSED", res.cells[1].result.errno)
    -- the lab's own server answers when the matrix makes none (listen = false)
    local server = b:udp_bind("10.0.0.2", 53)
    log = runner()
    passed, res = log.check.matrix{ from = { a }, to = { { b, "10.0.0.2" } }, proto = "udp:53", listen = false,
                                    timeout = 0.3, expect = false }
    assert.is_true(passed) -- it does not echo: no answer
    assert.equal("timeout", res.cells[1].result.how)
    server:close()
  end)

  it("expect: a boolean, a function of the entries, a table of exceptions by entry, name or *", function()
    input_rule(c, "ip saddr 10.0.0.1 drop")
    -- a → c and c → a (its replies) die
    local function cut(from, to)
      local names = { from.name, to.name or to[1].name }
      table.sort(names)
      return not (names[1] == "a" and names[2] == "c")
    end
    assert.is_true(log.check.matrix{ from = { a, b, c }, to = nodes, proto = "icmp", timeout = 0.3, expect = cut })
    assert.is_true(log.check.matrix{ from = { a, b, c }, to = nodes, proto = "icmp", timeout = 0.3,
                                     expect = { default = true, { a, "c" }, { "c", nodes[1] } } })
    assert.is_true(log.check.matrix{ from = { a, b, c }, to = nodes, proto = "icmp", timeout = 0.3,
                                     expect = { default = false, { b, "*" }, { "*", "b" } } })
    assert.same({ 3, 0 }, { log.passed, log.failed })
    assert.is_false(log.check.matrix{ from = { a }, to = { nodes[2] }, proto = "icmp", expect = false })
    assert.same({ "icmp matrix, 1 × 1: a → b (10.0.0.2) — expected unreachable, reached: 1/1 replies" },
                log.failures)
  end)

  it("a diagnosis hook is called for each mismatch and goes to the runner with the failure", function()
    local seen = {}
    local was = matrix.diagnose
    matrix.diagnose = function(cell, earlier)
      seen[#seen + 1] = cell
      assert.equal(0, earlier)
      return "why: nothing listens"
    end
    local ok, err = pcall(log.check.matrix, { from = { a }, to = { "10.0.0.2:9" }, proto = "udp" })
    matrix.diagnose = was
    assert.is_true(ok, err)
    assert.equal(1, #seen)
    assert.same({ "10.0.0.2", 9, "udp", true, false }, { seen[1].address, seen[1].port, seen[1].proto,
                                                         seen[1].expected, seen[1].reached })
    assert.equal(a, seen[1].from)
    assert.equal("udp matrix, 1 × 1: a → 10.0.0.2:9 — expected reachable, not reached: "
                 .. "refused: ICMP port unreachable from 10.0.0.2", log.failures[1])
    assert.equal("why: nothing listens", log.whys[1])
  end)

  it("refuses bad input in the words of check.matrix, nothing probed and nothing left", function()
    local function refuses(spec, pattern)
      local ok, err = pcall(log.check.matrix, spec)
      assert.is_false(ok, "accepted " .. tostring(pattern))
      assert.matches(pattern, tostring(err), 1, true)
    end
    local base = function(t)
      local s = { from = { a }, to = { nodes[2] }, proto = "tcp:80" }
      for k, v in pairs(t) do s[k] = v end
      return s
    end
    refuses(base{ proto = "sctp:80" }, 'check.matrix: option \'proto\' must be "icmp", "tcp:PORT" or "udp:PORT", '
                                       .. 'got "sctp:80"')
    refuses(base{ proto = "tcp:0" }, "check.matrix: option 'proto' must name a port 1..65535, got \"tcp:0\"")
    refuses(base{ proto = "udp:70000" }, "must name a port 1..65535")
    refuses(base{ proto = "icmp:1" }, "check.matrix: option 'proto': icmp has no port")
    refuses(base{ proto = "tcp" }, "check.matrix: option 'to' item 1: no port (\"10.0.0.2\")")
    refuses(base{ to = { "10.0.0.2:0" } }, "check.matrix: option 'to' item 1: port must be 1..65535, got 0")
    refuses(base{ from = {} }, "check.matrix: option 'from' must be a non-empty list of namespaces or containers")
    refuses(base{ to = {} }, "check.matrix: option 'to' must be a non-empty list of targets")
    refuses(base{ from = { 5 } }, "check.matrix: option 'from' item 1 must be a namespace or a container")
    refuses(base{ to = { "bi-nosuch" } }, "not an IPv4 or IPv6 address")
    refuses({ from = { a }, to = { nodes[2] } }, "check.matrix: option 'proto'")
    refuses(base{ timout = 1 }, "check.matrix: invalid option 'timout'")
    refuses(base{ expect = "yes" }, "check.matrix: option 'expect' must be a boolean, a function or a table")
    refuses(base{ expect = function() end }, "expect(from, to) must return true or false, got nil for a → b")
    refuses(base{ expect = { { "x", "*" } } }, "check.matrix: option 'expect' item 1 ({x, *}) matches no cell")
    refuses(base{ expect = { deflt = true } }, "check.matrix: option 'expect': invalid key deflt")
    refuses(base{ listen = { { a, 0 } } }, "check.matrix: option 'listen' item 1: port must be 1..65535, got 0")
    refuses({ from = { a }, to = { nodes[1] }, proto = "icmp" }, "no cell to probe")
    -- a port the lab already listens on: the listener says so, nothing is left
    local server = b:tcp_listen("0.0.0.0", 80)
    refuses(base{}, "probe ports: listener 1 (tcp port 80, IPv4): Address already in use")
    server:close()
    assert.is_false(listening(b, 80))
    assert.same({ 0, 0 }, { log.passed, log.failed })
  end)

  it("IPv6 cells: TCP and UDP listeners on both families", function()
    local v = netns.add("v6")
    local x, y = a:veth("v6a", "v6b", { peer_netns = v })
    x:addr_add("2001:db8::1/64", { nodad = true })
    y:addr_add("2001:db8::2/64", { nodad = true })
    x:up()
    y:up()
    assert.is_true(x:wait("UP") and y:wait("UP") and x:wait_ipv6() and y:wait_ipv6())
    local to = { { v, "2001:db8::2", name = "v6" }, { v, "[2001:db8::2]:81", name = "v6:81" } }
    for _, proto in ipairs{ "tcp:80", "udp:80" } do
      local passed, res = log.check.matrix{ from = { a }, to = to, proto = proto, listen = false, timeout = 0.5,
                                            expect = false }
      assert.is_true(passed, log.failures[1])
      local none = proto == "tcp:80" and "reset" or "icmp" -- nothing listens
      assert.same({ none, none }, { res.cells[1].result.how, res.cells[2].result.how })
      -- a listener for each target's port, 80 and 81
      passed, res = log.check.matrix{ from = { a }, to = to, proto = proto, timeout = 0.5 }
      assert.is_true(passed, log.failures[1])
      assert.same({ "reached", "reached" }, { res.cells[1].result.how, res.cells[2].result.how })
    end
  end)

  it("core.probe_ports: one result per probe, one count per listener", function()
    local res, ls = core.probe_ports({ { a.handle, "10.0.0.2", 7 }, { c.handle, "10.0.0.2", 7 },
                                       { a.handle, "10.9.9.9", 7 } },
                                     { { b.handle, 7 } }, { proto = "tcp", timeout = 0.5 })
    assert.same({ "10.0.0.2", 7, true, "reached" }, { res[1].target, res[1].port, res[1].reached, res[1].how })
    assert.is_true(res[2].reached)
    assert.same({ false, "local", "ENETUNREACH" }, { res[3].reached, res[3].how, res[3].errno })
    assert.equal(2, ls[1].served)
    assert.is_true(res[1].rtt >= 0 and res[1].rtt < 500)
  end)
end)
