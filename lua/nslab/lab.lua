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
-- 2 the lab could not be loaded (missing file, syntax error), 130 the run
-- was interrupted (Ctrl-C).
--
-- The runner makes one stream of events (Runner:emit) that reporters
-- render, one small module per format: nslab.report.text (the default,
-- with -q, -v and --explain), .tap, .json and .junit (a file beside the
-- others); nslab.report.pause holds --pause-on-fail and --shell. A FAIL
-- line and an error name the lab's file and line: an error raised deep
-- inside nslab (the core's "link add veth0: File exists") is reported at
-- the lab line that called it.
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
  format = { type = "any", doc = '"text" (default), "tap" or "json": what goes to writer (nslab.report)' },
  junit = { type = "any", doc = "a file to write the results to as JUnit XML, or a writer" },
  quiet = { type = "boolean", doc = "text: only failures, errors and the summary" },
  verbose = { type = "boolean", doc = "text: also the commands trace.quietly hides" },
  explain = { type = "boolean", doc = "text: each step's commands as a shell block under it" },
  shell = { type = "boolean", doc = "after the lab, a shell in its world's host namespace" },
  pause_on_fail = { type = "boolean", doc = "at the first failed check (or error), the prompt with the lab's objects" },
}

-- An error raised inside a step, tagged with the step's text so the report
-- can say where it happened. It prints as the original message, so code
-- that catches it sees what was raised.
local StepError = {}
StepError.__index = StepError
StepError.__tostring = function(e) return e.message end

-- Does a message start with a place in file ("labs/x.lua:12: ")?
local function located(message, file)
  return message:sub(1, #file + 1) == file .. ":" and message:match("^:%d+: ", #file + 1) ~= nil
end

-- The innermost frame of the lab's own code (source: its chunk's source)
-- from level up: its short_src and line, and whether it is the first Lua
-- frame (the lab raised the error itself).
local function lab_frame(source, level)
  if source == nil then return nil end
  local first = true
  for l = level + 1, 400 do
    local info = debug.getinfo(l, "Sl")
    if info == nil then return nil end
    if info.source == source and info.currentline > 0 then return info.short_src, info.currentline, first end
    if info.what ~= "C" then first = false end
  end
end

local function step_error(step, err, level, source)
  if getmetatable(err) == StepError then return err end
  local message = check.message_of(err)
  -- an error raised deep inside nslab (the core, the API) is reported at
  -- the lab line that called it; one the lab raised itself is as it said
  local file, line, own = lab_frame(source, level)
  if file and message:find("interrupted!$") then
    -- Ctrl-C (core/main.c's hook) names a line near where Lua was: say
    -- the lab's line that ran
    message = file .. ":" .. line .. ": interrupted!"
  elseif file and not own and not located(message, file) then
    message = file .. ":" .. line .. ": " .. message
  end
  return setmetatable({ step = step, message = message, value = err, file = file, line = line,
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

local FORMATS = { text = true, tap = true, json = true }

-- The reporters a run writes to: the one of its format on writer, and a
-- JUnit file when asked for. Each is a small module (nslab.report.*) that
-- reads one stream of events (see Runner:emit).
local function reporters(self, opts)
  local format = opts.format or "text"
  if not FORMATS[format] then
    error(string.format('lab: option \'format\' must be "text", "tap" or "json", got %s', check.render(format)), 0)
  end
  local list = { require("nslab.report." .. format).new({
    out = self.out, palette = self.palette, traceback = opts.traceback, quiet = opts.quiet,
    verbose = opts.verbose, explain = opts.explain }) }
  if opts.junit ~= nil then
    local file, close = opts.junit, false
    if type(file) == "string" then
      local f, err = io.open(file, "w")
      if not f then error("lab: option 'junit': cannot write " .. err, 0) end
      file, close = f, true
    end
    list[#list + 1] = require("nslab.report.junit").new({ out = as_writer(file), close = close })
  end
  return list
end

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
    verbose = opts.verbose or opts.explain,
    shell = opts.shell,
    pause_on_fail = opts.pause_on_fail,
    passed = 0,
    failed = 0,
  }, Runner)
  self.format = opts.format or "text"
  self.reporters = reporters(self, opts)
  -- a progress line would break a machine-read stream, or what -q keeps
  self.progress = not (opts.quiet or opts.junit or (opts.format or "text") ~= "text")
  return self
end

-- Tell every reporter of one event: a table with event = "title",
-- "section", "step", "command" (text; quiet: made inside trace.quietly,
-- shown with -v), "output" (text a lab shows), "note", "check" (passed,
-- description, detail, file, line), "error" (message, step, file, line,
-- traceback, interrupted) or "summary" (passed, failed, status).
function Runner:emit(e)
  for _, r in ipairs(self.reporters) do r:event(e) end
end

-- One line of output as it is, flushed at once.
function Runner:line(text)
  self.out:write(text, "\n")
  self.out:flush()
end

-- Lines of text (command output), indented under the current step.
function Runner:block(text)
  self:emit({ event = "output", text = text })
end

function Runner:title(text) self:emit({ event = "title", text = tostring(text) }) end

function Runner:section(text) self:emit({ event = "section", text = tostring(text) }) end

function Runner:command(text, quiet)
  if self.paused then return end -- the prompt prints its own
  self:emit({ event = "command", text = text, quiet = quiet or nil })
end

-- Count and report one check result; returns passed. The lab line that
-- made the check goes with it, and under a failure why, a probe's
-- diagnosis (nslab.why: a report, or its text).
function Runner:record(passed, description, detail, why)
  local file, line = lab_frame(self.source, 1)
  if passed then
    self.passed = self.passed + 1
  else
    self.failed = self.failed + 1
  end
  self:emit({ event = "check", passed = passed and true or false, description = description,
              detail = not passed and detail or nil, file = file, line = line, why = not passed and why or nil })
  if not passed and self.pause_on_fail and not self.paused_once then
    self.paused_once = true
    require("nslab.report.pause").at_failure(self, file, line)
  end
  return passed
end

-- --pause-on-fail at an error: the prompt opens in the message handler,
-- while the failing frames are still there to read (not for Ctrl-C, nor
-- when Lua is out of stack or memory).
function Runner:pause_at_error(e)
  if not self.pause_on_fail or self.paused_once or self.paused then return end
  if e.message:find("interrupted!$") or e.message:find("stack overflow") or e.message:find("not enough memory") then
    return
  end
  self.paused_once = true
  require("nslab.report.pause").at_failure(self, e.file, e.line, e.message)
end

-- step(text) prints a step; step(text, fn) also runs fn and returns its
-- results. An error inside fn leaves the step tagged with its text.
function Runner:step(text, fn)
  if type(text) ~= "number" then options.value(text, "step", nil, "argument 1 (text)", TEXT) end
  if fn ~= nil and type(fn) ~= "function" then
    error("step: argument 2 (fn) must be a function, got " .. type(fn), 0)
  end
  text = tostring(text)
  self:emit({ event = "step", text = text })
  if fn == nil then return end
  local results = table.pack(xpcall(fn, function(err)
    local e = step_error(text, err, 3, self.source) -- (not a tail call: it counts the levels)
    self:pause_at_error(e)
    return e
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

-- Ctrl-C: the program turns SIGINT into the error "interrupted!" in the
-- Lua code that runs (core/main.c, as lua.c does).
local function interrupted(message)
  return type(message) == "string" and message:find("interrupted!$") ~= nil
end

-- The error that stopped the lab: one failure, a one-line message (the
-- traceback only on request).
function Runner:report_error(e)
  self.failed = self.failed + 1
  if interrupted(e.message) then self.interrupted = true end
  self:emit({ event = "error", message = e.message, step = e.step, file = e.file, line = e.line,
              traceback = e.traceback, interrupted = self.interrupted or nil })
end

-- The summary; the exit status: 0 nothing failed, 1 something did, 130
-- interrupted (128 + SIGINT, as a shell says it).
function Runner:summary()
  local status = self.interrupted and 130 or (self.failed == 0 and 0 or 1)
  self:emit({ event = "summary", passed = self.passed, failed = self.failed, status = status })
  return status
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
  require("nslab.help").alias(env.show, "view.show") -- help(show)
  env.check = check.bind({
    record = function(...) return self:record(...) end,
    show = function(text) self:block(text) end, -- check.matrix's picture
    host = function() return rawget(env, "host") end,
  })
  env.arg = table.move(args or {}, 1, #(args or {}), 1, { [0] = path })
  -- the lab's code, known by its chunk's source (run_string sets its own)
  if type(path) == "string" then self.source = "@" .. path end
  self.env = env
  for _, r in ipairs(self.reporters) do r.name = r.name or path end -- a JUnit suite's name
  return env
end

-- Run a loaded chunk: commands traced as they happen, an error reported as
-- one failure, the summary line last. Returns the exit status.
function Runner:run(chunk, ...)
  ipv6.reset() -- each lab starts quiet, and says so once
  if self.source == nil then self.source = debug.getinfo(chunk, "S").source end
  local unlisten = trace.listen(function(text) self:command(text) end)
  local unquiet = self.verbose and trace.listen_quiet(function(text) self:command(text, true) end)
  local unnote = trace.listen_notes(function(text) self:emit({ event = "note", text = text }) end)
  local progress = term.quiet_progress(not self.progress)
  local ok, err = xpcall(chunk, function(e)
    local tagged = step_error(nil, e, 3, self.source) -- (not a tail call: it counts the levels)
    self:pause_at_error(tagged)
    return tagged
  end, ...)
  term.quiet_progress(progress)
  unlisten()
  if unquiet then unquiet() end
  unnote()
  if not ok then
    -- the handler itself can fail ("error in error handling")
    self:report_error(step_error(nil, err, 1))
  end
  local status = self:summary()
  if self.shell and not self.interrupted then require("nslab.report.pause").shell(self) end
  return status
end

-- A lab that cannot be loaded: the message on stderr, status 2; a
-- machine-read report (TAP, JSON, JUnit) says it too, as an error.
function Runner:load_error(message)
  self.err:write("nslab: ", message, "\n")
  self.err:flush()
  for i, r in ipairs(self.reporters) do
    if i > 1 or self.format ~= "text" then
      r:event({ event = "error", message = message })
      r:event({ event = "summary", passed = 0, failed = 1, status = 2 })
    end
  end
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
  runner.source = "=" .. name
  if type(code) ~= "string" then
    return runner:load_error(name .. ": nothing to run"), env
  end
  local chunk, err = load(code, "=" .. name, "t", env)
  if not chunk then return runner:load_error(err), env end
  return runner:run(chunk), env
end

return lab
