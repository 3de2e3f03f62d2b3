-- nft syntax: the subset nslab reads, what it makes of it, and what it
-- refuses. No kernel involved: the parser is Lua, its words and the
-- canonical text come from the core's vocabulary, encoded and decoded in
-- memory (spec/nft_spec.lua checks that the kernel and `nft list ruleset`
-- agree).
local nft = require("nslab.nft")
local core = require("nslab.core")

describe("nft syntax", function()
  it("parses each form into the structured rule and prints it back as nft does", function()
    local cases = {
      { 'ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade',
        { { "match", key = "ip saddr", op = "==", value = "172.17.0.0/16" },
          { "match", key = "oifname", op = "!=", value = "docker0" }, { "counter" }, { "masquerade" } } },
      { 'tcp dport 8080 dnat to 172.17.0.2:80',
        { { "match", key = "tcp dport", op = "==", value = 8080 }, { "dnat", addr = "172.17.0.2", port = 80 } } },
      { 'ct state established,related accept',
        { { "match", key = "ct state", op = "==", value = { "established", "related" } }, { "accept" } } },
      { 'iifname "br0" accept', { { "match", key = "iifname", op = "==", value = "br0" }, { "accept" } } },
      { 'ip6 daddr != 2001:db8::/32 udp sport 53 drop',
        { { "match", key = "ip6 daddr", op = "!=", value = "2001:db8::/32" },
          { "match", key = "udp sport", op = "==", value = 53 }, { "drop" } }, "ip6" },
      { 'meta l4proto icmp log prefix "ping: " accept',
        { { "match", key = "meta l4proto", op = "==", value = "icmp" }, { "log", prefix = "ping: " }, { "accept" } } },
      { 'ip protocol tcp jump DOCKER', { { "match", key = "ip protocol", op = "==", value = "tcp" }, { "jump",
        chain = "DOCKER" } } },
      { 'snat to 198.51.100.1', { { "snat", addr = "198.51.100.1" } } },
      { 'goto OTHER', { { "goto", chain = "OTHER" } } },
      { 'reject', { { "reject" } } },
      { 'fib daddr type local jump DOCKER',
        { { "match", key = "fib daddr type", op = "==", value = "local" }, { "jump", chain = "DOCKER" } } },
      { 'ip daddr != 127.0.0.0/8 fib daddr type != local accept',
        { { "match", key = "ip daddr", op = "!=", value = "127.0.0.0/8" },
          { "match", key = "fib daddr type", op = "!=", value = "local" }, { "accept" } } },
      { 'return', { { "return" } } },
      { 'ct state != new accept', { { "match", key = "ct state", op = "!=", value = { "new" } }, { "accept" } } },
      { 'meta l4proto gre accept', { { "match", key = "meta l4proto", op = "==", value = "gre" }, { "accept" } } },
    }
    for _, case in ipairs(cases) do
      local exprs = nft.parse_as_written(case[1])
      assert.same(case[2], exprs, case[1])
      assert.equal(case[1], nft.format(exprs, false, case[3]))
      assert.equal(case[1], nft.format(nft.parse(case[1], case[3]), false, case[3]))
    end
    -- what the kernel will hold: counters with their numbers
    assert.same({ { "counter", packets = 0, bytes = 0 }, { "accept" } }, nft.parse("counter accept"))
  end)

  it("prints in nft's canonical form", function()
    assert.equal("ct state established,related accept", nft.format(nft.parse("ct state related, established accept")))
    assert.equal("meta l4proto tcp accept", nft.format(nft.parse("meta l4proto 6 accept")))
    assert.equal('iifname "br0" accept', nft.format(nft.parse('iifname == "br0" accept')))
    assert.equal('counter packets 3 bytes 252 drop',
                 nft.format({ { "counter", packets = 3, bytes = 252 }, { "drop" } }, true))
  end)

  it("refuses anything outside the subset, naming the token", function()
    local bad = {
      { 'ip saddr 10.0.0.1 acept', 'nft rule: unknown token "acept"' },
      { 'tcp dport http accept', 'nft rule: tcp dport "http": not a port (0..65535)' },
      { 'tcp dport 70000 accept', 'nft rule: tcp dport 70000: not a port (0..65535)' },
      { 'tcp dport 99999999999999999999 accept', 'nft rule: tcp dport "99999999999999999999": not a port' },
      { 'ct state new,bogus accept', 'nft rule: ct state "bogus": not a conntrack state' },
      -- found by fuzzing against nft: each was accepted, or an internal error
      { 'ct state new,new accept', 'nft rule: ct state "new" given twice' },
      { 'ct state established, related,established accept', 'nft rule: ct state "established" given twice' },
      { 'iifname "a\nb" accept',
        [[nft rule: iifname "a\nb": not an interface name (printable, no '/', ':', '"', '*' or spaces)]] },
      { 'oifname "a b" accept', [[nft rule: oifname "a b": not an interface name]] },
      { 'ip saddr 99999999999999999999.0.0.1/8 drop',
        'nft rule: "99999999999999999999.0.0.1/8" is not an IPv4 prefix' },
      { 'ip daddr 10.0.0.256 drop', 'nft rule: "10.0.0.256" is not an IPv4 address' },
      { 'ip6 daddr 2001:db8::1/129 drop', 'nft rule: "2001:db8::1/129" is not an IPv6 prefix' },
      { 'dnat ip6 to 192.0.2.1', 'nft rule: dnat ip6 to "192.0.2.1": not an IPv6 address' },
      { 'dnat ip to [2001:db8::1]:80', 'nft rule: dnat ip to "[2001:db8::1]:80": not an IPv4 address' },
      { 'tcp dport 80 dnat to [2001:db8::1]:80', 'nft rule: dnat to "2001:db8::1": not an IPv4 address' },
      { 'tcp dport 80 dnat to 192.0.2.1:0', 'nft rule dnat: option \'port\' must be an integer 1..65535, got 0' },
      { 'ip protocol tcp ip protocol 6 tcp sport 13 accept',
        'nft rule: ip protocol: the transport protocol is matched already' },
      { 'ct state "established\0x" accept', 'nft rule: ct state "established\\x00x": not a conntrack state' },
      { 'meta l4proto "tcp\0" accept', 'nft rule: meta l4proto "tcp\\x00": not a protocol' },
      { 'tcp dport 1 tcp dport 1 tcp sport 1 accept', 'nft rule: tcp dport: more than one == match in a rule' },
      { 'log prefix "a\nb"', "nft rule log: option 'prefix' must be printable text" },
      { 'dnat to docker0', 'nft rule: dnat to "docker0": not an IPv4 address' },
      { 'masquerade random', 'nft rule: unknown token "random"' },
      { 'ip saddr', 'nft rule: a value after ip saddr expected' },
      { 'log prefix x', 'nft rule: log prefix needs a "quoted string"' },
      { 'iifname "br0', 'nft rule: unterminated string' },
      { 'ct state != new,established accept', 'nft rule: ct state != takes one state' },
      { '', 'nft rule: empty rule' },
      { 'fib daddr type lokal accept', 'nft rule: fib daddr type "lokal": not an address type' },
    }
    for _, case in ipairs(bad) do
      local ok, err = pcall(nft.parse, case[1])
      assert.is_false(ok, case[1])
      assert.truthy(err:find(case[2], 1, true), ("%q gave %q"):format(case[1], err))
    end
  end)

  it("checks rules given as tables by the same rules", function()
    assert.has_error(function() nft.format({ { "match", key = "tcp dport", value = "http" } }) end,
      'nft rule: tcp dport "http": not a port (0..65535)')
    -- fields the statement does not have are errors, not dropped
    assert.has_error(function() nft.format({ { "match", key = "tcp dport", value = 1, vaule = 2 }, { "accept" } }) end,
      "nft rule match: invalid option 'vaule'")
    assert.has_error(function() nft.format({ { "accept", chain = "X" } }) end,
      "nft rule accept: invalid option 'chain'")
    assert.has_error(function() nft.format(5) end,
      "nft rule: a rule is a string or an array of expressions, got number")
  end)

  -- ICMP types and what a reject answers with, in nft's words; refused
  -- where nft refuses them, with nft's reason.
  it("reads icmp types and reject with, and refuses them where nft does", function()
    assert.same({ { "match", key = "icmp type", op = "==", value = "echo-request" }, { "drop" } },
      nft.parse("icmp type echo-request drop"))
    assert.same({ { "match", key = "icmpv6 type", op = "!=", value = 200 }, { "accept" } },
      nft.parse("icmpv6 type != 200 accept", "ip6"))
    assert.same({ { "reject", with = "icmp host-unreachable" } }, nft.parse("reject with icmp type host-unreachable"))
    assert.same({ { "reject", with = "icmp 5" } }, nft.parse("reject with icmp 5"))
    assert.equal("reject", nft.format("reject with icmp port-unreachable")) -- ip's own default
    assert.equal("reject with icmp port-unreachable", nft.format("reject with icmp port-unreachable", false, "inet"))
    assert.equal("icmp type destination-unreachable accept", nft.format("icmp type 3 accept"))
    local function refused(rule, family, message)
      assert.has_error(function() nft.format(rule, false, family) end, message)
    end
    refused("icmp type echo drop", "ip",
      "nft rule: icmp type \"echo\": not a type (0..255, or echo-request, destination-unreachable, ...)")
    refused("icmp type 256 drop", "ip",
      "nft rule: icmp type 256: not a type (0..255, or echo-request, destination-unreachable, ...)")
    refused("tcp dport 22 icmp type echo-request drop", "ip",
      "nft rule: conflicting protocols specified: tcp vs. icmp")
    refused("icmp type echo-request drop", "bridge",
      "nft rule: icmp type is only valid in ip, ip6 and inet tables here")
    refused("udp dport 53 reject with tcp reset", "ip", "nft rule: you cannot use tcp reset with this protocol")
    refused("reject with icmpv6 no-route", "ip", "nft rule: conflicting protocols specified: ip vs ip6")
    refused("reject with icmpx no-route", "ip6", "nft rule: abstracted ICMP unreachable not supported")
    refused("ip6 saddr ::1 reject with icmp host-unreachable", "inet",
      "nft rule: conflicting protocols specified: ip6 vs. ip")
    local bad = 'nft rule reject: with "%s": not "tcp reset", nor icmp, icmpv6 or icmpx and a code (a name nft has, '
      .. 'as in "icmp host-unreachable", or a number: 0..127, icmpx 0..3)'
    refused("reject with icmp 128", "ip", bad:format("icmp 128"))
    refused("reject with icmpx 4", "inet", bad:format("icmpx 4"))
    refused("reject with tcp rst", "ip", bad:format("tcp rst"))
    refused({ { "reject", with = "icmp host-unreachable extra" } }, "ip", bad:format("icmp host-unreachable extra"))
    refused("reject with", "ip", 'nft rule: tcp reset, or icmp, icmpv6 or icmpx and a code, after reject with '
      .. 'expected at the end of "reject with"')
  end)

  it("takes its words from the core's vocabulary", function()
    local vocabulary = core.nft_vocabulary()
    assert.same(vocabulary, nft.vocabulary)
    local keys = {}
    for _, k in ipairs(vocabulary.keys) do keys[k.name] = k.type end
    assert.same({ iifname = "ifname", oifname = "ifname", ["ip saddr"] = "address", ["ip daddr"] = "address",
                  ["ip6 saddr"] = "address", ["ip6 daddr"] = "address", ["meta l4proto"] = "protocol",
                  ["ip protocol"] = "protocol", ["tcp sport"] = "port", ["tcp dport"] = "port",
                  ["udp sport"] = "port", ["udp dport"] = "port", ["ct state"] = "ct_state",
                  ["fib daddr type"] = "fib_type", ["icmp type"] = "icmp_type",
                  ["icmpv6 type"] = "icmp_type" }, keys)
    -- every key parses, with a value of its type
    local values = { ifname = '"eth0"', address = nil, protocol = "tcp", port = "22", ct_state = "new",
                     fib_type = "local", icmp_type = "echo-request" }
    for _, k in ipairs(vocabulary.keys) do
      local value = values[k.type] or (k.family == "ip6" and "2001:db8::1" or "192.0.2.1")
      local family = k.family == "ip6" and "ip6" or "ip"
      assert.equal(k.name .. " " .. value .. " accept", nft.format(nft.parse(k.name .. " " .. value .. " accept",
        family),
                                                                   false, family))
    end
    local statements = {}
    for _, st in ipairs(vocabulary.statements) do statements[#statements + 1] = st.name end
    assert.same({ "match", "counter", "accept", "drop", "reject", "return", "jump", "goto", "masquerade",
                  "snat", "dnat", "log" }, statements)
    -- every statement reads, by the shape of its fields
    local samples = { counter = "counter", accept = "accept", drop = "drop", reject = "reject with tcp reset",
                      ["return"] = "return",
                      jump = "jump X", ["goto"] = "goto X", masquerade = "masquerade", snat = "snat to 192.0.2.1",
                      dnat = "dnat to 192.0.2.1", log = 'log prefix "x"' }
    for _, st in ipairs(vocabulary.statements) do
      if st.name ~= "match" then
        assert.equal(st.name, nft.parse_as_written((assert(samples[st.name], st.name)))[1][1])
      end
    end
    assert.same({ "invalid", "established", "related", "new", "untracked" }, vocabulary.ct_states)
    assert.same({ "ip", "ip6", "inet", "bridge" }, vocabulary.families)
    assert.same({ name = "srcnat", value = 100, families = "ip ip6 inet", hook = "postrouting" },
      vocabulary.priorities[6])
  end)

  it("explains rules in stock lua5.4 outside a world too (the core's guard lets these through)", function()
    local program = require("spec.support.program")
    local quote = program.quote
    -- still inside this spec's world for safety: only NSLAB_WORLD is unset
    local out, code, err = program.run("cd " .. quote(program.root) .. " && env -u NSLAB_WORLD " ..
      "LUA_PATH='lua/?.lua;;' LUA_CPATH='lib/?.so;;' lua5.4 -e " ..
      quote('print(require("nslab.nft").format("ip protocol tcp tcp dport 22 accept"))'))
    assert.equal(0, code, err)
    assert.equal("tcp dport 22 accept\n", out)
  end)

  it("names chain priorities as nft 1.0 does, where the hook allows the name", function()
    assert.equal("srcnat", nft.priority_text("ip", 100, "postrouting"))
    assert.equal("dstnat", nft.priority_text("inet", -100, "prerouting"))
    assert.equal("-100", nft.priority_text("ip", -100, "output"))
    assert.equal("100", nft.priority_text("ip", 100, "input"))
    assert.equal("filter", nft.priority_text("ip", 0, "forward"))
    assert.equal("filter + 5", nft.priority_text("ip", 5, "input"))
    assert.equal("95", nft.priority_text("ip", 95, "input"))
    assert.equal("filter", nft.priority_text("bridge", -200, "forward"))
    assert.equal("out", nft.priority_text("bridge", 100, "output"))
    assert.equal("1000", nft.priority_text("ip", 1000, "forward"))
  end)

  it("writes a rule the way nft will store and print it", function()
    local canonical = {
      { "ip protocol tcp tcp dport 80 accept", "tcp dport 80 accept" },
      { "meta l4proto udp udp dport 53 accept", "udp dport 53 accept" },
      { "meta l4proto tcp accept", "meta l4proto tcp accept" },
      { "tcp dport 2 tcp sport 1 accept", "tcp sport 1 tcp dport 2 accept" },
      { "ip saddr 10.1.2.3/8 drop", "ip saddr 10.0.0.0/8 drop" },
      { "ip daddr 192.0.2.7/32 drop", "ip daddr 192.0.2.7 drop" },
      { "meta l4proto 47 accept", "meta l4proto gre accept" },
      { "meta l4proto icmpv6 accept", "meta l4proto ipv6-icmp accept" },
      { "ct state related, established accept", "ct state established,related accept" },
      -- IPv6 prefixes lose their host bits too, /128 is the address
      { "ip6 saddr 2001:db8::1/32 drop", "ip6 saddr 2001:db8::/32 drop", "ip6" },
      { "ip6 daddr 2001:DB8:0:0:0:0:0:1/128 drop", "ip6 daddr 2001:db8::1 drop", "ip6" },
      { "ip6 daddr 2001:db8:ffff::1/33 drop", "ip6 daddr 2001:db8:8000::/33 drop", "inet" },
      -- IPv6 NAT, in ip6 and inet tables
      { "tcp dport 80 dnat to [2001:db8::1]:8080", "tcp dport 80 dnat to [2001:db8::1]:8080", "ip6" },
      { "tcp dport 80 dnat ip6 to [2001:db8::1]:8080", "tcp dport 80 dnat to [2001:db8::1]:8080", "ip6" },
      { "dnat to [2001:db8::1]", "dnat to 2001:db8::1", "ip6" },
      { "snat to 2001:db8::2", "snat to 2001:db8::2", "ip6" },
      { "tcp dport 80 dnat ip6 to [2001:db8::1]:8080", "tcp dport 80 dnat ip6 to [2001:db8::1]:8080", "inet" },
      { "snat ip6 to 2001:db8::2", "snat ip6 to 2001:db8::2", "inet" },
      { "udp dport 53 snat to [2001:db8::2]:5353", "udp dport 53 snat ip6 to [2001:db8::2]:5353", "inet" },
      -- ip protocol is nft's own dependency only in ip tables
      { "ip protocol tcp tcp dport 80 accept", "ip protocol tcp tcp dport 80 accept", "inet" },
      { "meta l4proto tcp tcp dport 80 accept", "tcp dport 80 accept", "inet" },
    }
    for _, case in ipairs(canonical) do
      assert.equal(case[2], nft.format(nft.parse(case[1], case[3]), false, case[3]), case[1])
      assert.equal(case[2], nft.format(case[1], false, case[3]), case[1])
    end
    assert.equal("tcp dport 22 dnat ip to 192.0.2.1", nft.format(nft.parse("tcp dport 22 dnat to 192.0.2.1"), false,
      "inet"))
    assert.equal("tcp dport 22 dnat ip to 192.0.2.1", nft.format(nft.parse("tcp dport 22 dnat ip to 192.0.2.1"),
      false, "inet"))
  end)
end)
