#!/bin/sh
# test-inspect-crypto: `sealmail inspect --json` on messages signed and encrypted by independent
# tools (gpg, gpgsm, openssl cms) with keys made now in throwaway GNUPGHOMEs, wrapped in MIME by
# tests/integration/mkmime.py. Checks every signature status, S/MIME detached and opaque,
# nesting in both orders with and without the recipient's key, and that no attack case
# (Johnny-you-are-fired classes, EFAIL, no MDC) is ever reported as verified.
set -eu

: "${SEALMAIL:?set SEALMAIL to the sealmail binary}"
: "${SM_SRCDIR:?set SM_SRCDIR to the source tree}"
MK="python3 $SM_SRCDIR/tests/integration/mkmime.py"
W=$(mktemp -d)
HOMES="alice bob untrusted stranger"
cleanup() {
  for h in $HOMES; do GNUPGHOME="$W/$h" gpgconf --kill all >/dev/null 2>&1 || true; done
  rm -rf "$W"
}
trap cleanup EXIT
FAILED=0
for h in $HOMES; do mkdir -m 700 "$W/$h"; done
quiet() { "$@" >/dev/null 2>&1; }
gpg_as() { h=$1; shift; GNUPGHOME="$W/$h" gpg --batch --yes --quiet --no-tty "$@"; }
fpr_of() { gpg_as "$1" --with-colons --list-keys "$2" | awk -F: '$1 == "fpr" { print $10; exit }'; }

echo "== keys (gpg, gpgsm, openssl), made now"
quiet gpg_as alice --passphrase '' --quick-gen-key 'Alice Example <alice@example.org>' ed25519 sign never
quiet gpg_as alice --passphrase '' --quick-gen-key 'Mallory <mallory@example.com>' ed25519 sign never
quiet gpg_as alice --passphrase '' --faked-system-time 20200101T000000 \
  --quick-gen-key 'Old Key <old@example.org>' ed25519 sign 1d
quiet gpg_as alice --passphrase '' --quick-gen-key 'Revoked Key <rev@example.org>' ed25519 sign never
quiet gpg_as bob --passphrase '' --quick-gen-key 'Bob Example <bob@example.net>' default default never
ALICE=$(fpr_of alice alice@example.org)
MALLORY=$(fpr_of alice mallory@example.com)
OLD=$(fpr_of alice old@example.org)
REV=$(fpr_of alice rev@example.org)
gpg_as bob --armor --export bob@example.net >"$W/bob.asc"
for h in alice untrusted; do quiet gpg_as $h --import "$W/bob.asc"; done
gpg_as alice --armor --export "$ALICE" "$MALLORY" "$OLD" "$REV" >"$W/alice-keys.asc"
quiet gpg_as bob --import "$W/alice-keys.asc"
quiet gpg_as untrusted --import "$W/alice-keys.asc"
printf '%s:6:\n%s:6:\n%s:6:\n%s:6:\n' "$ALICE" "$MALLORY" "$OLD" "$REV" >"$W/trust"
quiet gpg_as bob --import-ownertrust "$W/trust"
sed 's/^://' "$W/alice/openpgp-revocs.d/$REV.rev" >"$W/rev.asc"
quiet gpg_as bob --import "$W/rev.asc"
echo "alice=$ALICE bob=$(fpr_of bob bob@example.net)"

# gpgsm: a self-signed certificate for bob on a gpg key (gpgsm 2.2 ignores %no-protection).
quiet gpg_as bob --passphrase '' --quick-gen-key 'Bob X509' rsa2048 default never
GRIP=$(gpg_as bob --with-keygrip --with-colons --list-keys 'Bob X509' | awk -F: '$1 == "grp" { print $10; exit }')
cat >"$W/certparms" <<EOF
Key-Type: RSA
Key-Grip: $GRIP
Key-Usage: sign, encrypt
Serial: random
Name-DN: CN=Bob Example,O=Example Net,C=US
Name-Email: bob@example.net
EOF
echo disable-crl-checks >"$W/bob/gpgsm.conf"
GNUPGHOME="$W/bob" gpgsm --batch --armor --gen-key "$W/certparms" >"$W/bob-x509.pem" 2>/dev/null
GNUPGHOME="$W/bob" quiet gpgsm --batch --import "$W/bob-x509.pem"
BOBX=$(GNUPGHOME="$W/bob" gpgsm --with-colons --list-keys bob@example.net | awk -F: '$1 == "fpr" { print $10; exit }')
echo "$BOBX S relax" >"$W/bob/trustlist.txt"

# openssl: a test CA and dave's certificate; bob trusts the CA, not dave directly.
cat >"$W/dave.ext" <<EOF
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:dave@example.org
EOF
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 30 \
  -subj '/O=Example Test CA/CN=Example Test Root' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
quiet openssl req -newkey rsa:2048 -nodes -keyout "$W/dave.key" -out "$W/dave.csr" \
  -subj '/O=Example Org/CN=Dave Example/emailAddress=dave@example.org'
quiet openssl x509 -req -in "$W/dave.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
  -out "$W/dave.pem" -days 30 -extfile "$W/dave.ext"
GNUPGHOME="$W/bob" quiet gpgsm --batch --import "$W/ca.pem"
CAFPR=$(GNUPGHOME="$W/bob" gpgsm --with-colons --list-keys 'Example Test Root' | awk -F: '$1 == "fpr" { print $10; exit }')
echo "$CAFPR S relax" >>"$W/bob/trustlist.txt"
# gpg-agent reads trustlist.txt once: make it read the new root.
GNUPGHOME="$W/bob" gpgconf --reload gpg-agent
echo "bob x509=$BOBX ca=$CAFPR"

# ---- message builders
text() { $MK text "$2" >"$W/$1"; }
pgpsign() { $MK pgp-sign "$W/$2" -- gpg --homedir "$W/alice" --batch --quiet -u "$3" \
  ${4:-} --detach-sign --armor >"$W/$1" 2>/dev/null; }
encrypt_bob() { $MK pgp-encrypt "$W/$2" -- gpg --homedir "$W/alice" --batch --quiet --trust-model always \
  -r bob@example.net ${3:-} --encrypt --armor >"$W/$1" 2>/dev/null; }
msg() { # msg NAME FROM ENTITY [extra header]
  $MK message --header "From: $2" --header 'To: Bob Example <bob@example.net>' \
    --header "Subject: test $1" --header 'Date: Wed, 25 Nov 2026 10:00:00 +0000' \
    ${4:+--header "$4"} "$W/$3" >"$W/$1.eml"
}

# check NAME HOME LABEL PYTHON-EXPRESSION: j is the parsed JSON of `sealmail inspect --json`.
check() {
  if ! GNUPGHOME="$W/$2" "$SEALMAIL" inspect --json "$W/$1.eml" >"$W/$1.$2.json" 2>"$W/$1.$2.err"; then
    echo "FAIL $1 ($2): sealmail inspect failed: $(cat "$W/$1.$2.err")"
    FAILED=1
    return
  fi
  if python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sigs = j["signatures"]
s0 = sigs[0] if sigs else {}
f0 = s0.get("findings", [])
enc = j["encryption"]
e = (enc["encrypted"], enc["protocol"], enc["decrypted"])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$W/$1.$2.json" "$4"; then
    echo "ok   $1 ($2): $3"
  else
    echo "FAIL $1 ($2): $3: expected $4"
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(json.dumps({k: j[k] for k in ("signatures", "encryption", "findings", "verdict")}, indent=1))' "$W/$1.$2.json"
    FAILED=1
  fi
}
# never_verified NAME HOME LABEL FINDING: an attack case; FINDING must be reported.
never_verified() {
  check "$1" "$2" "$3 -> never verified, finding $4" \
    "j['verdict']['signature'] != 'verified' and all(s['status'] != 'verified' for s in sigs) and ('$4' in j['findings'] or any('$4' in s['findings'] for s in sigs))"
}

echo "== OpenPGP signature statuses"
text body 'Hello Bob, the minutes are attached. Alice'
pgpsign signed body "$ALICE"
msg good 'Alice Example <alice@example.org>' signed
check good bob "valid, trusted, signer == From" \
  "j['verdict']['signature'] == 'verified' and s0['status'] == 'verified' and s0['from_matches'] and s0['covers_whole_body'] and s0['signer']['fingerprint'] == '$ALICE'"
check good untrusted "key present but not trusted" \
  "s0['status'] == 'valid-untrusted' and s0['valid'] and not s0['trusted'] and j['verdict']['signature'] == 'not-verified'"
check good stranger "key absent" \
  "s0['status'] == 'unknown-key' and 'signer-differs-from-from' not in f0 and j['verdict']['signature'] == 'not-verified'"
sed 's/the minutes/the MINUTES/' "$W/good.eml" >"$W/tampered.eml"
check tampered bob "body changed after signing" "s0['status'] == 'bad' and not s0['valid']"
pgpsign signed-old body "$OLD" '--faked-system-time 20200101T010000'
msg expired 'Old Key <old@example.org>' signed-old
check expired bob "key expired" "s0['status'] == 'expired'"
pgpsign signed-rev body "$REV"
msg revoked 'Revoked Key <rev@example.org>' signed-rev
check revoked bob "key revoked" "s0['status'] == 'revoked'"
msg plain 'Alice Example <alice@example.org>' body
check plain bob "no signature" "j['verdict']['signature'] == 'unsigned' and sigs == []"

echo "== inline PGP"
printf 'Hello Bob,\nclearsigned minutes.\nAlice\n' | gpg --homedir "$W/alice" --batch --quiet -u "$ALICE" --clearsign >"$W/clear.txt"
text clear-entity "$(cat "$W/clear.txt")"
msg inline 'Alice Example <alice@example.org>' clear-entity
check inline bob "clearsigned text" "s0['status'] == 'verified' and j['verdict']['signature'] == 'verified'"
text clear-around "URGENT: wire 10,000 EUR today.
$(cat "$W/clear.txt")"
msg inline-around 'Alice Example <alice@example.org>' clear-around
never_verified inline-around bob "unsigned text before a clearsigned block" unsigned-text-around-signed
printf 'Secret minutes, inline.\n' | gpg --homedir "$W/alice" --batch --quiet --trust-model always -r bob@example.net --encrypt --armor >"$W/inline-enc.txt"
text inline-enc-entity "$(cat "$W/inline-enc.txt")"
msg inline-enc 'Alice Example <alice@example.org>' inline-enc-entity
check inline-enc bob "inline encrypted, key present" \
  "e == (True, 'openpgp', True)"

echo "== attack cases (USENIX Security 2019 'Johnny, you are fired'; EFAIL 2018)"
msg mismatch 'Carol <carol@example.org>' signed
never_verified mismatch bob "good signature by alice, From carol" signer-differs-from-from
msg dispname '"bob@example.net" <alice@example.org>' signed
never_verified dispname bob "display name shows another address" display-name-impersonation
msg dispname-wide '"ceo＠example.net" <alice@example.org>' signed
never_verified dispname-wide bob "display name with a fullwidth at sign" display-name-impersonation
$MK message --header 'From: Alice Example <alice@example.org>' \
  --header 'From: Mallory <mallory@example.com>' --header 'Subject: two From' "$W/signed" >"$W/twofrom.eml"
never_verified twofrom bob "two From fields" multiple-from
text unsigned-text 'Please also wire 10,000 EUR to the account below.'
$MK mixed "$W/unsigned-text" "$W/signed" >"$W/mixed-inner"
msg innerpart 'Alice Example <alice@example.org>' mixed-inner
never_verified innerpart bob "signature over an inner part only" inner-part-signature
check innerpart bob "unsigned text next to it is flagged" "'unsigned-text-around-signed' in j['findings']"
$MK mixed "$W/signed" "$W/unsigned-text" >"$W/mixed-footer"
msg around 'Alice Example <alice@example.org>' mixed-footer
never_verified around bob "unsigned text after the signed part" unsigned-text-around-signed
$MK rfc822 "$W/good.eml" >"$W/fwd-part"
text fwd-text 'See the forwarded message from Alice.'
$MK mixed "$W/fwd-text" "$W/fwd-part" >"$W/fwd-mixed"
msg forwarded 'Alice Example <alice@example.org>' fwd-mixed
never_verified forwarded bob "alice's signed message forwarded as an attachment" forwarded-signature
pgpsign signed-mallory body "$MALLORY"
msg mallory-as-alice 'Alice Example <alice@example.org>' signed-mallory
never_verified mallory-as-alice bob "trusted key of another person" signer-differs-from-from

echo "== encryption, nesting and EFAIL"
encrypt_bob sign-then-enc signed
msg sign-then-enc 'Alice Example <alice@example.org>' sign-then-enc
check sign-then-enc bob "signed then encrypted, key present" \
  "j['encryption']['decrypted'] and s0['status'] == 'verified' and j['verdict']['signature'] == 'verified'"
check sign-then-enc stranger "signed then encrypted, key absent" \
  "e == (True, 'openpgp', False) and 'not-decrypted-no-key' in j['findings'] and 'secret key' in enc['error'] and j['verdict']['signature'] != 'verified'"
encrypt_bob enc body
pgpsign enc-then-sign enc "$ALICE"
msg enc-then-sign 'Alice Example <alice@example.org>' enc-then-sign
check enc-then-sign bob "encrypted then signed, key present" \
  "j['encryption']['decrypted'] and s0['status'] == 'verified' and s0['covers_whole_body']"
check enc-then-sign stranger "encrypted then signed, key absent" \
  "not j['encryption']['decrypted'] and 'not-decrypted-no-key' in j['findings'] and s0['status'] == 'unknown-key'"
encrypt_bob combined body "-u $ALICE --sign"
msg combined 'Alice Example <alice@example.org>' combined
check combined bob "OpenPGP sign+encrypt in one message" \
  "j['encryption']['decrypted'] and s0['status'] == 'verified'"
$MK mixed "$W/unsigned-text" "$W/enc" >"$W/efail"
msg efail 'Alice Example <alice@example.org>' efail
check efail bob "encrypted part between plain parts is not decrypted" \
  "not j['encryption']['decrypted'] and 'encrypted-part-mixed-with-plain' in j['findings']"
encrypt_bob nomdc body '--rfc2440 --cipher-algo CAST5'
msg nomdc 'Alice Example <alice@example.org>' nomdc
check nomdc bob "OpenPGP without MDC: plaintext refused" \
  "not enc['decrypted'] and 'no-integrity-protection' in j['findings'] and 'MDC' in enc['error'] and j['verdict']['signature'] != 'verified'"
$MK pgp-sign "$W/nomdc" -- gpg --homedir "$W/alice" --batch --quiet -u "$ALICE" --detach-sign --armor >"$W/nomdc-signed"
msg nomdc-signed 'Alice Example <alice@example.org>' nomdc-signed
check nomdc-signed bob "signed no-MDC data: signature shown, plaintext still refused" \
  "not j['encryption']['decrypted'] and 'no-integrity-protection' in j['findings']"

echo "== S/MIME (openssl cms and gpgsm)"
$MK smime-sign "$W/body" -- openssl cms -sign -signer "$W/dave.pem" -inkey "$W/dave.key" \
  -binary -outform DER >"$W/smime-detached"
msg smime-detached 'Dave Example <dave@example.org>' smime-detached
check smime-detached bob "openssl detached, CA trusted" \
  "s0['protocol'] == 'smime' and s0['status'] == 'verified' and 'Example Test Root' in (s0['signer']['issuer'] or '')"
check smime-detached stranger "openssl detached, CA unknown" "s0['protocol'] == 'smime' and s0['status'] != 'verified'"
openssl cms -sign -signer "$W/dave.pem" -inkey "$W/dave.key" -nodetach -binary -outform DER \
  -in "$W/body" -out "$W/opaque.der"
$MK pkcs7 signed-data "$W/opaque.der" >"$W/smime-opaque"
msg smime-opaque 'Dave Example <dave@example.org>' smime-opaque
check smime-opaque bob "openssl opaque signed-data" "s0['status'] == 'verified' and s0['covers_whole_body']"
msg smime-dave-as-alice 'Alice Example <alice@example.org>' smime-detached
never_verified smime-dave-as-alice bob "S/MIME signer differs from From" signer-differs-from-from
$MK smime-sign "$W/body" -- sh -c "GNUPGHOME='$W/bob' gpgsm --batch --quiet -u $BOBX --detach-sign 2>/dev/null" >"$W/gpgsm-signed"
msg gpgsm-signed 'Bob Example <bob@example.net>' gpgsm-signed
check gpgsm-signed bob "gpgsm detached, self-signed cert in trustlist" "s0['status'] == 'verified'"
openssl cms -encrypt -aes256 -binary -outform DER -in "$W/smime-detached" -out "$W/env.der" "$W/bob-x509.pem"
$MK pkcs7 enveloped-data "$W/env.der" >"$W/smime-env"
msg smime-env 'Dave Example <dave@example.org>' smime-env
check smime-env bob "S/MIME signed then encrypted, key present" \
  "e == (True, 'smime', True) and s0['status'] == 'verified' and 'smime-unauthenticated-encryption' in j['findings']"
check smime-env stranger "S/MIME encrypted, key absent" \
  "j['encryption']['encrypted'] and not j['encryption']['decrypted']"

echo "== result"
if [ "$FAILED" -ne 0 ]; then
  echo "test-inspect-crypto: FAILED"
  exit 1
fi
echo "test-inspect-crypto: all checks passed"
