-- nslab.cli: the command line of everything but `nslab enter` (C:
-- core/world_join.c), `nslab lua` and `nslab sandbox` (core/main.c; their
-- usage is here all the same, for `nslab help`).
--
--   nslab run [OPTIONS] LAB [ARGS...]          run a lab (cli.run_options)
--   nslab repl [--color=WHEN] [--traceback] [LAB [ARGS...]]  the prompt, after the lab
--   nslab                                      the same as nslab repl
--   nslab explain LAB / graph LAB [-o FILE] / list / help [TOPIC]
--
-- bin/nslab has already made the private world when main runs (not for
-- help and list, which change nothing). main(args) returns the exit
-- status: 0 all passed, 1 a check failed, 2 a usage error or nothing to
-- run. Arguments after LAB belong to the lab. LAB is a file, or the name
-- of a shipped lab (`nslab list`): labs/NAME.lua beside the program in
-- the source tree, PREFIX/share/nslab/labs/NAME.lua once installed.
local cli = {}

-- Each command's own usage (`nslab help CMD`, `nslab CMD --help`); run's
-- is made from its options (cli.run_usage, below).
cli.usages = {
  explain = [==[
usage: nslab explain LAB [ARGS...]

Run the lab LAB quietly and print it as a bash script of the
equivalent ip, bridge, nft and sysctl commands, in order, its checks as
ping and socat probes that exit 0 when the check passes. Replay it in a
world of its own: nslab sandbox -- bash SCRIPT.
]==],
  repl = [==[
usage: nslab repl [--color=WHEN] [--traceback] [LAB [ARGS...]]
       nslab

A Lua prompt with the nslab API loaded (help() lists it), in a private
world; after running LAB, with what it made and its top-level locals in
scope. Line editing, history in ~/.nslab_history, TAB completion;
Ctrl-D leaves.

  --color=WHEN  auto (the default), always or never
  --traceback   print a Lua traceback under each error (traceback()
                prints the last error's)
]==],
  graph = [==[
usage: nslab graph LAB [-o FILE] [ARGS...]

Run the lab LAB quietly and draw the topology it built: namespaces and
containers as boxes with their devices and addresses, veth pairs as
edges, bridges with their ports, NAT where the ruleset rewrites. Without
-o, a text picture on stdout; -o FILE by its extension: .dot Graphviz
source, .svg or .png rendered with Graphviz's dot (Debian package
graphviz), .txt the text picture; -o - the dot source on stdout.
]==],
  list = [==[
usage: nslab list

The shipped labs, each with its title (the lab "..." line of its file):
run one by name (nslab run NAME, nslab repl NAME, ...).
]==],
  enter = [==[
usage: nslab enter [--json]
       nslab enter ID [NETNS] [-- CMD [ARGS...]]

Without ID: the running worlds (ID, PID, when it started, its command):
every nslab run, repl, lua and sandbox registers its world while it
lives. With ID: a shell (bash, else sh) inside that world, in its host
namespace or in its named namespace NETNS (ip netns list there), with
NSLAB_WORLD set; with -- CMD, that command instead. The exit status is
the shell's or CMD's. Only worlds started from this network namespace
are listed, and only those are entered.

  --json  the list as a JSON array of {id, pid, started, command}
]==],
  lua = [==[
usage: nslab lua [--] FILE [ARGS...]

Run the plain Lua script FILE (- is stdin) in a private world, as lua5.4
runs it (arg, ...), with nslab's modules on package.path and nslab.core
built in. After --, FILE may begin with a dash.
]==],
  sandbox = [==[
usage: nslab sandbox [--] CMD [ARGS...]

Run the command CMD in a private world: only lo, its own /run/netns,
nothing of the machine's network. Its exit status is CMD's.
]==],
  help = [==[
usage: nslab help [COMMAND | TOPIC]

Without an argument, the commands. COMMAND: that command's usage (the
same as nslab COMMAND --help). TOPIC: the API's help on it, as help
"TOPIC" at the prompt (nslab help netns, nslab help Link:addr_add,
nslab help core). A name that is both (graph, help) is the command; the
API's entries go by their full names (nslab help graph.graph).
]==],
}

cli.usage = [==[
usage: nslab [COMMAND [ARGS...]]

  nslab run [OPTIONS] LAB [ARGS...]       run a lab (a file, or a shipped
                                          lab by name; run --help: OPTIONS)
  nslab explain LAB [ARGS...]             the lab as a bash script of ip,
                                          bridge, nft and sysctl commands
  nslab repl [--traceback] [LAB [ARGS...]]
                                          a Lua prompt with the API loaded
                                          (after running LAB, its locals in
                                          scope); line editing, history in
                                          ~/.nslab_history, TAB completion
  nslab                                   the same as nslab repl
  nslab graph LAB [-o FILE]               draw the topology a lab builds
                                          (.dot, .svg, .png; text without -o)
  nslab list                              the shipped labs
  nslab enter [ID [NETNS] [-- CMD...]]    the running worlds; a shell inside
                                          one, from another terminal
  nslab lua [--] FILE [ARGS...]           run a plain Lua script
  nslab sandbox [--] CMD [ARGS...]        run a command
  nslab help [COMMAND | TOPIC]            a command's usage; the API's help
  nslab --help | --version

Everything runs in a private world: new network, mount and PID
namespaces (in a user namespace when not root). When nslab exits the
world is gone; the host's network is never touched. Only stdin, stdout
and stderr are passed in (descriptors above 2 are closed).
WHEN is auto (the default; never if NO_COLOR is set), always or never.
'nslab COMMAND --help' prints that command's own usage.
]==]

local COLORS = { auto = true, always = true, never = true }

-- "CMD: ..." points at that command's own usage.
local function usage_error(message)
  local name = message:match("^(%w+):")
  local hint = cli.usages[name] and "nslab " .. name .. " --help" or "nslab --help"
  io.stderr:write("nslab: ", message, "\ntry '", hint, "'\n")
  return 2
end

-- `nslab run`'s own options, each {flag, key, doc[, arg = "WORD"]}:
-- parse_run_options reads them into the runner's options (nslab.lab's)
-- and the run usage lists them. A new option is one more line here.
cli.run_options = {
  { "--tap", "tap", "TAP version 13 on stdout (a test point per check), for prove and CI" },
  { "--junit", "junit", "also write the results as JUnit XML to FILE", arg = "FILE" },
  { "--json", "json", "one JSON object per line per event (title, section, step, command, check, note, "
                      .. "error, summary) on stdout" },
  { "-q", "quiet", "quiet: only failures, errors and the summary" },
  { "-v", "verbose", "verbose: every command, also those a lab runs quietly" },
  { "--explain", "explain", "each step's equivalent commands as a shell block under it" },
  { "--shell", "shell", "after the lab, an interactive shell in its world (the host namespace)" },
  { "--pause-on-fail", "pause_on_fail", "at the first failed check (or an error), the Lua prompt with "
                                        .. "the lab's objects and locals in scope; Ctrl-D goes on with the lab" },
  { "--color", "color", "auto (the default: on a terminal, unless NO_COLOR is set), always or never",
    arg = "WHEN" },
  { "--traceback", "traceback", "print a Lua traceback under an error" },
  { "--pcap", "pcap", "capture every link the lab makes to DIR/NETNS-IFNAME.pcap (tcpdump -r reads them)",
    arg = "DIR" },
  { "-h", "help", "this help (also --help)" },
}

function cli.run_usage()
  local out = { "usage: nslab run [OPTIONS] FILE [ARGS...]", "",
                "Run the lab FILE (a file, or a shipped lab's name: nslab list) in a private",
                "world: each step as it happens, each check PASS or FAIL (with the lab's file",
                "and line), and \"N passed, N failed\". Exit status: 0 when no check failed, 1",
                "when one did or the lab raised an error, 2 on a usage error or a lab that",
                "cannot be loaded, 130 when interrupted (Ctrl-C). Arguments after FILE belong",
                "to the lab (arg, ...).", "", "options:" }
  for _, o in ipairs(cli.run_options) do
    local flag = o[1] .. (o.arg and (o.arg == "WHEN" and "=" or " ") .. o.arg or "")
    local line = string.format("  %-17s", flag)
    for word in o[3]:gmatch("%S+") do -- the text wrapped at 79 columns, under itself
      if #line + 1 + #word > 79 then
        out[#out + 1] = line
        line = string.rep(" ", 19)
      end
      line = line .. " " .. word
    end
    out[#out + 1] = line
  end
  return table.concat(out, "\n") .. "\n"
end
cli.usages.run = cli.run_usage()

-- The options of the other commands (repl, explain, graph, list): the
-- same lines as run's.
local COMMON = { color = true, traceback = true, pcap = true, help = true }
local common_options = {}
for _, o in ipairs(cli.run_options) do
  if COMMON[o[2]] then common_options[#common_options + 1] = o end
end

-- The options of list (a list of {flag, key, doc[, arg]}) up to the first
-- operand (or "--"): {key = value or true}, and the index of the operand;
-- or nil and a message. hint follows the message of an unknown option.
local function read_options(list, args, i, hint)
  local opts, by_flag = {}, {}
  for _, o in ipairs(list) do by_flag[o[1]] = o end
  by_flag["--help"], by_flag["--colour"] = by_flag["-h"], by_flag["--color"]
  while args[i] ~= nil do
    local a = args[i]
    if a == "--" then i = i + 1 break end
    if a:sub(1, 1) ~= "-" or a == "-" then break end
    local flag, value = a:match("^(%-%-[%w-]+)=(.*)$")
    local o = by_flag[flag or a]
    if o == nil then return nil, "unknown option '" .. a .. "'" .. (hint or "") end
    if o.arg == "WHEN" and value == nil and COLORS[args[i + 1] or ""] then
      i = i + 1 -- --color never, as --color=never (--color alone: always)
      value = args[i]
    elseif o.arg and value == nil and o.arg ~= "WHEN" then
      i = i + 1
      value = args[i]
      if value == nil or value == "" then return nil, o[1] .. " needs " .. o.arg end
    elseif value ~= nil and not o.arg then
      return nil, o[1] .. " takes no value"
    end
    if o[2] == "color" then
      value = value or "always"
      if not COLORS[value] then
        return nil, "invalid --color '" .. value .. "' (expected auto, always or never)"
      end
    end
    opts[o[2]] = value or true
    i = i + 1
  end
  return opts, i
end

-- Every command's options but run's; --pcap starts recording at once.
local function parse_options(args, i)
  local opts, at = read_options(common_options, args, i)
  if opts and opts.pcap then
    local ok, why = require("nslab.capture").record_all(opts.pcap)
    if not ok then return nil, "--pcap: " .. why end
  end
  return opts, at
end

-- nslab run's options up to FILE (or "--"): the runner's options (format,
-- junit, quiet...), and the index of FILE; or nil and a message.
local function parse_run_options(args, i)
  local opts, at = read_options(cli.run_options, args, i, " (nslab run --help lists them)")
  if not opts then return nil, at end
  i = at
  if opts.tap and opts.json then return nil, "--tap and --json both want stdout: choose one" end
  if opts.quiet and opts.verbose then return nil, "-q and -v say opposite things: choose one" end
  opts.format = opts.tap and "tap" or opts.json and "json" or nil
  opts.tap, opts.json = nil, nil
  opts.color = opts.color or "auto"
  if opts.help then opts.usage = cli.run_usage() end
  return opts, i
end

local parsers = { run = parse_run_options }

local commands = {}

function commands.run(file, args, opts)
  if file == nil then return usage_error("run: no lab file given") end
  if opts.pcap then
    local ok, why = require("nslab.capture").record_all(opts.pcap)
    if not ok then return usage_error("run: --pcap: " .. why) end
    opts.pcap = nil
  end
  if type(opts.junit) == "string" then
    local f, err = io.open(opts.junit, "w")
    if not f then return usage_error("run: --junit: cannot write " .. err) end
    opts.junit = f
  end
  return (require("nslab.lab").run_file(file, args, opts))
end

-- The lab as a bash script (nslab.explain): it runs (in this world,
-- quietly) and every primitive's equivalent command is printed, in order,
-- its checks as the probes that made them. NSLAB_DUMP (for the
-- equivalence spec) is a shell command run once the lab is done, while
-- what it made is still there.
function commands.explain(file, args, opts)
  if file == nil then return usage_error("explain: no lab file given") end
  local status, script = require("nslab.explain").run(file, args,
    { traceback = opts.traceback, dump = os.getenv("NSLAB_DUMP") })
  if status == 2 then return status end
  io.stdout:write(script)
  return status
end

-- The prompt, in the lab's environment when a lab ran first (even if a
-- check failed or it raised: that is when one wants to look around),
-- with the lab's top-level locals; else in a lab's environment of its own
-- (the API, check, show, step...). The status is 0 unless a check made at
-- the prompt failed.
function commands.repl(file, args, opts)
  local repl = require("nslab.repl")
  local env, runner
  if file ~= nil then
    local status
    status, env, runner = repl.run_lab(file, args, opts)
    if status == 2 then return status end
  else
    runner = require("nslab.lab").new(opts)
    env = runner:environment(nil, {})
  end
  return repl.start(env, { runner = runner, traceback = opts.traceback, palette = runner.palette })
end

-- Where the shipped labs are: labs/ beside bin/ in the source tree, else
-- share/nslab/labs under the prefix `make install` used. program is the
-- path of bin/nslab (main.c passes it; else this process's executable).
function cli.lab_dirs(program)
  if program == nil then
    local ok, exe = pcall(function() return require("nslab.core").readlink("/proc/self/exe") end)
    program = ok and exe or nil
  end
  local dir = program and program:match("^(.*)/[^/]*$")
  if dir == nil then return {} end
  local prefix = dir:match("^(.*)/bin$") or (dir .. "/..")
  return { prefix .. "/labs", prefix .. "/share/nslab/labs" }
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

-- The file a LAB argument names: itself when it is a file (or has a
-- slash or .lua: a path, wrong or not, that run reports); else the shipped
-- lab of that name. nil and a message when it is neither.
function cli.find_lab(name, program)
  if name == nil or exists(name) or name:find("/", 1, true) or name:match("%.lua$") then return name end
  for _, dir in ipairs(cli.lab_dirs(program)) do
    local path = dir .. "/" .. name .. ".lua"
    if exists(path) then return path end
  end
  return nil, "no lab file or shipped lab '" .. name .. "' (nslab list shows the shipped labs)"
end

-- A lab file's one-line description: the title of its first lab "..."
-- call (without a leading "NAME: "), else its first comment line.
function cli.lab_title(path, name)
  local f = io.open(path, "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local lines = "\n" .. text
  local title = lines:match('\nlab%s*%(?%s*"([^"\n]*)"') or lines:match("\nlab%s*%(?%s*'([^'\n]*)'")
  if title then
    for _, prefix in ipairs{ name, (name:gsub("-", " ")) } do
      if title:sub(1, #prefix + 2) == prefix .. ": " then return title:sub(#prefix + 3) end
    end
    return title
  end
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local c = line:match("^%-%-+%s*(.-)%s*$")
    if c and c ~= "" then return c end
    if not line:match("^#!") and line:match("%S") then break end
  end
  return nil
end

-- The shipped labs: {name, path, title}, by name.
function cli.labs(program)
  for _, dir in ipairs(cli.lab_dirs(program)) do
    local p = io.popen("ls " .. "'" .. dir:gsub("'", "'\\''") .. "'" .. " 2>/dev/null")
    local list = {}
    for file in p:lines() do
      local name = file:match("^(.+)%.lua$")
      if name then
        local path = dir .. "/" .. file
        list[#list + 1] = { name = name, path = path, title = cli.lab_title(path, name) }
      end
    end
    p:close()
    if #list > 0 then
      table.sort(list, function(a, b) return a.name < b.name end)
      return list
    end
  end
  return {}
end

function commands.list(file)
  if file ~= nil then return usage_error("list: too many arguments") end
  local labs = cli.labs(cli.program)
  if #labs == 0 then
    io.stderr:write("nslab: no shipped labs found (looked in ",
                    table.concat(cli.lab_dirs(cli.program), " and "), ")\n")
    return 2
  end
  local width = 0
  for _, l in ipairs(labs) do width = math.max(width, #l.name) end
  for _, l in ipairs(labs) do
    io.stdout:write(l.name, string.rep(" ", width - #l.name + 2), l.title or "", "\n")
  end
  return 0
end

-- nslab graph LAB [-o FILE] [ARGS...]: -o FILE right after LAB (or
-- before it: cli.main moves it here). Without it, the text picture.
function commands.graph(file, args)
  if file == nil then return usage_error("graph: no lab file given") end
  local out
  if args[1] == "-o" then
    if args[2] == nil then return usage_error("graph: -o needs a FILE") end
    out = args[2]
    args = table.move(args, 3, #args, 1, {})
  end
  local graph = require("nslab.graph")
  local ok, status = pcall(function()
    if out ~= nil and out ~= "-" then return graph.lab_file(file, out, args) end
    local st = require("nslab.lab").run_file(file, args, { writer = function() end })
    if st ~= 2 then io.stdout:write(graph.graph{ text = out == nil, source = out == "-" }) end
    return st
  end)
  if ok then return status end
  local message = tostring(status)
  if message:find("dot is not installed", 1, true) then
    message = "graph: dot is not installed (Debian package graphviz: apt-get install graphviz);"
              .. " -o FILE.dot writes the Graphviz source without it, and without -o nslab graph"
              .. " draws the picture as text"
  end
  io.stderr:write("nslab: ", message, "\n")
  return 2
end

-- nslab help [COMMAND | TOPIC]
function commands.help(topic, args)
  if #args > 0 then return usage_error("help: too many arguments") end
  if topic == nil then
    io.stdout:write(cli.usage)
    return 0
  end
  if cli.usages[topic] then
    io.stdout:write(cli.usages[topic])
    return 0
  end
  local text = require("nslab.help").text(topic)
  if text:match("^help: nothing called") then
    io.stderr:write("nslab: help: no command or API topic '", topic,
                    "' (nslab help lists the commands; nslab help netns, the API's namespaces)\n")
    return 2
  end
  io.stdout:write(text)
  return 0
end

-- The commands whose first operand is a LAB.
local TAKES_LAB = { run = true, explain = true, repl = true, graph = true }

function cli.main(args)
  args = args or {}
  local name = args[1] or "repl"
  if name == "-h" or name == "--help" then name = "help" end
  if name == "help" and (args[2] == "-h" or args[2] == "--help") then args = { "help", "help" } end
  local command = commands[name]
  if command == nil then
    if cli.usages[name] and (args[2] == "-h" or args[2] == "--help") then
      io.stdout:write(cli.usages[name]) -- enter, lua, sandbox: main.c runs them
      return 0
    end
    return usage_error("unknown command '" .. tostring(name) .. "'")
  end
  cli.program = args.program
  local output
  if name == "graph" and args[2] == "-o" then
    if args[3] == nil then return usage_error("graph: -o needs a FILE") end
    output = { "-o", args[3] }
    args = { name, table.unpack(args, 4) }
  end
  local opts, i = (parsers[name] or parse_options)(args, 2)
  if opts == nil then return usage_error(name .. ": " .. i) end
  if opts.help then
    io.stdout:write(opts.usage or cli.usages[name] or cli.usage)
    return 0
  end
  local file = args[i]
  if TAKES_LAB[name] and file ~= nil then
    local found, why = cli.find_lab(file, cli.program)
    if found == nil then return usage_error(name .. ": " .. why) end
    file = found
  end
  local rest = table.move(args, i + 1, #args, output and 3 or 1, output or {})
  if parsers[name] then return command(file, rest, opts) end
  return command(file, rest, { color = opts.color or "auto", traceback = opts.traceback })
end

return cli
