-- nslab.options: the Lua layer's side of the seam. Options and arguments
-- are checked by the one reader in C (core.check_options, core.check_value),
-- so a misspelled or mistyped option gives the same message wherever it is
-- declared: veth("a", "b", {mtux = 1400}) fails with
-- "link add: invalid option 'mtux'".
--
--   options.check(opts, "docker run", { name = { type = "string" }, publish = true })
--   options.value(t, "check reachable", nil, "option 'timeout'", { type = "number", min = 0 })
--   options.nargs("docker stop", 1, ...)   -- extra positional arguments
--
-- A spec is written as core.options() shows the C ones; `true` stands for
-- { type = "any" }: present, and checked by whoever uses it (often the core).
local core = require("nslab.core")

local options = {}

local ANY = { type = "any" }

-- allowed maps each key to its spec (or true). Cached: the same table of
-- allowed keys always gives the same spec.
local specs = setmetatable({}, { __mode = "k" })
local function spec_of(allowed)
  local spec = specs[allowed]
  if spec then return spec end
  spec = {}
  for key, s in pairs(allowed) do spec[key] = s == true and ANY or s end
  specs[allowed] = spec
  return spec
end

-- Check opts (nil: none) against allowed; returns opts, or {} when nil.
function options.check(opts, op, allowed, object)
  core.check_options(opts, op, object, spec_of(allowed))
  return opts or {}
end

-- Check one value (an argument, a field) against one option's spec.
function options.value(v, op, object, label, spec)
  core.check_value(v, op, object, label, spec)
  return v
end

-- At most n positional arguments in ...: "OP: too many arguments (N given,
-- at most n)", as the core says it.
function options.nargs(op, n, ...)
  local given = select("#", ...)
  if given > n then
    error(string.format("%s: too many arguments (%d given, at most %d)", op, given, n), 0)
  end
end

-- The spec of one of the core's option sets ("ping", "netns exec"), with
-- some keys left out and others added: a Lua API that passes options on
-- declares them once, where the core does.
function options.from_core(op, without, extra)
  local spec = {}
  for key, s in pairs(core.options()[op]) do
    if not (without and without[key]) then spec[key] = s end
  end
  for key, s in pairs(extra or {}) do spec[key] = s end
  return spec
end

return options
