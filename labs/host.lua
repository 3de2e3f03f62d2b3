-- Docker's host network: seed 001.
--
--   docker run --name test1 --network host busybox ...
--   docker exec test1 ip a      -> the host's interfaces, docker0 included
--   docker run --name web1 --network host nginx   (listens on :80)
--   docker run --name web2 --network host nginx   -> bind() to 0.0.0.0:80
--                                      failed (98: Address already in use)
lab "host: sharing the host's network stack"

section "docker run --network host"
step("docker run --name test1 --network host", function()
  test1 = docker.run{ name = "test1", network = "host" }
end)
check.equal(test1.netns:inode(), host:inode(), "test1's network namespace is the host's")
check.equal(test1.netns:link_names(), host:link_names(), "it sees the host's interfaces, docker0 included")
local inside = test1:exec("ip -o link show docker0")
check.equal(inside.status, 0, "docker exec test1 ip link show docker0 works")
check.equal(test1:exec("hostname").stdout, host:exec("hostname").stdout,
            "docker gives a host-mode container the host's hostname")
check.ok(test1.proc:ns().uts ~= core.readlink("/proc/self/ns/uts"),
         "yet only the network namespace is shared: its UTS namespace is its own")

section "Two nginx on the host network: the second cannot bind :80"
step("web1 (host network) listens on 0.0.0.0:80", function()
  web1 = docker.run{ name = "web1", network = "host" }
  web1_socket = web1.netns:tcp_listen("0.0.0.0", 80)
end)
check.raises(function() docker.run{ name = "web2", network = "host" }.netns:tcp_listen("0.0.0.0", 80) end,
             "Address already in use", "web2 (host network): bind() to 0.0.0.0:80 fails with EADDRINUSE")

section "Two nginx on the bridge network: each has its own :80"
step("web3 and web4 on the default bridge, each listening on 0.0.0.0:80", function()
  web3 = docker.run{ name = "web3" }
  web4 = docker.run{ name = "web4" }
end)
check.ok(pcall(function() web3_socket = web3.netns:tcp_listen("0.0.0.0", 80) end), "web3 listens on :80")
check.ok(pcall(function() web4_socket = web4.netns:tcp_listen("0.0.0.0", 80) end), "web4 listens on :80 too")
