-- nslab.report.tap: the runner's events as TAP version 13 (`nslab run
-- --tap`), for prove and the CI systems that read TAP:
--
--   TAP version 13
--   # veth: a cable between two namespaces
--   ok 1 - ip netns list shows test1 and test2
--   not ok 2 - a new veth is DOWN
--     ---
--     message: "expected \"DOWN\", got \"UP\""
--     at: "labs/veth.lua:24"
--     ...
--   1..2
--
-- Each check is one test point; an error that stops the lab is one more,
-- failed. The plan comes last (the number of checks is known only at the
-- end). Titles, sections, steps and notes are comments; commands and
-- what a lab shows too with -v.
local json = require("nslab.json")

local tap = {}

local Tap = {}
Tap.__index = Tap

function tap.new(opts)
  return setmetatable({ out = opts.out, verbose = opts.verbose, traceback = opts.traceback, n = 0,
                        started = false }, Tap)
end

function Tap:line(s)
  self.out:write(s, "\n")
  self.out:flush()
end

-- A test point's description: one line, "#" escaped (it would start a
-- directive such as "# SKIP").
local function description(text)
  return (text:gsub("[\r\n]+", " "):gsub("\\", "\\\\"):gsub("#", "\\#"))
end

-- A comment line per line of text.
function Tap:comment(text, prefix)
  for line in (text:gsub("\n$", "") .. "\n"):gmatch("(.-)\n") do self:line("# " .. (prefix or "") .. line) end
end

-- The YAML block under a failed test point: each value a JSON string
-- (JSON is YAML), or a number.
function Tap:diagnostics(fields)
  self:line("  ---")
  for _, f in ipairs(fields) do
    local value = f[2]
    if value ~= nil then
      self:line("  " .. f[1] .. ": " .. (math.type(value) == "integer" and tostring(value)
                                          or json.encode(tostring(value))))
    end
  end
  self:line("  ...")
end

function Tap:point(passed, text)
  self.n = self.n + 1
  self:line(string.format("%s %d - %s", passed and "ok" or "not ok", self.n, description(text)))
end

local function at(e) return e.file and e.file .. ":" .. e.line or nil end

local handlers = {}

function handlers.title(self, e) self:comment(e.text) end
function handlers.section(self, e) self:comment(e.text, "## ") end
function handlers.step(self, e) self:comment(e.text, "* ") end
function handlers.note(self, e) self:comment(e.text, "note: ") end

function handlers.command(self, e)
  if self.verbose then self:comment(e.text, "$ ") end
end

function handlers.output(self, e)
  if self.verbose then self:comment(e.text, "    ") end
end

function handlers.check(self, e)
  self:point(e.passed, e.description)
  if not e.passed then
    self:diagnostics({ { "message", e.detail or "failed" }, { "severity", "fail" }, { "at", at(e) },
                       { "file", e.file }, { "line", e.line } })
  end
end

function handlers.error(self, e)
  self:point(false, e.step and "error in step " .. e.step or "error")
  self:diagnostics({ { "message", e.message }, { "severity", e.interrupted and "interrupted" or "error" },
                     { "at", at(e) }, { "file", e.file }, { "line", e.line },
                     { "traceback", self.traceback and e.traceback or nil } })
  -- Ctrl-C: the harness is told the run was cut short
  if e.interrupted then self:line("Bail out! interrupted (Ctrl-C)") end
end

function handlers.summary(self, e)
  self:line("1.." .. self.n)
  self:comment(string.format("%d passed, %d failed", e.passed, e.failed))
end

function Tap:event(e)
  if not self.started then
    self.started = true
    self:line("TAP version 13")
  end
  local handler = handlers[e.event]
  if handler then handler(self, e) end
end

return tap
