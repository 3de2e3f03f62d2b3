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
usage: nslab run [--color=WHEN] FILE [ARGS...]
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
    elseif a == "-h" or a == "--help" then
      opts.help = true
    else
      return nil, "unknown option '" .. a .. "'"
    end
    i = i + 1
  end
  return opts, i
end

local commands = {}

function commands.run(file, args, opts)
  if file == nil then return usage_error("run: no lab file given") end
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
  local opts, i = parse_options(args, 2)
  if opts == nil then return usage_error(name .. ": " .. i) end
  if opts.help then
    io.stdout:write(cli.usage)
    return 0
  end
  local rest = table.move(args, i + 1, #args, 1, {})
  return command(args[i], rest, { color = opts.color or "auto", traceback = opts.traceback })
end

return cli
