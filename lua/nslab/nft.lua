-- nslab.nft: nf_tables rules, written as nft writes them.
--
--   local nat = host:nft_table("ip", "nat")                   -- nft add table ip nat
--   local post = nat:chain("POSTROUTING", { type = "nat", hook = "postrouting",
--                                           priority = "srcnat", policy = "accept" })
--   post:rule 'ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade'
--   post:rules()      -- each rule as nft prints it, with its handle and counters
--
-- Rules are nft syntax strings (the subset core.nft_vocabulary() has:
-- its keys, statements, states and priority names are the C core's, the
-- only copy) or the structured form the C core takes (an array of
-- {"match", key=, op=, value=} and statements such as {"counter"},
-- {"dnat", addr=, port=}). This file reads only the grammar; the core
-- checks the values, and computes the text nslab explains by encoding
-- the rule and decoding it back in memory: it is the kernel's rule as
-- `nft list ruleset` prints it. Anything outside the subset is an error
-- that names the token, never a different rule. Every call that changes
-- the ruleset is one nf_tables batch: all of it happens or none.
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local core = require("nslab.core")

local M = {}

---------------------------------------------------------------- vocabulary

-- The words come from the core's table (core.nft_vocabulary()), the one
-- the encoder, the decoder and the checker read: a key or a statement
-- added there is one the parser knows.
local VOCABULARY = core.nft_vocabulary()
M.vocabulary = VOCABULARY

local KEYS = {}       -- "ip saddr" -> its row
local KEY_WORDS = {}  -- first word -> the keys it starts, longest first
for _, k in ipairs(VOCABULARY.keys) do
  KEYS[k.name] = k
  local first = k.name:match("^%S+")
  KEY_WORDS[first] = KEY_WORDS[first] or {}
  table.insert(KEY_WORDS[first], k.name)
end
for _, list in pairs(KEY_WORDS) do table.sort(list, function(a, b) return #a > #b end) end

local STATEMENTS = {}
for _, st in ipairs(VOCABULARY.statements) do STATEMENTS[st.name] = st end

-- Chain priorities by name, as nft 1.0 names them (ip, ip6, inet;
-- bridge), and the one hook some of them are named in.
local PRIORITIES, HOOK_ONLY = { default = {}, bridge = {} }, { default = {}, bridge = {} }
for _, p in ipairs(VOCABULARY.priorities) do
  local set = p.families == "bridge" and "bridge" or "default"
  PRIORITIES[set][p.name], HOOK_ONLY[set][p.name] = p.value, p.hook
end

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

-- A word or a rule as an error quotes it: cut short, so a message never
-- echoes a huge argument.
local function cut(text)
  text = tostring(text)
  return #text > 60 and text:sub(1, 60) .. "..." or text
end

-- The namespace a module function is given (ns:nft_table(...) passes
-- itself): open, or an error naming the operation.
local function check_ns(ns, op)
  local handle = type(ns) == "table" and ns.handle
  local ok, err = pcall(function() return handle:fd() end)
  if not ok then
    if type(handle) ~= "userdata" then fail("%s: argument 1 (ns) must be a netns, got %s", op, type(ns)) end
    fail("%s: %s", op, tostring(err):gsub("^[%w ]*: ", ""))
  end
end

-- Extra positional arguments (...) after max of them are errors, as in
-- the core.
local function at_most(max, op, ...)
  local extra = select("#", ...)
  if extra > 0 then fail("%s: too many arguments (%d given, at most %d)", op, max + extra, max) end
end

---------------------------------------------------------------- parsing

-- Words of a rule: bare words, "quoted strings" (kept with a mark), and
-- "!=" / "==" as words of their own.
local function tokenize(text)
  local tokens, i, n = {}, 1, #text
  while i <= n do
    local c = text:sub(i, i)
    if c:find("^%s") then
      i = text:find("[^%s]", i) or n + 1
    elseif c == '"' then
      local j = text:find('"', i + 1, true)
      if not j then fail('nft rule: unterminated string at "%s"', text:sub(i)) end
      tokens[#tokens + 1] = { text = text:sub(i + 1, j - 1), quoted = true }
      i = j + 1
    elseif text:find("^[!=]=", i) then
      tokens[#tokens + 1] = { text = text:sub(i, i + 1) }
      i = i + 2
    else
      -- a word ends at a space, a quote or "!="
      local j = math.min(text:find('[%s"]', i) or n + 1, text:find("!=", i, true) or n + 1)
      tokens[#tokens + 1] = { text = text:sub(i, j - 1) }
      i = j
    end
  end
  return tokens
end

-- A number written as digits, else the word itself: the core says what
-- is wrong with it, in the words of the key.
local function number_or_word(word)
  return word:match("^%d+$") and math.tointeger(tonumber(word)) or word
end

-- "established,related" or "established, related": a list of the words.
local function ct_value(words)
  local states = {}
  for state in words:gmatch("[^,%s]+") do states[#states + 1] = state end
  if #states == 0 then fail("nft rule: ct state needs a state") end
  return states
end

-- "ADDR", "ADDR:PORT", "[ADDR6]:PORT" or "[ADDR6]" after snat/dnat [ip|ip6] to.
local function nat_target(stmt, family, word)
  local addr, port = word:match("^%[([^%]]+)%]:(%d+)$")
  if not addr then addr = word:match("^%[([^%]]+)%]$") end
  if not addr then addr, port = word:match("^([^:]+):(%d+)$") end
  addr = addr or word
  local v6 = addr:find(":", 1, true) ~= nil
  if family and (family == "ip6") ~= v6 then
    fail('nft rule: %s %s to "%s": not an %s address', stmt, family, word, family == "ip6" and "IPv6" or "IPv4")
  end
  return { stmt, addr = addr, port = port and number_or_word(port) }
end

-- The syntax of a statement, by the fields its row in the vocabulary
-- has: (name, tokens, i, need) -> the item, the index after it.
local SYNTAX = {
  -- "accept", "masquerade", ...; "counter" (its numbers are the kernel's)
  [""] = function(w, _, i) return { w }, i + 1 end,
  ["packets bytes"] = function(w, _, i) return { w }, i + 1 end,
  -- "jump CHAIN"
  chain = function(w, _, i, need)
    return { w, chain = need(i + 1, "a chain name after " .. w).text }, i + 2
  end,
  -- "dnat to A", "dnat ip to A", "dnat ip6 to [A]:P"
  ["addr port"] = function(w, tokens, i, need)
    local next_word = tokens[i + 1] and tokens[i + 1].text
    local family = (next_word == "ip" or next_word == "ip6") and next_word or nil
    local at = family and i + 2 or i + 1
    if not tokens[at] or tokens[at].text ~= "to" then fail('nft rule: "%s" must be followed by "to ADDRESS"', w) end
    return nat_target(w, family, need(at + 1, "an address after " .. w .. " to").text), at + 2
  end,
  -- "reject", "reject with tcp reset", "reject with icmp host-unreachable"
  -- (and nft's older "reject with icmp type host-unreachable")
  with = function(w, tokens, i, need)
    local after = tokens[i + 1]
    if not after or after.quoted or after.text ~= "with" then return { w }, i + 1 end
    local kind = need(i + 2, "tcp reset, or icmp, icmpv6 or icmpx and a code, after reject with").text
    local at = i + 3
    if kind ~= "tcp" and tokens[at] and tokens[at].text == "type" then at = at + 1 end
    local code = need(at, "what follows reject with " .. kind).text
    return { w, with = kind .. " " .. code }, at + 1
  end,
  -- "log", "log prefix "TEXT""
  prefix = function(w, tokens, i, need)
    local item = { w }
    if tokens[i + 1] and not tokens[i + 1].quoted and tokens[i + 1].text == "prefix" then
      local prefix = need(i + 2, "a string after log prefix")
      if not prefix.quoted then fail('nft rule: log prefix needs a "quoted string"') end
      return { w, prefix = prefix.text }, i + 3
    end
    return item, i + 1
  end,
}

-- The key starting at token i (not quoted), and how many words it has.
local function key_at(tokens, i)
  local t = tokens[i]
  if not t or t.quoted then return nil end
  for _, name in ipairs(KEY_WORDS[t.text] or {}) do
    local n, ok = 0, true
    for w in name:gmatch("%S+") do
      n = n + 1
      local tok = tokens[i + n - 1]
      if not tok or tok.quoted or tok.text ~= w then ok = false break end
    end
    if ok then return name, n end
  end
end

-- nft rule syntax (the subset core.nft_vocabulary() has) in the
-- structured form, exactly as written: only the grammar is checked here,
-- the values by the core.
local function parse_words(text)
  if type(text) ~= "string" then fail("nft rule: a rule is a string or an array of expressions, got %s", type(text)) end
  local tokens = tokenize(text)
  local exprs, i = {}, 1
  local function word(k) return tokens[k] and tokens[k].text end
  local function need(k, what)
    if not tokens[k] then fail("nft rule: %s expected at the end of %q", what, cut(text)) end
    return tokens[k]
  end
  while i <= #tokens do
    local w, tok = word(i), tokens[i]
    local key, nwords = key_at(tokens, i)
    if key then
      i = i + nwords
      local op = "=="
      if word(i) == "!=" or word(i) == "==" then op, i = word(i), i + 1 end
      local value = need(i, "a value after " .. key)
      i = i + 1
      local v, vtype = value.text, KEYS[key].type
      if vtype == "ct_state" then
        while word(i) and (v:sub(-1) == "," or word(i):sub(1, 1) == ",") do
          v, i = v .. word(i), i + 1
        end
        v = ct_value(v)
      elseif vtype == "port" or vtype == "protocol" or vtype == "icmp_type" then
        v = number_or_word(v)
      end
      exprs[#exprs + 1] = { "match", key = key, op = op, value = v }
    elseif tok.quoted then
      fail('nft rule: unexpected "%s"', cut(w))
    elseif STATEMENTS[w] and w ~= "match" then
      local shape = table.concat(STATEMENTS[w].fields, " ")
      local item
      item, i = SYNTAX[shape](w, tokens, i, need)
      exprs[#exprs + 1] = item
    else
      fail('nft rule: unknown token "%s" in %q', cut(w), cut(text))
    end
  end
  if #exprs == 0 then fail("nft rule: empty rule") end
  return exprs
end

-- A rule (text or exprs) as the kernel will hold it, in a table of
-- family (default ip): its exprs and its text as nft prints it, both
-- computed by the core (encoded and decoded in memory).
local function canonical(rule, family, with_counts)
  local exprs = rule
  if type(rule) == "string" then exprs = parse_words(rule)
  elseif type(rule) ~= "table" then
    fail("nft rule: a rule is a string or an array of expressions, got %s", type(rule))
  end
  local text, held = core.nft_rule(family or "ip", exprs, with_counts or false)
  return held, text
end

-- Parse nft rule syntax into the structured form, as the kernel will
-- hold it (family: the table's, default ip).
function M.parse(text, family, ...)
  at_most(2, "nft rule", ...)
  if type(text) ~= "string" then fail("nft rule: argument 1 (text) must be a string, got %s", type(text)) end
  return (canonical(text, family))
end

-- The same, exactly as written (the values checked as in an inet table,
-- where both ip and ip6 matches go).
function M.parse_as_written(text, ...)
  at_most(1, "nft rule", ...)
  local exprs = parse_words(text)
  canonical(exprs, "inet")
  return exprs
end

-- A rule as nft prints it: with_counts gives "counter packets N bytes N";
-- family is the table's (in inet a NAT statement says ip or ip6).
function M.format(exprs, with_counts, family, ...)
  at_most(3, "nft rule", ...)
  local _, text = canonical(exprs, family, with_counts)
  return text
end

---------------------------------------------------------------- chains and priorities

-- nft names a standard priority only where it fits the hook: dstnat in
-- prerouting, srcnat in postrouting, (bridge) out in output.
local function names_for(family, hook)
  local names, set = {}, family == "bridge" and "bridge" or "default"
  for name, value in pairs(PRIORITIES[set]) do
    if not HOOK_ONLY[set][name] or HOOK_ONLY[set][name] == hook then names[name] = value end
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

-- One batch. The core checks every op and names the one that failed
-- ("nft: op 3 (add rule ip nat X): ..."); the error adds that op's
-- command, so it says which rule. Commands are made (for the trace) only
-- of ops the core took, so each is a function. Returns {[i] = handle} of
-- the rules added (the kernel's echo; see core nft_apply).
local function apply(ns, ops, commands)
  local ok, err = pcall(ns.handle.nft_apply, ns.handle, ops)
  if not ok then
    local n = tonumber(tostring(err):match("^nft: op (%d+) "))
    local known, command = false, nil
    if n and #ops > 1 and commands[n] then known, command = pcall(commands[n]) end
    if known then
      if #command > 200 then command = command:sub(1, 200) .. "..." end
      err = err .. "\n  in: " .. command
    end
    error(err, 0)
  end
  for _, command in ipairs(commands) do trace.command(ns:inside(command())) end
  return err
end

local function q(name) return shell.quote(name) end

-- nft add table FAMILY NAME (nothing happens when it exists already)
function M.table(ns, family, name, ...)
  check_ns(ns, "nft table")
  at_most(3, "nft table", ...)
  apply(ns, { { op = "add", object = "table", family = family, table = name } },
        { function() return "nft add table " .. family .. " " .. q(name) end })
  return setmetatable({ ns = ns, family = family, name = name }, Table)
end

function Table:__tostring() return "table " .. self.family .. " " .. self.name end

-- The options of a chain, in the core's words; the priority may be a
-- name ("srcnat", "filter + 5"), which is nslab's to read.
local CHAIN_OPTIONS = {
  type = { type = "choice", choices = VOCABULARY.chain_types, doc = "base chain type (default filter)" },
  hook = { type = "choice", choices = VOCABULARY.hooks, doc = "makes it a base chain" },
  priority = { type = "any", doc = "a number, or a name as nft has them (srcnat, filter + 5)" },
  policy = { type = "choice", choices = VOCABULARY.policies, doc = "default accept" },
}
M.CHAIN_OPTIONS = CHAIN_OPTIONS

-- Where nat chains go when no priority is given (what iptables-nft uses).
local DEFAULT_PRIORITY = { ["nat prerouting"] = -100, ["nat output"] = -100,
                           ["nat postrouting"] = 100, ["nat input"] = 100 }

-- The op and the command line that add a chain.
local function chain_op(t, name, opts)
  -- the name, when it is one, names the chain in messages (the core says
  -- what is wrong with it otherwise)
  local object = type(name) == "string" and #name <= 255 and not name:find("%z") and name ~= "" and name or nil
  core.check_options(opts, "nft chain", object, CHAIN_OPTIONS)
  opts = opts or {}
  local op = { op = "add", object = "chain", family = t.family, table = t.name, chain = name }
  if opts.hook or opts.type or opts.priority or opts.policy then
    -- the core says what is missing or wrong; nslab fills in its defaults
    op.type, op.hook, op.policy = opts.type or "filter", opts.hook, opts.policy or "accept"
    local prio = opts.priority or (opts.hook and DEFAULT_PRIORITY[op.type .. " " .. opts.hook]) or 0
    op.priority = opts.hook and priority_value(t.family, prio, opts.hook) or prio
  end
  local function command()
    local text = string.format("nft add chain %s %s %s", t.family, q(t.name), q(name))
    if op.hook then text = text .. " " .. q("{ " .. chain_spec_text(op) .. " }") end
    return text
  end
  return op, command
end

-- nft add chain FAMILY TABLE NAME [{ type T hook H priority P; policy X; }]
-- opts: type, hook, priority (number or name like "srcnat"), policy.
function Table:chain(name, opts, ...)
  at_most(2, "nft chain", ...)
  local op, command = chain_op(self, name, opts)
  apply(self.ns, { op }, { command })
  return setmetatable({ ns = self.ns, table = self, family = self.family, name = name,
                        base = op.hook ~= nil }, Chain)
end

-- nft delete table FAMILY NAME
function Table:delete(...)
  at_most(0, "nft delete table", ...)
  apply(self.ns, { { op = "delete", object = "table", family = self.family, table = self.name } },
        { function() return string.format("nft delete table %s %s", self.family, q(self.name)) end })
end

-- nft flush table FAMILY NAME
function Table:flush(...)
  at_most(0, "nft flush table", ...)
  apply(self.ns, { { op = "flush", object = "table", family = self.family, table = self.name } },
        { function() return string.format("nft flush table %s %s", self.family, q(self.name)) end })
end

function Chain:__tostring() return string.format("chain %s %s %s", self.family, self.table.name, self.name) end

-- The op of a rule, its command, and its text as nft will print it. The
-- rule sent is the one that text stands for (nft's canonical form, which
-- the core computed), so replaying the command makes the very same rule.
local function rule_op(chain, rule, verb)
  if type(chain) ~= "table" or type(chain.table) ~= "table" then
    fail("nft rule: a chain is required (from table:chain or batch:chain), got %s", type(chain))
  end
  local held, text = canonical(rule, chain.family)
  local op = { op = verb or "add", object = "rule", family = chain.family, table = chain.table.name,
               chain = chain.name, exprs = held }
  local function command()
    return string.format("nft %s rule %s %s %s %s", verb or "add", chain.family, q(chain.table.name),
                         q(chain.name), q(text))
  end
  return op, command, text
end

-- nft add rule FAMILY TABLE CHAIN RULE: the rule's text as nft prints it,
-- and its handle (as `nft --echo --handle add rule` prints it).
function Chain:rule(rule, ...)
  at_most(1, "nft rule", ...)
  local op, command, text = rule_op(self, rule)
  return text, apply(self.ns, { op }, { command })[1]
end

-- nft insert rule ...: at the top of the chain; its text and handle.
function Chain:insert(rule, ...)
  at_most(1, "nft rule", ...)
  local op, command, text = rule_op(self, rule, "insert")
  return text, apply(self.ns, { op }, { command })[1]
end

-- Several rules in one batch: all of them or none.
function Chain:rules_add(rules, ...)
  at_most(1, "nft rules add", ...)
  if type(rules) ~= "table" then fail("nft rules add: argument 1 (rules) must be a table, got %s", type(rules)) end
  local ops, commands = {}, {}
  for i, rule in ipairs(rules) do ops[i], commands[i] = rule_op(self, rule) end
  apply(self.ns, ops, commands)
end

-- The chain's rules: {text=, handle=, exprs=, packets=, bytes=}; text is
-- what nft list prints (counters included), plain the rule as written.
function Chain:rules(...)
  at_most(0, "nft rules", ...)
  local list, listing = {}, self.ns.handle:nft_list(self.family, self.table.name)
  local found = false
  for _, c in ipairs(listing.chains) do found = found or c.name == self.name end
  if not found then
    fail("nft list chain %s %s %s: No such file or directory", self.family, self.table.name, self.name)
  end
  for _, r in ipairs(listing.rules) do
    if r.chain == self.name then
      local counter
      for _, e in ipairs(r.exprs) do if e[1] == "counter" then counter = e end end
      list[#list + 1] = { handle = r.handle, exprs = r.exprs, text = r.text, plain = r.plain,
                          packets = counter and counter.packets, bytes = counter and counter.bytes }
    end
  end
  return list
end

-- nft delete rule FAMILY TABLE CHAIN handle N: the op and its command.
local function delete_rule_op(chain, handle)
  return { op = "delete", object = "rule", family = chain.family, table = chain.table.name, chain = chain.name,
           handle = handle },
         function()
           return string.format("nft delete rule %s %s %s handle %d", chain.family, q(chain.table.name),
                                q(chain.name), handle)
         end
end

function Chain:delete_rule(handle, ...)
  at_most(1, "nft delete rule", ...)
  local op, command = delete_rule_op(self, handle)
  apply(self.ns, { op }, { command })
end

-- nft flush chain FAMILY TABLE CHAIN, nft delete chain FAMILY TABLE CHAIN
local function whole_chain(c, verb)
  local op = { op = verb, object = "chain", family = c.family, table = c.table.name, chain = c.name }
  apply(c.ns, { op }, { function()
    return string.format("nft %s chain %s %s %s", verb, c.family, q(c.table.name), q(c.name))
  end })
end

function Chain:flush(...)
  at_most(0, "nft flush chain", ...)
  whole_chain(self, "flush")
end

function Chain:delete(...)
  at_most(0, "nft delete chain", ...)
  whole_chain(self, "delete")
end

---------------------------------------------------------------- batches

-- A batch collects ops from table/chain/rule calls and applies them in
-- one nf_tables transaction: ns:nft_batch(function(b) ... end).
local Batch = {}
Batch.__index = Batch

function Batch:table(family, name, ...)
  at_most(2, "nft table", ...)
  self.ops[#self.ops + 1] = { op = "add", object = "table", family = family, table = name }
  self.commands[#self.commands + 1] = function() return "nft add table " .. family .. " " .. q(name) end
  return setmetatable({ ns = self.ns, family = family, name = name }, Table)
end

function Batch:chain(t, name, opts, ...)
  at_most(3, "nft chain", ...)
  if type(t) ~= "table" then fail("nft chain: argument 1 (table) must be a table from batch:table, got %s", type(t)) end
  local op, command = chain_op(t, name, opts)
  self.ops[#self.ops + 1], self.commands[#self.commands + 1] = op, command
  return setmetatable({ ns = self.ns, table = t, family = t.family, name = name, base = op.hook ~= nil }, Chain)
end

-- Returns a table whose field handle is the rule's handle once the batch
-- is applied.
function Batch:rule(chain, rule, ...)
  at_most(2, "nft rule", ...)
  local op, command = rule_op(chain, rule)
  self.ops[#self.ops + 1], self.commands[#self.commands + 1] = op, command
  local ref = {}
  self.refs[#self.ops] = ref
  return ref
end

-- The rule of chain with this handle deleted, in the same transaction.
function Batch:delete_rule(chain, handle, ...)
  at_most(2, "nft delete rule", ...)
  if type(chain) ~= "table" or getmetatable(chain) ~= Chain then
    fail("nft delete rule: argument 1 (chain) must be a chain, got %s", type(chain))
  end
  local op, command = delete_rule_op(chain, handle)
  self.ops[#self.ops + 1], self.commands[#self.commands + 1] = op, command
end

function M.batch(ns, fn, ...)
  check_ns(ns, "nft batch")
  at_most(2, "nft batch", ...)
  if type(fn) ~= "function" then fail("nft batch: argument 1 (fn) must be a function, got %s", type(fn)) end
  local b = setmetatable({ ns = ns, ops = {}, commands = {}, refs = {} }, Batch)
  fn(b)
  if #b.ops == 0 then return end
  local handles = apply(ns, b.ops, b.commands)
  for i, ref in pairs(b.refs) do ref.handle = handles[i] end
end

-- `nft list ruleset`, as text in nft's own layout (counters included).
function M.ruleset_text(ns, ...)
  check_ns(ns, "nft list ruleset")
  at_most(1, "nft list ruleset", ...)
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
            lines[#lines + 1] = "\t\t" .. r.text
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
