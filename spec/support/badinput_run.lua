-- Spec support for bad_input_spec: runs the generated calls in child
-- processes (badinput_driver.lua, each batch in a world of its own), two at
-- a time, watching each: a batch that stops answering is killed and its
-- current call counted as a hang; one that dies is a crash, confirmed by
-- running that call alone; the rest of the batch goes on in a new one.
--
--   local run = require "spec.support.badinput_run"
--   local result = run.all()   --> {totals=, offenders=, controls=, info=, seconds=}
--   run.write_report(result, "build/badinput-report.txt")
local core = require("nslab.core")
local bi = require("spec.support.badinput")
local program = require("spec.support.program")

local M = {}

-- The classes of a bad call that fail the spec, worst first.
local ORDER = { "crash", "hang", "silent", "internal", "leftover", "setup", "unanswered" }
M.FAILING = ORDER

M.PARALLEL = 2
M.BATCH = 150
M.STALL = bi.CALL_LIMIT + 1 -- seconds without an answer: a hang

local function quote(s) return program.quote(s) end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local dir
local function scratch()
  if not dir then
    local p = assert(io.popen("mktemp -d /tmp/nslab-badinput.XXXXXX"))
    dir = p:read("l")
    p:close()
  end
  return dir
end

-- Compress a list of ids into "a-b" ranges for the command line.
local function ranges(ids)
  local out, i = {}, 1
  while i <= #ids do
    local j = i
    while j < #ids and ids[j + 1] == ids[j] + 1 do j = j + 1 end
    out[#out + 1] = i == j and tostring(ids[i]) or (ids[i] .. "-" .. ids[j])
    i = j + 1
  end
  return table.concat(out, " ")
end

local serial = 0
local function start(job)
  serial = serial + 1
  local base = scratch() .. "/" .. serial
  job.out, job.err, job.pidfile, job.status = base .. ".out", base .. ".err", base .. ".pid", base .. ".status"
  local cmd = string.format("%s lua spec/support/badinput_driver.lua %s %s %s", quote(program.program),
                            quote(job.out), job.mode, ranges(job.ids))
  -- in the background: the pid to kill a stalled one, the status once over
  local status = quote(job.status)
  os.execute(string.format("( %s </dev/null >/dev/null 2>%s & echo $! > %s; wait $!; echo $? > %s.tmp; " ..
                           "mv %s.tmp %s ) 2>/dev/null &", cmd, quote(job.err), quote(job.pidfile),
                           status, status, status))
  job.started = core.clock()
  job.last_line, job.last_change = nil, core.clock()
end

-- Lines of a job's output as fields.
local function lines_of(path)
  local out = {}
  for line in (slurp(path) or ""):gmatch("[^\n]+") do
    local fields = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
    out[#out + 1] = fields
  end
  return out
end

local function last_line(path)
  local text = slurp(path) or ""
  return text:match("([^\n]*)\n$") or ""
end

local function kill(job)
  local pid = tonumber(slurp(job.pidfile) or "")
  if pid then os.execute("kill -KILL " .. pid .. " 2>/dev/null") end
  job.killed = true
end

-- Is the job over? Kills it when its current call has stalled.
local function poll(job)
  local status = slurp(job.status)
  if status and status:match("%d") then
    job.code = tonumber(status:match("%d+"))
    return true
  end
  local line = last_line(job.out)
  if line ~= job.last_line then
    job.last_line, job.last_change = line, core.clock()
  elseif line:match("^B\t") and core.clock() - job.last_change > M.STALL and not job.killed then
    kill(job)
  end
  return false
end

function M.all()
  local t0 = core.clock()
  local cases, info = bi.cases()
  local results = {}  -- id -> {class=, why=, message=, seconds=, left=}
  local notes = {}    -- problems no single call is blamed for
  local controls = {}
  local queue = {}
  -- batches in id order; a call that must be alone gets a batch of its own
  local ids = {}
  local function flush()
    if #ids > 0 then queue[#queue + 1] = { mode = "batch", ids = ids } end
    ids = {}
  end
  for _, c in ipairs(cases) do
    if c.isolated then
      flush()
      queue[#queue + 1] = { mode = "batch", ids = { c.id } }
    else
      ids[#ids + 1] = c.id
      if #ids >= M.BATCH then flush() end
    end
  end
  flush()
  local n_controls = #bi.controls()
  for first = 1, n_controls, 40 do
    local some = {}
    for i = first, math.min(n_controls, first + 39) do some[#some + 1] = i end
    table.insert(queue, 1 + first // 40 * 4, { mode = "control", ids = some })
  end

  local debug_jobs = os.getenv("NSLAB_BADINPUT_DEBUG")
  local function finish(job)
    if debug_jobs then
      io.stderr:write(string.format("badinput: %s %s: %.2f s, status %s%s\n", job.mode, ranges(job.ids),
                                    core.clock() - job.started, tostring(job.code), job.killed and " (killed)" or ""))
    end
    local answered, begun = {}, nil
    local done = false
    for _, l in ipairs(lines_of(job.out)) do
      local kind, id = l[1], tonumber(l[2])
      if kind == "B" then begun = id
      elseif kind == "R" then
        answered[id] = true
        begun = nil
        if job.confirm then
          -- run alone it answered: the crash needed the calls before it
          results[id] = { class = "crash", why = job.confirm .. " (in its batch only; alone: " .. l[3] .. ")",
                          message = l[6] }
        elseif job.mode ~= "each" or not results[id] then
          results[id] = results[id] or {}
          local r = results[id]
          r.class, r.seconds, r.why, r.message = l[3], tonumber(l[4]), l[5], l[6]
        end
      elseif kind == "L" then
        results[id] = results[id] or {}
        results[id].left = l[3]
        if results[id].class == "clean" then results[id].class = "leftover" end
      elseif kind == "W" then
        if job.mode == "batch" then
          local a, b = tonumber(l[2]), tonumber(l[3])
          local again = {}
          for _, x in ipairs(job.ids) do if x >= a and x <= b then again[#again + 1] = x end end
          queue[#queue + 1] = { mode = "each", ids = again, witness = l[4] }
        else
          notes[#notes + 1] = "the witness changed over calls " .. l[2] .. ".." .. l[3] .. ": " .. l[4]
        end
      elseif kind == "C" then
        controls[#controls + 1] = { target = l[3], ok = l[4] ~= "fail", skip = l[4] == "skip", message = l[5] }
      elseif kind == "F" then
        notes[#notes + 1] = "the fixture could not be made (" .. job.mode .. " " .. ranges(job.ids) .. "): " .. l[2]
      elseif kind == "DONE" then
        done = true
      end
    end
    if job.mode == "each" and done then
      local blamed = false
      for _, x in ipairs(job.ids) do blamed = blamed or (results[x] and results[x].left ~= nil) end
      if not blamed then notes[#notes + 1] = "the witness changed, no call found to blame: " .. job.witness end
    end
    if done or job.mode == "control" then
      if not done then notes[#notes + 1] = "the controls did not finish (status " .. tostring(job.code) .. ")" end
      return
    end
    local stderr = (slurp(job.err) or ""):gsub("%s+$", "")
    -- what the process said as it died: a sanitizer's summary, or its last line
    local tail = bi.short(stderr:match("SUMMARY: ([^\n]*)") or stderr:match("([^\n]*)$") or "", 200)
    if begun then
      if job.killed then
        results[begun] = { class = "hang", why = string.format("no answer within %d s", M.STALL) }
      elseif job.confirm then
        results[begun] = { class = "crash", why = job.confirm .. "; alone too" , message = tail }
      else
        table.insert(queue, 1, { mode = "batch", ids = { begun },
                                 confirm = string.format("the process died (status %s)", tostring(job.code)) })
      end
      local rest = {}
      for _, x in ipairs(job.ids) do if x > begun and not answered[x] then rest[#rest + 1] = x end end
      -- first in the queue: a run of crashes is a chain, the sooner it goes the better
      if #rest > 0 then table.insert(queue, 1, { mode = job.mode, ids = rest }) end
    else
      notes[#notes + 1] = string.format("a batch (%s) ended with status %s before any call: %s", ranges(job.ids),
                                        tostring(job.code), tail)
    end
  end

  local running = {}
  while #queue > 0 or #running > 0 do
    while #running < M.PARALLEL and #queue > 0 do
      local job = table.remove(queue, 1)
      start(job)
      running[#running + 1] = job
    end
    core.sleep(0.02)
    for i = #running, 1, -1 do
      if poll(running[i]) then
        finish(table.remove(running, i))
      end
    end
  end
  os.execute("rm -rf " .. quote(scratch()))
  dir = nil

  local totals = { calls = #cases, clean = 0, crash = 0, hang = 0, silent = 0, internal = 0, leftover = 0,
                   setup = 0, unanswered = 0 }
  local offenders = {}
  for _, c in ipairs(cases) do
    local r = results[c.id]
    local class = r and r.class or "unanswered"
    totals[class] = (totals[class] or 0) + 1
    if class ~= "clean" then
      offenders[#offenders + 1] = { case = c, class = class, why = r and r.why, message = r and r.message,
                                    left = r and r.left }
    end
  end
  local rank = {}
  for i, class in ipairs(M.FAILING) do rank[class] = i end
  table.sort(offenders, function(x, y)
    if rank[x.class] ~= rank[y.class] then return (rank[x.class] or 99) < (rank[y.class] or 99) end
    return x.case.id < y.case.id
  end)
  local failed_controls, skipped = {}, {}
  for _, c in ipairs(controls) do
    if not c.ok then failed_controls[#failed_controls + 1] = c end
    if c.skip then skipped[#skipped + 1] = c.target .. ": " .. c.message end
  end
  if #controls ~= n_controls then
    notes[#notes + 1] = string.format("%d of %d controls answered", #controls, n_controls)
  end
  local slowest = {}
  for _, c in ipairs(cases) do
    local r = results[c.id]
    if r and r.seconds and r.seconds >= 0.1 then slowest[#slowest + 1] = { c, r } end
  end
  table.sort(slowest, function(a, b) return a[2].seconds > b[2].seconds end)
  local slow = {}
  for i = 1, math.min(20, #slowest) do
    slow[i] = string.format("%6.2f s  %-9s %s", slowest[i][2].seconds, slowest[i][2].class, slowest[i][1].label)
  end
  return { totals = totals, offenders = offenders, controls = failed_controls, n_controls = n_controls,
           notes = notes, info = info, seconds = core.clock() - t0, slow = slow, skipped = skipped }
end

---------------------------------------------------------------- the report


function M.totals_line(r)
  local t = r.totals
  return string.format("%d calls: %d clean errors, %d crashes, %d hangs, %d silent accepts, %d internal errors, " ..
                       "%d left something behind, %d not made (setup), %d unanswered; %d targets, %.1f s",
                       t.calls, t.clean, t.crash, t.hang, t.silent, t.internal, t.leftover, t.setup,
                       t.unanswered, r.info.targets, r.seconds)
end

-- One offender on one line.
function M.offender_line(o)
  local text = string.format("%-9s %s", o.class, o.case.label)
  if o.why and o.why ~= "" then text = text .. "  -- " .. o.why end
  if o.message and o.message ~= "" then text = text .. ": " .. o.message end
  if o.left then text = text .. "  [left: " .. bi.short(o.left, 200) .. "]" end
  return text
end

function M.report_text(r)
  local lines = { "bad-input calls (spec/bad_input_spec.lua), generated from core.options(), core.bindings()",
                  "and the friendly API's method tables; see spec/support/badinput_map.lua.", "",
                  M.totals_line(r), "" }
  local by_binding, names = {}, {}
  for _, o in ipairs(r.offenders) do
    local b = o.case.binding or "?"
    if not by_binding[b] then by_binding[b] = {} names[#names + 1] = b end
    table.insert(by_binding[b], o)
  end
  table.sort(names, function(a, b)
    if #by_binding[a] ~= #by_binding[b] then return #by_binding[a] > #by_binding[b] end
    return a < b
  end)
  lines[#lines + 1] = "offenders by binding:"
  for _, b in ipairs(names) do
    local count = {}
    for _, o in ipairs(by_binding[b]) do count[o.class] = (count[o.class] or 0) + 1 end
    local parts = {}
    for _, class in ipairs(ORDER) do if count[class] then parts[#parts + 1] = count[class] .. " " .. class end end
    lines[#lines + 1] = string.format("  %-10s %4d  (%s)", b, #by_binding[b], table.concat(parts, ", "))
  end
  for _, b in ipairs(names) do
    lines[#lines + 1] = ""
    lines[#lines + 1] = "== " .. b
    local list = by_binding[b]
    table.sort(list, function(x, y)
      local rx, ry = 0, 0
      for i, class in ipairs(ORDER) do
        if x.class == class then rx = i end
        if y.class == class then ry = i end
      end
      if rx ~= ry then return rx < ry end
      return x.case.id < y.case.id
    end)
    for _, o in ipairs(list) do lines[#lines + 1] = "  " .. M.offender_line(o) end
  end
  local function section(title, list)
    if #list == 0 then return end
    lines[#lines + 1] = ""
    lines[#lines + 1] = title
    for _, x in ipairs(list) do lines[#lines + 1] = "  " .. x end
  end
  local failed = {}
  for _, c in ipairs(r.controls) do failed[#failed + 1] = c.target .. ": " .. c.message end
  section(string.format("controls that failed (a valid call the cases change; %d run):", r.n_controls), failed)
  section("controls skipped (this kernel lacks the kind; the core's own refusals still run):", r.skipped)
  section("problems no single call is blamed for:", r.notes)
  section("option sets not declared in core.options():", r.info.undeclared)
  section("option sets in core.options() that no call uses (a name in the map to change?):", r.info.unused)
  section("public functions and methods without a signature in the map (only receiver cases):", r.info.unmapped)
  section("in the map but not in the method tables any more:", r.info.stale)
  section("not called:", r.info.skipped)
  section("the slowest calls:", r.slow or {})
  return table.concat(lines, "\n") .. "\n"
end

function M.write_report(r, path)
  os.execute("mkdir -p " .. quote(path:match("^(.*)/") or "."))
  local f = assert(io.open(path, "w"))
  f:write(M.report_text(r))
  f:close()
end

return M
