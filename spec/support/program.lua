-- Spec support: the nslab program under test, run as a user runs it, from
-- a shell line.
--
--   local program = require "spec.support.program"
--   local out, code, err = program.nslab("run " .. program.quote(path))
--   local out, code, err = program.run("lua5.4 -v", "stdin text")
local world = require("spec.support.world")

local program = {}

-- s as one shell word, in single quotes.
function program.quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The whole content of the file at path.
function program.slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- A new file in /tmp holding text; its path (the caller removes it).
function program.temp_file(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

-- Inside a describe block: a function that makes a temp file of text
-- (program.temp_file) and returns its path; each is removed after the
-- test that made it (busted's after_each is the spec's, so it is given).
--   local file = program.temp_files(after_each)
--   local path = file(LAB)
function program.temp_files(after_each)
  local made = {}
  after_each(function()
    for _, path in ipairs(made) do os.remove(path) end
    made = {}
  end)
  return function(text)
    local path = program.temp_file(text)
    made[#made + 1] = path
    return path
  end
end

-- The tree's root: specs run from there.
program.root = (function()
  local p = assert(io.popen("pwd"))
  local dir = p:read("l")
  p:close()
  return dir
end)()

-- The nslab program under test: the one running this spec (bin/nslab, or
-- the sanitizer build under `make check`), else the tree's bin/nslab.
program.program = (function()
  local p = assert(io.popen("readlink /proc/" .. world.pid() .. "/exe"))
  local exe = p:read("l")
  p:close()
  if exe and exe:match("/nslab$") then return exe end
  return program.root .. "/bin/nslab"
end)()

-- Run a shell line (input, when given, on its stdin; else an empty stdin):
-- stdout, exit status, stderr. The redirections apply to the whole line,
-- so it may be a list (`cd DIR && ...`) or begin with `exec 2>&1`.
function program.run(command, input)
  local infile = program.temp_file(input or "")
  local errfile = os.tmpname()
  local p = assert(io.popen("{ " .. command .. "\n} <" .. infile .. " 2>" .. errfile))
  local out = p:read("a")
  local _, _, code = p:close()
  local err = program.slurp(errfile)
  os.remove(errfile)
  os.remove(infile)
  return out, code, err
end

-- `nslab ARGS` (the rest of a shell line), without colours: stdout, exit
-- status, stderr.
function program.nslab(args, input)
  return program.run("NO_COLOR=1 " .. program.quote(program.program) .. " " .. args, input)
end

return program
