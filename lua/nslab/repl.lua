-- nslab.repl: the interactive prompt, in the style of lua.c.
--
--   require("nslab.repl").start(env)
--
-- Each line is tried first as `return <line>`, so that expressions print;
-- a statement that is not complete yet (its syntax error ends in "<eof>")
-- asks for more lines. Results are printed (tables shallowly, keys in a
-- stable order), errors with a traceback. Ctrl-C abandons the line or
-- stops the running code ("interrupted!"); Ctrl-D (end of input) leaves.
local repl = {}

repl.prompt = "nslab> "
repl.prompt2 = ">> "

local EOFMARK = "<eof>"

-- A string as Lua source, on one line.
local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return "<" .. type(v) .. ">"
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

-- A value inside a table: strings quoted, tables not expanded.
local function inner(v)
  if type(v) == "string" then return quote(v) end
  if type(v) == "table" and not has_tostring(v) then
    return next(v) == nil and "{}" or "{...}"
  end
  return safe_tostring(v)
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. inner(k) .. "]"
end

-- Keys after the array part: numbers first, then strings, then the rest,
-- each group in order, so the same table always prints the same way.
local KIND = { number = 1, string = 2 }

local function key_less(a, b)
  local ka, kb = KIND[type(a)] or 3, KIND[type(b)] or 3
  if ka ~= kb then return ka < kb end
  if ka == 3 then return safe_tostring(a) < safe_tostring(b) end
  return a < b
end

-- A table on one line: { 1, 2, name = "x", [true] = 3 }.
function repl.table_text(t)
  local parts, n = {}, 0
  while rawget(t, n + 1) ~= nil do
    n = n + 1
    parts[n] = inner(rawget(t, n))
  end
  local keys = {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, key_less)
  for _, k in ipairs(keys) do
    parts[#parts + 1] = key_text(k) .. " = " .. inner(rawget(t, k))
  end
  if #parts == 0 then return "{}" end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- A result as the prompt shows it: strings as they are.
function repl.value_text(v)
  if type(v) == "string" then return v end
  if type(v) == "table" and not has_tostring(v) then
    return repl.table_text(v)
  end
  return safe_tostring(v)
end

local function error_text(err)
  if type(err) == "string" then return err end
  if has_tostring(err) then return safe_tostring(err) end
  return "(error object is a " .. type(err) .. " value)"
end

-- The traceback of an error in the user's code, without the prompt's own
-- frames (everything from the xpcall that ran it).
local function traceback(err)
  local text = debug.traceback(error_text(err), 2)
  local cut = text:find("\n%s*%[C%]: in function 'xpcall'")
  return cut and text:sub(1, cut - 1) or text
end

-- Compile a line: as an expression if it is one, else as a statement.
local function compile_line(line, env)
  local f = load("return " .. line, "=stdin", "t", env)
  if f then return f end
  return load(line, "=stdin", "t", env)
end

local function incomplete(err)
  return err ~= nil and err:sub(-#EOFMARK) == EOFMARK
end

local Session = {}
Session.__index = Session

function Session:write(...)
  self.output:write(...)
  self.output:flush()
end

local EINTR = 4

-- One line of input; nil at end of input (or when it cannot be read). A
-- read cut short by Ctrl-C returns "" (the interrupt itself is raised as
-- soon as Lua resumes).
function Session:read(prompt)
  self:write(prompt)
  local line, _, code = self.input:read("l")
  if line == nil and code == EINTR then return "" end
  return line
end

-- Read and compile one statement, asking for more lines while it is
-- incomplete. Returns the function, or nil and the error; false at EOF.
function Session:read_chunk()
  local line = self:read(repl.prompt)
  if line == nil then return false end
  if line:match("^%s*$") then return nil end
  local f, err = compile_line(line, self.env)
  while not f and incomplete(err) do
    local more = self:read(repl.prompt2)
    if more == nil then break end
    line = line .. "\n" .. more
    f, err = load(line, "=stdin", "t", self.env)
  end
  return f, err
end

function Session:show(results)
  local texts = {}
  for i = 2, results.n do texts[#texts + 1] = repl.value_text(results[i]) end
  if #texts > 0 then self:write(table.concat(texts, "\t"), "\n") end
end

-- One prompt: read, evaluate, print. Returns false at end of input.
function Session:step()
  local f, err = self:read_chunk()
  if f == false then return false end
  if not f then
    if err then self.errors:write(err, "\n") end
    return true
  end
  local results = table.pack(xpcall(f, traceback))
  if results[1] then
    self:show(results)
  else
    self.errors:write(results[2], "\n")
  end
  return true
end

-- Run the prompt until end of input, evaluating in env (the standard
-- globals are reached through it if it has no metatable of its own).
-- opts (for tests): input, output, errors (file handles), banner.
function repl.start(env, opts)
  opts = opts or {}
  env = env or {}
  if getmetatable(env) == nil then setmetatable(env, { __index = _G }) end
  local self = setmetatable({
    env = env,
    input = opts.input or io.stdin,
    output = opts.output or io.stdout,
    errors = opts.errors or io.stderr,
  }, Session)
  if opts.banner ~= false then
    self:write(opts.banner or "nslab: a Lua prompt in a private world; "
               .. "Ctrl-D to leave\n")
  end
  while true do
    local ok, more = pcall(self.step, self)
    if ok and not more then break end
    if not ok then  -- Ctrl-C at the prompt, or a fault of the prompt itself
      local text = error_text(more)
      self:write("\n")
      if not text:find("interrupted!$") then self.errors:write(text, "\n") end
    end
  end
  self:write("\n")
  return 0
end

return repl
