-- nslab.matrix: check.matrix, a whole reachability policy at once.
--
--   check.matrix{ from = { a1, a2, b1 }, to = { a1, a2, b1 }, proto = "icmp",
--                 expect = function(from, to) return from.network == to.network end }
--   check.matrix{ from = { client, host }, to = { "198.51.100.2:8080", "198.51.100.2:8081" },
--                 proto = "tcp", listen = { { web, { 80, 81 } } },
--                 expect = { default = false, { "*", "198.51.100.2:8080" } } }
--
-- Every cell is probed at once, from one poll loop of the core: ICMP
-- through core.ping_many, TCP and UDP through core.probe_ports, which makes
-- the listeners (one on the cell's port in each target's namespace, and
-- those of the listen option) for the duration of the call. A TCP cell is
-- reached when its handshake completes; an unreachable one ends with a
-- reset, an ICMP error (which one, from whom) or silence until the
-- timeout, and the failure says which. A UDP cell is reached when the
-- listener's echo of its datagram comes back.
--
-- The matrix is printed (rows from, columns to) with a legend, and each
-- cell that is not as expected is one failure, with its diagnosis under it
-- when there is one (M.diagnose: nslab.why).
local core = require("nslab.core")
local options = require("nslab.options")
local trace = require("nslab.trace")
local sock = require("nslab.sock")

local M = {}

local OP = "check.matrix"

M.OPTIONS = {
  from = { type = "table", required = true, doc = "the sources: namespaces or containers (the rows)" },
  to = { type = "table", required = true,
         doc = "the targets (the columns): containers, {ns, address [, name =]} pairs (a listener there), "
              .. "\"address[:port]\" strings or {\"address[:port]\", name =} (no listener of their own)" },
  proto = { type = "string", max = 16, required = true, doc = '"icmp", "tcp:PORT", "udp:PORT"; "tcp", "udp": '
                                                              .. "every target gives its port" },
  expect = { type = "any", doc = "true (the default) or false for every cell, a function(from, to) returning "
                                 .. "one of them, or {default = false, {from, to [, bool]}, ...}: the cells "
                                 .. "that differ from the default (a name or \"*\" for from and to)" },
  timeout = { type = "number", min = 0.001, max = 3600, doc = "seconds a cell may take (1)" },
  count = { type = "integer", min = 1, max = 100, doc = "icmp, udp: requests per cell at most, one per "
                                                         .. "interval, until one is answered (3)" },
  interval = { type = "number", min = 0, max = 60, doc = "seconds between two requests of a cell (0.2)" },
  listen = { type = "any", doc = "tcp, udp: more listeners, {{ns, port or {ports}}, ...}; false: none made "
                                 .. "(the lab's own servers answer)" },
  self = { type = "boolean", doc = "probe from a node to itself too (false: shown as -)" },
  show = { type = "boolean", doc = "print the matrix (true)" },
  description = { type = "string", min = 0, max = 65536, doc = "replaces the generated description" },
}

-- The legend under a matrix: what the cells that are as expected say,
-- then the others.
M.LEGEND = {
  icmp = "o reached, . no reply, n no route: as expected",
  tcp = "o connected, . no answer (dropped), r reset (RST), u ICMP error, n no route: as expected",
  udp = "o echoed, . no echo (dropped), u ICMP error, n no route: as expected",
  tail = "X not reached, ! reached: not as expected;  - not probed",
}

local function fail(fmt, ...) error(OP .. ": " .. string.format(fmt, ...), 0) end

local function is_plain(t) return type(t) == "table" and getmetatable(t) == nil end

-- The namespace of x: a Netns (with a core handle), or a container's.
local function ns_of(x)
  if type(x) ~= "table" then return nil end
  local ok, handle = pcall(function() return x.handle end)
  if ok and type(handle) == "userdata" then return x end
  ok, handle = pcall(function() return x.netns end)
  if ok and type(handle) == "table" and type(handle.handle) == "userdata" then return handle end
  return nil
end

local function name_of(x, ns)
  if type(x) == "table" and type(x.name) == "string" then return x.name end
  if ns and type(ns.label) == "function" then return ns:label() end
  return tostring(x)
end

-- "192.0.2.1:80", "[2001:db8::1]:80", "192.0.2.1": address, port (or nil).
local function split_endpoint(text)
  local a, p = text:match("^%[(.+)%]:(%d+)$")
  if not a then a, p = text:match("^([^:]+):(%d+)$") end
  if not a then return text, nil end
  return a, math.tointeger(tonumber(p))
end

local function parse_proto(text)
  local name, port = text:match("^(%a+):(%d+)$")
  if not name then name = text end
  if name ~= "icmp" and name ~= "tcp" and name ~= "udp" then
    fail('option \'proto\' must be "icmp", "tcp:PORT" or "udp:PORT", got %q', text)
  end
  port = port and math.tointeger(tonumber(port))
  if name == "icmp" and port then fail("option 'proto': icmp has no port, got %q", text) end
  if port and (port < 1 or port > 65535) then
    fail("option 'proto' must name a port 1..65535, got %q", text)
  end
  return name, port
end

local function check_port(port, what)
  if port and (port < 1 or port > 65535) then fail("%s: port must be 1..65535, got %d", what, port) end
end

-- The rows: {entry = x, ns = Netns, name = "a1"}.
local function sources(from)
  if not is_plain(from) or #from == 0 then
    fail("option 'from' must be a non-empty list of namespaces or containers, got %s",
         is_plain(from) and "an empty table" or type(from))
  end
  local rows = {}
  for i, x in ipairs(from) do
    local ns = ns_of(x)
    if not ns then fail("option 'from' item %d must be a namespace or a container, got %s", i, type(x)) end
    rows[i] = { entry = x, ns = ns, name = name_of(x, ns) }
  end
  return rows
end

-- The columns: {entry = x, ns = Netns or nil, address =, port =, name =}.
local function targets(to, proto, port)
  if not is_plain(to) or #to == 0 then
    fail("option 'to' must be a non-empty list of targets, got %s", is_plain(to) and "an empty table" or type(to))
  end
  local cols = {}
  for i, x in ipairs(to) do
    local what = string.format("option 'to' item %d", i)
    local ns, text, name
    if type(x) == "string" then
      text, name = x, x
    elseif is_plain(x) and type(x[1]) == "string" then -- {"address[:port]", name = "host:8080"}
      text, name = x[1], x.name or x[1]
    elseif is_plain(x) then -- {ns, "address[:port]", name = "b"}
      ns, text = ns_of(x[1]), x[2]
      if not ns then fail("%s [1] must be a namespace or a container, got %s", what, type(x[1])) end
      if type(text) ~= "string" then fail("%s [2] must be an address, got %s", what, type(text)) end
      name = x.name or text
    else
      ns = ns_of(x)
      local ok, ip = pcall(function() return x.ip end)
      if not ns or not ok or type(ip) ~= "string" then
        fail("%s must be a container with an address, a {ns, address} pair or an address, got %s", what,
             tostring(x))
      end
      text, name = ip, name_of(x, ns)
    end
    local address, p = split_endpoint(text)
    if p and proto == "icmp" then fail("%s: icmp has no port, got %q", what, text) end
    check_port(p, what)
    p = p or port
    if proto ~= "icmp" and not p then
      fail("%s: no port (%q): give proto = %q or an address:port", what, text, proto .. ":PORT")
    end
    if #address > 64 then fail("%s: not an address, got %d bytes", what, #address) end
    cols[i] = { entry = x, ns = ns, address = address, port = p, name = tostring(name) }
  end
  return cols
end

-- Two Netns objects for one namespace (netns.open twice) are one node.
local function same_ns(a, b, inodes)
  if a == nil or b == nil then return false end
  if rawequal(a, b) then return true end
  local function inode(ns)
    inodes[ns] = inodes[ns] or ns.handle:inode()
    return inodes[ns]
  end
  return inode(a) == inode(b)
end

-- Does item (an entry, its name or "*") stand for node?
local function matches(item, node)
  return item == "*" or rawequal(item, node.entry) or item == node.name
end

-- expect as a function(row, col) -> boolean.
local function expectation(expect, rows, cols)
  if expect == nil then expect = true end
  if type(expect) == "boolean" then return function() return expect end end
  if type(expect) == "function" then
    return function(r, c)
      local v = expect(r.entry, c.entry)
      if type(v) ~= "boolean" then
        fail("expect(from, to) must return true or false, got %s for %s → %s", type(v), r.name, c.name)
      end
      return v
    end
  end
  if not is_plain(expect) then
    fail("option 'expect' must be a boolean, a function or a table of exceptions, got %s", type(expect))
  end
  for k in pairs(expect) do
    if k ~= "default" and not (math.type(k) == "integer" and k >= 1 and k <= #expect) then
      fail("option 'expect': invalid key %s (default and a list of {from, to [, bool]} exceptions)", tostring(k))
    end
  end
  local default = expect.default
  if default == nil then default = false end
  if type(default) ~= "boolean" then fail("option 'expect.default' must be a boolean, got %s", type(default)) end
  for i, e in ipairs(expect) do
    if not is_plain(e) or e[1] == nil or e[2] == nil or (e[3] ~= nil and type(e[3]) ~= "boolean") then
      fail("option 'expect' item %d must be {from, to [, true | false]}, got %s", i, tostring(e))
    end
    local hit = false
    for _, r in ipairs(rows) do
      for _, c in ipairs(cols) do hit = hit or (matches(e[1], r) and matches(e[2], c)) end
    end
    if not hit then
      fail("option 'expect' item %d ({%s, %s}) matches no cell", i, tostring(e[1].name or e[1]),
           tostring(e[2].name or e[2]))
    end
  end
  return function(r, c)
    local v = default
    for _, e in ipairs(expect) do
      if matches(e[1], r) and matches(e[2], c) then
        if e[3] == nil then v = not default else v = e[3] end
      end
    end
    return v
  end
end

-- More listeners: {{ns, port}, {ns, {ports}}, ...}.
local function extra_listeners(listen)
  if listen == nil or listen == false then return {} end
  if not is_plain(listen) then fail("option 'listen' must be a list of {ns, port} or false, got %s", type(listen)) end
  local out = {}
  for i, l in ipairs(listen) do
    local ns = is_plain(l) and ns_of(l[1])
    if not ns then fail("option 'listen' item %d must be {ns, port or {ports}}", i) end
    local ports = type(l[2]) == "table" and l[2] or { l[2] }
    for _, p in ipairs(ports) do
      if math.type(p) ~= "integer" then fail("option 'listen' item %d: a port must be an integer", i) end
      check_port(p, string.format("option 'listen' item %d", i))
      out[#out + 1] = { ns = ns, port = p }
    end
  end
  return out
end

---------------------------------------------------------------- the equivalent commands

local function endpoint(address, port)
  if address:find(":", 1, true) then return "[" .. address .. "]:" .. port end
  return address .. ":" .. port
end

-- The listeners as socat would make them (and a wait until each is
-- bound: the replayed script must not probe before), then per source one
-- line for the cells it reached and one for those it did not, each
-- exiting 0 when every cell of it went as the matrix saw (what `nslab
-- explain` asserts).
local function trace_cells(proto, rows, cells, listeners, timeout)
  local w = string.format("%g", math.max(1, math.ceil(timeout)))
  for _, l in ipairs(listeners) do
    local flags = proto == "tcp" and "ltn" or "lun"
    if proto == "tcp" then
      sock.trace_listener(l.ns, "tcp", l.port, string.format("socat -u TCP-LISTEN:%d,fork,reuseaddr /dev/null", l.port))
    else
      sock.trace_listener(l.ns, "udp", l.port, string.format("socat UDP-LISTEN:%d,fork,reuseaddr PIPE", l.port))
    end
    trace.command(l.ns:inside(string.format("timeout 5 sh -c 'until ss -H%s \"sport = :%d\" | grep -q .; do "
                                            .. "sleep 0.01; done'", flags, l.port)))
  end
  for ri, r in ipairs(rows) do
    local reached, missed = {}, {}
    for _, cell in ipairs(cells) do
      if cell.row == ri then
        local word = proto == "icmp" and cell.col.address or endpoint(cell.col.address, cell.col.port)
        table.insert(cell.reached and reached or missed, word)
      end
    end
    local first = reached[1] or missed[1]
    if first then
      local one -- exits 0 when "$t" answered
      if proto == "icmp" then
        one = string.format('ping%s -c 1 -W %s "$t" >/dev/null', first:find(":") and " -6" or "", w)
      elseif proto == "tcp" then
        one = string.format('socat -u /dev/null TCP:"$t",connect-timeout=%s 2>/dev/null', w)
      else
        one = string.format('echo x | socat -T %s - UDP:"$t" 2>/dev/null | grep -q .', w)
      end
      if #reached > 0 then
        trace.command(r.ns:inside(string.format("sh -c 'for t in %s; do %s || exit 1; done'",
                                                table.concat(reached, " "), one)), true)
      end
      if #missed > 0 then
        trace.command(r.ns:inside(string.format("sh -c 'for t in %s; do %s && exit 1; done; exit 0'",
                                                table.concat(missed, " "), one)), true)
      end
    end
  end
end

---------------------------------------------------------------- probing

local function probe(proto, cells, listeners, o)
  require("nslab.settle").before_probe() -- links just brought up send nothing yet
  if proto == "icmp" then
    local probes, arp_probes = {}, {}
    for i, cell in ipairs(cells) do
      probes[i] = { cell.from.handle, cell.col.address }
      arp_probes[i] = { ns = cell.from, target = cell.col.address }
    end
    local arp = package.loaded["nslab.docker_arp"] -- static ARP for docker containers' probes
    if arp then arp.before_probe(arp_probes) end
    local results = core.ping_many(probes, { count = o.count, interval = o.interval, timeout = o.timeout,
                                             replies = 1 })
    for i, r in ipairs(results) do
      r.reached = (r.received or 0) > 0
      cells[i].result = r
    end
    return
  end
  local probes, ls = {}, {}
  for i, cell in ipairs(cells) do probes[i] = { cell.from.handle, cell.col.address, cell.col.port } end
  for i, l in ipairs(listeners) do ls[i] = { l.ns.handle, l.port } end
  local results = core.probe_ports(probes, ls, { proto = proto, timeout = o.timeout, count = o.count,
                                                 interval = o.interval })
  for i, r in ipairs(results) do cells[i].result = r end
end

---------------------------------------------------------------- the picture

local UNREACHED = { timeout = ".", reset = "r", icmp = "u", ["local"] = "n" }

local function symbol(cell)
  if not cell then return "-" end
  if cell.expected then return cell.reached and "o" or "X" end
  if cell.reached then return "!" end
  local r = cell.result
  if r.how then return UNREACHED[r.how] or "." end
  return r.errno == "ENETUNREACH" and "n" or "."
end

local function pad(text, width) return text .. string.rep(" ", width - utf8.len(text)) end
local function lpad(text, width) return string.rep(" ", width - utf8.len(text)) .. text end

local function short(text, most)
  if utf8.len(text) <= most then return text end
  return text:sub(1, most - 1) .. "…"
end

-- The matrix as lines: rows from, columns to, then the legend (and the
-- column key when columns are numbered).
function M.render(title, proto, rows, cols, grid)
  local out = { title }
  local rw = 1
  for _, r in ipairs(rows) do rw = math.max(rw, utf8.len(short(r.name, 20))) end
  local widest = 0
  for _, c in ipairs(cols) do widest = math.max(widest, utf8.len(c.name)) end
  local named = widest <= 4 and #cols <= 40
  local compact = #cols > 40 -- one character a cell
  local cw = named and widest or #tostring(#cols)
  local sep = compact and "" or " "
  if compact then
    for d = #tostring(#cols), 1, -1 do -- the column numbers written downwards
      local line = {}
      for j = 1, #cols do
        local s = tostring(j)
        line[j] = #s >= d and s:sub(#s - d + 1, #s - d + 1) or " "
      end
      out[#out + 1] = string.rep(" ", rw + 2) .. table.concat(line)
    end
  else
    local head = {}
    for j, c in ipairs(cols) do head[j] = lpad(named and c.name or tostring(j), cw) end
    out[#out + 1] = string.rep(" ", rw + 2) .. table.concat(head, sep)
  end
  for i, r in ipairs(rows) do
    local line = {}
    for j = 1, #cols do line[j] = compact and symbol(grid[i][j]) or lpad(symbol(grid[i][j]), cw) end
    out[#out + 1] = pad(short(r.name, 20), rw) .. "  " .. table.concat(line, sep)
  end
  if not named then
    local key = {}
    for j, c in ipairs(cols) do key[j] = j .. "=" .. c.name end
    local line = "to:"
    for _, k in ipairs(key) do
      if #line + #k > 100 then
        out[#out + 1] = line
        line = "   "
      end
      line = line .. " " .. k
    end
    out[#out + 1] = line
  end
  out[#out + 1] = M.LEGEND[proto] .. ";  " .. M.LEGEND.tail
  return table.concat(out, "\n")
end

---------------------------------------------------------------- failures

-- What a cell's probe saw, in words.
local function outcome(proto, r)
  if proto == "icmp" then
    local replies = string.format("%d/%d replies", r.received or 0, r.sent or 0)
    if r.error then return replies .. ", " .. r.error end
    return replies
  end
  if r.reached then
    return proto == "tcp" and string.format("connected in %.1f ms", r.rtt or 0)
      or string.format("echoed in %.1f ms", r.rtt or 0)
  end
  if r.how == "timeout" then
    return (proto == "tcp" and "no answer to the SYN" or "no echo") .. " (" .. (r.error or "timeout") .. ")"
  end
  if r.how == "reset" then return "refused: TCP reset (RST)" end
  if r.how == "icmp" then return string.format("refused: %s from %s", r.icmp, r.icmp_from or "?") end
  return r.error or r.how
end

-- The diagnosis of a cell that was not as expected (issue 10 part 1):
-- nslab.why's explain(ns, target, earlier) when nslab.why is there, which
-- sends an ICMP probe again under an nf_tables trace and returns its text
-- and report; the report (or the text) goes to the runner with the
-- failure, as check.reachable's does (record's fourth argument), to be
-- shown under the FAIL line. Only ICMP cells are diagnosed: an ICMP probe
-- says nothing of a TCP or UDP port. cell has from (a Netns), address,
-- port, proto, expected, reached, result; earlier: the cells of this
-- matrix diagnosed before it. A lab or a spec may replace M.diagnose; it
-- returns a report or a text, or nil.
function M.diagnose(cell, earlier)
  if cell.proto ~= "icmp" then return nil end
  local ok, why = pcall(require, "nslab.why")
  if not ok or type(why) ~= "table" or type(why.explain) ~= "function" then return nil end
  local done, text, report = pcall(why.explain, cell.from, cell.address, earlier)
  if not done then return nil end
  return report or text
end

---------------------------------------------------------------- check.matrix

-- check.matrix(spec): runner is the check's runner (record, and show when
-- it can print a block). Returns passed and {cells =, mismatches =, text =}.
function M.run(runner, spec, ...)
  options.nargs(OP, 1, spec, ...)
  if type(spec) ~= "table" then fail("argument 1 (spec) must be a table, got %s", type(spec)) end
  options.check(spec, OP, M.OPTIONS)
  local proto, port = parse_proto(spec.proto)
  local rows = sources(spec.from)
  local cols = targets(spec.to, proto, port)
  local expect = expectation(spec.expect, rows, cols)
  if proto == "icmp" and spec.listen ~= nil then fail("option 'listen': icmp needs no listeners") end
  local o = { timeout = spec.timeout or 1, count = spec.count or 3, interval = spec.interval or 0.2 }
  -- the cells, and the listeners they need (one per namespace and port)
  local cells, grid, inodes = {}, {}, {}
  local listeners, have = {}, {}
  local function listen_at(ns, p)
    local key = tostring(ns.handle:inode()) .. ":" .. p
    if not have[key] then
      have[key] = true
      listeners[#listeners + 1] = { ns = ns, port = p }
    end
  end
  for i, r in ipairs(rows) do
    grid[i] = {}
    for j, c in ipairs(cols) do
      if spec.self or not same_ns(r.ns, c.ns, inodes) then
        local cell = { row = i, colno = j, from = r.ns, col = c, expected = expect(r, c) }
        cells[#cells + 1] = cell
        grid[i][j] = cell
      end
    end
  end
  if #cells == 0 then fail("no cell to probe (every target is its source's own namespace; self = true probes them)") end
  if proto ~= "icmp" then
    if spec.listen ~= false then
      for _, c in ipairs(cols) do if c.ns then listen_at(c.ns, c.port) end end
    end
    for _, l in ipairs(extra_listeners(spec.listen)) do listen_at(l.ns, l.port) end
  end
  probe(proto, cells, listeners, o)
  local what = proto == "icmp" and "icmp" or proto .. (port and ":" .. port or "")
  local mismatches = {}
  for _, cell in ipairs(cells) do
    cell.reached = cell.result.reached == true
    cell.ok = cell.reached == cell.expected
    if not cell.ok then mismatches[#mismatches + 1] = cell end
  end
  trace_cells(proto, rows, cells, listeners, o.timeout)
  local title = string.format("%s from %d to %d: %d cells, %d not as expected", what, #rows, #cols, #cells,
                              #mismatches)
  local text = M.render(title, proto, rows, cols, grid)
  if spec.show ~= false and runner.show then runner.show(text) end
  local description = spec.description or string.format("%s matrix, %d × %d", what, #rows, #cols)
  local result = { cells = cells, mismatches = mismatches, text = text }
  if #mismatches == 0 then
    runner.record(true, string.format("%s: %d cells as expected", description, #cells))
    return true, result
  end
  local diagnosed = 0
  for _, cell in ipairs(mismatches) do
    local c = cell.col
    local ep = c.port and endpoint(c.address, c.port)
    local to = (c.name == c.address or c.name == ep) and c.name or string.format("%s (%s)", c.name, c.address)
    if ep and c.name ~= ep then to = to .. " port " .. c.port end
    local line = string.format("%s: %s → %s", description, rows[cell.row].name, to)
    local detail = string.format("expected %s, %s: %s", cell.expected and "reachable" or "unreachable",
                                 cell.reached and "reached" or "not reached", outcome(proto, cell.result))
    local why = M.diagnose({ from = cell.from, address = c.address, port = c.port, proto = proto,
                             expected = cell.expected, reached = cell.reached, result = cell.result }, diagnosed)
    if why then diagnosed = diagnosed + 1 end
    runner.record(false, line, detail, why)
  end
  return false, result
end

return M
