-- nslab.shell: text of shell commands (for the trace of equivalent
-- commands and for exec of a string), and interactive shells on the
-- terminal: ns:shell(), c:shell().
local shell = {}

-- Quote a word only when the shell would split or expand it.
function shell.quote(word)
  word = tostring(word)
  if word ~= "" and not word:find("[^%w%-%._/:=@%%+,]") then return word end
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

function shell.join(words)
  local out = {}
  for i, w in ipairs(words) do out[i] = shell.quote(w) end
  return table.concat(out, " ")
end

---------------------------------------------------------------- interactive

local SHELLS = { sh = true, bash = true, dash = true, zsh = true, ksh = true, mksh = true, fish = true,
                 tcsh = true, csh = true }

local function is_shell(word)
  return type(word) == "string" and SHELLS[word:match("[^/]*$")] == true
end

local function interactive_flag(word)
  return type(word) == "string" and word:match("^%-%a*i%a*$") ~= nil
end

-- Whether argv (or a shell line) starts an interactive shell: `bash -i`,
-- `sh -c "bash -i"`.
function shell.is_interactive(cmd)
  if type(cmd) == "string" then
    local words = {}
    for w in cmd:gmatch("%S+") do words[#words + 1] = w end
    cmd = words
  end
  if type(cmd) ~= "table" or not is_shell(cmd[1]) then return false end
  for i = 2, #cmd do
    if interactive_flag(cmd[i]) then return true end
    if cmd[i] == "-c" then return shell.is_interactive(cmd[i + 1]) end
  end
  return false
end

-- exec captures what a command prints and gives it no terminal: an
-- interactive shell there would wait for input that never comes (or take
-- the terminal from nslab). Raise, pointing to shell().
function shell.refuse_interactive(cmd, op, object, how)
  if shell.is_interactive(cmd) then
    error(string.format("%s%s: %s is an interactive shell (exec gives it no terminal): use %s",
                        op, object and " " .. object or "",
                        type(cmd) == "table" and shell.join(cmd) or tostring(cmd), how), 0)
  end
end

local function executable(path)
  return path ~= nil and path ~= "" and os.execute("test -x " .. shell.quote(path)) == true
end

-- The shell to hand the terminal to: $SHELL, else bash, else sh.
function shell.program()
  local env = os.getenv("SHELL")
  if executable(env) then return env end
  if executable("/bin/bash") then return "/bin/bash" end
  return "/bin/sh"
end

-- The argv that runs program inside ns, and its text for the trace:
-- `ip netns exec NAME sh` for a named namespace, nsenter for a process's
-- or an anonymous one, the program itself in the world's host. extra:
-- what nsenter joins beside the network ("-u -i" for a container).
local function argv_in(ns, program, pid, var)
  if pid then
    return { "nsenter", "-t", tostring(pid), "-n", "-u", "-i", program },
           string.format("nsenter -t %s -n -u -i %s", var and "$" .. var or pid, shell.quote(program))
  end
  if ns.is_host then return { program }, shell.quote(program) end
  if ns.name then return { "ip", "netns", "exec", ns.name, program }, ns:inside(shell.quote(program)) end
  local text = ns:inside(shell.quote(program))
  if ns.pid then return { "nsenter", "-t", tostring(ns.pid), "-n", program }, text end
  local argv = {}
  for w in text:gmatch("%S+") do argv[#argv + 1] = w end
  argv[#argv] = program
  return argv, text
end

-- Hand the terminal to a shell inside ns (a Netns; pid and var: those of
-- a container, whose UTS and IPC namespaces it joins too) until it exits;
-- back at the prompt, nslab carries on. op and object name the call in
-- errors ("netns shell test1: ..."), label in the line printed first.
-- Returns the shell's exit status. Needs bin/nslab (nslab.tty) and a
-- terminal on stdin.
function shell.interactive(ns, op, object, label, pid, var)
  local head = op .. (object and " " .. object or "")
  local ok, tty = pcall(require, "nslab.tty")
  if not ok then
    error(head .. ": needs the nslab program (nslab.tty is built into it): run it with nslab repl or nslab run", 0)
  end
  if not require("nslab.lineedit").isatty(0) then
    error(head .. ": stdin is not a terminal: an interactive shell needs one", 0)
  end
  local program = shell.program()
  local argv, text = argv_in(ns, program, pid, var)
  io.stdout:write(string.format("%s: %s; exit (or Ctrl-D) comes back to nslab\n", label, text))
  io.stdout:flush()
  local status = tty.foreground(argv)
  require("nslab.trace").command(text)
  return status
end

return shell
