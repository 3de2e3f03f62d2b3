-- nslab.capture: what went over a link, as tcpdump would have seen it.
--
--   local cap = eth0:capture{ filter = "tcp port 80", count = 1, file = "eth0.pcap" }
--   ... traffic ...
--   cap:wait(2)                 -- until count packets were seen (or 2 s)
--   for _, p in ipairs(cap:packets()) do print(p) end
--   --> out IP 198.51.100.2.40000 > 203.0.113.1.80: Flags [S], seq 1, win 64240, length 0
--   cap:packets()[1].ip.src     --> "198.51.100.2"
--   cap:find{ tcp = { flags = "S" }, ip = { dst = "203.0.113.1" } }  --> the SYNs
--   cap:stop()                  -- the socket and the file closed
--
-- The capture runs in the core (an AF_PACKET socket of the link's
-- namespace, the filter compiled by libpcap): frames wait in the socket's
-- buffer while the lab sends traffic, and every call here takes what is
-- queued. A packet: dir ("in" or "out"), pkttype (to whom, as the kernel
-- says: "host", "broadcast", "multicast", "otherhost" -- a frame for
-- another MAC --, "outgoing"), time, len, data (the bytes), text
-- (one line, tcpdump -nn -t's), layers ({"eth", "ip", "tcp"}) and one table
-- per header (eth, arp, ip, ip6, icmp, icmp6, tcp, udp, vxlan; a VXLAN
-- frame's own headers under inner), with tcpdump's and iproute2's field
-- names (core.packet_headers() lists them).
--
-- A capture runs until stopped, closed or collected (keep it in a
-- variable), and while it runs its socket holds its namespace: stop it
-- before a step that expects the namespace to go away.
--
-- M.record_all(dir) (`nslab run --pcap DIR`): every link made from then on
-- is captured to DIR/NETNS-IFNAME.pcap (a name made again: -2, -3...); the
-- captures of a namespace end when it is deleted or its container stops.
local core = require("nslab.core")
local pending = require("nslab.pending")

local Capture = {}
Capture.__index = Capture

local Packet = {}
Packet.__index = Packet

local M = { Capture = Capture, Packet = Packet }

function Packet:__tostring() return self.dir .. " " .. self.text end

function M.is(x) return getmetatable(x) == Capture end

-- The Capture of link around the core's capture handle (Link:capture
-- made it: the core checks the options).
function M.start(link, handle)
  return setmetatable({ handle = handle, link = link, list = {}, linktype = handle:stats().linktype }, Capture)
end

-- Decode frames (as the core's drain gives them) onto the packet list.
local function add(self, frames)
  local list = self.list
  for _, f in ipairs(frames) do
    local p = core.packet_decode(f.data, self.linktype)
    p.dir, p.pkttype, p.time, p.len, p.data = f.dir, f.pkttype, f.time, f.len, f.data
    list[#list + 1] = setmetatable(p, Packet)
  end
  return list
end

-- Every packet seen so far (what is queued is taken now); with a timeout,
-- waits up to that many seconds until count packets were seen (without a
-- count: until one more was).
function Capture:packets(timeout)
  return add(self, self.handle:drain(timeout))
end

-- Wait until count packets were seen (or one more, without a count), at
-- most timeout seconds (default 2): true when they were.
function Capture:wait(timeout)
  local before = #self.list
  add(self, self.handle:drain(timeout or 2))
  local s = self.handle:stats()
  if s.count then return s.packets >= s.count end
  return #self.list > before
end

-- Stop capturing (the socket and the file closed): the packets seen.
function Capture:stop()
  return add(self, self.handle:stop())
end

-- {packets =, dropped = (the kernel's, its buffer full), running =,
-- linktype = "ethernet"|"raw", snaplen =, filter =, count =}
function Capture:stats() return self.handle:stats() end

-- Stop and refuse any later use (a capture also closes when collected, or
-- as a to-be-closed variable); closing twice is fine.
function Capture:close() self.handle:close() end

Capture.__close = Capture.close

-- "capture x in netns a 'icmp': 2 packets (running)", what is queued taken first.
function Capture:__tostring()
  pcall(self.packets, self)
  return tostring(self.handle)
end

-- Does the table (a packet or a header) have every field of pattern?
-- A pattern's table values match nested tables, others compare equal.
local function matches(t, pattern)
  for k, want in pairs(pattern) do
    local got = t[k]
    if type(want) == "table" then
      if type(got) ~= "table" or not matches(got, want) then return false end
    elseif got ~= want then
      return false
    end
  end
  return true
end

-- The packets seen so far that match pattern: a table of fields, e.g.
-- {dir = "out", ip = {src = "198.51.100.2"}, tcp = {flags = "S"}}; a
-- function(packet) --> true also does.
function Capture:find(pattern)
  local test = type(pattern) == "function" and pattern or function(p) return matches(p, pattern) end
  local found = {}
  for _, p in ipairs(self:packets()) do
    if test(p) then found[#found + 1] = p end
  end
  return found
end

-- The packets seen so far as text, one line each ("out IP ...").
function Capture:text()
  local lines = {}
  for i, p in ipairs(self:packets()) do lines[i] = tostring(p) end
  return table.concat(lines, "\n") .. (lines[1] and "\n" or "")
end

-- Every method's positional arguments (nslab.api).
local TIMEOUT = { type = "number", min = 0, max = 3600 }
require("nslab.api").declare(Capture, "Capture", {
  packets = { op = "capture drain", { "timeout", TIMEOUT } },
  wait = { op = "capture drain", { "timeout", TIMEOUT } },
  stop = { op = "capture stop" }, stats = { op = "capture stats" }, close = { op = "capture close" },
  find = { op = "capture find", { "pattern", { type = "any", required = true } } },
  text = { op = "capture text" },
})

---------------------------------------------------------------- every link (--pcap)

local dir -- where every link's capture goes, once record_all was called
local running = {} -- the captures of record_all: {handle =, inode = of its namespace}
local used = {} -- file names given so far (a name made again gets -2, -3...)

-- The pcap file of ifname in the namespace of handle h.
local host_inode
local function file_of(h, ifname)
  local netns = require("nslab.netns")
  host_inode = host_inode or netns.host():inode()
  local ino = h:inode()
  local ns = h:name() or (ino == host_inode and "host") or netns.internal.file_word(h) or "netns" .. tostring(ino)
  local base = (ns .. "-" .. ifname):gsub("[^%w%.%-_]", "_")
  local name, n = base, 1
  while used[name] do
    n = n + 1
    name = base .. "-" .. n
  end
  used[name] = true
  return dir .. "/" .. name .. ".pcap"
end

local warned = false

-- Capture ifname of h to its file. A device that cannot be captured, or
-- is gone already, is skipped (the lab is not the capture's to fail),
-- said once on stderr.
local function record(h, ifname)
  if type(ifname) ~= "string" then return end
  -- what is queued goes to the files now and then (each socket buffers 2 MB)
  if #running % 32 == 31 then
    for _, r in ipairs(running) do r.handle:drain() end
  end
  local ok, c = pcall(pending.raw.capture, h, ifname, { file = file_of(h, ifname), keep = false,
                                                        buffer = 1 << 21 })
  if ok then
    running[#running + 1] = { handle = c, inode = h:inode() }
  elseif not warned then
    warned = true
    io.stderr:write("nslab: --pcap: ", tostring(c), " (not captured; later ones are not said)\n")
  end
end

-- Wrap the netns method name so that after it succeeds, after(h, ...) is
-- called with its arguments. Set on the method table pending puts in front
-- of the core's (what every handle:method() finds first).
local function methods() return debug.getregistry()["nslab.netns"].__index end

local function hook(name, after)
  local raw = pending.raw[name]
  rawset(methods(), name, function(h, ...)
    pending.flush()
    local results = table.pack(raw(h, ...))
    after(h, ...)
    return table.unpack(results, 1, results.n)
  end)
end

-- A capture's socket holds its namespace: one the lab deletes, or whose
-- container stops, would live on with its devices while captured (a veth
-- peer would not go away). Its captures end first, their files complete.
local function release(ino)
  local kept = {}
  for _, r in ipairs(running) do
    if r.inode == ino then r.handle:close() else kept[#kept + 1] = r end
  end
  running = kept
end

local function release_on_end()
  local delete = core.netns_delete
  core.netns_delete = function(name, ...)
    local ok, h = pcall(core.netns_open, name)
    if ok then
      release(h:inode())
      h:close()
    end
    return delete(name, ...)
  end
  -- a container ends at stop, or at a signal (docker rm of a list signals
  -- every process before it stops any): gone already, there is nothing left
  local proc = debug.getregistry()["nslab.container"].__index
  for _, name in ipairs{ "signal", "stop" } do
    local ending = proc[name]
    proc[name] = function(p, ...)
      local ok, pid = pcall(p.pid, p)
      local read, link = false, nil
      if ok and pid > 0 then read, link = pcall(core.readlink, "/proc/" .. pid .. "/ns/net") end
      local ino = read and link and tonumber(link:match("%[(%d+)%]"))
      if ino then release(ino) end
      return ending(p, ...)
    end
  end
end

-- The name of dev (a name or an ifindex) in h, or nil.
local function name_of(h, dev)
  local ok, info = pcall(pending.raw.link_get, h, dev)
  return ok and info and info.ifname or nil
end

-- Capture every link made from now on (link add, tuntap add, a move to
-- another namespace) to path/NETNS-IFNAME.pcap. Returns true, or nil and
-- why path cannot be used.
function M.record_all(path)
  if type(path) ~= "string" or path == "" then return nil, "a directory is needed" end
  local ok, err = pcall(core.mkdir, path) -- mkdir -p
  if not ok then return nil, (tostring(err):gsub("^mkdir ", "")) end
  local f, why = io.open(path .. "/.") -- a file of that name is no directory
  if not f then return nil, (tostring(why):gsub("/%.:", ":")) end
  f:close()
  local probe = io.open(path .. "/.nslab-pcap", "w")
  if not probe then return nil, path .. ": not a writable directory" end
  probe:close()
  os.remove(path .. "/.nslab-pcap")
  if dir then dir = path return true end
  dir = path
  hook("link_add", function(h, spec)
    if type(spec) ~= "table" then return end
    record(spec.netns or h, spec.name)
    if type(spec.peer) == "string" and spec.peer ~= "" then record(spec.peer_netns or h, spec.peer) end
  end)
  hook("tuntap_add", function(h, name) record(h, name) end)
  release_on_end()
  -- a move: the device is now in another namespace (its capture here ended)
  local link_set = pending.raw.link_set
  rawset(methods(), "link_set", function(h, dev, changes, ...)
    pending.flush()
    local target = type(changes) == "table" and changes.netns
    local name = target and (changes.name or name_of(h, dev))
    local results = table.pack(link_set(h, dev, changes, ...))
    if target then record(target, name) end
    return table.unpack(results, 1, results.n)
  end)
  return true
end

-- The captures record_all made that still run (for specs).
function M.recording()
  local list = {}
  for i, r in ipairs(running) do list[i] = r.handle end
  return list
end

return M
