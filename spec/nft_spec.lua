-- nft: the friendly API (tables, chains, rules, batches) over the
-- nf_tables core. The text nslab explains is exactly what `nft list
-- ruleset` prints, and replaying the traced nft commands in a fresh world
-- builds the same ruleset.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
local json = require("dkjson")
local nft_parse = require("nslab.nft").parse

-- The rule lines of `nft list ruleset`, counters' numbers blanked.
local function listed_rules(ns)
  local lines = {}
  for line in world.sh(ns, "nft list ruleset"):gmatch("[^\n]+") do
    line = line:gsub("^%s+", ""):gsub("counter packets %d+ bytes %d+", "counter")
    if not (line:match("^table ") or line:match("^chain ") or line:match("^type ") or line == "}") then
      lines[#lines + 1] = line
    end
  end
  return lines
end

-- `nft -j list ruleset` without handles and counters' numbers.
local function ruleset_json(ns)
  local text = world.sh(ns, "nft -j list ruleset")
  text = text:gsub('"handle": %d+', '"handle": 0'):gsub('"packets": %d+', '"packets": 0')
             :gsub('"bytes": %d+', '"bytes": 0')
  local out = json.decode(text)
  table.remove(out.nftables, 1) -- metainfo
  return out.nftables
end

local DOCKER_RULES = {
  'ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade',
  'iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80',
  'oifname "docker0" ct state established,related accept',
  'iifname "docker0" oifname != "docker0" accept',
  'ip daddr 172.17.0.2 iifname != "docker0" oifname "docker0" tcp dport 80 accept',
  'udp dport 53 counter accept',
  'meta l4proto icmp log prefix "icmp: " accept',
  'ip protocol udp reject',
  'snat to 198.51.100.1',
  'jump DOCKER',
}

describe("nft", function()
  local host
  before_each(function()
    world.fresh()
    host = netns.host()
  end)

  it("prints each rule in nft list ruleset exactly as nslab explains it", function()
    -- a regular chain: the kernel checks which statements fit which hook
    -- (dnat, reject) only once a base chain jumps to it
    local t = host:nft_table("ip", "nat")
    local c = t:chain("RULES")
    t:chain("DOCKER")
    local explained = {}
    for i, rule in ipairs(DOCKER_RULES) do explained[i] = c:rule(rule) end
    assert.same(DOCKER_RULES, explained)
    assert.same(explained, listed_rules(host))
    -- and nslab's own view agrees, rule by rule
    local mine = {}
    for i, r in ipairs(c:rules()) do mine[i] = r.plain end
    assert.same(explained, mine)
    assert.equal(world.sh(host, "nft list ruleset"), host:nft_ruleset())
  end)

  it("explains rules written loosely as nft will print them", function()
    local t = host:nft_table("ip", "filter")
    local c = t:chain("R")
    local inputs = { "ip protocol tcp tcp dport 80 accept", "tcp dport 2 tcp sport 1 accept",
                     "ip saddr 10.1.2.3/8 drop", "ip daddr 192.0.2.7/32 drop", "meta l4proto 47 accept" }
    local explained = {}
    for i, input in ipairs(inputs) do explained[i] = c:rule(input) end
    assert.same({ "tcp dport 80 accept", "tcp sport 1 tcp dport 2 accept", "ip saddr 10.0.0.0/8 drop",
                  "ip daddr 192.0.2.7 drop", "meta l4proto gre accept" }, explained)
    assert.same(explained, listed_rules(host))
    local inet = host:nft_table("inet", "n")
    local pre = inet:chain("PRE", { type = "nat", hook = "prerouting" })
    assert.equal("tcp dport 22 dnat ip to 192.0.2.1", pre:rule("tcp dport 22 dnat to 192.0.2.1"))
    local out = inet:chain("OUT", { type = "nat", hook = "output", priority = -100 })
    assert.matches("type nat hook output priority %-100;", world.sh(host, "nft list chain inet n OUT"))
    assert.has_error(function() inet:chain("X", { type = "nat", hook = "output", priority = "dstnat" }) end,
      'nft chain: bad priority "dstnat" for hook output (a number or filter, mangle, raw, security)')
    assert.is_not_nil(out)
  end)

  -- The bytecode of a chain's rules as nft --debug=netlink shows it.
  local function bytecode(family, t, chain)
    local lines = {}
    for line in world.sh(host, ("nft --debug=netlink list chain %s %s %s"):format(family, t, chain)):gmatch("[^\n]+") do
      if line:match("^%s+%[") then lines[#lines + 1] = line end
    end
    return table.concat(lines, "\n")
  end

  it("does IPv6 NAT in ip6 and inet tables, in text and table form, as nft does", function()
    local cases = {
      { "ip6", "prerouting", "tcp dport 80 dnat to [2001:db8::1]:8080" },
      { "ip6", "prerouting", "tcp dport 80 dnat ip6 to [2001:db8::1]:8080", "tcp dport 80 dnat to [2001:db8::1]:8080" },
      { "ip6", "prerouting", "dnat to 2001:db8::1" },
      { "ip6", "postrouting", "snat to 2001:db8::2" },
      { "ip6", "postrouting", "udp sport 53 snat to [2001:db8::2]:53" },
      { "ip6", "postrouting", "ip6 saddr 2001:db8::1/48 snat to 2001:db8::2",
        "ip6 saddr 2001:db8::/48 snat to 2001:db8::2" },
      { "inet", "prerouting", "tcp dport 80 dnat ip6 to [2001:db8::1]:8080" },
      { "inet", "prerouting", "dnat ip6 to 2001:db8::1" },
      { "inet", "postrouting", "snat ip6 to 2001:db8::2" },
      { "inet", "postrouting", "udp dport 53 snat ip6 to [2001:db8::2]:5353" },
      { "inet", "prerouting", "tcp dport 22 dnat ip to 192.0.2.1:2222" },
    }
    for i, case in ipairs(cases) do
      local family, hook, input, want = case[1], case[2], case[3], case[4] or case[3]
      local t = host:nft_table(family, "n" .. i)
      local mine = t:chain("mine", { type = "nat", hook = hook })
      t:chain("theirs", { type = "nat", hook = hook })
      assert.equal(want, mine:rule(input))
      world.sh(host, ("nft add rule %s n%d theirs '%s'"):format(family, i, input))
      assert.equal(bytecode(family, "n" .. i, "theirs"), bytecode(family, "n" .. i, "mine"), input)
      assert.same({ want, want }, { mine:rules()[1].plain, t.ns.handle:nft_list(family, "n" .. i).rules[2].plain })
      -- the table form says the same
      assert.equal(want, mine:rule(mine:rules()[1].exprs))
    end
    local text = world.sh(host, "nft list ruleset")
    for _, case in ipairs(cases) do
      assert.truthy(text:find("\t\t" .. (case[4] or case[3]) .. "\n", 1, true), case[3])
    end
    assert.equal(text, host:nft_ruleset())
  end)

  it("explains what the kernel holds, and refuses what nft would print otherwise (fuzz findings)", function()
    local c = host:nft_table("inet", "f"):chain("c")
    -- IPv6 prefixes lose their host bits, as IPv4 ones do
    assert.equal("ip6 saddr 2001:db8::/32 drop", c:rule("ip6 saddr 2001:db8::1/32 drop"))
    assert.equal("ip6 daddr 2001:db8::1 drop", c:rule("ip6 daddr 2001:db8:0::1/128 drop"))
    assert.same({ "ip6 saddr 2001:db8::/32 drop", "ip6 daddr 2001:db8::1 drop" }, listed_rules(host))
    -- a state given twice, a newline in an interface name, a huge octet
    assert.has_error(function() c:rule("ct state new,new accept") end, 'nft rule: ct state "new" given twice')
    assert.has_error(function() c:rule('iifname "a\nb" accept') end,
      [[nft rule: iifname "a\nb": not an interface name (printable, no '/', ':', '"', '*' or spaces)]])
    assert.has_error(function() c:rule("ip saddr 99999999999999999999.0.0.1/8 drop") end,
      'nft rule: "99999999999999999999.0.0.1/8" is not an IPv4 prefix')
    assert.has_error(function() c:rule{ { "match", key = "ct state", value = { "new", "new" } } } end,
      'nft rule: ct state "new" given twice')
    assert.equal(2, #listed_rules(host))
  end)

  it("refuses names of no length or longer than the kernel keeps, and bad arguments, leaving nothing", function()
    local huge = string.rep("x", 16384)
    local before = ruleset_json(host)
    assert.has_error(function() host:nft_table("ip", huge) end,
      "nft: op 1 (add table ip): option 'table' must be a string of 1..255 bytes without NUL, got a " ..
        "string of 16384 bytes")
    assert.has_error(function() host:nft_table("ip", "") end,
      [[nft: op 1 (add table ip): option 'table' must be a string of 1..255 bytes without NUL, got ""]])
    assert.has_error(function() host:nft_table("ip") end,
      "nft: op 1 (add table ip): option 'table' is required (a string of 1..255 bytes without NUL)")
    assert.same(before, ruleset_json(host))
    local t = host:nft_table("ip", "t")
    before = ruleset_json(host)
    assert.has_error(function() t:chain(huge) end,
      "nft: op 1 (add chain ip t): option 'chain' must be a string of 1..255 bytes without NUL, got " ..
        "a string of 16384 bytes")
    assert.has_error(function() t:chain("") end,
      [[nft: op 1 (add chain ip t): option 'chain' must be a string of 1..255 bytes without NUL, got ""]])
    -- in a batch the error also shows the op's command (cut short)
    local function batch_fails(start, fn)
      local ok, err = pcall(host.nft_batch, host, fn)
      assert.is_false(ok)
      assert.equal(start, err:sub(1, #start))
      assert.is_true(#err < 600, "a short message")
    end
    batch_fails("nft: op 1 (add table ip): option 'table' must be a string of 1..255 bytes without " ..
      "NUL, got a string of 16384 bytes",
      function(b) b:chain(b:table("ip", huge), huge) end)
    batch_fails("nft: op 2 (add chain ip t): option 'chain' must be a string of 1..255 bytes " ..
      "without NUL, got a string of 16384 bytes",
      function(b) b:chain(t, "ok"); b:chain(t, huge) end)
    assert.has_error(function() host:nft_batch(nil) end, "nft batch: argument 1 (fn) must be a function, got nil")
    assert.has_error(function() host:nft_batch(function(b) b:rule(nil, "accept") end) end,
      "nft rule: a chain is required (from table:chain or batch:chain), got nil")
    assert.has_error(function() t:chain("c", 5) end, "nft chain c: options must be a table, got 5")
    assert.has_error(function() host.handle:nft_list("ip", string.rep("x", 4096)) end,
      "nft list: argument 2 (table) must be a string of 1..255 bytes without NUL, got a string of 4096 bytes")
    assert.same(before, ruleset_json(host))
    local c = t:chain("c")
    assert.has_error(function() c:rule{ { "jump", chain = huge } } end,
      "nft rule jump: option 'chain' must be a string of 1..255 bytes without NUL, got a string of 16384 bytes")
    assert.has_error(function() c:rule{ { "drop", extra = 1 } } end, "nft rule drop: invalid option 'extra'")
    assert.has_error(function() c:rule(nil) end, "nft rule: a rule is a string or an array of expressions, got nil")
    assert.has_error(function() c:rule("accept", "drop") end, "nft rule: too many arguments (2 given, at most 1)")
    assert.has_error(function() host:nft_table("ip", "t", 1) end, "nft table: too many arguments (4 given, at most 3)")
    assert.has_error(function() host:nft_batch(function() end, 1) end,
      "nft batch: too many arguments (3 given, at most 2)")
    assert.has_error(function() require("nslab.nft").table(5, "ip", "t") end,
      "nft table: argument 1 (ns) must be a netns, got number")
    assert.has_error(function() nft_parse(string.rep("a", 65536)) end,
      'nft rule: unknown token "' .. string.rep("a", 60) .. '..." in "' .. string.rep("a", 60) .. '..."')
    assert.same({ "c" }, world.pluck(host.handle:nft_list("ip", "t").chains, "name"))
    c:delete()
    assert.has_error(function() c:rules() end, "nft list chain ip t c: No such file or directory")
  end)

  it("takes rules as Lua tables too", function()
    local c = host:nft_table("ip", "filter"):chain("FORWARD", { type = "filter", hook = "forward", policy = "drop" })
    local text = c:rule{ { "match", key = "iifname", op = "==", value = "br0" }, { "counter" }, { "accept" } }
    assert.equal('iifname "br0" counter accept', text)
    assert.same({ 'iifname "br0" counter accept' }, listed_rules(host))
    assert.matches("policy drop", world.sh(host, "nft list chain ip filter FORWARD"), 1, true)
  end)

  it("replaying the traced nft commands builds the same ruleset", function()
    trace.clear()
    local nat = host:nft_table("ip", "nat")
    local post = nat:chain("POSTROUTING", { type = "nat", hook = "postrouting", priority = "srcnat" })
    nat:chain("DOCKER")
    post:rules_add{ DOCKER_RULES[1], DOCKER_RULES[6], DOCKER_RULES[9] }
    nat:chain("PREROUTING", { type = "nat", hook = "prerouting", priority = "dstnat" }):rule("jump DOCKER")
    local filter = host:nft_table("inet", "f")
    filter:chain("input", { type = "filter", hook = "input", priority = "filter + 5", policy = "drop" })
      :insert('ct state established,related accept')
    filter:chain("out", { type = "filter", hook = "output", priority = 95 })
    local n = host:nft_table("inet", "n")
    n:chain("PRE", { type = "nat", hook = "prerouting" }):rule("ip protocol tcp tcp dport 22 dnat to 192.0.2.1")
    n:chain("OUT", { type = "nat", hook = "output" })
    host:nft_batch(function(b)
      local t6 = b:table("ip6", "t6")
      local ch = b:chain(t6, "out", { type = "filter", hook = "output", priority = 0 })
      b:rule(ch, "ip6 daddr 2001:db8::/32 counter drop")
    end)
    local commands = { table.unpack(trace.history) }
    local expected = ruleset_json(host)
    world.fresh()
    for _, command in ipairs(commands) do world.sh(nil, command) end
    assert.same(expected, ruleset_json(netns.host()))
  end)

  it("counts the packets a rule saw", function()
    local c = host:nft_table("ip", "filter"):chain("OUTPUT", { type = "filter", hook = "output" })
    c:rule("meta l4proto icmp counter accept")
    host:ping("127.0.0.1", { count = 3 })
    local r = c:rules()[1]
    assert.equal(6, r.packets) -- 3 echo requests and 3 replies, all through OUTPUT on lo
    assert.matches("counter packets 6 bytes %d+ accept", r.text)
  end)

  it("deletes a rule by handle, flushes a chain, deletes a table", function()
    local t = host:nft_table("ip", "filter")
    local c = t:chain("FORWARD", { type = "filter", hook = "forward" })
    c:rules_add{ "tcp dport 22 drop", "tcp dport 80 accept" }
    c:delete_rule(c:rules()[1].handle)
    assert.same({ "tcp dport 80 accept" }, listed_rules(host))
    c:flush()
    assert.same({}, listed_rules(host))
    t:delete()
    assert.same({}, ruleset_json(host))
  end)

  describe("errors", function()
    it("a batch with one bad rule leaves the ruleset exactly as it was", function()
      local t = host:nft_table("ip", "filter")
      local c = t:chain("FORWARD", { type = "filter", hook = "forward" })
      c:rule("tcp dport 22 drop")
      local before = ruleset_json(host)
      local ok, err = pcall(host.nft_batch, host, function(b)
        b:rule(c, "tcp dport 80 accept")
        b:chain(t, "NEW")
        b:rule({ family = "ip", table = t, name = "MISSING" }, "accept")
        b:rule(c, "tcp dport 443 accept")
      end)
      assert.is_false(ok)
      assert.matches("^nft: op 3 %(add rule ip filter MISSING%): No such file or directory", err)
      assert.matches("in: nft add rule ip filter MISSING accept", err, 1, true)
      assert.same(before, ruleset_json(host))
    end)
    it("an unknown table or chain", function()
      local ghost = setmetatable({ ns = host, family = "ip", name = "nope" }, require("nslab.nft").Table)
      assert.has_error(function() ghost:chain("X") end, "nft: op 1 (add chain ip nope X): No such file or directory")
      local t = host:nft_table("ip", "filter")
      local chain = setmetatable({ ns = host, table = t, family = "ip", name = "NOPE" }, require("nslab.nft").Chain)
      assert.has_error(function() chain:rule("accept") end,
        "nft: op 1 (add rule ip filter NOPE): No such file or directory")
    end)
    it("a bad priority, hook, type or policy", function()
      local t = host:nft_table("ip", "filter")
      assert.has_error(function() t:chain("C", { type = "filter", hook = "forward", priority = "high" }) end,
        'nft chain: bad priority "high" for hook forward (a number or filter, mangle, raw, security)')
      assert.has_error(function() t:chain("C", { type = "filter", hook = "sideways" }) end,
        [[nft chain C: option 'hook' must be one of prerouting, input, forward, output or postrouting, got "sideways"]])
      assert.has_error(function() t:chain("C", { type = "mangle", hook = "forward" }) end,
        [[nft chain C: option 'type' must be one of filter, nat or route, got "mangle"]])
      assert.has_error(function() t:chain("C", { hook = "forward", policy = "reject" }) end,
        [[nft chain C: option 'policy' must be one of accept or drop, got "reject"]])
      assert.has_error(function() t:chain("C", { hook = "forward", prio = 1 }) end,
        "nft chain C: invalid option 'prio'")
      assert.same({ { table = { family = "ip", name = "filter", handle = 0 } } }, ruleset_json(host))
    end)
    it("an unknown token, a dnat target that is not an address", function()
      local c = host:nft_table("ip", "nat"):chain("PREROUTING", { type = "nat", hook = "prerouting" })
      assert.has_error(function() c:rule("tcp dport 80 dnat to docker0") end,
        'nft rule: dnat to "docker0": not an IPv4 address')
      assert.has_error(function() c:rule("ip saddr 10.0.0.1 acept") end,
        'nft rule: unknown token "acept" in "ip saddr 10.0.0.1 acept"')
      assert.has_error(function() c:rule("ip saddr 10.0.0.300 accept") end)
      assert.same({}, listed_rules(host))
    end)
    it("an unknown family", function()
      assert.has_error(function() host:nft_table("arp6", "x") end,
        [[nft: op 1: option 'family' must be one of ip, ip6, inet or bridge, got "arp6"]])
    end)
  end)
end)
