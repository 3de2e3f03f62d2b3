-- stock Lua: `require "nslab"` from the distribution's lua5.4, with the
-- tree's paths (README), outside nslab's own program.
local world = require("spec.support.world")

local function quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The nslab program under test: the one running this spec (bin/nslab, or
-- the sanitizer build under `make check`), else the tree's bin/nslab.
local function program(root)
  local p = assert(io.popen("readlink /proc/" .. world.pid() .. "/exe"))
  local exe = p:read("l")
  p:close()
  if exe and exe:match("/nslab$") then return exe end
  return root .. "/bin/nslab"
end

-- The tree's root: specs run from there.
local ROOT = (function()
  local p = assert(io.popen("pwd"))
  local dir = p:read("l")
  p:close()
  return dir
end)()

local NSLAB = quote(program(ROOT))

-- The environment the README gives, relative to the tree's root.
local PATHS = "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='lib/?.so;;' "

-- Run a shell line from the tree's root: stdout, exit status, stderr.
local function run(command)
  local errfile = os.tmpname()
  local p = assert(io.popen("cd " .. quote(ROOT) .. " && " .. command
                            .. " 2>" .. errfile .. " </dev/null"))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(errfile))
  local err = f:read("a")
  f:close()
  os.remove(errfile)
  return out, code, err
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
