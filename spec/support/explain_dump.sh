#!/bin/bash
# explain_dump.sh OUT: the network state of this world, for
# spec/explain_equiv_spec.lua. One directory under OUT per network
# namespace: host, netns-NAME for each named one, container-HOSTNAMES for
# each other one a process is in (the hostnames of the processes with a
# UTS namespace of their own there, sorted, joined by +; a namespace
# with none is left out). In each: ip -j,
# bridge -j and nft -j output, the net.* sysctls, and each link's
# addr_assign_type (3: its address was set, so it is the same in any
# replay; the others are random).
out=$1
dump() { # dir, then the words that run a command in that namespace
  local d=$out/$1
  shift
  mkdir -p "$d"
  # an IPv6 address gets its local route when DAD is done: wait (3 s at most)
  for _ in $(seq 300); do [ -z "$("$@" ip -6 addr show tentative)" ] && break; sleep 0.01; done
  "$@" ip -j -d link show > "$d/link.json"
  "$@" ip -j addr show > "$d/addr.json"
  "$@" ip -j -4 route show table all > "$d/route4.json"
  "$@" ip -j -6 route show table all > "$d/route6.json"
  "$@" ip -j neigh show nud permanent > "$d/neigh.json"
  "$@" bridge -j fdb show > "$d/fdb.json"
  "$@" nft -j list ruleset > "$d/nft.json"
  "$@" sysctl -a --pattern '^net\.' > "$d/sysctl.txt" 2>/dev/null
  "$@" unshare -m sh -c 'm=$(mktemp -d) && mount -t sysfs sysfs "$m" && for f in "$m"/class/net/*/addr_assign_type; do
    d=${f%/addr_assign_type}; echo "${d##*/} $(cat "$f")"; done; umount "$m"; rmdir "$m"' > "$d/assign.txt"
}

dump host env
self_net=$(readlink /proc/self/ns/net)
self_uts=$(readlink /proc/self/ns/uts)
named=" "
for n in $(ip netns list | cut -d' ' -f1); do
  dump "netns-$n" ip netns exec "$n"
  named="$named$(ip netns exec "$n" readlink /proc/self/ns/net) "
done
declare -A first names
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  net=$(readlink "$p/ns/net" 2>/dev/null) || continue
  [ "$net" = "$self_net" ] && continue
  case "$named" in *" $net "*) continue ;; esac
  [ -n "${first[$net]}" ] || first[$net]=$pid
  uts=$(readlink "$p/ns/uts" 2>/dev/null) || continue
  if [ "$uts" != "$self_uts" ]; then names[$net]="${names[$net]} $(nsenter -t "$pid" -u hostname)"; fi
done
# (a namespace only other processes are in, a socat of the script's left
# in a stopped container's, is no container's: nslab's sockets are no
# processes, so its run shows no such namespace)
for net in "${!first[@]}"; do
  key=$(printf '%s\n' ${names[$net]} | sort -u | paste -sd+)
  if [ -n "$key" ]; then dump "container-$key" nsenter -t "${first[$net]}" -n; fi
done
