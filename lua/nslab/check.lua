-- nslab.check: assertions that record pass/fail and let the lab go on.
--
-- Checks are bound to a runner (check.bind) so that every lab run counts its
-- own results. A check returns true when it passed, so a lab may branch on it;
-- only a broken lab (a wrong argument, a primitive that raises) stops a run.
local options = require("nslab.options")
local trace = require("nslab.trace")
local sock = require("nslab.sock")

local check = {}

-- Send errors that mean "no way to that address" (errno names).
local NO_WAY_THERE = { ENETUNREACH = true, EHOSTUNREACH = true, EACCES = true, ECONNREFUSED = true, ENOPROTOOPT = true,
                       EPERM = true, EADDRNOTAVAIL = true }

local MAX_SHOWN = 200 -- characters of a value shown in a failure detail

-- Text of an error value: strings as they are, objects through __tostring.
function check.message_of(err)
  if type(err) == "string" then return err end
  if type(err) == "table" and getmetatable(err) == nil
      and type(err.message) == "string" then
    return err.message
  end
  return tostring(err)
end

-- Whether `text` contains `pattern`, as a Lua pattern or as plain text:
-- error messages are full of magic characters ("veth-test1", "(1)"), and a
-- literal occurrence is always what the author meant.
function check.contains(text, pattern)
  local ok, found = pcall(string.find, text, pattern)
  if ok and found then return true end
  return string.find(text, pattern, 1, true) ~= nil
end

local function shorten(text)
  if #text <= MAX_SHOWN then return text end
  return text:sub(1, MAX_SHOWN) .. "…"
end

-- A string literal on one line: newlines shown as \n.
local function quote(text)
  return (string.format("%q", text):gsub("\\\n", "\\n"))
end

local KEYWORDS = {}
for word in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[word] = true
end

-- Keys written as .name; others (["local"], [1]) in brackets.
local function is_identifier(key)
  return type(key) == "string" and key:match("^[%a_][%w_]*$") ~= nil
    and not KEYWORDS[key]
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, key_order)
  return keys
end

-- A compact, deterministic rendering of a value (sorted keys, cycles shown
-- as "<cycle>") for failure details.
local function render(value, seen)
  if type(value) == "string" then return quote(value) end
  if type(value) ~= "table" or getmetatable(value) and
      getmetatable(value).__tostring then
    return tostring(value)
  end
  seen = seen or {}
  if seen[value] then return "<cycle>" end
  seen[value] = true
  local parts, n = {}, #value
  for i = 1, n do parts[#parts + 1] = render(value[i], seen) end
  for _, k in ipairs(sorted_keys(value)) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      local name = is_identifier(k) and k or "[" .. render(k, seen) .. "]"
      parts[#parts + 1] = name .. " = " .. render(value[k], seen)
    end
  end
  seen[value] = nil
  return "{" .. table.concat(parts, ", ") .. "}"
end

function check.render(value) return shorten(render(value)) end

local function path_of(path, key)
  if is_identifier(key) then return path .. "." .. key end
  return path .. "[" .. render(key) .. "]"
end

-- The first place where a and b differ: path, value in a, value in b; nil
-- when they are deeply equal. Keys are visited in sorted order so the answer
-- does not depend on table iteration order.
local function difference(a, b, path, seen)
  if a == b or (a ~= a and b ~= b) then return nil end
  if type(a) ~= "table" or type(b) ~= "table" then return path, a, b end
  if seen[a] == b then return nil end -- already being compared (a cycle)
  seen[a] = b
  for _, k in ipairs(sorted_keys(a)) do
    local p, x, y = difference(a[k], b[k], path_of(path, k), seen)
    if p then return p, x, y end
  end
  for _, k in ipairs(sorted_keys(b)) do
    if a[k] == nil then return path_of(path, k), nil, b[k] end
  end
  return nil
end

-- Where two long or multi-line strings first differ: "line L, column
-- C: expected EXCERPT, got EXCERPT", the excerpts from a little before
-- the first differing byte of that line; nil for short one-line strings
-- (their whole values say it) and equal ones.
local function string_difference(actual, expected)
  if type(actual) ~= "string" or type(expected) ~= "string" or actual == expected then return nil end
  if #actual <= 60 and #expected <= 60 and not (actual .. expected):find("\n") then return nil end
  local i = 1
  while i <= #actual and actual:byte(i) == expected:byte(i) do i = i + 1 end
  local before = actual:sub(1, i - 1)
  local line_start = 1
  local line = 1
  for at in before:gmatch("()\n") do line, line_start = line + 1, at + 1 end
  local column = i - line_start + 1
  local from = math.max(line_start, i - 20)
  local function excerpt(text)
    local rest = text:sub(from):match("^[^\n]*")
    if rest == "" and i > #text then return "the end" end
    return (from > line_start and "…" or "") .. quote(rest:sub(1, 60)) .. (#rest > 60 and "…" or "")
  end
  return string.format("line %d, column %d: expected %s, got %s", line, column, excerpt(expected), excerpt(actual))
end
check.string_difference = string_difference

function check.deep_equal(a, b)
  return difference(a, b, "", {}) == nil
end

-- "labs/veth.lua:12" for the lab line that called a check, used when the
-- lab gives no description. Level counts from the caller of where().
local function where(level)
  local info = debug.getinfo(level + 1, "Sl")
  if not info or info.currentline < 0 then return "check" end
  return "check at " .. info.short_src .. ":" .. info.currentline
end

local function seconds(s) return string.format("%g s", s) end

-- RTTs are in milliseconds, as ping prints them.
local function milliseconds(ms)
  return string.format(ms < 0.01 and "%.3f ms" or "%.2f ms", ms)
end

-- A description: any text, even empty; the same spec for every check.
local DESCRIPTION = { type = "string", min = 0, max = 65536 }
local PATTERN = { type = "string", min = 0, max = 65536 }

-- A check's options are ping's, as the core declares them, and a
-- description: a misspelled "timout" is refused in the words of the core.
local PING_OPTIONS = options.from_core("ping", nil, { description = DESCRIPTION })

-- Check a check's options and split them into ping options and the
-- description.
local function ping_options(name, opts, defaults)
  options.check(opts, name, PING_OPTIONS)
  local ping = { count = defaults.count, timeout = defaults.timeout, replies = defaults.replies }
  for k, v in pairs(opts or {}) do
    if k ~= "description" then ping[k] = v end
  end
  -- (the one rule between two options the core's spec cannot say)
  if ping.replies and ping.replies > ping.count then
    error(string.format("%s: option 'replies' must be at most count (%d), got %d", name, ping.count,
                        ping.replies), 0)
  end
  return ping, opts and opts.description
end

local function target_text(target)
  if type(target) == "table" then
    return tostring(target.address or target.name or target)
  end
  return tostring(target)
end

-- Can ns ping: a Netns, a core handle, a stand-in with a ping method?
-- ({} and the like would fail later, as a call of nil.)
local function pings(ns)
  if type(ns) ~= "table" and type(ns) ~= "userdata" then return false end
  local ok, ping = pcall(function() return ns.ping end)
  return ok and type(ping) == "function"
end

-- Ping one target or an array of targets in one call (the core probes them
-- in parallel); always returns an array of results, one per target.
local function ping_all(name, ns, target, opts)
  if not pings(ns) then
    error(string.format("%s: argument 1 (ns) must be a netns, got %s", name, type(ns)), 0)
  end
  target = sock.targets(name, target, "argument 2 (target)") -- a container stands for its address
  local many = type(target) == "table" and getmetatable(target) == nil
  if many and #target == 0 then
    error(name .. ": argument 2 (targets) must hold at least one address, got an empty table", 0)
  end
  if not many then return { target }, { ns:ping(target, opts) } end
  local results = ns:ping(target, opts)
  if type(results) ~= "table" or #results ~= #target then
    error(string.format("%s: ping returned %s results for %d targets", name,
                        type(results) == "table" and #results or "no",
                        #target), 0)
  end
  return target, results
end

-- The namespace a check (op) pings from: a Netns (anything with a ping
-- method), or what has one as its netns (a container, which must be
-- running: a stopped one's namespace is gone).
local function source_of(op, ns)
  if (type(ns) == "table" or type(ns) == "userdata") and ns.ping == nil and type(ns.netns) == "table" then
    if ns.state ~= nil and ns.state ~= "running" then
      error(string.format("%s: %s is not running: there is nothing to ping from", op, tostring(ns)), 0)
    end
    return ns.netns
  end
  return ns
end

-- Is x a list of probes ({ {ns, target}, ... }) rather than a namespace?
local function is_probe_list(x)
  return type(x) == "table" and getmetatable(x) == nil and x.ping == nil and x.netns == nil
end

-- Ping many {ns, target} pairs (target: an address or an array of them);
-- returns the flat list of {ns =, target =} probes and their results, in
-- order. Real namespaces (with a core handle) are probed all at once, in
-- one poll loop of the core; anything else (a stand-in) one pair after
-- the other through its ping method.
local function ping_pairs(name, list, opts)
  if #list == 0 then
    error(name .. ": argument 1 (probes) must hold at least one {ns, target} pair, got an empty table", 0)
  end
  local probes, real = {}, true
  for i, pair in ipairs(list) do
    if type(pair) ~= "table" or getmetatable(pair) ~= nil then
      error(string.format("%s: argument 1 (probes) item %d must be a {ns, target} pair, got %s", name, i,
                          type(pair)), 0)
    end
    local ns = source_of(name, pair[1])
    local target = sock.targets(name, pair[2],
                                function() return ("argument 1 (probes) item %d [2] (target)"):format(i) end)
    if not pings(ns) then
      error(string.format("%s: argument 1 (probes) item %d [1] (ns) must be a netns, got %s", name, i,
                          type(ns)), 0)
    end
    real = real and type(ns) == "table" and type(ns.handle) == "userdata"
    local targets = (type(target) == "table" and getmetatable(target) == nil) and target or { target }
    if #targets == 0 then
      error(string.format("%s: argument 1 (probes) item %d [2] (targets) must hold at least one address, "
                          .. "got an empty table", name, i), 0)
    end
    for _, t in ipairs(targets) do probes[#probes + 1] = { ns = ns, target = t, pair = i } end
  end
  local results = {}
  if real then
    local core_probes = {}
    for i, p in ipairs(probes) do core_probes[i] = { p.ns.handle, p.target } end
    local arp = package.loaded["nslab.docker_arp"] -- static ARP for docker containers' probes
    if arp then arp.before_probe(probes) end
    require("nslab.settle").before_probe()
    results = require("nslab.core").ping_many(core_probes, opts)
    -- the shell's way: a ping per target as sock.ping traces it, with
    -- what it saw (nslab explain asserts the same); a pair's many targets
    -- that all saw the same in one loop that fails at the first other one
    local i = 1
    while i <= #probes do
      local p, j, same = probes[i], i, true
      local ok = sock.ping_ok(results[i], opts)
      while probes[j + 1] and probes[j + 1].pair == p.pair do
        j = j + 1
        same = same and sock.ping_ok(results[j], opts) == ok
      end
      if j > i and same then
        local words = {}
        for k = i, j do words[#words + 1] = tostring(probes[k].target) end
        local ping = sock.ping_command("$t", opts):gsub(" %$t$", ' "$t"')
        if tostring(p.target):find(":") then ping = ping:gsub("^ping", "ping -6") end
        trace.command(p.ns:inside(string.format("sh -c 'for t in %s; do %s%s || exit 1; done'",
                                                table.concat(words, " "), ok and "" or "! ", ping)), true)
      else
        for k = i, j do
          trace.command(probes[k].ns:inside(sock.ping_command(probes[k].target, opts)),
                        sock.ping_ok(results[k], opts))
        end
      end
      i = j + 1
    end
  else
    for i, pair in ipairs(list) do
      local _, r = ping_all(name, source_of(name, pair[1]), pair[2], opts)
      for _, result in ipairs(r) do results[#results + 1] = result end
      assert(#results <= #probes, i)
    end
  end
  return probes, results
end

local function replies(result)
  return string.format("%d/%d replies", result.received or 0, result.sent or 0)
end

-- Bind the checks to a runner: runner.record(passed, description, detail
-- [, why]) counts and prints one result (why: a failed probe's diagnosis,
-- an nslab.why report or its text, shown under the failure);
-- runner.host() returns the host namespace object (or nil), so the host
-- can be named "host".
function check.bind(runner)
  local record = runner.record
  local c = {}

  local function ns_name(ns)
    if ns.name then return tostring(ns.name) end
    local host = runner.host and runner.host()
    if host == nil or rawequal(ns, host) then return "host" end
    if type(ns.label) == "function" then return ns:label() end -- "container test1"
    return "an anonymous namespace"
  end

  local function ping_description(ns, target, result, given, many)
    if given then
      return many and given .. " (" .. target_text(target) .. ")" or given
    end
    return "ping " .. target_text(result.target or target) .. " from " ..
      ns_name(ns)
  end

  function c.ok(cond, description, detail, ...)
    options.nargs("check.ok", 3, cond, description, detail, ...)
    options.value(description, "check.ok", nil, "argument 2 (description)", DESCRIPTION)
    description = description or where(2)
    if cond then return record(true, description) end
    return record(false, description, detail and tostring(detail))
  end

  function c.equal(actual, expected, description, ...)
    options.nargs("check.equal", 3, actual, expected, description, ...)
    options.value(description, "check.equal", nil, "argument 3 (description)", DESCRIPTION)
    description = description or where(2)
    local path, a, e = difference(actual, expected, "", {})
    if path == nil then return record(true, description) end
    local detail = "expected " .. check.render(expected) .. ", got " ..
      check.render(actual)
    local text = string_difference(a, e)
    if path ~= "" then
      detail = detail .. " (at " .. path .. (text and ", " .. text or ": expected " .. check.render(e) ..
        ", got " .. check.render(a)) .. ")"
    elseif text then
      detail = detail .. " (at " .. text .. ")"
    end
    return record(false, description, detail)
  end

  function c.match(text, pattern, description, ...)
    options.nargs("check.match", 3, text, pattern, description, ...)
    options.value(pattern, "check.match", nil, "argument 2 (pattern)",
                  { type = "string", min = 0, max = 65536, required = true })
    options.value(description, "check.match", nil, "argument 3 (description)", DESCRIPTION)
    description = description or where(2)
    if type(text) ~= "string" then
      return record(false, description, "expected a string, got " ..
                    check.render(text))
    end
    if check.contains(text, pattern) then return record(true, description) end
    return record(false, description, "no match for " .. quote(pattern) ..
                  " in " .. shorten(quote(text)))
  end

  -- Passes when fn raises an error matching pattern (any error when pattern
  -- is nil). Returns passed and the error message, so a lab can show it.
  function c.raises(fn, pattern, description, ...)
    options.nargs("check.raises", 3, fn, pattern, description, ...)
    if type(fn) ~= "function" then
      error("check.raises: argument 1 (fn) must be a function, got " .. type(fn), 0)
    end
    options.value(pattern, "check.raises", nil, "argument 2 (pattern)", PATTERN)
    options.value(description, "check.raises", nil, "argument 3 (description)", DESCRIPTION)
    description = description or where(2)
    local ok, err = pcall(fn)
    if ok then return record(false, description, "no error raised") end
    local message = check.message_of(err)
    if pattern == nil or check.contains(message, pattern) then
      return record(true, description), message
    end
    return record(false, description, "error " .. shorten(quote(message)) ..
                  " does not match " .. quote(pattern)), message
  end

  -- The diagnoses a reachability check returns after its result, one per
  -- failed probe (a report, or false), print as their causes: the reports
  -- are under the FAIL lines already (a prompt printed each twice).
  local Diagnoses = {}
  function Diagnoses.__tostring(list)
    local causes = {}
    for _, r in ipairs(list) do
      if r and r.cause and #causes < 3 then causes[#causes + 1] = r.cause end
    end
    return string.format("%d failed probe%s, diagnosed above%s%s", #list, #list == 1 and "" or "s",
                         #causes > 0 and ": " or "", table.concat(causes, "; "))
  end

  -- Ping every target in one call (in parallel) and record one check per
  -- target. judge(result, ping) says whether it passed, what follows the
  -- description (when the lab gave none) and, on failure, the detail.
  -- With a list of {ns, target} pairs instead of ns (target is then the
  -- options), every pair is probed at once, one check per probe.
  local function ping_checks(op, ns, target, opts, defaults, judge)
    local sources, targets, results, ping, given
    if is_probe_list(ns) then
      if type(target) == "string" then -- (ns, target) with a table that is no netns
        error(op .. ": argument 1 (ns) must be a netns or a list of {ns, target} pairs, got a table with "
              .. "a target after it", 0)
      end
      if opts ~= nil then
        error(op .. ": too many arguments (a list of probes takes only options after it)", 0)
      end
      ping, given = ping_options(op, target, defaults)
      local probes
      probes, results = ping_pairs(op, ns, ping)
      sources, targets = {}, {}
      for i, p in ipairs(probes) do sources[i], targets[i] = p.ns, p.target end
    else
      ns = source_of(op, ns)
      ping, given = ping_options(op, opts, defaults)
      targets, results = ping_all(op, ns, target, ping)
    end
    local all, whys = true, nil
    trace.checks(#results) -- (the probes traced above replay these checks: nslab explain)
    for i, result in ipairs(results) do
      local from = sources and sources[i] or ns
      local description = ping_description(from, targets[i], result, given, #targets > 1)
      local passed, tail, detail = judge(result, ping)
      if given == nil then description = description .. tail end
      local why -- where the packet went and died, under the FAIL line (nslab.why)
      if not passed then
        whys = whys or setmetatable({}, Diagnoses)
        local text, report = require("nslab.why").explain(from, targets[i], #whys, ping)
        why, whys[#whys + 1] = report or text, report or false
      end
      record(passed, description, not passed and detail or nil, why)
      all = all and passed
    end
    if whys then return all, whys end
    return all -- (a prompt prints what it returns: true, not "true nil")
  end

  local function average(result)
    return result.rtt_avg and ", avg " .. milliseconds(result.rtt_avg) or ""
  end

  local function reached(result, ping)
    if (result.received or 0) > 0 then return true, ": " .. replies(result) .. average(result) end
    return false, ": " .. replies(result), result.error or "no reply within " .. seconds(ping.timeout)
  end

  -- check.reachable(ns, target [, opts]): ping target (an address or a
  -- container, or an array of them pinged in parallel) from ns (a Netns,
  -- or a container: its netns); one check per target, which passes at the
  -- first reply. check.reachable({ {ns1, target1}, {ns2, target2}, ... }
  -- [, opts]): every pair at once, from all those namespaces in one poll
  -- loop; one check per probe.
  -- opts: count (3: echo requests at most per target, one per interval,
  -- until one is answered), interval (0.2 s), timeout (2 s: the deadline
  -- from the first send), replies (1: the replies that end a target),
  -- description (replaces the generated one).
  -- Returns true when every check passed.
  function c.reachable(ns, target, opts, ...)
    options.nargs("check.reachable", 3, ns, target, opts, ...)
    return ping_checks("check.reachable", ns, target, opts, { count = 3, timeout = 2, replies = 1 },
      reached)
  end

  -- check.unreachable(ns, target [, opts]), or a list of {ns, target}
  -- pairs as check.reachable takes: passes when no reply came back within
  -- the timeout, which it waits in full. An error that says there is no
  -- way there ("Network is unreachable") is no reply too, and is shown;
  -- any other error (a bad socket, no buffers) fails the check.
  -- opts: count (1), interval (0.2 s), timeout (1 s), description.
  -- Returns true when every check passed.
  function c.unreachable(ns, target, opts, ...)
    options.nargs("check.unreachable", 3, ns, target, opts, ...)
    return ping_checks("check.unreachable", ns, target, opts, { count = 1, timeout = 1 },
      function(result, ping)
        local tail = ": no reply within " .. seconds(ping.timeout)
        if result.error and not NO_WAY_THERE[result.errno] then
          return false, tail, "the probe failed: " .. result.error
        end
        if (result.received or 0) == 0 then
          return true, tail .. (result.error and " (" .. result.error .. ")" or "")
        end
        return false, tail, "expected none, got " .. replies(result) .. average(result)
      end)
  end

  -- The address a mesh pings a node at: a {ns, address} pair, or an
  -- object with netns and ip (a docker container).
  local function mesh_node(node, i)
    if type(node) == "table" and getmetatable(node) == nil and node[1] ~= nil then
      return node[1], node[2]
    end
    if type(node) == "table" and node.netns ~= nil and node.ip ~= nil then return node.netns, node.ip end
    error(string.format("check.mesh: argument 1 (nodes) item %d must be a {ns, address} pair "
                        .. "or a container with an address, got %s", i, check.render(node)), 0)
  end

  -- check.mesh(nodes [, opts]): every node pings every other node, all at
  -- once in one poll loop, and the whole mesh is one check. A node is a
  -- {ns, address} pair (ns: a Netns or a container) or a container with
  -- netns and ip (docker.run's). opts: as check.reachable's (count 3,
  -- interval 0.2 s, timeout 2 s, replies 1, description).
  -- The first failed probe is diagnosed (check.why) under the FAIL line.
  -- Returns passed and the list of failed probes, each {from = ns, to =
  -- address, result = the ping result} (empty when passed); the first
  -- has why, its report.
  function c.mesh(nodes, opts, ...)
    options.nargs("check.mesh", 2, nodes, opts, ...)
    if type(nodes) ~= "table" then
      error("check.mesh: argument 1 (nodes) must be a list of nodes, got " .. type(nodes), 0)
    end
    if #nodes < 2 then
      error("check.mesh: argument 1 (nodes) must hold at least 2 nodes, got " .. #nodes, 0)
    end
    local ping, given = ping_options("check.mesh", opts, { count = 3, timeout = 2, replies = 1 })
    local list, names = {}, {}
    local resolved = {}
    for i, node in ipairs(nodes) do
      local ns, address = mesh_node(node, i)
      ns = source_of("check.mesh", ns)
      if not pings(ns) then
        error(string.format("check.mesh: argument 1 (nodes) item %d [1] (ns) must be a netns, got %s", i,
                            type(ns)), 0)
      end
      options.value(address, "check.mesh", nil, string.format("argument 1 (nodes) item %d address", i),
                    { type = "string", max = 64, required = true })
      resolved[i] = { ns = ns, address = address }
    end
    for i, a in ipairs(resolved) do
      local others = {}
      for j, b in ipairs(resolved) do
        if i ~= j then others[#others + 1] = b.address end
      end
      list[i] = { a.ns, others }
      names[i] = ns_name(a.ns)
    end
    local probes, results = ping_pairs("check.mesh", list, ping)
    local failures, shown = {}, {}
    for i, result in ipairs(results) do
      local passed = reached(result, ping)
      if not passed then
        failures[#failures + 1] = { from = probes[i].ns, to = probes[i].target, result = result }
        if #shown < 10 then
          shown[#shown + 1] = names[probes[i].pair] .. " → " .. tostring(probes[i].target) ..
            " (" .. (result.error or "no reply") .. ")"
        end
      end
    end
    local description = given or string.format("mesh of %d: every node reaches every other one (%d probes)",
                                               #nodes, #probes)
    local detail = nil
    if #failures > 0 then
      detail = string.format("%d of %d probes failed: %s%s", #failures, #probes, table.concat(shown, ", "),
                             #failures > #shown and ", …" or "")
    end
    -- the first failed probe diagnosed (nslab.why), under the FAIL line: a
    -- mesh's failures mostly share their cause, and each diagnosis sends
    -- its probe again
    local why = nil
    if #failures > 0 then
      local text, report = require("nslab.why").explain(failures[1].from, failures[1].to, 0)
      why, failures[1].why = report or text, report
    end
    trace.checks(1)
    return record(#failures == 0, description, detail, why), failures
  end

  -- check.matrix{from =, to =, proto =, expect =, ...}: a whole policy at
  -- once, every cell probed in one poll loop (nslab.matrix says how).
  -- from: namespaces or containers (rows); to: containers, {ns, address}
  -- pairs or "address[:port]" strings (columns); proto: "icmp",
  -- "tcp:PORT", "udp:PORT" (listeners made for the call); expect: true,
  -- false, function(from, to) or {default =, {from, to}, ...}; timeout (1
  -- s), count, interval, listen, self, show, description. Prints the
  -- matrix; each cell not as expected is one failure, saying how it ended.
  -- Returns passed and {cells =, mismatches =, text = the matrix}.
  function c.matrix(spec, ...)
    return require("nslab.matrix").run(runner, spec, ...)
  end

  -- check.why(ns, target [, opts]): where a probe from ns to target goes
  -- and why it dies, from what the kernel reports (nslab.why): a report
  -- with cause, causes, path, back and trace; report:text(), report:json().
  -- The probe is sent again under an nf_tables trace. opts: count (2),
  -- timeout (1 s), trace (false: only the route lookups). A reachable
  -- check that failed (or an unreachable one that got a reply) prints it
  -- under its FAIL line and returns the reports after its result.
  function c.why(ns, target, opts, ...) return require("nslab.why").diagnose(ns, target, opts, ...) end

  -- check(cond, description) is check.ok(cond, description).
  local help = require("nslab.help")
  for name, fn in pairs(c) do help.alias(fn, "check." .. name) end -- help(check.reachable) in a lab
  return setmetatable(c, { __call = function(_, ...) return c.ok(...) end })
end

return check
