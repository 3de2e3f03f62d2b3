-- Link:shape: a root tbf over rtnetlink, the qdisc `tc` itself makes from
-- the traced command (tc -j qdisc show is the witness); netem detected at
-- run time, its absence said plainly.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local trace = require("nslab.trace")
local json = require("dkjson")

-- The root qdisc of dev as `tc -j qdisc show` gives it, handle left out.
local function qdisc(ns, dev)
  local list = json.decode(world.sh(ns, "tc -j qdisc show dev " .. dev))
  local q = list[1]
  if q then q.handle = nil end
  return q
end

describe("Link:shape", function()
  local a, x, y

  before_each(function()
    world.fresh()
    a = netns.add("a")
    x = a:veth("x0", "x1")
    y = a:veth("y0", "y1")
    x:up() -- an up device has its default qdisc (noqueue) to go back to
    y:up()
  end)

  it("makes the tbf that tc makes from the command it traces", function()
    for _, case in ipairs{ { rate = "10mbit" }, { rate = "1gbit", burst = "64kb", latency = "1ms" },
                           { rate = "500kbit", burst = 3000, latency = 0.4 },
                           { rate = "100gbit", burst = "1mb", latency = "10ms" } } do
      local before = #trace.history
      local made = x:shape(case)
      assert.equal("tbf", made.kind)
      local command = trace.history[before + 1]
      assert.equal(before + 1, #trace.history)
      assert.matches("^ip netns exec a tc qdisc replace dev x0 root tbf rate %S+ burst %d+ latency %S+$", command)
      -- the same words, run by tc on the other device
      world.sh(a, (command:gsub("^ip netns exec a ", ""):gsub(" dev x0 ", " dev y0 ")))
      local ours, tcs = qdisc(a, "x0"), qdisc(a, "y0")
      assert.equal("tbf", ours.kind)
      assert.same(tcs, ours)
    end
  end)

  it("reads tc's rates, sizes and times", function()
    local made = x:shape{ rate = "2MBps", burst = "32kbit", latency = "250us" }
    assert.same({ 2000000, 4096, 250 }, { made.rate, made.burst, made.latency_us })
    made = x:shape{ rate = 8000000 } -- a number is bits per second; burst and latency chosen
    assert.same({ 1000000, 15140, 50000 }, { made.rate, made.burst, made.latency_us })
    local q = qdisc(a, "x0")
    assert.same({ "tbf", 1000000 }, { q.kind, q.options.rate })
    assert.is_true(math.abs(q.options.burst - 15140) <= 1 and math.abs(q.options.lat - 50000) <= 1)
  end)

  it("unshape goes back to the device's default, twice is no error", function()
    x:shape{ rate = "10mbit" }
    x:unshape()
    assert.equal("ip netns exec a tc qdisc del dev x0 root", trace.history[#trace.history])
    x:unshape()
    assert.equal("noqueue", qdisc(a, "x0").kind)
  end)

  it("delay and loss need netem: made where the kernel has it, else said so and nothing changed", function()
    x:shape{ rate = "10mbit" }
    local ok, err = pcall(x.shape, x, { delay = "100ms", loss = "1%" })
    local probe = a:exec("tc qdisc add dev y0 root netem delay 100ms")
    if probe.status == 0 then -- this kernel has netem: ours is tc's
      assert.is_true(ok, err)
      assert.equal("netem", qdisc(a, "x0").kind)
    else
      assert.matches("Specified qdisc kind is unknown", probe.stderr, 1, true)
      assert.is_false(ok)
      assert.equal("link shape x0: this kernel has no netem qdisc (No such file or directory (Specified qdisc kind "
                   .. "is unknown)): delay and loss need it (CONFIG_NET_SCH_NETEM); a rate alone works, through tbf",
                   err)
      assert.equal("tbf", qdisc(a, "x0").kind)
    end
  end)

  it("refuses bad words and bad combinations, naming the link", function()
    local function refuses(opts, text)
      local ok, err = pcall(x.shape, x, opts)
      assert.is_false(ok)
      assert.matches(text, err, 1, true)
    end
    refuses({ rate = "10mbits" }, "link shape x0: option 'rate' must be a rate as tc writes it")
    refuses({ rate = "fast" }, "option 'rate' must be a rate")
    refuses({ rate = "10mbit", burst = "lots" }, "link shape x0: option 'burst' must be a size")
    refuses({ rate = "10mbit", latency = "50" }, "link shape x0: option 'latency' must be a time")
    refuses({ delay = "10ms", loss = "1" }, "link shape x0: option 'loss' must be a percentage")
    refuses({ rat = "10mbit" }, "link shape x0: invalid option 'rat'")
    refuses({ rate = "1bit" }, "link shape x0: option 'rate' must be an integer 1..10000000000000, got 0")
    refuses({ burst = 1000 }, "link shape x0: option 'rate' is required (or delay, jitter, loss)")
    refuses({ rate = "10mbit", delay = "1ms" }, "link shape x0: a rate with delay or loss at once is not built")
    refuses({ rate = "10mbit", limit = 10 }, "link shape x0: option 'limit' is netem's")
    refuses({ rate = "10mbit", latency = 61 }, "option 'latency' must be a number 0..60")
    assert.equal("noqueue", qdisc(a, "x0").kind)
  end)
end)
