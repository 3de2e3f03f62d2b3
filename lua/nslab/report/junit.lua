-- nslab.report.junit: the runner's results as JUnit XML (`nslab run
-- --junit FILE`), the format Jenkins, GitLab and most CI systems show:
--
--   <testsuites tests="3" failures="1" errors="0">
--     <testsuite name="veth: a cable between two namespaces" tests="3" failures="1" errors="0" time="0.412">
--       <testcase classname="Addresses" name="test1 has 192.168.1.1" time="0.001"/>
--       <testcase classname="Addresses" name="a new veth is DOWN" time="0.002">
--         <failure message="expected &quot;DOWN&quot;, got &quot;UP&quot;">labs/veth.lua:24: ...</failure>
--       </testcase>
--     </testsuite>
--   </testsuites>
--
-- One testsuite per lab (named by its title, else its file), one testcase
-- per check (its class: the section it is in), an error that stops the
-- lab as one more testcase with <error>. The file is written when the
-- summary comes, with the lab's commands in <system-out>.
local junit = {}

local Junit = {}
Junit.__index = Junit

-- Seconds, for the time each testcase took (since the one before it).
local clock = (function()
  local ok, core = pcall(require, "nslab.core")
  return ok and type(core) == "table" and core.clock or os.clock
end)()

function junit.new(opts)
  local now = clock()
  return setmetatable({ out = opts.out, name = opts.name, close = opts.close, cases = {}, commands = {}, section = nil,
                        title = nil, started = now, last = now }, Junit)
end

-- The seconds since the last testcase (or the start), as JUnit writes them.
local function elapsed(self)
  local now = clock()
  local took = now - self.last
  self.last = now
  return string.format("%.3f", took)
end

-- Text fit for XML 1.0: & < > " escaped, control characters other than
-- tab and newline dropped (XML cannot carry them), bytes that are not
-- UTF-8 as "?".
local ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;" }

local function xml_text(s)
  s = tostring(s)
  if not utf8.len(s) then
    local out, i = {}, 1
    while i <= #s do
      local ok, code = pcall(utf8.codepoint, s, i)
      if ok and utf8.len(s, i, i) then
        local ch = utf8.char(code)
        out[#out + 1] = ch
        i = i + #ch
      else
        out[#out + 1] = "?"
        i = i + 1
      end
    end
    s = table.concat(out)
  end
  s = s:gsub("[\0-\8\11\12\14-\31\127]", "")
  return (s:gsub("[&<>\"']", ESCAPES))
end

local handlers = {}

function handlers.title(self, e) self.title = self.title or e.text end
function handlers.section(self, e) self.section = e.text end
function handlers.command(self, e) self.commands[#self.commands + 1] = "$ " .. e.text end

function handlers.check(self, e)
  self.cases[#self.cases + 1] = { name = e.description, class = self.section, passed = e.passed, time = elapsed(self),
                                  message = e.detail or "failed", at = e.file and e.file .. ":" .. e.line }
end

function handlers.error(self, e)
  self.cases[#self.cases + 1] = { name = e.step and "error in step " .. e.step or "error",
                                  class = self.section, error = true, message = e.message, time = elapsed(self),
                                  at = e.file and e.file .. ":" .. e.line, traceback = e.traceback }
end

function handlers.summary(self)
  local failures, errors = 0, 0
  for _, c in ipairs(self.cases) do
    if c.error then
      errors = errors + 1
    elseif not c.passed then
      failures = failures + 1
    end
  end
  local suite = xml_text(self.title or self.name or "lab")
  local counts = string.format('tests="%d" failures="%d" errors="%d"', #self.cases, failures, errors)
  local out = { '<?xml version="1.0" encoding="UTF-8"?>', "<testsuites " .. counts .. ">",
                string.format('  <testsuite name="%s" %s time="%.3f">', suite, counts, clock() - self.started) }
  for _, c in ipairs(self.cases) do
    local head = string.format('    <testcase classname="%s" name="%s" time="%s"', xml_text(c.class or suite),
                               xml_text(c.name), c.time)
    if c.passed then
      out[#out + 1] = head .. "/>"
    else
      local tag = c.error and "error" or "failure"
      local body = c.error and c.message or (c.at and c.at .. ": " or "") .. c.name .. " — " .. c.message
      if c.traceback then body = body .. "\n" .. c.traceback end
      out[#out + 1] = head .. ">"
      out[#out + 1] = string.format('      <%s message="%s" type="%s">%s</%s>', tag, xml_text(c.message),
                                    c.error and "error" or "check", xml_text(body), tag)
      out[#out + 1] = "    </testcase>"
    end
  end
  if #self.commands > 0 then
    out[#out + 1] = "    <system-out>" .. xml_text(table.concat(self.commands, "\n")) .. "</system-out>"
  end
  out[#out + 1] = "  </testsuite>"
  out[#out + 1] = "</testsuites>"
  self.out:write(table.concat(out, "\n"), "\n")
  self.out:flush()
  if self.close then self.out:close() end
end

function Junit:event(e)
  local handler = handlers[e.event]
  if handler then handler(self, e) end
end

return junit
