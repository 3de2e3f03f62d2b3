-- Bad input, generated (issue 7): every public function and method, of the
-- friendly API and of nslab.core, called with wrong types, missing and
-- extra arguments, unknown fields, numbers out of range, NaN, ±inf, 2^53,
-- empty strings, embedded NULs, 16-byte and 1 MB names, deleted objects and
-- namespaces deleted underneath their handles. The calls come from
-- core.options() and the method tables (spec/support/badinput.lua, with
-- spec/support/badinput_map.lua for signatures); they run in child
-- processes, each batch in a world of its own, so a crash or a hang is
-- counted, not fatal (spec/support/badinput_run.lua).
--
-- Each call must raise a Lua error that starts with its operation and, for
-- an option, names it; within a bounded time; leaving nothing behind (the
-- core's listings around each call, `ip -j link/addr/route` and `nft -j list
-- ruleset` around each batch and, when they differ, around each call). The
-- offenders are listed in build/badinput-report.txt.
local run = require("spec.support.badinput_run")

local REPORT = "build/badinput-report.txt"

describe("bad input (generated from the option specs and method tables)", function()
  local result
  setup(function()
    result = run.all()
    run.write_report(result, REPORT)
    print("bad input: " .. run.totals_line(result) .. " (" .. REPORT .. ")")
    for _, why in ipairs(result.skipped) do print("bad input: skip control " .. why) end
  end)

  it("refuses every bad call with a clean error, in bounded time, leaving nothing", function()
    local bad = {}
    for _, o in ipairs(result.offenders) do bad[#bad + 1] = run.offender_line(o) end
    for _, note in ipairs(result.notes) do bad[#bad + 1] = "note      " .. note end
    if #bad > 0 then
      local shown = {}
      for i = 1, math.min(#bad, 400) do shown[i] = bad[i] end
      if #bad > 400 then shown[#shown + 1] = string.format("... and %d more in %s", #bad - 400, REPORT) end
      error(run.totals_line(result) .. "\n" .. table.concat(shown, "\n"), 0)
    end
  end)

  it("makes each case from a valid call (the controls succeed)", function()
    assert.is_true(result.n_controls > 0)
    local failed = {}
    for _, c in ipairs(result.controls) do failed[#failed + 1] = c.target .. ": " .. c.message end
    assert.are.same({}, failed)
  end)

  it("declares every option set a core binding reads, and maps every public name", function()
    local missing = {}
    for _, op in ipairs(result.info.undeclared) do missing[#missing + 1] = "not in core.options(): " .. op end
    for _, name in ipairs(result.info.unmapped) do missing[#missing + 1] = "no signature in the map: " .. name end
    for _, op in ipairs(result.info.unused) do missing[#missing + 1] = "declared, used by no call: " .. op end
    assert.are.same({}, missing)
  end)
end)
