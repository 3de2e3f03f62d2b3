-- nft syntax: the subset nslab reads, what it makes of it, and what it
-- refuses. Pure Lua: no kernel involved (spec/nft_spec.lua checks that the
-- kernel and `nft list ruleset` agree).
local nft = require("nslab.nft")

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
          { "match", key = "udp sport", op = "==", value = 53 }, { "drop" } } },
      { 'meta l4proto icmp log prefix "ping: " accept',
        { { "match", key = "meta l4proto", op = "==", value = "icmp" }, { "log", prefix = "ping: " }, { "accept" } } },
      { 'ip protocol tcp jump DOCKER', { { "match", key = "ip protocol", op = "==", value = "tcp" }, { "jump", chain = "DOCKER" } } },
      { 'snat to 198.51.100.1', { { "snat", addr = "198.51.100.1" } } },
      { 'goto OTHER', { { "goto", chain = "OTHER" } } },
      { 'reject', { { "reject" } } },
      { 'fib daddr type local jump DOCKER',
        { { "match", key = "fib daddr type", op = "==", value = "local" }, { "jump", chain = "DOCKER" } } },
      { 'ip daddr != 127.0.0.0/8 fib daddr type != local accept',
        { { "match", key = "ip daddr", op = "!=", value = "127.0.0.0/8" },
          { "match", key = "fib daddr type", op = "!=", value = "local" }, { "accept" } } },
      { 'return', { { "return" } } },
    }
    for _, case in ipairs(cases) do
      local exprs = nft.parse(case[1])
      assert.same(case[2], exprs, case[1])
      assert.equal(case[1], nft.format(exprs))
    end
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
      { 'tcp dport http accept', 'nft rule: "http" is not a port number' },
      { 'tcp dport 70000 accept', 'nft rule: "70000" is not a port number' },
      { 'ct state new,bogus accept', 'nft rule: "bogus" is not a ct state' },
      { 'dnat to docker0', 'nft rule: dnat to "docker0": not an IPv4 address' },
      { 'masquerade random', 'nft rule: unknown token "random"' },
      { 'ip saddr', 'nft rule: a value after ip saddr expected' },
      { 'log prefix x', 'nft rule: log prefix needs a "quoted string"' },
      { 'iifname "br0', 'nft rule: unterminated string' },
      { 'ct state != new accept', 'nft rule: ct state supports only ==' },
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
    assert.has_error(function() nft.parse(nft.format({ { "match", key = "tcp dport", value = "http" } })) end,
      'nft rule: "http" is not a port number')
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
    }
    for _, case in ipairs(canonical) do
      assert.equal(case[2], nft.format(nft.parse(case[1])), case[1])
    end
    assert.equal("tcp dport 22 dnat ip to 192.0.2.1", nft.format(nft.parse("tcp dport 22 dnat to 192.0.2.1"), false, "inet"))
    assert.equal("tcp dport 22 dnat ip to 192.0.2.1", nft.format(nft.parse("tcp dport 22 dnat ip to 192.0.2.1"), false, "inet"))
  end)
end)
