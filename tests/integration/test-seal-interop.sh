#!/bin/bash
# test-seal-interop: what `sealmail seal` produces is read by independent implementations.
#   PGP/MIME (RFC 3156)  decrypted and verified by the gpg CLI and by Sequoia's sq
#   S/MIME (RFC 8551)    decrypted by gpgsm and by `openssl cms -decrypt`, verified by
#                        `openssl cms -verify` and gpgsm --verify
# plus: each recipient can decrypt only the copy meant for them, Bcc copies are separate and
# name nobody else, the sender can decrypt every copy (encrypt-to-self), protected headers
# (RFC 9788) are inside, the Autocrypt header and gossip parse and carry the right keys, a
# blocked plan exits 1. Every person has a GnuPG home of their own with only their own secret
# key; keys and an OpenSSL test CA are generated here. MIME parts are extracted with python3's
# email package (seal-mime.py), not with sealmail.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SEALMAIL=${SEALMAIL:?set SEALMAIL to the sealmail binary}
# The system interpreter: a version-manager shim in PATH can cost seconds per call.
PY=$(command -v /usr/bin/python3 || command -v python3)
MIME="$PY $here/seal-mime.py"
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-seal-interop.XXXXXX")
PEOPLE="alice bob carol dave erin"
fail=0

cleanup() {
  for p in $PEOPLE; do
    [ -d "$T/$p" ] && gpgconf --homedir "$T/$p" --kill all 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
# check DESCRIPTION COMMAND...: runs the command, prints ok or FAILED with its output.
check() {
  local what=$1
  shift
  if "$@" >"$T/check.out" 2>&1; then
    say "ok - $what"
  else
    say "FAILED - $what"
    sed 's/^/    | /' "$T/check.out" | head -20
    fail=1
  fi
}
not() { ! "$@"; }
contains() { grep -q -- "$2" "$1"; }
# gpg / gpgsm as one person, in their own home, batch, no agent prompts.
gpg_as() { local who=$1; shift; gpg --homedir "$T/$who" --batch --no-tty "$@"; }
gpgsm_as() { local who=$1; shift; gpgsm --homedir "$T/$who" --batch --no-tty "$@"; }

say "# keys: OpenPGP for alice (sender), bob, carol, dave; S/MIME for alice and erin (OpenSSL CA)"
for p in $PEOPLE; do
  mkdir -m 700 "$T/$p"
  echo disable-crl-checks >"$T/$p/gpgsm.conf"
done
for p in alice bob carol dave; do
  gpg_as $p --passphrase '' --quick-gen-key "${p^} <$p@example.org>" future-default default never \
    2>/dev/null || { say "FAILED - gpg key generation for $p"; exit 1; }
done
fpr() { gpg_as "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/ {print $10; exit}'; }
ALICE=$(fpr alice alice@example.org)
BOB=$(fpr bob bob@example.org)
CAROL=$(fpr carol carol@example.org)
for p in bob carol dave; do
  gpg_as $p --export "$p@example.org" | gpg_as alice --import 2>/dev/null
  gpg_as alice --quick-lsign-key "$(fpr alice "$p@example.org")" >/dev/null 2>&1
  gpg_as alice --export alice@example.org | gpg_as $p --import 2>/dev/null
  gpg_as $p --quick-lsign-key "$ALICE" >/dev/null 2>&1
done
gpg_as alice --export alice@example.org >"$T/alice.pub"
gpg_as bob --export-secret-keys bob@example.org >"$T/bob.sec"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 30 \
  -subj "/CN=Interop Test CA/O=Example" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
CA_FPR=$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
smime_cert() { # NAME ADDRESS
  openssl req -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$1/O=Example" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:%s\n' "$2" >"$T/$1.ext"
  openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
    -out "$T/$1.pem" -days 30 -extfile "$T/$1.ext" 2>/dev/null
  # gpgsm 2.2 reads only the classic PKCS#12 ciphers; an empty passphrase keeps the key unprotected.
  openssl pkcs12 -export -in "$T/$1.pem" -inkey "$T/$1.key" -out "$T/$1.p12" -passout pass: \
    -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
}
smime_cert alice alice@example.org
smime_cert erin erin@smime.example
for p in alice erin; do
  other=$([ $p = alice ] && echo erin || echo alice)
  gpgsm_as $p --import "$T/ca.pem" 2>/dev/null
  gpgsm_as $p --pinentry-mode loopback --passphrase '' --import "$T/$p.p12" 2>/dev/null
  gpgsm_as $p --import "$T/$other.pem" 2>/dev/null
  echo "$CA_FPR S relax" >"$T/$p/trustlist.txt"
  gpgconf --homedir "$T/$p" --reload gpg-agent 2>/dev/null
done
ALICE_X509=$(gpgsm_as alice --with-colons --list-secret-keys alice@example.org | awk -F: '/^fpr/ {print $10; exit}')
[ -n "$ALICE" ] && [ -n "$ALICE_X509" ] || { say "FAILED - key setup"; exit 1; }

cat >"$T/sealmail.conf" <<EOF
[keys]
gnupg-home = $T/alice
state-db = $T/state.db
bundle-state = $T/bundle
[policy]
sensitive-action = block
EOF
export GNUPGHOME=$T/alice XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data
sm() { "$SEALMAIL" --config "$T/sealmail.conf" "$@"; }

head -c 300000 /dev/urandom >"$T/budget.bin"
{
  printf 'From: Alice <alice@example.org>\nTo: Bob <bob@example.org>, carol@example.org\n'
  printf 'Cc: Erin <erin@smime.example>\nBcc: dave@example.org\nSubject: Project Falcon budget\n'
  printf 'Date: Wed, 25 Nov 2026 09:00:00 +0000\nMessage-ID: <falcon-1@example.org>\n'
  printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="xyz"\n\n--xyz\n'
  printf 'Content-Type: text/plain; charset=utf-8\n\nHello all, the budget is attached.\n'
  printf 'From now on we meet on Fridays.\n--xyz\n'
  printf 'Content-Type: application/octet-stream; name=budget.bin\nContent-Transfer-Encoding: base64\n\n'
  base64 -w 76 "$T/budget.bin"
  printf -- '--xyz--\n'
} >"$T/falcon.eml"

say "# sealing a message to two OpenPGP recipients, one S/MIME recipient and one Bcc"
say "+ sealmail seal falcon.eml > all.mbox   (a split plan: one mbox, a From_ line per copy)"
sm seal "$T/falcon.eml" >"$T/all.mbox" 2>"$T/seal.err"
rc=$?
sed 's/^/    | /' "$T/seal.err"
check "seal exits 0" test "$rc" -eq 0
check "three copies in the mbox, each after a From_ line" \
  test "$(grep -c '^From alice@example.org ' "$T/all.mbox")" -eq 3
# Split the mbox (mboxrd: drop the From_ line, unescape >From) into out/1.eml, 2.eml, ...
mkdir "$T/out"
"$PY" - "$T/all.mbox" "$T/out" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
copies = re.split(rb"(?m)^From [^\n]*\n", data)[1:]
for i, c in enumerate(copies, 1):
    c = re.sub(rb"(?m)^>(>*From )", rb"\1", c)
    open("%s/%d.eml" % (sys.argv[2], i), "wb").write(c[:-1] if c.endswith(b"\n\n") else c)
PY
# Which copy went to whom, from the report on stderr ("copy N of 3: DECISION, ... -> RCPTS").
copy_for() {
  local n
  n=$(grep -- "-> .*$1" "$T/seal.err" | head -1 | sed 's/^sealmail: copy \([0-9]*\) of .*/\1/')
  [ -n "$n" ] && echo "$T/out/$n.eml"
}
PGP=$(copy_for bob@example.org)
SMIME=$(copy_for erin@smime.example)
BCC=$(copy_for dave@example.org)
check "three copies: OpenPGP group, S/MIME group, Bcc copy" \
  test -n "$PGP" -a -n "$SMIME" -a -n "$BCC" -a "$PGP" != "$BCC" -a "$PGP" != "$SMIME" -a "$(ls "$T/out" | wc -l)" -eq 3
check "the OpenPGP copy goes to bob and carol only" grep -q -- "-> bob@example.org, carol@example.org$" "$T/seal.err"
check "the Bcc copy goes to dave only" grep -q -- "-> dave@example.org$" "$T/seal.err"
for f in "$PGP" "$SMIME" "$BCC"; do
  check "$(basename "$f"): no Bcc header field" not grep -qi '^Bcc:' "$f"
  check "$(basename "$f"): outer Subject is [...] (RFC 9788 hcp_baseline)" \
    test "$($MIME header "$f" Subject)" = "[...]"
done
check "dave is named nowhere in the OpenPGP and S/MIME copies" not grep -q dave@ "$PGP" "$SMIME"

say "# PGP/MIME copy, read with the gpg CLI"
$MIME type "$PGP" >"$T/pgp.type"
check "multipart/encrypted; protocol=application/pgp-encrypted" \
  grep -qx 'protocol=application/pgp-encrypted' "$T/pgp.type"
$MIME payload "$PGP" 1 "$T/pgp.version"
check "first part says Version: 1" grep -qx 'Version: 1' "$T/pgp.version"
$MIME payload "$PGP" 2 "$T/pgp.asc"
say "+ gpg --decrypt (bob's home)"
check "bob decrypts; signature by alice is good" \
  sh -c "gpg --homedir '$T/bob' --batch --status-fd 3 --decrypt '$T/pgp.asc' 3>'$T/bob.status' >'$T/bob.plain' 2>/dev/null && grep -q 'VALIDSIG $ALICE' '$T/bob.status'"
check "carol decrypts" gpg_as carol --decrypt --output "$T/carol.plain" "$T/pgp.asc"
check "alice decrypts her Sent copy (encrypt-to-self)" gpg_as alice --decrypt --output /dev/null "$T/pgp.asc"
check "dave cannot decrypt the copy for bob and carol" not gpg_as dave --decrypt --output /dev/null "$T/pgp.asc"
$MIME inner "$T/bob.plain" >"$T/bob.headers"
check "protected headers: hp=\"cipher\" on the payload root" grep -Eq '^Content-Type: multipart/mixed;.*hp="?cipher' "$T/bob.headers"
check "protected headers: the real Subject inside" grep -qx 'Subject: Project Falcon budget' "$T/bob.headers"
check "protected headers: HP-Outer records the obscured Subject" grep -qx 'HP-Outer: Subject: \[...\]' "$T/bob.headers"
check "no Bcc and no dave inside" not grep -qiE '^Bcc:|dave@' "$T/bob.headers"
check "the body text is intact" grep -q 'From now on we meet on Fridays.' "$T/bob.plain"
"$PY" - "$T/bob.plain" "$T/budget.bin" >"$T/att.check" 2>&1 <<'EOF'
import email, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
att = [p for p in msg.walk() if p.get_filename() == "budget.bin"][0]
sys.exit(0 if att.get_payload(decode=True) == open(sys.argv[2], "rb").read() else 1)
EOF
check "the 300 kB attachment decrypts byte for byte" test $? -eq 0

say "# Autocrypt header and gossip"
check "outer Autocrypt header parses: addr=alice@example.org" \
  sh -c "$MIME autocrypt '$PGP' Autocrypt '$T/ac.key' | grep -q '^addr=alice@example.org '"
check "Autocrypt keydata is alice's key" \
  sh -c "gpg --batch --with-colons --show-keys '$T/ac.key' 2>/dev/null | grep -q 'fpr:*$ALICE:'"
check "two Autocrypt-Gossip fields inside (bob, carol)" \
  sh -c "$MIME autocrypt '$T/bob.plain' Autocrypt-Gossip '$T/gossip' | sort | tr '\n' ' ' | grep -q 'addr=bob@example.org .*addr=carol@example.org '"
check "gossip keydata is bob's and carol's keys" \
  sh -c "cat '$T/gossip.1' '$T/gossip.2' | gpg --batch --with-colons --show-keys 2>/dev/null >'$T/gossip.keys' && grep -q 'fpr:*$BOB:' '$T/gossip.keys' && grep -q 'fpr:*$CAROL:' '$T/gossip.keys'"

say "# the same PGP/MIME copy, read with Sequoia (sq)"
if command -v sq >/dev/null 2>&1; then
  check "sq decrypts as bob and verifies alice's signature" \
    sq decrypt --recipient-key "$T/bob.sec" --signer-cert "$T/alice.pub" --output "$T/sq.plain" "$T/pgp.asc"
  check "sq's plaintext is the same entity" cmp -s "$T/sq.plain" "$T/bob.plain"
else
  say "ok - sq not installed (tools/deps.sh installs it): skipped"
fi

say "# the Bcc copy"
$MIME payload "$BCC" 2 "$T/bcc.asc"
check "dave decrypts his copy" gpg_as dave --decrypt --output "$T/dave.plain" "$T/bcc.asc"
check "bob cannot decrypt dave's copy" not gpg_as bob --decrypt --output /dev/null "$T/bcc.asc"
check "alice decrypts dave's copy (encrypt-to-self)" gpg_as alice --decrypt --output /dev/null "$T/bcc.asc"
check "dave's copy shows To: bob and carol, no Bcc" \
  sh -c "$MIME header '$BCC' To | grep -q 'bob@example.org' && ! grep -qi '^Bcc:' '$T/dave.plain'"

say "# S/MIME copy, read with openssl and gpgsm"
$MIME type "$SMIME" >"$T/smime.type"
check "application/pkcs7-mime; smime-type=enveloped-data" \
  sh -c "head -1 '$T/smime.type' | grep -qx application/pkcs7-mime && grep -qx smime-type=enveloped-data '$T/smime.type'"
$MIME payload "$SMIME" 0 "$T/smime.p7m"
say "+ openssl cms -decrypt (erin's key)"
check "openssl decrypts as erin" openssl cms -decrypt -inform DER -in "$T/smime.p7m" \
  -recip "$T/erin.pem" -inkey "$T/erin.key" -out "$T/erin.eml"
check "openssl decrypts as alice (encrypt-to-self)" openssl cms -decrypt -inform DER \
  -in "$T/smime.p7m" -recip "$T/alice.pem" -inkey "$T/alice.key" -out /dev/null
check "inside is multipart/signed with application/pkcs7-signature" \
  sh -c "$MIME type '$T/erin.eml' | grep -qx protocol=application/pkcs7-signature"
say "+ openssl cms -verify -CAfile ca.pem"
check "openssl verifies alice's S/MIME signature to the test CA" \
  openssl cms -verify -in "$T/erin.eml" -CAfile "$T/ca.pem" -purpose smimesign -out "$T/erin.verified"
check "the verified entity carries hp=\"cipher\" and the real Subject" \
  sh -c "grep -Eq 'hp=\"?cipher' '$T/erin.verified' && grep -q '^Subject: Project Falcon budget' '$T/erin.verified'"
say "+ gpgsm --decrypt and --verify (erin's home)"
# gpgsm tries every RecipientInfo in turn and exits non-zero after failing on alice's (not its
# key) even when erin's then succeeds, so the status line is what tells.
check "gpgsm decrypts as erin (DECRYPTION_OKAY)" \
  sh -c "gpgsm --homedir '$T/erin' --batch --status-fd 3 --decrypt --output '$T/erin-gpgsm.eml' '$T/smime.p7m' 3>&1 2>/dev/null | grep -q DECRYPTION_OKAY && test -s '$T/erin-gpgsm.eml'"
$MIME signed "$T/erin-gpgsm.eml" "$T/smime.content" "$T/smime.p7s" 2>"$T/extract.err"
check "gpgsm verifies the detached signature: VALIDSIG alice's certificate" \
  sh -c "gpgsm --homedir '$T/erin' --batch --status-fd 1 --verify '$T/smime.p7s' '$T/smime.content' 2>/dev/null | grep -q 'VALIDSIG $ALICE_X509'"

say "# sealmail inspect (the verify module) reads what sealmail sealed, as each recipient"
: >"$T/empty.conf"
# inspect_json WHO FILE: the report with WHO's GnuPG home (GPGME's default home).
inspect_json() { GNUPGHOME="$T/$1" "$SEALMAIL" --config "$T/empty.conf" inspect --json "$2"; }
# report FILE EXPR: true when the Python expression EXPR holds for the report r; prints it if not.
report() { "$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else json.dumps({k: r.get(k) for k in ("encryption", "signatures")}))' "$@"; }
inspect_json bob "$PGP" >"$T/inspect-pgp.json" 2>"$T/inspect.err"
check "inspect as bob: encrypted with OpenPGP and decrypted" report "$T/inspect-pgp.json" \
  'r["encryption"]["encrypted"] and r["encryption"]["protocol"] == "openpgp" and r["encryption"]["decrypted"]'
check "inspect as bob: alice's signature verified, signer matches From" report "$T/inspect-pgp.json" \
  'r["signatures"][0]["status"] == "verified" and r["signatures"][0]["from_matches"]'
inspect_json erin "$SMIME" >"$T/inspect-smime.json" 2>>"$T/inspect.err"
check "inspect as erin: encrypted with S/MIME and decrypted" report "$T/inspect-smime.json" \
  'r["encryption"]["encrypted"] and r["encryption"]["protocol"] == "smime" and r["encryption"]["decrypted"]'
check "inspect as erin: alice's S/MIME signature verified, signer matches From" report "$T/inspect-smime.json" \
  'r["signatures"][0]["protocol"] == "smime" and r["signatures"][0]["status"] == "verified" and r["signatures"][0]["from_matches"]'

say "# sign-only to a recipient without keys (--sign): multipart/signed"
sed -e 's/^To: .*/To: zed@nokey.example/' -e '/^Cc:/d' -e '/^Bcc:/d' "$T/falcon.eml" >"$T/signed.eml"
sm seal --sign "$T/signed.eml" >"$T/signed.out" 2>"$T/signed.err"
check "seal --sign exits 0" test $? -eq 0
check "multipart/signed with protocol application/pgp-signature" \
  sh -c "$MIME type '$T/signed.out' | grep -qx protocol=application/pgp-signature"
check "the Subject stays readable when not encrypted" test "$($MIME header "$T/signed.out" Subject)" = "Project Falcon budget"
$MIME signed "$T/signed.out" "$T/signed.content" "$T/signed.asc"
check "gpg verifies the detached signature over the canonical entity" \
  sh -c "gpg --homedir '$T/bob' --batch --status-fd 1 --verify '$T/signed.asc' '$T/signed.content' 2>/dev/null | grep -q 'VALIDSIG $ALICE'"
if command -v sq >/dev/null 2>&1; then
  check "sq verifies it too" sq verify --signer-cert "$T/alice.pub" --detached "$T/signed.asc" "$T/signed.content"
fi
printf 'x' >>"$T/signed.content"
check "a changed entity no longer verifies (the check can fail)" \
  not gpg_as bob --verify "$T/signed.asc" "$T/signed.content"

say "# S/MIME sign-only, verified by openssl"
printf '[seal]\nsign-protocol = smime\n' >>"$T/sealmail.conf"
sm seal --sign "$T/signed.eml" >"$T/ssigned.out" 2>"$T/ssigned.err"
check "seal --sign with sign-protocol=smime exits 0" test $? -eq 0
check "openssl verifies the S/MIME clear-signed message" \
  openssl cms -verify -in "$T/ssigned.out" -CAfile "$T/ca.pem" -purpose smimesign -out /dev/null

say "# --no-protect-headers keeps the real Subject outside"
sed -e '/^Cc:/d' -e '/^Bcc:/d' "$T/falcon.eml" >"$T/pgponly.eml"
sm seal --no-protect-headers --output-dir "$T/single" "$T/pgponly.eml" >"$T/noprotect.stdout" 2>"$T/noprotect.err"
check "--output-dir writes 1.eml and nothing to standard output" \
  test -s "$T/single/1.eml" -a ! -s "$T/noprotect.stdout"
check "outer Subject is the real one" test "$($MIME header "$T/single/1.eml" Subject)" = "Project Falcon budget"

say "# a blocked plan: sensitive content for a recipient without a key"
{
  printf 'From: alice@example.org\nTo: zed@nokey.example\nSubject: payroll\n\n'
  printf 'SSN of the new hire: 536-22-8726, card 4111 1111 1111 1111.\n'
} >"$T/blocked.eml"
sm seal "$T/blocked.eml" >"$T/blocked.out" 2>"$T/blocked.err"
rc=$?
sed 's/^/    | /' "$T/blocked.err"
check "seal exits 1 and writes nothing" test "$rc" -eq 1 -a ! -s "$T/blocked.out"
check "the reason is on standard error" grep -q 'not sealed' "$T/blocked.err"

if [ $fail -ne 0 ]; then
  say "test-seal-interop: FAILED"
  exit 1
fi
say "test-seal-interop: all checks passed"
