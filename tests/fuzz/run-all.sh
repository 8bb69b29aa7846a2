#!/bin/sh
# Runs every built fuzz target in DIR for SECONDS on its corpus (tests/fuzz/corpus/NAME).
# A crash, leak or timeout fails the run and prints the fuzzer's report.
set -u
dir=$1
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
failed=""
for exe in "$dir"/fuzz-*; do
  [ -x "$exe" ] && [ -f "$exe" ] || continue
  name=$(basename "$exe")
  corpus="$here/corpus/${name#fuzz-}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
  echo "-- $name for ${secs}s"
  if ASAN_OPTIONS=detect_leaks=1 "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$work.log" | tail -2
  else
    tail -60 "$work.log"
    failed="$failed $name"
  fi
  rm -rf "$work" "$work.log"
done
[ -z "$failed" ] || { echo "fuzz failures:$failed"; exit 1; }
