-- nslab.term: colour on a terminal, plain text everywhere else.
--
-- The decision is taken once per output (not per line): "always" and
-- "never" are explicit; "auto" means colour only when writing to io.stdout,
-- stdout is a terminal, NO_COLOR is unset or empty (https://no-color.org)
-- and TERM is not "dumb". An explicit --color=always wins over NO_COLOR, as
-- no-color.org asks of command-line flags.
local term = {}

local MODES = { auto = true, always = true, never = true }

local CODES = { bold = "1", red = "31", green = "32", yellow = "33", dim = "2" }

local stdout_is_tty -- cached: one `test -t 1` per process, not per line

-- Whether fd 1 is a terminal. Plain Lua has no isatty(); the shell's test
-- inherits our fd 1, so its answer is ours.
function term.stdout_isatty()
  if stdout_is_tty == nil then
    stdout_is_tty = os.execute("test -t 1") == true
  end
  return stdout_is_tty
end

-- Check a colour mode: nil means "auto"; booleans are accepted for callers
-- that already decided.
function term.check_mode(mode)
  if mode == nil then return "auto" end
  if mode == true then return "always" end
  if mode == false then return "never" end
  if not MODES[mode] then
    error(string.format("color: expected auto, always or never, got %q",
                        tostring(mode)), 2)
  end
  return mode
end

-- Decide whether output to `stream` (default io.stdout) gets colour.
function term.use_color(mode, stream)
  mode = term.check_mode(mode)
  if mode ~= "auto" then return mode == "always" end
  local no_color = os.getenv("NO_COLOR")
  if no_color and no_color ~= "" then return false end
  if os.getenv("TERM") == "dumb" then return false end
  if (stream or io.stdout) ~= io.stdout then return false end
  return term.stdout_isatty()
end

-- A progress line: progress:update(text) rewrites one line in place
-- ("\r", the text, erase to the end of the line) at most every `every`
-- seconds (0.1) and progress:done() erases it; both do nothing unless
-- the output is a terminal, so a pipe or a file gets nothing extra.
-- opts: stream (io.stdout), live (decided: true or false; default: stream
-- is io.stdout, a terminal, TERM is not "dumb"), every, clock (a function
-- returning seconds; default nslab.core's clock).
local Progress = {}
Progress.__index = Progress

local progress_off = false -- term.quiet_progress

-- Keep every progress line silent (on = true), terminal or not: the lab
-- runner does while its output is read by a program (--tap, --json,
-- --junit) or kept short (-q). Returns the previous setting.
function term.quiet_progress(on)
  local was = progress_off
  progress_off = on and true or false
  return was
end

function term.progress(opts)
  opts = opts or {}
  local stream = opts.stream or io.stdout
  local live = opts.live
  if live == nil then
    live = stream == io.stdout and os.getenv("TERM") ~= "dumb" and term.stdout_isatty()
  end
  if progress_off then live = false end
  return setmetatable({ stream = stream, live = live and true or false, every = opts.every or 0.1,
                        clock = opts.clock or require("nslab.core").clock, shown = nil }, Progress)
end

local on_screen -- the progress whose line is shown now

function Progress:update(text)
  if not self.live or progress_off then return end
  local now = self.clock()
  if self.shown and now - self.shown < self.every then return end
  self.shown = now
  on_screen = self
  self.stream:write("\r", text, "\27[K")
  self.stream:flush()
end

function Progress:done()
  if on_screen == self then on_screen = nil end
  if not self.live or not self.shown then return end
  self.shown = nil
  self.stream:write("\r\27[K")
  self.stream:flush()
end

-- Before a line of output (a note, a check): the progress line goes, and
-- its next update draws it again at once, under that line.
function term.erase_progress()
  local p = on_screen
  if p and p.shown then
    p.shown = nil
    p.stream:write("\r\27[K")
  end
end

local function identity(text) return text end

-- A palette of text decorators: palette.red("FAIL"). With colour off every
-- decorator returns its text unchanged, so callers never test the mode.
function term.palette(enabled)
  local palette = {}
  for name, code in pairs(CODES) do
    if enabled then
      palette[name] = function(text)
        return "\27[" .. code .. "m" .. text .. "\27[0m"
      end
    else
      palette[name] = identity
    end
  end
  palette.enabled = enabled and true or false
  return palette
end

return term
