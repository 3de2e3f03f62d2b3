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
local trace = { history = {}, limit = 1000 }

local listeners = {}
local recording = false

function trace.command(text)
  local history = trace.history
  local n = #history + 1
  history[n] = text
  if not recording and n >= trace.limit + trace.limit // 4 then
    -- keep the newest trace.limit: shift them down, clear the rest
    table.move(history, n - trace.limit + 1, n, 1)
    for i = n, trace.limit + 1, -1 do history[i] = nil end
  end
  for _, listener in ipairs(listeners) do listener(text) end
end

-- Keep every command from now on (on = true) or only the last
-- trace.limit (false, the default). Returns the previous setting.
function trace.record(on)
  local was = recording
  recording = on and true or false
  return was
end

-- Call fn(text) for every command from now on; returns a function that
-- removes the listener.
function trace.listen(fn)
  listeners[#listeners + 1] = fn
  return function()
    for i, listener in ipairs(listeners) do
      if listener == fn then table.remove(listeners, i) return end
    end
  end
end

-- Forget the history (the same table, emptied: holders of trace.history
-- see it empty too).
function trace.clear()
  local history = trace.history
  for i = #history, 1, -1 do history[i] = nil end
end

return trace
