#!/bin/bash
# bench/tools/batch.sh N: docker-bridge-N (bench/layout.lua) with `ip
# -batch` at its best: IPv6 address generation off on both ends (a setlink
# before up), one batch in the host for every namespace, veth (peer born
# inside) and bridge port, one `ip -n cI -batch` per namespace for what
# happens inside (ip has no per-line namespace), one batch bringing the
# host ends up last. Static entries past 500 containers (one batch for a
# bridge's first member, one `ip -n` per other member, one `bridge
# -batch`), then layout.sh's check; teardown: one batch of netns del.
#
#   bin/nslab sandbox -- bash bench/tools/batch.sh 100
set -eu
. "$(dirname "$0")/layout.sh"
n=$1
bridges "$n"
now
{
  for (( b = 0; b < NB; b++ )); do
    at $(( b * PER_BRIDGE + 1 ))
    echo "link add br$b type bridge"
    echo "addr add $GW/16 dev br$b"
    echo "link set br$b up"
  done
  for (( i = 1; i <= n; i++ )); do
    at $i
    echo "netns add c$i"
    echo "link add v$i numtxqueues 1 numrxqueues 1 type veth peer name eth0 netns c$i numtxqueues 1 numrxqueues 1"
    echo "link set v$i addrgenmode none master br$B"
  done
} | ip -batch -
for (( i = 1; i <= n; i++ )); do
  at $i
  printf '%s\n' "link set eth0 addrgenmode none address $MAC" "addr add $IP/16 dev eth0" "link set lo up" \
    "link set eth0 up" "route add default via $GW" | ip -n "c$i" -batch -
done
for (( i = 1; i <= n; i++ )); do echo "link set v$i up"; done | ip -batch -
setup=$(since)

now
if (( n >= STATIC_MIN )); then
  for (( b = 0; b < NB; b++ )); do
    at $(( b * PER_BRIDGE + 1 )); f=$F fip=$IP fmac=$MAC
    for (( i = f + 1; i <= n && i < f + PER_BRIDGE; i++ )); do
      at $i; echo "neigh replace $IP lladdr $MAC dev eth0 nud permanent"
    done | ip -n "c$f" -batch -
    for (( i = f + 1; i <= n && i < f + PER_BRIDGE; i++ )); do
      ip -n "c$i" neigh replace "$fip" lladdr "$fmac" dev eth0 nud permanent
    done
  done
  for (( i = 1; i <= n; i++ )); do at $i; echo "fdb replace $MAC dev v$i master static"; done | bridge -batch -
fi
static=$(since)

now
read -r probes answered < <(check_all "$n")
check=$(since)

now
{
  for (( i = 1; i <= n; i++ )); do echo "netns del c$i"; done
  for (( b = 0; b < NB; b++ )); do echo "link del br$b"; done
} | ip -batch -
teardown=$(since)
report "$setup" "$static" "$check" "$teardown" "$probes" "$answered"
