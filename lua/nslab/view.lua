-- nslab.view: what an object looks like, as text and as JSON, through one
-- print path (as iproute2 prints both from one call per field).
--
--   view.text(host)                 -- netns host: `ip -br addr` lines, then `ip route`
--   view.text(br)                   -- brctl show
--   view.json(test1, {pretty = true})
--   view.render(x, {json = true})   -- the one entry point: nil when x has no view
--
-- One description per kind of object lives in nslab/view/KIND.lua: it
-- tells which values are of its kind (is), fetches what it shows (data),
-- and prints it to a printer p (print), each field once:
--
--   p:field("ifname", "%-16s ", name)   -- JSON key and text format
--   p:json("ifindex", 3)                -- JSON only
--   p:text("\n")                        -- text only
--   p:array("addr_info", function() ... p:object(nil, fn) ... end)
--
-- A kind may give a header (text printed once above one or a list of
-- them, as `brctl show` prints its column names) and a separator (text
-- between two of them in a list), or list(p, items) to print a list of
-- them itself (columns as wide as the widest row). A Lua array of values
-- with views is a list: its JSON an array, its text the items one after
-- the other.
local json = require("nslab.json")

local view = {}

---------------------------------------------------------------- the printer

local Printer = {}
Printer.__index = Printer

-- A printer for text (json false) or for JSON.
function view.printer(as_json)
  local self = setmetatable({ is_json = as_json and true or false, out = {}, stack = {} }, Printer)
  self.stack[1] = { root = true }
  return self
end

-- Put v under key into the open object (or append it to the open array).
function Printer:put(key, v)
  local top = self.stack[#self.stack]
  if top.root then
    self.value = v
  elseif top.array then
    top.t[#top.t + 1] = v
  else
    if top.t[key] == nil then top.keys[#top.keys + 1] = key end
    top.t[key] = v
  end
end

-- A field of both renderings: JSON key = v; text fmt:format(v). Nothing
-- when v is nil; no text when fmt is nil.
function Printer:field(key, fmt, v)
  if v == nil then return end
  if self.is_json then
    self:put(key, v)
  elseif fmt then
    self.out[#self.out + 1] = fmt:format(v)
  end
end

-- A field of the JSON only (iproute2's PRINT_JSON).
function Printer:json(key, v)
  if v ~= nil and self.is_json then self:put(key, v) end
end

-- Text only (PRINT_FP): fmt, formatted with the rest when there is any.
function Printer:text(fmt, ...)
  if self.is_json then return end
  self.out[#self.out + 1] = select("#", ...) > 0 and fmt:format(...) or fmt
end

local function nested(self, key, t, fn)
  if not self.is_json then return fn() end
  self:put(key, t)
  local frame = { t = t, array = json.is_marked_array(t), keys = {} }
  if not frame.array then json.object(frame.keys, t) end
  self.stack[#self.stack + 1] = frame
  fn()
  self.stack[#self.stack] = nil
end

-- An object under key (nil inside an array or at the top), filled by fn.
function Printer:object(key, fn) nested(self, key, {}, fn) end

-- An array under key, its items put by fn; [] when fn puts none.
function Printer:array(key, fn) nested(self, key, json.array(), fn) end

-- The JSON value built, or the text written.
function Printer:result()
  if self.is_json then return self.value end
  return table.concat(self.out)
end

---------------------------------------------------------------- kinds

-- In the order they are tried: classes first, then the plain tables the
-- API returns (recognised by their fields).
local KIND_NAMES = { "bridge", "link", "netns", "nft", "docker", "why", "capture", "packet", "brctl", "macs",
                     "route", "neigh", "fdb", "addr", "network_ls", "ps" }
view.KIND_NAMES = KIND_NAMES
local kinds

local function load_kinds()
  if kinds then return kinds end
  kinds = {}
  for i, name in ipairs(KIND_NAMES) do
    kinds[i] = require("nslab.view." .. name)
    kinds[i].name = kinds[i].name or name
  end
  return kinds
end

-- The kind of x, or nil.
function view.kind_of(x)
  if type(x) ~= "table" then return nil end
  for _, k in ipairs(load_kinds()) do
    if k.is(x) then return k end
  end
  return nil
end

-- Is x a list of values that all have views (a non-empty array)?
local function list_kinds(x)
  if type(x) ~= "table" or getmetatable(x) ~= nil or x[1] == nil then return nil end
  local n = 0
  for _ in pairs(x) do n = n + 1 end
  if n ~= #x then return nil end
  local list = {}
  for i, item in ipairs(x) do
    list[i] = view.kind_of(item)
    if not list[i] then return nil end
  end
  return list
end

-- Does x have a view (itself, or as a list)?
function view.has(x)
  return view.kind_of(x) ~= nil or list_kinds(x) ~= nil
end

local OPTIONS = {
  json = { type = "boolean", doc = "JSON (as `ip -j`) instead of text" },
  pretty = { type = "boolean", doc = "JSON indented, one member a line (as `ip -j -p`)" },
}
view.OPTIONS = OPTIONS

local function check_opts(opts, op)
  require("nslab.core").check_options(opts, op, nil, OPTIONS)
  return opts or {}
end

local function print_one(p, k, x, opts)
  p:object(nil, function() k.print(p, k.data(x), opts) end)
end

-- Print x (one value or a list) to p; false when it has no view.
local function print_value(p, x, opts)
  local k = view.kind_of(x)
  if k then
    if k.header then p:text(k.header) end
    print_one(p, k, x, opts)
    return true
  end
  local list = list_kinds(x)
  if not list then return false end
  local all_same = true
  for i = 2, #list do all_same = all_same and list[i] == list[1] end
  if all_same and list[1].list then
    -- a table whose columns fit every row (docker's tabwriter)
    p:array(nil, function() list[1].list(p, x) end)
    return true
  end
  p:array(nil, function()
    for i, item in ipairs(x) do
      local same = i > 1 and list[i] == list[i - 1]
      if same and list[i].separator then p:text(list[i].separator) end
      if not same and i > 1 then p:text("\n") end
      if not same and list[i].header then p:text(list[i].header) end
      print_one(p, list[i], item, opts)
    end
  end)
  return true
end

-- The plain data of x's view (what its JSON says), or nil.
function view.data(x, opts)
  local p = view.printer(true)
  if not print_value(p, x, opts or {}) then return nil end
  return p:result()
end

-- The op of x's errors: its kind's ("link show"), else "show".
local function op_of(x)
  local k = view.kind_of(x)
  local op = k and k.op
  if type(op) == "function" then op = op(x) end
  return op or "show"
end

local function render(x, opts, op)
  opts = check_opts(opts, op)
  local p = view.printer(opts.json)
  if not print_value(p, x, opts) then return nil end
  if opts.json then return json.encode(p:result(), { pretty = opts.pretty }) .. "\n" end
  return p:result()
end

-- x's view: text, or with opts.json its JSON text; nil when x has none.
function view.render(x, opts) return render(x, opts, "show") end

function view.text(x) return view.render(x) end

function view.json(x, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("view json: argument 2 (opts) must be a table, got " .. type(opts), 0)
  end
  local o = { json = true }
  for k, v in pairs(opts or {}) do o[k] = v end
  return view.render(x, o)
end

-- show(x [, {json = true}]): print x's view on stdout (the REPL's and a
-- plain script's show; a lab's show puts the same text under its step,
-- from view.render). A value without a view prints as Lua shows it.
-- Returns nothing, so that the REPL does not print it twice.
function view.show(x, opts, ...)
  if select("#", ...) > 0 then
    error(string.format("show: too many arguments (%d given, at most 2)", 2 + select("#", ...)), 0)
  end
  local text = view.render(x, opts)
  if text == nil then
    text = (type(x) == "string" and x or require("nslab.check").render(x))
    if text:sub(-1) ~= "\n" then text = text .. "\n" end
  end
  io.stdout:write(text)
  io.stdout:flush()
end

-- obj:view([opts]) for a class: view.render(obj, opts), its errors in
-- the words of its kind ("link show: invalid option 'jsn'").
function view.method(self, opts, ...)
  local op = op_of(self)
  if select("#", ...) > 0 then
    error(string.format("%s: too many arguments (%d given, at most 1)", op, 1 + select("#", ...)), 0)
  end
  return render(self, opts, op)
end

return view
