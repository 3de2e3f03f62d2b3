-- Spec support: a fresh world per test, and iproute2 as the independent
-- witness of what nslab made.
--
--   local world = require "spec.support.world"
--   before_each(world.fresh)
--   local links = world.ip_json(test1, "link")      -- ip -j link, in test1
local core = require("nslab.core")
local netns = require("nslab.netns")
local json = require("dkjson")

local world = {}

-- New network and mount namespaces for this process: nothing the previous
-- test made is visible, and nothing needs cleaning up.
function world.fresh()
  netns.reset()
  collectgarbage()
  core.world_fresh()
end

-- Run `ip -j ARGS` inside ns (default: the host) and decode its JSON.
function world.ip_json(ns, args)
  local result = (ns or netns.host()):exec("ip -j " .. args)
  assert(result.status == 0, "ip -j " .. args .. ": " .. result.stderr)
  return json.decode(result.stdout)
end

-- Run a shell command inside ns; raise with its stderr when it fails.
function world.sh(ns, command)
  local result = (ns or netns.host()):exec(command)
  assert(result.status == 0, command .. ": " .. result.stderr)
  return result.stdout
end

-- The entry of list whose field key equals value.
function world.find(list, key, value)
  for _, item in ipairs(list or {}) do
    if item[key] == value then return item end
  end
end

-- One device as `ip -j -d link` shows it in ns (nil: the host), or nil.
function world.ip_link(ns, name)
  return world.find(world.ip_json(ns, "-d link"), "ifname", name)
end

-- The sorted values of field key over a list.
function world.pluck(list, key)
  local out = {}
  for _, item in ipairs(list or {}) do out[#out + 1] = item[key] end
  table.sort(out, function(a, b) return tostring(a) < tostring(b) end)
  return out
end

-- Is /etc/netns (or /etc) a mount of this world's own?
world.private_etc_netns = netns.etc_is_private

-- test1 [veth-test1 addr1] ---- [veth-test2 addr2] test2, both ends up and
-- with carrier (a first packet sent before that is lost, and ARP retries
-- only a second later). Returns the two ends.
function world.cable(test1, test2, addr1, addr2)
  local a, b = test1:veth("veth-test1", "veth-test2", { peer_netns = test2 })
  a:addr_add(addr1)
  b:addr_add(addr2)
  a:up()
  b:up()
  assert(a:wait("UP") and b:wait("UP"), "the cable did not come up")
  return a, b
end

-- This process's PID as /proc names it.
function world.pid()
  local f = assert(io.open("/proc/self/stat"))
  local pid = tonumber(f:read("a"):match("^(%d+)"))
  f:close()
  return pid
end

-- The descriptors of this process that are the lab's: those the namespace
-- pool holds (core/ns_pool.c: spares made ahead, its thread's own) are
-- counted apart, once its thread is idle, as a namespace taken from it is
-- replaced in the background. A listing's own pipe may still be open here
-- when ls looks (io.popen closes it after the fork): the least of three.
function world.open_fds()
  local deadline = core.clock() + 2
  while core.netns_pool_stats().busy and core.clock() < deadline do core.sleep(0.001) end
  local least = math.huge
  for _ = 1, 3 do
    local n = 0
    local p = assert(io.popen("ls /proc/" .. world.pid() .. "/fd"))
    for _ in p:lines() do n = n + 1 end
    p:close()
    least = math.min(least, n)
  end
  return least - core.netns_pool_stats().held
end

return world
