-- stock Lua: `require "nslab"` from the distribution's lua5.4, with the
-- tree's paths (README), outside nslab's own program.
local world = require("spec.support.world")
local program = require("spec.support.program")
local netns = require("nslab.netns")

local quote, ROOT = program.quote, program.root
local NSLAB = quote(program.program)

-- The environment the README gives, relative to the tree's root.
local PATHS = "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='lib/?.so;;' "

-- Run a shell line from the tree's root: stdout, exit status, stderr.
local function run(command)
  return program.run("cd " .. quote(ROOT) .. " && " .. command)
end

describe("stock lua5.4", function()
  before_each(world.fresh)

  it("loads nslab with the tree's paths", function()
    local out, code, err = run(PATHS .. "lua5.4 -e " .. quote(
      'local n = require "nslab"; print(type(n.netns.add))'))
    assert.equal(0, code, err)
    assert.equal("function\n", out)
  end)

  it("loads the C module the tree built, lib/nslab/core.so", function()
    local out, code, err = run(PATHS .. "lua5.4 -e " .. quote(
      'require "nslab"; for l in io.lines("/proc/self/maps") do ' ..
      'local f = l:match("%s(/%S*/nslab/core%.so)$"); if f then print(f) break end end'))
    assert.equal(0, code, err)
    assert.equal(ROOT .. "/lib/nslab/core.so\n", out)
  end)

  it("without the paths, says it cannot find nslab", function()
    local _, code, err = run("cd / && LUA_PATH= LUA_CPATH= lua5.4 -e 'require \"nslab\"'")
    assert.are_not.equal(0, code)
    assert.matches("module 'nslab' not found", err, 1, true)
  end)

  it("outside a world, refuses to change the network (and changes nothing)", function()
    -- still inside this spec's world for safety: only NSLAB_WORLD is unset
    local out, code, err = run("env -u NSLAB_WORLD " .. PATHS .. "lua5.4 -e " .. quote(table.concat({
      'local n = require "nslab"',
      'print(#n.netns.host():links())',
      'print(select(2, pcall(n.netns.host().veth, n.netns.host(), "a", "b")))',
      'print(select(2, pcall(n.netns.add, "x")))',
      'print(select(2, pcall(n.netns.host().sysctl, n.netns.host(), "net.ipv4.ip_forward", 1)))',
    }, "; ")))
    assert.equal(0, code, err)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal("1", lines[1]) -- reading works: lo
    local why = "refusing to change the machine's own network outside an nslab world " ..
                "(run it with nslab run/repl/lua/sandbox, or call nslab.netns.allow_host())"
    assert.equal("link add: " .. why, lines[2])
    assert.equal("netns add: " .. why, lines[3])
    assert.equal("sysctl set: " .. why, lines[4])
    assert.same({ "lo" }, world.pluck(world.ip_json(nil, "link"), "ifname"))
    assert.same({}, world.ip_json(nil, "netns list"))
    assert.equal("0", netns.host():sysctl("net.ipv4.ip_forward"))
  end)

  -- Each way in, from the stock interpreter outside a world: the friendly
  -- API, `require "nslab.core"` itself, raw handles, exec and run. The
  -- script prints every function that did not refuse; only the read-only
  -- ones may not. Still inside this spec's world: if the guard failed,
  -- nothing real would change.
  it("outside a world, every way in refuses, nslab.core and raw handles included", function()
    local script = table.concat({
      'local core = require "nslab.core"',
      'local why = "refusing to change the machine\'s own network outside an nslab world"',
      'local function try(kind, name, fn, ...)',
      '  local ok, err = pcall(fn, ...)',
      '  if ok or not tostring(err):find(why, 1, true) then print(kind .. " " .. name) end',
      'end',
      'local h = core.netns_current()',
      'local methods = getmetatable(h).__index',
      'local names = {}',
      'for name in pairs(core) do names[#names + 1] = name end',
      'table.sort(names)',
      '-- allow_host is the opt-in itself: listed, not called',
      'for _, name in ipairs(names) do',
      '  if name == "allow_host" then print("function allow_host")',
      '  elseif type(core[name]) == "function" then try("function", name, core[name]) end',
      'end',
      'names = {}',
      'for name in pairs(methods) do names[#names + 1] = name end',
      'table.sort(names)',
      'for _, name in ipairs(names) do',
      '  if type(methods[name]) == "function" then try("method", name, methods[name], h) end',
      'end',
      'print(core.guarded())',
      'local n = require "nslab"',
      'local host = n.netns.host()',
      'for _, f in ipairs{',
      '  function() host:exec{ "ip", "link", "add", "x", "type", "veth" } end,',
      '  function() host:run(function() os.exit(3) end) end,',
      '  function() host:route_add{ dst = "192.0.2.0/24", dev = "lo" } end,',
      '  function() host:link("lo"):up() end,',
      '  function() host:neigh_add("lo", { dst = "192.0.2.1" }) end,',
      '  function() host:tcp_listen("127.0.0.1", 0) end,',
      '  function() host:ping("127.0.0.1") end,',
      '  function() n.netns.new() end,',
      '  function() n.netns.delete("x") end,',
      '} do try("friendly", "call", f) end',
    }, "\n")
    local before = { world.ip_json(nil, "link"), world.ip_json(nil, "route"), world.ip_json(nil, "netns list") }
    local out, code, err = run("env -u NSLAB_WORLD " .. PATHS .. "lua5.4 -e " .. quote(script))
    assert.equal(0, code, err)
    -- the read-only list, nothing else: a function added later refuses
    -- until it is listed in core/lua_guard.c
    local allowed = {}
    for line in out:gmatch("[^\n]+") do allowed[#allowed + 1] = line end
    assert.same({
      "function allow_host", "function bindings", "function check_options", "function check_value",
      "function clock", "function cpu_clock", "function guarded", "function netns_current", "function netns_list",
      "function netns_open", "function netns_open_path", "function netns_open_pid", "function netns_pool_stats",
      "function nft_rule", "function nft_vocabulary", "function options",
      "function packet_decode", "function packet_headers",
      "function readlink", "function rusage", "function sleep", "function sysctl_path",
      "method addr_list", "method close", "method fd", "method inode", "method link_get",
      "method link_list", "method name", "method neigh_list", "method nft_list", "method route_get",
      "method route_list", "method sysctl_get", "method tuntap_list",
      "true",
    }, allowed)
    assert.same(before, { world.ip_json(nil, "link"), world.ip_json(nil, "route"), world.ip_json(nil, "netns list") })
  end)

  it("nslab.netns.allow_host() is the explicit way to change it", function()
    local script = 'local n = require "nslab"; n.netns.allow_host(); n.netns.add("x"); ' ..
                   'print(require("nslab.core").guarded())'
    local out, code, err = run("env -u NSLAB_WORLD " .. PATHS .. "lua5.4 -e " .. quote(script))
    assert.equal(0, code, err)
    assert.equal("false\n", out)
    assert.same({ "x" }, world.pluck(world.ip_json(nil, "netns list"), "name"))
  end)

  it("makes and lists namespaces inside a world, as ip sees them", function()
    local script = table.concat({
      'local netns = require("nslab").netns',
      'local a = netns.add("test1")',
      'netns.add("test2")',
      'print(table.concat(netns.list(), ","))',
      'print(a:exec("ip -j netns list").stdout)',
      'local ip = io.popen("ip netns list"); io.write(ip:read("a")); ip:close()',
    }, "; ")
    local out, code, err = run(NSLAB .. " sandbox -- env " .. PATHS .. "lua5.4 -e " .. quote(script))
    assert.equal(0, code, err)
    local list, json, ip = out:match("^([^\n]*)\n([^\n]*)\n\n(.*)$")
    assert.equal("test1,test2", list, out)
    assert.matches('"name":"test1"', json, 1, true)
    local names = {}
    for name in ip:gmatch("[^\n]+") do names[#names + 1] = name end
    table.sort(names)
    assert.same({ "test1", "test2" }, names)
    -- and not here
    assert.same({}, world.ip_json(nil, "netns list"))
  end)
end)
