-- nslab.docker_overlay: Docker's overlay network driver across hosts
-- (nslab.hosts), as libnetwork's drivers/overlay builds it:
--
--   local node1, node2 = hosts.add{ "node1", "node2" }
--   docker.network_create("ov", { driver = "overlay", subnet = "10.0.9.0/24" }, { hosts = { node1, node2 } })
--   node1.docker:run{ name = "c1", network = "ov" }     -- 10.0.9.2
--   node2.docker:run{ name = "c2", network = "ov" }     -- 10.0.9.3: c1 pings it over VXLAN
--
-- On each host the network has a namespace of its own (Docker's
-- /var/run/docker/netns/1-ID, here HOST-1-ID), with br0 (the gateway's
-- address) and vxlan0 on it: made in the host's namespace and moved
-- there, so its UDP socket (port 4789) stays on the host's network while
-- its frames are the network's. One VNI per network (from 4097, as swarm
-- hands them out; vxlanid_list = N picks one), no multicast, no learning:
-- vxlan0 has no remote, and answers ARP itself (proxy) from the entries
-- the driver programs when a container joins (peerAdd), on every other
-- host of the network:
--
--   ip -n node2-1-ID neigh replace 10.0.9.2 lladdr 02:42:0a:00:09:02 nud permanent dev vxlan0
--   bridge -n node2-1-ID fdb replace 02:42:0a:00:09:02 dev vxlan0 dst 192.0.2.1 self permanent
--
-- and deletes when it leaves (peerDelete). Addresses come from one pool
-- for the whole network (the global IPAM), the MAC from the address, eth0
-- has the VXLAN MTU (1450). Not modelled: docker_gwbridge (a container's
-- way out: eth1, NAT), the gossip that carries the peers (here the
-- driver programs them directly), encrypted overlays (IPsec).
local netns = require("nslab.netns")
local options = require("nslab.options")
local ipv6 = require("nslab.ipv6")
local bridge = require("nslab.bridge")
require("nslab.kinds")

local M = {}

M.VXLAN_PORT = 4789
M.MTU = 1450 -- 1500 less the outer IP, UDP and VXLAN headers
M.FIRST_VNI = 4097

local vni_used = setmetatable({}, { __mode = "k" }) -- by world: VNI -> network name

local function internal() return require("nslab.docker").internal end

-- Is opts a network of another driver than bridge (for docker.lua)?
function M.wanted(opts)
  return type(opts) == "table" and opts.driver ~= nil and opts.driver ~= "bridge"
end

local CREATE = {
  driver = { type = "choice", choices = { "overlay" }, required = true, doc = "overlay" },
  subnet = { type = "string", max = 18, required = true, doc = "A.B.C.D/N (--subnet)" },
  gateway = { type = "string", max = 15, doc = "an address in the subnet (--gateway; default: the first)" },
  vxlanid_list = { type = "integer", min = 1, max = 16777215,
                   doc = "the VNI (-o com.docker.network.driver.overlay.vxlanid_list; default: the next from 4097)" },
}
local SCOPE = { hosts = { type = "table", required = true, doc = "the hosts (nslab.hosts) the network spans" } }

-- The hosts of scope, checked: nslab.hosts hosts, none twice, the daemon
-- called on among them.
local function hosts_of(op, daemon, scope)
  scope = options.check(scope, op, SCOPE)
  if scope.hosts == nil then options.value(nil, op, nil, "option 'hosts'", SCOPE.hosts) end
  local hosts = require("nslab.hosts")
  local list, seen = {}, {}
  for i, h in ipairs(scope.hosts) do
    if not hosts.is(h) then
      error(string.format("%s: option 'hosts' item %d must be a host (nslab.hosts), got %s", op, i,
                          netns.is(h) and "a namespace" or type(h)), 0)
    end
    if seen[h] then error(string.format("%s: host %s is named twice", op, h.name), 0) end
    seen[h] = true
    list[i] = h
  end
  if #list == 0 then error(op .. ": option 'hosts' must name at least one host", 0) end
  if daemon then
    local found = false
    for _, h in ipairs(list) do found = found or h.docker == daemon end
    if not found then error(op .. ": option 'hosts' must include this daemon's host", 0) end
  end
  return list
end

-- The network's sandbox on host h: its namespace, br0 with the gateway,
-- vxlan0 (socket in the host's namespace) on br0, both up.
local function sandbox(net, h)
  local ns = netns.add(h.name .. "-1-" .. net.id:sub(1, 10))
  local sb = { ns = ns, host = h }
  local ok, err = pcall(function()
    sb.br = ns:bridge("br0", { stp = false })
    sb.br:addr_add(net.gateway .. "/" .. net.plen, { broadcast = true })
    sb.vxlan = h:vxlan("vxlan0", { id = net.vni, dstport = M.VXLAN_PORT, learning = false, proxy = true,
                                   mtu = M.MTU, netns = ns })
    sb.br:attach(sb.vxlan)
    sb.vxlan:up()
    sb.br:up()
  end)
  if not ok then
    pcall(netns.delete, ns)
    error(err, 0)
  end
  return sb
end

-- docker network create NAME --driver overlay --subnet S on the hosts of
-- scope ({hosts = {...}}): the network in each host's daemon, by name.
function M.create(daemon, name, opts, scope, ...)
  local op = "docker network create"
  options.nargs(op, 3, name, opts, scope, ...)
  local d = internal()
  d.check_name(op, "network", name)
  if opts.driver ~= "overlay" then
    error(string.format('%s %s: plugin "%s" not found (drivers: bridge, overlay)', op, name, tostring(opts.driver)), 0)
  end
  opts = options.check(opts, op, CREATE, name)
  op = op .. " " .. name
  local list = hosts_of(op, daemon, scope)
  local base, plen = d.parse_subnet(op, opts.subnet)
  local gateway = d.parse_gateway(op, opts.gateway, base, plen)
  for _, h in ipairs(list) do
    if h.docker.networks[name] then
      error(string.format("%s: network with name %s already exists (on host %s)", op, name, h.name), 0)
    end
    for _, other in pairs(h.docker.networks) do
      if other.base then
        local mask = d.mask_of(math.min(plen, other.plen))
        if base & mask == other.base & mask then
          error(string.format("%s: Pool overlaps with other one on this address space (%s on host %s)", op,
                              other.name, h.name), 0)
        end
      end
    end
  end
  local world = netns.host()
  local vnis = vni_used[world] or {}
  vni_used[world] = vnis
  local vni = opts.vxlanid_list
  if vni and vnis[vni] then error(string.format("%s: VNI %d is network %s's", op, vni, vnis[vni]), 0) end
  if not vni then
    vni = M.FIRST_VNI
    while vnis[vni] do vni = vni + 1 end
  end
  local net = { name = name, id = d.random_hex(64), driver = "overlay", created = d.now(), vni = vni,
                subnet = d.ipv4_text(base) .. "/" .. plen, gateway = gateway, base = base, plen = plen,
                options = { ["com.docker.network.driver.overlay.vxlanid_list"] = tostring(vni) },
                used = {}, ports = 0, hosts = list, sandboxes = {}, members = {} }
  local ok, err = pcall(function()
    for _, h in ipairs(list) do net.sandboxes[h.docker] = sandbox(net, h) end
  end)
  if not ok then
    for _, sb in pairs(net.sandboxes) do pcall(netns.delete, sb.ns) end
    error(err, 0)
  end
  vnis[vni] = name
  for _, h in ipairs(list) do
    h.docker.networks[name] = net
    h.docker.network_order[#h.docker.network_order + 1] = name
  end
  return net
end

-- The peer entries of container c (on host h) in the sandbox sb of
-- another host: peerAdd / peerDelete.
local function peer_add(sb, c, h)
  sb.ns:neigh_add("vxlan0", { dst = c.ip, lladdr = c.mac })
  sb.ns:fdb_add("vxlan0", { mac = c.mac, dst = h.address, self = true })
end

local function peer_del(sb, c)
  local ok, err = pcall(function()
    sb.ns:neigh_del("vxlan0", { dst = c.ip })
    sb.ns:fdb_del("vxlan0", { mac = c.mac, self = true })
  end)
  if not ok and not tostring(err):find("No such file or directory", 1, true) then error(err, 0) end
end

-- A container joining its overlay network on daemon's host (docker.lua's
-- connect): eth0 in it, the other end on the sandbox's br0, the peers
-- told.
function M.join(daemon, c, lo)
  local net, d = c.network, internal()
  local sb = net.sandboxes[daemon]
  if #c.ports > 0 then
    error(string.format("docker run %s: -p on overlay network %s needs docker_gwbridge, which the model has not",
                        c.name, net.name), 0)
  end
  local n
  c.ip, n = d.allocate(net, c.name, d.who(c))
  c.mac = d.mac_of_number(n)
  local quiet = ipv6.create_mode()
  local host_end, eth0
  c.veth, host_end, eth0 = d.endpoint_veth(sb.ns, c.proc.netns)
  c.host_end, c.sandbox = host_end, sb
  if quiet then ipv6.note() end
  eth0:set{ address = c.mac, mtu = M.MTU, addrgenmode = quiet }
  eth0:addr_add(c.ip .. "/" .. net.plen, { broadcast = true })
  lo:up()
  eth0:up()
  bridge.internal.attach(sb.br, host_end, quiet)
  c.attached = true
  net.ports = net.ports + 1
  host_end:up()
  if not (eth0:wait("UP") and host_end:wait("UP")) then
    error(d.who(c) .. ": eth0 did not come up", 0)
  end
  for _, other in ipairs(net.hosts) do
    if other.docker ~= daemon then peer_add(net.sandboxes[other.docker], c, sb.host) end
  end
  net.members[c] = sb.host
end

-- Undo join, whatever part of it happened (docker.lua's disconnect): the
-- peers' entries, the host end (eth0 goes with it), the address.
function M.leave(daemon, c)
  local net = c.network
  if net.members[c] then
    for _, other in ipairs(net.hosts) do
      if other.docker ~= daemon then peer_del(net.sandboxes[other.docker], c) end
    end
    net.members[c] = nil
  end
  local sb = c.sandbox
  if c.host_end and sb and sb.ns.handle:link_get(c.host_end.ifindex) then c.host_end:delete() end
  if c.attached then net.ports = net.ports - 1 end
  if c.ip then internal().release(net, c.ip) end
  c.veth, c.host_end, c.attached, c.ip, c.mac, c.sandbox = nil, nil, nil, nil, nil, nil
end

-- Host h leaves the network (nslab.hosts.remove, its containers gone
-- already): its sandbox goes, the others stay.
function M.forget(net, h)
  local sb = net.sandboxes[h.docker]
  if not sb then return end
  netns.delete(sb.ns)
  net.sandboxes[h.docker] = nil
  for i, other in ipairs(net.hosts) do
    if other == h then table.remove(net.hosts, i) break end
  end
end

-- docker network rm of an overlay network (no container on it, on any
-- host): every host's sandbox goes, and the network from every daemon;
-- its VNI is free again. vxlan0 is deleted first: a namespace's devices
-- go in the kernel's cleanup after the call returns, and until then the
-- VNI would still be taken.
function M.remove(net)
  for _, h in ipairs(net.hosts) do
    local sb = net.sandboxes[h.docker]
    if sb then
      sb.vxlan:delete()
      netns.delete(sb.ns)
    end
    net.sandboxes[h.docker] = nil
    internal().forget_network(h.docker, net.name)
  end
  local vnis = vni_used[netns.host()]
  if vnis then vnis[net.vni] = nil end
end

-- The network's sandbox namespace on host h (ip netns exec HOST-1-ID ...).
function M.sandbox(net, h)
  local sb = net.sandboxes and net.sandboxes[h.docker]
  if not sb then error(string.format("docker overlay: network %s is not on host %s", net.name, h.name), 0) end
  return sb.ns
end

return M
