#!/bin/sh
# `sealmail inspect --json` on every real header block of tests/data/received: each file is
# turned into a message (header block, blank line, body), inspected, and every hop's
# path.hops[].tls.status is compared with the hand-made labels of EXPECTED.tsv (topmost
# Received = hop 1). Also checks that every hop has a source label and that the summary is a
# non-empty line. Needs python3 for the JSON.
set -u
: "${SEALMAIL:?set SEALMAIL to the sealmail binary}"
: "${SM_SRCDIR:?set SM_SRCDIR to the source tree}"

data=$SM_SRCDIR/tests/data/received
work=$(mktemp -d "${TMPDIR:-/tmp}/sm-inspect-path.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"

failures=0
for hdr in "$data"/*.hdr; do
  name=$(basename "$hdr")
  msg=$work/$name.eml
  { cat "$hdr"; printf '\nbody\n'; } >"$msg"
  echo "run: sealmail inspect --json $name"
  "$SEALMAIL" inspect --json "$msg" >"$work/$name.json" 2>"$work/$name.err"
  rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "FAILED: $name: exit status $rc"
    cat "$work/$name.err"
    failures=$((failures + 1))
    continue
  fi
  if ! python3 - "$data/EXPECTED.tsv" "$name" "$work/$name.json" <<'PYEOF'; then
import json, sys
tsv, name, out = sys.argv[1:4]
want = {}
with open(tsv) as f:
    next(f)
    for line in f:
        col = line.rstrip("\n").split("\t")
        if len(col) > 3 and col[0] == name:
            want[int(col[1])] = col[3]
doc = json.load(open(out))
hops = doc["path"]["hops"]
ok = True
if len(hops) != len(want):
    print(f"  {name}: {len(hops)} hops, EXPECTED.tsv has {len(want)}")
    ok = False
for hop in hops:
    i, status = hop["index"], hop["tls"]["status"]
    mark = "ok" if want.get(i) == status else "MISMATCH"
    if mark != "ok":
        ok = False
    if hop.get("source") not in ("provider", "claimed", "unknown"):
        print(f"  {name} hop {i}: bad source {hop.get('source')!r}")
        ok = False
    print(f"  hop {i}: tls {status} (expected {want.get(i)}), source {hop['source']}: {mark}")
summary = doc["path"].get("summary") or ""
print(f"  summary: {summary}")
if not summary.strip() or "\n" in summary:
    ok = False
sys.exit(0 if ok else 1)
PYEOF
    echo "FAILED: $name"
    failures=$((failures + 1))
  else
    echo "ok: $name"
  fi
done
echo "inspect-path: $failures file(s) failed"
[ "$failures" -eq 0 ]
