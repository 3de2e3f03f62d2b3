-- bench: make bench's driver (bench/run.py) and every tool it compares,
-- at N = 4 with two containers per bridge and static entries from the
-- start (BENCH_PER_BRIDGE=2 BENCH_STATIC_MIN=2): the paths docker-bridge-
-- 1000 and -2000 take, so that make test sees each tool still build,
-- check and tear down its world, and the driver still write its tables.
-- A benchmark, not a timed test: no time is asserted. A tool this machine
-- cannot run (pyroute2 and Mininet come with vendor/debian-packages-bench)
-- is skipped by the driver, which says why; the spec checks that it did.
local program = require("spec.support.program")
local json = require("dkjson")

local TOOLS = { "raw", "rawc", "friendly", "docker", "ip", "batch", "pyroute2", "mininet" }
local ALWAYS = { raw = true, rawc = true, friendly = true, docker = true } -- nslab's own

describe("make bench at N = 4", function()
  local out, code, err, results, md
  setup(function()
    local dir = program.run("mktemp -d"):gsub("\n$", "")
    out, code, err = program.run(string.format(
      "cd %s && NSLAB=%s BENCH_PER_BRIDGE=2 BENCH_STATIC_MIN=2 /usr/bin/python3 bench/run.py --n 4 --reps 1 "
      .. "--tools %s --no-extras --settle 2 --out %s", program.quote(program.root), program.quote(program.program),
      program.quote(table.concat(TOOLS, " ")), program.quote(dir)))
    local ok, text = pcall(program.slurp, dir .. "/results.json")
    results = ok and json.decode(text)
    md = select(2, pcall(program.slurp, dir .. "/results.md"))
    program.run("rm -rf " .. program.quote(dir))
  end)

  it("runs to the end and writes results.json and results.md", function()
    assert.equal(0, code, err)
    assert.is_table(results, "no results.json:\n" .. out .. err)
    assert.matches("| 4 | nslab docker.run |", md, 1, true)
    assert.matches("Made by `make bench N=4 REPS=1", md, 1, true)
  end)

  it("has every tool build, check and tear down docker-bridge-4: both probes answered", function()
    local ran = {}
    for _, r in ipairs(results.runs) do ran[r.tool] = r end
    for _, tool in ipairs(TOOLS) do
      local r = ran[tool]
      if r then
        assert.is_nil(r.error, tool .. ": " .. tostring(r.error))
        assert.equal(0, r.status, tool .. " exit status")
        for _, phase in ipairs{ "setup", "check", "teardown", "user", "sys", "rss_mb" } do
          assert.is_number(r[phase], tool .. ": no " .. phase)
        end
        assert.equal(2, r.probes, tool .. ": probes (one per bridge)")
        assert.equal(2, r.answered, tool .. ": answered")
      else
        assert.is_false(ALWAYS[tool] or false, tool .. " did not run")
        assert.is_string(results.skipped[tool], tool .. " neither ran nor was skipped with a reason")
        assert.matches("skipping " .. tool .. ": " .. results.skipped[tool], out, 1, true)
      end
    end
  end)

  it("takes each ratio within the repetition, against the raw core", function()
    assert.equal(1, results.ratios["raw/raw/4"])
    assert.is_number(results.ratios["docker/raw/4"])
    assert.is_number(results.ratios["docker/rawc/4"])
  end)
end)
