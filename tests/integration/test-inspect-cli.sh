#!/bin/sh
# test-inspect-cli: the `sealmail inspect` command line: the README sample is verified with its
# signer imported (as tools/run.sh does), --trust and the configuration keys move the trust
# boundary, standard input works, and bad input (not a message, binary garbage, a 50 MB header
# block, 100,000 Received lines, broken boundaries, nesting 1,000 and 1,000,000 deep, invalid
# charsets) ends in a clear message and exit 2, or in a sane report; never a crash or a hang.
set -eu

: "${SEALMAIL:?set SEALMAIL to the sealmail binary}"
: "${SM_SRCDIR:?set SM_SRCDIR to the source tree}"
W=$(mktemp -d)
GNUPGHOME="$W/gnupg"
export GNUPGHOME
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all >/dev/null 2>&1; rm -rf "$W"' EXIT
SAMPLE="$SM_SRCDIR/tests/data/sample"
FAILED=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
json_is() { # json_is FILE PYTHON-EXPRESSION (j = the parsed JSON)
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

echo "== the README sample"
gpg --batch --quiet --import "$SAMPLE/sample-signer.asc" 2>/dev/null
gpg --batch --quiet --import-ownertrust "$SAMPLE/sample-signer.trust" 2>/dev/null
"$SEALMAIL" inspect "$SAMPLE/signed.eml" >"$W/human.txt"
if grep -q '^Signature: Signed by Ada Lovelace <ada@example.org>: verified (OpenPGP)' "$W/human.txt"; then
  ok "human output says verified"
else
  fail "human output: $(cat "$W/human.txt")"
fi
"$SEALMAIL" inspect --json - <"$SAMPLE/signed.eml" >"$W/sample.json"
if json_is "$W/sample.json" "j['format_version'] >= 1 and j['verdict']['signature'] == 'verified' and len(j['path']['hops']) == 3"; then
  ok "--json from standard input: verified, 3 hops"
else
  fail "--json from standard input"
fi

echo "== trust boundary from --trust and the configuration"
"$SEALMAIL" inspect --json --trust=mail.example.net "$SAMPLE/signed.eml" >"$W/t1.json"
json_is "$W/t1.json" "[h['source'] for h in j['path']['hops']] == ['provider', 'claimed', 'claimed']" &&
  ok "--trust=mail.example.net: only hop 1 is the provider's" || fail "--trust"
printf '[inspect]\ntrust = mail.example.net\n[account:work]\nprovider-trust = mx1.example.net\n' >"$W/sealmail.conf"
"$SEALMAIL" --config "$W/sealmail.conf" inspect --json "$SAMPLE/signed.eml" >"$W/t2.json"
json_is "$W/t2.json" "[h['source'] for h in j['path']['hops']] == ['provider', 'provider', 'claimed']" &&
  ok "[inspect] trust + [account:work] provider-trust: hops 1-2 are the provider's" || fail "config trust"

echo "== bad input: a clear error (exit 2) or a sane report, never a crash or a hang"
python3 - "$W" <<'EOF'
import os, sys
w = sys.argv[1]
def out(name, data):
    with open(os.path.join(w, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
out("garbage", os.urandom(200000))
out("words", "this is not a mail message\njust words\n")
out("empty", "")
out("header-50mb", "From: a@example.org\n" + ("X-Filler: " + "a" * 1000 + "\n") * 52000 + "\nbody\n")
out("received-100k", "From: a@example.org\n" + "".join(
    "Received: from h%d.example.org by mx.example.org with ESMTPS; Wed, 25 Nov 2026 10:00:00 +0000\n" % i
    for i in range(100000)) + "\nbody\n")
out("broken-boundaries", 'From: a@example.org\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n'
    'Content-Type: multipart/signed; boundary="c"; protocol="application/pgp-signature"\n\n--c\ntext\n--b--\n--x\n')
out("nest-1000", "From: a@example.org\n" + "".join(
    'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(1000)) + "\nx\n")
out("nest-1m", "From: a@example.org\n" + "".join(
    'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(1000000)) + "\nx\n")
out("charsets", b"From: =?x-no-such?B?AAEC?= <a@example.org>\nSubject: =?utf-7?Q?+AGEAYgBj-?= =?bad\xff?q?x?=\n"
    b"Content-Type: text/plain; charset=\"no-such-charset\"\n\n\xff\xfe\x00bytes\n")
EOF
# expect NAME EXIT-STATUS PATTERN: the exit status and a pattern of stderr (exit 2) or stdout.
expect() {
  set +e
  timeout 60 "$SEALMAIL" inspect "$W/$1" >"$W/$1.out" 2>"$W/$1.err"
  rc=$?
  set -e
  where="$W/$1.out"
  [ "$2" -eq 2 ] && where="$W/$1.err"
  if [ "$rc" -eq "$2" ] && grep -q "$3" "$where"; then
    ok "$1: exit $rc, $(head -1 "$where" | cut -c1-110)"
  else
    fail "$1: exit $rc (expected $2 and /$3/): $(head -3 "$W/$1.err" "$W/$1.out")"
  fi
}
expect garbage 2 'not an e-mail message'
expect words 2 'not an e-mail message'
expect empty 2 'not a message'
expect header-50mb 2 'limit header-block-bytes'
expect received-100k 2 'limit header-count'
expect broken-boundaries 0 'malformed'
expect nest-1000 2 'limit mime-depth'
expect nest-1m 2 'limit mime-depth'
expect charsets 0 '^Signature: Not signed'
set +e
"$SEALMAIL" inspect "$W/no-such-file" 2>"$W/nofile.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'no-such-file' "$W/nofile.err" && ok "missing file: exit 2, names the file" || fail "missing file"

[ "$FAILED" -eq 0 ] || { echo "test-inspect-cli: FAILED"; exit 1; }
echo "test-inspect-cli: all checks passed"
