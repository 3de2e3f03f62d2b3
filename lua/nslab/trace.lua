-- nslab.trace: the equivalent shell command of every primitive.
--
-- Each primitive of the friendly API calls trace.command("ip netns add
-- test1") once it has succeeded. Listeners (the lab runner) see every
-- command as it happens; trace.history keeps them in order, oldest first.
--
-- How much history is kept (memory must stay flat in a long run: a REPL
-- session or a 10,000-cycle script makes commands without end):
--   * by default, the last trace.limit commands (1000; older ones are
--     dropped in chunks, so at most trace.limit + trace.limit / 4 are held);
--   * while recording (trace.record(true)), every command: `nslab explain`
--     records the whole lab, and so do specs that replay a build's trace.
-- trace.clear() empties the history and leaves the mode as it is.
--
-- trace.count is the number of commands made so far (the history may have
-- dropped some). trace.quietly(fn) runs fn without telling the listeners:
-- a lab that makes a thousand of the same thing shows the commands of the
-- first one, not of all (the history, and so `nslab explain`, has them all).
--
-- For `nslab explain` (nslab.explain), a command may carry its outcome:
-- trace.command(text, ok) with ok true when it succeeded as the lab saw it
-- (a probe answered, a connection was made) and false when it ran but
-- failed (no reply): the script asserts the same. trace.attempt(text) is a
-- command the lab tried that raised (a connection refused): it made
-- nothing, so the history and the listeners never see it (the lab's own
-- output says what happened). Recorders
-- (trace.record_all) hear all of these, quiet ones too, with the outcome.
-- trace.alias(pid, "$C_web") says which shell variable stands for a
-- process's PID in the script (a container's).
local trace = { history = {}, limit = 1000, count = 0, aliases = {} }

local listeners = {}
local quiet_listeners = {} -- those that hear what trace.quietly hides
local recorders = {}
local recording = false
local quiet = 0

local function remember(text)
  local history = trace.history
  local n = #history + 1
  history[n] = text
  if not recording and n >= trace.limit + trace.limit // 4 then
    -- keep the newest trace.limit: shift them down, clear the rest
    table.move(history, n - trace.limit + 1, n, 1)
    for i = n, trace.limit + 1, -1 do history[i] = nil end
  end
end

function trace.command(text, ok)
  if type(text) ~= "string" then
    error("trace command: argument 1 (text) must be a string, got " .. type(text), 0)
  end
  if ok ~= nil and type(ok) ~= "boolean" then
    error("trace command: argument 2 (ok) must be a boolean, got " .. type(ok), 0)
  end
  remember(text)
  trace.count = trace.count + 1
  -- (a listener may remove itself while told: the list can shrink)
  for i = 1, #recorders do
    local recorder = recorders[i]
    if recorder then recorder(text, ok) end
  end
  local to = quiet > 0 and quiet_listeners or listeners
  for i = 1, #to do
    local listener = to[i]
    if listener then listener(text) end
  end
end

-- Call fn(...) with the listeners not told of its commands. Returns how
-- many commands it made, then fn's results; an error in fn goes through.
function trace.quietly(fn, ...)
  if type(fn) ~= "function" then error("trace quietly: argument 1 (fn) must be a function, got " .. type(fn), 2) end
  local before = trace.count
  quiet = quiet + 1
  local results = table.pack(pcall(fn, ...))
  quiet = quiet - 1
  if not results[1] then error(results[2], 0) end
  return trace.count - before, table.unpack(results, 2, results.n)
end

-- Keep every command from now on (on = true) or only the last
-- trace.limit (false, the default). Returns the previous setting.
function trace.record(on)
  local was = recording
  recording = on and true or false
  return was
end

-- (a listener that is not a function would break every command after)
local function add_listener(list, fn, op)
  local mt = getmetatable(fn)
  if type(fn) ~= "function" and not (type(mt) == "table" and mt.__call) then
    error(string.format("trace %s: argument 1 (fn) must be a function, got %s", op, type(fn)), 0)
  end
  list[#list + 1] = fn
  return function()
    for i, listener in ipairs(list) do
      if listener == fn then table.remove(list, i) return end
    end
  end
end

-- Call fn(text) for every command from now on; returns a function that
-- removes the listener.
function trace.listen(fn) return add_listener(listeners, fn, "listen") end

-- Call fn(text) for every command made inside trace.quietly (which
-- listen's listeners are not told of: `nslab run -v` shows them too).
function trace.listen_quiet(fn) return add_listener(quiet_listeners, fn, "listen_quiet") end

-- A command that was tried and raised: recorders only (see above). ok
-- true: text is a command that succeeds where the attempt failed (ss
-- finds the port taken).
function trace.attempt(text, ok)
  for _, recorder in ipairs(recorders) do recorder(text, ok == true) end
end

-- The shell text that stands for pid in an explained script (kept only
-- while a recorder listens: memory stays flat in a long run otherwise).
function trace.alias(pid, text)
  if #recorders > 0 then trace.aliases[pid] = text end
end

-- The next n check results are what the probes just traced saw (a
-- check.reachable): recorders hear fn(nil, nil, n).
function trace.checks(n)
  for _, recorder in ipairs(recorders) do recorder(nil, nil, n) end
end

-- Call fn(text, ok) for every command and attempt from now on, quiet
-- ones too (and fn(nil, nil, n) for trace.checks); returns the remover.
function trace.record_all(fn) return add_listener(recorders, fn, "record_all") end

-- A note: one line saying what nslab changed on its own and why (IPv6
-- address generation off, static ARP on a big network). Not a command:
-- note listeners hear it even inside trace.quietly (it is said once and
-- matters); the history keeps only commands.
local note_listeners = {}

function trace.note(text)
  for _, listener in ipairs(note_listeners) do listener(text) end
end

-- Call fn(text) for every note from now on; returns the remover.
function trace.listen_notes(fn) return add_listener(note_listeners, fn, "listen_notes") end

-- Forget the history (the same table, emptied: holders of trace.history
-- see it empty too).
function trace.clear()
  local history = trace.history
  for i = #history, 1, -1 do history[i] = nil end
end

return trace
