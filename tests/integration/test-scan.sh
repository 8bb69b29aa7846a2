#!/bin/bash
# `sealmail scan` end to end on the corpus in tests/data/scan: realistic mails in English,
# French, Swedish, Chinese and German (plain, quoted-printable, base64, legacy charsets, HTML
# with entities and hidden text, quoted replies, forwards) and, made at test time by
# make-attachments.py, mails with DOCX/XLSX/ODT/PDF attachments and a zip bomb. Each mail's
# JSON findings (part, type, confidence, masked value, quoted) and exit status are compared
# with tests/data/scan/expected.tsv. Then: no raw value leaks without --show-values, stdin,
# error exit 2, an organisation policy file, and the zip bomb stopped by its limit.
set -u
: "${SEALMAIL:?set SEALMAIL to the sealmail binary}"
: "${SM_SRCDIR:?set SM_SRCDIR to the source tree}"

work=$(mktemp -d "${TMPDIR:-/tmp}/sm-scan-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME=$work/config # no user configuration leaks in
corpus=$SM_SRCDIR/tests/data/scan
failures=0
ok() { echo "ok: $*"; }
bad() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}

echo "== making the attachment mails (make-attachments.py)"
python3 "$corpus/make-attachments.py" "$work" || exit 1

# compare FILE.json with the expected rows of FILE: prints differences, exits non-zero on any
compare() {
  python3 - "$1" "$2" "$corpus/expected.tsv" <<'PY'
import json, sys
name, path, expected_path = sys.argv[1], sys.argv[2], sys.argv[3]
want = []
for line in open(expected_path, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    col = line.rstrip("\n").split("\t")
    if col[0] == name and col[2]:
        want.append((col[2], col[3], col[4], col[5], col[6] == "quoted"))
report = json.load(open(path, encoding="utf-8"))
got = [(f["part"], f["type"], f["confidence"], f["masked"], f["quoted"]) for f in report["findings"]]
for f in report["findings"]:
    assert f["end"] > f["start"] >= 0 and f["line"] >= 1, f
    assert "value" not in f, "raw value in JSON without --show-values"
missing = [w for w in want if w not in got]
extra = [g for g in got if g not in want]
for m in missing:
    print("   missing:", m)
for e in extra:
    print("   unexpected:", e)
sys.exit(1 if missing or extra or len(got) != len(want) else 0)
PY
}

echo "== corpus: findings and exit status per mail"
# rows with an exit status name the mails; the other rows are their findings
while read -r file want_rc; do
  path=$corpus/$file
  [ -e "$path" ] || path=$work/$file
  echo "\$ sealmail scan --json $file"
  "$SEALMAIL" scan --json "$path" >"$work/$file.json" 2>"$work/$file.err"
  rc=$?
  if [ "$rc" != "$want_rc" ]; then
    bad "$file: exit $rc, expected $want_rc"
    cat "$work/$file.err"
  elif compare "$file" "$work/$file.json"; then
    ok "$file: exit $rc and findings as expected"
  else
    bad "$file: findings differ from expected.tsv"
  fi
done < <(awk -F'\t' '!/^#/ && $2 != "" { print $1, $2 }' "$corpus/expected.tsv")

echo "== human output: summary line, no raw values"
out=$("$SEALMAIL" scan "$corpus/en-onboarding.eml")
echo "$out" | tail -1
case $out in *"201 CMR 17 personal information: yes"*) ok "summary names 201 CMR 17" ;;
  *) bad "summary line" ;; esac
for raw in 536-22-5232 011000015 004471235987 D4512389; do
  case $out in *"$raw"*) bad "raw value $raw printed without --show-values" ;;
    *) ok "value ending ${raw: -3} masked" ;; esac
done
"$SEALMAIL" scan --json "$corpus/fr-dossier.eml" >"$work/fr.json"
if grep -q "3000 6000" "$work/fr.json"; then bad "IBAN printed in JSON"; else ok "IBAN masked in JSON"; fi
"$SEALMAIL" scan --show-values "$corpus/en-onboarding.eml" >"$work/shown.txt"
if grep -q "536-22-5232" "$work/shown.txt"; then ok "--show-values prints the value"; else
  bad "--show-values"; fi

echo "== standard input and errors"
"$SEALMAIL" scan - <"$corpus/sv-lon.eml" >/dev/null
rc=$?
[ $rc = 1 ] && ok "stdin: exit 1" || bad "stdin: exit $rc"
printf 'not a mail at all\n' | "$SEALMAIL" scan - >/dev/null 2>"$work/err.txt"
rc=$?
[ $rc = 2 ] && ok "garbage: exit 2 ($(cat "$work/err.txt"))" || bad "garbage: exit $rc"
"$SEALMAIL" scan "$work/no-such-file.eml" >/dev/null 2>&1
rc=$?
[ $rc = 2 ] && ok "missing file: exit 2" || bad "missing file: exit $rc"

echo "== organisation policy (docs/scan-policy.md)"
cat >"$work/policy.conf" <<'CONF'
[policy]
scan-threshold = high
scan-ignore = DATE_OF_BIRTH;PHONE

[pattern:PAYROLL_ID]
regex = \bD[0-9]{7}\b
confidence = high
action = block

[pattern:PROJECT]
keywords = new hire paperwork;payroll
confidence = medium
threshold = 2
CONF
"$SEALMAIL" scan --json --policy "$work/policy.conf" "$corpus/en-onboarding.eml" >"$work/pol.json"
rc=$?
python3 - "$work/pol.json" <<'PY' && ok "policy: custom pattern, ignore list, threshold high (exit $rc)" || bad "policy"
import json, sys
r = json.load(open(sys.argv[1]))
types = [f["type"] for f in r["findings"]]
assert "CUSTOM:PAYROLL_ID" in types, types
assert "DATE_OF_BIRTH" not in types and "PHONE" not in types, types
s = r["summary"]
assert s.get("CUSTOM:PAYROLL_ID") == 1 and "US_DRIVER_LICENSE" not in s, s
assert r["threshold"] == "high" and r["triggers"] is True
assert [f["action"] for f in r["findings"] if f["type"] == "CUSTOM:PAYROLL_ID"] == ["block"]
PY
printf '[pattern:BAD]\nregex = ([a-\n' >"$work/bad.conf"
"$SEALMAIL" scan --policy "$work/bad.conf" "$corpus/sv-lon.eml" >/dev/null 2>"$work/err.txt"
rc=$?
[ $rc = 2 ] && ok "broken policy: exit 2 ($(cat "$work/err.txt"))" || bad "broken policy: exit $rc"

echo "== zip bomb: 64 MiB of XML stopped at extract-xml-bytes = 1 MiB"
printf '[limits]\nextract-xml-bytes = 1048576\n' >"$work/limits.conf"
"$SEALMAIL" --config "$work/limits.conf" scan --json "$work/zipbomb.eml" >"$work/bomb.json"
rc=$?
if [ $rc = 0 ] && grep -q "extraction limit" "$work/bomb.json"; then
  ok "zip bomb: not scanned past the limit, reported in not_scanned"
else
  bad "zip bomb (exit $rc)"
fi

echo "== $failures failure(s)"
[ "$failures" = 0 ]
