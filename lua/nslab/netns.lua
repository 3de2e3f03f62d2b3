-- nslab.netns: network namespaces, named the way `ip netns` names them.
--
--   local test1 = netns.add "test1"        -- ip netns add test1
--   netns.list()                           -- ip netns list
--   test1:exec "ip a"                      -- ip netns exec test1 ip a
--   test1:link "lo":up()                   -- ip -n test1 link set dev lo up
--   local a, b = host:veth("veth-test1", "veth-test2")
--   netns.delete "test1"                   -- ip netns delete test1
--
-- Every primitive takes its namespace explicitly (it is a method of one),
-- and records its equivalent command with nslab.trace.
local core = require("nslab.core")
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local options = require("nslab.options")
local route = require("nslab.route")
local neigh = require("nslab.neigh")
local sock = require("nslab.sock")
local api = require("nslab.api")
local pending = require("nslab.pending")

local Link -- nslab.link, loaded lazily (it requires this module)

local Netns = {}
Netns.__index = Netns

local M = { Netns = Netns }

---------------------------------------------------------------- the world

-- Changing a network is allowed inside a world nslab made (nslab run,
-- repl, lua, sandbox: they set NSLAB_WORLD) or after M.allow_host(), so
-- that the stock interpreter cannot change the machine's own network by
-- mistake (DESIGN.md: the real host is never touched unless asked). The
-- guard is the core's (lua_guard.c): outside a world every function and
-- method of nslab.core that is not read-only refuses, whichever way it is
-- reached.
function M.in_world() return os.getenv("NSLAB_WORLD") ~= nil end

-- Work on the machine's own network: an explicit choice, for --host use.
function M.allow_host() core.allow_host() end

local function wrap(handle)
  return setmetatable({ handle = handle, name = handle:name() }, Netns)
end

function M.is(x) return getmetatable(x) == Netns end

-- The namespace argument of an operation: a Netns or the name of one.
-- label names the argument ("option 'peer_netns'", "argument 1 (netns)"),
-- so a name that opens no namespace says which operation wanted it:
--   link add veth-a: option 'peer_netns': netns "x": no such namespace
function M.check(x, op, object, label)
  if M.is(x) then return x end
  local head = tostring(op or "netns") .. (object and " " .. object or "") .. (label and ": " .. label or "")
  if type(x) ~= "string" then
    error(string.format("%s must be a netns or a namespace name, got %s", head,
                        (type(x) == "number" or type(x) == "boolean") and tostring(x) or type(x)), 0)
  end
  local ok, ns = pcall(M.open, x)
  if ok then return ns end
  local why = tostring(ns):gsub("^netns open: argument 1 %(name%)", "a namespace name")
  error(head .. ": " .. why, 0)
end

---------------------------------------------------------------- module

local NAME = { type = "string", required = true, max = 255 }

-- ip netns add NAME
function M.add(...)
  local name = ...
  if name == nil then core.check_value(name, "netns add", nil, "argument 1 (name)", NAME) end
  local ns = wrap(core.netns_create(...))
  -- made by this process, so it may change devices there (nslab.pending
  -- need not ask the kernel)
  ns.may_change = true
  trace.command("ip netns add " .. shell.quote(name))
  return ns
end

-- An anonymous namespace, as `unshare -n` makes (ip cannot name it). It
-- lives as long as this object, or a handle on an end of a veth pair
-- into it, or a process in it: then the kernel deletes it, and the
-- devices in it.
function M.new()
  local ns = wrap(core.netns_create())
  ns.may_change = true
  trace.command("# a new anonymous network namespace (unshare --net)")
  return ns
end

local OPEN = { pid = { type = "integer", min = 1, max = 2147483647 },
               path = { type = "string", max = 4095 } }

-- netns.open "test1" | netns.open{pid = 1234} | netns.open{path = "/proc/1/ns/net"}
function M.open(spec)
  if type(spec) == "string" then return wrap(core.netns_open(spec)) end
  if type(spec) ~= "table" then
    error(string.format("netns open: argument 1 must be a name, {pid=} or {path=}, got %s", type(spec)), 0)
  end
  core.check_options(spec, "netns open", nil, OPEN)
  if spec.pid and spec.path then error("netns open: give a pid or a path, not both", 0) end
  if spec.pid then
    local ns = wrap(core.netns_open_pid(spec.pid))
    ns.pid = spec.pid -- commands can name it as iproute2 does: by PID
    return ns
  end
  if spec.path then return wrap(core.netns_open_path(spec.path)) end
  error("netns open: expected a name or {pid=} or {path=}", 0)
end

-- ip netns list
function M.list(...)
  local names = core.netns_list(...)
  trace.command("ip netns list")
  return names
end

-- ip netns delete NAME. Every handle to the namespace, this one and any
-- other (Netns objects and core handles alike), is closed: using one
-- later says 'OP: netns "NAME": deleted'.
function M.delete(x, ...)
  local name = M.is(x) and x.name or x
  if M.is(x) and not name then error("netns delete: a named namespace is required", 0) end
  core.netns_delete(name, ...)
  trace.command("ip netns delete " .. shell.quote(name))
end

local host
-- The world's host namespace: where nslab started.
function M.host()
  host = host or setmetatable({ handle = core.netns_current(), is_host = true }, Netns)
  return host
end

-- Forget the host handle: after the process moved to a fresh world (specs),
-- the host is wherever the thread is now.
function M.reset()
  pending.discard() -- what was pending belongs to the world being left
  if host then host.handle:close() end
  host = nil
end

-- ip netns identify PID: the name of the named namespace PID is in, or nil.
function M.identify(pid)
  local target = core.netns_open_pid(pid)
  local inode = target:inode()
  target:close()
  for _, name in ipairs(core.netns_list()) do
    local ok, ns = pcall(core.netns_open, name)
    local same = ok and ns:inode() == inode
    if ok then ns:close() end
    if same then return name end
  end
  return nil
end

---------------------------------------------------------------- methods

-- The command that runs `text` inside this namespace, as a shell line.
function Netns:inside(text)
  if type(text) ~= "string" then error("netns inside: argument 1 (text) must be a string, got " .. type(text), 0) end
  if self.is_host then return text end
  if self.name then return "ip netns exec " .. shell.quote(self.name) .. " " .. text end
  if self.pid then return string.format("nsenter -t %s -n %s", self.pid_text or self.pid, text) end
  return string.format("nsenter --net=/proc/%d/fd/%d %s", M.pid(), self.handle:fd(), text)
end

-- An ip command here: "ip -n NAME ..." is the short form of the above.
function Netns:ip(words)
  if type(words) ~= "string" then error("netns ip: argument 1 (words) must be a string, got " .. type(words), 0) end
  if self.name and not self.is_host then return "ip -n " .. shell.quote(self.name) .. " " .. words end
  return self:inside("ip " .. words)
end

-- How a command names this namespace as an argument ("netns test1").
function Netns:ref()
  if self.is_host then return "1" end -- PID 1 of the world is in the host namespace
  if self.name then return shell.quote(self.name) end
  if self.pid then return self.pid_text or tostring(self.pid) end
  return string.format("/proc/%d/fd/%d", M.pid(), self.handle:fd())
end

-- A namespace's own word for file names (--pcap): a container's name,
-- by its core handle (weakly: a handle gone takes it along).
local file_words = setmetatable({}, { __mode = "k" })

-- Name a namespace that has no name of its own: label for messages
-- ("container web"), word for files ("web"). (internal: container.lua)
local function set_label(ns, label, word)
  ns.label_text = label
  file_words[ns.handle] = word
end

function Netns:label()
  if self.is_host then return "host" end
  if self.label_text then return self.label_text end
  return self.name or tostring(self.handle)
end

function Netns:__tostring()
  if self.is_host then return "netns host" end
  return tostring(self.handle)
end

function Netns:inode() return self.handle:inode() end
function Netns:close() self.handle:close() end
Netns.__close = Netns.close

-- Call fn(...) with the calling thread inside this namespace.
function Netns:run(fn, ...) return self.handle:run(fn, ...) end

-- ip netns exec NAME CMD. A table is argv; a string of plain words is split
-- into argv too, and anything else runs through /bin/sh -c, so the traced
-- command is exactly what ran. Returns {status, signal, stdout, stderr}.
function Netns:exec(cmd, opts)
  if type(cmd) == "string" and not cmd:find("[^%w%s%-%._/:=@,+%%]") then
    local argv = {}
    for word in cmd:gmatch("%S+") do argv[#argv + 1] = word end
    cmd = argv
  elseif type(cmd) == "string" then
    cmd = { "sh", "-c", cmd }
  end
  shell.refuse_interactive(cmd, "netns exec", self:label(), self:label() .. ":shell()")
  local result = self.handle:exec(cmd, opts)
  trace.command(self:inside(shell.join(cmd)), result.status == 0) -- explain replays the same exit
  return result
end

-- ip netns exec NAME $SHELL on the terminal, back here when it exits (nslab.shell).
function Netns:shell() return shell.interactive(self, "netns shell", self:label(), self:label()) end

local function has_flag(link, flag)
  for _, f in ipairs(link.flags) do if f == flag then return true end end
  return false
end

-- Devices as `ip -j link` shows them: master and the veth peer by name when
-- they are in this namespace.
function Netns:links()
  local links = self.handle:link_list()
  local by_index = {}
  for _, l in ipairs(links) do by_index[l.ifindex] = l end
  for _, l in ipairs(links) do
    if l.master_index then l.master = by_index[l.master_index].ifname end
    if l.link_index and not l.link_netnsid and by_index[l.link_index] then
      l.link = by_index[l.link_index].ifname
    end
    -- ip's M-DOWN: the device with the link's index *in this namespace* is
    -- not up (so a peer elsewhere usually shows M-DOWN, as in seed 001).
    local other = l.link_index and by_index[l.link_index]
    if l.link_index and l.link_index ~= l.ifindex and not (other and has_flag(other, "UP")) then
      l.flags[#l.flags + 1] = "M-DOWN"
    end
  end
  return links
end

-- The names of the devices here, in ifindex order (`ip -br link`'s first column).
function Netns:link_names()
  local names = {}
  for i, l in ipairs(self.handle:link_list()) do names[i] = l.ifname end
  return names
end

-- A device of this namespace by name (or ifindex); raises when missing.
-- A pending end of a veth pair is found without making it.
function Netns:link(name)
  Link = Link or require("nslab.link")
  local e = pending.lookup(self, name)
  if e then return Link.pending(e) end
  local info, why = self.handle:link_get(name)
  if not info then error(string.format('%s in netns %s', why, self:label()), 0) end
  return Link.new(self, info.ifname, info.ifindex)
end

-- Make the pair name/peer from this namespace: name in ns (nil: here),
-- peer in peer_ns (nil: here), both in one message, each born in its
-- namespace with its final name, so it is made whole or not at all.
-- Returns the ifindexes of the two ends when the kernel told them (the
-- end made here: its echo), else nil: the handles then look them up.
local function make_veth(self, name, peer, opts, ns, peer_ns, addrgenmode)
  local _, index, peer_index = self.handle:link_add{
    name = name, kind = "veth", peer = peer, mtu = opts.mtu,
    netns = ns and ns.handle, peer_netns = peer_ns and peer_ns.handle, addrgenmode = addrgenmode }
  return index, peer_index
end

-- nslab.pending's maker: the pair with each end where the lab's moves put
-- it by now (netns and peer_netns say where, relative to the creator).
local function make_pending(pair)
  local a, b = pair.ends[1], pair.ends[2]
  local home = pair.creator:inode()
  return make_veth(pair.creator, a.name, b.name, pair.opts, a.inode ~= home and a.ns or nil,
                   b.inode ~= home and b.ns or nil, pair.quiet)
end

-- The pair for Netns:veth below; at_once: made now, without the address
-- generation mode (see M.internal).
local VETH = { netns = true, peer_netns = true, mtu = true } -- one table: options.check caches its spec by it

-- Each end of a pair holds the other end's namespace: an anonymous one
-- (netns.new) lives while a handle on either end does, where the kernel
-- would delete the pair with it as soon as its object was collected.
local holds = setmetatable({}, { __mode = "k" })

local function hold_each_other(a, b)
  if a.ns ~= b.ns then holds[a], holds[b] = b.ns, a.ns end
  return a, b
end

local function veth(self, name, peer, opts, at_once)
  Link = Link or require("nslab.link")
  opts = opts or {}
  options.check(opts, "link add", VETH)
  local object = api.object_name(name)
  local ns = opts.netns and M.check(opts.netns, "link add", object, "option 'netns'")
  local peer_ns = opts.peer_netns and M.check(opts.peer_netns, "link add", object, "option 'peer_netns'")
  local function text()
    local words = "link add " .. shell.quote(name)
    if ns then words = words .. " netns " .. ns:ref() end
    if opts.mtu then words = words .. " mtu " .. opts.mtu end
    words = words .. " type veth peer name " .. shell.quote(peer)
    if peer_ns then words = words .. " netns " .. peer_ns:ref() end
    if opts.mtu then words = words .. " mtu " .. opts.mtu end -- nslab sets both ends
    return self:ip(words)
  end
  local policy = require("nslab.ipv6")
  -- IPv6 address generation off (nslab.ipv6)
  local quiet = not at_once and policy.create_mode(opts.mtu) or nil
  local ends = { { ns = ns or self, name = name }, { ns = peer_ns or self, name = peer } }
  local pair = not at_once and pending.defer{ creator = self, opts = opts, mtu = opts.mtu, make = make_pending,
                                              quiet = quiet, ends = ends }
  if not pair then
    local index, peer_index = make_veth(self, name, peer, opts, ns, peer_ns, quiet)
    trace.command(text())
    if quiet then policy.trace_created(ns or self, name, peer_ns or self, peer) end
    return hold_each_other(Link.new(ns or self, name, index), Link.new(peer_ns or self, peer, peer_index))
  end
  pair.trace = text()
  trace.command(pair.trace)
  if quiet then policy.trace_created(ns or self, name, peer_ns or self, peer) end
  local links = {}
  for i, e in ipairs(pair.ends) do links[i] = Link.pending(e) end
  return hold_each_other(links[1], links[2])
end

-- ip link add NAME [netns NS1] type veth peer name PEER [netns NS2]: both
-- ends in one message, each born in its namespace with its final name, so
-- the pair is made whole or not at all. It is checked and traced now, and
-- made when something first looks (nslab.pending), each end already where
-- set_netns has moved it by then: no move is left for the kernel to do.
function Netns:veth(name, peer, opts) return veth(self, name, peer, opts) end

-- M.internal.veth_at_once(ns, name, peer, opts) is the same made at once, without
-- the address generation mode: for a maker (docker run) whose next steps
-- set each end anyway, so the mode goes in those messages (one setlink
-- fewer per end) and nothing can look at the pair in between.
-- (for other nslab modules, not part of the API: no checks of its own)
M.internal = { veth_at_once = function(ns, name, peer, opts) return veth(ns, name, peer, opts, true) end,
               set_label = set_label,
               -- the word set_label gave the namespace of core handle h, or nil (capture.lua)
               file_word = function(h) return file_words[h] end }

-- Addresses as flat entries of `ip -j addr`'s addr_info, with ifname:
-- of one device when dev (a name or ifindex) is given, fetched alone.
function Netns:addrs(family, dev)
  local list = self.handle:addr_list{ family = family, dev = dev }
  local names = type(dev) == "string" and setmetatable({}, { __index = function() return dev end })
                or route.names_by_index(self)
  for _, a in ipairs(list) do a.ifname = names[a.ifindex] end
  return list
end

-- Routes (nslab.route): ip -j route [show table T], ip route add|del|get.
function Netns:routes(opts, ...) return route.list(self, opts, ...) end
function Netns:route_add(r, ...) return route.add(self, r, ...) end
function Netns:route_del(r, ...) return route.del(self, r, ...) end
function Netns:route_get(dst, opts, ...) return route.get(self, dst, opts, ...) end

-- ICMP echo from here (nslab.sock): to an address or a container, or a
-- list of them.
function Netns:ping(target, opts, ...)
  return sock.ping(self, sock.targets("ping", target), opts, ...)
end

---------------------------------------------------------------- bridges, taps, tables

-- ip link add NAME type bridge ...: a Bridge (see nslab.bridge). opts:
-- stp, ageing_time, forward_delay (seconds), mcast_snooping, ...
function Netns:bridge(name, opts)
  return require("nslab.bridge").add(self, name, opts)
end

-- `brctl show`: one row per bridge here.
function Netns:brctl_show()
  local bridge = require("nslab.bridge")
  local rows = {}
  for _, l in ipairs(self:links()) do
    if l.kind == "bridge" then rows[#rows + 1] = bridge.new(self, l.ifname):show() end
  end
  return rows
end

-- ip tuntap add dev NAME mode tap|tun
function Netns:tuntap(name, mode)
  Link = Link or require("nslab.link")
  mode = mode or "tap"
  local ipv6 = require("nslab.ipv6")
  local got = self.handle:tuntap_add(name, mode)
  -- made with ioctls, not RTM_NEWLINK: quieted by a setlink here, and
  -- deleted again if that fails (nothing half-made)
  local quiet = ipv6.create_mode()
  local ok, why = true, nil
  if quiet then ok, why = pcall(self.handle.link_set, self.handle, got, { addrgenmode = quiet }) end
  if not ok then
    pcall(self.handle.link_del, self.handle, got)
    error("tuntap add " .. got .. ": " .. tostring(why):gsub("^link set [^:]*: ", ""), 0)
  end
  trace.command(self:ip("tuntap add dev " .. shell.quote(name) .. " mode " .. mode))
  if quiet then ipv6.trace_created(self, got) end
  return Link.new(self, got)
end

-- Neighbours and FDB entries (nslab.neigh): ip -j neigh, ip neigh
-- replace|del, bridge fdb replace|del.
function Netns:neigh(family, ...) return neigh.list(self, family, ...) end
function Netns:neigh_add(dev, entry, ...) return neigh.add(self, dev, entry, ...) end
function Netns:neigh_del(dev, entry, ...) return neigh.del(self, dev, entry, ...) end
function Netns:fdb_add(dev, entry, ...) return neigh.fdb_add(self, dev, entry, ...) end
function Netns:fdb_del(dev, entry, ...) return neigh.fdb_del(self, dev, entry, ...) end

-- sysctl KEY (read) or sysctl -w KEY=VALUE (write), in this namespace.
function Netns:sysctl(key, value)
  if value == nil then return self.handle:sysctl_get(key) end
  value = tostring(value == true and 1 or value == false and 0 or value)
  self.handle:sysctl_set(key, value)
  trace.command(self:inside("sysctl -w " .. shell.quote(key .. "=" .. value)))
  return value
end

-- /etc/netns/NAME/FILE: what commands run in this namespace see as
-- /etc/FILE (ip netns exec bind-mounts it). The world's /etc/netns is
-- private, so this never writes to the host's /etc.
-- Is /etc/netns private? Inside a world it is (nslab mounts a tmpfs of
-- its own there); outside one, writing there would change the machine's.
function M.etc_is_private() return M.in_world() end

local ETC_FILE = { type = "string", max = 255 }
local ETC_TEXT = { type = "string", min = 0, max = 1 << 20 }

-- "netns etc NAME" with the namespace checked: named, open, not deleted.
local function etc_op(self)
  local ok, why = pcall(self.handle.fd, self.handle)
  local op = "netns etc" .. (self.name and " " .. self.name or "")
  if not ok then error(op .. ": " .. tostring(why):gsub("^netns fd: ", ""), 0) end
  if not self.name then error("netns etc: only a named namespace has /etc/netns files", 0) end
  return op
end

function Netns:etc_file(file, text)
  local op = etc_op(self)
  core.check_value(file, op, nil, "argument 1 (file)", ETC_FILE)
  if file == "." or file == ".." or file:find("/") then
    error(string.format("%s: %q is not a file name", op, file), 0)
  end
  core.check_value(text, op, nil, "argument 2 (text)", ETC_TEXT)
  if not M.etc_is_private() then
    error(op .. ": /etc/netns is not private here (run inside nslab's world)", 0)
  end
  local dir = "/etc/netns/" .. self.name
  core.mkdir(dir)
  local f, why = io.open(dir .. "/" .. file, "w")
  if not f then error(op .. ": " .. why, 0) end
  f:write(text)
  f:close()
  trace.command(string.format("mkdir -p %s && printf '%%s' %s > %s", shell.quote(dir),
                              shell.quote(text), shell.quote(dir .. "/" .. file)))
end

-- Is text an IPv4 address (four decimal octets)?
local function ipv4(text)
  local parts = { text:match("^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)$") }
  if #parts ~= 4 then return false end
  for _, p in ipairs(parts) do if tonumber(p) > 255 then return false end end
  return true
end

-- Is text an IPv6 address (RFC 4291 text: groups, one "::", an IPv4 tail;
-- a link-local one may name its interface, fe80::1%eth0, as glibc reads it)?
local function ipv6(text)
  local addr, zone = text:match("^([^%%]*)%%(.*)$")
  if zone and not zone:match("^[%w%-%._]+$") then return false end
  text = addr or text
  if #text > 45 or not text:find(":") then return false end
  local head, tail = text:match("^(.-)::(.*)$")
  if head and tail:find("::", 1, true) then return false end
  local groups = 0
  local function part(p, last)
    if p == "" then return true end
    local list = {}
    for g in (p .. ":"):gmatch("([^:]*):") do list[#list + 1] = g end
    for i, g in ipairs(list) do
      if last and i == #list and g:find("%.") then
        if not ipv4(g) then return false end
        groups = groups + 2
      elseif g:match("^%x%x?%x?%x?$") then
        groups = groups + 1
      else
        return false
      end
    end
    return true
  end
  if head then
    if not (part(head, false) and part(tail, true)) then return false end
    return groups < 8
  end
  return part(text, true) and groups == 8
end

local NAMESERVERS = { type = "table", required = true }

-- The resolv.conf of this namespace (seed 002): netns:resolv_conf{"192.0.2.53"}
function Netns:resolv_conf(nameservers)
  local op = etc_op(self)
  core.check_value(nameservers, op, nil, "argument 1 (nameservers)", NAMESERVERS)
  local lines = {}
  for i, ns in ipairs(nameservers) do
    if type(ns) ~= "string" or not (ipv4(ns) or ipv6(ns)) then
      local got = type(ns) == "string" and (#ns <= 64 and string.format("%q", ns) or "a string of " .. #ns .. " bytes")
                  or type(ns) == "number" and tostring(ns) or type(ns)
      error(string.format("%s: nameserver %d must be an IPv4 or IPv6 address, got %s", op, i, got), 0)
    end
    lines[#lines + 1] = "nameserver " .. ns .. "\n"
  end
  self:etc_file("resolv.conf", table.concat(lines))
end

---------------------------------------------------------------- netfilter

-- nft add table FAMILY NAME: a table (see nslab.nft) to add chains to.
function Netns:nft_table(...)
  return require("nslab.nft").table(self, ...)
end

-- Several ruleset changes in one nf_tables batch: all or nothing.
function Netns:nft_batch(...)
  return require("nslab.nft").batch(self, ...)
end

-- `nft list ruleset`, as nft prints it.
function Netns:nft_ruleset(...)
  return require("nslab.nft").ruleset_text(self, ...)
end

---------------------------------------------------------------- sockets (nslab.sock)

function Netns:tcp_listen(addr, port, ...) return sock.tcp_listen(self, addr, port, ...) end
function Netns:tcp_connect(addr, port, ...) return sock.tcp_connect(self, addr, port, ...) end
function Netns:udp_bind(addr, port, ...) return sock.udp_bind(self, addr, port, ...) end
function Netns:udp_send(addr, port, data, ...) return sock.udp_send(self, addr, port, data, ...) end

-- The PID whose fds name anonymous namespaces in printed commands.
function M.pid()
  local f = pending.raw_open("/proc/self/stat") -- shows no device: makes nothing pending
  local pid = f and tonumber(pending.raw_read(f, "a"):match("^(%d+)")) or 0
  if f then f:close() end
  return pid
end

---------------------------------------------------------------- signatures

-- Every function and method's positional arguments, once (nslab.api):
-- more than these, or a required one left out, is an error of its op.
local ANY = { type = "any" }
local REQ = { type = "any", required = true }
local IFNAME = { type = "ifname", required = true }
local DEV = { type = "device", required = true }
local OPTS = { type = "table" }
local ENTRY = { type = "table", required = true }
local ADDR = { type = "string", required = true }
local PORT = { type = "integer", min = 0, max = 65535, required = true }

api.declare(M, "netns", {
  add = { op = "netns add", { "name", { type = "string", max = 255, required = true } } },
  new = { op = "netns add" },
  open = { op = "netns open", { "name", REQ } },
  list = { op = "netns list" },
  delete = { op = "netns delete", { "name", REQ } },
  host = { op = "netns host" }, reset = { op = "netns reset" },
  identify = { op = "netns identify", { "pid", { type = "integer", min = 1, max = 2147483647, required = true } } },
  is = { op = "netns is", { "value", ANY } },
  in_world = { op = "netns in_world" }, allow_host = { op = "netns allow_host" },
  etc_is_private = { op = "netns etc_is_private" }, pid = { op = "netns pid" },
}, { functions = true })

api.declare(Netns, "Netns", {
  inode = { op = "netns inode" }, close = { op = "netns close" },
  run = { op = "netns run", { "fn", REQ }, rest = true },
  exec = { op = "netns exec", { "cmd", REQ }, { "opts", OPTS } },
  shell = { op = "netns shell" },
  links = { op = "link show" }, link_names = { op = "link show" },
  link = { op = "link show", { "dev", DEV } },
  veth = { op = "link add", { "name", IFNAME }, { "peer", IFNAME }, { "opts", OPTS } },
  addrs = { op = "addr show", { "family", ANY }, { "dev", { type = "device" } } },
  routes = { op = "route show", { "opts", OPTS } },
  route_add = { op = "route add", { "route", ENTRY } },
  route_del = { op = "route del", { "route", ENTRY } },
  route_get = { op = "route get", { "dst", ADDR }, { "opts", OPTS } },
  ping = { op = "ping", { "target", REQ }, { "opts", OPTS } },
  bridge = { op = "link add", { "name", IFNAME }, { "opts", OPTS } },
  brctl_show = { op = "link show" },
  tuntap = { op = "tuntap add", { "name", IFNAME }, { "mode", ANY } },
  neigh = { op = "neigh show", { "family", ANY } },
  neigh_add = { op = "neigh add", { "dev", DEV }, { "entry", ENTRY } },
  neigh_del = { op = "neigh del", { "dev", DEV }, { "entry", ENTRY } },
  fdb_add = { op = "fdb add", { "dev", DEV }, { "entry", ENTRY } },
  fdb_del = { op = "fdb del", { "dev", DEV }, { "entry", ENTRY } },
  sysctl = { op = "sysctl", { "key", { type = "string", required = true } }, { "value", ANY } },
  etc_file = { op = "netns etc", { "file", { type = "string", max = 255, required = true } },
               { "text", { type = "string", min = 0, max = 1 << 20, required = true } } },
  resolv_conf = { op = "netns etc", { "nameservers", NAMESERVERS } },
  tcp_listen = { op = "tcp listen", { "addr", ADDR }, { "port", PORT }, { "opts", OPTS } },
  tcp_connect = { op = "tcp connect", { "addr", ADDR }, { "port", PORT }, { "opts", OPTS } },
  udp_bind = { op = "udp bind", { "addr", ADDR }, { "port", PORT } },
  udp_send = { op = "udp send", { "addr", ADDR }, { "port", PORT }, { "data", REQ }, { "opts", OPTS } },
}, { object = function(self, op) return op:find("^netns") and self:label() or nil end })

return M
