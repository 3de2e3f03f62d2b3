# bench/tools/layout.sh: bench/layout.lua's numbering for the shell tools
# (sourced). `at I` sets B (bridge number), IP, MAC, GW and F (the first
# member of the bridge) for container I without forking; see layout.lua.
PER_BRIDGE=${BENCH_PER_BRIDGE:-1000}
STATIC_MIN=${BENCH_STATIC_MIN:-500}
bridges() { NB=$(( ($1 + PER_BRIDGE - 1) / PER_BRIDGE )); }
at() {
  local h=$(( ($1 - 1) % PER_BRIDGE + 2 ))
  B=$(( ($1 - 1) / PER_BRIDGE ))
  F=$(( B * PER_BRIDGE + 1 ))
  IP="172.$(( 17 + B )).$(( h >> 8 )).$(( h & 255 ))"
  printf -v MAC '02:42:ac:%02x:%02x:%02x' $(( 17 + B )) $(( h >> 8 )) $(( h & 255 ))
  GW="172.$(( 17 + B )).0.1"
}
now() { T0=$EPOCHREALTIME; }
since() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }'; }

# The check, the same for every non-nslab tool: from the first member of
# each bridge one fping to all the others (up to 3 echoes each, 1 ms apart,
# done at the first reply: what nslab's checks do), run inside it with
# `ip netns exec`. Prints "probes answered".
check_all() {
  local n=$1 probes=0 answered=0 b f j targets alive
  bridges "$n"
  for (( b = 0; b < NB; b++ )); do
    f=$(( b * PER_BRIDGE + 1 )); targets=()
    for (( j = f + 1; j <= n && j < f + PER_BRIDGE; j++ )); do at $j; targets+=("$IP"); done
    probes=$(( probes + ${#targets[@]} ))
    alive=$(ip netns exec "c$f" fping -a -r 2 -t 500 -i 1 "${targets[@]}" 2>/dev/null | wc -l)
    answered=$(( answered + alive ))
  done
  echo "$probes $answered"
}

report() { # setup static check teardown probes answered
  printf 'bench {"setup": %s, "static": %s, "check": %s, "teardown": %s, "probes": %s, "answered": %s}\n' "$@"
}
