-- nslab.api: the positional signature of every public function and
-- method of the friendly API, declared once per class:
--
--   api.declare(Link, "link", {
--     up = { op = "link set" },
--     rename = { op = "link set", { "name", { type = "ifname", required = true } } },
--     wait_ipv6 = { op = "link wait_ipv6",
--                   { "timeout", { type = "number", min = 0, max = 3600 }, lua = true } },
--   })
--
-- Each method is wrapped so that more arguments than declared, or a
-- required one left out, raise "OP OBJECT: ..." in the one shape of the
-- core's reader (core.check_value); rest = true: what follows the
-- declared arguments is passed on (run(fn, ...)). An argument marked lua = true is one
-- the core never sees: the wrapper checks it with that reader too. The
-- others are checked where they are used (usually by the core), not twice.
-- help() and the bad-input spec read the same declarations (api.declared).
--
-- The wrapper costs a select("#") and a nil test per required argument;
-- the reader runs only for lua = true arguments or on the way to an error.
local core = require("nslab.core")

local M = { declared = {} }

-- A name fit for a message: a short string without NUL, else nil (a 1 MB
-- or empty name given by mistake must not become the message's object).
function M.object_name(name)
  if type(name) == "string" and #name > 0 and #name <= 64 and not name:find("%z") then return name end
  return nil
end

local function too_many(op, object, given, max)
  error(string.format("%s%s: too many arguments (%d given, at most %d)", op,
                      object and " " .. object or "", given, max), 0)
end

-- A method called with a dot (va.up()) gets no self: say so, where the
-- method would fail on a nil index. (A self of the wrong class is the
-- method's own business: stand-ins are allowed.)
local function no_self(op, name, self)
  if type(self) ~= "table" and type(self) ~= "userdata" then
    error(string.format("%s: %s needs its object: call it with a colon, obj:%s(...) (self is %s)", op, name, name,
                        type(self)), 0)
  end
end

-- The wrapper of fn (named name) for declaration d; method: called with
-- a self.
local function wrap(fn, name, d, method, object_of)
  local op, max = d.op, d.rest and math.huge or #d
  local checked = {} -- {index, label, spec} of required or lua = true arguments
  for i, a in ipairs(d) do
    if a.lua or a[2].required then
      checked[#checked + 1] = { i, string.format("argument %d (%s)", i, a[1]), a[2], a.lua }
    end
  end
  local function object(self)
    if method and object_of then return M.object_name(object_of(self, op)) end
    return nil
  end
  local function check(self, ...)
    local n = select("#", ...)
    if n > max then too_many(op, object(self), n, max) end
    for j = 1, #checked do
      local c = checked[j]
      local v = (select(c[1], ...))
      if v == nil or c[4] then core.check_value(v, op, object(self), c[2], c[3]) end
    end
  end
  if method then
    if #checked == 0 then
      return function(self, ...)
        no_self(op, name, self)
        if select("#", ...) > max then too_many(op, object(self), select("#", ...), max) end
        return fn(self, ...)
      end
    end
    return function(self, ...)
      no_self(op, name, self)
      check(self, ...)
      return fn(self, ...)
    end
  end
  if #checked == 0 then
    return function(...)
      if select("#", ...) > max then too_many(op, nil, select("#", ...), max) end
      return fn(...)
    end
  end
  return function(...)
    check(nil, ...)
    return fn(...)
  end
end

-- Wrap the methods of class (or, with opts.functions, the functions of a
-- module) named in decls. noun names the class in api.declared;
-- opts.object(self, op) gives the object of a method's messages (or nil).
function M.declare(class, noun, decls, opts)
  opts = opts or {}
  local list = M.declared[noun] or {}
  M.declared[noun] = list
  for name, d in pairs(decls) do
    local fn = rawget(class, name)
    if type(fn) ~= "function" then error("api.declare: " .. noun .. "." .. name .. " is not a function", 2) end
    d.op = d.op or noun .. " " .. name
    list[name] = d
    class[name] = wrap(fn, name, d, not opts.functions, opts.object)
  end
end

return M
