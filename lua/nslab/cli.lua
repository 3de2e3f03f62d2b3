-- nslab.cli: the command line of `nslab run` and `nslab repl`.
--
--   nslab run [--color=WHEN] FILE [ARGS...]     run a lab
--   nslab repl [--color=WHEN] [--traceback] [FILE [ARGS...]]  the prompt, after the lab
--   nslab                                       the same as nslab repl
--
-- bin/nslab has already made the private world when main runs. main(args)
-- returns the exit status: 0 all passed, 1 a check failed, 2 a usage
-- error or nothing to run. Arguments after FILE belong to the lab.
local cli = {}

cli.usage = [==[
usage: nslab run [OPTIONS] FILE [ARGS...]      (nslab run --help: the options)
       nslab explain FILE [ARGS...]
       nslab repl [--color=WHEN] [--traceback] [FILE [ARGS...]]
       nslab lua FILE [ARGS...]
       nslab sandbox [--] CMD [ARGS...]

  run      run the lab FILE: each step as it happens, each check pass or
           fail, and "N passed, N failed"; exit status 0 only when no
           check failed
  explain  run the lab quietly and print it as a bash script of the
           equivalent ip, bridge, nft and sysctl commands, its checks as
           ping and socat probes (nslab sandbox -- bash SCRIPT replays it)
  repl     a Lua prompt with the nslab API loaded (after running FILE,
           in the environment it ran in); Ctrl-D leaves
  lua      run a plain Lua script (e.g. busted) in a private world
  sandbox  run any command in a private world

  --color=WHEN  auto (the default: on a terminal, unless NO_COLOR is
                set), always or never
  --traceback   print a Lua traceback under each error (in the REPL,
                traceback() prints the last error's)
]==]

local COLORS = { auto = true, always = true, never = true }

local function usage_error(message)
  io.stderr:write("nslab: ", message, "\ntry 'nslab --help'\n")
  return 2
end

-- Options up to the first non-option or "--". Returns the options and the
-- index of the first operand, or nil and a message.
local function parse_options(args, i)
  local opts = {}
  while args[i] ~= nil do
    local a = args[i]
    if a == "--" then return opts, i + 1 end
    if a:sub(1, 1) ~= "-" or a == "-" then break end
    local when = a:match("^%-%-colou?r=(.*)$")
    if a == "--color" or a == "--colour" then when = "always" end
    if when then
      if not COLORS[when] then
        return nil, "invalid --color '" .. when
                    .. "' (expected auto, always or never)"
      end
      opts.color = when
    elseif a == "--traceback" then
      opts.traceback = true
    elseif a == "--pcap" then -- every link the lab makes, to DIR/NETNS-IFNAME.pcap
      local ok, why = require("nslab.capture").record_all(args[i + 1])
      if not ok then return nil, why end
      i = i + 1
    elseif a == "-h" or a == "--help" then
      opts.help = true
    else
      return nil, "unknown option '" .. a .. "'"
    end
    i = i + 1
  end
  return opts, i
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
                "Run the lab FILE: each step as it happens, each check PASS or FAIL (with the",
                "lab's file and line), and \"N passed, N failed\". Exit status: 0 when no check",
                "failed, 1 when one did or the lab raised an error, 2 on a usage error or a lab",
                "that cannot be loaded, 130 when interrupted (Ctrl-C). Arguments after FILE",
                "belong to the lab (arg, ...).", "", "options:" }
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

-- nslab run's options up to FILE (or "--"): the runner's options (format,
-- junit, quiet...), and the index of FILE; or nil and a message.
local function parse_run_options(args, i)
  local opts, by_flag = {}, {}
  for _, o in ipairs(cli.run_options) do by_flag[o[1]] = o end
  by_flag["--help"], by_flag["--colour"] = by_flag["-h"], by_flag["--color"]
  while args[i] ~= nil do
    local a = args[i]
    if a == "--" then i = i + 1 break end
    if a:sub(1, 1) ~= "-" or a == "-" then break end
    local flag, value = a:match("^(%-%-[%w-]+)=(.*)$")
    local o = by_flag[flag or a]
    if o == nil then return nil, "unknown option '" .. a .. "' (nslab run --help lists them)" end
    if o.arg and value == nil and o.arg ~= "WHEN" then
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

function cli.main(args)
  args = args or {}
  local name = args[1] or "repl"
  if name == "help" or name == "-h" or name == "--help" then
    io.stdout:write(cli.usage)
    return 0
  end
  local command = commands[name]
  if command == nil then
    return usage_error("unknown command '" .. tostring(name) .. "'")
  end
  local opts, i = (parsers[name] or parse_options)(args, 2)
  if opts == nil then return usage_error(name .. ": " .. i) end
  if opts.help then
    io.stdout:write(opts.usage or cli.usage)
    return 0
  end
  local rest = table.move(args, i + 1, #args, 1, {})
  if parsers[name] then return command(args[i], rest, opts) end
  return command(args[i], rest, { color = opts.color or "auto", traceback = opts.traceback })
end

return cli
