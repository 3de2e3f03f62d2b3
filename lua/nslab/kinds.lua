-- nslab.kinds: devices of the kinds in the core's link-kind table, as
-- methods of every Netns. Each makes its device in one RTM_NEWLINK and
-- traces the `ip link add` that would make the same device.
--
--   local mv = ns:macvlan("mv0", {link = "eth0", mode = "bridge", netns = other})
--     -- ip link add mv0 link eth0 netns other type macvlan mode bridge
--   local vx = ns:vxlan("vx0", {id = 42, dstport = 4789, remote = "192.0.2.2",
--                               dev = "eth0", learning = false})
--     -- ip link add vx0 type vxlan id 42 dstport 4789 remote 192.0.2.2 dev eth0 nolearning
--   mv:info().macvlan.mode                 --> "bridge" (as the kernel has it)
--   vx:info().linkinfo.info_data.port      --> 4789 (ip -j -d link's names)
--
-- The options are the core's (core.options()["link add"]): netns, link
-- and mtu are every kind's, the others the kind's own. The core checks
-- them all; nothing is checked twice here.
local core = require("nslab.core")
local trace = require("nslab.trace")
local shell = require("nslab.shell")
local link = require("nslab.link")
local netns = require("nslab.netns")
local api = require("nslab.api")
local ipv6 = require("nslab.ipv6")

local M = {}

-- The words after `type KIND`, in iproute2's spelling, for each option
-- of the kind: a function of the value, in the order ip prints them.
local function word(name) return function(v) return name .. " " .. shell.quote(tostring(v)) end end
local function flag(on, off) return function(v) return v and on or off end end

M.WORDS = {
  macvlan = { { "mode", word("mode") } },
  vlan = { { "protocol", word("protocol") }, { "id", word("id") } },
  ipvlan = { { "mode", word("mode") }, { "flags", function(v) return v end } },
  vxlan = { { "id", word("id") }, { "local", word("local") }, { "remote", word("remote") },
            { "group", word("group") }, { "dstport", word("dstport") }, { "dev", word("dev") },
            { "learning", flag("learning", "nolearning") }, { "proxy", flag("proxy", "noproxy") } },
}

local function dev_name(x) return link.is(x) and x.name or x end

-- How ip names a device given by ifindex: by its name here.
local function ip_name(ns, x)
  if type(x) ~= "number" then return x end
  local info = ns.handle:link_get(x)
  return info and info.ifname or x
end

-- The MTU a device on a parent gets when none is given: a macvlan's is
-- its parent's, a vxlan's its dev's less the encapsulation (50 over IPv4,
-- 70 over IPv6). nil: no parent, or none found (link_add says why).
local function parent_mtu(ns, kind, spec)
  local parent = spec.link or (type(spec[kind]) == "table" and spec[kind].dev)
  if type(parent) ~= "string" and math.type(parent) ~= "integer" then return nil end
  local ok, info = pcall(ns.handle.link_get, ns.handle, parent)
  if not (ok and info) then return nil end
  return kind == "vxlan" and info.mtu - 70 or info.mtu
end

local TOP -- core.options()["link add"], read once

-- link_add's own options and the kind's, from one flat table.
local function split(opts)
  TOP = TOP or core.options()["link add"]
  local top = TOP
  local mine, own = {}, {}
  for k, v in pairs(opts) do
    local common = top[k] and top[k].type ~= "table" and k ~= "name" and k ~= "kind"
    if common then mine[k] = v else own[k] = v end
  end
  return mine, own
end

-- ip link add NAME [link PARENT] [netns NS] [mtu N] type KIND WORDS...
function M.add(ns, kind, name, opts)
  local spec = { name = name, kind = kind }
  local target
  if type(opts) == "table" then
    local mine, own = split(opts)
    for k, v in pairs(mine) do spec[k] = v end
    if mine.netns ~= nil then
      target = netns.check(mine.netns, "link add", api.object_name(name), "option 'netns'")
      spec.netns = target.handle
    end
    spec.link = dev_name(mine.link)
    if own.dev ~= nil then own.dev = dev_name(own.dev) end
    spec[kind] = own
    opts = own
  else
    spec[kind] = opts
  end
  local quiet = spec.addrgenmode == nil -- one the lab gave is its own
  if quiet then spec.addrgenmode = ipv6.create_mode(spec.mtu or parent_mtu(ns, kind, spec)) end
  ns.handle:link_add(spec)
  local words = { "link add", shell.quote(name) }
  if spec.link then words[#words + 1] = "link " .. shell.quote(tostring(ip_name(ns, spec.link))) end
  if target then words[#words + 1] = "netns " .. target:ref() end
  if spec.mtu then words[#words + 1] = "mtu " .. spec.mtu end
  words[#words + 1] = "type " .. kind
  for _, w in ipairs(M.WORDS[kind] or {}) do
    local v = opts and opts[w[1]]
    if w[1] == "dev" and v ~= nil then v = ip_name(ns, v) end
    if v ~= nil then words[#words + 1] = w[2](v) end
  end
  trace.command(ns:ip(table.concat(words, " ")))
  if spec.addrgenmode then ipv6.trace_created(target or ns, name, nil, nil, spec.addrgenmode, quiet) end
  return link.new(target or ns, name)
end

-- A macvlan on parent opts.link (a Link or a name here): {link =, mode =
-- "private"|"vepa"|"bridge"|"passthru", netns =, mtu =}.
function netns.Netns:macvlan(name, opts) return M.add(self, "macvlan", name, opts) end

-- A VXLAN tunnel end: {id =, local =, remote = | group =, dstport =, dev =,
-- learning =, netns =, mtu =}.
function netns.Netns:vxlan(name, opts) return M.add(self, "vxlan", name, opts) end

-- An 802.1Q VLAN of parent opts.link: {link =, id =, protocol =
-- "802.1Q"|"802.1ad", netns =, mtu =} (where the kernel has vlan).
function netns.Netns:vlan(name, opts) return M.add(self, "vlan", name, opts) end

-- An ipvlan on parent opts.link: {link =, mode = "l2"|"l3"|"l3s", flags =
-- "bridge"|"private"|"vepa", netns =, mtu =} (where the kernel has ipvlan).
function netns.Netns:ipvlan(name, opts) return M.add(self, "ipvlan", name, opts) end

-- Their positional arguments, once (nslab.api).
local KIND = { { "name", { type = "ifname", required = true } }, { "opts", { type = "table" } } }
local function kind_decl() return { op = "link add", KIND[1], KIND[2] } end
api.declare(netns.Netns, "Netns", { macvlan = kind_decl(), vxlan = kind_decl(), vlan = kind_decl(),
                                    ipvlan = kind_decl() },
            { object = function(self, op) return op:find("^netns") and self:label() or nil end })

return M
