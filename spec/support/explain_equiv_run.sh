#!/bin/bash
# explain_equiv_run.sh NSLAB DIR LAB [ARGS...]: one lab of
# spec/explain_equiv_spec.lua, into DIR: `nslab explain` runs the lab and
# dumps its state into DIR/nslab (NSLAB_DUMP) before it ends; the script
# it printed, with the same dump appended (into DIR/bash), runs with bash
# in a fresh world. DIR/explain.{out,err,code}, DIR/script.sh and
# DIR/bash.{out,err,code} keep what happened.
nslab=$1 dir=$2
shift 2
dump=$(cd "$(dirname "$0")" && pwd)/explain_dump.sh
mkdir -p "$dir"
# (a run that hangs ends after 2 minutes, as a failure)
NSLAB_DUMP="bash '$dump' '$dir/nslab'" timeout -k 5 120 "$nslab" explain "$@" > "$dir/explain.out" 2> "$dir/explain.err"
echo $? > "$dir/explain.code"
{ cat "$dir/explain.out"; printf '\n# the state, for spec/explain_equiv_spec.lua\nbash %q %q\n' "$dump" "$dir/bash"; } \
  > "$dir/script.sh"
timeout -k 5 120 "$nslab" sandbox -- bash "$dir/script.sh" > "$dir/bash.out" 2> "$dir/bash.err"
echo $? > "$dir/bash.code"
