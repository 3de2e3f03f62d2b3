-- A busted output handler for tools/test: one line per test, the message and
-- the trace of every failure or error right under it, and a last line
-- "N passed, N failed" that tools/test adds to its totals.
--
--   busted -o spec/support/summary.lua spec
--
-- Errors count as failed (also those outside a test: a spec file that does
-- not load, a failing before_each); pending tests are listed, not counted.
local pretty = require("pl.pretty")

-- Frames of busted and luassert themselves say nothing about the failure.
local function noise(line)
  return line:find("/busted/", 1, true) or line:find("/luassert/", 1, true)
    or line:find("[C]: in function 'xpcall'", 1, true)
    or line:find("[C]: in function 'pcall'", 1, true)
    or line:find("[C]: in function 'error'", 1, true)
    or line:find("(...tail calls...)", 1, true)
    or line:find("[C]: in ?", 1, true)
end

local function say(text)
  io.write(text, "\n")
  io.flush()
end

local function indent(text)
  return "    " .. text:gsub("\n", "\n    ")
end

local function message_text(message)
  if message == nil then return "nil error" end
  if type(message) == "string" then return message end
  return pretty.write(message)
end

local function traceback_text(traceback)
  local kept = {}
  for line in traceback:gmatch("[^\n]+") do
    if not noise(line) and not line:match("^stack traceback:") then
      kept[#kept + 1] = (line:gsub("^%s+", ""))
    end
  end
  if #kept == 0 then return nil end
  return "stack traceback:\n  " .. table.concat(kept, "\n  ")
end

return function(_options)
  local busted = require("busted")
  local handler = require("busted.outputHandlers.base")()
  local passed, failed = 0, 0

  -- Where it failed, what was said, and the trace that led there.
  local function describe_failure(element, message, trace)
    local where = trace or element.trace
    local text = message_text(message)
    if where and where.short_src then
      local at = where.short_src .. ":" .. tostring(where.currentline)
      -- most messages already begin with their place
      if text:sub(1, #at) ~= at then say(indent(at)) end
    end
    say(indent(text))
    local tb = trace and trace.traceback and traceback_text(trace.traceback)
    if tb then say(indent(tb)) end
  end

  local function test_end(element, _parent, status)
    local name = handler.getFullName(element)
    if status == "success" then
      passed = passed + 1
      say("ok - " .. name)
    elseif status == "pending" then
      say("skip - " .. name)
    end
    -- failures and errors were printed (and counted) when they happened
    return nil, true
  end

  -- A failure or error of a test, or of anything around tests (a file that
  -- does not load, a describe block, a before_each).
  local function failure(element, _parent, message, trace)
    failed = failed + 1
    local name = handler.getFullName(element)
    local kind = tostring(element.descriptor)
    if kind ~= "it" and name:sub(-#kind) ~= kind then
      name = name .. " (" .. kind .. ")"
    end
    say("not ok - " .. name)
    describe_failure(element, message, trace)
    return nil, true
  end

  local function suite_end()
    say("")
    say(string.format("%d passed, %d failed", passed, failed))
    return nil, true
  end

  local function suite_reset()
    passed, failed = 0, 0
    return nil, true
  end

  busted.subscribe({ "suite", "reset" }, suite_reset)
  busted.subscribe({ "suite", "end" }, suite_end)
  busted.subscribe({ "test", "end" }, test_end,
                   { predicate = handler.cancelOnPending })
  busted.subscribe({ "failure" }, failure)
  busted.subscribe({ "error" }, failure)

  return handler
end
