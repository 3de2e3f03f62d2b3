-- nslab.lab: the lab runner.
--
-- A lab is a Lua file run in an environment made of the user API
-- (require("nslab").globals()), the runner functions (lab, section, step,
-- show, check) and, behind them, the standard globals. The runner prints
-- every step, every equivalent shell command and every check as it happens,
-- keeps going after a failed check, stops cleanly on an error, and ends with
-- "N passed, N failed".
--
--   local status, env = require("nslab.lab").run_file("labs/veth.lua", {}, {})
--
-- status: 0 nothing failed, 1 a check failed or the lab raised an error,
-- 2 the lab could not be loaded (missing file, syntax error).
local trace = require("nslab.trace")
local term = require("nslab.term")
local check = require("nslab.check")
local options = require("nslab.options")
local ipv6 = require("nslab.ipv6")

local lab = {}

local OPTIONS = {
  color = { type = "any", doc = '"auto" (default), "always" or "never" (term checks it)' },
  writer = { type = "any", doc = "where the lab's output goes (default io.stdout)" },
  err_writer = { type = "any", doc = "where load errors go (default io.stderr)" },
  globals = { type = "any", doc = "the API table, or a function making it (specs)" },
  traceback = { type = "boolean", doc = "print a Lua traceback under an error" },
}

-- An error raised inside a step, tagged with the step's text so the report
-- can say where it happened. It prints as the original message, so code
-- that catches it sees what was raised.
local StepError = {}
StepError.__index = StepError
StepError.__tostring = function(e) return e.message end

local function step_error(step, err, level)
  if getmetatable(err) == StepError then return err end
  local message = check.message_of(err)
  return setmetatable({ step = step, message = message, value = err,
                        traceback = debug.traceback(nil, level) },
                      StepError)
end

-- Accept a file-like writer (write, flush) or a function(text).
local function as_writer(w)
  if type(w) == "function" then
    return { write = function(_, ...) w(table.concat({ ... })) end,
             flush = function() end }
  end
  return w
end

local function check_options(opts)
  return options.check(opts, "lab", OPTIONS)
end

local TEXT = { type = "string", min = 0, max = 65536 }

-- lab(title, opts)'s options (the runner's are OPTIONS above).
local LAB_OPTIONS = {
  ipv6 = { type = "any", doc = 'true: links keep IPv6 address generation; false: off on all; "auto" (default): '
                               .. "off until a link gets an IPv6 address (nslab.ipv6)" },
}

local Runner = {}
Runner.__index = Runner

-- A runner: counts, output, colour. Exposed for the REPL and for specs.
function lab.new(opts)
  opts = check_options(opts)
  local out = as_writer(opts.writer or io.stdout)
  local self = setmetatable({
    out = out,
    err = as_writer(opts.err_writer or io.stderr),
    palette = term.palette(term.use_color(opts.color, out)),
    traceback = opts.traceback,
    globals = opts.globals,
    passed = 0,
    failed = 0,
  }, Runner)
  return self
end

-- One line of output, flushed at once so steps show as they happen.
function Runner:line(text)
  self.out:write(text, "\n")
  self.out:flush()
end

-- Lines of text (command output), indented under the current step.
function Runner:block(text)
  text = text:gsub("\n$", "")
  if text == "" then return end
  for line in (text .. "\n"):gmatch("(.-)\n") do
    self:line("    " .. line)
  end
end

function Runner:title(text)
  self:line(self.palette.bold("# " .. tostring(text)))
end

function Runner:section(text)
  self:line("")
  self:line(self.palette.bold("## " .. tostring(text)))
end

function Runner:command(text)
  self:line("    $ " .. text)
end

-- Count and print one check result, and under a failure the lines below
-- (a probe's diagnosis, nslab.why); returns passed.
function Runner:record(passed, description, detail, below)
  local p = self.palette
  if passed then
    self.passed = self.passed + 1
    self:line("  " .. p.green("PASS") .. " " .. description)
  else
    self.failed = self.failed + 1
    local tail = (detail and detail ~= "") and " — " .. detail or ""
    self:line("  " .. p.red("FAIL") .. " " .. description .. tail)
    if below then self:block(below) end
  end
  return passed
end

-- step(text) prints a step; step(text, fn) also runs fn and returns its
-- results. An error inside fn leaves the step tagged with its text.
function Runner:step(text, fn)
  if type(text) ~= "number" then options.value(text, "step", nil, "argument 1 (text)", TEXT) end
  if fn ~= nil and type(fn) ~= "function" then
    error("step: argument 2 (fn) must be a function, got " .. type(fn), 0)
  end
  text = tostring(text)
  self:line("* " .. text)
  if fn == nil then return end
  local results = table.pack(xpcall(fn, function(err)
    return step_error(text, err, 3)
  end))
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

-- show(text) prints command output; show(result of ns:exec) prints its
-- stdout and stderr; anything else goes to the API's own show (a view of an
-- object: nslab.view's text, or its JSON with show(x, {json = true})) when
-- there is one, else prints as Lua shows it.
function Runner:show(api_show, value, ...)
  if type(value) == "string" then return self:block(value) end
  if type(value) == "table" and (value.stdout or value.stderr) then
    self:block(value.stdout or "")
    return self:block(value.stderr or "")
  end
  if api_show then
    local text = api_show(value, ...)
    if type(text) == "string" then return self:block(text) end
  end
  self:block(check.render(value))
end

-- The error that stopped the lab: one failure, a one-line message (the
-- traceback only on request).
function Runner:report_error(e)
  self.failed = self.failed + 1
  local where = e.step and "error in step " .. e.step or "error"
  self:line(self.palette.red(where) .. ": " .. e.message)
  if self.traceback then self:block(e.traceback) end
end

function Runner:summary()
  self:line("")
  self:line(string.format("%d passed, %d failed", self.passed, self.failed))
  return self.failed == 0 and 0 or 1
end

-- Let env see the standard globals (print, string...) behind whatever it
-- already looks up through its own metatable.
local function fall_back_to_globals(env)
  local mt = getmetatable(env)
  if mt == nil then return setmetatable(env, { __index = _G }) end
  local own = mt.__index
  if own == nil then
    mt.__index = _G
  elseif own ~= _G then
    mt.__index = function(_, key)
      local value
      if type(own) == "function" then
        value = own(env, key)
      else
        value = own[key]
      end
      if value == nil then value = _G[key] end
      return value
    end
  end
  return env
end

-- The lab's environment: the API table with the runner functions added and
-- the standard globals behind it. Globals the lab defines land in it, so the
-- REPL can go on where the lab stopped.
function Runner:environment(path, args)
  local env = self.globals
  if type(env) == "function" then env = env() end
  if env == nil then env = require("nslab").globals() end
  fall_back_to_globals(env)
  local api_show = rawget(env, "show")
  -- the API's show prints; the lab puts the same text under its step
  if api_show == require("nslab.view").show then api_show = require("nslab.view").render end
  -- lab(title [, {ipv6 = true | false | "auto"}]): see nslab.ipv6
  env.lab = function(title, opts, ...)
    options.nargs("lab", 2, title, opts, ...)
    if opts ~= nil then
      options.check(opts, "lab", LAB_OPTIONS)
      if opts.ipv6 ~= nil then ipv6.set(ipv6.check(opts.ipv6, "lab", "option 'ipv6'")) end
    end
    self:title(title)
  end
  env.section = function(text, ...)
    options.nargs("section", 1, text, ...)
    self:section(text)
  end
  env.step = function(text, fn, ...)
    options.nargs("step", 2, text, fn, ...)
    return self:step(text, fn)
  end
  env.show = function(...) return self:show(api_show, ...) end
  env.check = check.bind({
    record = function(...) return self:record(...) end,
    host = function() return rawget(env, "host") end,
  })
  env.arg = table.move(args or {}, 1, #(args or {}), 1, { [0] = path })
  return env
end

-- Run a loaded chunk: commands traced as they happen, an error reported as
-- one failure, the summary line last. Returns the exit status.
function Runner:run(chunk, ...)
  ipv6.reset() -- each lab starts quiet, and says so once
  local unlisten = trace.listen(function(text) self:command(text) end)
  local unnote = trace.listen_notes(function(text) self:line("    # " .. text) end)
  local ok, err = xpcall(chunk, function(e) return step_error(nil, e, 3) end,
                         ...)
  unlisten()
  unnote()
  if not ok then
    -- the handler itself can fail ("error in error handling")
    self:report_error(step_error(nil, err, 1))
  end
  return self:summary()
end

function Runner:load_error(message)
  self.err:write("nslab: ", message, "\n")
  self.err:flush()
  return 2
end

-- Run the lab file at path with args (the lab sees them as arg and ...).
-- Returns the exit status and the environment the lab ran in.
function lab.run_file(path, args, opts)
  local runner = lab.new(opts)
  local env = runner:environment(path, args)
  if type(path) ~= "string" or path == "" then
    return runner:load_error("nothing to run: no lab file given"), env
  end
  local file, err = io.open(path, "r")
  if not file then return runner:load_error(err), env end
  file:close()
  -- loadfile, not load: it skips a "#!" first line.
  local chunk, load_err = loadfile(path, "t", env)
  if not chunk then return runner:load_error(load_err), env end
  return runner:run(chunk, table.unpack(args or {})), env
end

-- Run a lab given as a string (specs, the REPL). name is used in messages.
function lab.run_string(code, name, opts)
  local runner = lab.new(opts)
  name = name or "lab"
  local env = runner:environment(name)
  if type(code) ~= "string" then
    return runner:load_error(name .. ": nothing to run"), env
  end
  local chunk, err = load(code, "=" .. name, "t", env)
  if not chunk then return runner:load_error(err), env end
  return runner:run(chunk), env
end

return lab
