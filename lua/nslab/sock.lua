-- nslab.sock: sockets and probes opened inside a namespace, each traced
-- as the nc or ping command that does the same. The Netns methods
-- (ns:tcp_listen, ns:tcp_connect, ns:udp_bind, ns:udp_send, ns:ping)
-- call these; the core checks every argument.
local trace = require("nslab.trace")
local shell = require("nslab.shell")

local M = {}

-- A TCP listener (nginx's bind + listen): a socket with :accept(),
-- :port(), :close(). Fails with EADDRINUSE when the port is taken there.
function M.tcp_listen(ns, addr, port, ...)
  local sock = ns.handle:tcp_listen(addr, port, ...)
  trace.command(ns:inside(string.format("nc -l %s %s &", addr, port)))
  return sock
end

-- A TCP connection: :send(), :recv(), :peer(), :close().
function M.tcp_connect(ns, addr, port, ...)
  local sock = ns.handle:tcp_connect(addr, port, ...)
  trace.command(ns:inside(string.format("nc %s %s", addr, port)))
  return sock
end

-- A bound UDP socket: :recvfrom() says who a datagram came from.
function M.udp_bind(ns, addr, port, ...)
  local sock = ns.handle:udp_bind(addr, port, ...)
  trace.command(ns:inside(string.format("nc -u -l %s %s &", addr, port)))
  return sock
end

-- One datagram; returns the socket, to recvfrom the answer.
function M.udp_send(ns, addr, port, data, ...)
  local sock = ns.handle:udp_send(addr, port, data, ...)
  trace.command(ns:inside(string.format("echo %s | nc -u %s %s", shell.quote(tostring(data)), addr, port)))
  return sock
end

-- The iputils command that does what one target's probe does: stop after
-- `replies` answers (-c with a deadline waits for that many replies), one
-- echo per interval, within the deadline (-w takes whole seconds; the
-- core's timeout is a deadline from the first send too). The core's
-- defaults are interval 0.2 s and timeout 1 s.
local function ping_command(t, opts)
  local count = opts.count or 1
  local words = { tostring(t):find(":") and "ping -6" or "ping", "-c", opts.replies or count }
  if count > 1 then words[#words + 1] = string.format("-i %g", opts.interval or 0.2) end
  words[#words + 1] = string.format("-w %d", math.ceil(opts.timeout or 1))
  words[#words + 1] = tostring(t)
  return table.concat(words, " ")
end

-- ICMP echo: target is an address or a list of them (pinged in
-- parallel). opts: count, interval, timeout (seconds), replies.
function M.ping(ns, target, opts, ...)
  local result = ns.handle:ping(target, opts, ...)
  local targets = type(target) == "table" and target or { target }
  for _, t in ipairs(targets) do
    trace.command(ns:inside(ping_command(t, type(opts) == "table" and opts or {})))
  end
  return result
end

return M
