-- graph: the world's topology as Graphviz dot (namespaces as clusters,
-- devices with their addresses, veth pairs, bridge ports), rendered to SVG
-- with dot when Graphviz is installed; the SVG is checked with xmllint.
local world = require("spec.support.world")
local netns = require("nslab.netns")
local graph = require("nslab.graph")
local trace = require("nslab.trace")

local function has(text, plain) return text:find(plain, 1, true) ~= nil end

-- host [br0: port0] -- veth -- [eth0 10.0.0.2/24] test1; test1 [a] -- [b] test2
local function build()
  local host = netns.host()
  local test1, test2 = netns.add("test1"), netns.add("test2")
  local br = host:bridge("br0")
  local port = host:veth("port0", "eth0", { peer_netns = test1 })
  br:attach(port)
  test1:link("eth0"):addr_add("10.0.0.2/24")
  test1:veth("a", "b", { peer_netns = test2 })
  return host, test1, test2
end

-- The dot ID of the node whose label starts with name in source.
local function node_of(source, name)
  return source:match('"(n%d+_%d+)" %[label="' .. name:gsub("%p", "%%%0") .. '[ \\"]')
end

describe("graph", function()
  before_each(world.fresh)

  it("draws each namespace as a box with its devices and addresses", function()
    build()
    local source = graph.graph{ source = true }
    assert.truthy(source:find("^graph nslab {\n"))
    for _, label in ipairs{ 'label="host";', 'label="netns test1";', 'label="netns test2";' } do
      assert.truthy(has(source, label), label)
    end
    assert.truthy(has(source, 'label="eth0 (veth)\\n10.0.0.2/24"'))
    assert.truthy(has(source, 'label="br0 (bridge)", shape=box3d'))
    assert.is_false(has(source, 'label="lo'))
  end)

  it("joins the two ends of each veth pair and each port to its bridge", function()
    build()
    local source = graph.graph{ source = true }
    local port, eth0, br = node_of(source, "port0"), node_of(source, "eth0"), node_of(source, "br0")
    local a, b = node_of(source, "a"), node_of(source, "b")
    assert.is_not_nil(port and eth0 and br and a and b, source)
    assert.truthy(has(source, ('"%s" -- "%s" [label="veth"]'):format(port, eth0)), source)
    assert.truthy(has(source, ('"%s" -- "%s" [label="veth"]'):format(a, b)), source)
    assert.truthy(has(source, ('"%s" -- "%s" [style=bold, label="port"]'):format(port, br)), source)
    local _, veths = source:gsub('%[label="veth"%]', "")
    assert.equal(2, veths)
  end)

  it("names a container's namespace and says NAT where the ruleset rewrites", function()
    local docker = require("nslab.docker")
    docker.reset()
    docker.run{ name = "g1" }
    local source = graph.graph{ source = true }
    assert.truthy(has(source, 'label="container g1";'), source)
    assert.truthy(has(source, 'label="host (NAT)";'), source)
    docker.rm("g1", true)
    docker.reset()
  end)

  it("as text: a box per namespace, each device with its addresses and where it leads", function()
    build()
    local text = graph.graph{ text = true }
    assert.equal(text, graph.graph()) -- the default: what the REPL prints
    local lines = {}
    for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
    assert.truthy(lines[1]:find("^%+%- host %-+%+$"), lines[1])
    local top
    for _, line in ipairs(lines) do
      if line:find("^%+%- ") then top = #line end
      assert.equal(top, #line, "every line of a box is as wide as its top: " .. line)
    end
    -- (nothing is up: DOWN says so)
    assert.truthy(text:find("| br0 %(bridge%) DOWN +port port0 +|"), text)
    assert.truthy(text:find("| port0 %(veth%) DOWN +<%-> netns test1 eth0, port of br0 |"), text)
    assert.truthy(text:find("| eth0 %(veth%) DOWN 10%.0%.0%.2/24 +<%-> host port0 +|"), text)
    assert.truthy(text:find("| b %(veth%) DOWN +<%-> netns test1 a +|"), text)
  end)

  it("only reads: it traces nothing", function()
    build()
    local before = #trace.history
    graph.graph()
    assert.equal(before, #trace.history)
  end)

  it("renders SVG with dot that names every namespace and device", function()
    local host, test1, test2 = build()
    local file = os.tmpname()
    local ok, why = pcall(graph.graph, { svg = file })
    if not ok and tostring(why):find("dot is not installed", 1, true) then
      os.remove(file)
      pending(tostring(why))
      return
    end
    assert.is_true(ok, why)
    local lint = host:exec({ "xmllint", "--noout", file })
    if lint.status == 127 then
      pending("xmllint is not installed (Debian libxml2-utils)")
    else
      assert.equal(0, lint.status, lint.stderr)
    end
    local f = assert(io.open(file))
    local svg = f:read("a")
    f:close()
    os.remove(file)
    assert.truthy(svg:find("<svg", 1, true))
    for _, text in ipairs{ "host", "netns test1", "netns test2" } do assert.truthy(has(svg, ">" .. text), text) end
    for _, ns in ipairs{ host, test1, test2 } do
      for _, name in ipairs(ns:link_names()) do
        if name ~= "lo" then assert.truthy(has(svg, name), name) end
      end
    end
  end)

  it("draws what a lab built (nslab graph LAB -o FILE)", function()
    local file = os.tmpname()
    local dot = file .. ".dot"
    assert.equal(0, graph.lab_file("labs/veth.lua", dot))
    local f = assert(io.open(dot))
    local source = f:read("a")
    f:close()
    os.remove(dot)
    os.remove(file)
    assert.truthy(has(source, 'label="netns test1";'), source)
    assert.truthy(has(source, '[label="veth"]'), source)
    assert.has_error(function() graph.lab_file("labs/veth.lua", "x.jpeg") end,
                     "graph: x.jpeg: the file's name must end in .dot, .svg, .png or .txt")
  end)

  it("renders every shipped lab to well-formed SVG naming every namespace and device", function()
    local host = netns.host()
    if host:exec({ "sh", "-c", "command -v dot && command -v xmllint" }).status ~= 0 then
      pending("dot (graphviz) or xmllint (libxml2-utils) is not installed")
      return
    end
    local labs = {}
    local p = io.popen("ls labs/*.lua")
    for path in p:lines() do
      if path ~= "labs/scale.lua" then labs[#labs + 1] = path end -- scale: 200 namespaces, drawn by hand
    end
    p:close()
    assert.is_true(#labs >= 16)
    local file = os.tmpname()
    for _, path in ipairs(labs) do
      world.fresh()
      require("nslab.docker").reset()
      assert.is_true(graph.lab_file(path, file .. ".svg") ~= 2, path)
      local lint = netns.host():exec({ "xmllint", "--noout", file .. ".svg" })
      assert.equal(0, lint.status, path .. ": " .. lint.stderr)
      local f = assert(io.open(file .. ".svg"))
      local svg = f:read("a")
      f:close()
      -- named independently of graph: ip netns list, ip -j link in each
      local spaces = { { nil, "host" } }
      for name in world.sh(nil, "ip netns list"):gmatch("(%S+)[^\n]*\n") do
        spaces[#spaces + 1] = { netns.open(name), "netns " .. name }
      end
      -- (Graphviz writes "-" as "&#45;")
      local function in_svg(text) return has(svg, ">" .. text:gsub("%-", "&#45;")) end
      for _, space in ipairs(spaces) do
        assert.truthy(in_svg(space[2]), path .. ": " .. space[2])
        for _, l in ipairs(world.ip_json(space[1], "link")) do
          if l.ifname ~= "lo" then assert.truthy(in_svg(l.ifname), path .. ": " .. l.ifname) end
        end
      end
    end
    os.remove(file .. ".svg")
    os.remove(file)
  end)

  it("refuses options it does not know and extra arguments", function()
    assert.has_error(function() graph.graph{ svgg = "x" } end, "graph: invalid option 'svgg'")
    assert.has_error(function() graph.graph({}, 1) end, "graph: too many arguments (2 given, at most 1)")
  end)
end)
