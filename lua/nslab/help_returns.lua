-- nslab.help_returns: what each call returns and the options that its
-- code does not declare where help() can read them, for the API reference
-- (nslab.help). Keyed by topic and name ("Link:info", "check.reachable").
--
--   returns  the value(s), in words
--   fields   {name, what} of a returned table (or of each item of a
--            returned list); spec/help_spec.lua makes each value in a
--            world and compares its keys with these, both ways (partial:
--            only that each documented one is there, the object having
--            fields of its own too), so the reference cannot drift
--   options  an op of core.options() whose options the call takes, and
--            more = {name, what} of its own
--   doc      the description when the definition has no comment above it
local M = {}

local CHECK_OPTIONS = "description: the text of the PASS/FAIL line instead of the generated one; " ..
  "the defaults are the check's own (above), not ping's"

local PING_FIELDS = {
  { "target", "the address pinged" },
  { "sent", "echo requests sent" },
  { "received", "echo replies received" },
  { "rtt_min", "milliseconds (when received > 0)" },
  { "rtt_avg", "milliseconds (when received > 0)" },
  { "rtt_max", "milliseconds (when received > 0)" },
  { "error", "why no request could be sent (\"Network is unreachable\"), or the ICMP error that came back " ..
    "instead, in ping's words (\"From 10.0.0.2 icmp_seq=1 Destination Port Unreachable\": the target is done " ..
    "then), when there is one" },
  { "errno", "the error's symbolic name (\"ENETUNREACH\"; ECONNREFUSED for a port unreachable), with error" },
}

M.entries = {
  ["netns.add"] = { returns = "a Netns: the new namespace NAME" },
  ["netns.new"] = { returns = "a Netns with no name" },
  ["netns.host"] = { returns = "the Netns of the world's host" },
  ["netns.open"] = { returns = "a Netns on the existing namespace NAME" },
  ["Netns:veth"] = { returns = "two Links: the end NAME (here, or in opts.netns) and the end PEER " ..
    "(in opts.peer_netns when given, else here); `local a, b = ns:veth(\"a\", \"b\")`" },
  ["Netns:bridge"] = { returns = "a Bridge: a Link with the bridge methods (br:attach, br:macs, ...)" },
  ["Netns:macvlan"] = { returns = "a Link: the new macvlan device" },
  ["Netns:vxlan"] = { returns = "a Link: the new vxlan device" },
  ["Netns:tuntap"] = { returns = "a Link: the new tun or tap device" },
  ["Netns:link"] = { returns = "a Link on the device (raises when there is none)" },
  ["Netns:links"] = { returns = "a list of tables as link:info() gives them, one per device" },
  ["Netns:addrs"] = { returns = "a list of tables as link:addrs() gives them" },
  ["Netns:exec"] = {
    returns = "a table (it does not raise when the command fails)",
    fields = { { "status", "the exit status (nil when a signal ended it)" },
               { "signal", "the signal that ended it, when one did" },
               { "stdout", "everything it wrote on stdout" },
               { "stderr", "everything it wrote on stderr" } } },
  ["Netns:ping"] = {
    returns = "for one target, a table; for a list of targets, a list of them in order",
    fields = PING_FIELDS },
  ["Netns:tcp_listen"] = { returns = "a listening Socket: s:accept([timeout]) returns the connection (a " ..
    "Socket), the peer's address and port; s:port(); s:close()" },
  ["Netns:tcp_connect"] = { returns = "a connected Socket (once the handshake is over): s:send, s:recv, " ..
    "s:peer(), s:local_address(), s:shutdown(), s:close()" },
  ["Netns:udp_bind"] = { returns = "a bound UDP Socket: s:recvfrom([max [, timeout]]) returns data, the " ..
    "sender's address and port; s:sendto, s:port(), s:close()" },
  ["Netns:udp_send"] = { returns = "the UDP Socket it sent from, to recvfrom the answer" },

  ["Netns:nft_table"] = { returns = "a Table: t:chain(name, opts), t:flush(), t:delete()" },
  ["Table:chain"] = { returns = "a Chain: c:rule(text), c:insert(text), c:rules_add(list), c:rules(), " ..
    "c:delete_rule(handle)" },
  ["Chain:rule"] = { returns = "the rule's text as nft prints it, and its handle (for c:delete_rule)" },
  ["Chain:insert"] = { returns = "the rule's text as nft prints it, and its handle" },
  ["Chain:rules"] = {
    returns = "a list, one table per rule, in the chain's order",
    fields = { { "text", "the rule as `nft list` prints it, counters included" },
               { "plain", "the rule as written (no counter values)" },
               { "handle", "its handle (for c:delete_rule)" },
               { "exprs", "the rule as Lua tables (nslab.nft's structured form)" },
               { "packets", "its counter's packets, when it has a counter" },
               { "bytes", "its counter's bytes, when it has a counter" } } },

  ["Link:info"] = {
    returns = "a table as `ip -j -d link show dev NAME` prints the device",
    fields = {
      { "ifindex", "the device's index" }, { "ifname", "its name" },
      { "flags", "list: \"BROADCAST\", \"MULTICAST\", \"UP\", \"LOWER_UP\" (carrier), \"M-DOWN\" (peer down)" },
      { "mtu", "bytes" }, { "qdisc", "\"noqueue\", \"noop\", ..." },
      { "operstate", "\"UP\", \"DOWN\", \"LOWERLAYERDOWN\" (no carrier), \"UNKNOWN\"" },
      { "txqlen", "the transmit queue's length" },
      { "link_type", "\"ether\", \"loopback\", \"none\" (tun)" },
      { "address", "the MAC address" }, { "broadcast", "the broadcast MAC" },
      { "kind", "\"veth\", \"bridge\", \"macvlan\", \"vxlan\", \"tun\" (absent for lo)" },
      { "linkinfo", "{info_kind = kind, info_data = the kind's own settings}, as ip -d prints it" },
      { "inet6_addr_gen_mode", "\"eui64\", \"none\" (IPv6 quiet: nslab.ipv6), ..." },
      { "master", "the bridge it is a port of (its name), when it is one" },
      { "master_index", "that bridge's ifindex" },
      { "port", "a bridge port's settings (state, cost, learning, ...), when it is one" },
      { "link_index", "a veth's peer's ifindex (in link_netnsid's namespace when that is given)" },
      { "link", "the peer's name, when it is in this namespace" },
      { "link_netnsid", "the peer's namespace id, when it is in another one" },
      { "bridge", "a bridge's own settings (stp, ageing_time, bridge_id, ...), for a bridge" },
    } },
  ["Link:addrs"] = {
    returns = "a list of tables, one per address, as the items of `ip -j addr`'s addr_info",
    fields = {
      { "family", "\"inet\" or \"inet6\"" }, { "local", "the address" }, { "prefixlen", "its prefix length" },
      { "scope", "\"global\", \"link\", \"host\"" }, { "ifindex", "the device's" }, { "ifname", "the device's name" },
      { "label", "IPv4: the label (the device's name unless set)" },
      { "broadcast", "IPv4: the broadcast address, when set (brd)" },
      { "tentative", "IPv6: true while duplicate address detection runs" },
      { "nodad", "IPv6: true when added with nodad" },
      { "address", "the peer address of a point-to-point address" },
      { "valid_life_time", "seconds, when not forever" },
    } },
  ["Link:wait"] = { returns = "true; or false and the last operstate seen" },
  ["Link:set"] = { returns = "the link" },
  ["Link:addr_add"] = { returns = "the link" },
  ["Link:up"] = { returns = "the link" },
  ["Link:down"] = { returns = "the link" },
  ["Link:index"] = { returns = "the device's ifindex" },

  ["Bridge:macs"] = {
    returns = "a list, one table per MAC address the bridge knows (its FDB), sorted by port and MAC",
    fields = { { "port", "the port's name" }, { "mac", "the MAC address" },
               { "is_local", "true for a port's own address (permanent)" },
               { "ageing", "seconds since it was last seen (0 for a local one)" } } },
  ["Bridge:show"] = {
    returns = "one row of `brctl show`",
    fields = { { "bridge_name", "its name" }, { "bridge_id", "priority.MAC" },
               { "stp_enabled", "\"yes\" or \"no\"" }, { "interfaces", "list of the ports' names" } } },
  ["Bridge:ports"] = { returns = "a list of tables as link:info() gives them, one per port, by name" },

  ["docker.run"] = {
    lua_options = { "docker run", "nslab.docker", "RUN_OPTIONS" },
    returns = "a container (docker run -d): the fields below; c:exec(cmd) runs a command inside it " ..
      "(as ns:exec), c:shell() opens a shell there. docker.stop/start/rm take it, its name or its id " ..
      "(or a prefix naming one)",
    partial = true,
    fields = { { "name", "--name, or the random one given" }, { "id", "the 64 hex digits of its id" },
               { "netns", "its network namespace (a Netns; the host's for --network host)" },
               { "pid", "its process (nslab-idle), as docker inspect's State.Pid" },
               { "state", "\"running\" or \"exited\"" },
               { "mode", "\"bridge\" (or the driver of its network), \"none\", \"host\", \"container\"" },
               { "network", "the network it is on (as docker.network_inspect describes it)" },
               { "ip", "its address on a bridge network (\"172.17.0.2\")" },
               { "mac", "its eth0's MAC, derived from ip (\"02:42:ac:11:00:02\")" },
               { "veth", "the name of its veth's host end (\"veth1a2b3c4\")" },
               { "host_end", "that host end, a Link" },
               { "endpoint_id", "docker network inspect's EndpointID" },
               { "ports", "its published ports (-p)" } } },
  ["container.start"] = {
    returns = "a Container: ct:exec(cmd), ct:shell(), ct:stop() and the fields below",
    partial = true,
    fields = { { "name", "its name (and hostname)" }, { "pid", "its process" },
               { "netns", "its network namespace (a Netns)" },
               { "var", "the shell variable nslab explain keeps its PID in (\"C_NAME\")" } } },

  ["check.ok"] = { doc = "check.ok(cond, description [, detail]): passes when cond is true. description " ..
                   "(optional): the text of the PASS/FAIL line, default the lab's FILE:LINE; detail is shown " ..
                   "under a FAIL. check(cond, description) is the same.",
                   returns = "true when it passed, else false" },
  ["check.equal"] = { doc = "check.equal(actual, expected [, description]): passes when they are deeply " ..
                      "equal (tables key by key); a FAIL shows both and the first place they differ. " ..
                      "description as check.ok's.",
                      returns = "true when it passed, else false" },
  ["check.match"] = { doc = "check.match(text, pattern [, description]): passes when text contains pattern, " ..
                      "as a Lua pattern or as plain text. description as check.ok's.",
                      returns = "true when it passed, else false" },
  ["check.raises"] = { returns = "passed, and the error message (so a lab can show it)",
                       more = "description as check.ok's" },
  ["check.reachable"] = { returns = "true when every check passed, else false", options = "ping",
                          more = CHECK_OPTIONS },
  ["check.unreachable"] = { returns = "true when every check passed, else false", options = "ping",
                            more = CHECK_OPTIONS },
  ["check.mesh"] = { returns = "passed, and the list of failed probes", options = "ping", more = CHECK_OPTIONS,
                     fields = { { "from", "the Netns the probe was sent from" }, { "to", "the address" },
                                { "result", "the ping result, as ns:ping gives it" },
                                { "why", "the first failure's diagnosis, a check.why report (when there is one)" } } },
}

-- The methods of a Socket (ns:tcp_listen, tcp_connect, udp_bind,
-- udp_send), a C object: its docs live here.
function M.socket_timeout(method)
  local proto = (method == "sendto" or method == "recvfrom") and "udp" or "tcp"
  return string.format("It waits at most timeout seconds (default 5), then fails: \"%s %s 10.0.0.1:80 in netns a: "
                       .. "timed out after 5 s\" (a connection names its peer, a listener and a UDP socket the "
                       .. "address they are bound to).", proto, method)
end
M.socket = {
  { "accept", "([timeout])", "TCP: the next connection: a connected Socket, the peer's address and port" },
  { "send", "(data [, timeout])", "TCP: sends all of data; returns #data" },
  { "recv", "([max [, timeout]])", "TCP: up to max bytes (default 65536) as they come; \"\" once the peer closed" },
  { "shutdown", "()", "TCP: no more sending (the peer reads \"\"); reading goes on" },
  { "sendto", "(data, addr, port [, timeout])", "UDP: one datagram; returns #data" },
  { "recvfrom", "([max [, timeout]])", "UDP: the next datagram, the sender's address and port" },
  { "peer", "()", "the other end's address and port" },
  { "local_address", "()", "this end's address and port" },
  { "port", "()", "this end's port (what port 0 was bound to)" },
  { "close", "()", "closes it (twice is fine); a <close> variable does it too" },
}

return M
