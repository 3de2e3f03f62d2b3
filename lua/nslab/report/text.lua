-- nslab.report.text: the runner's events as the text people read (the
-- default of `nslab run`).
--
--   # title / ## section / * step / "    $ command" / "    # note" /
--   "  PASS description" / "  FAIL labs/x.lua:12: description — detail"
--   (a probe's diagnosis indented under it) /
--   "error in step S: labs/x.lua:12: message" / "N passed, N failed"
--
-- opts: out (a writer: write, flush), palette (nslab.term's), traceback
-- (print an error's traceback under it), quiet (-q: only failures, errors
-- and the summary), verbose (-v: the commands trace.quietly hides too),
-- explain (--explain: each step's commands as a shell block under it).
local term = require("nslab.term")

local text = {}

local Text = {}
Text.__index = Text

function text.new(opts)
  return setmetatable({ out = opts.out, palette = opts.palette, traceback = opts.traceback,
                        quiet = opts.quiet, verbose = opts.verbose, explain = opts.explain,
                        fenced = false, said = false }, Text)
end

function Text:line(s)
  term.erase_progress() -- a progress line is not glued to it
  self.out:write(s, "\n")
  self.out:flush()
  self.said = true
end

function Text:block(s, prefix)
  s = s:gsub("\n$", "")
  if s == "" then return end
  for line in (s .. "\n"):gmatch("(.-)\n") do self:line((prefix or "    ") .. line) end
end

-- --explain: commands go inside a ```sh block that the next other line
-- closes, so each step's commands read as a script of their own.
function Text:close_fence()
  if self.fenced then
    self.fenced = false
    self:line("    ```")
  end
end

local handlers = {}

function handlers.title(self, e) self:line(self.palette.bold("# " .. e.text)) end

function handlers.section(self, e)
  self:line("")
  self:line(self.palette.bold("## " .. e.text))
end

function handlers.step(self, e) self:line("* " .. e.text) end

function handlers.command(self, e)
  if e.quiet and not (self.verbose or self.explain) then return end
  if self.explain then
    if not self.fenced then
      self.fenced = true
      self:line("    ```sh")
    end
    return self:line("    " .. e.text)
  end
  self:line("    $ " .. e.text)
end

function handlers.output(self, e) self:block(e.text) end

function handlers.note(self, e) self:line("    # " .. e.text) end

-- "labs/x.lua:12: " when the check knows the lab line that made it (and
-- its description does not already say it).
local function where(e)
  if e.file == nil or (e.description or ""):find("^check at ") then return "" end
  return e.file .. ":" .. e.line .. ": "
end

function handlers.check(self, e)
  local p = self.palette
  if e.passed then return self:line("  " .. p.green("PASS") .. " " .. e.description) end
  local tail = (e.detail and e.detail ~= "") and " — " .. e.detail or ""
  self:line("  " .. p.red("FAIL") .. " " .. where(e) .. e.description .. tail)
  if e.why then self:block(tostring(e.why)) end -- a probe's diagnosis (nslab.why)
end

function handlers.error(self, e)
  local head = e.step and "error in step " .. e.step or "error"
  self:line(self.palette.red(head) .. ": " .. e.message)
  if self.traceback and e.traceback then self:block(e.traceback) end
end

function handlers.summary(self, e)
  if not self.quiet or self.said then self:line("") end
  self:line(string.format("%d passed, %d failed", e.passed, e.failed))
end

-- What -q keeps.
local QUIET = { error = true, summary = true }

function Text:event(e)
  if self.quiet and not QUIET[e.event] and not (e.event == "check" and not e.passed) then return end
  if e.event ~= "command" then self:close_fence() end
  local handler = handlers[e.event]
  if handler then handler(self, e) end
end

return text
