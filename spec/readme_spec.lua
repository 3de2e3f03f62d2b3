-- readme: the five-minute tour in README.md works as written. Its code
-- blocks are read from the README itself: every `bin/nslab run LAB` line
-- runs and passes, the ten-line lab (the lua block) runs and passes with
-- the PASS lines and summary the README shows after it, and the lines
-- typed at the prompt in the REPL screenshot are accepted by `nslab repl
-- LAB` (no error line) with the output the README shows for the stable
-- ones.
local program = require("spec.support.program")

local function has(text, plain) return text:find(plain, 1, true) ~= nil end

-- The tour: the README from its heading to the next section's (a "## "
-- line outside a code block: the lab output in one has its own).
local function tour()
  local out, inside, fenced = {}, false, false
  for line in program.slurp("README.md"):gmatch("([^\n]*)\n") do
    if line:match("^```") then fenced = not fenced end
    if not fenced and line:match("^## ") then inside = line == "## A five-minute tour" end
    if inside then out[#out + 1] = line end
  end
  assert(#out > 0, "README.md has no tour")
  return "\n" .. table.concat(out, "\n") .. "\n"
end

-- The fenced code blocks of text, in order: {lang =, text =}.
local function blocks(text)
  local out = {}
  for lang, body in text:gmatch("\n```(%w*)\n(.-)\n```") do out[#out + 1] = { lang = lang, text = body } end
  return out
end

-- Text with the figures that change from run to run (RTTs, link-local
-- addresses, veth names, interface indexes) made equal, and blanks (a
-- terminal shows tabs as spaces) one space.
local function steady(text)
  return (text:gsub("avg [%d.]+ ms", "avg N ms"):gsub("fe80::[%x:]+", "fe80::X"):gsub("veth%x%x%x%x%x%x%x", "vethX")
              :gsub("@if%d+", "@ifN"):gsub("8000%.%x+", "8000.X"):gsub("[ \t]+", " "):gsub(" \n", "\n"):gsub(" $", ""))
end

-- The lines of the block that shows what the command before it prints:
-- those that are not "...".
local function shown(block)
  local out = {}
  for line in (block.text .. "\n"):gmatch("(.-)\n") do
    if not line:match("^%s*%.%.%.$") then out[#out + 1] = line end
  end
  return out
end

describe("the README's tour", function()
  local list = blocks(tour())

  it("has the blocks it describes: commands, a lab, a REPL session", function()
    local langs = {}
    for _, b in ipairs(list) do langs[b.lang] = (langs[b.lang] or 0) + 1 end
    assert.is_true((langs.sh or 0) >= 3)
    assert.equal(1, langs.lua)
    assert.is_true((langs.text or 0) >= 3)
  end)

  it("every `bin/nslab run labs/...` line runs its lab, and it passes", function()
    local n = 0
    for _, b in ipairs(list) do
      for lab in b.text:gmatch("bin/nslab run (labs/[%w_.-]+)") do
        local out, code, err = program.nslab("run " .. program.quote(lab))
        assert.equal(0, code, lab .. ": " .. err)
        assert.truthy(out:match("\n%d+ passed, 0 failed\n$"), lab)
        n = n + 1
      end
    end
    assert.is_true(n >= 1)
  end)

  it("the ten-line lab runs as `bin/nslab run FILE`, prints what the README shows, and passes", function()
    local lab, after
    for i, b in ipairs(list) do
      if b.lang == "lua" then
        lab = b.text
        -- the block after `bin/nslab run FILE` is its output
        for j = i + 1, #list do
          if list[j].lang == "text" then after = list[j] break end
        end
      end
    end
    local lines = 0
    for _ in lab:gmatch("[^\n]+") do lines = lines + 1 end
    assert.is_true(lines <= 10, "ten lines, not " .. lines)
    local path = program.temp_file(lab)
    local out, code, err = program.nslab("run " .. program.quote(path))
    os.remove(path)
    assert.equal(0, code, err .. out)
    local real = steady(out)
    for _, line in ipairs(shown(after)) do
      assert.truthy(has(real, steady(line)), "the lab's output shows " .. line .. "\n" .. out)
    end
  end)

  it("the lines typed in the REPL screenshot are accepted, with the output shown for them", function()
    local lab
    for _, b in ipairs(list) do lab = lab or b.text:match("bin/nslab repl (labs/[%w_.-]+)") end
    assert.is_string(lab, "the tour opens the REPL on a lab")
    local session
    for _, b in ipairs(list) do
      if b.lang == "text" and b.text:find("^nslab> ") then session = b.text end
    end
    assert.is_string(session, "a REPL screenshot (a text block starting with the prompt)")
    local inputs = {}
    for line in session:gmatch("[^\n]+") do
      local typed = line:match("^nslab> (.+)$")
      if typed then inputs[#inputs + 1] = typed end
    end
    assert.is_true(#inputs >= 3)
    local home = program.run("mktemp -d"):gsub("\n$", "")
    -- (its history goes to a home of its own)
    local out, code, err = program.run("HOME=" .. program.quote(home) .. " NO_COLOR=1 " ..
                                       program.quote(program.program) .. " repl " .. program.quote(lab),
                                       table.concat(inputs, "\n") .. "\n")
    program.run("rm -rf " .. program.quote(home))
    assert.equal(0, code, err)
    assert.is_nil(out:match("stdin:%d+:[^\n]*"), out:match("stdin:%d+:[^\n]*"))
    local real = steady(out)
    -- the output lines that do not depend on the run
    for line in session:gmatch("[^\n]+") do
      if not line:match("^nslab>") and not line:find("veth") then
        assert.truthy(has(real, steady(line)), "the REPL shows " .. line)
      end
    end
  end)
end)
