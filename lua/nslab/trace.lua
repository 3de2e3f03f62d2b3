-- nslab.trace: the equivalent shell command of every primitive.
--
-- Each primitive of the friendly API calls trace.command("ip netns add
-- test1") once it has succeeded. The history is what `explain` prints as a
-- runnable script; listeners (the lab runner) show commands as they happen.
local trace = { history = {} }

local listeners = {}

function trace.command(text)
  trace.history[#trace.history + 1] = text
  for _, listener in ipairs(listeners) do listener(text) end
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

function trace.clear() trace.history = {} end

return trace
