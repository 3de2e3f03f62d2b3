-- nft: the friendly API (tables, chains, rules, batches) over the
-- nf_tables core. The text nslab explains is exactly what `nft list
-- ruleset` prints, and replaying the traced nft commands in a fresh world
-- builds the same ruleset.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
local json = require("dkjson")

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
      assert.has_error(function() chain:rule("accept") end, "nft: op 1 (add rule ip filter NOPE): No such file or directory")
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
