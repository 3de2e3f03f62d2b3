-- spec/support/tmux.lua: a terminal for specs that drive nslab as a person
-- does. A tmux server of our own (its socket in the spec's temp
-- directory) with one pane running cmd; keys go in with send-keys, the
-- screen comes back with capture-pane.
--
--   local tmux = require("spec.support.tmux")
--   if not tmux.available() then pending(...) end
--   local pane = tmux.pane(dir, "bin/nslab", { width = 120, height = 40 })
--   pane:type("1+2") pane:keys("Left", "Enter") pane:wait_for("nslab> ")
--   pane:kill()
local program = require("spec.support.program")

local quote, run = program.quote, program.run

local M = {}

function M.available()
  local _, code = run("command -v tmux >/dev/null")
  return code == 0
end

local Pane = {}
Pane.__index = Pane

-- UTF-8 whatever the spec's locale: typed text and the screen keep
-- their non-ASCII characters (tmux -u; the server's locale)
local function tmux(self, args)
  return run("LC_ALL=C.UTF-8 tmux -u -S " .. quote(self.socket) .. " " .. args)
end

local panes = 0

-- opts: width, height (120 x 40), join (capture-pane -J: wrapped lines
-- joined), seconds (what wait_for waits at most: 10).
function M.pane(dir, cmd, opts)
  opts = opts or {}
  panes = panes + 1
  local self = setmetatable({ socket = dir .. "/tmux" .. panes .. ".sock", join = opts.join,
                              seconds = opts.seconds or 10 }, Pane)
  local _, code, err = tmux(self, string.format("-f /dev/null new-session -d -s t -x %d -y %d %s",
                                                opts.width or 120, opts.height or 40, quote(cmd)))
  assert(code == 0, "tmux new-session: " .. err)
  return self
end

-- Keys as tmux names them (Enter, Left, Tab, C-c).
function Pane:keys(...)
  local out = {}
  for i, k in ipairs{ ... } do out[i] = quote(k) end
  tmux(self, "send-keys -t t " .. table.concat(out, " "))
end

-- Text typed as it is.
function Pane:type(text) tmux(self, "send-keys -t t -l " .. quote(text)) end

-- What the pane shows, each line without its trailing blanks (as
-- capture-pane gives them: "nslab> " reads "nslab>").
local function trimmed(text) return (text:gsub(" +\n", "\n"):gsub(" +$", "")) end

function Pane:screen()
  return trimmed(tmux(self, "capture-pane -p" .. (self.join and " -J" or "") .. " -t t"))
end

-- Wait until the screen shows text (plain; blanks before a line end do not
-- count) at least count times (1); the screen.
function Pane:wait_for(text, count)
  text = trimmed(text)
  local screen
  for _ = 1, self.seconds * 20 do
    screen = self:screen()
    local n = 0
    for _ in screen:gmatch(text:gsub("%p", "%%%0")) do n = n + 1 end
    if n >= (count or 1) then return screen end
    run("sleep 0.05")
  end
  error("the screen never showed " .. string.format("%q", text) .. ":\n" .. screen, 2)
end

function Pane:kill() tmux(self, "kill-server") end

-- For a describe block: a temp directory per test (t.dir, the HOME of
-- what runs in the pane) and its pane killed after the test.
--   local term = tmux.per_test(before_each, after_each)
--   local pane = term.nslab("run lab.lua", opts) -- NSLAB-EXITED N after it
--   local sh = term.open("bash --norc -i")        -- any command
function M.per_test(before_each, after_each)
  local t = {}
  before_each(function() t.dir = run("mktemp -d"):gsub("\n$", "") end)
  after_each(function()
    if t.pane then t.pane:kill() end
    t.pane = nil
    run("rm -rf " .. quote(t.dir))
  end)
  function t.open(cmd, opts)
    t.pane = M.pane(t.dir, cmd, opts)
    return t.pane
  end
  -- bin/nslab ARGS, no colour, sh as its shell; its exit status is
  -- printed after it and the pane stays a minute. opts.env: more
  -- VAR=value words for env.
  function t.nslab(args, opts)
    return t.open(string.format("env HOME=%s TERM=screen SHELL=/bin/sh NO_COLOR=1 %s %s %s; "
                                .. "echo NSLAB-EXITED $?; sleep 60", quote(t.dir), opts and opts.env or "",
                                quote(program.program), args or ""), opts)
  end
  return t
end

return M
