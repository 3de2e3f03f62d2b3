-- nslab.repl: the interactive prompt, in the style of lua.c.
--
--   require("nslab.repl").start(env [, opts])
--
-- On a terminal, lines are read with libedit (nslab.lineedit, built into
-- bin/nslab): editing, history kept in ~/.nslab_history (the last 1000
-- entries, written after each one), TAB completion of names (globals,
-- fields after `x.`, methods after `x:`) and, inside a string, of the
-- names of namespaces and links. Elsewhere (a pipe, a file, the stock
-- interpreter) plain lines are read, so scripts piped in keep working.
--
-- Each line is tried first as `return <line>` (and `=expr` is `return
-- expr`), so that expressions print; a statement that is not complete yet
-- (its syntax error ends in "<eof>") asks for more lines with ">> ".
-- Results print with their views (nslab.view) or __tostring, tables on one
-- line. Errors print as `stdin:LINE: message`, without a traceback:
-- traceback() prints the last one, opts.traceback prints each. Ctrl-C
-- abandons the line, or stops the running code ("interrupted!"); Ctrl-D
-- (end of input) leaves. Each primitive prints its equivalent command
-- (`$ ip netns add test1`); trace(false) turns that off, trace(true) on.
local trace = require("nslab.trace")

local repl = {}

repl.prompt = "nslab> "
repl.prompt2 = ">> "
repl.history_size = 1000

local EOFMARK = "<eof>"

local function optional(name)
  local ok, m = pcall(require, name)
  if ok then return m end
  return nil
end

---------------------------------------------------------------- results

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
  local ok, mt = pcall(getmetatable, v)
  return ok and type(mt) == "table" and rawget(mt, "__tostring") ~= nil
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

-- A list of objects that print themselves, one per line when any of
-- them takes more than one.
local function object_list(t)
  local n = #t
  if n == 0 then return nil end
  local texts, multi = {}, false
  for i = 1, n do
    if not has_tostring(t[i]) then return nil end
    texts[i] = safe_tostring(t[i])
    multi = multi or texts[i]:find("\n") ~= nil
  end
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then return nil end
  end
  return multi and table.concat(texts, "\n") or nil
end

-- A result as the prompt shows it: strings as they are, what has a view
-- (nslab.view: a namespace, link, bridge, rule table, docker network, a
-- list of them) as its view, anything else as Lua data.
function repl.value_text(v)
  if type(v) == "string" then return v end
  local ok, text = pcall(require("nslab.view").render, v)
  if ok and text then return (text:gsub("\n$", "")) end
  if type(v) == "table" and not has_tostring(v) then
    return object_list(v) or repl.table_text(v)
  end
  return safe_tostring(v)
end

---------------------------------------------------------------- errors

local function error_text(err)
  if type(err) == "string" then return err end
  if has_tostring(err) then return safe_tostring(err) end
  if type(err) == "table" and type(rawget(err, "message")) == "string" then return err.message end
  return "(error object is a " .. type(err) .. " value)"
end

-- The traceback of an error in the user's code, without the prompt's own
-- frames (everything from the xpcall that ran it).
local function traceback_of(message, level)
  local text = debug.traceback(message, level + 1)
  local cut = text:find("\n%s*%[C%]: in function 'xpcall'")
  return cut and text:sub(1, cut - 1) or text
end

-- The message as the prompt prints it: where in the input it happened
-- first. Errors of the API say "OP OBJECT: what" without a position (the
-- position would be nslab's own file); the innermost line of the input
-- on the stack is that position. `return f()` leaves no frame of its
-- own (a tail call): a one-line input is then line 1.
local function located(message, level, lines)
  if message:match("^stdin:%d+:") then return message end
  -- a position in nslab's own files (where Ctrl-C found Lua running, or
  -- a fault of nslab's) says nothing about the input: traceback() has it
  message = message:gsub("^[^\n:]*/nslab/[%w_]+%.lua:%d+: ", "", 1)
  for l = level + 1, level + 200 do
    local info = debug.getinfo(l, "Sl")
    if info == nil then break end
    if info.source == "=stdin" and (info.currentline or 0) > 0 then
      return "stdin:" .. info.currentline .. ": " .. message
    end
  end
  if lines == 1 then return "stdin:1: " .. message end
  return message
end

---------------------------------------------------------------- completion

local KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[#KEYWORDS + 1] = word
end

local function is_name(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil end

local function safe_index(t, k)
  local ok, v = pcall(function() return t[k] end)
  if ok then return v end
  return nil
end

-- The value of a dotted name (a.b.c) in env, reading fields only (no call
-- is made: an __index function could do anything, so only tables').
local function lookup(env, path)
  local v = env
  for part in path:gmatch("[^.]+") do
    if type(v) ~= "table" and type(v) ~= "userdata" and type(v) ~= "string" then return nil end
    if type(v) == "table" and getmetatable(v) == nil then
      v = rawget(v, part)
    else
      v = safe_index(v, part)
    end
    if v == nil then return nil end
  end
  return v
end

-- The names a value offers after `.` (fields) or `:` (methods): its own
-- keys and those of its metatable's __index tables (a class's
-- metamethods, __index and __tostring, are not the object's fields).
local function members(v, methods)
  local names, seen = {}, {}
  local depth = 0
  local function add(k, x)
    if is_name(k) and not seen[k] and (not methods or type(x) == "function")
        and not ((methods or depth > 0) and k:sub(1, 2) == "__") then
      seen[k] = true
      names[#names + 1] = k
    end
  end
  local t = type(v) == "string" and string or v
  while (type(t) == "table" or type(t) == "userdata") and depth < 8 do
    if type(t) == "table" then
      for k, x in next, t do add(k, x) end
    end
    local ok, mt = pcall(getmetatable, t)
    if not ok or type(mt) ~= "table" then break end
    t = rawget(mt, "__index")
    -- an __index function (a Link binds pending pairs in one) most often
    -- looks its methods up in the metatable itself
    if type(t) == "function" then t = mt end
    depth = depth + 1
  end
  return names
end

-- Whether the text ends inside a string literal ('...' or "...").
local function open_quote(text)
  local q, i = nil, 1
  while i <= #text do
    local c = text:sub(i, i)
    if q then
      if c == "\\" then i = i + 1 elseif c == q then q = nil end
    elseif c == '"' or c == "'" then
      q = c
    elseif text:sub(i, i + 1) == "--" then
      return nil
    end
    i = i + 1
  end
  return q
end

local function core_of(env)
  local nslab = lookup(env, "nslab")
  return type(nslab) == "table" and rawget(nslab, "core") or optional("nslab.core")
end

-- Inside a string: the links of X after `X:link("`, else the names of
-- the namespaces and of the host's links.
local function string_names(env, before)
  local names = {}
  local path = before:match("([%a_][%w_%.]*):link%s*%(%s*[\"']$")
  local ns = path and lookup(env, path)
  if ns == nil then
    local core = core_of(env)
    local ok, list = pcall(function() return core.netns_list() end)
    if ok and type(list) == "table" then
      for _, n in ipairs(list) do names[#names + 1] = n end
    end
    ns = lookup(env, "host")
  end
  local ok, links = pcall(function() return ns:link_names() end)
  if ok and type(links) == "table" then
    for _, n in ipairs(links) do names[#names + 1] = n end
  end
  return names
end

local function global_names(env)
  local names = {}
  for k in next, env do names[#names + 1] = k end
  for k in next, _G do names[#names + 1] = k end
  for _, k in ipairs(KEYWORDS) do names[#names + 1] = k end
  return names
end

-- The words that may replace word at the end of before (TAB).
function repl.complete(env, before, word)
  local names
  local q = open_quote(before)
  if q then
    -- the editor's word ends at - . : (Lua's operators), but a name in a
    -- string is all that follows the quote: match that, replace the word
    local head, done = before:match("^(.*" .. q .. ")(.*)$")
    local out, seen = {}, {}
    for _, n in ipairs(string_names(env, head)) do
      if n:sub(1, #done + #word) == done .. word and not seen[n] then
        seen[n] = true
        out[#out + 1] = n:sub(#done + 1)
      end
    end
    table.sort(out)
    return out
  else
    local path, sep = before:match("([%a_][%w_%.]*)%s*([.:])%s*$")
    if path then
      local v = lookup(env, path)
      names = v ~= nil and members(v, sep == ":") or {}
    elseif before:match("[%w_%]%)]%s*[.:]%s*$") then
      names = {} -- a field of something that is not a plain name
    else
      names = global_names(env)
    end
  end
  local out, seen = {}, {}
  for _, n in ipairs(names) do
    if type(n) == "string" and n:sub(1, #word) == word and not seen[n] then
      seen[n] = true
      out[#out + 1] = n
    end
  end
  table.sort(out)
  return out
end

---------------------------------------------------------------- help

-- help(): the API by topic, from what the modules declare (nslab.api) and
-- the core's bindings; help(x): what x offers. A fuller help (nslab.help)
-- replaces this one where it exists.
local function minimal_help(env, write)
  return function(x)
    if x ~= nil then
      local names = {}
      for _, n in ipairs(members(x, false)) do
        if n:sub(1, 2) ~= "__" then names[#names + 1] = n end
      end
      table.sort(names)
      write(safe_tostring(x), " (", type(x), ")", #names > 0 and ": " .. table.concat(names, ", ") or "", "\n")
      return
    end
    local api = optional("nslab.api")
    local topics = {}
    for noun, decls in pairs(api and api.declared or {}) do
      local names = {}
      for name in pairs(decls) do names[#names + 1] = name end
      table.sort(names)
      topics[#topics + 1] = { noun, names }
    end
    local seen = {}
    for _, t in ipairs(topics) do seen[t[1]] = true end
    for _, g in ipairs{ "check", "docker", "container", "trace" } do -- the modules in scope
      local m = rawget(env, g)
      if not seen[g] and type(m) == "table" then
        local names = {}
        for _, n in ipairs(members(m, true)) do names[#names + 1] = n end
        table.sort(names)
        if #names > 0 then topics[#topics + 1] = { g, names } end
      end
    end
    table.sort(topics, function(a, b) return a[1] < b[1] end)
    write("nslab: a Lua prompt in a private world. In scope: ")
    local globals = {}
    for k in pairs(env) do if is_name(k) then globals[#globals + 1] = k end end
    table.sort(globals)
    write(table.concat(globals, ", "), "\n\n")
    for _, t in ipairs(topics) do
      write(t[1], ": ", table.concat(t[2], ", "), "\n")
    end
    local core = core_of(env)
    local ok, bindings = pcall(function() return core.bindings() end)
    if ok and type(bindings) == "table" then
      local bnames = {}
      for b in pairs(bindings) do bnames[#bnames + 1] = b end
      table.sort(bnames)
      write("\ncore (nslab.core):\n")
      for _, b in ipairs(bnames) do
        local list = {}
        for _, n in ipairs(bindings[b].functions or {}) do list[#list + 1] = n end
        for _, n in ipairs(bindings[b].methods or {}) do list[#list + 1] = ":" .. n end
        if #list > 0 then write("  ", b, ": ", table.concat(list, ", "), "\n") end
      end
    end
    write("\nhelp(x) lists what x offers; TAB completes; traceback() shows the last error's.\n")
  end
end

---------------------------------------------------------------- the session

local function compile(code, env)
  return load(code, "=stdin", "t", env)
end

-- Compile a line: as an expression if it is one, else as a statement.
local function compile_line(line, env)
  local expr = line:match("^%s*=(.*)$")
  if expr then return compile("return " .. expr, env) end
  local f = compile("return " .. line, env)
  if f then return f end
  return compile(line, env)
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

-- One line of input: the line; nil at end of input; false when Ctrl-C
-- abandoned it. A plain read cut short by Ctrl-C returns false too (the
-- interrupt itself is raised as soon as Lua resumes).
function Session:read(prompt)
  if self.editor then return self.editor.readline(prompt) end
  self:write(prompt)
  local line, _, code = self.input:read("l")
  if line == nil and code == EINTR then return false end
  return line
end

-- Read and compile one statement, asking for more lines while it is
-- incomplete. Returns the function, or nil and the error; false at EOF;
-- true when the line was abandoned or empty.
function Session:read_chunk()
  local line = self:read(repl.prompt)
  if line == nil then return false end
  if line == false or line:match("^%s*$") then return true end
  local f, err = compile_line(line, self.env)
  while not f and incomplete(err) do
    local more = self:read(repl.prompt2)
    if more == false then return true end
    if more == nil then break end
    line = line .. "\n" .. more
    f, err = compile(line, self.env)
  end
  if self.editor and line ~= self.last_entry then -- the same line twice is one entry
    self.editor.add_history(line)
    self.last_entry = line
  end
  self.lines = select(2, line:gsub("\n", "")) + 1
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
  if f == true then return true end
  if not f then
    self.errors:write(err, "\n")
    return true
  end
  local results = table.pack(xpcall(f, function(e)
    local message = error_text(e)
    self.last_traceback = traceback_of(message, 2)
    return located(message, 2, self.lines)
  end))
  if results[1] then
    self:show(results)
  else
    self.errors:write(results[2], "\n")
    if self.traceback then self.errors:write(self.last_traceback, "\n") end
  end
  return true
end

-- The line editor, when input is the terminal and bin/nslab has one.
local function editor_for(self, opts)
  if opts.input or opts.editor == false then return nil end
  local le = optional("nslab.lineedit")
  if le == nil or not le.isatty(0) then return nil end
  local home = os.getenv("HOME")
  if opts.history ~= false and home and home ~= "" then
    le.history_file(opts.history or (home .. "/.nslab_history"), repl.history_size)
  end
  le.set_completer(function(before, word) return repl.complete(self.env, before, word) end)
  return le
end

-- The names the prompt adds to env: trace (callable), traceback, help.
local function add_prompt_names(self, env)
  local printing = true
  local palette = self.palette
  local unlisten_commands = trace.listen(function(text)
    if printing then self:write(palette.dim("$ " .. text), "\n") end
  end)
  -- what nslab changes on its own (IPv6 quiet, static ARP), said once
  local unlisten_notes = trace.listen_notes(function(text) self:write(palette.dim("# " .. text), "\n") end)
  self.unlisten = function() unlisten_commands() unlisten_notes() end
  local t = rawget(env, "trace")
  if t == nil or t == trace then
    env.trace = setmetatable({}, {
      __index = trace,
      __call = function(_, on)
        if on == nil then return printing end
        printing = on and true or false
      end,
    })
  end
  env.traceback = function()
    self.errors:write((self.last_traceback or "no error yet"), "\n")
  end
  if rawget(env, "help") == nil then
    local help = optional("nslab.help")
    if type(help) == "table" and type(help.help) == "function" then
      env.help = help.help
    elseif type(help) == "function" then
      env.help = help
    else
      env.help = minimal_help(env, function(...) self:write(...) end)
    end
  end
end

-- Run the prompt until end of input, evaluating in env (the standard
-- globals are reached through it if it has no metatable of its own).
-- opts: runner (the lab runner whose checks env's check counts: the
-- summary is printed at the end when checks ran at the prompt; the
-- result is then 1 if one failed), traceback (print each error's),
-- history (a file instead of ~/.nslab_history, or false), palette;
-- for tests: input, output, errors (file handles), banner, editor=false.
-- Returns the exit status.
function repl.start(env, opts)
  opts = opts or {}
  env = env or {}
  if getmetatable(env) == nil then setmetatable(env, { __index = _G }) end
  local term = require("nslab.term")
  local self = setmetatable({
    env = env,
    input = opts.input or io.stdin,
    output = opts.output or io.stdout,
    errors = opts.errors or io.stderr,
    traceback = opts.traceback,
    palette = opts.palette or term.palette(false),
  }, Session)
  self.editor = editor_for(self, opts)
  add_prompt_names(self, env)
  local runner = opts.runner
  local counted = runner and runner.passed + runner.failed
  local failed = runner and runner.failed
  if opts.banner ~= false then
    self:write(opts.banner or "nslab: a Lua prompt in a private world; help() for the API, Ctrl-D to leave\n")
  end
  while true do
    local ok, more = pcall(self.step, self)
    if ok and not more then break end
    if not ok then -- Ctrl-C at the prompt, or a fault of the prompt itself
      local text = error_text(more)
      self:write("\n")
      if not text:find("interrupted!$") then self.errors:write(text, "\n") end
    end
  end
  self:write("\n")
  self.unlisten()
  if self.editor then self.editor.set_completer(nil) end
  if runner and runner.passed + runner.failed > counted then
    runner:summary()
    return runner.failed > failed and 1 or 0
  end
  return 0
end

---------------------------------------------------------------- nslab repl LAB

-- The lab chunk with its top-level locals caught as it ends: a
-- to-be-closed variable declared first, on the lab's first line (so line
-- numbers stay), whose __close runs when the chunk returns, normally or
-- early, while the chunk's frame is still there to read (debug.getlocal).
-- When the lab raises, the frame is gone by then: a message handler,
-- which runs before the stack unwinds, reads them instead. The values are
-- those at the end (the REPL's copy and the lab's closures' do not follow
-- each other after that); a `local x <const> = 5` is folded by the
-- compiler into its uses and is no variable that could be read.
local CAPTURE = "__nslab_locals"

local function read_locals(level, into)
  for i = 1, 250 do
    local name, value = debug.getlocal(level + 1, i)
    if name == nil then break end
    if name ~= CAPTURE and is_name(name) then into[name] = value end
  end
end

-- Run the lab at path as `nslab run` does (the runner's output, its
-- summary) and return its status, its environment with the lab's
-- top-level locals added (where it has no global of that name... the
-- local wins: it is what the lab's last lines saw), and the runner.
function repl.run_lab(path, args, opts)
  local lab = require("nslab.lab")
  local runner = lab.new(opts)
  local env = runner:environment(path, args)
  local file, err = io.open(path, "r")
  if not file then return runner:load_error(err), env, runner end
  local source = file:read("a")
  file:close()
  if source == nil then return runner:load_error(path .. ": cannot read"), env, runner end
  if source:sub(1, 1) == "#" then source = "--" .. source end -- loadfile skips a #! line
  local chunk, load_err = load("local " .. CAPTURE .. " <close> = " .. CAPTURE .. "(); " .. source,
                               "@" .. path, "t", env)
  if not chunk then return runner:load_error(load_err), env, runner end
  local locals = {}
  rawset(env, CAPTURE, function()
    return setmetatable({}, { __close = function(_, e) if e == nil then read_locals(2, locals) end end })
  end)
  local function caught(...)
    return table.pack(xpcall(chunk, function(e)
      for level = 2, 400 do
        local info = debug.getinfo(level, "f")
        if info == nil then break end
        if info.func == chunk then read_locals(level, locals) break end
      end
      return e
    end, ...))
  end
  local status = runner:run(function(...)
    local r = caught(...)
    if not r[1] then error(r[2], 0) end
    return table.unpack(r, 2, r.n)
  end, table.unpack(args or {}))
  rawset(env, CAPTURE, nil)
  for name, value in pairs(locals) do rawset(env, name, value) end
  return status, env, runner
end

return repl
