-- Spec support for bad_input_spec: the bad-input calls, generated from the
-- option specs (core.options()) and the method tables (core.bindings(), the
-- netns userdata's methods, the friendly API's modules and classes), with
-- spec/support/badinput_map.lua for what those cannot tell. The same list is
-- generated, in the same order, by the spec and by each child process
-- (badinput_driver.lua), so a call is known by its number.
--
--   local bi = require "spec.support.badinput"
--   local cases, info = bi.cases()   -- info: unmapped, undeclared, skipped
--   bi.classify(ok, err, case, seconds) --> "clean" | "silent" | "internal" | "hang", why
local core = require("nslab.core")
local map = require("spec.support.badinput_map")

local M = {}

-- A call slower than this is a hang (the spec's watchdog kills it later);
-- under the sanitizers (make check) everything is slower.
M.CALL_LIMIT = os.getenv("ASAN_OPTIONS") and 12 or 4

---------------------------------------------------------------- values

local MB = string.rep("a", 1 << 20)
local N16 = "bi-abcdefghijklm" -- 16 bytes: one more than IFNAMSIZ - 1
local NUL = "bi\0x"
local FN = function() end
local NAN, INF = 0 / 0, math.huge
local P53 = 2.0 ^ 53

M.MB, M.N16, M.NUL = MB, N16, NUL

-- A fixture object, resolved in the child (f[name]).
local FX = {}
local function fx(name) return setmetatable({ fx = name }, FX) end
M.fx = fx
function M.is_fx(v) return getmetatable(v) == FX end

local function is_nan(v) return v ~= v end

-- A short text for a value in a call's label.
local function text(v, depth)
  depth = depth or 0
  local t = type(v)
  if t == "string" then
    if #v > 40 then
      return v:find("\0", 1, true) and string.format("<%d bytes with NUL>", #v)
        or string.format("<%d-byte string>", #v)
    end
    return (string.format("%q", v):gsub("\\0", "\\0"):gsub("\\\n", "\\n"))
  elseif t == "number" then
    if is_nan(v) then return "nan" end
    if v == INF then return "inf" end
    if v == -INF then return "-inf" end
    if v == P53 then return "2^53" end
    if v == -P53 then return "-2^53" end
    return tostring(v)
  elseif t == "function" then return "<function>"
  elseif t == "table" then
    if M.is_fx(v) then return "<" .. v.fx .. ">" end
    if depth > 2 then return "{...}" end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do
      local key = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. text(k) .. "]"
      if math.type(k) == "integer" and k == #parts + 1 then parts[#parts + 1] = text(v[k], depth + 1)
      else parts[#parts + 1] = key .. " = " .. text(v[k], depth + 1) end
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end
M.text = text

---------------------------------------------------------------- bad values by kind

local WRONG_STR = { 5, true, {} }   -- for a string (5: Lua would make it "5")
local WRONG_NUM = { true, {} }      -- for a number (a numeric string is added per range)

local function list(...)
  local out = {}
  for _, l in ipairs{ ... } do for _, v in ipairs(l) do out[#out + 1] = v end end
  return out
end

-- n + d as an integer when n is one (2^53 + 1 as a float is 2^53)
local function step(n, d)
  local i = math.tointeger(n)
  if i and ((d > 0 and i < math.maxinteger) or (d < 0 and i > math.mininteger)) then return i + d end
  return n + d
end

local function ints(min, max)
  local out = { 1.5, NAN, INF, -INF }
  if min and min > math.mininteger then out[#out + 1] = step(min, -1) end
  if max and max < math.maxinteger then out[#out + 1] = step(max, 1) end
  if not max or max < P53 then out[#out + 1] = P53 end
  out[#out + 1] = tostring(min or 1) -- a numeric string
  return list(out, WRONG_NUM)
end

local function nums(min, max)
  local out = { NAN, INF, -INF }
  if min and min > -INF then out[#out + 1] = min - 1 end
  if max and max < INF then out[#out + 1] = max + 1 end
  if max and max < P53 then out[#out + 1] = P53 end
  out[#out + 1] = tostring(min or 1)
  return list(out, WRONG_NUM)
end

local function strings(min, max)
  local out = { NUL }
  if (min or 1) >= 1 then out[#out + 1] = "" end
  max = max or 4096
  if max < (1 << 20) then out[#out + 1] = MB end
  if max >= 16 and max + 1 < (1 << 20) then out[#out + 1] = string.rep("b", max + 1) end
  return list(out, WRONG_STR)
end

local IFNAME = list({ "", NUL, N16, MB, "bi/x", "bi x", ".", ".." }, WRONG_STR)
local DEV = list({ 0, -1, 1.5, 2147483648, P53, NAN, INF, "", NUL, N16, MB, "bi-nosuch", 999999 },
                 { true, {} })
local NFTNAME = list({ "", NUL, MB, string.rep("t", 257), string.rep("t", 4096), string.rep("t", 16384) },
                     WRONG_STR)

local function choices(c)
  local first = c[1] or "x"
  local out = { "bi-nosuch", "", first .. "\0" }
  local other = first:upper() ~= first and first:upper() or first:lower() -- its case changed
  if other ~= first then out[#out + 1] = other end
  return list(out, { 5, true })
end

-- A rule is not a name: 64 KB of it is odd enough (1 MB costs the Lua
-- parser seconds per call).
local RULE = list({ "", NUL, string.rep("a", 65536), "bi nosuch words", "ip saddr 300.1.1.1 accept",
                    "iifname \"a\nb\" accept",
                    "ip saddr 198.51.100.1 bogus", "ct state new,new accept", "tcp dport 70000 accept",
                    { { "match", key = "bi nosuch", op = "==", value = "1" } },
                    { { "counter", bi_bogus = 1 } },
                    { { "match", key = "ip saddr", op = "==", value = "198.51.100.1", bi_bogus = 1 } },
                    { 5 }, { {} } }, { true, 5 })

-- Bad values of a positional argument of kind a.k.
local BAD = {}
BAD.dev = function(a)
  if not a.question then return DEV end
  local out = {} -- a question (is there such a device?): a missing one is an answer
  for _, v in ipairs(DEV) do if v ~= "bi-nosuch" and v ~= 999999 then out[#out + 1] = v end end
  return out
end
BAD.ifname = function() return IFNAME end
BAD.str = function(a) return strings(a.min, a.max) end
BAD.data = function() return { true, {} } end
BAD.desc = function() return { true, {}, FN } end -- a description: any text
BAD.nsname = function() return list({ "", NUL, MB, "bi/x", ".", ".." }, WRONG_STR) end
BAD.path = function() return list({ "", NUL, MB }, WRONG_STR) end
BAD.prefix = function()
  return list({ "", NUL, MB, "300.1.1.1/24", "198.51.100.1/33", "2001:db8::1/129", "198.51.100.1/",
                "198.51.100.1/-1", "198.51.100.1/24x", "bi-nosuch" }, WRONG_STR)
end
BAD.addr = function()
  return list({ "", NUL, MB, "300.1.1.1", "198.51.100.1/24", "bi-nosuch", "1.2.3.4.5" }, WRONG_STR)
end
BAD.target = function()
  return list({ "", NUL, MB, "300.1.1.1", "198.51.100.1/24", "bi-nosuch", { 5 }, { "" } }, { true, 5 })
end
BAD.mac = function()
  return list({ "", NUL, MB, "zz:zz:zz:zz:zz:zz", "02:00:00:00:00", "02:00:00:00:00:00:00", "02:00:00:00:00:0g" },
              WRONG_STR)
end
BAD.sysctl = function(a)
  -- a key the kernel lacks is an error to read or write, not to name
  return list({ "", NUL, MB, not a.name_only and "net.ipv4.bi_nosuch" or nil }, WRONG_STR)
end
BAD.sysval = function(a) return a.bool and { NUL, {} } or { NUL, true, {} } end -- Netns:sysctl takes true as 1
BAD.port = function(a) return ints(a.min or 1, a.max or 65535) end
BAD.int = function(a) return ints(a.min, a.max) end
BAD.num = function(a) return nums(a.min, a.max) end
BAD.bool = function() return { 1, "true", {} } end
BAD.choice = function(a) return choices(a.choices) end
BAD.fn = function() return { 5, "x", {} } end
BAD.table = function() return { 5, "x", true } end
BAD.any = function() return {} end
BAD.opts = function() return { 5, "x", true } end
BAD.signal = function() return list({ 0, -1, 65, 1.5, NAN, INF, "", NUL, "SIGBOGUS" }, { true, {} }) end
BAD.nftname = function() return NFTNAME end
BAD.rule = function() return RULE end
BAD.cmd = function() return { 5, true, FN, {}, { 5.5 }, { NUL }, { {} }, { true }, NUL } end
-- core handles and friendly namespaces, incl. closed and deleted ones
BAD.netns = function() return { 5, "bi-a", {}, fx("closed_core"), fx("deleted_core") } end
BAD.Netns = function()
  return list({ "", NUL, MB, "bi-nosuch", "bi/x", fx("closed_ns"), fx("deleted_ns") }, { 5, true, {} })
end
BAD.nsopen = function()
  return list(BAD.Netns(), { { bi_bogus = 1 }, { pid = 0 }, { pid = -1 }, { pid = 1.5 }, { pid = "1" },
                              { path = 5 }, { path = "" }, { path = NUL }, { pid = 1, path = "/proc/1/ns/net" } })
end
-- a Bridge's port: a Link, a name or an ifindex
BAD.port_link = function()
  return list({ "", NUL, N16, MB, "bi-nosuch", 0, -1, 1.5, fx("deleted_link") }, { true, {} })
end
BAD.port = BAD.port
BAD.nfttable = function() return { 5, "bi", {}, fx("deleted_T") } end
BAD.nftchain = function() return { 5, "bi-c", {}, fx("deleted_CH") } end
BAD.list = function(a)
  local out = { 5, "x", true }
  if a.nonempty then out[#out + 1] = {} end
  if a.item.k ~= "opts" then
    for _, v in ipairs(BAD[a.item.k](a.item)) do out[#out + 1] = { v } end
  end
  return out
end
M.BAD = BAD

-- The Bridge's port argument has its own kind name in the map ("port").
local function bad_of(a)
  if a.k == "port" and a.min == nil and a.max == nil then return BAD.port_link() end
  return BAD[a.k](a)
end

-- Bad values of one option, from its spec (core.options() format).
local function bad_option(s, friendly)
  local t = s.type
  if t == "boolean" then return BAD.bool() end
  if t == "integer" then return ints(s.min, s.max) end
  if t == "number" then return nums(s.min, s.max) end
  if t == "string" then return strings(s.min, s.max) end
  if t == "ifname" then return IFNAME end
  if t == "choice" then return choices(s.choices or {}) end
  if t == "netns" then return friendly and BAD.Netns() or BAD.netns() end
  if t == "device" then return DEV end
  if t == "table" then return { 5, "x", true } end
  return {}
end

---------------------------------------------------------------- the method tables

local function sorted_keys(t, want)
  local keys = {}
  for k, v in pairs(t or {}) do
    if type(k) == "string" and (not want or type(v) == want) then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

-- name -> binding, from core.bindings(); names no binding lists yet go
-- by their first word (link_add: link).
local function binding_index()
  local fns, methods = {}, {}
  for bname, b in pairs(core.bindings()) do
    for _, n in ipairs(b.functions or {}) do fns[n] = bname end
    for _, n in ipairs(b.methods or {}) do methods[n] = bname end
  end
  return fns, methods
end

local function first_word(name) return (name:match("^([^_]+)")) end

-- The binding of a core name core.bindings() does not list yet, by its
-- first word (link_add: link), where that is not the binding's name.
local BINDING_OF_WORD = { tcp = "sock", udp = "sock", ping = "probe", exec = "proc", fdb = "neigh",
                          tuntap = "tun", name = "netns", fd = "netns", inode = "netns", run = "netns",
                          close = "netns", clock = "util", sleep = "util", mkdir = "util", readlink = "util",
                          check = "options", container = "container", bindings = "init" }
BINDING_OF_WORD.options = "init"
local function core_binding(listed, name)
  if listed[name] then return listed[name] end
  local w = first_word(name)
  return BINDING_OF_WORD[w] or w
end

---------------------------------------------------------------- option specs

local options_cache
local function declared()
  options_cache = options_cache or core.options()
  return options_cache
end

-- The spec of an options argument: declared by the core (an op the core
-- does not declare is recorded, and the spec fails on it), or the map's
-- own Lua-level spec.
local function spec_of(a, info)
  if type(a.op) == "table" then return a.op, nil end
  info.used[a.op] = true
  local s = declared()[a.op]
  if not s then
    info.undeclared[a.op] = true
    return {}, a.op
  end
  local fields = a.field and ((s[a.field] and s[a.field].fields) or {})
  if a.keys then -- some keys of the op, and a nested table's fields beside them (kinds.lua)
    local only = {}
    for _, k in ipairs(a.keys) do only[k] = s[k] end
    for k, v in pairs(a.field and fields or {}) do only[k] = v end
    return only, a.op
  end
  return fields or s, a.op
end

local function copy(t)
  if type(t) ~= "table" or M.is_fx(t) then return t end
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Is v one of the values listed as valid for op's key?
local function listed_valid(op, key, v)
  for _, ok in ipairs((map.valid[op] or {})[key] or {}) do
    if ok == v then return true end
  end
  return false
end

---------------------------------------------------------------- cases

-- One case: target (e.g. "core:link_set"), label, binding, noun (accepted
-- first words of its error), mention (a word its error must contain), and
-- make(f): the callee, the receiver (or nil) and the arguments.
local cases, info

local function add(case)
  case.id = #cases + 1
  cases[case.id] = case
end

-- args = base with one change; n = how many to pass.
local function mutate(base, n, i, value)
  local args = copy(base)
  args[i] = value
  return args, math.max(n, i)
end

-- What else an option needs to be read at all: the map's `with`, or, for
-- a table named after a kind in a spec with a kind ({kind =, bridge =
-- {...}}), that kind, without a peer.
local function with_of(t, spec, key)
  if t.with and t.with[key] then return t.with[key] end
  if spec.kind and spec[key] and spec[key].type == "table" then return { kind = key, peer = false } end
  return {}
end

-- Option cases for the options argument i of a target: the table under
-- test is at a.at within the argument (a list of keys: {1} for the first
-- item of a list, {1, "exprs", 2} for the second item of its exprs).
local function option_cases(t, i, a, emit)
  local spec, op = spec_of(a, info)
  local friendly = a.friendly or t.friendly
  local at = a.at or {}
  -- change(top, nested): top is the table under test, nested the table at
  -- path within it (or top); returns the new argument i, copied along at
  local function around(path, change)
    return function(base)
      local function dig(v, depth)
        if depth > #at then
          local top = copy(v) or {}
          local nested = top
          if path then
            nested = copy(top[path]) or {}
            top[path] = nested
          end
          change(top, nested)
          return top
        end
        local c = copy(v) or {}
        c[at[depth]] = dig(c[at[depth]], depth + 1)
        return c
      end
      return dig(base[i], 1)
    end
  end
  -- what else the option needs (with_of), then the change
  local function needs(top, nested, path, key)
    for wk, wv in pairs(with_of(t, spec, path or key)) do
      if wk == path and type(wv) == "table" then -- the nested table's own base
        for k, v in pairs(wv) do if nested[k] == nil then nested[k] = v end end
      else
        top[wk] = wv or nil
      end
    end
  end
  local function walk(s, path, prefix)
    emit(around(path, function(top, nested)
      if path then needs(top, nested, path) end
      nested.bi_bogus = 1
    end), "bi_bogus", prefix .. "bi_bogus = 1")
    for _, key in ipairs(sorted_keys(s)) do
      local o = s[key]
      for _, v in ipairs(bad_option(o, friendly)) do
        if not listed_valid(op, key, v) then
          emit(around(path, function(top, nested)
            needs(top, nested, path, key)
            nested[key] = v
          end), key, prefix .. key .. " = " .. text(v))
        end
      end
      if o.required then
        emit(around(path, function(top, nested)
          if path then needs(top, nested, path) end
          nested[key] = nil
        end), key, prefix .. "no " .. key)
      end
      if o.type == "table" and o.fields and not path then walk(o.fields, key, prefix .. key .. ".") end
    end
  end
  walk(spec, nil, "")
end

local function gen_target(g, name, t, target)
  local sig = t.args or {}
  local base = t.base or function() return {} end
  local n = #sig
  local noun = t.noun or g.noun or { first_word(name) }
  local common = { target = target, binding = g.binding(name), noun = noun, isolated = t.isolated or t.bare,
                   bare = t.bare, slow = t.slow, setup = t.setup, group = g }
  local function emit(label, make, mention, recv)
    local c = copy(common)
    c.label, c.make, c.mention, c.recv = label, make, mention, recv
    add(c)
  end
  -- bad positional values
  for i, a in ipairs(sig) do
    for _, v in ipairs(bad_of(a)) do
      emit(string.format("%s(arg %d = %s)", target, i, text(v)), function(f)
        return mutate(base(f), n, i, v)
      end)
    end
    if a.k == "opts" or (a.k == "list" and a.item.k == "opts") then
      local item = a.k == "list" and a.item or a
      local at = item.at
      if a.k == "list" then
        at = { 1 }
        for _, k in ipairs(item.at or {}) do at[#at + 1] = k end
      end
      option_cases(t, i, { k = item.k, op = item.op, keys = item.keys, field = item.field, friendly = item.friendly,
                           at = at },
        function(change, mention, what)
          emit(string.format("%s(arg %d: %s)", target, i, what), function(f)
            local b = base(f)
            return mutate(b, n, i, change(b))
          end, mention)
        end)
    end
  end
  -- missing required arguments, and one too many
  for i, a in ipairs(sig) do
    if not a.opt then
      emit(string.format("%s(only %d argument%s)", target, i - 1, i == 2 and "" or "s"), function(f)
        local b = base(f)
        local args = {}
        for j = 1, i - 1 do args[j] = b[j] end
        return args, i - 1
      end)
    end
  end
  -- (varargs: what follows is passed on, as run(fn, ...) passes it to fn)
  if not t.varargs then
    emit(string.format("%s(... one extra argument)", target), function(f)
      local b = base(f)
      local args = copy(b)
      args[n + 1] = "bi-extra"
      return args, n + 1
    end)
  end
  -- receivers that are gone, closed or not one
  local needs = false
  for _, a in ipairs(sig) do needs = needs or not a.opt end
  if not (needs and not t.base) then
    for _, variant in ipairs(g.variants or {}) do
      if not (t.deleted_ok and variant ~= "self") then
        emit(string.format("%s on %s", target, variant), function(f)
          local b = base(f)
          return b, n
        end, nil, variant)
      end
    end
  end
end

local function A_list(item) return { k = "list", item = item } end
local function O_of(op, at) return { k = "opts", op = op, at = at } end

local function without(names, name)
  local out = {}
  for _, x in ipairs(names) do if x ~= name then out[#out + 1] = x end end
  return out
end

-- The groups: where the names come from, how a call is made.
local function groups()
  local fns, methods = binding_index()
  local registry = debug.getregistry()
  local function idx(mt) return type(mt) == "table" and type(mt.__index) == "table" and mt.__index or {} end
  local nslab = require("nslab")
  local nft = require("nslab.nft")
  local check = require("nslab.check")
  local function by(word) return function(name) return word or first_word(name) end end
  return {
    { prefix = "core.", names = sorted_keys(core, "function"), map = map.core_functions,
      binding = function(name) return core_binding(fns, name) end, kind = "core_function" },
    { prefix = "core:", names = sorted_keys(idx(registry["nslab.netns"]), "function"), map = map.core_methods,
      binding = function(name) return core_binding(methods, name) end, kind = "core_method",
      recv = "Ah", variants = { "closed_core", "deleted_core", "self" } },
    { prefix = "socket:", names = sorted_keys(idx(registry["nslab.socket"]), "function"), map = map.core_objects.udp,
      binding = by("sock"), kind = "object", recv = "udp", variants = { "closed_udp" },
      noun = map.core_objects.udp.noun },
    { prefix = "container_proc:", names = sorted_keys(idx(registry["nslab.container"]), "function"),
      map = map.core_objects.proc, binding = by("container"), kind = "object", recv = "proc",
      variants = { "stopped_proc" }, noun = map.core_objects.proc.noun },
    { prefix = "netns.", module = nslab.netns, names = sorted_keys(nslab.netns, "function"), map = map.netns_functions,
      binding = by("netns.lua"), kind = "function", noun = map.netns_functions.noun },
    { prefix = "Netns:", class = nslab.netns.Netns, names = sorted_keys(nslab.netns.Netns, "function"),
      map = map.netns_methods, binding = by("netns.lua"), kind = "method", recv = "A",
      variants = { "closed_ns", "deleted_ns" }, noun = map.netns_methods.noun },
    { prefix = "Link:", class = nslab.link.Link, names = sorted_keys(nslab.link.Link, "function"),
      map = map.link_methods, binding = by("link.lua"), kind = "method", recv = "link",
      variants = { "deleted_link", "replaced_link", "link_in_deleted_ns", "link_n16", "link_mb", "link_empty",
                   "link_nul" }, noun = map.link_methods.noun },
    { prefix = "bridge.", module = nslab.bridge, names = sorted_keys(nslab.bridge, "function"),
      map = map.bridge_functions, binding = by("bridge.lua"), kind = "function", noun = map.bridge_functions.noun },
    { prefix = "Bridge:", class = nslab.bridge.Bridge, names = sorted_keys(nslab.bridge.Bridge, "function"),
      map = map.bridge_methods, binding = by("bridge.lua"), kind = "method", recv = "br",
      variants = { "deleted_br" }, noun = map.bridge_methods.noun },
    { prefix = "nft.", module = nft, names = sorted_keys(nft, "function"), map = map.nft_functions,
      binding = by("nft.lua"), kind = "function", noun = map.nft_functions.noun },
    { prefix = "Table:", class = nft.Table, names = sorted_keys(nft.Table, "function"), map = map.table_methods,
      binding = by("nft.lua"), kind = "method", recv = "T", variants = { "deleted_T" }, noun = map.table_methods.noun },
    { prefix = "Chain:", class = nft.Chain, names = sorted_keys(nft.Chain, "function"), map = map.chain_methods,
      binding = by("nft.lua"), kind = "method", recv = "CH", variants = { "deleted_CH" },
      noun = map.chain_methods.noun },
    { prefix = "Batch:", names = without(sorted_keys(map.batch_methods, "table"), "noun"), map = map.batch_methods,
      binding = by("nft.lua"), kind = "batch", noun = map.batch_methods.noun },
    { prefix = "container.", module = nslab.container, names = sorted_keys(nslab.container, "function"),
      map = map.container_functions, binding = by("container.lua"), kind = "function",
      noun = map.container_functions.noun },
    { prefix = "Container:", class = nslab.container.Container,
      names = sorted_keys(nslab.container.Container, "function"),
      map = map.container_methods, binding = by("container.lua"), kind = "method", recv = "ct",
      variants = { "stopped_ct" }, noun = map.container_methods.noun },
    { prefix = "docker.", module = nslab.docker, names = sorted_keys(nslab.docker, "function"),
      map = map.docker_functions, binding = by("docker.lua"), kind = "function", noun = map.docker_functions.noun },
    { prefix = "hosts.", module = nslab.hosts, names = sorted_keys(nslab.hosts, "function"),
      map = map.hosts_functions, binding = by("hosts.lua"), kind = "function", noun = map.hosts_functions.noun },
    { prefix = "check.", names = sorted_keys(check.bind({ record = function() return true end }), "function"),
      map = map.check_functions, binding = by("check.lua"), kind = "check", noun = map.check_functions.noun },
  }
end

-- Names every group skips: metamethods and the map's skip list.
local function skipped(g, name)
  if name:match("^__") then return true end
  return map.skip[g.prefix .. name] ~= nil
end

function M.cases()
  if cases then return cases, info end
  cases, info = {}, { unmapped = {}, undeclared = {}, skipped = {}, stale = {}, targets = 0, used = {} }
  for _, g in ipairs(groups()) do
    local present = {}
    for _, name in ipairs(g.names) do
      present[name] = true
      local target = g.prefix .. name
      local t = g.map[name]
      if skipped(g, name) then
        if not name:match("^__") then info.skipped[#info.skipped + 1] = target .. " (" .. map.skip[target] .. ")" end
      elseif type(t) ~= "table" then
        info.unmapped[#info.unmapped + 1] = target
        gen_target(g, name, { args = {}, unmapped = true }, target)
        info.targets = info.targets + 1
      elseif t.variants then
        -- one target in several shapes: {label, op, base(f) of the item, at}
        for _, v in ipairs(t.variants) do
          local item_base = v[3]
          local vt = { name = name, noun = t.noun, variant = v[1],
                       args = { A_list(O_of(v[2], v[4])) },
                       base = function(f) return { { item_base(f) } } end }
          gen_target(g, name, vt, target .. "[" .. v[1] .. "]")
          info.targets = info.targets + 1
        end
      else
        t.name = name
        gen_target(g, name, t, target)
        info.targets = info.targets + 1
      end
    end
    for _, name in ipairs(sorted_keys(g.map, "table")) do
      if name ~= "noun" and name ~= "recv" and not present[name] then info.stale[#info.stale + 1] = g.prefix .. name end
    end
  end
  local ops = {}
  for op in pairs(info.undeclared) do ops[#ops + 1] = op end
  table.sort(ops)
  info.undeclared = ops
  info.unused = {}
  for _, op in ipairs(sorted_keys(declared())) do
    if not info.used[op] then info.unused[#info.unused + 1] = op end
  end
  return cases, info
end

-- The controls: each mapped target's base call, which must succeed.
function M.controls()
  local out = {}
  for _, g in ipairs(groups()) do
    for _, name in ipairs(g.names) do
      local t = g.map[name]
      for _, v in ipairs(type(t) == "table" and t.variants or {}) do
        local item_base = v[3]
        out[#out + 1] = { target = g.prefix .. name .. "[" .. v[1] .. "]", group = g, name = name,
                          binding = g.binding(name), make = function(f) return { { item_base(f) } }, 1 end }
      end
      if type(t) == "table" and t.base and not skipped(g, name) and not t.isolated then
        out[#out + 1] = { target = g.prefix .. name, group = g, name = name, setup = t.setup, slow = t.slow,
                          binding = g.binding(name), make = function(f) local b = t.base(f) return b, #t.args end }
      end
    end
  end
  return out
end

---------------------------------------------------------------- making the call

-- fixture refs inside v replaced by the objects (tables copied, not changed)
local function resolve(v, f, depth)
  depth = depth or 0
  if M.is_fx(v) then return f[v.fx] end
  if type(v) ~= "table" or depth > 3 then return v end
  local out, changed = {}, false
  for k, x in pairs(v) do
    out[k] = resolve(x, f, depth + 1)
    changed = changed or out[k] ~= x
  end
  return changed and out or v
end

-- The function to call and its arguments (receiver first), for a case.
function M.call_of(case, f)
  local g = case.group
  local name = case.target:sub(#g.prefix + 1):gsub("%[.*%]$", "")
  local args, n = case.make(f)
  local real = {}
  for i = 1, n do real[i] = resolve(args[i], f) end
  if g.kind == "core_function" then
    return core[name], real, n
  elseif g.kind == "function" then
    return g.module[name], real, n
  elseif g.kind == "check" then
    local c = f.check
    return c[name], real, n
  elseif g.kind == "batch" then
    return function(...)
      local packed = table.pack(...)
      return f.A:nft_batch(function(b) return b[name](b, table.unpack(packed, 1, packed.n)) end)
    end, real, n
  end
  -- a method: the receiver, or the variant standing for it
  local recv
  if case.recv == "self" then recv = 5
  elseif case.recv then recv = f[case.recv]
  else recv = f[g.recv] end
  local fn
  if g.kind == "core_method" then
    fn = debug.getregistry()["nslab.netns"].__index[name]
  elseif g.kind == "object" then
    fn = getmetatable(f[g.recv]).__index[name]
  else
    fn = g.class[name]
  end
  table.insert(real, 1, recv)
  return fn, real, n + 1
end

---------------------------------------------------------------- judging

-- {pattern, plain, what}: what an internal error gives away.
local MARKERS = {
  { "bad argument", true, "a luaL argument error" },
  -- Lua's own runtime errors ("attempt to use a closed netns" is nslab's)
  { "attempt to index", true, "a Lua runtime error" },
  { "attempt to call", true, "a Lua runtime error" },
  { "attempt to perform", true, "a Lua runtime error" },
  { "attempt to concatenate", true, "a Lua runtime error" },
  { "attempt to compare", true, "a Lua runtime error" },
  { "attempt to get length", true, "a Lua runtime error" },
  { "attempt to yield", true, "a Lua runtime error" },
  { "number has no integer representation", true, "a Lua conversion error" },
  { "stack traceback", true, "a traceback" },
  { "'?'", true, "an unnamed function" },
  { "%.c:%d+", false, "a C file" },
  { "%.lua:%d+:", false, "a Lua position" },
  { "table: 0x", true, "a table address" },
  { "function: 0x", true, "a function address" },
  { "userdata: 0x", true, "a userdata address" },
  { "(null)", true, "a NULL string" },
}

-- "clean", "silent", "internal" or "hang", and why.
function M.classify(ok, err, case, seconds)
  if seconds and seconds > M.CALL_LIMIT then return "hang", string.format("took %.1f s", seconds) end
  if ok then return "silent", "no error" end
  if type(err) ~= "string" then return "internal", "the error is a " .. type(err) .. ", not a message" end
  if #err > 4096 then return "internal", string.format("a message of %d bytes (it echoes an argument)", #err) end
  -- the caller's position (error(msg, 2) pointing at the driver) is fine;
  -- a message holding a 1 MB argument is judged by its ends
  local msg = #err > 8192 and err:sub(1, 4096) .. err:sub(-4096) or err
  msg = msg:gsub("^[^\n]-badinput_driver%.lua:%d+: ", "")
  for _, m in ipairs(MARKERS) do
    if msg:find(m[1], 1, m[2]) then return "internal", m[3]
    end
  end
  local named = false
  for _, word in ipairs(case.noun or {}) do
    local head = msg:sub(1, #word + 1)
    if head == word .. " " or head == word .. ":" or head == word .. "." then named = true end
  end
  if not named then
    return "internal", "does not start with the operation (" .. table.concat(case.noun or {}, "/") .. ")"
  end
  if case.mention and not msg:find(case.mention, 1, true) then
    return "internal", "does not name '" .. case.mention .. "'"
  end
  return "clean", nil
end

-- A message on one line, at most n characters.
function M.short(msg, n)
  n = n or 160
  msg = tostring(msg)
  local long = #msg > n
  if long then msg = msg:sub(1, n + 8) end
  msg = msg:gsub("[\n\t]", " "):gsub("%z", "\\0")
  if long or #msg > n then msg = msg:sub(1, n) .. "..." end
  return msg
end

return M
