#!/bin/sh
# Integration: what a user gets from an org bundle. certs/make-test-ca.sh makes a test
# organisation, IT signs a bundle with `sealmail bundle create`, a fresh user imports it, and
# then `sealmail keys` uses the bundle's certificates (source "bundle", chained to the CA the
# bundle trusted) and `sealmail plan` splits by protocol and applies the bundle's org policy
# (its sensitive-content action). No key or policy is written by hand.
set -u
: "${SEALMAIL:?SEALMAIL must name the sealmail binary}"
: "${SM_SRCDIR:?SM_SRCDIR must name the source tree}"

tmp=$(mktemp -d)
cleanup() {
  for h in "$tmp/tca/it-gnupg" "$tmp/tca/other-gnupg" "$tmp/user/gnupg"; do
    [ -d "$h" ] && GNUPGHOME=$h gpgconf --kill all 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fails=0
check() {
  desc=$1
  shift
  if "$@"; then echo "  ok: $desc"; else
    echo "  FAILED: $desc"
    fails=$((fails + 1))
  fi
}
run() { # as the user; stdout in $out, exit status in $rc
  echo "\$ sealmail $*"
  out=$("$SEALMAIL" "$@" 2>"$tmp/stderr")
  rc=$?
  [ -s "$tmp/stderr" ] && sed 's/^/  stderr: /' "$tmp/stderr"
  return 0
}
json() { printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "# test organisation and a signed bundle"
if ! sh "$SM_SRCDIR/certs/make-test-ca.sh" "$tmp/tca" alice bob >"$tmp/ca.log" 2>&1; then
  cat "$tmp/ca.log"
  exit 1
fi
org=$(cat "$tmp/tca/org-openpgp.fpr")
echo "\$ [IT] sealmail bundle create --sign-with $org --version 1 bundle-src -o v1.tar"
GNUPGHOME=$tmp/tca/it-gnupg "$SEALMAIL" bundle create --sign-with "$org" --version 1 \
  "$tmp/tca/bundle-src" -o "$tmp/v1.tar" >/dev/null 2>"$tmp/stderr" || {
  cat "$tmp/stderr"
  exit 1
}

export GNUPGHOME=$tmp/user/gnupg XDG_DATA_HOME=$tmp/user/data XDG_CONFIG_HOME=$tmp/user/config
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
run keys alice@example.org
check "before the bundle: no certificate for alice" [ "$rc" -eq 1 ]
run bundle import --trust "$org" "$tmp/v1.tar"
check "bundle import succeeds" [ "$rc" -eq 0 ]

echo "# keys from the bundle"
run keys --json alice@example.org bob@example.org
check "alice and bob have usable certificates" [ "$rc" -eq 0 ]
check "alice's certificate comes from the bundle" \
  [ "$(json "d['addresses'][0]['smime']['key']['source']")" = "bundle" ]
check "it chains to the CA the bundle trusted" \
  [ "$(json "d['addresses'][0]['smime']['key']['validity']")" = "full" ]

echo "# the bundle's org policy"
# Alice also has an OpenPGP key: now the org policy's preference decides.
gpg --batch --quiet --passphrase '' --quick-gen-key 'Alice <alice@example.org>' future-default \
  default 1y 2>/dev/null
cat >"$tmp/msg.eml" <<EOF
From: Carol <carol@example.org>
To: alice@example.org, bob@example.org, dan@example.net
Subject: schedule

See you at nine.
EOF
run plan --json "$tmp/msg.eml"
check "plan sends" [ "$rc" -eq 0 ]
reason=$(json "[r['reason'] for r in d['recipients'] if r['address']=='alice@example.org'][0]")
check "alice has both; S/MIME by the org policy, and the reason says so" \
  sh -c "printf '%s' \"\$1\" | grep -q 'S/MIME preferred for example.org by org policy'" _ "$reason"
check "one S/MIME message for alice and bob, one plain for dan" \
  [ "$(json "[(g['decision'], g['recipients']) for g in d['groups']]")" = "[('encrypt-smime', ['alice@example.org', 'bob@example.org']), ('plain', ['dan@example.net'])]" ]

cat >"$tmp/card.eml" <<EOF
From: Carol <carol@example.org>
To: alice@example.org, dan@example.net
Subject: payment

Card 4111 1111 1111 1111, expiry 12/30.
EOF
run plan "$tmp/card.eml"
printf '%s\n' "$out" | sed 's/^/  | /'
check "card number to dan (no key): blocked by the org policy's sensitive-action" [ "$rc" -eq 1 ]
check "the reason says what to do" sh -c "printf '%s' \"\$1\" | grep -q \"Remove the data or get dan's key.\"" _ "$out"

if [ "$fails" -ne 0 ]; then
  echo "test-keys-bundle: $fails check(s) failed"
  exit 1
fi
echo "test-keys-bundle: all checks passed"
