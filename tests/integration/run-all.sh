#!/bin/sh
# Runs every tests/integration/test-*.sh; each prints a transcript and exits non-zero on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=""
for t in "$here"/test-*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  echo "-- $name"
  if sh "$t"; then
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
