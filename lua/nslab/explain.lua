-- nslab.explain: a lab as a bash script that rebuilds it (`nslab explain
-- LAB > lab.sh; nslab sandbox -- bash lab.sh`).
--
-- The lab runs (in this world, its output captured) and the script is made
-- of what happened, in order:
--   * every primitive's equivalent command (nslab.trace; all of them, the
--     quiet ones too), as ip, bridge, nft, sysctl, unshare, nsenter lines;
--   * probes (ping, socat) with what the lab saw: a probe that answered is
--     a plain command, one that did not (or a connection refused, a
--     command that exited non-zero) is `! COMMAND || false`: under set -e
--     the script stops at the first that differs, so it exits 0 when
--     every check of the lab passes;
--   * the lab's title, sections, steps, shows and prints as comments, each
--     check as a comment after the commands that checked it ("check:"), or
--     "check in Lua:" when it looked at values only (check.equal on a view,
--     check.ok) and the script does not replay it;
--   * container processes by shell variable ($C_web): a PID of the lab's
--     own run never appears (trace.alias maps the PIDs it learnt).
--
--   local status, script = require("nslab.explain").run("labs/veth.lua", {}, {})
--
-- opts: traceback, err_writer (the runner's: where a load error goes), dump (a shell command run once
-- the lab is done and before anything it made goes away: the equivalence
-- spec dumps the state there).
local trace = require("nslab.trace")

local explain = {}

-- Replace the PIDs of processes the script knows by variable: each
-- number where a PID goes is looked up (one pass per command, whatever
-- the number of containers).
local function unalias(text, aliases)
  if not text:find("%d") then return text end
  local function var(before, pid, after)
    local v = aliases[tonumber(pid)] or aliases[pid]
    return v and before .. v .. after or nil
  end
  return (text:gsub("(%-t )(%d+)(%f[%D])", var):gsub("(netns )(%d+)(%f[%D])", var):gsub("(/proc/)(%d+)(/)", var))
end

local function comment(text)
  if text == "" then return "#" end
  return "# " .. text
end

-- The runner's events as script lines (a reporter of nslab.report's kind:
-- commands come from the recorder, with their outcome).
local function reporter(add)
  local r = {}
  function r.event(_, e)
    local kind = e.event
    if kind == "title" then
      add({ text = comment(e.text) })
    elseif kind == "section" then
      add({ section = e.text })
    elseif kind == "step" then
      add({ text = "# * " .. e.text })
    elseif kind == "note" then
      add({ text = comment(e.text) })
    elseif kind == "output" then
      for line in (tostring(e.text):gsub("\n$", "") .. "\n"):gmatch("(.-)\n") do add({ text = "#   " .. line }) end
    elseif kind == "check" then
      local where = e.file and string.format(" (%s:%s)", e.file, e.line) or ""
      local detail = (not e.passed and e.detail and e.detail ~= "") and " — " .. e.detail or ""
      add({ check = e.passed, description = tostring(e.description) .. detail .. where })
    elseif kind == "error" then
      -- the message has its place already when Lua put it there
      local at = e.file and string.format("%s:%s: ", e.file, e.line) or ""
      local message = tostring(e.message)
      if message:sub(1, #at) == at then at = "" end
      add({ text = comment("error" .. (e.step and " in step " .. e.step or "") .. ": " .. at .. message) })
    elseif kind == "summary" then
      add({ text = comment(string.format("%d passed, %d failed", e.passed, e.failed)) })
    end
  end
  return r
end

-- lab.run_file with the reporter above.
local function run_lab(file, args, opts, add)
  local lab = require("nslab.lab")
  local runner = lab.new({ color = "never", traceback = opts.traceback, err_writer = opts.err_writer,
                           writer = function() end })
  runner.reporters = { reporter(add) }
  local env = runner:environment(file, args)
  local f, err = io.open(file, "r")
  if not f then return runner:load_error(err), env end
  f:close()
  local chunk, load_err = loadfile(file, "t", env)
  if not chunk then return runner:load_error(load_err), env end
  return runner:run(chunk, table.unpack(args)), env
end

local function header(file, args)
  local words = { file }
  for _, a in ipairs(args) do words[#words + 1] = require("nslab.shell").quote(a) end
  return table.concat({
    "#!/bin/bash",
    "# " .. table.concat(words, " ") .. " as ip, bridge, nft and sysctl commands (nslab explain).",
    "# Run it as root in a world of its own: nslab sandbox -- bash THIS_FILE",
    "# Each check of the lab that sent something is the command that did (ping, socat);",
    "# `! COMMAND || false` is one that must fail (no reply, refused), as it did in the lab.",
    "set -e",
    "trap 'echo \"$0: line $LINENO: $BASH_COMMAND\" >&2' ERR",
    "", }, "\n")
end

-- Run the lab at file with args and make its script. Returns the exit
-- status of the run (as nslab run's: 2 when it could not be loaded) and
-- the script's text (nil with status 2).
function explain.run(file, args, opts)
  args, opts = args or {}, opts or {}
  local events = {}
  local function add(e) events[#events + 1] = e end
  trace.clear()
  for pid in pairs(trace.aliases) do trace.aliases[pid] = nil end
  local was_recording = trace.record(true)
  local unrecord = trace.record_all(function(text, ok, checks)
    if text == nil then add({ checks = checks }) else add({ command = text, ok = ok }) end
  end)
  -- the lab's own print() and io.write() output becomes comments, where
  -- it happened (the script alone goes to stdout)
  local stdio = _G.io -- (its write is replaced for the run, and put back)
  local print, write, written = _G.print, stdio.write, ""
  local function as_comments(text)
    written = written .. text
    for line in written:gmatch("(.-)\n") do add({ text = comment(line) }) end
    written = written:match("[^\n]*$")
  end
  _G.print = function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    as_comments(table.concat(parts, "\t", 1, parts.n) .. "\n")
  end
  stdio.write = function(...)
    for _, part in ipairs({ ... }) do as_comments(tostring(part)) end
    return io.stdout
  end
  local ok, status, env = pcall(run_lab, file, args, opts, add)
  _G.print, stdio.write = print, write
  if written ~= "" then add({ text = comment(written) }) end
  unrecord()
  trace.record(was_recording)
  if not ok then error(status, 0) end
  if status == 2 then return status end
  if opts.dump then os.execute(opts.dump) end
  local _ = env -- what the lab made lives until here (the dump)

  -- a check is replayed when the probes above said so (trace.checks), or
  -- when a socket probe or an attempt came since the last one (a
  -- check.raises around a connection, a check of what a connection saw)
  local out, replayed, socket = { header(file, args) }, 0, false
  local aliases = trace.aliases
  for _, e in ipairs(events) do
    if e.checks then
      replayed = e.checks
    elseif e.command then
      local text = unalias(e.command, aliases)
      if text:sub(1, 1) == "#" then
        out[#out + 1] = text
      elseif e.ok == false then
        out[#out + 1] = "! " .. text .. " || false"
      else
        out[#out + 1] = text
      end
      if e.ok ~= nil and text:find("socat ", 1, true) then socket = true end
    elseif e.check ~= nil then
      local what = (replayed > 0 or socket) and "check" or "check in Lua (not replayed)"
      if not e.check then what = what .. ", FAILED in the lab" end
      out[#out + 1] = unalias(comment(what .. ": " .. e.description), aliases)
      replayed, socket = math.max(replayed - 1, 0), false
    else
      if e.section then
        out[#out + 1] = ""
        out[#out + 1] = "## " .. e.section
      else
        out[#out + 1] = unalias(e.text, aliases)
      end
    end
  end
  out[#out + 1] = ""
  return status, table.concat(out, "\n")
end

return explain
