-- install: `make install` into a temporary DESTDIR or PREFIX (never the
-- real /usr/local). With PREFIX=/usr/local every file lands where the
-- stock lua5.4's own default package.path and package.cpath look (their
-- /usr/local entries, moved under DESTDIR); for another prefix the two
-- variables the README gives make `require "nslab"` and a lab work from
-- stock Lua; the installed nslab finds its Lua files and its labs beside
-- itself.
local world = require("spec.support.world")
local program = require("spec.support.program")

local quote, ROOT = program.quote, program.root

local function run(command) return program.run(command) end

local function temp_dir() return (run("mktemp -d"):gsub("\n$", "")) end

-- make install ARGS from the tree's root (a make running this spec does
-- not lend it its jobserver).
local function install(args)
  local out, code, err = run("cd " .. quote(ROOT) .. " && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install "
                             .. args)
  assert(code == 0, "make install " .. args .. ": " .. out .. err)
end

-- The stock interpreter's own defaults, with no LUA_* variable set.
local STOCK = "env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT -u LUA_INIT_5_4 lua5.4"

local function stock_paths()
  local out, code, err = run(STOCK .. " -e 'print(package.path) print(package.cpath)'")
  assert(code == 0, err)
  return out:match("^([^\n]*)\n([^\n]*)\n$")
end

-- The templates of a search path under prefix, moved under dir.
local function under(path, prefix, dir)
  local kept = {}
  for template in path:gmatch("[^;]+") do
    if template:sub(1, #prefix + 1) == prefix .. "/" then kept[#kept + 1] = dir .. template end
  end
  return table.concat(kept, ";")
end

-- Every module of the tree's lua/: {name, file}.
local function tree_modules()
  local list = {}
  local p = io.popen("cd " .. quote(ROOT .. "/lua") .. " && find nslab -name '*.lua' | sort")
  for file in p:lines() do
    local name = file:gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
    list[#list + 1] = { name = name, file = file }
  end
  p:close()
  return list
end

-- The README's two lines for another prefix, with PREFIX set.
local function readme_variables(prefix)
  local text = program.slurp(ROOT .. "/README.md")
  local path = text:match('\nexport LUA_PATH="([^"\n]+)"\n')
  local cpath = text:match('\nexport LUA_CPATH="([^"\n]+)"\n')
  assert(path and cpath, "README.md gives no export LUA_PATH=... / LUA_CPATH=... lines")
  local function set(s) return (s:gsub("%$PREFIX", function() return prefix end)) end
  return "LUA_PATH=" .. quote(set(path)) .. " LUA_CPATH=" .. quote(set(cpath)) .. " "
end

describe("make install", function()
  before_each(world.fresh)
  local dirs = {}
  after_each(function()
    for _, dir in ipairs(dirs) do run("rm -rf " .. quote(dir)) end
    dirs = {}
  end)
  local function new_dir()
    dirs[#dirs + 1] = temp_dir()
    return dirs[#dirs]
  end

  it("PREFIX=/usr/local: every file where stock lua5.4 looks by default", function()
    local dest = new_dir()
    install("DESTDIR=" .. quote(dest) .. " PREFIX=/usr/local")
    local path, cpath = stock_paths()
    local lpath, lcpath = under(path, "/usr/local", dest), under(cpath, "/usr/local", dest)
    assert.is_true(#lpath > 0 and #lcpath > 0, "stock lua5.4 searches no /usr/local: " .. path .. " " .. cpath)
    for _, m in ipairs(tree_modules()) do
      local found = package.searchpath(m.name, lpath)
      assert.is_not_nil(found, m.name .. " not found in " .. lpath)
      assert.equal(program.slurp(ROOT .. "/lua/" .. m.file), program.slurp(found), m.name)
    end
    assert.equal(dest .. "/usr/local/lib/lua/5.4/nslab/core.so", package.searchpath("nslab.core", lcpath))
    -- the program and the labs
    assert.equal(0, select(2, run("test -x " .. quote(dest .. "/usr/local/bin/nslab"))))
    local labs = run("ls " .. quote(ROOT .. "/labs"))
    assert.equal(labs, run("ls " .. quote(dest .. "/usr/local/share/nslab/labs")))
  end)

  it("the installed nslab uses its own Lua files and lists and runs its labs by name", function()
    local dest = new_dir()
    install("DESTDIR=" .. quote(dest) .. " PREFIX=/usr/local")
    local bin = quote(dest .. "/usr/local/bin/nslab")
    local script = dest .. "/where.lua"
    local f = assert(io.open(script, "w"))
    f:write('print(package.searchpath("nslab.cli", package.path))\n')
    f:close()
    local out, code, err = run("cd / && " .. bin .. " lua " .. quote(script))
    assert.equal(0, code, err)
    assert.equal(dest .. "/usr/local/bin/../share/lua/5.4/nslab/cli.lua\n", out)
    out, code = run("cd / && " .. bin .. " list")
    assert.equal(0, code)
    assert.matches("\nveth +a cable between two namespaces\n", out)
    out, code = run("cd / && NO_COLOR=1 " .. bin .. " run veth")
    assert.equal(0, code, out)
    assert.matches("15 passed, 0 failed\n$", out)
  end)

  it("another PREFIX: the README's LUA_PATH and LUA_CPATH make stock lua5.4 load it and run a lab", function()
    local prefix = new_dir() .. "/opt"
    install("PREFIX=" .. quote(prefix))
    local vars = readme_variables(prefix)
    -- from /, so that nothing of the tree is on the way
    local out, code, err = run("cd / && " .. vars .. "lua5.4 -e " .. quote(
      'require "nslab"; for l in io.lines("/proc/self/maps") do ' ..
      'local f = l:match("%s(/%S*/nslab/core%.so)$"); if f then print(f) break end end; ' ..
      'print(package.searchpath("nslab", package.path))'))
    assert.equal(0, code, err)
    assert.equal(prefix .. "/lib/lua/5.4/nslab/core.so\n" .. prefix .. "/share/lua/5.4/nslab/init.lua\n", out)
    -- without them it is not found
    local _, missing = run("cd / && " .. STOCK .. " -e 'require \"nslab\"'")
    assert.are_not.equal(0, missing)
    -- the README's one-liner, with an installed lab, in a world of its own
    local readme = program.slurp(ROOT .. "/README.md")
    local line = readme:match("\n(nslab sandbox %-%- lua5%.4 %-e '[^\n]*run_file[^\n]*')\n")
    assert.is_not_nil(line, "README.md: the nslab sandbox -- lua5.4 -e '...run_file...' line")
    line = line:gsub('"labs/veth%.lua"', '"' .. prefix .. '/share/nslab/labs/veth.lua"')
               :gsub("^nslab ", quote(prefix .. "/bin/nslab") .. " ")
    out, code, err = run("cd / && export " .. vars .. " && NO_COLOR=1 " .. line)
    assert.equal(0, code, out .. err)
    assert.matches("15 passed, 0 failed\n$", out)
  end)
end)
