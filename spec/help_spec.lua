-- help: help() lists the API by topic and help(x) tells of one function,
-- object or method, all generated from what the code declares (the
-- classes' tables, api.declared, core.options(), the comments above each
-- definition); docs/api.md is the same text (tools/gen-api-docs).
local world = require("spec.support.world")
local nslab = require("nslab")
local help = require("nslab.help")
local api = require("nslab.api")
local core = require("nslab.core")

local function read(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("a")
  f:close()
  return text
end

local function has(text, plain) return text:find(plain, 1, true) ~= nil end

describe("help", function()
  before_each(world.fresh)

  it("docs/api.md is what tools/gen-api-docs makes now (run it after changing the API)", function()
    assert.equal(help.markdown(), read("docs/api.md"))
  end)

  it("lists every declared function and method, with its declared arguments", function()
    local index = help.text()
    local prefixes = { netns = "netns.", Netns = "ns:", Link = "link:", bridge = "bridge.", Bridge = "br:",
                       Capture = "cap:" }
    local n = 0
    for noun, list in pairs(api.declared) do
      for name, decl in pairs(list) do
        local line = index:match("\n  (" .. prefixes[noun]:gsub("%.", "%%.") .. name .. "%([^\n]*)")
        assert.is_not_nil(line, noun .. "." .. name)
        for _, a in ipairs(decl) do assert.truthy(has(line, a[1]), line .. " names " .. a[1]) end
        n = n + 1
      end
    end
    assert.is_true(n > 50)
    for _, title in ipairs{ "nf_tables table", "docker module", "Checks", "Views" } do
      assert.truthy(has(index, title), title)
    end
  end)

  it("of a function: signature, description and equivalent command", function()
    local text = help.text(nslab.netns.add)
    assert.equal("netns.add(name)\n  command: ip netns add NAME\n", text)
    text = help.text(nslab.link.Link.addr_add)
    assert.truthy(has(text, "link:addr_add(prefix [, opts])\n"))
    assert.truthy(has(text, "  command: ip addr add PREFIX dev NAME [brd +]\n"))
    -- every option the core declares for addr add, with its doc
    for key, spec in pairs(core.options()["addr add"]) do
      assert.truthy(has(text, "    " .. key .. " (" .. spec.type .. "): " .. spec.doc), key)
    end
    text = help.text(nslab.netns.Netns.veth)
    assert.truthy(has(text, "command: ip link add NAME [netns NS1] type veth peer name PEER [netns NS2]"))
    assert.equal(help.text(nslab.netns.Netns.veth), help.text("Netns:veth"))
    assert.equal(help.text(nslab.netns.Netns.veth), help.text("ns:veth"))
  end)

  it("of an object: its class's methods", function()
    local host = nslab.netns.host()
    local text = help.text(host)
    assert.truthy(has(text, "A namespace"))
    assert.truthy(has(text, "  ns:veth(name, peer [, opts])"))
    local a = host:veth("a0", "a1")
    assert.truthy(has(help.text(a), "  link:addr_add(prefix [, opts])"))
    local br = host:bridge("br0")
    assert.truthy(has(help.text(br), "  br:attach(port)"))
    assert.truthy(has(help.text(host:nft_table("ip", "t")), "  t:chain(name [, opts])"))
  end)

  it("of the core: each binding's functions, methods and option sets", function()
    local text = help.text("core")
    for name, b in pairs(core.bindings()) do
      assert.truthy(has(text, "  " .. name .. ": "), name)
      for _, f in ipairs(b.functions or {}) do assert.truthy(has(text, "core." .. f), f) end
    end
  end)

  it("of a value with a view: what its view shows", function()
    local text = help.text(nslab.netns.host():links()[1])
    assert.truthy(text:find("^A link: `ip %-br link` as text"), text)
    assert.truthy(has(text, "show(x) prints it; show(x, {json = true}) as JSON"))
  end)

  it("says when there is nothing to tell, and refuses extra arguments", function()
    assert.equal('help: nothing called "nosuch" (help() lists the API)\n', help.text("nosuch"))
    assert.equal("help: no help for a number value (help() lists the API)\n", help.text(42))
    assert.has_error(function() help.help(1, 2) end, "help: too many arguments (2 given, at most 1)")
  end)

  it("is in a lab's and the REPL's globals, with show", function()
    local g = nslab.globals()
    assert.equal(help.help, g.help)
    assert.equal(require("nslab.view").show, g.show)
  end)
end)
