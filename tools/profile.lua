-- tools/profile.lua: a sampling profiler for nslab scripts and labs, made
-- of debug.sethook alone (no C module, no rebuild).
--
--   bin/nslab lua tools/profile.lua [OPTIONS] SCRIPT.lua [ARGS...]
--   bin/nslab lua tools/profile.lua --lab labs/scale.lua 1000
--
--   --lab        run SCRIPT as a lab (nslab.lab.run_file, output as `nslab run`)
--   --top=N      rows per table (default 25)
--   --every=N    Lua instructions between samples (default 1000)
--   --out=FILE   write the report there (default stderr)
--   --lua        Lua instructions only: the count hook alone, each sample
--                charged as `every` instructions (no call hooks: low
--                overhead; where the interpreter's own CPU goes)
--
-- What it measures. Wall time, split two ways:
--   * C functions (core calls: netlink, syscalls): a call/return hook
--     times every call of a C function exactly and charges it to that
--     function and to the Lua line that called it;
--   * Lua code: a count hook fires every N instructions and charges the
--     wall time since the previous event (sample, C call or C return) to
--     the line running now and, inclusively, to every function on the stack.
-- The report: the lines that cost most (self time, Lua and C calls made
-- there), the functions with the most inclusive time, and the C functions.
-- The hooks cost about 1 µs per C call: compare profiles with each other,
-- not with unprofiled runs.
--
-- From Lua (a part of a script only):
--   local profile = dofile("tools/profile.lua")
--   profile.start(); ...; profile.stop(); profile.report(io.stderr, 20)
local core = require("nslab.core")
local clock = core.clock

local M = {}

local lines, funcs, cfuncs = {}, {}, {}
local every = 1000
local last        -- clock() when the time up to now was last charged to a line
local window      -- clock() at the last sample (the functions' window opens)
local excluded    -- time in that window charged to functions already (long C calls), or the hooks' own
local c_started   -- the C calls in progress (see hook)
local total = 0
local overhead = 0 -- the hooks' own time, charged to nothing
local LONG = 0.0002 -- a C call this long is charged to its stack at once

local function add(t, k, dt, calls)
  local e = t[k]
  if not e then
    e = { time = 0, calls = 0 }
    t[k] = e
  end
  e.time = e.time + dt
  e.calls = e.calls + (calls or 0)
end

-- The Lua line at level (of the hook's caller's stack, counted from the
-- hook: 2 the running function); C frames are skipped.
local function charge_line(dt, level)
  while true do
    local info = debug.getinfo(level + 1, "Sl")
    if not info then return end
    if info.what ~= "C" then
      add(lines, string.format("%s:%d", info.short_src, info.currentline), dt)
      total = total + dt
      return
    end
    level = level + 1
  end
end

-- Every Lua function on the stack, once each, inclusively.
local function charge_stack(dt, level)
  local seen = {}
  while true do
    local info = debug.getinfo(level + 1, "Sn")
    if not info then return end
    if info.what ~= "C" then
      local f = string.format("%s:%d (%s)", info.short_src, info.linedefined, info.name or "?")
      if not seen[f] then
        seen[f] = true
        add(funcs, f, dt)
      end
    end
    level = level + 1
  end
end

-- C calls in progress: {start, leaf}. A C call is a leaf when no hook
-- event happened during it (it ran no Lua that got sampled or called C):
-- its time is exact and charged whole to the line that called it; the
-- time of one that is not was charged by the events inside it.
local function touch()
  local top = c_started[#c_started]
  if top then top.leaf = false end
end

local function hook(event)
  local now = clock()
  if event == "count" then
    touch()
    charge_line(now - last, 2)
    charge_stack(now - window - excluded, 2)
    window, excluded = now, 0
  elseif event == "call" or event == "tail call" then
    if debug.getinfo(2, "S").what ~= "C" then return end
    touch()
    charge_line(now - last, 3) -- the Lua work up to the call
    c_started[#c_started + 1] = { start = now, leaf = true }
  elseif event == "return" then
    local top = c_started[#c_started]
    if not top or debug.getinfo(2, "S").what ~= "C" then return end
    c_started[#c_started] = nil
    if top.leaf then
      local dt = now - top.start
      add(cfuncs, "[C] " .. (debug.getinfo(2, "n").name or "?"), dt, 1)
      charge_line(dt, 3)
      if dt >= LONG then
        charge_stack(dt, 3)
        excluded = excluded + dt
      end
    else
      touch()
      charge_line(now - last, 3)
    end
  end
  last = clock()
  excluded = excluded + (last - now)
  overhead = overhead + (last - now)
end

-- --lua: each sample is `every` instructions of the line running and of
-- every function on the stack; "seconds" columns are then instructions.
local function count_hook()
  charge_line(every, 2)
  charge_stack(every, 2)
end

function M.start(opts)
  opts = opts or {}
  every = opts.every or every
  if opts.lua then
    lines, funcs, cfuncs, total, overhead = {}, {}, {}, 0, 0
    debug.sethook(count_hook, "", every)
    return
  end
  lines, funcs, cfuncs, total, overhead = {}, {}, {}, 0, 0
  c_started = {}
  last = clock()
  window, excluded = last, 0
  debug.sethook(hook, "cr", every)
end

function M.stop()
  debug.sethook()
end

local function sorted(t)
  local rows = {}
  for k, e in pairs(t) do rows[#rows + 1] = { key = k, time = e.time, calls = e.calls } end
  table.sort(rows, function(a, b) return a.time > b.time end)
  return rows
end

local function table_out(out, title, t, top)
  out:write(string.format("\n%s\n%10s %6s %9s  %s\n", title, "seconds", "%", "calls", "where"))
  for i, r in ipairs(sorted(t)) do
    if i > top then break end
    out:write(string.format("%10.4f %5.1f%% %9s  %s\n", r.time, total > 0 and 100 * r.time / total or 0,
                            r.calls > 0 and tostring(r.calls) or "", r.key))
  end
end

function M.report(out, top)
  out = out or io.stderr
  top = top or 25
  out:write(string.format("profile: %.3f s charged, %.3f s in the hooks themselves (not charged)\n",
                          total, overhead))
  table_out(out, "Lines (self time: Lua there and the C calls made there)", lines, top)
  table_out(out, "Functions (inclusive)", funcs, top)
  table_out(out, "C functions (exact time of the calls that ran no sampled Lua)", cfuncs, top)
  out:flush()
end

-- As a command: bin/nslab lua tools/profile.lua [OPTIONS] SCRIPT [ARGS...]
local function main(argv)
  local i, as_lab, top, out_path, lua_only = 1, false, 25, nil, false
  while argv[i] and argv[i]:sub(1, 2) == "--" do
    local a = argv[i]
    if a == "--lab" then as_lab = true
    elseif a == "--lua" then lua_only = true
    elseif a:match("^%-%-top=%d+$") then top = tonumber(a:match("=(%d+)"))
    elseif a:match("^%-%-every=%d+$") then every = tonumber(a:match("=(%d+)"))
    elseif a:match("^%-%-out=.+$") then out_path = a:match("=(.+)")
    else
      io.stderr:write("profile: unknown option ", a, "\n")
      return 2
    end
    i = i + 1
  end
  local script = argv[i]
  if not script then
    io.stderr:write("usage: nslab lua tools/profile.lua [--lab] [--top=N] [--every=N] [--out=FILE] SCRIPT [ARGS...]\n")
    return 2
  end
  local args = table.move(argv, i + 1, #argv, 1, {})
  local status = 0
  M.start{ lua = lua_only }
  local ok, err = pcall(function()
    if as_lab then
      status = require("nslab.lab").run_file(script, args, { color = "never" })
    else
      local chunk = assert(loadfile(script))
      _G.arg = table.move(args, 1, #args, 1, { [0] = script })
      chunk(table.unpack(args))
    end
  end)
  M.stop()
  local out = out_path and assert(io.open(out_path, "w")) or io.stderr
  M.report(out, top)
  if out_path then out:close() end
  if not ok then
    io.stderr:write("profile: ", tostring(err), "\n")
    return 1
  end
  return status
end

-- Run as a script (arg[0] is this file) or loaded as a module (dofile).
if arg and arg[0] and arg[0]:match("profile%.lua$") and not package.loaded["tools.profile"] then
  local status = main(arg)
  os.exit(status)
end

return M
