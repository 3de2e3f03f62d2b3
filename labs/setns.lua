-- A container process and its namespaces; entering them by PID: seed 002.
--
--   docker inspect --format '{{.State.Pid}}' ID     -> 4913
--   ls -l /proc/4913/ns/                            -> net -> net:[4026532133] ...
--   ./setns /proc/4913/ns/net ifconfig              -> the container's interfaces
lab "setns: entering a container's network namespace by PID"

section "A container and its PID"
step("docker run --name test1", function() test1 = docker.run{ name = "test1" } end)
local pid = docker.pid("test1")
check.ok(pid > 1, ("docker inspect --format '{{.State.Pid}}' test1 -> %d"):format(pid))

section "ls -l /proc/PID/ns"
local links = test1.proc:ns()
show(host:exec({ "ls", "-l", ("/proc/%d/ns/"):format(pid) }).stdout)
local mine = core.readlink("/proc/self/ns/net")
check.ok(links.net ~= mine, "its net namespace is not the host's")
check.ok(links.uts ~= core.readlink("/proc/self/ns/uts"), "nor its uts namespace")
check.equal(links.net, ("net:[%d]"):format(test1.netns:inode()), "nslab's handle names the same namespace")

section "setns(2) by PID, as setns.c does"
local entered = netns.open{ pid = pid }
local seen = entered:run(function()
  local names = {}
  for _, l in ipairs(core.netns_current():link_list()) do names[#names + 1] = l.ifname end
  return table.concat(names, " ") .. " | " .. core.readlink("/proc/thread-self/ns/net")
end)
check.equal(seen, "lo eth0 | " .. links.net, "inside, this thread sees lo and eth0, in the container's namespace")
check.equal(core.readlink("/proc/thread-self/ns/net"), mine, "and comes back to the host's afterwards")
local via_exec = entered:exec({ "sh", "-c", "readlink /proc/self/ns/net; ip -o link show eth0" })
show(via_exec.stdout)
check.match(via_exec.stdout, links.net, "./setns /proc/PID/ns/net CMD: the command runs in the same inode")
check.match(via_exec.stdout, "02:42:ac:11:00:02", "and sees the container's eth0")
