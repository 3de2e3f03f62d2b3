-- nslab.sock: sockets and probes opened inside a namespace, each traced
-- as the socat or ping command that does the same (socat and ss run
-- inside the namespace: the whole command line is the namespace's). The
-- Netns methods (ns:tcp_listen, ns:tcp_connect, ns:udp_bind,
-- ns:udp_send, ns:ping) call these; the core checks every argument.
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local settle = require("nslab.settle")

local M = {}

-- socat's words for an address and port: TCP-LISTEN:80,bind=10.0.0.1 or
-- TCP6-LISTEN:80,bind=[fd00::1]; TCP:10.0.0.1:80 or TCP6:[fd00::1]:80.
local function v6(addr) return tostring(addr):find(":") ~= nil end
local function host_word(addr) return v6(addr) and "[" .. tostring(addr) .. "]" or tostring(addr) end
local function kind(proto, addr) return proto .. (v6(addr) and "6" or "") end

-- What waits until the listener is bound (the replayed script must not
-- connect before it is): ss in the same namespace, 5 s at most.
local function wait_bound(ns, flags, port)
  return ns:inside(string.format("timeout 5 sh -c 'until ss -H%s \"sport = :%s\" | grep -q .; do sleep 0.01; done'",
                                 flags, port))
end

local function timeout_of(opts)
  local t = type(opts) == "table" and opts.timeout or 5 -- the core's default
  return type(t) == "number" and string.format("%g", t) or tostring(t)
end

-- Run fn; when it raises, tell the recorders (nslab explain) what was
-- tried (text(err): the command that fails as it did, or one that
-- succeeds and true), then raise again.
local function tried(text, fn, ...)
  local results = table.pack(pcall(fn, ...))
  if not results[1] then
    local ok, words, replaces = pcall(text, results[2]) -- (a closed namespace has no text: the error says why)
    if ok then trace.attempt(words, replaces) end
    error(results[2], 0)
  end
  return table.unpack(results, 2, results.n)
end

-- The listeners traced so far, by namespace, protocol and port: the
-- script's socat listens for ever (fork), so a later listener on the same
-- port (the lab's earlier one closed) first stops the earlier one. Each
-- is started in the background with its pid in a shell variable named
-- after it (ip netns exec and nsenter exec socat: the pid is socat's), so
-- the stop names that process alone, not every socat with the same words
-- in other namespaces. Per world (keyed by its host Netns: a spec's
-- fresh world starts with none): listening, key -> variable; keyed, the
-- reverse.
local worlds = setmetatable({}, { __mode = "k" })

local function listeners()
  local host = require("nslab.netns").host()
  worlds[host] = worlds[host] or { listening = {}, keyed = {} }
  return worlds[host]
end

local function listener_var(keyed, ns, proto, port, key)
  local base = string.format("L_%s_%s_%s", (ns:label():gsub("[^%w]+", "_")), proto, port)
  local var, n = base, 1
  while keyed[var] and keyed[var] ~= key do -- two labels the same once made a word
    n = n + 1
    var = base .. "_" .. n
  end
  keyed[var] = key
  return var
end

-- A shell line that stops the listener whose pid is in the variable var
-- and waits until it is gone (wait: the script's own background job).
local function stop_line(var)
  return string.format("kill $%s && wait $%s 2>/dev/null || true", var, var)
end

-- A container stopped: the script's listeners in its namespace stop too
-- (its processes would; theirs would hold the namespace, and its ports).
function M.stop_listeners(ns)
  local w, prefix = listeners(), ns:inside("")
  local gone = {}
  for key, var in pairs(w.listening) do
    if key:sub(1, #prefix) == prefix then gone[#gone + 1] = { key, var } end
  end
  table.sort(gone, function(a, b) return a[2] < b[2] end) -- a stable script
  for _, g in ipairs(gone) do
    trace.command(stop_line(g[2]))
    w.listening[g[1]] = nil
  end
end

-- Trace socat (its words: the listener of proto on port in ns) started
-- in the background, after what stops an earlier one on that port.
function M.trace_listener(ns, proto, port, socat)
  local key, w = ns:inside(proto .. " " .. port), listeners()
  local var = w.listening[key]
  if var then trace.command(stop_line(var)) end
  var = var or listener_var(w.keyed, ns, proto, port, key)
  w.listening[key] = var
  trace.command(ns:inside(socat) .. " & " .. var .. "=$!")
end

-- A TCP listener (nginx's bind + listen): a socket with :accept(),
-- :port(), :close(). Fails with EADDRINUSE when the port is taken there.
-- The script's socat prints what each connection sends.
function M.tcp_listen(ns, addr, port, ...)
  local sock = tried(function(err)
    if tostring(err):find("in use", 1, true) then -- what the script can check: the port is taken
      return ns:inside(string.format("ss -Hltn 'sport = :%s'", port)) .. " | grep -q . # in use", true
    end
    return "# fails: " .. ns:inside(string.format("socat TCP-LISTEN:%s,bind=%s", port, addr))
  end, ns.handle.tcp_listen, ns.handle, addr, port, ...)
  M.trace_listener(ns, "tcp", port, string.format("socat -u %s-LISTEN:%s,bind=%s,reuseaddr,fork -", kind("TCP", addr),
                                                  port, host_word(addr)))
  trace.command(wait_bound(ns, "ltn", port))
  return sock
end

-- What a probe needs before it leaves ns for a target (or a list): the
-- links just brought up through the link watch (nslab.settle), and on a
-- Docker network the pairs' static neighbour entries (nslab.docker_arp).
local function before_probe(ns, target)
  local arp = package.loaded["nslab.docker_arp"]
  if arp then arp.before_ping(ns, target) end
  settle.before_probe()
end

-- A TCP connection: :send(), :recv(), :peer(), :close(). The script's
-- socat connects (within the same timeout) and closes at once.
function M.tcp_connect(ns, addr, port, opts, ...)
  local function text()
    return ns:inside(string.format("socat -u /dev/null %s:%s:%s,connect-timeout=%s", kind("TCP", addr),
                                   host_word(addr), port, timeout_of(opts)))
  end
  before_probe(ns, addr) -- a SYN a link just brought up drops is sent again a second later
  local sock = tried(text, ns.handle.tcp_connect, ns.handle, addr, port, opts, ...)
  trace.command(text(), true)
  return sock
end

-- A bound UDP socket: :recvfrom() says who a datagram came from. The
-- script's socat prints what arrives.
function M.udp_bind(ns, addr, port, ...)
  local sock = tried(function() return "# fails: " .. ns:inside(string.format("socat UDP-RECV:%s", port)) end,
                     ns.handle.udp_bind, ns.handle, addr, port, ...)
  M.trace_listener(ns, "udp", port, string.format("socat -u %s-RECV:%s,bind=%s -", kind("UDP", addr), port,
                                                  host_word(addr)))
  trace.command(wait_bound(ns, "lun", port))
  return sock
end

-- One datagram; returns the socket, to recvfrom the answer.
function M.udp_send(ns, addr, port, data, ...)
  local function text()
    return string.format("printf '%%s' %s | %s", shell.quote(tostring(data)),
                         ns:inside(string.format("socat -u - %s-SENDTO:%s:%s", kind("UDP", addr), host_word(addr),
                                                 port)))
  end
  before_probe(ns, addr)
  local sock = tried(text, ns.handle.udp_send, ns.handle, addr, port, data, ...)
  trace.command(text(), true)
  return sock
end

-- The iputils command that does what one target's probe does: stop after
-- `replies` answers (-c with a deadline waits for that many replies), one
-- echo per interval, within the deadline (-w takes whole seconds; the
-- core's timeout is a deadline from the first send too). The core's
-- defaults are interval 0.2 s and timeout 1 s, or 1 s after the last
-- request when count requests take longer (core/lua_probe.c). It exits 0
-- when it got its replies: ok() says whether a result did.
function M.ping_command(t, opts)
  local count, interval = opts.count or 1, opts.interval or 0.2
  local last = (count - 1) * interval
  local timeout = opts.timeout or (last >= 1 and math.min(last + 1, 3600) or 1)
  local words = { tostring(t):find(":") and "ping -6" or "ping", "-c", opts.replies or count }
  if count > 1 then words[#words + 1] = string.format("-i %g", interval) end
  if opts.size then words[#words + 1] = "-s " .. opts.size end
  if opts.dont_fragment then words[#words + 1] = "-M do" end
  words[#words + 1] = string.format("-w %d", math.ceil(timeout))
  words[#words + 1] = tostring(t)
  return table.concat(words, " ")
end

function M.ping_ok(result, opts)
  return type(result) == "table" and (result.received or 0) >= (opts.replies or opts.count or 1)
end

-- One target as the core pings it: an address; a docker container (an
-- object with its address in ip) stands for its address. Any other
-- object is refused here: the core would take a table for a list and
-- send nothing (a check.unreachable that always passes).
local function address_of(op, what, t)
  if type(t) ~= "table" or getmetatable(t) == nil then return t end
  local ip = t.ip
  if type(ip) == "string" then return ip end
  if type(what) == "function" then what = what() end
  error(string.format("%s: %s must be an address, or a container that has one, got %s", op, what, tostring(t)), 0)
end

-- A target or a plain list of them, each as address_of gives it (the
-- list itself when nothing in it changes). what: the argument, in the
-- error ("argument 1 (target)"), or a function that returns it.
function M.targets(op, target, what)
  what = what or "argument 1 (target)"
  if type(target) ~= "table" or getmetatable(target) ~= nil then return address_of(op, what, target) end
  local out
  for i, t in ipairs(target) do
    local a = address_of(op, what, t)
    if a ~= t then
      out = out or table.move(target, 1, #target, 1, {})
      out[i] = a
    end
  end
  return out or target
end

-- ICMP echo: target is an address or a list of them (pinged in
-- parallel), as M.targets gives it (Netns:ping resolves containers
-- first, for the static ARP hook). opts: count, interval, timeout
-- (seconds), replies, size, dont_fragment.
function M.ping(ns, target, opts, ...)
  before_probe(ns, target)
  local result = ns.handle:ping(target, opts, ...)
  local targets = type(target) == "table" and target or { target }
  local results = type(target) == "table" and result or { result }
  local o = type(opts) == "table" and opts or {}
  for i, t in ipairs(targets) do
    trace.command(ns:inside(M.ping_command(t, o)), M.ping_ok(results[i], o))
  end
  return result
end

return M
