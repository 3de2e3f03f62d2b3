-- nslab.report.pause: the runner's two ways into a lab's world by hand.
--
--   --pause-on-fail  at the first failed check, the prompt (nslab.repl)
--                    with the lab's objects in scope, its locals at that
--                    line included; Ctrl-D goes on with the lab. At an
--                    error that stops the lab, the same before it stops.
--   --shell          after the lab, a shell in the world's host namespace
local pause = {}

local function is_name(k) return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil end

-- The locals of every frame of the lab's own code (source) on the stack
-- above level, innermost first: a name seen in an inner frame hides the
-- same name further out, as it does in the lab. name -> {func, index,
-- value}, where func finds the frame again (levels move while the prompt
-- runs).
local function lab_locals(source, level)
  local found = {}
  for l = level + 1, 400 do
    local info = debug.getinfo(l, "Sf")
    if info == nil then break end
    if info.source == source then
      for i = 1, 250 do
        local name, value = debug.getlocal(l, i)
        if name == nil then break end
        -- a later local of the same name in one frame is the one in scope
        if is_name(name) and (found[name] == nil or found[name].func == info.func) then
          found[name] = { func = info.func, index = i, value = value }
        end
      end
    end
  end
  return found
end

-- Set a lab's local in its frame, wherever that frame now is.
local function set_local(slot, value)
  for l = 2, 400 do
    local info = debug.getinfo(l, "f")
    if info == nil then return false end
    if info.func == slot.func then
      debug.setlocal(l, slot.index, value)
      slot.value = value
      return true
    end
  end
  return false
end

-- The prompt's environment: the lab's locals, then the lab's environment.
-- An assignment to a local changes the lab's local (the lab sees it when
-- it goes on); new names stay at the prompt.
local function scope(env, locals)
  return setmetatable({}, {
    __index = function(_, k)
      local slot = locals[k]
      if slot then return slot.value end
      return env[k]
    end,
    __newindex = function(t, k, v)
      local slot = locals[k]
      if slot and set_local(slot, v) then return end
      rawset(t, k, v)
    end,
  })
end

-- Called by the runner at the first failed check (file, line: the lab's
-- line that made it), or at an error before the stack unwinds (message:
-- the error's; the lab stops once the prompt is closed). Returns when the
-- prompt is closed.
function pause.at_failure(runner, file, line, message)
  local locals = lab_locals(runner.source, 2)
  local names = {}
  for name in pairs(locals) do names[#names + 1] = name end
  table.sort(names)
  local where = file and " (" .. file .. ":" .. line .. ")" or ""
  local what = message and "at an error: " .. message or "at the first failed check" .. where
  local banner = string.format("nslab: paused %s; the lab's objects are in scope%s.\n"
                               .. "Ctrl-D %s.\n", what,
                               #names > 0 and ", with its locals " .. table.concat(names, ", ") or "",
                               message and "ends the lab" or "goes on with the lab")
  io.stdout:flush()
  runner.paused = true
  -- a TAP or JSON stream on stdout stays one: the prompt talks on stderr
  local output = runner.format ~= "text" and io.stderr or nil
  local ok, err = pcall(require("nslab.repl").start, scope(runner.env, locals),
                        { banner = banner, palette = runner.palette, traceback = runner.traceback, output = output })
  runner.paused = false
  if not ok then io.stderr:write("nslab: --pause-on-fail: ", tostring(err), "\n") end
end

-- Called by the runner after the lab and its summary.
function pause.shell(runner)
  local host = runner.env and rawget(runner.env, "host")
  if host == nil then
    io.stderr:write("nslab: run --shell: the lab has no host namespace to open a shell in\n")
    return
  end
  io.stdout:flush()
  local ok, err = pcall(require("nslab.shell").interactive, host, "run --shell", nil,
                        "a shell in the lab's world (its host namespace)")
  if not ok then io.stderr:write("nslab: ", tostring(err), "\n") end
end

return pause
