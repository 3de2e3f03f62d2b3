-- nft core: the nf_tables binding of a namespace (ns:nft_apply, ns:nft_list)
-- against nft itself, run in the same namespace. nft is the witness three
-- ways: `nft -j list ruleset` for what exists, `nft list` for how each rule
-- prints, and `nft --debug=netlink` for the bytecode, which must be the very
-- bytecode nft generates for the same rule text.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local json = require("dkjson")
local core = require("nslab.core")

local M = "match"

-- nft -j list ruleset in ns, without its metainfo entry.
local function ruleset(ns)
  local out = json.decode(world.sh(ns, "nft -j list ruleset"))
  local items = {}
  for _, item in ipairs(out.nftables) do
    if not item.metainfo then items[#items + 1] = item end
  end
  return items
end

-- The objects of one kind ("table", "chain", "rule") of a -j ruleset.
local function objects(items, kind)
  local found = {}
  for _, item in ipairs(items) do
    if item[kind] then found[#found + 1] = item[kind] end
  end
  return found
end

-- The rules of a chain as `nft list chain` prints them, one per line.
local function rule_lines(ns, family, table_, chain)
  local out = world.sh(ns, string.format("nft list chain %s %s %s", family, table_, chain))
  local lines = {}
  for line in out:gmatch("[^\n]+") do
    line = line:gsub("^%s+", "")
    if not (line:match("^table ") or line:match("^chain ") or line:match("^type ") or line == "}") then
      lines[#lines + 1] = line
    end
  end
  return lines
end

-- The bytecode of a chain's rules as nft --debug=netlink shows it.
local function bytecode(ns, family, table_, chain)
  local out = world.sh(ns, string.format("nft --debug=netlink list chain %s %s %s", family, table_, chain))
  local lines = {}
  for line in out:gmatch("[^\n]+") do
    if line:match("^%s+%[") then lines[#lines + 1] = line end
  end
  return table.concat(lines, "\n")
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- What nft_list gives back for exprs: counters carry their numbers.
local function decoded(exprs)
  local out = {}
  for i, e in ipairs(exprs) do
    local copy = {}
    for k, v in pairs(e) do copy[k] = v end
    if copy[1] == "counter" then
      copy.packets, copy.bytes = copy.packets or 0, copy.bytes or 0
    end
    out[i] = copy
  end
  return out
end

local function add_table(family, name)
  return { op = "add", object = "table", family = family, table = name }
end

local function add_chain(family, table_, name, base)
  local op = { op = "add", object = "chain", family = family, table = table_, chain = name }
  for k, v in pairs(base or {}) do op[k] = v end
  return op
end

local function add_rule(family, table_, chain, exprs, extra)
  local op = { op = "add", object = "rule", family = family, table = table_, chain = chain, exprs = exprs }
  for k, v in pairs(extra or {}) do op[k] = v end
  return op
end

-- Each rule of the vocabulary: its nft text (as `nft list` prints it),
-- the exprs that say the same, and the kind of chain it belongs in.
local NAT_POST = { type = "nat", hook = "postrouting", priority = 100 }
local NAT_PRE = { type = "nat", hook = "prerouting", priority = -100 }
local NAT_OUT = { type = "nat", hook = "output", priority = -100 }
local FORWARD = { type = "filter", hook = "forward", priority = 0, policy = "accept" }
local INPUT = { type = "filter", hook = "input", priority = 0 }
local RULES = {
  { "ip", NAT_POST, 'ip saddr 172.17.0.0/16 oifname != "docker0" counter packets 0 bytes 0 masquerade',
    { { M, key = "ip saddr", op = "==", value = "172.17.0.0/16" },
      { M, key = "oifname", op = "!=", value = "docker0" }, { "counter" }, { "masquerade" } } },
  { "ip", NAT_PRE, "tcp dport 8080 dnat to 172.17.0.2:80",
    { { M, key = "tcp dport", op = "==", value = 8080 }, { "dnat", addr = "172.17.0.2", port = 80 } } },
  { "ip", NAT_PRE, "dnat to 172.17.0.2", { { "dnat", addr = "172.17.0.2" } } },
  { "ip", NAT_POST, "snat to 198.51.100.1", { { "snat", addr = "198.51.100.1" } } },
  { "ip", NAT_POST, "udp dport 53 snat to 198.51.100.1:5353",
    { { M, key = "udp dport", op = "==", value = 53 }, { "snat", addr = "198.51.100.1", port = 5353 } } },
  { "ip", FORWARD, "ct state established,related accept",
    { { M, key = "ct state", op = "==", value = { "established", "related" } }, { "accept" } } },
  { "ip", FORWARD, "ct state new accept", { { M, key = "ct state", op = "==", value = { "new" } }, { "accept" } } },
  { "ip", FORWARD, "ct state != invalid drop", { { M, key = "ct state", op = "!=", value = { "invalid" } },
    { "drop" } } },
  { "ip", FORWARD, 'iifname "br0" accept', { { M, key = "iifname", op = "==", value = "br0" }, { "accept" } } },
  { "ip", FORWARD, 'iifname "veth*" oifname "br0" accept',
    { { M, key = "iifname", op = "==", value = "veth*" }, { M, key = "oifname", op = "==", value = "br0" },
      { "accept" } } },
  { "ip", FORWARD, "ip daddr 10.0.0.0/8 drop", { { M, key = "ip daddr", op = "==", value = "10.0.0.0/8" },
    { "drop" } } },
  { "ip", FORWARD, "ip saddr != 10.128.0.0/9 drop", { { M, key = "ip saddr", op = "!=", value = "10.128.0.0/9" },
    { "drop" } } },
  { "ip", FORWARD, "ip saddr 192.0.2.1 ip daddr 198.51.100.7 accept",
    { { M, key = "ip saddr", op = "==", value = "192.0.2.1" }, { M, key = "ip daddr", op = "==",
      value = "198.51.100.7" }, { "accept" } } },
  { "ip", FORWARD, "udp sport 53 accept", { { M, key = "udp sport", op = "==", value = 53 }, { "accept" } } },
  { "ip", FORWARD, "tcp sport 1024 tcp dport 22 accept",
    { { M, key = "tcp sport", op = "==", value = 1024 }, { M, key = "tcp dport", op = "==", value = 22 },
      { "accept" } } },
  { "ip", FORWARD, "tcp dport != 22 accept", { { M, key = "tcp dport", op = "!=", value = 22 }, { "accept" } } },
  { "ip", FORWARD, "meta l4proto icmp accept", { { M, key = "meta l4proto", op = "==", value = "icmp" },
    { "accept" } } },
  { "ip", FORWARD, "ip protocol tcp accept", { { M, key = "ip protocol", op = "==", value = "tcp" }, { "accept" } } },
  { "ip", FORWARD, "jump DOCKER", { { "jump", chain = "DOCKER" } } },
  { "ip", FORWARD, "goto DOCKER", { { "goto", chain = "DOCKER" } } },
  { "ip", FORWARD, "return", { { "return" } } },
  { "ip", FORWARD, 'log prefix "x" drop', { { "log", prefix = "x" }, { "drop" } } },
  { "ip", FORWARD, "log", { { "log" } } },
  { "ip", FORWARD, "reject", { { "reject" } } },
  { "ip6", FORWARD, "ip6 saddr 2001:db8::/32 tcp dport 443 reject",
    { { M, key = "ip6 saddr", op = "==", value = "2001:db8::/32" }, { M, key = "tcp dport", op = "==", value = 443 },
      { "reject" } } },
  { "ip6", FORWARD, "ip6 daddr != 2001:db8::/33 accept", { { M, key = "ip6 daddr", op = "!=",
    value = "2001:db8::/33" }, { "accept" } } },
  { "ip6", NAT_PRE, "tcp dport 80 dnat to [2001:db8::1]:8080",
    { { M, key = "tcp dport", op = "==", value = 80 }, { "dnat", addr = "2001:db8::1", port = 8080 } } },
  { "ip6", NAT_PRE, "dnat to 2001:db8::1", { { "dnat", addr = "2001:db8::1" } } },
  { "ip6", NAT_POST, "udp sport 53 snat to [2001:db8::2]:53",
    { { M, key = "udp sport", op = "==", value = 53 }, { "snat", addr = "2001:db8::2", port = 53 } } },
  { "ip6", NAT_POST, "ip6 daddr 2001:db8::1 snat to 2001:db8::2",
    { { M, key = "ip6 daddr", op = "==", value = "2001:db8::1" }, { "snat", addr = "2001:db8::2" } } },
  { "inet", NAT_PRE, "tcp dport 80 dnat ip6 to [2001:db8::1]:8080",
    { { M, key = "tcp dport", op = "==", value = 80 }, { "dnat", addr = "2001:db8::1", port = 8080 } } },
  { "inet", NAT_PRE, "dnat ip6 to 2001:db8::1", { { "dnat", addr = "2001:db8::1" } } },
  { "inet", NAT_PRE, "tcp dport 22 dnat ip to 192.0.2.1:2222",
    { { M, key = "tcp dport", op = "==", value = 22 }, { "dnat", addr = "192.0.2.1", port = 2222 } } },
  { "inet", NAT_POST, "snat ip6 to 2001:db8::2", { { "snat", addr = "2001:db8::2" } } },
  { "inet", NAT_POST, "ip6 saddr 2001:db8::/32 snat ip6 to 2001:db8::2",
    { { M, key = "ip6 saddr", op = "==", value = "2001:db8::/32" }, { "snat", addr = "2001:db8::2" } } },
  { "inet", NAT_POST, "ip saddr 10.0.0.0/8 snat ip to 198.51.100.1",
    { { M, key = "ip saddr", op = "==", value = "10.0.0.0/8" }, { "snat", addr = "198.51.100.1" } } },
  -- a protocol match before a statement guards it: no dependency
  { "ip", FORWARD, "meta l4proto tcp counter packets 0 bytes 0 tcp dport 22 accept",
    { { M, key = "meta l4proto", op = "==", value = "tcp" }, { "counter" },
      { M, key = "tcp dport", op = "==", value = 22 }, { "accept" } } },
  -- a dependency in ip tables only; in inet and bridge nft's is meta l4proto
  { "inet", FORWARD, "ip protocol tcp tcp dport 22 accept",
    { { M, key = "ip protocol", op = "==", value = "tcp" }, { M, key = "tcp dport", op = "==", value = 22 },
      { "accept" } } },
  { "bridge", FORWARD, "ip protocol udp udp sport 1 udp dport 2 accept",
    { { M, key = "ip protocol", op = "==", value = "udp" }, { M, key = "udp sport", op = "==", value = 1 },
      { M, key = "udp dport", op = "==", value = 2 }, { "accept" } } },
  { "ip", FORWARD, "meta l4proto gre accept", { { M, key = "meta l4proto", op = "==", value = "gre" }, { "accept" } } },
  { "inet", FORWARD, "ip saddr 192.0.2.0/24 ct state established accept",
    { { M, key = "ip saddr", op = "==", value = "192.0.2.0/24" }, { M, key = "ct state", op = "==",
      value = { "established" } }, { "accept" } } },
  { "inet", FORWARD, "tcp dport 22 reject", { { M, key = "tcp dport", op = "==", value = 22 }, { "reject" } } },
  { "bridge", FORWARD, "ip6 daddr ::1 udp dport 53 accept",
    { { M, key = "ip6 daddr", op = "==", value = "::1" }, { M, key = "udp dport", op = "==", value = 53 },
      { "accept" } } },
  { "bridge", FORWARD, 'iifname "a" counter packets 0 bytes 0 accept',
    { { M, key = "iifname", op = "==", value = "a" }, { "counter" }, { "accept" } } },
  -- Docker's -m addrtype --dst-type LOCAL
  { "ip", NAT_PRE, "fib daddr type local jump DOCKER",
    { { M, key = "fib daddr type", op = "==", value = "local" }, { "jump", chain = "DOCKER" } } },
  { "ip", NAT_OUT, "ip daddr != 127.0.0.0/8 fib daddr type local jump DOCKER",
    { { M, key = "ip daddr", op = "!=", value = "127.0.0.0/8" },
      { M, key = "fib daddr type", op = "==", value = "local" }, { "jump", chain = "DOCKER" } } },
  { "ip", NAT_PRE, "fib daddr type != local return",
    { { M, key = "fib daddr type", op = "!=", value = "local" }, { "return" } } },
  { "ip", INPUT, "fib daddr type broadcast drop",
    { { M, key = "fib daddr type", op = "==", value = "broadcast" }, { "drop" } } },
  { "ip6", INPUT, "fib daddr type multicast tcp dport 22 drop",
    { { M, key = "fib daddr type", op = "==", value = "multicast" },
      { M, key = "tcp dport", op = "==", value = 22 }, { "drop" } } },
  { "ip6", NAT_PRE, "fib daddr type != unicast accept",
    { { M, key = "fib daddr type", op = "!=", value = "unicast" }, { "accept" } } },
  { "inet", FORWARD, "ip saddr 192.0.2.0/24 fib daddr type anycast drop",
    { { M, key = "ip saddr", op = "==", value = "192.0.2.0/24" },
      { M, key = "fib daddr type", op = "==", value = "anycast" }, { "drop" } } },
  { "inet", INPUT, "fib daddr type blackhole counter packets 0 bytes 0 drop",
    { { M, key = "fib daddr type", op = "==", value = "blackhole" }, { "counter" }, { "drop" } } },
  { "inet", INPUT, "fib daddr type unreachable reject",
    { { M, key = "fib daddr type", op = "==", value = "unreachable" }, { "reject" } } },
  { "ip", FORWARD, "fib daddr type prohibit drop", { { M, key = "fib daddr type", op = "==", value = "prohibit" },
    { "drop" } } },
  { "ip", FORWARD, "fib daddr type unspec drop", { { M, key = "fib daddr type", op = "==", value = "unspec" },
    { "drop" } } },
  -- ICMP types: after nft's meta l4proto (and in inet meta nfproto) dependency
  { "ip", INPUT, "icmp type echo-request drop", { { M, key = "icmp type", op = "==", value = "echo-request" },
    { "drop" } } },
  { "ip", INPUT, "icmp type != destination-unreachable accept",
    { { M, key = "icmp type", op = "!=", value = "destination-unreachable" }, { "accept" } } },
  { "ip", INPUT, "icmp type 200 drop", { { M, key = "icmp type", op = "==", value = 200 }, { "drop" } } },
  { "ip", INPUT, "icmp type echo-request icmp type != echo-reply drop",
    { { M, key = "icmp type", op = "==", value = "echo-request" },
      { M, key = "icmp type", op = "!=", value = "echo-reply" }, { "drop" } } },
  -- a protocol match before a statement guards it: kept
  { "ip", INPUT, "meta l4proto icmp counter packets 0 bytes 0 icmp type echo-reply accept",
    { { M, key = "meta l4proto", op = "==", value = "icmp" }, { "counter" },
      { M, key = "icmp type", op = "==", value = "echo-reply" }, { "accept" } } },
  { "ip", INPUT, "icmpv6 type echo-request drop", { { M, key = "icmpv6 type", op = "==", value = "echo-request" },
    { "drop" } } },
  { "ip6", INPUT, "icmpv6 type nd-neighbor-solicit accept",
    { { M, key = "icmpv6 type", op = "==", value = "nd-neighbor-solicit" }, { "accept" } } },
  { "ip6", INPUT, "icmp type echo-request drop", { { M, key = "icmp type", op = "==", value = "echo-request" },
    { "drop" } } },
  { "inet", INPUT, "icmp type echo-request drop", { { M, key = "icmp type", op = "==", value = "echo-request" },
    { "drop" } } },
  { "inet", INPUT, "icmpv6 type echo-reply accept", { { M, key = "icmpv6 type", op = "==", value = "echo-reply" },
    { "accept" } } },
  { "inet", INPUT, "ip saddr 10.0.0.1 icmp type echo-request drop",
    { { M, key = "ip saddr", op = "==", value = "10.0.0.1" },
      { M, key = "icmp type", op = "==", value = "echo-request" }, { "drop" } } },
  { "inet", INPUT, "ip protocol icmp icmp type echo-request drop",
    { { M, key = "ip protocol", op = "==", value = "icmp" },
      { M, key = "icmp type", op = "==", value = "echo-request" }, { "drop" } } },
  -- reject with: a code of the family (in inet its network protocol
  -- matched first), icmpx in inet, tcp reset after tcp (printed in inet)
  { "ip", INPUT, "tcp dport 80 reject with tcp reset",
    { { M, key = "tcp dport", op = "==", value = 80 }, { "reject", with = "tcp reset" } } },
  { "ip", INPUT, "reject with tcp reset", { { "reject", with = "tcp reset" } } },
  { "ip", INPUT, "reject with icmp host-unreachable", { { "reject", with = "icmp host-unreachable" } } },
  { "ip", INPUT, "reject with icmp 5", { { "reject", with = "icmp 5" } } },
  { "ip", INPUT, "meta l4proto icmp reject with icmp net-prohibited",
    { { M, key = "meta l4proto", op = "==", value = "icmp" }, { "reject", with = "icmp net-prohibited" } } },
  { "ip6", INPUT, "reject with icmpv6 addr-unreachable", { { "reject", with = "icmpv6 addr-unreachable" } } },
  { "ip6", INPUT, "reject with tcp reset", { { "reject", with = "tcp reset" } } },
  { "inet", INPUT, "reject with icmpx admin-prohibited", { { "reject", with = "icmpx admin-prohibited" } } },
  { "inet", INPUT, "reject with icmp host-unreachable", { { "reject", with = "icmp host-unreachable" } } },
  { "inet", INPUT, "reject with icmpv6 no-route", { { "reject", with = "icmpv6 no-route" } } },
  { "inet", INPUT, "ip saddr 10.0.0.1 reject with icmp port-unreachable",
    { { M, key = "ip saddr", op = "==", value = "10.0.0.1" }, { "reject", with = "icmp port-unreachable" } } },
  { "inet", INPUT, "icmp type echo-request reject with icmp host-unreachable",
    { { M, key = "icmp type", op = "==", value = "echo-request" }, { "reject", with = "icmp host-unreachable" } } },
  { "inet", INPUT, "meta l4proto tcp reject with tcp reset",
    { { M, key = "meta l4proto", op = "==", value = "tcp" }, { "reject", with = "tcp reset" } } },
}

describe("nft core", function()
  local test1, ns

  before_each(function()
    world.fresh()
    test1 = netns.add("test1")
    ns = test1.handle
  end)

  it("makes tables, base chains and regular chains in ip, ip6, inet and bridge", function()
    local ops = {}
    for _, family in ipairs({ "ip", "ip6", "inet", "bridge" }) do
      ops[#ops + 1] = add_table(family, "filter")
      ops[#ops + 1] = add_chain(family, "filter", "FORWARD",
        { type = "filter", hook = "forward", priority = 0, policy = "drop" })
      ops[#ops + 1] = add_chain(family, "filter", "INPUT", { hook = "input", priority = -10 })
      ops[#ops + 1] = add_chain(family, "filter", "DOCKER")
    end
    ns:nft_apply(ops)
    local items = ruleset(test1)
    local tables, chains = objects(items, "table"), objects(items, "chain")
    assert.equal(4, #tables)
    assert.equal(12, #chains)
    local mine = ns:nft_list()
    for _, family in ipairs({ "ip", "ip6", "inet", "bridge" }) do
      local t = assert(world.find(tables, "family", family))
      assert.same({ family = family, name = "filter", handle = t.handle },
        world.find(mine.tables, "family", family))
      local function theirs(name)
        for _, c in ipairs(chains) do
          if c.family == family and c.name == name then return c end
        end
      end
      local function ours(name)
        for _, c in ipairs(mine.chains) do
          if c.family == family and c.name == name then return c end
        end
      end
      local fwd = theirs("FORWARD")
      assert.same({ "filter", "forward", 0, "drop" }, { fwd.type, fwd.hook, fwd.prio, fwd.policy })
      assert.same({ family = family, table = "filter", name = "FORWARD", handle = fwd.handle,
                    type = "filter", hook = "forward", priority = 0, policy = "drop" }, ours("FORWARD"))
      local input = theirs("INPUT")
      assert.same({ "filter", "input", -10, "accept" }, { input.type, input.hook, input.prio, input.policy })
      assert.same({ "filter", "input", -10, "accept" },
        { ours("INPUT").type, ours("INPUT").hook, ours("INPUT").priority, ours("INPUT").policy })
      assert.is_nil(theirs("DOCKER").hook)
      assert.same({ family = family, table = "filter", name = "DOCKER", handle = theirs("DOCKER").handle },
        ours("DOCKER"))
    end
  end)

  it("makes the bytecode nft makes for the same text, and nft prints it back as written", function()
    for i, case in ipairs(RULES) do
      local family, base, text, exprs = case[1], case[2], case[3], case[4]
      local t = "t" .. i
      ns:nft_apply({
        add_table(family, t),
        add_chain(family, t, "mine", base),
        add_chain(family, t, "theirs", base),
        add_chain(family, t, "DOCKER"),
        add_rule(family, t, "mine", exprs),
      })
      world.sh(test1, string.format("nft add rule %s %s theirs %s", family, t, quote(text)))
      local theirs = bytecode(test1, family, t, "theirs")
      assert.matches("%[ ", theirs)
      assert.equal(theirs, bytecode(test1, family, t, "mine"), text)
      assert.same({ text }, rule_lines(test1, family, t, "mine"))
    end
  end)

  -- Every ICMP and ICMPv6 type, and every code of reject with icmp,
  -- icmpv6 and icmpx, made by nft and read back: nslab prints each as nft
  -- lists it (a name where nft has one, else the number), and its exprs
  -- make the very bytecode again.
  it("names every ICMP type and reject code as nft does", function()
    local lines = { "add table inet t", "add chain inet t c { type filter hook input priority 0; }" }
    -- (nft takes codes up to 127, icmpx up to 3)
    local forms = { { "icmp type %d accept", 255 }, { "icmpv6 type %d accept", 255 },
                    { "reject with icmp %d", 127 }, { "reject with icmpv6 %d", 127 },
                    { "reject with icmpx %d", 3 } }
    local count = 0
    for _, form in ipairs(forms) do
      for n = 0, form[2] do lines[#lines + 1] = "add rule inet t c " .. form[1]:format(n) end
      count = count + form[2] + 1
    end
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    world.sh(test1, "nft -f " .. path)
    os.remove(path)
    local theirs = rule_lines(test1, "inet", "t", "c")
    local rules = ns:nft_list("inet").rules
    assert.equal(count, #theirs)
    local texts, exprs = {}, {}
    for i, r in ipairs(rules) do texts[i], exprs[i] = r.text, r.exprs end
    assert.same(theirs, texts)
    assert.equal("icmp type echo-request accept", texts[8 + 1])
    assert.equal("reject with icmpx admin-prohibited", texts[count])
    -- the same rules made from nslab's exprs: the same bytecode
    local ops = { add_table("inet", "u"), add_chain("inet", "u", "c", INPUT) }
    for _, e in ipairs(exprs) do ops[#ops + 1] = add_rule("inet", "u", "c", e) end
    ns:nft_apply(ops)
    assert.equal(bytecode(test1, "inet", "t", "c"), bytecode(test1, "inet", "u", "c"))
  end)

  it("reads rules back into the same exprs, also rules nft made", function()
    local ops = {}
    for i, case in ipairs(RULES) do
      local family, base, exprs = case[1], case[2], case[4]
      local t = "t" .. i
      ops[#ops + 1] = add_table(family, t)
      ops[#ops + 1] = add_chain(family, t, "c", base)
      ops[#ops + 1] = add_chain(family, t, "DOCKER")
      ops[#ops + 1] = add_rule(family, t, "c", exprs)
    end
    ns:nft_apply(ops)
    for i, case in ipairs(RULES) do
      world.sh(test1, string.format("nft add rule %s t%d c %s", case[1], i, quote(case[3])))
    end
    local rules = ns:nft_list().rules
    assert.equal(2 * #RULES, #rules)
    for i, case in ipairs(RULES) do
      local family, text, exprs = case[1], case[3], case[4]
      local mine, theirs = rules[2 * i - 1], rules[2 * i]
      assert.same({ family, "t" .. i, "c" }, { mine.family, mine.table, mine.chain })
      assert.same(decoded(exprs), mine.exprs, text)
      assert.same(decoded(exprs), theirs.exprs, text)
      assert.same({ text, text }, { mine.text, theirs.text })
      assert.is_true(theirs.handle > mine.handle)
    end
  end)

  it("computes the text nft prints and the exprs the kernel holds, in memory", function()
    for _, case in ipairs(RULES) do
      local family, text, exprs = case[1], case[3], case[4]
      local got, canonical = core.nft_rule(family, exprs, true)
      assert.equal(text, got)
      assert.same(decoded(exprs), canonical, text)
      assert.equal((text:gsub("counter packets 0 bytes 0", "counter")), (core.nft_rule(family, exprs)))
    end
  end)

  it("merges a source and destination port match into one load, as nft does", function()
    ns:nft_apply({ add_table("ip", "t"), add_chain("ip", "t", "mine"), add_chain("ip", "t", "theirs"),
      add_rule("ip", "t", "mine", { { M, key = "tcp dport", op = "==", value = 22 },
        { M, key = "ip saddr", op = "==", value = "192.0.2.1" },
        { M, key = "tcp sport", op = "==", value = 1024 }, { "accept" } }) })
    world.sh(test1, "nft add rule ip t theirs tcp dport 22 ip saddr 192.0.2.1 tcp sport 1024 accept")
    assert.equal(bytecode(test1, "ip", "t", "theirs"), bytecode(test1, "ip", "t", "mine"))
    assert.matches("payload load 4b @ transport header %+ 0", bytecode(test1, "ip", "t", "mine"))
    -- and it reads back the way nft prints it
    assert.same({ "ip saddr 192.0.2.1 tcp sport 1024 tcp dport 22 accept" }, rule_lines(test1, "ip", "t", "mine"))
    assert.same({ { M, key = "ip saddr", op = "==", value = "192.0.2.1" },
                  { M, key = "tcp sport", op = "==", value = 1024 },
                  { M, key = "tcp dport", op = "==", value = 22 }, { "accept" } },
      ns:nft_list("ip", "t").rules[1].exprs)
  end)

  it("prints the Docker rules exactly as nft syntax", function()
    ns:nft_apply({
      add_table("ip", "nat"),
      add_chain("ip", "nat", "POSTROUTING", NAT_POST),
      add_chain("ip", "nat", "PREROUTING", NAT_PRE),
      add_chain("ip", "nat", "DOCKER"),
      add_rule("ip", "nat", "POSTROUTING", RULES[1][4]),
      add_rule("ip", "nat", "PREROUTING", { { "jump", chain = "DOCKER" } }),
      add_rule("ip", "nat", "DOCKER", RULES[2][4]),
      add_table("ip", "filter"),
      add_chain("ip", "filter", "FORWARD", { type = "filter", hook = "forward", priority = 0, policy = "drop" }),
      add_rule("ip", "filter", "FORWARD", RULES[6][4]),
      add_rule("ip", "filter", "FORWARD", RULES[9][4]),
    })
    local text = world.sh(test1, "nft list ruleset")
    for _, line in ipairs({
      'ip saddr 172.17.0.0/16 oifname != "docker0" counter packets 0 bytes 0 masquerade',
      "jump DOCKER", "tcp dport 8080 dnat to 172.17.0.2:80",
      "ct state established,related accept", 'iifname "br0" accept',
      "type filter hook forward priority filter; policy drop;",
    }) do
      assert.truthy(text:find("\t\t" .. line .. "\n", 1, true), line .. " in\n" .. text)
    end
  end)

  it("counts real traffic", function()
    world.cable(test1, netns.add("test2"), "192.168.1.1/24", "192.168.1.2/24")
    ns:nft_apply({
      add_table("ip", "filter"),
      add_chain("ip", "filter", "OUTPUT", { type = "filter", hook = "output", priority = 0 }),
      add_rule("ip", "filter", "OUTPUT", { { M, key = "ip daddr", op = "==", value = "192.168.1.2" },
        { M, key = "meta l4proto", op = "==", value = "icmp" }, { "counter" }, { "accept" } }),
    })
    assert.equal(3, test1:ping("192.168.1.2", { count = 3, interval = 0.01 }).received)
    local exprs = ns:nft_list("ip", "filter").rules[1].exprs
    assert.equal(3, exprs[3].packets)
    assert.is_true(exprs[3].bytes >= 3 * 28, "three ICMP packets' worth of bytes")
    local rule = objects(ruleset(test1), "rule")[1]
    assert.same({ packets = exprs[3].packets, bytes = exprs[3].bytes }, rule.expr[3].counter)
  end)

  it("matches fib daddr type local on the addresses of the namespace", function()
    world.cable(test1, netns.add("test2"), "192.168.1.1/24", "192.168.1.2/24")
    ns:nft_apply({
      add_table("ip", "filter"),
      add_chain("ip", "filter", "OUTPUT", { type = "filter", hook = "output", priority = 0 }),
      add_rule("ip", "filter", "OUTPUT", { { M, key = "fib daddr type", op = "==", value = "local" },
        { M, key = "meta l4proto", op = "==", value = "icmp" }, { "counter" } }),
      add_rule("ip", "filter", "OUTPUT", { { M, key = "fib daddr type", op = "!=", value = "local" },
        { M, key = "meta l4proto", op = "==", value = "icmp" }, { "counter" } }),
    })
    test1:link("lo"):up()
    assert.equal(2, test1:ping("192.168.1.1", { count = 2, interval = 0.01 }).received)
    assert.equal(3, test1:ping("192.168.1.2", { count = 3, interval = 0.01 }).received)
    local rules = ns:nft_list("ip", "filter").rules
    assert.equal(4, rules[1].exprs[3].packets, "echo requests to its own address, and their replies")
    assert.equal(3, rules[2].exprs[3].packets, "echo requests to the peer")
  end)

  it("takes fib daddr type in every hook nft does, and in no bridge table", function()
    local ops = { add_table("ip", "t") }
    for _, hook in ipairs({ "prerouting", "input", "forward", "output", "postrouting" }) do
      ops[#ops + 1] = add_chain("ip", "t", hook, { hook = hook, priority = 0 })
      ops[#ops + 1] = add_rule("ip", "t", hook, { { M, key = "fib daddr type", op = "==", value = "local" } })
      world.sh(test1,
        string.format("nft add table ip u; nft add chain ip u %s '{ type filter hook %s priority 0; }';" ..
        " nft add rule ip u %s fib daddr type local", hook, hook, hook))
    end
    ns:nft_apply(ops)
    assert.equal(10, #ns:nft_list("ip").rules)
    ns:nft_apply({ add_table("bridge", "t"), add_chain("bridge", "t", "c", FORWARD) })
    assert.has_error(function()
      ns:nft_apply({ add_rule("bridge", "t", "c", { { M, key = "fib daddr type", op = "==", value = "local" } }) })
    end, "nft: op 1 (add rule bridge t c): fib daddr type is only valid in ip, ip6 and inet tables")
    -- nft sends it, and the kernel has no fib for bridge
    local theirs = test1:exec("nft add rule bridge t c fib daddr type local")
    assert.is_true(theirs.status ~= 0)
    assert.matches("No such file or directory", theirs.stderr)
    assert.same({}, ns:nft_list("bridge").rules)
  end)

  it("applies a batch whole or not at all, and says which op failed", function()
    ns:nft_apply({ add_table("ip", "nat"), add_chain("ip", "nat", "POSTROUTING", NAT_POST),
      add_rule("ip", "nat", "POSTROUTING", { { "masquerade" } }) })
    local before = ruleset(test1)
    assert.has_error(function()
      ns:nft_apply({
        add_chain("ip", "nat", "DOCKER"),
        add_rule("ip", "nat", "POSTROUTING", { { "counter" }, { "accept" } }),
        add_rule("ip", "nat", "NOPE", { { "accept" } }),
        add_table("ip", "filter"),
      })
    end, "nft: op 3 (add rule ip nat NOPE): No such file or directory")
    assert.same(before, ruleset(test1))
    -- the socket is still in step: the next batch and a listing work
    ns:nft_apply({ add_chain("ip", "nat", "DOCKER") })
    assert.equal(2, #ns:nft_list().chains)
  end)

  it("applies a large batch, and reports the first of many errors", function()
    local ops = { add_table("ip", "t"), add_chain("ip", "t", "c") }
    for i = 1, 600 do
      ops[#ops + 1] = add_rule("ip", "t", "c", { { M, key = "tcp dport", op = "==", value = i }, { "accept" } })
    end
    ns:nft_apply(ops)
    assert.equal(600, #ns:nft_list().rules)
    local bad = {}
    for i = 1, 600 do bad[i] = add_rule("ip", "t", "missing", { { "accept" } }) end
    assert.has_error(function() ns:nft_apply(bad) end,
      "nft: op 1 (add rule ip t missing): No such file or directory")
    assert.equal(600, #ns:nft_list().rules)
  end)

  it("adds at a position, inserts, and deletes a rule by its handle", function()
    local function rule(port) return { { M, key = "tcp dport", op = "==", value = port }, { "accept" } } end
    ns:nft_apply({ add_table("ip", "t"), add_chain("ip", "t", "c"),
      add_rule("ip", "t", "c", rule(1)), add_rule("ip", "t", "c", rule(3)) })
    local handles = {}
    for _, r in ipairs(ns:nft_list().rules) do handles[#handles + 1] = r.handle end
    ns:nft_apply({
      add_rule("ip", "t", "c", rule(2), { handle = handles[1] }),                       -- after 1
      { op = "insert", object = "rule", family = "ip", table = "t", chain = "c", exprs = rule(0) },
      { op = "insert", object = "rule", family = "ip", table = "t", chain = "c", exprs = rule(4),
        handle = handles[2] },                                                          -- before 3
    })
    assert.same({ "tcp dport 0 accept", "tcp dport 1 accept", "tcp dport 2 accept", "tcp dport 4 accept",
                  "tcp dport 3 accept" }, rule_lines(test1, "ip", "t", "c"))
    ns:nft_apply({ { op = "delete", object = "rule", family = "ip", table = "t", chain = "c", handle = handles[1] } })
    local left = objects(ruleset(test1), "rule")
    assert.equal(4, #left)
    assert.is_nil(world.find(left, "handle", handles[1]))
    assert.same({ "tcp dport 0 accept", "tcp dport 2 accept", "tcp dport 4 accept", "tcp dport 3 accept" },
      rule_lines(test1, "ip", "t", "c"))
  end)

  it("flushes a chain, a table and the ruleset; deletes chains and tables", function()
    local accept = { { "accept" } }
    ns:nft_apply({ add_table("ip", "t"), add_chain("ip", "t", "a"), add_chain("ip", "t", "b"),
      add_rule("ip", "t", "a", accept), add_rule("ip", "t", "a", accept), add_rule("ip", "t", "b", accept),
      add_table("inet", "u"), add_chain("inet", "u", "c") })
    ns:nft_apply({ { op = "flush", object = "chain", family = "ip", table = "t", chain = "a" } })
    assert.same({ "b" }, world.pluck(objects(ruleset(test1), "rule"), "chain"))
    ns:nft_apply({ add_rule("ip", "t", "a", accept),
      { op = "flush", object = "table", family = "ip", table = "t" } })
    assert.same({}, objects(ruleset(test1), "rule"))
    assert.equal(3, #objects(ruleset(test1), "chain"))
    ns:nft_apply({ { op = "delete", object = "chain", family = "ip", table = "t", chain = "b" } })
    assert.same({ "a", "c" }, world.pluck(objects(ruleset(test1), "chain"), "name"))
    ns:nft_apply({ { op = "delete", object = "table", family = "inet", table = "u" } })
    assert.same({ "ip" }, world.pluck(objects(ruleset(test1), "table"), "family"))
    ns:nft_apply({ add_table("ip6", "v"), { op = "flush", object = "ruleset", family = "ip" } })
    assert.same({ "ip6" }, world.pluck(objects(ruleset(test1), "table"), "family"))
    ns:nft_apply({ { op = "flush", object = "ruleset" } })
    assert.same({}, ruleset(test1))
  end)

  it("lists one family, or one table", function()
    ns:nft_apply({ add_table("ip", "a"), add_chain("ip", "a", "c"), add_rule("ip", "a", "c", { { "drop" } }),
      add_table("ip", "b"), add_chain("ip", "b", "c"), add_table("ip6", "a"), add_chain("ip6", "a", "c") })
    local ip = ns:nft_list("ip")
    assert.same({ "a", "b" }, world.pluck(ip.tables, "name"))
    assert.same({ "ip", "ip" }, world.pluck(ip.chains, "family"))
    local a = ns:nft_list("ip", "a")
    assert.same({ { family = "ip", table = "a", chain = "c", handle = a.rules[1].handle, exprs = { { "drop" } },
                    text = "drop", plain = "drop" } },
      a.rules)
    assert.same({ "a" }, world.pluck(a.tables, "name"))
    assert.equal(1, #a.chains)
    assert.equal(3, #ns:nft_list().chains)
    assert.has_error(function() ns:nft_list("ipx") end,
      'nft list: argument 1 (family) must be one of ip, ip6, inet or bridge, got "ipx"')
  end)

  it("reads netdev chains the nft CLI made: hook, device, and rules without their ethertype dependency", function()
    test1:exec("ip link add d0 type veth peer name d1")
    world.sh(test1, "nft add table netdev f && nft 'add chain netdev f in { type filter hook ingress device d0 "
      .. "priority 0; policy drop; }' && nft add rule netdev f in ip protocol icmp counter drop"
      .. " && nft add rule netdev f in ip6 daddr ::1 accept")
    local rs = ns:nft_list()
    assert.same({ family = "netdev", table = "f", name = "in", handle = rs.chains[1].handle, type = "filter",
                  hook = "ingress", priority = 0, policy = "drop", device = "d0" }, rs.chains[1])
    assert.same({ "ip protocol icmp counter drop", "ip6 daddr ::1 accept" }, world.pluck(rs.rules, "plain"))
    -- the witness: nft says the same of the chain (its JSON here has no
    -- device: nft 1.0.6 reads only the old single-device attribute)
    assert.truthy(world.sh(test1, "nft list chain netdev f in")
                    :find('type filter hook ingress device "d0" priority filter; policy drop;', 1, true))
  end)

  it("reads a rule it has no words for as unknown", function()
    world.sh(test1, "nft add table ip t; nft add chain ip t c; nft add rule ip t c ip ttl 3 accept;" ..
      " nft add rule ip t c meta mark 3 accept; nft add rule ip t c limit rate 3/second accept;" ..
      " nft add rule ip t c fib saddr type local accept; nft add rule ip t c fib daddr . iif type local accept;" ..
      " nft add rule ip t c fib daddr type 9 accept")
    local rules = ns:nft_list().rules
    assert.same({ { "unknown", name = "payload" } }, rules[1].exprs)
    assert.same({ { "unknown", name = "meta" } }, rules[2].exprs)
    assert.same({ { "unknown", name = "limit" } }, rules[3].exprs)
    assert.same({ { "unknown", name = "fib" } }, rules[4].exprs)
    assert.same({ { "unknown", name = "fib" } }, rules[5].exprs)
    assert.same({ { "unknown", name = "fib" } }, rules[6].exprs)
  end)

  describe("errors", function()
    before_each(function()
      ns:nft_apply({ add_table("ip", "nat"), add_chain("ip", "nat", "POSTROUTING", NAT_POST) })
    end)

    local function fails(message, ops)
      assert.has_error(function() ns:nft_apply(ops) end, message)
    end

    local function rule(exprs) return { add_rule("ip", "nat", "POSTROUTING", exprs) } end

    it("an unknown table or chain", function()
      fails("nft: op 1 (add chain ip nope FOO): No such file or directory", { add_chain("ip", "nope", "FOO") })
      fails("nft: op 1 (add rule ip nat FOO): No such file or directory",
        { add_rule("ip", "nat", "FOO", { { "accept" } }) })
      fails("nft: op 1 (delete table ip6 nat): No such file or directory",
        { { op = "delete", object = "table", family = "ip6", table = "nat" } })
      fails("nft: op 1 (delete rule ip nat POSTROUTING handle 999): No such file or directory",
        { { op = "delete", object = "rule", family = "ip", table = "nat", chain = "POSTROUTING", handle = 999 } })
      fails("nft: op 1 (add rule ip nat POSTROUTING): No such file or directory", rule({ { "jump",
        chain = "NOWHERE" } }))
    end)

    -- the message starts so (the rest lists every choice)
    local function fails_like(start, ops)
      local ok, err = pcall(ns.nft_apply, ns, ops)
      assert.is_false(ok)
      assert.equal(start, tostring(err):sub(1, #start))
    end

    it("a bad priority, hook, type or policy, before anything is sent", function()
      local function chain(base) return { add_chain("ip", "nat", "FOO", base) } end
      local pre = "nft: op 1 (add chain ip nat FOO): "
      fails(pre .. [[option 'priority' must be an integer -2147483648..2147483647, got "srcnat"]],
        chain({ type = "nat", hook = "postrouting", priority = "srcnat" }))
      fails(pre .. "option 'priority' must be an integer -2147483648..2147483647, got 1.5",
        chain({ type = "nat", hook = "postrouting", priority = 1.5 }))
      fails(pre .. "a base chain needs a priority", chain({ hook = "input" }))
      fails(pre .. [[option 'hook' must be one of prerouting, input, forward, output or postrouting, got "postroutin"]],
        chain({ type = "nat", hook = "postroutin", priority = 100 }))
      fails(pre .. [[option 'type' must be one of filter, nat or route, got "nut"]],
        chain({ type = "nut", hook = "postrouting", priority = 100 }))
      fails(pre .. [[option 'policy' must be one of accept or drop, got "reject"]],
        chain({ hook = "input", priority = 0, policy = "reject" }))
      fails(pre .. "type, priority and policy are for a base chain (give a hook)", chain({ policy = "drop" }))
      assert.equal(1, #ns:nft_list().chains)
    end)

    it("misspelled or misplaced keys", function()
      fails("nft: op 1 (add rule ip nat): invalid option 'chian'",
        { { op = "add", object = "rule", family = "ip", table = "nat", chian = "POSTROUTING", exprs = {} } })
      fails("nft: op 1 (add rule ip nat POSTROUTING): invalid option 'hook'",
        { add_rule("ip", "nat", "POSTROUTING", {}, { hook = "input" }) })
      fails([[nft: op 2: option 'op' must be one of add, insert, delete or flush, got "ad"]],
        { add_table("ip", "x"), { op = "ad", object = "table", family = "ip", table = "y" } })
      fails("nft: op 1: cannot insert a table", { { op = "insert", object = "table", family = "ip", table = "x" } })
      fails([[nft: op 1: option 'family' must be one of ip, ip6, inet or bridge, got "ipx"]],
        { add_table("ipx", "x") })
      fails("nft: op 1 (delete rule ip nat POSTROUTING): option 'handle' is required (an integer 1..9007199254740992)",
        { { op = "delete", object = "rule", family = "ip", table = "nat", chain = "POSTROUTING" } })
      fails("nft rule match: invalid option 'vaule'", rule({ { M, key = "tcp dport", vaule = 1 } }))
      fails("nft rule dnat: invalid option 'to'", rule({ { "dnat", to = "1.2.3.4" } }))
      fails("nft rule accept: invalid option 'chain'", rule({ { "accept", chain = "X" } }))
      fails("nft rule counter: invalid option 'packet'", rule({ { "counter", packet = 1 } }))
      fails("nft rule: a rule needs at least one expression", rule({}))
      local many = {}
      for i = 1, 257 do many[i] = { "counter" } end
      fails("nft rule: at most 256 expressions in a rule, got 257", rule(many))
      fails('nft rule: a rule must be a list, got the key "verdict"', rule({ { "accept" }, verdict = "drop" }))
      fails('nft apply: argument 1 (ops) must be a list, got the key "atomic"', { atomic = true })
    end)

    it("names of no length, or longer than the kernel keeps, before any message is built", function()
      local long = string.rep("t", 16384)
      fails_like("nft: op 1 (add table ip): option 'table' must be a string of 1..255 bytes without " ..
        "NUL, got a string of 16384 bytes",
        { add_table("ip", long) })
      fails_like("nft: op 1 (add chain ip nat): option 'chain' must be a string of 1..255 bytes",
        { add_chain("ip", "nat", long) })
      fails_like("nft: op 1 (add rule ip): option 'table' must be a string of 1..255 bytes",
        { add_rule("ip", long, long, { { "accept" } }) })
      fails_like("nft: op 1 (add table ip): option 'table' must be a string of 1..255 bytes without NUL, got \"\"",
        { add_table("ip", "") })
      fails_like("nft: op 1 (add chain ip nat): option 'chain' must be a string of 1..255 bytes without NUL, got \"\"",
        { add_chain("ip", "nat", "") })
      fails_like("nft: op 1 (add table ip): option 'table' must be a string of 1..255 bytes without " ..
        "NUL, got a string with a NUL",
        { add_table("ip", "a\0b") })
      fails_like("nft rule jump: option 'chain' must be a string of 1..255 bytes", rule({ { "jump", chain = long } }))
      -- names that would not print back as themselves
      fails([[nft: op 1 (add table ip): table name: letters, digits, '_', '.', '/' and '-' only]],
        { add_table("ip", "a b") })
      fails([[nft: op 1 (add chain ip nat): chain name: letters, digits, '_', '.', '/' and '-' only]],
        { add_chain("ip", "nat", "a\nb") })
      fails([[nft: op 1 (add rule ip nat POSTROUTING): chain name: letters, digits, '_', '.', '/' and '-' only]],
        rule({ { "jump", chain = 'x"y' } }))
      -- 255 bytes is the longest name there is
      ns:nft_apply({ add_table("ip", string.rep("n", 255)) })
      assert.equal(255, #ns:nft_list("ip", string.rep("n", 255)).tables[1].name)
      assert.has_error(function() ns:nft_list("ip", string.rep("n", 4096)) end,
        "nft list: argument 2 (table) must be a string of 1..255 bytes without NUL, got a string of 4096 bytes")
      assert.has_error(function() ns:nft_list("ip", "") end,
        'nft list: argument 2 (table) must be a string of 1..255 bytes without NUL, got ""')
      assert.equal(2, #ns:nft_list().tables)
    end)

    it("bad arguments name the operation", function()
      assert.has_error(function() ns:nft_apply(nil) end, "nft apply: argument 1 (ops) must be a table, got nil")
      assert.has_error(function() ns:nft_apply({}, 1) end, "nft apply: too many arguments (2 given, at most 1)")
      assert.has_error(function() ns:nft_apply({ 5 }) end, "nft: op 1: expected a table, got number")
      assert.has_error(function() ns:nft_list("ip", "nat", 3) end, "nft list: too many arguments (3 given, at most 2)")
      assert.has_error(function() ns:nft_list(5) end,
        "nft list: argument 1 (family) must be one of ip, ip6, inet or bridge, got 5")
      assert.has_error(function() core.nft_rule("ip", { { "accept" } }, 1, 2) end,
        "nft rule: too many arguments (4 given, at most 3)")
      assert.has_error(function() core.nft_rule(nil, {}) end,
        "nft rule: argument 1 (family) must be one of ip, ip6, inet or bridge, got nil")
      assert.has_error(function() ns:nft_apply(rule({ "accept" })) end,
        "nft rule: expression 1 must be a table, got string")
    end)

    it("an unknown token or a malformed value names it", function()
      fails('nft rule: unknown statement "acept"', rule({ { "acept" } }))
      fails_like([[nft rule match: option 'key' must be one of iifname, oifname, ip saddr, ]],
        rule({ { M, key = "ip ttl", op = "==", value = 1 } }))
      fails('nft rule: "172.17.0.300/16" is not an IPv4 prefix',
        rule({ { M, key = "ip saddr", op = "==", value = "172.17.0.300/16" } }))
      fails('nft rule: "99999999999999999999.0.0.1/8" is not an IPv4 prefix',
        rule({ { M, key = "ip saddr", op = "==", value = "99999999999999999999.0.0.1/8" } }))
      fails('nft rule: "2001:db8::1" is not an IPv4 address',
        rule({ { M, key = "ip daddr", op = "==", value = "2001:db8::1" } }))
      fails('nft rule: dnat to "docker0": not an IPv4 address', rule({ { "dnat", addr = "docker0" } }))
      fails('nft rule: snat to "10.0.0.0/8": not an IPv4 address', rule({ { "snat", addr = "10.0.0.0/8" } }))
      fails("nft rule: tcp dport 70000: not a port (0..65535)", rule({ { M, key = "tcp dport", op = "==",
        value = 70000 } }))
      fails('nft rule: meta l4proto "sctpx": not a protocol (tcp, udp, icmp, icmpv6, a name of ' ..
        '/etc/protocols or 0..255)',
        rule({ { M, key = "meta l4proto", op = "==", value = "sctpx" } }))
      fails('nft rule: ct state "establised": not a conntrack state (new, established, related, invalid, untracked)',
        rule({ { M, key = "ct state", op = "==", value = { "establised" } } }))
      fails('nft rule: ct state "new" given twice',
        rule({ { M, key = "ct state", op = "==", value = { "new", "established", "new" } } }))
      fails('nft rule: iifname "averyverylongname": interface name longer than 15 bytes',
        rule({ { M, key = "iifname", op = "==", value = "averyverylongname" } }))
      fails([[nft rule: iifname "a\nb": not an interface name (printable, no '/', ':', '"', '*' or spaces)]],
        rule({ { M, key = "iifname", op = "==", value = "a\nb" } }))
      fails([[nft rule: oifname "e*th": not an interface name (printable, no '/', ':', '"', '*' or spaces)]],
        rule({ { M, key = "oifname", op = "==", value = "e*th" } }))
      fails([[nft rule match: option 'op' must be one of == or !=, got "<"]],
        rule({ { M, key = "iifname", op = "<", value = "x" } }))
      fails('nft rule: fib daddr type "lokal": not an address type (unicast, local, broadcast, anycast, '
        .. 'multicast, blackhole, unreachable, prohibit or unspec)',
        rule({ { M, key = "fib daddr type", op = "==", value = "lokal" } }))
      fails("nft rule: fib daddr type 2: not an address type (unicast, local, broadcast, anycast, "
        .. "multicast, blackhole, unreachable, prohibit or unspec)",
        rule({ { M, key = "fib daddr type", op = "==", value = 2 } }))
      fails("nft rule jump: option 'chain' is required (a string of 1..255 bytes without NUL)", rule({ { "jump" } }))
      fails("nft rule log: option 'prefix' must be a string of 0..127 bytes without NUL, got a string of 128 bytes",
        rule({ { "log", prefix = string.rep("x", 128) } }))
    end)

    it("a rule nft would refuse, before anything is sent", function()
      fails("nft: op 2 (add rule ip nat POSTROUTING): conflicting protocols specified: ip vs. ip6",
        { add_chain("ip", "nat", "X"), add_rule("ip", "nat", "POSTROUTING", { { M, key = "ip6 saddr", op = "==",
          value = "::1" } }) })
      fails("nft: op 1 (add rule ip nat POSTROUTING): conflicting protocols specified: tcp vs. udp",
        rule({ { M, key = "tcp dport", op = "==", value = 1 }, { M, key = "udp dport", op = "==", value = 2 } }))
      fails("nft: op 1 (add rule ip nat POSTROUTING): transport protocol mapping is only valid " ..
        "after transport protocol match",
        rule({ { "snat", addr = "192.0.2.1", port = 80 } }))
      assert.equal(1, #ns:nft_list().chains)
    end)
  end)
end)
