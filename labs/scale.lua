-- scale: docker-bridge-N through docker.run, the way a lab writes it.
--
--   for i in $(seq 1 N); do docker run -d --name cI busybox sleep 1d; done
--   docker exec c1 ping -c 1 172.17.0.3 ... (every other container)
--   docker rm -f c1 ... cN
--
-- N comes from the command line (`nslab run labs/scale.lua 1000`), 100 by
-- default (what make test runs). A Linux bridge holds at most 1023 ports
-- (BR_MAX_PORTS), so containers go 1000 to a network (or the second
-- argument's number: `scale.lua 20 10` is two networks of 10): docker0
-- (172.17.0.0/16), then user-defined networks scale2 (172.18.0.0/16),
-- scale3, ... Each phase prints its time, setup also by tenths when N is a
-- multiple of 10 (flat when the cost per container is); the check runs within each network from its
-- first container to every other one in one poll loop. The commands of the
-- first container are shown, the others' only counted (`nslab explain`
-- prints them all); on a terminal a progress line says how far it is.
lab "scale: docker-bridge-N with docker.run"

local term = require("nslab.term")
local trace = require("nslab.trace")

local PER_NETWORK = math.tointeger(tonumber(arg[2] or "1000"))
if not PER_NETWORK or PER_NETWORK < 2 or PER_NETWORK > 1000 then
  error(("scale: the containers per network must be an integer 2..1000, got %s"):format(tostring(arg[2])), 0)
end
-- 15 networks at most: the /16s 172.17 .. 172.31. Past about 128
-- containers a network's checks would overflow the machine-wide neighbour
-- table with dynamic ARP (gc_thresh3 = 1024, two entries per probe; see
-- PERFORMANCE.md): the Docker model's static-ARP policy (docker_arp.lua)
-- takes over there and says so, so this lab's check stays strict.
local MAX = 15000

local N = math.tointeger(tonumber(arg[1] or "100"))
if not N or N < 2 or N > math.min(MAX, 15 * PER_NETWORK) then
  error(("scale: N must be an integer 2..%d, got %s"):format(math.min(MAX, 15 * PER_NETWORK), tostring(arg[1])), 0)
end

local clock = core.clock
local progress = term.progress()

-- Seconds spent in fn, shown as the phase's line.
local function timed(what, fn)
  local start = clock()
  fn()
  local took = clock() - start
  show(string.format("%s: %.3f s", what, took))
  return took
end

-- The networks: docker0's and as many more as N needs, PER_NETWORK each.
local networks = {}
for k = 1, (N + PER_NETWORK - 1) // PER_NETWORK do
  local first = (k - 1) * PER_NETWORK + 1
  networks[k] = { name = k == 1 and "bridge" or "scale" .. k, subnet = ("172.%d.0.0/16"):format(16 + k),
                  first = first, last = math.min(N, first + PER_NETWORK - 1) }
end

local function ip_of(net, i) -- the address docker.run gives the i-th container of net
  local n = i - net.first + 2
  return ("%s.%d.%d"):format(net.subnet:match("^(%d+%.%d+)"), n // 256, n % 256)
end

section(("%d containers on %d network%s"):format(N, #networks, #networks > 1 and "s" or ""))
step("dockerd starts: docker0 172.17.0.1/16", function() docker.daemon() end)
for k = 2, #networks do
  step(("docker network create --subnet %s %s"):format(networks[k].subnet, networks[k].name), function()
    docker.network_create(networks[k].name, { subnet = networks[k].subnet })
  end)
end

local containers, names = {}, {}
local function run(i)
  local net = networks[(i - 1) // PER_NETWORK + 1]
  names[i] = "c" .. i
  containers[i] = docker.run{ name = names[i], network = net.name ~= "bridge" and net.name or nil }
end

local tenths = {}
step(("docker run --name c1 ... c%d"):format(N), function()
  timed(("setup of %d containers"):format(N), function()
    local mark = clock()
    local function ran(i)
      if N % 10 == 0 and i % (N // 10) == 0 then
        tenths[#tenths + 1] = clock() - mark
        mark = clock()
      end
    end
    run(1)
    ran(1)
    local hidden = trace.quietly(function()
      for i = 2, N do
        run(i)
        ran(i)
        progress:update(("docker run c%d of %d"):format(i, N))
      end
    end)
    progress:done()
    show(("(c2 ... c%d: %d more commands like c1's, not shown; `nslab explain` prints them)"):format(N, hidden))
  end)
end)
if #tenths == 10 then
  local row = {}
  for i, t in ipairs(tenths) do row[i] = ("%.3f"):format(t) end
  show(("setup by tenths (%d containers each), s: %s"):format(N // 10, table.concat(row, " ")))
end
for _, net in ipairs(networks) do
  local bridge = docker.daemon():network(net.name).bridge_name
  local ports = #require("nslab.bridge").new(host, bridge):ports()
  check.equal(ports, net.last - net.first + 1, ("%s has %d ports"):format(bridge, net.last - net.first + 1))
  check.equal(containers[net.last].ip, ip_of(net, net.last),
              ("c%d has the address after its network's %d others"):format(net.last, net.last - net.first))
end

for _, net in ipairs(networks) do
  section(("c%d reaches every other container of %s"):format(net.first, net.name))
  local targets = {}
  for i = net.first + 1, net.last do targets[#targets + 1] = containers[i].ip end
  local answered, failed = 0, {}
  step(("c%d pings %d containers in one poll loop"):format(net.first, #targets), function()
    timed("check", function()
      -- up to 3 echoes each, a target done at its first reply
      local results
      local hidden = trace.quietly(function()
        results = containers[net.first].netns:ping(targets, { count = 3, replies = 1, timeout = 5 })
      end)
      for _, r in ipairs(results) do
        if (r.received or 0) > 0 then answered = answered + 1 else failed[#failed + 1] = r.target end
      end
      show(("(%d commands, not shown: a ping -c 1 -i 0.2 -w 5 per target, and the neighbour entries they need)")
           :format(hidden))
    end)
  end)
  check.equal(answered, #targets, ("c%d reaches all %d others"):format(net.first, #targets) ..
    (#failed > 0 and " (no reply from " .. table.concat(failed, " ", 1, math.min(#failed, 10)) .. ")" or ""))
end

section("Teardown")
step(("docker rm -f c1 ... c%d"):format(N), function()
  timed("teardown (until the kernel has removed every pair)", function()
    local hidden = trace.quietly(docker.rm, names, true)
    show(("(%d commands, not shown)"):format(hidden))
  end)
end)
local left = 0
for _, l in ipairs(host:links()) do
  if l.kind == "veth" then left = left + 1 end
end
check.equal(left, 0, "no veth is left in the host")
