-- nslab.shape: Link:shape and Link:unshape, a device's root qdisc in tc's
-- words.
--
--   link:shape{ rate = "10mbit" }                     -- tbf, burst and latency chosen
--   link:shape{ rate = "10mbit", burst = "32kb", latency = "50ms" }
--   link:shape{ delay = "100ms", loss = "1%" }        -- netem, where the kernel has it
--   link:unshape()                                    -- tc qdisc del dev X root
--
-- A rate is tc's: "10mbit", "1gbit", "500kbit", "1MBps" (bytes), a bare
-- number is bits per second. A size: bytes, or "32kb", "1mb", "64kbit". A
-- time: seconds, or "50ms", "1s", "200us". Loss: percent, or "1%". The
-- core (core/qdisc.c) makes the qdisc as tc would and checks the numbers;
-- this module reads the words and traces the tc command it equals.
local trace = require("nslab.trace")
local shell = require("nslab.shell")

local M = {}

-- tc's rate units (tc/tc_util.c, compared without case), in bits.
local RATE = { bit = 1, kbit = 1e3, mbit = 1e6, gbit = 1e9, tbit = 1e12,
               kibit = 1024, mibit = 1024 ^ 2, gibit = 1024 ^ 3, tibit = 1024 ^ 4,
               bps = 8, kbps = 8e3, mbps = 8e6, gbps = 8e9, tbps = 8e12,
               kibps = 8 * 1024, mibps = 8 * 1024 ^ 2, gibps = 8 * 1024 ^ 3, tibps = 8 * 1024 ^ 4 }
-- tc's size units (get_size), in bytes.
local SIZE = { b = 1, k = 1024, kb = 1024, m = 1024 ^ 2, mb = 1024 ^ 2, g = 1024 ^ 3, gb = 1024 ^ 3,
               kbit = 1024 / 8, mbit = 1024 ^ 2 / 8, gbit = 1024 ^ 3 / 8 }
local TIME = { s = 1, sec = 1, secs = 1, ms = 1e-3, msec = 1e-3, msecs = 1e-3, us = 1e-6, usec = 1e-6,
               usecs = 1e-6 }

local function fail(object, key, what, got)
  error(string.format("link shape%s: option '%s' must be %s, got %q", object and " " .. object or "", key, what,
                      got), 0)
end

-- A word of tc's with a unit: number times the unit's scale, or nil.
local function scaled(text, units, default_scale)
  local num, unit = text:match("^(%d+%.?%d*)(%a*)$")
  if not num then num, unit = text:match("^(%.%d+)(%a*)$") end
  if not num then return nil end
  local scale = unit == "" and default_scale or units[unit:lower()]
  if not scale then return nil end
  return tonumber(num) * scale
end

local function whole(x) return math.tointeger(math.floor(x)) or x end

-- The core's options from the words of opts (anything else goes through:
-- the core checks it, unknown keys included).
local function numbers(opts, object)
  local out = {}
  for k, v in pairs(opts) do out[k] = v end
  local v = opts.rate
  if type(v) == "string" then
    local bits = scaled(v, RATE, 1)
    if not bits then fail(object, "rate", 'a rate as tc writes it ("10mbit", "1gbit", "500kbit")', v) end
    out.rate = whole(bits / 8)
  elseif type(v) == "number" then
    out.rate = whole(v / 8)
  end
  v = opts.burst
  if type(v) == "string" then
    local bytes = scaled(v, SIZE, 1)
    if not bytes then fail(object, "burst", 'a size ("32kb", "15140", "1mb")', v) end
    out.burst = whole(bytes)
  end
  for _, key in ipairs{ "latency", "delay", "jitter" } do
    v = opts[key]
    if type(v) == "string" then
      local s = scaled(v, TIME, nil)
      if not s then fail(object, key, 'a time ("50ms", "1s", "200us")', v) end
      out[key] = s
    end
  end
  v = opts.loss
  if type(v) == "string" then
    local pct = v:match("^(%d+%.?%d*)%%$")
    if not pct then fail(object, "loss", 'a percentage ("1%")', v) end
    out.loss = tonumber(pct)
  end
  return out
end

-- "50ms", "1s", "250us": the shortest exact word tc reads back.
local function time_word(us)
  if us % 1000000 == 0 then return string.format("%ds", us // 1000000) end
  if us % 1000 == 0 then return string.format("%dms", us // 1000) end
  return string.format("%dus", us)
end

local function rate_word(bytes)
  local bits = bytes * 8
  for _, u in ipairs{ { "gbit", 1e9 }, { "mbit", 1e6 }, { "kbit", 1e3 } } do
    if bits % u[2] == 0 then return string.format("%d%s", bits // u[2], u[1]) end
  end
  return string.format("%dbit", bits)
end

-- link:shape(opts) through call(link, op, method, ...) (link.lua's).
function M.shape(link, call, opts)
  if type(opts) ~= "table" then
    error(string.format("link shape %s: argument 1 (opts) must be a table, got %s", link.name, type(opts)), 0)
  end
  local given = numbers(opts, link.name)
  local made = call(link, "link shape", "shape", given)
  local words
  if made.kind == "tbf" then
    words = string.format("tc qdisc replace dev %s root tbf rate %s burst %d latency %s", shell.quote(link.name),
                          rate_word(made.rate), made.burst, time_word(made.latency_us))
  else
    words = "tc qdisc replace dev " .. shell.quote(link.name) .. " root netem"
    if given.delay then words = words .. " delay " .. time_word(math.floor(given.delay * 1e6 + 0.5)) end
    if given.jitter then words = words .. " " .. time_word(math.floor(given.jitter * 1e6 + 0.5)) end
    if given.loss then words = words .. string.format(" loss %g%%", given.loss) end
    if given.limit then words = words .. " limit " .. given.limit end
  end
  trace.command(link.ns:inside(words))
  return made
end

function M.unshape(link, call)
  call(link, "link unshape", "unshape")
  trace.command(link.ns:inside("tc qdisc del dev " .. shell.quote(link.name) .. " root"))
end

return M
