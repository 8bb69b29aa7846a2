#!/bin/sh
# Integration: `sealmail keys` and `sealmail plan` against real gpg/gpgsm keyrings made here
# (tests/unit/make-test-keys.sh), an org bundle state and org policy file, an Autocrypt peer
# learnt from a message, and (when the scan module is built) sensitive-content outcomes.
# Transcript: every command is printed; every check says what it checks.
set -u
: "${SEALMAIL:?SEALMAIL must name the sealmail binary}"
: "${SM_SRCDIR:?SM_SRCDIR must name the source tree}"

tmp=$(mktemp -d)
cleanup() {
  GNUPGHOME=$tmp/user gpgconf --kill all 2>/dev/null
  GNUPGHOME=$tmp/world gpgconf --kill all 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "  ok: $1"; }
bad() {
  echo "  FAILED: $1"
  fails=$((fails + 1))
}
check() { # description, then a command that must succeed
  desc=$1
  shift
  if "$@"; then ok "$desc"; else bad "$desc"; fi
}
run() { # runs sealmail, keeps stdout in $out and the exit status in $rc
  echo "\$ sealmail $*"
  out=$("$SEALMAIL" --config "$tmp/sealmail.conf" "$@" 2>"$tmp/stderr")
  rc=$?
  [ -s "$tmp/stderr" ] && sed 's/^/  stderr: /' "$tmp/stderr"
  return 0
}
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }
json() { # python expression over the parsed JSON in $out, printed
  printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

echo "# making keys and certificates in $tmp"
sh "$SM_SRCDIR/tests/unit/make-test-keys.sh" "$tmp" >/dev/null || {
  echo "make-test-keys.sh failed"
  exit 1
}
. "$tmp/keys.env"
export GNUPGHOME="$tmp/user" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data"
mkdir -p "$tmp/bundle" "$tmp/config/sealmail"
cat >"$tmp/sealmail.conf" <<EOF
[keys]
network = false
state-db = $tmp/state.db
bundle-state = $tmp/bundle
[policy]
org-policy = $tmp/org-policy.conf
EOF
printf '[keys]\nopenpgp=%s\nsmime=\n' "$FPR_BUNDLED" >"$tmp/bundle/installed.ini"
: >"$tmp/org-policy.conf"

echo "# sealmail keys"
run keys bob@example.org expired@example.org revoked@example.org signonly@example.org
check "exit 1: some address has no usable key" [ "$rc" -eq 1 ]
check "bob's key is shown" has "$FPR_BOB"
check "expired key explained with its date" has "key for expired@example.org expired on 2026-03-01"
check "revoked key explained" has "key for revoked@example.org is revoked"
check "sign-only key explained" has "key for signonly@example.org has no encryption subkey"

run keys --json two@example.org second@example.org dave@example.org bundled@example.org
check "exit 0: every address has a key" [ "$rc" -eq 0 ]
check "two candidates: the certified one is chosen" \
  [ "$(json "d['addresses'][0]['openpgp']['key']['fingerprint']")" = "$FPR_TWO_OLD" ]
note=$(json "d['addresses'][0]['openpgp']['key']['note']")
check "two candidates: the choice is explained" \
  sh -c "printf '%s' \"\$1\" | grep -q 'full validity'" _ "$note"
check "address only in a secondary user ID" \
  [ "$(json "d['addresses'][1]['openpgp']['key']['fingerprint']")" = "$FPR_SECOND" ]
check "S/MIME certificate chained to the trusted test CA" \
  [ "$(json "d['addresses'][2]['smime']['key']['validity']")" = "full" ]
check "org bundle key has source bundle" \
  [ "$(json "d['addresses'][3]['openpgp']['key']['source']")" = "bundle" ]

run keys frank@example.org grace@example.org carol@example.org
check "missing issuer reported" has "the certificate of its issuer (CN=Missing CA,O=Elsewhere) is missing"
check "untrusted root reported" has "certificate for grace@example.org does not chain to a trusted root"
check "nothing at all reported" has "no OpenPGP key for carol@example.org"

echo "# Autocrypt: a message from ac@example.org teaches its key"
keydata=$(base64 -w 76 "$tmp/ac.key" | sed 's/^/ /')
cat >"$tmp/from-ac.eml" <<EOF
From: Peer <ac@example.org>
To: alice@example.org
Date: Tue, 24 Nov 2026 10:00:00 +0000
Autocrypt: addr=ac@example.org; prefer-encrypt=mutual; keydata=
$keydata
Subject: hello

hi
EOF
run keys ac@example.org
check "before: no key for the Autocrypt peer" has "no OpenPGP key for ac@example.org"
run keys --json --learn "$tmp/from-ac.eml" ac@example.org
check "after: the Autocrypt key is used, source autocrypt" \
  [ "$(json "d['addresses'][0]['openpgp']['key']['source']")" = "autocrypt" ]
check "after: it is the peer's key" \
  [ "$(json "d['addresses'][0]['openpgp']['key']['fingerprint']")" = "$FPR_AC" ]

echo "# sealmail plan: mixed recipients and Bcc"
cat >"$tmp/mixed.eml" <<EOF
From: Alice <alice@example.org>
To: Bob <bob@example.org>, dave@example.org, carol@example.org
Cc: erin@example.org
Bcc: two@example.org, frank@example.org
Subject: plans

Lunch on Friday?
EOF
run plan --no-scan "$tmp/mixed.eml"
printf '%s\n' "$out" | sed 's/^/  | /'
check "plan exit 0 (sent)" [ "$rc" -eq 0 ]
check "carol explained" has "no key or certificate for carol@example.org"
check "Bcc copies are separate messages" has "Message 4 (encrypt-openpgp, Bcc copy): two@example.org"
check "verdict line" has "Send as 5 messages"

printf '[domain:example.org]\nprefer = smime\n' >"$tmp/org-policy.conf"
run plan --json --no-scan "$tmp/mixed.eml"
check "org policy: erin (both protocols) gets S/MIME" \
  [ "$(json "[r['decision'] for r in d['recipients'] if r['address']=='erin@example.org'][0]")" = "encrypt-smime" ]
reason=$(json "[r['reason'] for r in d['recipients'] if r['address']=='erin@example.org'][0]")
check "org policy: the reason says so" \
  sh -c "printf '%s' \"\$1\" | grep -q 'S/MIME preferred for example.org by org policy'" _ "$reason"
check "JSON groups: To/Cc S/MIME group holds dave and erin" \
  [ "$(json "[g['recipients'] for g in d['groups'] if g['decision']=='encrypt-smime' and not g['bcc_copy']][0]")" = "['dave@example.org', 'erin@example.org']" ]
check "JSON action send" [ "$(json "d['action']")" = "send" ]

run plan --rcpt bob@example.org --rcpt hidden@example.org --no-scan --json "$tmp/mixed.eml"
check "envelope: only envelope recipients" [ "$(json "len(d['recipients'])")" = "2" ]
check "envelope: hidden is a Bcc copy" \
  [ "$(json "[g['bcc_copy'] for g in d['groups'] if 'hidden@example.org' in g['recipients']][0]")" = "True" ]

printf '[domain:example.org]\nprefer = rot13\n' >"$tmp/org-policy.conf"
run plan --no-scan "$tmp/mixed.eml"
check "a bad org policy is an error (exit 2) naming the key" \
  sh -c "[ $rc -eq 2 ] && grep -q 'org policy: \[domain:example.org\] prefer' '$tmp/stderr'"
: >"$tmp/org-policy.conf"

echo "# sensitive content"
cat >"$tmp/ssn.eml" <<EOF
From: Alice <alice@example.org>
To: bob@example.org, carol@example.org
Subject: forms

My SSN is 536-22-1234 and the card is 4111 1111 1111 1111, exp 12/30.
(219-09-9999, the SSA's voided advertising number, does not count.)
EOF
run plan "$tmp/ssn.eml"
printf '%s\n' "$out" | sed 's/^/  | /'
check "SSN + card, carol has no key: blocked (exit 1)" [ "$rc" -eq 1 ]
check "the block names types and counts" \
  has "Not sent: 1 social security number and 1 card number found; no key or certificate for carol@example.org."
check "the block says what to do" has "Remove the data or get carol's key."
check "no value is printed" sh -c "! printf '%s' \"\$1\" | grep -q '536-22-1234\|4111 1111\|1111 1111'" _ "$out"
printf '[policy]\nsensitive-action = require-tls\n' >"$tmp/org-policy.conf"
run plan --json "$tmp/ssn.eml"
check "require-tls by org policy: carol require-tls" \
  [ "$(json "[r['decision'] for r in d['recipients'] if r['address']=='carol@example.org'][0]")" = "require-tls" ]
check "bob still encrypted" \
  [ "$(json "[r['decision'] for r in d['recipients'] if r['address']=='bob@example.org'][0]")" = "encrypt-openpgp" ]
printf '[policy]\nsensitive-action = warn\n' >"$tmp/org-policy.conf"
run plan --json "$tmp/ssn.eml"
check "warn: carol plain, action send" \
  [ "$(json "[r['decision'] for r in d['recipients'] if r['address']=='carol@example.org'][0] + ' ' + d['action']")" = "plain send" ]
check "warn: the verdict warns" sh -c "printf '%s' \"\$1\" | grep -q 'Warning: .* without encryption'" _ "$(json "d['reason']")"
check "JSON sensitive summary counts the SSN" [ "$(json "d['sensitive'].get('US_SSN')")" = "1" ]
printf '[policy]\nsensitive-action = warn\naction-US_SSN = block\n' >"$tmp/org-policy.conf"
run plan --json "$tmp/ssn.eml"
check "per-type action: SSN blocks even when the rest warns" [ "$(json "d['action']")" = "block" ]
reason=$(json "[r['reason'] for r in d['recipients'] if r['address']=='carol@example.org'][0]")
check "per-type action: the reason names org policy" \
  sh -c "printf '%s' \"\$1\" | grep -q 'block by org policy'" _ "$reason"
: >"$tmp/org-policy.conf"

if [ "$fails" -ne 0 ]; then
  echo "test-keys-plan: $fails check(s) failed"
  exit 1
fi
echo "test-keys-plan: all checks passed"
