-- nslab.help: help() and the API reference, generated from what the code
-- declares, not written per object:
--
--   help()                 -- the API by topic, one line a function
--   help(netns.add)        -- a function: signature, what it does, its command
--   help(host)             -- an object: its class's methods
--   help "Link:addr_add"   -- by name; help "Link" a topic
--
-- Where each part comes from: the functions and methods are the modules'
-- and classes' own tables (and core.bindings() for nslab.core); the
-- signature is api.declared's (nslab.api) or, for a function not declared
-- there, its parameters as Lua knows them; an options argument lists the
-- options core.options() (or the module) declares for its op, with their
-- docs; the one-line description and the equivalent command are the
-- comment above the function's definition in its source, whose first line
-- names the command (`-- ip link set dev NAME up`), and otherwise the
-- command of the declared op (trace's words: "link set" is `ip link set`).
-- help.markdown() is docs/api.md (tools/gen-api-docs; help_spec keeps the
-- two equal).
local core = require("nslab.core")

local help = {}

local view_description -- below

---------------------------------------------------------------- sources

-- The function an api.declare wrapper stands for (its upvalue fn).
local function original(fn)
  local info = debug.getinfo(fn, "S")
  if not info.source:find("nslab/api%.lua$") then return fn end
  for i = 1, 10 do
    local name, value = debug.getupvalue(fn, i)
    if name == nil then break end
    if name == "fn" and type(value) == "function" then return value end
  end
  return fn
end

local files = {}

-- The lines of a Lua source file, cached; {} when it cannot be read.
local function lines_of(source)
  if files[source] then return files[source] end
  local lines = {}
  local path = source:match("^@(.*)$")
  local f = path and io.open(path, "r")
  if f then
    for line in f:lines() do lines[#lines + 1] = line end
    f:close()
  end
  files[source] = lines
  return lines
end

-- The comment block right above fn's definition, as a list of lines.
local function comment_of(fn)
  fn = original(fn)
  local info = debug.getinfo(fn, "S")
  if info.what ~= "Lua" then return {} end
  local lines = lines_of(info.source)
  local out = {}
  local i = info.linedefined - 1
  while i >= 1 do
    local text = lines[i]:match("^%s*%-%-%s?(.*)$")
    if text == nil or text:match("^%-%-%-%-") then break end
    table.insert(out, 1, text)
    i = i - 1
  end
  return out
end

-- The words a command starts with: the tools nslab's trace prints.
local TOOLS = { ip = true, nft = true, bridge = true, brctl = true, sysctl = true, docker = true,
                ping = true, unshare = true, nsenter = true, ["ls"] = true, ["kill"] = true }

-- The command of a declared op, in the words trace prints (only the ops
-- that are a command of their own).
local OP_COMMANDS = {
  ["netns add"] = "ip netns add", ["netns delete"] = "ip netns delete", ["netns list"] = "ip netns list",
  ["netns exec"] = "ip netns exec", ["netns identify"] = "ip netns identify",
  ["link add"] = "ip link add", ["link set"] = "ip link set", ["link show"] = "ip link show",
  ["link delete"] = "ip link delete", ["addr add"] = "ip addr add", ["addr del"] = "ip addr del",
  ["addr show"] = "ip addr show", ["route add"] = "ip route add", ["route del"] = "ip route del",
  ["route show"] = "ip route show", ["route get"] = "ip route get", ["neigh add"] = "ip neigh replace",
  ["neigh del"] = "ip neigh del", ["neigh show"] = "ip neigh show", ["fdb add"] = "bridge fdb replace",
  ["fdb del"] = "bridge fdb del", ["tuntap add"] = "ip tuntap add", ["bridge show"] = "brctl show",
  ["bridge fdb"] = "brctl showmacs", ["sysctl"] = "sysctl -w", ["ping"] = "ping",
}

-- Text with a capital when it starts with a word.
local function capital(text)
  if text:match("^%l+ ") then return (text:gsub("^%l", string.upper)) end
  return text
end

-- The first sentence of text, on one line, with a capital.
local function sentence(text)
  text = capital(text:gsub("%s+", " "):gsub("^ ", ""))
  local cut = text:find("%. ") or text:find("%.$")
  if cut then text = text:sub(1, cut) end
  if #text > 100 then text = text:sub(1, 97):gsub(" %S*$", "") .. "..." end
  return text
end

-- Where the command at the start of text ends: at the first ": ", ". ",
-- "; ", ", " or " (" outside brackets ([{ type T; policy P; }] is one),
-- or at the end of the comment's first line (first) when no bracket is open.
local function command_end(text, first)
  local depth = 0
  for i = 1, #text do
    local c, two = text:sub(i, i), text:sub(i, i + 1)
    if i == first + 1 and depth == 0 then return i end
    if c == "[" or c == "{" then
      depth = depth + 1
    elseif c == "]" or c == "}" then
      depth = math.max(depth - 1, 0)
    elseif depth == 0 and (two == ": " or two == ". " or two == "; " or two == ", " or two == " (") then
      return i
    end
  end
  return #text + 1
end

-- {command, description} from fn's comment: a comment that starts with a
-- command (`ip link set dev NAME up`, or one in backquotes) names it up to
-- the first ": ", ". ", "; ", ", " or " ("; what follows is the
-- description. Otherwise the op's command, and the comment's first sentence.
local function describe(fn, op, name)
  local comment = comment_of(fn)
  -- a comment that starts with the call itself ("check.mesh(nodes [, opts]): ...")
  -- goes on with what it does, not with a command
  local called = false
  if comment[1] and name then
    local call = comment[1]:match("^[%w_.:]*" .. name .. "%b()[:,]?%s*")
    if call then comment[1], called = comment[1]:sub(#call + 1), true end
  end
  local text = table.concat(comment, " "):gsub("%s+", " ")
  local quoted, after = text:match("^`([^`]+)`(.*)$")
  local first = (quoted or text):match("^(%S+)")
  if first and TOOLS[first] and (quoted or not called) then
    if quoted then
      local rest = after:gsub("^[%s:,;]+", "")
      return quoted, sentence(rest), text, true, rest
    end
    local cut = command_end(text, #(comment[1]:gsub("%s+", " ")))
    local command = text:sub(1, cut - 1):gsub("([^.])%.$", "%1")
    local rest = text:sub(cut):gsub("^[%s:.;,]+", "")
    return command, sentence(rest), text, true, rest
  end
  return OP_COMMANDS[op], sentence(text), text, false, text
end

---------------------------------------------------------------- signatures

-- The parameter names of a Lua function (after self for a method).
local function params(fn, method)
  fn = original(fn)
  local info = debug.getinfo(fn, "u")
  local names = {}
  for i = 1, info.nparams do
    local name = debug.getlocal(fn, i)
    if not (method and i == 1 and name == "self") then names[#names + 1] = name end
  end
  if info.isvararg and #names == 0 then names[1] = "..." end
  return names
end

-- "(prefix [, opts])" from a declaration, else from the parameters.
local function signature(fn, decl, method)
  local args = {}
  if decl then
    for _, a in ipairs(decl) do
      args[#args + 1] = { a[1], a[2].required }
    end
    if decl.rest then args[#args + 1] = { "...", false } end
  else
    -- an options table, a check's description and detail may be left out
    local optional = { opts = true, description = true, detail = true }
    for _, name in ipairs(params(fn, method)) do args[#args + 1] = { name, not optional[name] } end
  end
  local text, optional = "", 0
  for i, a in ipairs(args) do
    local sep = i > 1 and ", " or ""
    if a[2] then
      text = text .. sep .. a[1]
    else
      text = text .. " [" .. sep .. a[1]
      optional = optional + 1
    end
  end
  return "(" .. text:gsub("^ ", "") .. string.rep("]", optional) .. ")"
end

---------------------------------------------------------------- topics

local function sorted_functions(t)
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and type(v) == "function" and not k:match("^__") and not k:match("^_") then
      names[#names + 1] = k
    end
  end
  table.sort(names)
  return names
end

local function own_functions(class, base)
  local names = {}
  for _, k in ipairs(sorted_functions(class)) do
    if not base or rawget(base, k) ~= class[k] then names[#names + 1] = k end
  end
  return names
end

-- The topics, in order: {name, title, prefix, names, get(name), decl, method, ops}.
local topics

-- What the code cannot say where help reads it (nslab.help_returns).
local returns = require("nslab.help_returns")

local function socket_names()
  local names = {}
  for i, m in ipairs(returns.socket) do names[i] = m[1] end
  return names
end

local function load_topics()
  if topics then return topics end
  local nslab = require("nslab")
  local api = require("nslab.api")
  local nft = require("nslab.nft")
  local check = require("nslab.check")
  local checks = check.bind({ record = function() return true end })
  local view = require("nslab.view")
  local function of(t) return function(name) return t[name] end end
  local function topic(name, title, prefix, t, decl, method, names)
    return { name = name, title = title, prefix = prefix, names = names or sorted_functions(t), get = of(t),
             decl = decl, method = method, class = method and t or nil }
  end
  local Bridge = nslab.bridge.Bridge
  local bridge_methods = {}
  for k, v in pairs(Bridge) do bridge_methods[k] = v end
  local list = {
    topic("netns", "Namespaces: the netns module", "netns.", nslab.netns, api.declared.netns),
    topic("Netns", "A namespace (host, netns.add \"a\"): its methods", "ns:", nslab.netns.Netns,
          api.declared.Netns, true),
    topic("Link", "A device of a namespace (ns:link \"eth0\", ns:veth(...))", "link:", nslab.link.Link,
          api.declared.Link, true),
    topic("bridge", "Bridges: the bridge module", "bridge.", nslab.bridge, api.declared.bridge),
    topic("Bridge", "A bridge (ns:bridge \"br0\"): a Link, and these", "br:", bridge_methods,
          api.declared.Bridge, true, own_functions(Bridge, nslab.link.Link)),
    topic("Table", "An nf_tables table (ns:nft_table(family, name))", "t:", nft.Table, nil, true),
    topic("Chain", "An nf_tables chain (t:chain(name, opts))", "c:", nft.Chain, nil, true),
    topic("docker", "Docker's networking, modelled: the docker module", "docker.", nslab.docker),
    topic("hosts", "Several machines in one lab: the hosts module", "hosts.", nslab.hosts, api.declared.hosts),
    topic("container", "Container processes: the container module", "container.", nslab.container),
    topic("Container", "A container process (container.start{...})", "ct:", nslab.container.Container, nil, true),
    topic("DockerContainer", "A Docker container (docker.run{...}): its fields are docker.run's", "c:",
          nslab.docker.Container, nil, true),
    topic("Capture", "A capture (link:capture{filter = \"tcp port 80\"})", "cap:", require("nslab.capture").Capture,
          api.declared.Capture, true),
    { name = "Socket", title = "A socket (ns:tcp_listen, ns:tcp_connect, ns:udp_bind, ns:udp_send)",
      prefix = "s:", names = socket_names(), get = function() return nil end, socket = true, method = true },
    topic("check", "Checks (in a lab): each prints PASS or FAIL", "check.", checks),
    topic("view", "Views: show(x), x:view(), nslab.view", "view.", view, nil, false,
          { "render", "show", "text", "json", "data", "has" }),
    topic("graph", "Pictures: graph() (Graphviz)", "graph.", require("nslab.graph"), nil, false, { "graph", "dot" }),
    topic("help", "This help", "help.", help, nil, false, { "help", "text", "markdown" }),
  }
  list[5].class = Bridge
  -- docker.run(...) and the others call the default daemon's method
  local Daemon = nslab.docker.Daemon
  list[8].source = function(name) return Daemon[name] or nslab.docker[name] end
  topics = list
  return topics
end

-- A Socket method's entry (a C function: its text is nslab.help_returns').
local function socket_entry(t, name)
  for _, m in ipairs(returns.socket) do
    if m[1] == name then
      local text = capital(m[3]) .. "."
      if m[2]:find("timeout", 1, true) then text = text .. " " .. returns.socket_timeout(m[1]) end
      return { name = t.prefix .. name, signature = t.prefix .. name .. m[2], description = text, full = text }
    end
  end
end

-- One entry: {name, signature, command, description, options, returns,
-- fields}.
local function entry(t, name)
  if t.socket then return socket_entry(t, name) end
  local key = t.name .. (t.method and ":" or ".") .. name
  local extra = returns.entries[key] or {}
  local fn = t.source and t.source(name) or t.get(name)
  local decl = t.decl and t.decl[name]
  local command, description, full, starts_with_command, body = describe(fn, decl and decl.op, name)
  if (full or "") == "" and extra.doc then
    local call = extra.doc:match("^[%w_.:]*" .. name .. "%b():%s*") or ""
    full = extra.doc:sub(#call + 1)
    description, body = sentence(full), full
  end
  local full_text = (full or ""):gsub("^%s+", ""):gsub("%s+$", "")
  -- (a comment that starts with its command keeps the command's case)
  if not starts_with_command then full_text = capital(full_text) end
  local options
  if decl then
    for _, a in ipairs(decl) do
      if a[1] == "opts" or a[1] == "changes" then
        local spec = core.options()[decl.op]
        if spec then options = { op = decl.op, spec = spec } end
      end
    end
  end
  if extra.options then options = { op = extra.options, spec = core.options()[extra.options] } end
  if extra.lua_options then -- a Lua module's own option set: {op, module, field}
    local o = extra.lua_options
    options = { op = o[1], spec = require(o[2])[o[3]] }
  end
  return { name = t.prefix .. name, signature = t.prefix .. name .. signature(fn, decl, t.method or
                                                                               fn ~= t.get(name)),
           command = command, description = description, options = options,
           full = full_text, body = capital((body or ""):gsub("^%s+", ""):gsub("%s+$", "")),
           returns = extra.returns, fields = extra.fields, more = extra.more }
end

-- "name: what" for each documented field of an entry.
local function field_lines(e)
  local out = {}
  for _, f in ipairs(e.fields or {}) do out[#out + 1] = f[1] .. ": " .. f[2] end
  return out
end

-- "key (type): doc" for each option of an entry, sorted.
local function option_lines(options)
  local keys = {}
  for k in pairs(options.spec) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local s = options.spec[k]
    out[#out + 1] = string.format("%s (%s)%s", k, s.type, s.doc and ": " .. s.doc or "")
  end
  return out
end

---------------------------------------------------------------- the core

-- The core's bindings, as topics of their own: functions, methods and the
-- option sets each declares.
local function core_lines()
  local bindings = core.bindings()
  local names = {}
  for name in pairs(bindings) do names[#names + 1] = name end
  table.sort(names)
  local out = {}
  for _, name in ipairs(names) do
    local b = bindings[name]
    local fns, methods, sets = {}, {}, {}
    for _, f in ipairs(b.functions or {}) do fns[#fns + 1] = "core." .. f end
    for _, m in ipairs(b.methods or {}) do methods[#methods + 1] = "handle:" .. m end
    for _, o in ipairs(b.options or {}) do sets[#sets + 1] = o end
    table.sort(fns)
    table.sort(methods)
    out[#out + 1] = { name = name, functions = fns, methods = methods, options = sets }
  end
  return out
end

---------------------------------------------------------------- text

local function pad(text, width)
  if #text >= width then return text .. "  " end
  return text .. string.rep(" ", width - #text)
end

-- help(): every topic, one line a function: signature, command.
function help.index()
  local out = { "nslab: the API by topic. help(x) for a function, an object or a method;",
                "help \"Link\" for a topic, help \"core\" for nslab.core.", "" }
  for _, t in ipairs(load_topics()) do
    out[#out + 1] = t.title
    for _, name in ipairs(t.names) do
      local e = entry(t, name)
      out[#out + 1] = "  " .. pad(e.signature, 44) .. (e.command or e.description)
    end
    out[#out + 1] = ""
  end
  out[#out + 1] = "In a lab and at the prompt: show = view.show, graph = graph.graph, help = help.help."
  return table.concat(out, "\n") .. "\n"
end

-- text in lines of at most width columns (a longer word alone), each
-- after indent.
local function wrapped(text, indent, width)
  local lines, line = {}, nil
  for word in text:gmatch("%S+") do
    if line and #line + 1 + #word > width then
      lines[#lines + 1] = indent .. line
      line = word
    else
      line = line and line .. " " .. word or word
    end
  end
  if line then lines[#lines + 1] = indent .. line end
  return table.concat(lines, "\n")
end

-- help(fn): the whole comment, as the API reference has it (the listing
-- keeps to its first sentence).
local function entry_text(e)
  local out = { e.signature }
  -- (after its command, which has a line of its own; a body that goes on
  -- from the command's words, "(or a list ...)", keeps them)
  local body = e.body or "" -- (a socket's entry has none)
  local text = body:match("^%(") and e.full or body ~= "" and body or e.description
  if text ~= "" then out[#out + 1] = wrapped(text, "  ", 76) end
  if e.command then out[#out + 1] = "  command: " .. e.command end
  if e.returns then out[#out + 1] = "  returns: " .. e.returns end
  if e.fields then
    out[#out + 1] = "  fields:"
    for _, line in ipairs(field_lines(e)) do out[#out + 1] = "    " .. line end
  end
  if e.options then
    out[#out + 1] = "  options (" .. e.options.op .. (e.more and "; and " .. e.more or "") .. "):"
    for _, line in ipairs(option_lines(e.options)) do out[#out + 1] = "    " .. line end
  elseif e.more then
    out[#out + 1] = "  " .. capital(e.more) .. "."
  end
  return table.concat(out, "\n") .. "\n"
end

local function topic_text(t)
  local out = { t.title }
  for _, name in ipairs(t.names) do
    local e = entry(t, name)
    out[#out + 1] = "  " .. pad(e.signature, 44) .. (e.command or e.description)
  end
  return table.concat(out, "\n") .. "\n"
end

local function core_text()
  local out = { "nslab.core: the C core's bindings (core.bindings(), core.options())" }
  for _, b in ipairs(core_lines()) do
    out[#out + 1] = "  " .. b.name .. ": " .. table.concat(b.functions, ", ") ..
                    ((#b.functions > 0 and #b.methods > 0) and ", " or "") .. table.concat(b.methods, ", ")
    if #b.options > 0 then out[#out + 1] = "    options: " .. table.concat(b.options, "; ") end
  end
  return table.concat(out, "\n") .. "\n"
end

-- Functions made for a lab that stand for one of the API (its check.*
-- bound to the lab's runner, its show): help(fn) is help of that name.
local aliases = setmetatable({}, { __mode = "k" })
function help.alias(fn, name) aliases[fn] = name end

-- Where x is: {topic, name} for a function, the topic for a class, an
-- object or a topic name.
local function find(x)
  if aliases[x] then x = aliases[x] end
  for _, t in ipairs(load_topics()) do
    if type(x) == "function" then
      for _, name in ipairs(t.names) do
        if t.get(name) == x then return t, name end
      end
    elseif type(x) == "string" then
      if x == t.name then return t end
      local tn, sep, name = x:match("^(%w+)([:.])([%w_]+)$")
      if tn == t.name or (sep and t.prefix == tn .. sep) then
        for _, n in ipairs(t.names) do if n == name then return t, n end end
      end
    elseif type(x) == "table" and t.class and (getmetatable(x) == t.class or x == t.class) then
      return t
    end
  end
  return nil
end

-- The text help(x) prints.
function help.text(x)
  if x == nil then return help.index() end
  if x == "core" or x == core then return core_text() end
  local t, name = find(x)
  if t and name then return entry_text(entry(t, name)) end
  if t then return topic_text(t) end
  if type(x) == "string" then
    return string.format("help: nothing called %q (help() lists the API)\n", x)
  end
  local view = require("nslab.view")
  local kind = view.kind_of(x)
  if kind then
    return capital(view_description(kind.name)) .. "\n  show(x) prints it; show(x, {json = true}) as JSON\n"
  end
  return "help: no help for a " .. type(x) .. " value (help() lists the API)\n"
end

-- help([x]): print the help on stdout.
function help.help(x, ...)
  if select("#", ...) > 0 then
    error(string.format("help: too many arguments (%d given, at most 1)", 1 + select("#", ...)), 0)
  end
  io.stdout:write(help.text(x))
  io.stdout:flush()
end

-- What nslab/view/NAME.lua says its view is (its leading comment).
view_description = function(name)
  local path = package.searchpath("nslab.view." .. name, package.path)
  local text = {}
  for _, line in ipairs(path and lines_of("@" .. path) or {}) do
    local c = line:match("^%-%-%s?(.*)$")
    if not c then break end
    text[#text + 1] = c
  end
  return (table.concat(text, " "):gsub("%s+", " "):gsub("^The view of ", ""))
end

---------------------------------------------------------------- markdown

-- docs/api.md: every topic, every entry in full.
function help.markdown()
  local out = { "# nslab API reference", "",
                "Generated by `tools/gen-api-docs` from what the code declares (the same text as",
                "`help()`); `spec/help_spec.lua` checks that this file is up to date.", "" }
  for _, t in ipairs(load_topics()) do
    out[#out + 1] = "## " .. t.title
    out[#out + 1] = ""
    for _, name in ipairs(t.names) do
      local e = entry(t, name)
      out[#out + 1] = "### `" .. e.signature .. "`"
      out[#out + 1] = ""
      if e.full ~= "" then
        out[#out + 1] = e.full
        out[#out + 1] = ""
      end
      if e.command then
        out[#out + 1] = "Command: `" .. e.command .. "`"
        out[#out + 1] = ""
      end
      if e.returns then
        out[#out + 1] = "Returns " .. e.returns .. "."
        out[#out + 1] = ""
      end
      if e.fields then
        out[#out + 1] = "Fields:"
        out[#out + 1] = ""
        for _, f in ipairs(e.fields) do out[#out + 1] = "- `" .. f[1] .. "`: " .. f[2] end
        out[#out + 1] = ""
      end
      if e.options then
        out[#out + 1] = "Options (`" .. e.options.op .. "`" .. (e.more and "; and " .. e.more or "") .. "):"
        out[#out + 1] = ""
        for _, line in ipairs(option_lines(e.options)) do out[#out + 1] = "- " .. line end
        out[#out + 1] = ""
      elseif e.more then
        out[#out + 1] = capital(e.more) .. "."
        out[#out + 1] = ""
      end
    end
  end
  out[#out + 1] = "## What show(x) prints: the views"
  out[#out + 1] = ""
  out[#out + 1] = "`show(x)` prints the view of x as text, `show(x, {json = true})` as JSON (`pretty = true`:"
  out[#out + 1] = "indented); `x:view(opts)` and `nslab.view.render(x, opts)` return it. A Lua array of them is a list."
  out[#out + 1] = "Each kind of value and what its view shows (nslab/view/KIND.lua):"
  out[#out + 1] = ""
  for _, name in ipairs(require("nslab.view").KIND_NAMES) do
    out[#out + 1] = "- **" .. name .. "**: " .. view_description(name)
  end
  out[#out + 1] = ""
  out[#out + 1] = "## nslab.core"
  out[#out + 1] = ""
  for _, b in ipairs(core_lines()) do
    out[#out + 1] = "- **" .. b.name .. "**: " .. table.concat(b.functions, ", ") ..
                    ((#b.functions > 0 and #b.methods > 0) and ", " or "") .. table.concat(b.methods, ", ") ..
                    (#b.options > 0 and " (options: " .. table.concat(b.options, "; ") .. ")" or "")
  end
  out[#out + 1] = ""
  out[#out + 1] = "### Option sets (`core.options()`)"
  out[#out + 1] = ""
  local ops = {}
  for op in pairs(core.options()) do ops[#ops + 1] = op end
  table.sort(ops)
  for _, op in ipairs(ops) do
    out[#out + 1] = "`" .. op .. "`:"
    out[#out + 1] = ""
    for _, line in ipairs(option_lines({ spec = core.options()[op] })) do out[#out + 1] = "- " .. line end
    out[#out + 1] = ""
  end
  return table.concat(out, "\n")
end

return help
