-- nslab.nft: nf_tables rules, written as nft writes them.
--
--   local nat = host:nft_table("ip", "nat")                   -- nft add table ip nat
--   local post = nat:chain("POSTROUTING", { type = "nat", hook = "postrouting",
--                                           priority = "srcnat", policy = "accept" })
--   post:rule 'ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade'
--   post:rules()      -- each rule as nft prints it, with its handle and counters
--
-- Rules are nft syntax strings (the subset below) or the structured form
-- the C core takes (an array of {"match", key=, op=, value=} and
-- statements such as {"counter"}, {"dnat", addr=, port=}). Anything outside
-- the subset is an error that names the token, never a different rule.
-- Every call that changes the ruleset is one nf_tables batch: all of it
-- happens or none.
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local options = require("nslab.options")

local M = {}

---------------------------------------------------------------- vocabulary

-- Match keys, by the words that name them.
local KEYS = {
  iifname = "iifname", oifname = "oifname",
  ["ip saddr"] = "ip saddr", ["ip daddr"] = "ip daddr", ["ip protocol"] = "ip protocol",
  ["ip6 saddr"] = "ip6 saddr", ["ip6 daddr"] = "ip6 daddr",
  ["meta l4proto"] = "meta l4proto",
  ["tcp sport"] = "tcp sport", ["tcp dport"] = "tcp dport",
  ["udp sport"] = "udp sport", ["udp dport"] = "udp dport",
  ["ct state"] = "ct state",
  ["fib daddr type"] = "fib daddr type",
}

-- The address types of `fib daddr type` (Docker's "addrtype --dst-type").
local FIB_TYPES = { unspec = true, unicast = true, ["local"] = true, broadcast = true, anycast = true,
                    multicast = true, blackhole = true, unreachable = true, prohibit = true }
-- Words that start a two-word key.
local KEY_PREFIX = { ip = true, ip6 = true, meta = true, tcp = true, udp = true, ct = true }
-- ("fib daddr type" is the one three-word key, read apart)

local VERDICTS = { accept = true, drop = true, reject = true, ["return"] = true,
                   counter = true, masquerade = true }

-- ct state words in the order nft prints them (their bit order).
local CT_STATES = { "invalid", "established", "related", "new", "untracked" }
local CT_ORDER = {}
for i, s in ipairs(CT_STATES) do CT_ORDER[s] = i end

-- Chain priorities by name, as nft 1.0 names them (ip, ip6, inet; bridge).
local PRIORITIES = {
  default = { raw = -300, mangle = -150, dstnat = -100, filter = 0, security = 50, srcnat = 100 },
  bridge = { dstnat = -300, filter = -200, out = 100, srcnat = 300 },
}
local HOOKS = { prerouting = true, input = true, forward = true, output = true, postrouting = true }
local TYPES = { filter = true, nat = true, route = true }
local FAMILIES = { ip = true, ip6 = true, inet = true, bridge = true }

-- Protocol numbers and names as nft knows them: from /etc/protocols, as
-- getprotobynumber(3) gives them (netbase), with the ones nft names
-- itself should that file be missing.
local protocols
local function protocol_table()
  if protocols then return protocols end
  protocols = { number = { icmp = 1, tcp = 6, udp = 17, icmpv6 = 58, ["ipv6-icmp"] = 58 },
                name = { [1] = "icmp", [6] = "tcp", [17] = "udp", [58] = "ipv6-icmp" } }
  local f = io.open("/etc/protocols")
  if not f then return protocols end
  for line in f:lines() do
    local name, number, aliases = line:match("^([%w%-%.]+)%s+(%d+)%s*([^#]*)")
    number = tonumber(number)
    if name then
      protocols.name[number] = protocols.name[number] or name
      protocols.number[name] = number
      for alias in aliases:gmatch("%S+") do protocols.number[alias:lower()] = number end
    end
  end
  f:close()
  return protocols
end

-- A protocol value as nft prints it: its name when it has one.
local function protocol_text(value)
  local t = protocol_table()
  local number = math.type(value) == "integer" and value or t.number[value]
  return number and t.name[number] or tostring(value)
end

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

---------------------------------------------------------------- parsing

-- Words of a rule: bare words, "quoted strings" (kept with a mark), and
-- "!=" / "==" as words of their own.
local function tokenize(text)
  local tokens, i = {}, 1
  while i <= #text do
    local c = text:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif c == '"' then
      local j = text:find('"', i + 1, true)
      if not j then fail('nft rule: unterminated string at "%s"', text:sub(i)) end
      tokens[#tokens + 1] = { text = text:sub(i + 1, j - 1), quoted = true }
      i = j + 1
    elseif text:sub(i, i + 1) == "!=" or text:sub(i, i + 1) == "==" then
      tokens[#tokens + 1] = { text = text:sub(i, i + 1) }
      i = i + 2
    else
      local j = i
      while j <= #text and not text:sub(j, j):match('[%s"]') and text:sub(j, j + 1) ~= "!=" do j = j + 1 end
      tokens[#tokens + 1] = { text = text:sub(i, j - 1) }
      i = j
    end
  end
  return tokens
end

local function port_value(word)
  local n = math.tointeger(tonumber(word))
  if not n or n < 0 or n > 65535 then fail('nft rule: "%s" is not a port number', word) end
  return n
end

local function ct_value(words)
  local states = {}
  for state in words:gmatch("[^,%s]+") do
    if not CT_ORDER[state] then fail('nft rule: "%s" is not a ct state', state) end
    states[#states + 1] = state
  end
  if #states == 0 then fail("nft rule: ct state needs a state") end
  return states
end

-- "ADDR" or "ADDR:PORT" after snat/dnat to.
local function nat_target(stmt, word)
  local addr, port = word:match("^([^:]+):(%d+)$")
  local item = { stmt, addr = addr or word }
  if port then item.port = port_value(port) end
  if not item.addr:match("^%d+%.%d+%.%d+%.%d+$") then
    fail('nft rule: %s to "%s": not an IPv4 address', stmt, word)
  end
  return item
end

---------------------------------------------------------------- canonical form

-- An IPv4 prefix with its host bits cleared, a /32 as the bare address:
-- what nft stores and prints back.
local function canonical_ipv4(value)
  local a, b, c, d, plen = value:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)/(%d+)$")
  if not a then return value end
  plen = tonumber(plen)
  if plen == 32 then return value:match("^[^/]+") end
  local n = ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
  n = n & ((0xffffffff << (32 - plen)) & 0xffffffff)
  return string.format("%d.%d.%d.%d/%d", n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255, plen)
end

local PORT_PROTOCOL = { ["tcp sport"] = "tcp", ["tcp dport"] = "tcp", ["udp sport"] = "udp", ["udp dport"] = "udp" }

-- Rewrite a parsed rule the way nft will store and print it, so that the
-- text nslab explains is the text `nft list ruleset` shows:
--   * an explicit "meta l4proto tcp" / "ip protocol tcp" that a later tcp
--     port match needs anyway is the dependency nft adds itself: dropped;
--   * "tcp dport X tcp sport Y" is one load in nft, printed sport first;
--   * prefixes lose their host bits, /32 becomes the address.
local function canonical(exprs)
  local out = {}
  for i, e in ipairs(exprs) do
    local dependency = false
    if e[1] == "match" and e.op == "==" and (e.key == "meta l4proto" or e.key == "ip protocol") then
      local proto = protocol_text(e.value)
      for j = i + 1, #exprs do
        if exprs[j][1] == "match" and PORT_PROTOCOL[exprs[j].key] == proto then dependency = true end
      end
    end
    if not dependency then
      if e[1] == "match" and (e.key == "ip saddr" or e.key == "ip daddr") then
        e.value = canonical_ipv4(e.value)
      end
      out[#out + 1] = e
    end
  end
  for i = 1, #out - 1 do
    local a, b = out[i], out[i + 1]
    if a[1] == "match" and b[1] == "match" and a.op == "==" and b.op == "==" and
       PORT_PROTOCOL[a.key] and PORT_PROTOCOL[a.key] == PORT_PROTOCOL[b.key] and
       a.key:match("dport$") and b.key:match("sport$") then
      out[i], out[i + 1] = b, a
    end
  end
  return out
end

-- Parse nft rule syntax (the subset above) into the structured form, as
-- nft will store it.
function M.parse(text)
  return canonical(M.parse_as_written(text))
end

-- The same, exactly as written (for a parser's own tests).
function M.parse_as_written(text)
  local tokens = tokenize(text)
  local exprs, i = {}, 1
  local function word(k) return tokens[k] and tokens[k].text end
  local function need(k, what)
    if not tokens[k] then fail("nft rule: %s expected at the end of %q", what, text) end
    return tokens[k]
  end
  while i <= #tokens do
    local w, tok = word(i), tokens[i]
    local key = not tok.quoted and (KEYS[w] or (KEY_PREFIX[w] and word(i + 1) and KEYS[w .. " " .. word(i + 1)]))
    if not tok.quoted and w == "fib" and word(i + 1) == "daddr" and word(i + 2) == "type" then
      key = "fib daddr type"
    end
    if key then
      i = i + select(2, key:gsub(" ", "")) + 1
      local op = "=="
      if word(i) == "!=" or word(i) == "==" then op, i = word(i), i + 1 end
      local value = need(i, "a value after " .. key)
      i = i + 1
      local v = value.text
      if key == "ct state" then
        -- "established,related" or "established, related"
        while word(i) and (v:sub(-1) == "," or word(i):sub(1, 1) == ",") do
          v, i = v .. word(i), i + 1
        end
        if op ~= "==" then fail("nft rule: ct state supports only ==") end
        v = ct_value(v)
      elseif key:match("port$") then
        v = port_value(v)
      elseif key == "ip protocol" or key == "meta l4proto" then
        v = math.tointeger(tonumber(v)) or v
      elseif key == "iifname" or key == "oifname" then
        if v == "" then fail("nft rule: empty interface name after %s", key) end
      elseif key == "fib daddr type" and not FIB_TYPES[v] then
        fail('nft rule: fib daddr type "%s": not an address type (local, unicast, broadcast, ...)', v)
      end
      exprs[#exprs + 1] = { "match", key = key, op = op, value = v }
    elseif tok.quoted then
      fail('nft rule: unexpected "%s"', w)
    elseif VERDICTS[w] then
      exprs[#exprs + 1] = { w }
      i = i + 1
    elseif w == "jump" or w == "goto" then
      local chain = need(i + 1, "a chain name after " .. w)
      exprs[#exprs + 1] = { w, chain = chain.text }
      i = i + 2
    elseif w == "snat" or w == "dnat" then
      -- "dnat to A", or in inet tables "dnat ip to A"
      local at = (word(i + 1) == "ip" or word(i + 1) == "ip6") and i + 2 or i + 1
      if word(at) ~= "to" then fail('nft rule: "%s" must be followed by "to ADDRESS"', w) end
      exprs[#exprs + 1] = nat_target(w, need(at + 1, "an address after " .. w .. " to").text)
      i = at + 2
    elseif w == "log" then
      local item = { "log" }
      i = i + 1
      if word(i) == "prefix" then
        local prefix = need(i + 1, "a string after log prefix")
        if not prefix.quoted then fail('nft rule: log prefix needs a "quoted string"') end
        item.prefix, i = prefix.text, i + 2
      end
      exprs[#exprs + 1] = item
    else
      fail('nft rule: unknown token "%s" in %q', w, text)
    end
  end
  if #exprs == 0 then fail("nft rule: empty rule") end
  return exprs
end

---------------------------------------------------------------- printing

local function quoted(s) return '"' .. s .. '"' end


-- One item as nft prints it. counter prints "counter", or with
-- with_counts "counter packets N bytes N" as `nft list ruleset` does.
local function item_text(e, with_counts)
  local kind = e[1]
  if kind == "match" then
    local value = e.value
    if e.key == "ct state" then
      local states = { table.unpack(value) }
      table.sort(states, function(a, b) return CT_ORDER[a] < CT_ORDER[b] end)
      value = table.concat(states, ",")
    elseif e.key == "iifname" or e.key == "oifname" then
      value = quoted(value)
    elseif e.key == "ip protocol" or e.key == "meta l4proto" then
      value = protocol_text(value)
    end
    return e.key .. (e.op == "!=" and " != " or " ") .. tostring(value)
  elseif kind == "counter" then
    if with_counts and e.packets then
      return string.format("counter packets %d bytes %d", e.packets, e.bytes or 0)
    end
    return "counter"
  elseif kind == "jump" or kind == "goto" then
    return kind .. " " .. e.chain
  elseif kind == "snat" or kind == "dnat" then
    -- in an inet table nft says which family the address is of
    local family = e.in_inet and (e.addr:find(":") and " ip6" or " ip") or ""
    local addr = e.addr:find(":") and e.port and ("[" .. e.addr .. "]") or e.addr
    return kind .. family .. " to " .. addr .. (e.port and (":" .. e.port) or "")
  elseif kind == "log" then
    return e.prefix and ("log prefix " .. quoted(e.prefix)) or "log"
  elseif kind == "unknown" then
    return "<" .. (e.name or "?") .. ">"
  end
  return kind
end

-- A structured rule as nft prints it (family: the table's, which changes
-- how NAT statements read in inet tables).
function M.format(exprs, with_counts, family)
  local words = {}
  for i, e in ipairs(exprs) do
    if family == "inet" and (e[1] == "snat" or e[1] == "dnat") then
      e = setmetatable({ in_inet = true }, { __index = e })
    end
    words[i] = item_text(e, with_counts)
  end
  return table.concat(words, " ")
end

-- Check a rule given in the structured form, and return it.
local function check_exprs(exprs)
  if type(exprs) ~= "table" or #exprs == 0 then fail("nft rule: a rule is a string or a non-empty array") end
  for _, e in ipairs(exprs) do
    if type(e) ~= "table" or type(e[1]) ~= "string" then fail("nft rule: each item is a table like {\"accept\"}") end
    if e[1] == "match" and not KEYS[e.key] then fail('nft rule: unknown match key "%s"', tostring(e.key)) end
  end
  -- round trip through the text: the same validation for both forms
  return M.parse(M.format(exprs))
end

local function rule_exprs(rule)
  if type(rule) == "string" then return M.parse(rule) end
  return check_exprs(rule)
end

---------------------------------------------------------------- chains and priorities

-- nft names a standard priority only where it fits the hook: dstnat in
-- prerouting, srcnat in postrouting, (bridge) out in output.
local HOOK_ONLY = { dstnat = "prerouting", srcnat = "postrouting", out = "output" }

local function names_for(family, hook)
  local names = {}
  for name, value in pairs(PRIORITIES[family == "bridge" and "bridge" or "default"]) do
    if not HOOK_ONLY[name] or HOOK_ONLY[name] == hook then names[name] = value end
  end
  return names
end

local function priority_value(family, prio, hook)
  if math.type(prio) == "integer" then return prio end
  local names = names_for(family, hook)
  local name, sign, offset = tostring(prio):match("^(%a+)%s*([+-]?)%s*(%d*)$")
  local base = name and names[name]
  if not base then
    local valid = {}
    for n in pairs(names) do valid[#valid + 1] = n end
    table.sort(valid)
    fail('nft chain: bad priority "%s" for hook %s (a number or %s)', tostring(prio),
         tostring(hook), table.concat(valid, ", "))
  end
  local n = tonumber(offset ~= "" and offset or "0")
  return sign == "-" and base - n or base + n
end

-- The priority as nft prints it: a standard name valid for the hook (with
-- an offset of at most 10), or a number.
function M.priority_text(family, value, hook)
  local best, best_name
  for name, base in pairs(names_for(family, hook)) do
    if value == base then return name end
    if math.abs(value - base) <= 10 and (not best or math.abs(value - base) < best) then
      best, best_name = math.abs(value - base), name
    end
  end
  if best_name then
    local d = value - PRIORITIES[family == "bridge" and "bridge" or "default"][best_name]
    return best_name .. (d > 0 and " + " or " - ") .. math.abs(d)
  end
  return tostring(value)
end

-- The text between braces of `nft add chain ... { ... }`.
local function chain_spec_text(c)
  if not c.hook then return nil end
  return string.format("type %s hook %s priority %s; policy %s;", c.type, c.hook,
                       M.priority_text(c.family, c.priority, c.hook), c.policy or "accept")
end

---------------------------------------------------------------- objects

local Table, Chain = {}, {}
Table.__index, Chain.__index = Table, Chain
M.Table, M.Chain = Table, Chain

-- One batch. The core names the op that failed ("nft: op 3 (add rule ip
-- nat X): ..."); the error adds that op's command, so it says which rule.
local function apply(ns, ops, commands)
  local ok, err = pcall(ns.handle.nft_apply, ns.handle, ops)
  if not ok then
    local n = tonumber(tostring(err):match("^nft: op (%d+) "))
    if n and #ops > 1 and commands[n] then err = err .. "\n  in: " .. commands[n] end
    error(err, 0)
  end
  for _, command in ipairs(commands) do trace.command(ns:inside(command)) end
end

-- nft add table FAMILY NAME (nothing happens when it exists already)
function M.table(ns, family, name)
  if not FAMILIES[family] then fail('nft table: unknown family "%s" (ip, ip6, inet, bridge)', tostring(family)) end
  if type(name) ~= "string" or name == "" then fail("nft table: a name is required") end
  apply(ns, { { op = "add", object = "table", family = family, table = name } },
        { "nft add table " .. family .. " " .. shell.quote(name) })
  return setmetatable({ ns = ns, family = family, name = name }, Table)
end

function Table:__tostring() return "table " .. self.family .. " " .. self.name end

local CHAIN_OPTIONS = { type = true, hook = true, priority = true, policy = true }

-- Where nat chains go when no priority is given (what iptables-nft uses).
local DEFAULT_PRIORITY = { ["nat prerouting"] = -100, ["nat output"] = -100,
                           ["nat postrouting"] = 100, ["nat input"] = 100 }

-- The op and the command line that add a chain.
local function chain_op(t, name, opts)
  options.check(opts, "nft chain", CHAIN_OPTIONS)
  local op = { op = "add", object = "chain", family = t.family, table = t.name, chain = name }
  local command = string.format("nft add chain %s %s %s", t.family, shell.quote(t.name), shell.quote(name))
  if opts.hook or opts.type or opts.priority or opts.policy then
    if not HOOKS[opts.hook] then fail('nft chain %s: unknown hook "%s"', name, tostring(opts.hook)) end
    if not TYPES[opts.type or "filter"] then fail('nft chain %s: unknown type "%s"', name, tostring(opts.type)) end
    if opts.policy and opts.policy ~= "accept" and opts.policy ~= "drop" then
      fail('nft chain %s: policy must be accept or drop, not "%s"', name, tostring(opts.policy))
    end
    op.type, op.hook, op.policy = opts.type or "filter", opts.hook, opts.policy or "accept"
    op.priority = priority_value(t.family, opts.priority or DEFAULT_PRIORITY[op.type .. " " .. opts.hook] or 0,
                                 opts.hook)
    command = command .. " " .. shell.quote("{ " .. chain_spec_text(op) .. " }")
  end
  return op, command
end

-- nft add chain FAMILY TABLE NAME [{ type T hook H priority P; policy X; }]
-- opts: type, hook, priority (number or name like "srcnat"), policy.
function Table:chain(name, opts)
  local op, command = chain_op(self, name, opts or {})
  apply(self.ns, { op }, { command })
  return setmetatable({ ns = self.ns, table = self, family = self.family, name = name,
                        base = op.hook ~= nil }, Chain)
end

-- nft delete table FAMILY NAME
function Table:delete()
  apply(self.ns, { { op = "delete", object = "table", family = self.family, table = self.name } },
        { string.format("nft delete table %s %s", self.family, shell.quote(self.name)) })
end

-- nft flush table FAMILY NAME
function Table:flush()
  apply(self.ns, { { op = "flush", object = "table", family = self.family, table = self.name } },
        { string.format("nft flush table %s %s", self.family, shell.quote(self.name)) })
end

function Chain:__tostring() return string.format("chain %s %s %s", self.family, self.table.name, self.name) end

local function rule_op(chain, rule, verb)
  local exprs = rule_exprs(rule)
  local text = M.format(exprs, false, chain.family)
  local op = { op = verb or "add", object = "rule", family = chain.family, table = chain.table.name,
               chain = chain.name, exprs = exprs }
  local command = string.format("nft %s rule %s %s %s %s", verb or "add", chain.family,
                                shell.quote(chain.table.name), shell.quote(chain.name), shell.quote(text))
  return op, command, text
end

-- nft add rule FAMILY TABLE CHAIN RULE: the rule's text as nft prints it.
function Chain:rule(rule)
  local op, command, text = rule_op(self, rule)
  apply(self.ns, { op }, { command })
  return text
end

-- nft insert rule ...: at the top of the chain.
function Chain:insert(rule)
  local op, command, text = rule_op(self, rule, "insert")
  apply(self.ns, { op }, { command })
  return text
end

-- Several rules in one batch: all of them or none.
function Chain:rules_add(rules)
  local ops, commands = {}, {}
  for i, rule in ipairs(rules) do ops[i], commands[i] = rule_op(self, rule) end
  apply(self.ns, ops, commands)
end

-- The chain's rules: {text=, handle=, exprs=, packets=, bytes=}; text is
-- what nft list prints (counters included), plain the rule as written.
function Chain:rules()
  local list = {}
  for _, r in ipairs(self.ns.handle:nft_list(self.family, self.table.name).rules) do
    if r.chain == self.name then
      local counter
      for _, e in ipairs(r.exprs) do if e[1] == "counter" then counter = e end end
      list[#list + 1] = { handle = r.handle, exprs = r.exprs, text = M.format(r.exprs, true, self.family),
                          plain = M.format(r.exprs, false, self.family), packets = counter and counter.packets,
                          bytes = counter and counter.bytes }
    end
  end
  return list
end

-- nft delete rule FAMILY TABLE CHAIN handle N
function Chain:delete_rule(handle)
  apply(self.ns, { { op = "delete", object = "rule", family = self.family, table = self.table.name,
                     chain = self.name, handle = handle } },
        { string.format("nft delete rule %s %s %s handle %d", self.family, shell.quote(self.table.name),
                        shell.quote(self.name), handle) })
end

-- nft flush chain FAMILY TABLE CHAIN
function Chain:flush()
  apply(self.ns, { { op = "flush", object = "chain", family = self.family, table = self.table.name, chain = self.name } },
        { string.format("nft flush chain %s %s %s", self.family, shell.quote(self.table.name), shell.quote(self.name)) })
end

-- nft delete chain FAMILY TABLE CHAIN
function Chain:delete()
  apply(self.ns, { { op = "delete", object = "chain", family = self.family, table = self.table.name, chain = self.name } },
        { string.format("nft delete chain %s %s %s", self.family, shell.quote(self.table.name), shell.quote(self.name)) })
end

---------------------------------------------------------------- batches

-- A batch collects ops from table/chain/rule calls and applies them in
-- one nf_tables transaction: ns:nft_batch(function(b) ... end).
local Batch = {}
Batch.__index = Batch

function Batch:table(family, name)
  if not FAMILIES[family] then fail('nft table: unknown family "%s" (ip, ip6, inet, bridge)', tostring(family)) end
  self.ops[#self.ops + 1] = { op = "add", object = "table", family = family, table = name }
  self.commands[#self.commands + 1] = "nft add table " .. family .. " " .. shell.quote(name)
  return setmetatable({ ns = self.ns, family = family, name = name }, Table)
end

function Batch:chain(t, name, opts)
  local op, command = chain_op(t, name, opts or {})
  self.ops[#self.ops + 1], self.commands[#self.commands + 1] = op, command
  return setmetatable({ ns = self.ns, table = t, family = t.family, name = name, base = op.hook ~= nil }, Chain)
end

function Batch:rule(chain, rule)
  local op, command = rule_op(chain, rule)
  self.ops[#self.ops + 1], self.commands[#self.commands + 1] = op, command
end

function M.batch(ns, fn)
  local b = setmetatable({ ns = ns, ops = {}, commands = {} }, Batch)
  fn(b)
  if #b.ops > 0 then apply(ns, b.ops, b.commands) end
end

-- `nft list ruleset`, as text in nft's own layout (counters included).
function M.ruleset_text(ns)
  local listing = ns.handle:nft_list()
  local lines = {}
  for _, t in ipairs(listing.tables) do
    lines[#lines + 1] = string.format("table %s %s {", t.family, t.name)
    local first = true
    for _, c in ipairs(listing.chains) do
      if c.family == t.family and c.table == t.name then
        if not first then lines[#lines + 1] = "" end
        first = false
        lines[#lines + 1] = "\tchain " .. c.name .. " {"
        local spec = chain_spec_text(c)
        if spec then lines[#lines + 1] = "\t\t" .. spec end
        for _, r in ipairs(listing.rules) do
          if r.family == t.family and r.table == t.name and r.chain == c.name then
            lines[#lines + 1] = "\t\t" .. M.format(r.exprs, true, r.family)
          end
        end
        lines[#lines + 1] = "\t}"
      end
    end
    lines[#lines + 1] = "}"
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

return M
