-- nslab.json: a small JSON encoder for the views (`ip -j` style output).
--
--   json.encode({ ifname = "eth0", mtu = 1500 })        --> {"ifname":"eth0","mtu":1500}
--   json.encode(v, { pretty = true })                   -- two-space indent, as ip -j -p
--   json.object({ "ifname", "mtu" }, { ifname = "eth0", mtu = 1500 })  -- keys in this order
--   json.array({})                                      --> []
--
-- Output is deterministic: an object's keys come in the order its
-- json.object gave, else sorted. A table whose keys are exactly 1..n is an
-- array; an empty plain table is {} unless made with json.array. NaN and
-- infinities, functions, userdata, cycles, mixed or non-string keys are
-- refused with "json: ..." (JSON has no way to say them). Strings are
-- escaped as RFC 8259 asks; bytes that are not UTF-8 become \u00XX.
-- A value with a view (nslab.view) is encoded as the view's JSON.
local json = {}

local ORDER = setmetatable({}, { __mode = "k" }) -- object -> its keys in order
local ARRAY = setmetatable({}, { __mode = "k" }) -- tables marked as arrays
json.null = setmetatable({}, { __tostring = function() return "null" end })

-- An object whose keys print in the order of keys (the ones present).
function json.object(keys, t)
  t = t or {}
  ORDER[t] = keys
  return t
end

-- A table that is an array even when empty.
function json.array(t)
  t = t or {}
  ARRAY[t] = true
  return t
end

-- Was t made with json.array?
function json.is_marked_array(t) return ARRAY[t] == true end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function escape_ascii(s)
  return (s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or (c:byte() < 32 and string.format("\\u%04x", c:byte()) or c)
  end))
end

-- A string as JSON: valid UTF-8 sequences kept, other bytes as \u00XX.
local function string_text(s)
  if utf8.len(s) then return '"' .. escape_ascii(s) .. '"' end
  local out, i = {}, 1
  while i <= #s do
    local len = utf8.len(s, i, i) and #utf8.char(utf8.codepoint(s, i))
    if len then
      out[#out + 1] = escape_ascii(s:sub(i, i + len - 1))
      i = i + len
    else
      out[#out + 1] = string.format("\\u%04x", s:byte(i))
      i = i + 1
    end
  end
  return '"' .. table.concat(out) .. '"'
end
json.string = string_text

-- A number as JSON: integers as they are, floats in the fewest digits
-- that read back as the same value.
local function number_text(n)
  if math.type(n) == "integer" then return string.format("%d", n) end
  if n ~= n then error("json: NaN cannot be encoded", 0) end
  if n == math.huge or n == -math.huge then error("json: infinity cannot be encoded", 0) end
  for digits = 14, 17 do
    local text = string.format("%." .. digits .. "g", n)
    if tonumber(text) == n then return text end
  end
  return string.format("%.17g", n)
end

local function sorted_keys(t)
  local keys = {}
  for k in next, t do
    if type(k) ~= "string" then
      error("json: an object key must be a string, got " .. (math.type(k) or type(k)), 0)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end

-- Is t an array (keys exactly 1..n, n > 0, or marked)? Raises on a table
-- with numeric keys that are not 1..n (a sparse array is ambiguous).
local function is_array(t)
  if ARRAY[t] then return true end
  local n = 0
  for k in next, t do
    if math.type(k) ~= "integer" or k < 1 then
      if n > 0 or math.type(k) then error("json: a table mixes array and object keys", 0) end
      return false
    end
    n = n + 1
  end
  if n == 0 then return false end
  for i = 1, n do
    if t[i] == nil then error("json: an array has holes", 0) end
  end
  return true
end

local MAX_DEPTH = 100

local encode_value

local function encode_table(t, opts, depth, seen, out)
  if seen[t] then error("json: a table contains itself", 0) end
  if depth > MAX_DEPTH then error("json: nested more than " .. MAX_DEPTH .. " deep", 0) end
  seen[t] = true
  local nl, pad, inner = "", "", ""
  if opts.pretty then
    nl = "\n"
    local unit = type(opts.pretty) == "string" and opts.pretty or opts.indent or "  "
    pad = string.rep(unit, depth)
    inner = string.rep(unit, depth + 1)
  end
  local colon = opts.pretty and ": " or ":"
  if is_array(t) then
    if #t == 0 then
      out[#out + 1] = "[]"
    else
      out[#out + 1] = "[" .. nl
      for i = 1, #t do
        out[#out + 1] = inner
        encode_value(t[i], opts, depth + 1, seen, out)
        out[#out + 1] = (i < #t and "," or "") .. nl
      end
      out[#out + 1] = pad .. "]"
    end
  else
    local keys = json.keys_of(t)
    if #keys == 0 then
      out[#out + 1] = "{}"
    else
      out[#out + 1] = "{" .. nl
      for i, k in ipairs(keys) do
        out[#out + 1] = inner .. string_text(k) .. colon
        encode_value(t[k], opts, depth + 1, seen, out)
        out[#out + 1] = (i < #keys and "," or "") .. nl
      end
      out[#out + 1] = pad .. "}"
    end
  end
  seen[t] = nil
end

function encode_value(v, opts, depth, seen, out)
  local kind = type(v)
  if v == nil or v == json.null then
    out[#out + 1] = "null"
  elseif kind == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif kind == "number" then
    out[#out + 1] = number_text(v)
  elseif kind == "string" then
    out[#out + 1] = string_text(v)
  elseif kind == "table" then
    local mt = getmetatable(v)
    if mt ~= nil and opts.data_of then
      local data = opts.data_of(v)
      if data ~= nil and data ~= v then return encode_value(data, opts, depth, seen, out) end
    end
    encode_table(v, opts, depth, seen, out)
  else
    error("json: a " .. kind .. " cannot be encoded", 0)
  end
end

-- The keys of an object in the order it prints them.
function json.keys_of(t)
  local keys = {}
  for _, k in ipairs(ORDER[t] or {}) do if t[k] ~= nil then keys[#keys + 1] = k end end
  local listed = {}
  for _, k in ipairs(keys) do listed[k] = true end
  for _, k in ipairs(sorted_keys(t)) do if not listed[k] then keys[#keys + 1] = k end end
  return keys
end

-- The JSON text of v. opts: pretty (indented, one member a line; indent
-- the unit, two spaces by default),
-- data_of (a function giving the plain data of an object with a
-- metatable, or nil: the views pass theirs).
function json.encode(v, opts)
  opts = opts or {}
  local out = {}
  encode_value(v, opts, 0, {}, out)
  return table.concat(out)
end

return json
