-- nslab.graph: the topology of the world as a Graphviz picture.
--
--   graph()                      -- the picture as text, for a terminal (the REPL prints it)
--   graph{ source = true }       -- the Graphviz dot source (returned)
--   graph{ svg = "lab.svg" }     -- rendered with `dot -Tsvg` (Debian graphviz)
--   graph{ png = "lab.png" }     -- or -Tpng; graph{ dot = "lab.dot" } writes the source
--
-- Each namespace is a box (a cluster): the host, every named one, and
-- every other namespace a process of the world is in (a container's; named
-- after its docker container when the lab's docker daemon knows it). Its
-- devices are nodes with their addresses (lo left out); a veth pair is an
-- edge between its two ends, a bridge port an edge to its bridge (drawn as
-- a switch), a macvlan or vxlan an edge to its parent. A namespace whose
-- nf_tables ruleset masquerades or rewrites addresses says "NAT" in its
-- title. Nothing is traced: graph only reads.
local core = require("nslab.core")
local netns = require("nslab.netns")

local M = {}

local OPTIONS = {
  svg = { type = "string", max = 4095, doc = "write the picture here as SVG (dot -Tsvg)" },
  png = { type = "string", max = 4095, doc = "write the picture here as PNG (dot -Tpng)" },
  dot = { type = "string", max = 4095, doc = "write the dot source here" },
  text = { type = "boolean", doc = "return the picture as text (boxes and arrows, for a terminal): the default" },
  source = { type = "boolean", doc = "return the Graphviz dot source instead of the text picture" },
}
M.OPTIONS = OPTIONS

-- A string as a dot quoted ID.
local function q(s)
  return '"' .. tostring(s):gsub('[\\"]', "\\%0"):gsub("\n", "\\n") .. '"'
end

-- The docker daemon the lab made, if any (read without making one).
local function docker_daemon()
  local docker = package.loaded["nslab.docker"]
  if type(docker) ~= "table" or type(docker.daemon) ~= "function" then return nil end
  for i = 1, 20 do
    local name, value = debug.getupvalue(docker.daemon, i)
    if name == nil then return nil end
    if name == "default" then return value end
  end
  return nil
end

-- Container names by PID, from the daemon.
local function container_names()
  local names = {}
  local daemon = docker_daemon()
  for name, c in pairs(daemon and daemon.containers or {}) do
    if c.pid then names[c.pid] = name end
  end
  return names
end

-- Every namespace of the world: {ns, label, close}, host first, then the
-- named ones, then those only processes are in.
local function namespaces()
  local host = netns.host()
  local list, seen = { { ns = host, label = "host" } }, { [host:inode()] = true }
  local names = core.netns_list()
  table.sort(names)
  for _, name in ipairs(names) do
    local ok, ns = pcall(netns.open, name)
    if ok and not seen[ns:inode()] then
      seen[ns:inode()] = true
      list[#list + 1] = { ns = ns, label = "netns " .. name, close = true }
    elseif ok then
      ns:close()
    end
  end
  local containers = container_names()
  -- the world's processes (it has a PID namespace and a /proc of its own)
  local numbers = {}
  local p = io.popen("ls /proc")
  for entry in p:lines() do numbers[#numbers + 1] = tonumber(entry:match("^%d+$")) end
  p:close()
  table.sort(numbers)
  for _, pid in ipairs(numbers) do
    -- (a process may have ended since: ls itself has)
    local read, link = pcall(core.readlink, "/proc/" .. pid .. "/ns/net")
    local inode = read and type(link) == "string" and tonumber(link:match("%[(%d+)%]"))
    if inode and not seen[inode] then
      local ok, ns = pcall(netns.open, { pid = pid })
      if ok then
        seen[inode] = true
        -- a process's namespace with nothing but lo is no part of the
        -- topology (a spec's fresh world leaves PID 1 in the old one),
        -- unless it is a container's ("docker run --network none")
        if containers[pid] or #ns:link_names() > 1 then
          local label = containers[pid] and "container " .. containers[pid] or "pid " .. pid
          list[#list + 1] = { ns = ns, label = label, close = true }
        else
          ns:close()
        end
      end
    end
  end
  return list
end
M.namespaces = namespaces -- (nslab.why walks the same world)

-- Does the ruleset of ns rewrite addresses?
local function nat_of(ns)
  local ok, text = pcall(require("nslab.nft").ruleset_text, ns)
  if not ok then return false end
  return text:find("masquerade", 1, true) or text:find(" snat ", 1, true) or text:find(" dnat ", 1, true)
end

-- The facts graph draws, per namespace: {label, nat, links, addrs}.
local function facts()
  local out = {}
  for i, entry in ipairs(namespaces()) do
    local ns = entry.ns
    local addrs = {}
    for _, a in ipairs(ns:addrs()) do
      if a.scope ~= "link" and a.scope ~= "host" then
        addrs[a.ifindex] = addrs[a.ifindex] or {}
        table.insert(addrs[a.ifindex], a["local"] .. "/" .. a.prefixlen)
      end
    end
    out[i] = { id = "n" .. i, label = entry.label, nat = nat_of(ns), links = ns:links(), addrs = addrs }
    if entry.close then ns:close() end
  end
  return out
end

-- The picture as data: spaces (label, nat, nodes: {id, name, kind,
-- addrs, down}) and edges ({a, b, kind}: "veth", "port" or the kind of a
-- device on its parent).
function M.model()
  local spaces = facts()
  local node = {} -- namespace index -> ifindex -> node
  for i, s in ipairs(spaces) do
    node[i], s.nodes = {}, {}
    for _, l in ipairs(s.links) do
      if l.ifname ~= "lo" then
        local n = { id = s.id .. "_" .. l.ifindex, name = l.ifname, kind = l.kind, space = s,
                    addrs = s.addrs[l.ifindex] or {}, down = l.operstate == "DOWN" }
        node[i][l.ifindex] = n
        s.nodes[#s.nodes + 1] = n
      end
    end
  end
  local edges, paired = {}, {}
  -- a veth pair: two veths whose link indexes point at each other; the
  -- other end in this namespace when ip names it, else in another
  for i, s in ipairs(spaces) do
    for _, l in ipairs(s.links) do
      local me = node[i][l.ifindex]
      if l.kind == "veth" and me and not paired[me] and l.link_index then
        local other
        if l.link and not l.link_netnsid then
          other = node[i][l.link_index]
        else
          for j, t in ipairs(spaces) do
            for _, m in ipairs(j ~= i and t.links or {}) do
              local them = node[j][m.ifindex]
              if not other and them and not paired[them] and m.kind == "veth" and m.ifindex == l.link_index
                 and m.link_index == l.ifindex then
                other = them
              end
            end
          end
        end
        if other and not paired[other] then
          paired[me], paired[other] = true, true
          edges[#edges + 1] = { a = me, b = other, kind = "veth" }
        end
      end
    end
  end
  for i, s in ipairs(spaces) do
    for _, l in ipairs(s.links) do
      local me = node[i][l.ifindex]
      if me and l.master_index and node[i][l.master_index] then
        edges[#edges + 1] = { a = me, b = node[i][l.master_index], kind = "port" }
      elseif me and l.kind ~= "veth" and l.link_index and not l.link_netnsid and node[i][l.link_index] then
        edges[#edges + 1] = { a = me, b = node[i][l.link_index], kind = l.kind or "link" }
      end
    end
  end
  return { spaces = spaces, edges = edges }
end

local function title(s) return s.label .. (s.nat and " (NAT)" or "") end
local function name_kind(n) return n.name .. (n.kind and " (" .. n.kind .. ")" or "") end

-- The dot source of the world now.
function M.dot(model)
  model = model or M.model()
  local lines = { "graph nslab {", "  rankdir=LR;", '  node [shape=box, fontname="monospace", fontsize=10];',
                  '  edge [fontname="monospace", fontsize=9];' }
  for _, s in ipairs(model.spaces) do
    lines[#lines + 1] = "  subgraph cluster_" .. s.id .. " {"
    lines[#lines + 1] = "    label=" .. q(title(s)) .. ";"
    lines[#lines + 1] = "    style=rounded;"
    for _, n in ipairs(s.nodes) do
      local text = { name_kind(n) }
      for _, a in ipairs(n.addrs) do text[#text + 1] = a end
      local attrs = { "label=" .. q(table.concat(text, "\n")) }
      if n.kind == "bridge" then attrs[#attrs + 1] = "shape=box3d" end
      if n.down then attrs[#attrs + 1] = "style=dashed" end
      lines[#lines + 1] = "    " .. q(n.id) .. " [" .. table.concat(attrs, ", ") .. "];"
    end
    -- Graphviz leaves an empty cluster out: say there is only lo
    if #s.nodes == 0 then lines[#lines + 1] = "    " .. q(s.id .. "_lo") .. ' [label="lo only", style=dotted];' end
    lines[#lines + 1] = "  }"
  end
  local STYLE = { veth = '[label="veth"]', port = '[style=bold, label="port"]' }
  for _, e in ipairs(model.edges) do
    lines[#lines + 1] = "  " .. q(e.a.id) .. " -- " .. q(e.b.id) .. " " ..
                        (STYLE[e.kind] or "[style=dotted, label=" .. q(e.kind) .. "]") .. ";"
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n") .. "\n"
end

-- The picture as text, for a terminal: each namespace, its devices with
-- their addresses, and where each one leads.
function M.text(model)
  model = model or M.model()
  local links = {}
  local function add(n, text)
    links[n] = links[n] or {}
    table.insert(links[n], text)
  end
  for _, e in ipairs(model.edges) do
    local where_b = e.b.space == e.a.space and e.b.name or e.b.space.label .. " " .. e.b.name
    local where_a = e.a.space == e.b.space and e.a.name or e.a.space.label .. " " .. e.a.name
    if e.kind == "veth" then
      add(e.a, "<-> " .. where_b)
      add(e.b, "<-> " .. where_a)
    elseif e.kind == "port" then
      add(e.a, "port of " .. where_b)
      add(e.b, "port " .. where_a)
    else
      add(e.a, "on " .. where_b)
    end
  end
  local out = {}
  for _, s in ipairs(model.spaces) do
    local rows, first, second = {}, 0, 0
    for _, n in ipairs(s.nodes) do
      local text = name_kind(n) .. (n.down and " DOWN" or "")
      if #n.addrs > 0 then text = text .. " " .. table.concat(n.addrs, " ") end
      local row = { text, table.concat(links[n] or {}, ", ") }
      rows[#rows + 1] = row
      first, second = math.max(first, #row[1]), math.max(second, #row[2])
    end
    local width = math.max(#title(s) + 2, first + (second > 0 and second + 2 or 0), 12)
    out[#out + 1] = "+- " .. title(s) .. " " .. string.rep("-", width - #title(s) - 1) .. "+"
    for _, row in ipairs(rows) do
      local line = row[1] .. (#row[2] > 0 and string.rep(" ", first - #row[1]) .. "  " .. row[2] or "")
      out[#out + 1] = "| " .. line .. string.rep(" ", width - #line) .. " |"
    end
    if #rows == 0 then out[#out + 1] = "| (lo only)" .. string.rep(" ", width - 9) .. " |" end
    out[#out + 1] = "+" .. string.rep("-", width + 2) .. "+"
  end
  return table.concat(out, "\n") .. "\n"
end

local function write(path, text)
  local f, why = io.open(path, "w")
  if not f then error("graph: " .. why, 0) end
  f:write(text)
  f:close()
end

-- Render dot source with Graphviz into path as format (svg, png).
local function render(source, format, path)
  local r = netns.host().handle:exec({ "sh", "-c", 'command -v dot >/dev/null && exec dot -T"$0" -o "$1"',
                                       format, path }, { input = source })
  if r.status == 127 or (r.status ~= 0 and r.stderr == "") then
    error("graph: dot is not installed (Debian package graphviz: apt-get install graphviz);"
          .. " graph{dot = FILE} writes the source without it", 0)
  end
  if r.status ~= 0 then error("graph: dot -T" .. format .. ": " .. r.stderr:gsub("\n$", ""), 0) end
end

-- graph([opts]): the world's picture as text (what a terminal shows);
-- opts.dot, opts.svg, opts.png: files to write it to, as Graphviz source or
-- rendered, and then the source is returned; opts.source: the source.
function M.graph(opts, ...)
  if select("#", ...) > 0 then
    error(string.format("graph: too many arguments (%d given, at most 1)", 1 + select("#", ...)), 0)
  end
  core.check_options(opts, "graph", nil, OPTIONS)
  opts = opts or {}
  local model = M.model()
  local source = M.dot(model)
  if opts.dot then write(opts.dot, source) end
  if opts.svg then render(source, "svg", opts.svg) end
  if opts.png then render(source, "png", opts.png) end
  local to_file = opts.dot or opts.svg or opts.png
  if opts.text or not (opts.source or to_file) then return M.text(model) end
  return source
end

-- `nslab graph LAB -o FILE`: run the lab at path quietly (args are its
-- arguments), then draw what it built into out, by its extension: .dot
-- the source, .svg or .png rendered, .txt the text picture; nil or "-":
-- the dot source on stdout. Returns the lab's status (2: it could not be
-- loaded, and nothing is drawn).
function M.lab_file(path, out, args)
  local ext = out and out ~= "-" and (out:match("%.(%w+)$") or "")
  if ext and not (ext == "txt" or ext == "dot" or ext == "svg" or ext == "png") then
    error("graph: " .. out .. ": the file's name must end in .dot, .svg, .png or .txt", 0)
  end
  local status = require("nslab.lab").run_file(path, args or {}, { writer = function() end })
  if status == 2 then return status end
  if not ext then
    io.stdout:write(M.graph())
  elseif ext == "txt" then
    write(out, M.graph{ text = true })
  else
    M.graph{ [ext] = out }
  end
  return status
end

return M
