-- nslab.container: a long-lived process in namespaces of its own, what a
-- container is to the network (seed 002): its PID, its /proc/PID/ns/*,
-- entering it by PID as setns.c does. No image, no Docker: the process
-- only waits.
--
--   local c = container.start{name = "test1"}          -- new net, uts, ipc
--   local d = container.start{name = "web", net = c}   -- --net container:test1
--   local h = container.start{name = "h", net = host}  -- --net host
--   c.pid; c.netns; c:exec "ip a"; c:ns(); c:stop()
local core = require("nslab.core")
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local options = require("nslab.options")
local netns = require("nslab.netns")

local Container = {}
Container.__index = Container

local M = { Container = Container }

function M.is(x, ...)
  options.nargs("container is", 1, x, ...)
  return getmetatable(x) == Container
end

-- The namespace argument: nil (a new one), a Netns, a namespace's name, or
-- a Container whose network namespace is joined. Errors name the start.
local function network_of(net, name)
  if net == nil then return nil end
  if M.is(net) then return net.netns end
  if netns.is(net) then return net end
  if type(net) ~= "string" then
    error(string.format("container start %s: option 'net' must be a netns, a namespace name or a container, "
                        .. "got %s", name, type(net)), 0)
  end
  local ok, ns = pcall(netns.open, net)
  if ok then return ns end
  error(string.format("container start %s: option 'net': %s", name, tostring(ns)), 0)
end

-- What container.start takes: its name is a shell word in the traced
-- commands; hostname is checked by the core (container_start).
local START = {
  name = { type = "string", max = 64, object = true,
           doc = "names the container (and its hostname unless hostname is given)" },
  hostname = { type = "any", doc = "its hostname (the core checks it)" },
  net = { type = "any", doc = "nil (a new namespace), a Netns, or a Container to share" },
}

-- Start a container process. opts: name (also its hostname unless
-- hostname says otherwise), net (see network_of).
function M.start(opts, ...)
  options.nargs("container start", 1, opts, ...)
  opts = options.check(opts, "container start", START)
  local name = opts.name or "container"
  local joined = network_of(opts.net, name)
  local proc = core.container_start{ net = joined and joined.handle, hostname = opts.hostname or name }
  local c = setmetatable({ name = name, proc = proc, pid = proc:pid() }, Container)
  -- Commands name the container by a shell variable holding its PID, so
  -- the explained script works whatever PID it gets when replayed.
  c.var = "C_" .. name:gsub("[^%w]", "_")
  c.netns = netns.open{ pid = c.pid }
  netns.internal.set_label(c.netns, "container " .. name, name)
  c.netns.pid_text = "$" .. c.var
  trace.alias(c.pid, c.netns.pid_text) -- a PID the lab got some other way (docker.pid) is $C_NAME too
  local flags = joined and "--uts --ipc" or "--net --uts --ipc"
  local hostname = opts.hostname or name
  local body = shell.quote("hostname " .. hostname .. "; exec sleep infinity")
  local command = string.format("unshare %s sh -c %s", flags, body) -- $! is the process that holds them
  if joined then command = joined:inside(command) end
  trace.command(string.format("%s & %s=$!", command, c.var))
  -- replayed, the next command must not run before unshare (and nsenter,
  -- for a joined network) has: its hostname says it has
  trace.command(string.format('until [ "$(nsenter -t $%s -u hostname 2>/dev/null)" = %s ]; do sleep 0.01; done',
                              c.var, shell.quote(hostname)))
  return c
end

-- ls -l /proc/PID/ns: {net = "net:[4026532133]", uts = ..., ...}
function Container:ns(...)
  options.nargs("container ns", 0, ...)
  if not self.proc:running() then
    error(string.format("container ns %s: the container is not running", self.name), 0)
  end
  local links = {}
  for _, kind in ipairs{ "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" } do
    links[kind] = core.readlink(string.format("/proc/%d/ns/%s", self.pid, kind))
  end
  return links
end

-- docker exec: a command in all of the container's namespaces (net, uts,
-- ipc), as `nsenter -t PID -n -u -i CMD` runs it.
local EXEC = options.from_core("netns exec", { pid = true })

-- c:exec as op (docker exec says its own name): a command line or an argv.
local function exec(self, op, cmd, opts, ...)
  options.nargs(op, 2, cmd, opts, ...)
  if type(cmd) ~= "string" and type(cmd) ~= "table" then
    error(string.format("%s %s: argument 1 (cmd) must be a string or an array of strings, got %s", op, self.name,
                        type(cmd)), 0)
  end
  options.check(opts, op, EXEC, self.name)
  local argv = cmd
  if type(cmd) == "string" then argv = { "sh", "-c", cmd } end
  shell.refuse_interactive(argv, "container exec", self.name, "c:shell()")
  local merged = { pid = self.pid }
  for k, v in pairs(opts or {}) do merged[k] = v end
  local result = self.netns.handle:exec(argv, merged)
  trace.command(string.format("nsenter -t $%s -n -u -i %s", self.var, shell.join(argv)), result.status == 0)
  return result
end

function Container:exec(cmd, opts, ...) return exec(self, "container exec", cmd, opts, ...) end

-- A shell in the container's namespaces on the terminal (nslab.shell).
function Container:shell(...)
  options.nargs("container shell", 0, ...)
  if not self.proc:running() then
    error(string.format("container shell %s: the container is not running", self.name), 0)
  end
  return shell.interactive(self.netns, "container shell", self.name, "container " .. self.name, self.pid, self.var)
end

function Container:running(...)
  options.nargs("container running", 0, ...)
  return self.proc:running()
end

-- kill [-SIGNAL] PID: the process ends (SIGTERM, or signal: a name such
-- as "KILL" or a number); a network namespace nobody else holds goes with
-- it, and with it the veth end inside (the kernel removes it afterwards,
-- asynchronously). The core checks the signal.
function Container:stop(signal, ...)
  options.nargs("container stop", 1, signal, ...)
  local ok, err = pcall(self.proc.stop, self.proc, signal)
  if not ok then -- the core names the process; the container has a name
    error((tostring(err):gsub("^container stop pid %d+:", "container stop " .. self.name .. ":")), 0)
  end
  require("nslab.sock").stop_listeners(self.netns)
  self.netns:close()
  local flag = ""
  if type(signal) == "number" then flag = "-" .. signal .. " "
  elseif signal ~= nil then flag = "-" .. signal:gsub("^SIG", "") .. " " end
  trace.command(string.format("kill %s$%s", flag, self.var))
end

function Container:__tostring()
  return string.format("container %s (pid %d)", self.name, self.pid)
end

M.internal = { exec = exec }

return M
