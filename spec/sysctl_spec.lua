-- sysctl: per-namespace network sysctls read and written in-process, each
-- value read back by sysctl(8) run inside the same namespace, and the
-- world's host checked unchanged (so the machine's, a fortiori).
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")

-- sysctl -n KEY, run inside ns (default: the world's host).
local function sysctl_n(ns, key)
  return world.sh(ns, "sysctl -n " .. key):gsub("%s+$", "")
end

describe("sysctl", function()
  local host, test1
  before_each(function()
    world.fresh()
    host = netns.host()
    test1 = netns.add("test1")
  end)

  it("sets ip_forward in one namespace only", function()
    local test2 = netns.add("test2")
    assert.equal("0", test1.handle:sysctl_get("net.ipv4.ip_forward"))
    local before = sysctl_n(nil, "net.ipv4.ip_forward")
    test1.handle:sysctl_set("net.ipv4.ip_forward", "1")
    assert.equal("1", test1.handle:sysctl_get("net.ipv4.ip_forward"))
    assert.equal("1", sysctl_n(test1, "net.ipv4.ip_forward"))
    -- nowhere else: not in another namespace, not in the world's host
    assert.equal("0", sysctl_n(test2, "net.ipv4.ip_forward"))
    assert.equal(before, sysctl_n(nil, "net.ipv4.ip_forward"))
    assert.equal(before, host.handle:sysctl_get("net.ipv4.ip_forward"))
    -- a number is written as its text
    test1.handle:sysctl_set("net.ipv4.ip_forward", 0)
    assert.equal("0", sysctl_n(test1, "net.ipv4.ip_forward"))
  end)

  it("sets the bridge netfilter switch per namespace (br_netfilter)", function()
    local key = "net.bridge.bridge-nf-call-iptables"
    local before = host.handle:sysctl_get(key)
    local other = before == "1" and "0" or "1"
    test1.handle:sysctl_set(key, other)
    assert.equal(other, test1.handle:sysctl_get(key))
    assert.equal(other, sysctl_n(test1, key))
    assert.equal(before, sysctl_n(nil, key))
  end)

  it("reads and writes a value of two numbers (ping_group_range)", function()
    local key = "net.ipv4.ping_group_range"
    local before = sysctl_n(nil, key)
    test1.handle:sysctl_set(key, "0 2147483647")
    -- the kernel prints it tab-separated; only the ends are trimmed
    assert.equal("0\t2147483647", test1.handle:sysctl_get(key))
    assert.equal("0\t2147483647", sysctl_n(test1, key))
    assert.equal(before, sysctl_n(nil, key))
  end)

  it("names keys with a dot in a component as sysctl(8) does", function()
    test1:veth("lxcbr0.1", "peer0")
    local path = "/proc/sys/net/ipv4/conf/lxcbr0.1/forwarding"
    assert.equal(path, core.sysctl_path("net/ipv4/conf/lxcbr0.1/forwarding"))
    assert.equal(path, core.sysctl_path("net.ipv4.conf.lxcbr0/1.forwarding"))
    assert.equal("/proc/sys/net/ipv4/ip_forward", core.sysctl_path("net.ipv4.ip_forward"))
    test1.handle:sysctl_set("net/ipv4/conf/lxcbr0.1/forwarding", "1")
    assert.equal("1", test1.handle:sysctl_get("net.ipv4.conf.lxcbr0/1.forwarding"))
    assert.equal("1", sysctl_n(test1, "net.ipv4.conf.lxcbr0/1.forwarding"))
    assert.equal("1\n", world.sh(test1, "cat " .. path))
    assert.equal("0", sysctl_n(test1, "net.ipv4.conf.peer0.forwarding"))
  end)

  it("works through the Lua layer too (netns:sysctl)", function()
    assert.equal("1", test1:sysctl("net.ipv4.ip_forward", true))
    assert.equal("1", test1:sysctl("net.ipv4.ip_forward"))
    assert.equal("1", sysctl_n(test1, "net.ipv4.ip_forward"))
  end)

  describe("errors", function()
    it("an unknown key", function()
      assert.has_error(function() test1.handle:sysctl_get("net.ipv4.ip_forwrd") end,
        "sysctl net.ipv4.ip_forwrd: unknown key")
      assert.has_error(function() test1.handle:sysctl_set("net.ipv4.ip_forwrd", "1") end,
        "sysctl net.ipv4.ip_forwrd: unknown key")
      assert.has_error(function() test1.handle:sysctl_get("net.ipv4.conf.nosuchdev.forwarding") end,
        "sysctl net.ipv4.conf.nosuchdev.forwarding: unknown key")
    end)

    it("a value the kernel refuses, leaving the old one", function()
      assert.has_error(function() test1.handle:sysctl_set("net.ipv4.ip_forward", "abc") end,
        "sysctl net.ipv4.ip_forward: Invalid argument")
      assert.equal("0", sysctl_n(test1, "net.ipv4.ip_forward"))
    end)

    it("a key outside net., which would not follow the namespace", function()
      local hostname = world.sh(nil, "hostname")
      assert.has_error(function() test1.handle:sysctl_set("kernel.hostname", "nope") end,
        "sysctl kernel.hostname: only net.* keys belong to a network namespace")
      assert.has_error(function() test1.handle:sysctl_get("kernel/hostname") end,
        "sysctl kernel/hostname: only net.* keys belong to a network namespace")
      assert.equal(hostname, world.sh(nil, "hostname"))
    end)

    it("keys that would leave the net tree", function()
      for _, key in ipairs{ "net/ipv4/../../kernel/hostname", "net.ipv4..ip_forward",
                            "net/./ipv4/ip_forward", "net.", "net" } do
        assert.has_error(function() test1.handle:sysctl_get(key) end)
      end
      assert.has_error(function() test1.handle:sysctl_set("net/ipv4/../../kernel/hostname", "x") end,
        "sysctl net/ipv4/../../kernel/hostname: a key cannot have an empty, . or .. part")
      assert.has_error(function() test1.handle:sysctl_get("/net/ipv4/ip_forward") end,
        "sysctl /net/ipv4/ip_forward: a key cannot start with '/' or '.'")
      assert.has_error(function() test1.handle:sysctl_get("") end, "sysctl: empty key")
    end)

    it("a directory is not a key", function()
      assert.has_error(function() test1.handle:sysctl_get("net.ipv4") end,
        "sysctl net.ipv4: not a key but a directory")
      assert.has_error(function() test1.handle:sysctl_set("net.ipv4.conf", "1") end,
        "sysctl net.ipv4.conf: not a key but a directory")
    end)

    it("a machine-wide key is read-only inside a namespace", function()
      -- the kernel keeps net.core.rmem_max global and shows it 0444 here
      assert.matches("^%d+$", test1.handle:sysctl_get("net.core.rmem_max"))
      assert.has_error(function() test1.handle:sysctl_set("net.core.rmem_max", "1") end,
        "sysctl net.core.rmem_max: Permission denied")
    end)

    it("bad arguments", function()
      local h = test1.handle
      local value = "sysctl net.ipv4.ip_forward: argument 2 (value) must be a string or an integer, got "
      assert.has_error(function() h:sysctl_set("net.ipv4.ip_forward", true) end, value .. "boolean")
      assert.has_error(function() h:sysctl_set("net.ipv4.ip_forward") end, value .. "nil")
      -- a float has no integer text the kernel takes ("number has no
      -- integer representation" before)
      assert.has_error(function() h:sysctl_set("net.ipv4.ip_forward", 1.5) end, value .. "1.5")
      assert.has_error(function() h:sysctl_set("net.ipv4.ip_forward", 1 / 0) end, value .. "inf")
      assert.has_error(function() h:sysctl_set("net.ipv4.ip_forward", "1\0") end,
        "sysctl net.ipv4.ip_forward: argument 2 (value) must be a string of 0..65535 bytes without NUL, " ..
        "got a string with a NUL byte")
      assert.has_error(function() h:sysctl_get("net.ipv4.ip_forward\0x") end,
        "sysctl: argument 1 (key) must be a string of 0..4096 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() h:sysctl_get(4) end,
        "sysctl: argument 1 (key) must be a string of 0..4096 bytes without NUL, got 4")
      assert.has_error(function() h:sysctl_get(("n"):rep(5000)) end,
        "sysctl: argument 1 (key) must be a string of 0..4096 bytes without NUL, got a string of 5000 bytes")
      assert.has_error(function() h:sysctl_get("net.ipv4.ip_forward", 1) end,
        "sysctl: too many arguments (2 given, at most 1)")
      assert.has_error(function() h:sysctl_set("net.ipv4.ip_forward", 1, 1) end,
        "sysctl: too many arguments (3 given, at most 2)")
      assert.has_error(function() core.sysctl_path("net.ipv4.ip_forward", 1) end,
        "sysctl: too many arguments (2 given, at most 1)")
      assert.equal("0", sysctl_n(test1, "net.ipv4.ip_forward"))
      h:sysctl_set("net.ipv4.ip_forward", 1)   -- an integer is its text
      assert.equal("1", sysctl_n(test1, "net.ipv4.ip_forward"))
      local closed = netns.new()
      closed:close()
      assert.has_error(function() closed.handle:sysctl_get("net.ipv4.ip_forward") end,
        "sysctl: attempt to use a closed netns (anonymous)")
    end)
  end)
end)
