#!/bin/sh
# Runs every tests/integration/test-*.sh; each prints a transcript and exits non-zero on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=""
for t in "$here"/test-*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  echo "-- $name"
  # Each driver picks its own shell through its #! line.
  if bash -c 'head -1 "$1" | grep -q bash' _ "$t"; then runner=bash; else runner=sh; fi
  if $runner "$t"; then
    echo "-- $name: ok"
  else
    echo "-- $name: FAILED"
    failed="$failed $name"
  fi
done
if [ -n "$failed" ]; then
  echo "integration failures:$failed"
  exit 1
fi
