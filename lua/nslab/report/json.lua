-- nslab.report.json: the runner's events as JSON lines (`nslab run
-- --json`): one object per event, its kind first, e.g.
--
--   {"event":"check","passed":false,"description":"a veth is DOWN","detail":"expected ...",
--    "file":"labs/veth.lua","line":24}
--
-- events: title, section, step, command, output, note (text); check
-- (passed, description, detail, why: a failed probe's diagnosis, file,
-- line); error (message, step, file,
-- line, interrupted); summary (passed, failed, status). Commands made
-- inside trace.quietly come only with -v, marked "quiet": true.
local json = require("nslab.json")

local report = {}

local KEYS = { "event", "text", "quiet", "passed", "description", "detail", "why", "message", "step", "file",
               "line", "interrupted", "failed", "status" }

local Json = {}
Json.__index = Json

function report.new(opts)
  return setmetatable({ out = opts.out, traceback = opts.traceback }, Json)
end

local WITH_TRACEBACK = table.move(KEYS, 1, #KEYS, 1, {})
WITH_TRACEBACK[#WITH_TRACEBACK + 1] = "traceback"

function Json:event(e)
  local t, keys = {}, KEYS
  for _, k in ipairs(KEYS) do t[k] = e[k] end
  if type(t.why) == "table" then t.why = t.why:data() end -- a probe's diagnosis (nslab.why)
  if self.traceback and e.traceback then t.traceback, keys = e.traceback, WITH_TRACEBACK end
  self.out:write(json.encode(json.object(keys, t)), "\n")
  self.out:flush()
end

return report
