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

  it("of a lab's own check and show: as of the API's; a long comment whole, in lines", function()
    local lab = require("nslab.lab")
    local env = {}
    lab.new({ writer = function() end, globals = env }):environment("x.lua", {})
    local text = help.text(env.check.reachable)
    assert.equal(help.text("check.reachable"), text)
    assert.truthy(has(text, "check.reachable(ns, target [, opts])\n"), text)
    -- the whole comment (the listing keeps its first sentence), no line past 78 columns
    assert.truthy(has(text:gsub("\n  ", " "), "Returns true when every check passed."), text)
    for line in text:match("^(.-)\n  returns"):gmatch("[^\n]+") do assert.is_true(#line <= 78, line) end
    assert.equal(help.text("view.show"), help.text(env.show))
  end)

  it("lists every declared function and method, with its declared arguments", function()
    local index = help.text()
    local prefixes = { netns = "netns.", Netns = "ns:", Link = "link:", bridge = "bridge.", Bridge = "br:",
                       Capture = "cap:", hosts = "hosts." }
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
    assert.equal("netns.add(name)\n  command: ip netns add NAME\n  returns: a Netns: the new namespace NAME\n", text)
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
    -- a Lua module's own options: docker run's, as docker.run checks them
    text = help.text(require("nslab.docker").run)
    assert.truthy(has(text, "  options (docker run):\n"), text)
    for key, spec in pairs(require("nslab.docker").RUN_OPTIONS) do
      assert.truthy(has(text, "    " .. key .. " (" .. spec.type .. "): " .. spec.doc), key)
    end
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
    -- a Docker container (it was "no help for a table value")
    local c = require("nslab.docker").run{ name = "helped", network = "none" }
    assert.truthy(has(help.text(c), "A Docker container"), help.text(c))
    assert.truthy(has(help.text(c), "  c:exec(cmd [, opts])"), help.text(c))
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

  describe("return values (nslab.help_returns)", function()
    local returns = require("nslab.help_returns")
    local check = require("nslab.check")

    -- Values made in a world for each entry that documents fields: a list
    -- of tables (or of lists of tables) whose keys, all together, must be
    -- the documented fields, no more and no fewer.
    local probes = {
      ["Netns:exec"] = function(a)
        return { a:exec("true"), a:exec("kill -KILL $$") }
      end,
      ["Netns:ping"] = function(a, b)
        local x, y = a:veth("x0", "y0", { peer_netns = b })
        x:addr_add("10.7.0.1/24"); y:addr_add("10.7.0.2/24"); x:up(); y:up()
        return { a:ping("10.7.0.2", { count = 5, replies = 1, timeout = 3 }),
                 a:ping("198.51.100.9", { timeout = 0.1 }) }
      end,
      ["Link:info"] = function(a, b)
        local br = a:bridge("br0")
        local p, q = a:veth("p0", "q0")
        br:attach(p)
        local x = a:veth("x0", "y0", { peer_netns = b })
        return { br:info(), p:info(), q:info(), x:info(), a:link("lo"):info() }
      end,
      ["Link:addrs"] = function(a, b)
        local x, y = a:veth("x0", "y0", { peer_netns = b })
        y:up()
        x:addr_add("10.7.0.1/24", { broadcast = true })
        x:addr_add("fd00::1/64", { nodad = true })
        x:addr_add("fd00::2/64", { wait = false }) -- down: tentative
        world.sh(a, "ip addr add 10.8.0.1 peer 10.8.0.2 dev x0")
        world.sh(a, "ip addr add 10.9.0.1/24 dev x0 valid_lft 100 preferred_lft 100")
        return x:addrs()
      end,
      ["Bridge:macs"] = function(a)
        local br = a:bridge("br0")
        local p = a:veth("p0", "q0")
        br:attach(p)
        br:up(); p:up()
        return br:macs()
      end,
      ["Bridge:show"] = function(a)
        local br = a:bridge("br0")
        br:attach((a:veth("p0", "q0")))
        return { br:show() }
      end,
      ["Chain:rules"] = function(a)
        local c = a:nft_table("ip", "f"):chain("in", { type = "filter", hook = "input", priority = 0 })
        -- (and c:rule's two values, as documented)
        local text, handle = c:rule("tcp dport 80 counter accept")
        assert.same({ "string", "number" }, { type(text), type(handle) })
        c:rule("ip saddr 192.0.2.1 drop")
        return c:rules()
      end,
      ["docker.run"] = function()
        local docker = nslab.docker
        docker.reset()
        return { docker.run{ name = "t1" }, docker.run{ name = "t2", publish = "8080:80" } }
      end,
      ["container.start"] = function(a)
        return { nslab.container.start{ name = "x", net = a } }
      end,
      ["check.mesh"] = function(a, b)
        local c = check.bind({ record = function(passed) return passed end })
        local _, failures = c.mesh({ { a, "198.51.100.1" }, { b, "198.51.100.2" } }, { count = 1, timeout = 0.1 })
        return failures
      end,
    }

    it("every documented field is in the value the call returns, and every key of it is documented", function()
      local n = 0
      for key, doc in pairs(returns.entries) do
        if doc.fields then
          local probe = probes[key]
          assert.is_function(probe, key .. " documents fields: help_spec needs a probe for it")
          world.fresh()
          local seen = {}
          for _, v in ipairs(probe(nslab.netns.add("a"), nslab.netns.add("b"))) do
            for k in pairs(v) do seen[k] = true end
          end
          local documented = {}
          for _, f in ipairs(doc.fields) do
            documented[f[1]] = true
            assert.is_true(seen[f[1]] == true, key .. ": documented field " .. f[1] .. " is in no value")
          end
          for k in pairs(doc.partial and {} or seen) do
            assert.is_true(documented[k] == true, key .. ": field " .. tostring(k) .. " is not documented")
          end
          n = n + 1
        end
      end
      assert.is_true(n >= 7)
    end)

    it("names only what help() lists, and shows it in help(x) and docs/api.md", function()
      local index, md = help.text(), help.markdown()
      for key, doc in pairs(returns.entries) do
        local text = help.text(key)
        assert.is_false(has(text, "nothing called"), key)
        if doc.returns then
          assert.truthy(has(text, "  returns: " .. doc.returns), key)
          assert.truthy(has(md, "Returns " .. doc.returns .. "."), key)
        end
        for _, f in ipairs(doc.fields or {}) do assert.truthy(has(text, "    " .. f[1] .. ": " .. f[2]), key) end
        if doc.options then assert.truthy(has(text, "  options (" .. doc.options), key) end
      end
      assert.truthy(has(index, "A socket"))
    end)

    it("documents every method of a socket, and no other", function()
      local a = nslab.netns.add("a")
      local s = a:udp_bind("127.0.0.1", 0)
      local methods = getmetatable(s).__index
      local documented = {}
      for _, m in ipairs(returns.socket) do
        documented[m[1]] = true
        assert.is_function(methods[m[1]], m[1])
        assert.truthy(has(help.text("s:" .. m[1]), "s:" .. m[1] .. m[2]), m[1])
      end
      for k in pairs(methods) do assert.is_true(documented[k] == true, "socket method " .. k) end
      -- the timeout's words, as the reference gives them
      local ok, err = pcall(s.recvfrom, s, 100, 0.05)
      assert.is_false(ok)
      assert.truthy(err:match("^udp recvfrom 127%.0%.0%.1:%d+ in netns a: timed out after 0%.05 s$"), err)
      s:close()
    end)
  end)

  it("is in a lab's and the REPL's globals, with show", function()
    local g = nslab.globals()
    assert.equal(help.help, g.help)
    assert.equal(require("nslab.view").show, g.show)
  end)
end)
