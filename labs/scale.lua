-- scale: docker-bridge-N through docker.run, the way a lab writes it.
--
--   for i in $(seq 1 N); do docker run -d --name cI busybox sleep 1d; done
--   docker exec c1 ping -c 1 172.17.0.3 ... (every other container)
--   docker rm -f c1 ... cN
--
-- N comes from the command line (`nslab run labs/scale.lua 1000`), 100 by
-- default (what make test runs). Each phase prints its time; the check
-- from c1 to every other container runs as one poll loop. Past about 500
-- targets dynamic ARP overflows the machine-wide neighbour table (see
-- PERFORMANCE.md): this lab stays below that.
lab "scale: docker-bridge-N with docker.run"

local N = math.tointeger(tonumber(arg[1] or "100"))
if not N or N < 2 or N > 500 then
  error("scale: N must be an integer 2..500 (dynamic ARP beyond that overflows the neighbour table), got "
        .. tostring(arg[1]), 0)
end

local clock = core.clock
local containers = {}

-- Seconds spent in fn, shown as the phase's line.
local function timed(what, fn)
  local start = clock()
  fn()
  local took = clock() - start
  show(string.format("%s: %.3f s", what, took))
  return took
end

section(("%d containers on docker0"):format(N))
step("dockerd starts: docker0 172.17.0.1/16", function() docker.daemon() end)
local setup = 0
step(("docker run --name c1 ... c%d"):format(N), function()
  setup = timed(("setup of %d containers"):format(N), function()
    for i = 1, N do containers[i] = docker.run{ name = "c" .. i } end
  end)
end)
check.equal(#host:brctl_show()[1].interfaces, N, ("docker0 has %d ports"):format(N))
check.equal(containers[N].ip, ("172.17.%d.%d"):format((N + 1) // 256, (N + 1) % 256),
            ("c%d has the %dth address"):format(N, N))
show(("per container: %.2f ms"):format(setup * 1000 / N))

section("c1 reaches every other container")
local targets = {}
for i = 2, N do targets[#targets + 1] = containers[i].ip end
local answered, failed = 0, {}
step(("c1 pings %d containers in one poll loop"):format(N - 1), function()
  timed("check", function()
    -- up to 3 echoes each, a target done at its first reply
    for _, r in ipairs(containers[1].netns:ping(targets, { count = 3, replies = 1, timeout = 5 })) do
      if (r.received or 0) > 0 then answered = answered + 1 else failed[#failed + 1] = r.target end
    end
  end)
end)
check.equal(answered, N - 1, ("c1 reaches all %d others"):format(N - 1) ..
  (#failed > 0 and " (no reply from " .. table.concat(failed, " ", 1, math.min(#failed, 10)) .. ")" or ""))

section("Teardown")
step(("docker rm -f c1 ... c%d"):format(N), function()
  timed("teardown", function()
    for i = 1, N do docker.rm("c" .. i, true) end
  end)
end)
check.equal(#host:brctl_show()[1].interfaces, 0, "docker0 has no ports left")
