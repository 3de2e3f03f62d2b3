#!/bin/bash
# bench/tools/ip.sh N: docker-bridge-N (bench/layout.lua) as a shell script
# with one `ip` (or `bridge`) command per step, the tutorials' way (IPv6
# left on), the peer born in its namespace as nslab does it. Static
# entries past 500 containers, then layout.sh's check; teardown: ip netns
# del each, then the bridges. Run it inside a private world:
#
#   bin/nslab sandbox -- bash bench/tools/ip.sh 100
set -eu
. "$(dirname "$0")/layout.sh"
n=$1
bridges "$n"
now
for (( b = 0; b < NB; b++ )); do
  at $(( b * PER_BRIDGE + 1 ))
  ip link add "br$b" type bridge
  ip addr add "$GW/16" dev "br$b"
  ip link set "br$b" up
done
for (( i = 1; i <= n; i++ )); do
  at $i
  ip netns add "c$i"
  ip link add "v$i" type veth peer name eth0 netns "c$i"
  ip -n "c$i" link set eth0 address "$MAC"
  ip -n "c$i" addr add "$IP/16" dev eth0
  ip -n "c$i" link set lo up
  ip -n "c$i" link set eth0 up
  ip -n "c$i" route add default via "$GW"
  ip link set "v$i" master "br$B"
  ip link set "v$i" up
done
setup=$(since)

now
if (( n >= STATIC_MIN )); then
  for (( i = 1; i <= n; i++ )); do
    at $F; fip=$IP fmac=$MAC
    at $i
    if (( i != F )); then
      ip -n "c$F" neigh replace "$IP" lladdr "$MAC" dev eth0 nud permanent
      ip -n "c$i" neigh replace "$fip" lladdr "$fmac" dev eth0 nud permanent
    fi
    bridge fdb replace "$MAC" dev "v$i" master static
  done
fi
static=$(since)

now
read -r probes answered < <(check_all "$n")
check=$(since)

now
for (( i = 1; i <= n; i++ )); do ip netns del "c$i"; done
for (( b = 0; b < NB; b++ )); do ip link del "br$b"; done
teardown=$(since)
report "$setup" "$static" "$check" "$teardown" "$probes" "$answered"
