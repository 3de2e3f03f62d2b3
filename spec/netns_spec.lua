-- netns: create, open, list, delete, identify, run, exec; cross-checked
-- with `ip netns` and /proc inside the same world.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local core = require("nslab.core")
require("nslab.kinds") -- ns:macvlan

describe("netns", function()
  before_each(world.fresh)

  it("adds named namespaces that ip netns sees, and deletes them", function()
    local a = netns.add("test1")
    netns.add("test2")
    assert.same({ "test1", "test2" }, netns.list())
    assert.same({ "test1", "test2" }, world.pluck(world.ip_json(nil, "netns list"), "name"))
    -- ip and nslab name the same namespace: same inode through the bind mount
    local ip_inode = world.sh(a, "readlink /proc/self/ns/net")
    assert.equal(("net:[%d]\n"):format(a:inode()), ip_inode)
    netns.delete("test2")
    assert.same({ "test1" }, netns.list())
    assert.same({ "test1" }, world.pluck(world.ip_json(nil, "netns list"), "name"))
  end)

  it("opens a namespace by name, by pid and by path", function()
    local a = netns.add("test1")
    assert.equal(a:inode(), netns.open("test1"):inode())
    assert.equal(a:inode(), netns.open{ path = "/run/netns/test1" }:inode())
    assert.equal(netns.host():inode(), netns.open{ pid = world.pid() }:inode())
    assert.equal(netns.host():inode(), netns.open{ path = "/proc/self/ns/net" }:inode())
  end)

  it("makes anonymous namespaces that are not listed", function()
    local anon = netns.new()
    assert.is_nil(anon.name)
    assert.same({}, netns.list())
    assert.are_not.equal(netns.host():inode(), anon:inode())
    assert.same({ "lo" }, world.pluck(anon:links(), "ifname"))
  end)

  -- An anonymous namespace lives while its object does: a handle on an
  -- end of a pair into it holds it too (else the kernel deleted the pair
  -- with the namespace, under a handle the lab still had).
  it("keeps an anonymous namespace alive while a handle on an end of a pair into it lives", function()
    local x = netns.host():veth("hand1", "p1", { peer_netns = netns.new() })
    collectgarbage()
    collectgarbage()
    assert.truthy(world.ip_link(nil, "hand1"))
    assert.equal("hand1", x:info().ifname)
    x = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    local deadline = core.clock() + 5
    while world.ip_link(nil, "hand1") and core.clock() < deadline do core.sleep(0.01) end
    assert.is_nil(world.ip_link(nil, "hand1")) -- and both go with the last handle
  end)

  it("a new namespace has only lo, DOWN; up makes it UNKNOWN", function()
    local a = netns.add("test1")
    local links = world.ip_json(a, "link")
    assert.equal(1, #links)
    assert.equal("lo", links[1].ifname)
    assert.equal("DOWN", links[1].operstate)
    assert.equal("DOWN", a:link("lo"):info().operstate)
    a:link("lo"):up()
    assert.equal("UNKNOWN", world.ip_json(a, "link")[1].operstate)
    assert.equal("UNKNOWN", a:link("lo"):info().operstate)
  end)

  it("runs a Lua function inside, and the thread comes back", function()
    local a = netns.add("test1")
    local host_inode = netns.host():inode()
    local inside = a:run(function()
      local f = assert(io.open("/proc/thread-self/ns/net"))
      f:close()
      return require("nslab.core").netns_current():inode()
    end)
    assert.equal(a:inode(), inside)
    assert.equal(host_inode, require("nslab.core").netns_current():inode())
    -- what follows fn is passed to it, and what it returns comes back
    local function add(x, y) return x + 2, y end
    assert.same({ 3, "x" }, { a:run(add, 1, "x") })
    assert.same({ 3, "x" }, { a.handle:run(add, 1, "x") })
    -- also after an error inside
    assert.has_error(function() a:run(function() error("boom", 0) end) end, "boom")
    assert.equal(host_inode, require("nslab.core").netns_current():inode())
  end)

  it("exec captures output and status, like ip netns exec", function()
    local a = netns.add("test1")
    local r = a:exec({ "sh", "-c", "echo out; echo err >&2; exit 7" })
    assert.same({ "out\n", "err\n", 7 }, { r.stdout, r.stderr, r.status })
    assert.equal(("net:[%d]\n"):format(a:inode()), a:exec("readlink /proc/self/ns/net").stdout)
    -- /sys shows the namespace's own devices, as ip netns exec remounts it
    assert.equal("lo\n", a:exec("ls /sys/class/net").stdout)
    assert.equal("hello", a:exec("cat", { input = "hello" }).stdout)
    -- endless output stops the program, not the machine's memory
    assert.has_error(function() a:exec("yes") end,
      "netns exec test1: more than 64 MiB of output: stopped it (send it to a file, cmd > FILE)")
    assert.equal(64 << 20, #a:exec("head -c 67108864 /dev/zero").stdout) -- all of it up to there
  end)

  it("exec bind-mounts /etc/netns/NAME/* over /etc, as ip netns exec does", function()
    local a = netns.add("test1")
    -- the world's /etc/netns is private: writing here never touches the host
    assert.is_true(world.private_etc_netns(), "the world has no private /etc/netns")
    assert(os.execute("mkdir -p /etc/netns/test1"))
    local f = assert(io.open("/etc/netns/test1/resolv.conf", "w"))
    f:write("nameserver 192.0.2.53\n")
    f:close()
    assert.equal("nameserver 192.0.2.53\n", a:exec("cat /etc/resolv.conf").stdout)
    -- the ip tool agrees
    assert.equal("nameserver 192.0.2.53\n", world.sh(nil, "ip netns exec test1 cat /etc/resolv.conf"))
  end)

  it("resolv_conf writes /etc/netns/NAME/resolv.conf, seen only inside", function()
    local a = netns.add("test1")
    a:resolv_conf{ "192.0.2.53", "198.51.100.53" }
    assert.equal("nameserver 192.0.2.53\nnameserver 198.51.100.53\n", a:exec("cat /etc/resolv.conf").stdout)
    assert.are_not.equal("nameserver 192.0.2.53\n", netns.host():exec("cat /etc/resolv.conf").stdout)
    assert.has_error(function() a:etc_file("../passwd", "x") end, 'netns etc test1: "../passwd" is not a file name')
    assert.has_error(function() netns.new():etc_file("hosts", "x") end,
      "netns etc: only a named namespace has /etc/netns files")
  end)

  it("identifies the namespace of a process", function()
    local a = netns.add("test1")
    assert.is_nil(netns.identify(world.pid()))
    local inside = a:exec({ "sh", "-c", "ip netns identify $$" })
    assert.equal("test1\n", inside.stdout)
  end)

  describe("errors", function()
    it("unknown namespace", function()
      assert.has_error(function() netns.open("test9") end, 'netns "test9": no such namespace')
      assert.has_error(function() netns.delete("test9") end, "netns delete test9: no such namespace")
    end)
    it("a name that already exists, leaving the first intact", function()
      local a = netns.add("test1")
      assert.has_error(function() netns.add("test1") end, "netns add test1: File exists")
      assert.same({ "test1" }, netns.list())
      assert.equal(a:inode(), netns.open("test1"):inode())
    end)
    it("a name with a slash", function()
      assert.has_error(function() netns.add("a/b") end,
        "netns add a/b: a namespace name cannot contain '/' or be . or ..")
      assert.same({}, netns.list())
    end)
    it("a pid that does not exist", function()
      assert.has_error(function() netns.open{ pid = 999999 } end,
        "netns open pid 999999: no such process")
    end)
    it("a path that is not a network namespace", function()
      assert.has_error(function() netns.open{ path = "/proc/self/ns/uts" } end,
        "netns open /proc/self/ns/uts: not a network namespace")
    end)
    it("a misspelled option", function()
      assert.has_error(function() netns.open{ pdi = 1 } end,
        "netns open: invalid option 'pdi'")
    end)
    it("a closed handle", function()
      local a = netns.new()
      a:close()
      assert.has_error(function() a:addrs() end, "addr show: attempt to use a closed netns (anonymous)")
      assert.has_error(function() a:links() end, "link show: attempt to use a closed netns (anonymous)")
    end)
    it("an unknown program in exec", function()
      local a = netns.add("test1")
      assert.has_error(function() a:exec({ "no-such-program-xyz" }) end,
        'netns exec test1: no such program "no-such-program-xyz"')
    end)
  end)

  describe("handles of a deleted namespace", function()
    it("deleting by name closes every handle: Netns objects and core handles alike", function()
      local a = netns.add("a")
      local again = netns.open("a")
      local raw = core.netns_open("a")
      local by_path = netns.open{ path = "/run/netns/a" } -- anonymous until deleted
      local other = netns.add("b")
      netns.delete("a")
      assert.has_error(function() a:addrs() end, 'addr show: netns "a": deleted')
      assert.has_error(function() again:routes() end, 'route show: netns "a": deleted')
      assert.has_error(function() raw:inode() end, 'netns inode: netns "a": deleted')
      assert.has_error(function() by_path:addrs() end, 'addr show: netns "a": deleted')
      assert.equal('netns "a" (deleted)', tostring(raw))
      -- the others are untouched
      assert.same({ "lo" }, world.pluck(other:links(), "ifname"))
      assert.same({ "b" }, world.pluck(world.ip_json(nil, "netns list"), "name"))
    end)

    it("deleting by object closes the other handles too", function()
      local a = netns.add("a")
      local raw = core.netns_open("a")
      netns.delete(a)
      assert.has_error(function() raw:neigh_list() end, 'neigh show: netns "a": deleted')
      assert.has_error(function() a:neigh() end, 'neigh show: netns "a": deleted')
    end)

    it("moving a link into a deleted namespace is refused, and the link stays", function()
      local a = netns.add("a")
      local va = netns.host():veth("va", "vb")
      netns.delete("a")
      assert.has_error(function() va:set_netns(a) end)
      local ok, err = pcall(va.set_netns, va, a)
      assert.is_false(ok)
      assert.matches('netns "a": deleted', err, 1, true)
      assert.same({ "lo", "va", "vb" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
      assert.same({}, world.ip_json(nil, "netns list"))
    end)

    it("a namespace made again under the name is a new one; old handles stay deleted", function()
      local old = netns.add("a")
      netns.delete("a")
      local new = netns.add("a")
      assert.has_error(function() old:inode() end, 'netns inode: netns "a": deleted')
      assert.equal(world.sh(new, "readlink /proc/self/ns/net"), ("net:[%d]\n"):format(new:inode()))
    end)

    it("a closed handle names the operation and the namespace", function()
      local a = netns.add("a")
      a:close()
      assert.has_error(function() a:addrs() end, 'addr show: attempt to use a closed netns "a"')
      assert.has_error(function() a.handle:route_list() end, 'route show: attempt to use a closed netns "a"')
      assert.equal('netns "a" (closed)', tostring(a.handle))
      local raw
      do
        local h <close> = core.netns_open("a")
        raw = h
      end
      assert.equal('netns "a" (closed)', tostring(raw))
    end)
  end)

  describe("names and arguments", function()
    it("a NUL in a name is refused, not cut", function()
      assert.has_error(function() netns.add("eth\0x") end,
        "netns add: argument 1 (name) must be a string of 1..255 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() netns.open("eth\0x") end,
        "netns open: argument 1 (name) must be a string of 1..255 bytes without NUL, got a string with a NUL byte")
      assert.has_error(function() core.netns_delete("eth\0x") end,
        "netns delete: argument 1 (name) must be a string of 1..255 bytes without NUL, got a string with a NUL byte")
      assert.same({}, world.ip_json(nil, "netns list"))
    end)

    it("names as ip netns add takes them: up to NAME_MAX bytes", function()
      local long = string.rep("n", 255)
      netns.add(long)
      assert.same({ long }, world.pluck(world.ip_json(nil, "netns list"), "name"))
      assert.has_error(function() netns.add(long .. "n") end,
        "netns add: argument 1 (name) must be a string of 1..255 bytes without NUL, got a string of 256 bytes")
      assert.has_error(function() netns.add("") end,
        'netns add: argument 1 (name) must be a string of 1..255 bytes without NUL, got ""')
      assert.has_error(function() netns.add() end,
        "netns add: argument 1 (name) must be a string of 1..255 bytes without NUL, got nil")
      assert.has_error(function() netns.add(5) end,
        "netns add: argument 1 (name) must be a string of 1..255 bytes without NUL, got 5")
      assert.same({ long }, netns.list())
    end)

    it("extra arguments are errors", function()
      assert.has_error(function() netns.add("a", "b") end, "netns add: too many arguments (2 given, at most 1)")
      assert.has_error(function() netns.new(1) end, "netns add: too many arguments (1 given, at most 0)")
      assert.has_error(function() netns.delete("a", true) end, "netns delete: too many arguments (2 given, at most 1)")
      assert.has_error(function() core.netns_open_pid(1, 2) end, "netns open: too many arguments (2 given, at most 1)")
      assert.has_error(function() netns.open({ pid = 1 }, 2) end, "netns open: too many arguments (2 given, at most 1)")
      assert.same({}, netns.list())
    end)

    it("pids and paths are checked", function()
      assert.has_error(function() netns.open{ pid = 1.5 } end,
        "netns open: option 'pid' must be an integer 1..2147483647, got 1.5")
      assert.has_error(function() netns.open{ pid = "1" } end,
        'netns open: option \'pid\' must be an integer 1..2147483647, got "1"')
      assert.has_error(function() core.netns_open_pid(0 / 0) end,
        "netns open: argument 1 (pid) must be an integer 1..2147483647, got nan")
      assert.has_error(function() core.netns_open_path("/proc/self/ns/net\0x") end,
        "netns open: argument 1 (path) must be a string of 1..4095 bytes without NUL, got a string with a NUL byte")
    end)

    it("every method refuses arguments it does not take, and one it needs left out", function()
      local a = netns.add("test1")
      assert.has_error(function() a:links(1) end, "link show: too many arguments (1 given, at most 0)")
      assert.has_error(function() a:link("lo", 2) end, "link show: too many arguments (2 given, at most 1)")
      assert.has_error(function() a:tuntap("tap0", "tap", 3) end, "tuntap add: too many arguments (3 given, at most 2)")
      assert.has_error(function() a:close(1) end, "netns close test1: too many arguments (1 given, at most 0)")
      assert.has_error(function() a:link() end,
        "link show: argument 1 (dev) must be an ifindex 1..2147483647 or an interface name, got nil")
      assert.has_error(function() netns.is(a, 2) end, "netns is: too many arguments (2 given, at most 1)")
      assert.same({ "lo" }, world.pluck(world.ip_json(a, "link"), "ifname"))
      -- run passes what follows fn on to it, as the core's run does
      assert.equal(3, a:run(function(x, y) return x + y end, 1, 2))
    end)

    it("a namespace given by name names the operation that wanted it", function()
      local a = netns.add("test1")
      assert.has_error(function() a:veth("veth-a", "veth-b", { peer_netns = "nosuch" }) end,
        "link add veth-a: option 'peer_netns': netns \"nosuch\": no such namespace")
      assert.has_error(function() a:veth("veth-a", "veth-b", { netns = "" }) end,
        "link add veth-a: option 'netns': a namespace name must be a string of 1..255 bytes without NUL, got \"\"")
      assert.has_error(function() a:veth("veth-a", "veth-b", { peer_netns = 5 }) end,
        "link add veth-a: option 'peer_netns' must be a netns or a namespace name, got 5")
      assert.has_error(function() a:macvlan("mv0", { link = "lo", netns = "no/such" }) end,
        "link add mv0: option 'netns': netns \"no/such\": a namespace name cannot contain '/' or be . or ..")
      assert.same({ "lo" }, world.pluck(world.ip_json(a, "link"), "ifname"))
      local l = a:veth("veth-a", "veth-b", { peer_netns = "test1" }) -- a name that opens is fine
      assert.has_error(function() l:set_netns("nosuch") end,
        "link set veth-a: argument 1 (netns): netns \"nosuch\": no such namespace")
    end)

    it("etc_file and resolv_conf check what they write, and where", function()
      local a = netns.add("test1")
      assert.has_error(function() a:resolv_conf() end,
        "netns etc test1: argument 1 (nameservers) must be a table, got nil")
      assert.has_error(function() a:resolv_conf("192.0.2.53") end,
        "netns etc test1: argument 1 (nameservers) must be a table, got \"192.0.2.53\"")
      for _, bad in ipairs{ "300.1.1.1", "198.51.100.1/24", "1.2.3.4.5", "", "2001:db8::1::2", "x", "1:2:3:4:5:6:7:8:9",
                           "fe80::1%", "fe80::1%a b", "::1.2.3", "12345::" } do
        assert.has_error(function() a:resolv_conf{ "192.0.2.53", bad } end,
          string.format("netns etc test1: nameserver 2 must be an IPv4 or IPv6 address, got %q", bad))
      end
      assert.has_error(function() a:resolv_conf{ 5 } end,
        "netns etc test1: nameserver 1 must be an IPv4 or IPv6 address, got 5")
      assert.has_error(function() a:resolv_conf{ string.rep("1", 1 << 20) } end,
        "netns etc test1: nameserver 1 must be an IPv4 or IPv6 address, got a string of 1048576 bytes")
      assert.has_error(function() a:etc_file("hosts") end,
        "netns etc test1: argument 2 (text) must be a string of 0..1048576 bytes without NUL, got nil")
      assert.has_error(function() a:etc_file(string.rep("h", 4097), "x") end,
        "netns etc test1: argument 1 (file) must be a string of 1..255 bytes without NUL, got a string of 4097 bytes")
      assert.has_error(function() a:etc_file("hosts", "x", "y") end,
        "netns etc test1: too many arguments (3 given, at most 2)")
      assert.equal(1, a:exec("test -e /etc/netns/test1/resolv.conf").status)
      a:resolv_conf{ "2001:db8::53", "::ffff:192.0.2.1", "fe80::1%eth0" }
      assert.equal("nameserver 2001:db8::53\nnameserver ::ffff:192.0.2.1\nnameserver fe80::1%eth0\n",
                   a:exec("cat /etc/resolv.conf").stdout)
      local b = netns.add("test2")
      core.netns_delete("test2") -- underneath the handle
      assert.has_error(function() b:resolv_conf{ "192.0.2.53" } end, 'netns etc test2: netns "test2": deleted')
      assert.has_error(function() b:etc_file("hosts", "") end, 'netns etc test2: netns "test2": deleted')
      assert.is_nil(io.open("/etc/netns/test2/hosts"))
    end)
  end)
end)