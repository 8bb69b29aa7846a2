#!/bin/bash
# Org bundles end to end with the real tools: certs/make-test-ca.sh makes a test organisation
# (OpenSSL CA, user certificates, an org OpenPGP key and an org S/MIME certificate in gpgsm),
# `sealmail bundle create` signs bundles with OpenPGP and with CMS, a fresh user imports them,
# and gpg, gpgsm, openssl and the files on disk show what changed. Then every tamper case
# must fail with a clear message and change nothing (state, policy, trustlist and both
# keyrings are compared before and after).
set -u
: "${SEALMAIL:?set SEALMAIL to the sealmail binary}"
: "${SM_SRCDIR:?set SM_SRCDIR to the source tree}"

work=$(mktemp -d "${TMPDIR:-/tmp}/sm-bundle-test.XXXXXX")
homes=""
cleanup() {
  for h in $homes; do GNUPGHOME=$h gpgconf --kill all >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

echo "== test organisation (certs/make-test-ca.sh)"
tca=$work/tca
homes="$tca/it-gnupg $tca/other-gnupg $tca/users-gnupg"
if ! sh "$SM_SRCDIR/certs/make-test-ca.sh" "$tca" >"$work/make-test-ca.log" 2>&1; then
  cat "$work/make-test-ca.log"
  exit 1
fi
org=$(cat "$tca/org-openpgp.fpr")
org_smime=$(cat "$tca/org-smime.fpr")
other=$(cat "$tca/other-openpgp.fpr")
ca_fpr=$(cat "$tca/ca.fpr")
alice_fpr=$(openssl x509 -in "$tca/users/alice.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
bob_fpr=$(openssl x509 -in "$tca/users/bob.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
alice_pgp=$(cat "$tca/users/alice.openpgp.fpr")
bob_pgp=$(cat "$tca/users/bob.openpgp.fpr")
echo "org OpenPGP $org, org S/MIME $org_smime, CA $ca_fpr"

it() { echo "+ [IT] sealmail $*" >&2; GNUPGHOME=$tca/it-gnupg "$SEALMAIL" "$@"; }
user() { echo "+ sealmail $*" >&2; "$SEALMAIL" "$@"; }

# a fresh user: own GnuPG home, data and config directories
new_user() {
  export GNUPGHOME=$work/$1/gnupg XDG_DATA_HOME=$work/$1/data XDG_CONFIG_HOME=$work/$1/config
  mkdir -p -m 700 "$GNUPGHOME"
  echo "disable-crl-checks" >"$GNUPGHOME/gpgsm.conf"
  homes="$homes $GNUPGHOME"
  state=$XDG_DATA_HOME/sealmail/bundle
  policy=$XDG_CONFIG_HOME/sealmail/org-policy.conf
}

snapshot() {
  {
    find "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" -type f -exec sha256sum {} + 2>/dev/null | sort
    sha256sum "$GNUPGHOME/trustlist.txt" 2>/dev/null
    gpg --batch --with-colons --list-keys 2>/dev/null | grep -E '^(fpr|uid)'
    gpgsm --with-colons --list-keys 2>/dev/null | grep -E '^fpr'
  } >"$1"
}

# expect_refused DESCRIPTION PATTERN COMMAND...: fails, says PATTERN, changes nothing
expect_refused() {
  local what=$1 pattern=$2
  shift 2
  snapshot "$work/before"
  if "$@" >"$work/out" 2>&1; then
    bad "$what: was accepted"
    cat "$work/out"
    return
  fi
  sed 's/^/    /' "$work/out"
  if ! grep -qiE "$pattern" "$work/out"; then
    bad "$what: message does not say /$pattern/"
    return
  fi
  snapshot "$work/after"
  if cmp -s "$work/before" "$work/after"; then
    ok "$what: refused, nothing changed"
  else
    bad "$what: refused but something changed"
    diff "$work/before" "$work/after"
  fi
}

echo "== IT creates and checks bundles"
src=$tca/bundle-src
check "create v1 (OpenPGP, tar)" it bundle create --sign-with "$org" --version 1 \
  --description "test bundle" "$src" -o "$work/v1.tar"
check "create v2 (OpenPGP, directory)" it bundle create --sign-with "$org" --version 2 "$src" \
  -o "$work/v2"
check "create v3 (CMS by the org S/MIME certificate, tar.gz)" it bundle create \
  --sign-with "$org_smime" --version 3 "$src" -o "$work/v3-cms.tar.gz"
check "gpg verifies the OpenPGP manifest signature on its own" \
  env GNUPGHOME="$tca/it-gnupg" gpg --batch --verify "$work/v2/manifest.ini.sig" "$work/v2/manifest.ini"
mkdir "$work/v3x" && tar -xzf "$work/v3-cms.tar.gz" -C "$work/v3x"
check "openssl cms verifies the CMS manifest signature on its own" \
  openssl cms -verify -binary -inform DER -in "$work/v3x/manifest.ini.sig" \
  -content "$work/v3x/manifest.ini" -CAfile "$tca/ca/ca.pem" -purpose any -out /dev/null
check "manifest lists every file with its SHA-256" \
  grep -q "certs/alice.pem=user-certificate;$(sha256sum <"$src/certs/alice.pem" | cut -d' ' -f1)" \
  "$work/v2/manifest.ini"

echo "== a user imports v1 (OpenPGP)"
new_user u1
expect_refused "first import without --trust" "no organisation key is pinned.*--trust $org" \
  user bundle import "$work/v1.tar"
expect_refused "first import with --trust of another key" "not by the organisation key" \
  user bundle import --trust "$other" "$work/v1.tar"
if user bundle import --json --trust "$org" "$work/v1.tar" >"$work/import1.json"; then
  ok "import v1 with --trust"
else
  bad "import v1 with --trust"
fi
cat "$work/import1.json"
check "report: changed, version 1, newly pinned" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["changed"] and r["version"]==1 and r["signer"]["newly_pinned"]
assert r["openpgp"]["added"]==sorted([sys.argv[2],sys.argv[6],sys.argv[7]]), r["openpgp"]
assert sorted(r["smime"]["added"])==sorted([sys.argv[3],sys.argv[4]]), r["smime"]
assert r["ca"]["trusted"]==[sys.argv[5]] and r["policy"]["change"]=="installed"
' "$work/import1.json" "$org" "$alice_fpr" "$bob_fpr" "$ca_fpr" "$alice_pgp" "$bob_pgp"
check "gpg --list-keys shows the org key" sh -c "gpg --batch --with-colons --list-keys 2>/dev/null | grep -q '^fpr:*$org:'"
check "gpgsm --list-keys shows alice and bob" sh -c \
  "gpgsm --with-colons --list-keys 2>/dev/null | grep -q ':$alice_fpr:' && gpgsm --with-colons --list-keys 2>/dev/null | grep -q ':$bob_fpr:'"
check "trustlist.txt trusts the CA" grep -q "^$ca_fpr S" "$GNUPGHOME/trustlist.txt"
check "gpgsm validates alice's chain through the trusted CA" sh -c \
  "gpgsm --with-validation --list-keys alice@example.org 2>&1 | grep -q 'certificate is good'"
check "policy installed" cmp -s "$src/policy/org-policy.conf" "$policy"
check "pinned holds the org fingerprint" grep -qx "$org" "$state/pinned"
check "installed.ini [keys] openpgp lists the org, alice and bob keys" sh -c \
  "grep '^openpgp=' '$state/installed.ini' | grep '$org' | grep '$alice_pgp' | grep -q '$bob_pgp'"
check "installed.ini [keys] smime lists alice and bob" sh -c \
  "grep '^smime=' '$state/installed.ini' | grep -q '$alice_fpr' && grep '^smime=' '$state/installed.ini' | grep -q '$bob_fpr'"
check "installed.ini [bundle] version, issuer, imported-at" sh -c \
  "grep -qx 'version=1' '$state/installed.ini' && grep -q '^issuer=Example Org IT' '$state/installed.ini' && grep -q '^imported-at=20' '$state/installed.ini'"
"$SEALMAIL" keys --json alice@example.org it@example.org >"$work/keys.json" 2>&1
check "sealmail keys reports alice's certificate and the org key with source bundle" python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
a={x["address"]: x for x in r["addresses"]}
alice=a["alice@example.org"]["smime"]["key"]; org=a["it@example.org"]["openpgp"]["key"]
assert alice["fingerprint"]==sys.argv[2] and alice["source"]=="bundle", alice
assert org["fingerprint"]==sys.argv[3] and org["source"]=="bundle", org
' "$work/keys.json" "$alice_fpr" "$org"
printf 'From: me@example.net\nTo: alice@example.org\nSubject: hi\n\nhello\n' >"$work/m.eml"
"$SEALMAIL" plan --json "$work/m.eml" >"$work/plan.json" 2>&1
check "sealmail plan follows the installed org policy (prefer S/MIME for example.org)" \
  python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
d=r["recipients"][0]
assert d["decision"]=="encrypt-smime" and "by org policy" in d["reason"], d
' "$work/plan.json"
user bundle import "$work/v1.tar" >"$work/out" 2>&1
check "the same bundle again: a no-op with a message" grep -q "already installed; nothing changed" "$work/out"
check "status --json" sh -c "\"$SEALMAIL\" bundle status --json | grep -q '\"version\" : 1'"

echo "== tamper cases against v2 (each must fail and change nothing)"
tamper() { rm -rf "$work/t" && cp -r "$work/v2" "$work/t"; }
tamper && echo "x" >>"$work/t/certs/alice.pem"
expect_refused "modified file" "alice.pem was modified after the bundle was signed" \
  user bundle import "$work/t"
tamper && cp "$work/t/certs/alice.pem" "$work/t/certs/eve.pem"
expect_refused "extra file" "eve.pem is in the bundle but not in its signed manifest" \
  user bundle import "$work/t"
tamper && rm "$work/t/certs/bob.pem"
expect_refused "missing file" "bob.pem is listed in the manifest but missing" \
  user bundle import "$work/t"
tamper && sed -i 's/^issuer=.*/issuer=Evil IT/' "$work/t/manifest.ini"
expect_refused "manifest edited" "signature over the manifest is not valid" \
  user bundle import "$work/t"
tamper && ln -s ../ca/example-org-test-ca.pem "$work/t/certs/link.pem"
expect_refused "symbolic link" "link or special file" user bundle import "$work/t"
mkdir -p "$work/t2" && python3 - "$work/v1.tar" "$work/t2/evil.tar" <<'EOF'
import sys, tarfile, io
with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w") as dst:
    for m in src.getmembers():
        dst.addfile(m, src.extractfile(m))
    data = b"owned\n"
    info = tarfile.TarInfo("../../.bashrc"); info.size = len(data)
    dst.addfile(info, io.BytesIO(data))
EOF
expect_refused "path traversal in a tar archive" "unsafe file name" \
  user bundle import "$work/t2/evil.tar"
cp -r "$src" "$work/src-other" && GNUPGHOME=$tca/other-gnupg gpg --batch --armor --export "$other" \
  >"$work/src-other/openpgp/other.asc"
GNUPGHOME=$tca/other-gnupg "$SEALMAIL" bundle create --sign-with "$other" --version 5 \
  "$work/src-other" -o "$work/other.tar" >/dev/null
expect_refused "signature by another key" "signed by $other, not by the organisation key $org" \
  user bundle import "$work/other.tar"
expect_refused "--trust of another key once pinned" "already pinned" \
  user bundle import --trust "$other" "$work/v2"
it bundle create --sign-with "$org" --version 6 --not-before 2020-01-01T00:00:00Z \
  --not-after 2021-01-01T00:00:00Z "$src" -o "$work/expired.tar" >/dev/null
expect_refused "expired bundle" "expired on 2021-01-01" user bundle import "$work/expired.tar"
it bundle create --sign-with "$org" --version 7 --not-before 2099-01-01T00:00:00Z \
  --valid-days 30 "$src" -o "$work/future.tar" >/dev/null
expect_refused "not yet valid bundle" "not valid before 2099" user bundle import "$work/future.tar"
cp -r "$src" "$work/src-secret" && GNUPGHOME=$tca/it-gnupg gpg --batch --armor \
  --export-secret-keys "$org" >"$work/src-secret/openpgp/secret.asc"
it bundle create --sign-with "$org" --version 8 "$work/src-secret" -o "$work/secret.tar" >/dev/null
expect_refused "secret key material in a bundle" "secret key material" \
  user bundle import "$work/secret.tar"
it bundle create --sign-with "$org" --version 1 --issuer "Same version" "$src" \
  -o "$work/v1-other.tar" >/dev/null
expect_refused "another bundle with the installed version" "same version 1" \
  user bundle import "$work/v1-other.tar"

echo "== upgrade to v2, then a downgrade to v1"
check "import v2" user bundle import "$work/v2"
check "installed version is 2" grep -qx "version=2" "$state/installed.ini"
expect_refused "downgrade (version 1 after 2)" "older than the installed version 2" \
  user bundle import "$work/v1.tar"
check "verify v2 against the pinned key" user bundle verify "$work/v2"

echo "== IT adds a user ID to the org key and edits the policy: v10 reports the updates"
cp -r "$src" "$work/src10"
GNUPGHOME=$tca/it-gnupg gpg --batch --quiet --quick-add-uid "$org" \
  "Example Org Security <security@example.org>" 2>/dev/null
GNUPGHOME=$tca/it-gnupg gpg --batch --armor --export "$org" >"$work/src10/openpgp/example-org-it.asc"
echo "# revised" >>"$work/src10/policy/org-policy.conf"
it bundle create --sign-with "$org" --version 10 "$work/src10" -o "$work/v10.tar" >/dev/null
if user bundle import --json "$work/v10.tar" >"$work/import10.json"; then
  ok "import v10"
else
  bad "import v10"
fi
check "report: org key updated, certificates unchanged, CA already trusted, policy updated" \
  python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["changed"] and r["version"]==10 and r["previous_version"]==2, r
assert not r["signer"]["newly_pinned"]
assert r["openpgp"]["updated"]==[sys.argv[2]] and r["openpgp"]["added"]==[], r["openpgp"]
assert len(r["openpgp"]["unchanged"])==2, r["openpgp"]
assert r["smime"]["added"]==[] and len(r["smime"]["unchanged"])==2, r["smime"]
assert r["ca"]["trusted"]==[] and r["ca"]["already_trusted"]==[sys.argv[3]], r["ca"]
assert r["policy"]["change"]=="updated", r["policy"]
' "$work/import10.json" "$org" "$ca_fpr"
check "the user's gpg has the new user ID" sh -c \
  "gpg --batch --with-colons --list-keys security@example.org 2>/dev/null | grep -q '^fpr:*$org:'"
check "the revised policy is installed" cmp -s "$work/src10/policy/org-policy.conf" "$policy"
check "trustlist.txt has the CA once" test "$(grep -c "^$ca_fpr S" "$GNUPGHOME/trustlist.txt")" = 1

echo "== a user imports a CMS-signed bundle"
new_user u2
check "import v3 (CMS) with --trust the org certificate" user bundle import \
  --trust "$org_smime" "$work/v3-cms.tar.gz"
check "pinned holds the org S/MIME fingerprint" grep -qx "$org_smime" "$state/pinned"
check "trustlist.txt trusts the CA" grep -q "^$ca_fpr S" "$GNUPGHOME/trustlist.txt"
expect_refused "OpenPGP-signed bundle when an S/MIME key is pinned" "not by the organisation key" \
  user bundle import "$work/v2"

echo "== a bundle signed with openssl cms (IT without GnuPG)"
new_user u3
check "create an unsigned v4 directory" it bundle create --unsigned --version 4 "$src" \
  -o "$work/v4-openssl"
check "sign manifest.ini with openssl cms" openssl cms -sign -binary -outform DER \
  -in "$work/v4-openssl/manifest.ini" -signer "$tca/users/alice.pem" \
  -inkey "$tca/users/alice.key" -out "$work/v4-openssl/manifest.ini.sig"
printf '[bundle]\nstate-dir = %s\norg-policy = %s\n' "$work/u3/custom-state" \
  "$work/u3/custom-policy.conf" >"$work/u3/sealmail.conf"
check "import it, pinned to that certificate, paths from --config" user \
  --config "$work/u3/sealmail.conf" bundle import --trust "$alice_fpr" "$work/v4-openssl"
check "installed version 4 in the configured state-dir" \
  grep -qx "version=4" "$work/u3/custom-state/installed.ini"
check "policy at the configured org-policy path" \
  cmp -s "$src/policy/org-policy.conf" "$work/u3/custom-policy.conf"
check "status reads the configured state-dir" sh -c \
  "\"$SEALMAIL\" --config '$work/u3/sealmail.conf' bundle status | grep -q 'bundle version 4'"

rm -rf "$work/v4-pem" && cp -r "$work/v4-openssl" "$work/v4-pem"
openssl cms -sign -binary -outform PEM -in "$work/v4-pem/manifest.ini" \
  -signer "$tca/users/alice.pem" -inkey "$tca/users/alice.key" -out "$work/v4-pem/manifest.ini.sig"
check "a PEM CMS signature verifies too" user bundle verify --trust "$alice_fpr" "$work/v4-pem"

echo "== a bundle signed with the gpg command line (armored detached signature)"
new_user u4
it bundle create --unsigned --issuer "Example Org IT" --version 5 "$src" -o "$work/v5-gpg" >/dev/null
check "gpg --armor --detach-sign manifest.ini" env GNUPGHOME="$tca/it-gnupg" gpg --batch \
  --quiet --armor --detach-sign -u "$org" -o "$work/v5-gpg/manifest.ini.sig" \
  "$work/v5-gpg/manifest.ini"
check "import it with --trust the org key" user bundle import --trust "$org" "$work/v5-gpg"
check "installed version is 5" grep -qx "version=5" "$state/installed.ini"

echo
if [ "$failures" -ne 0 ]; then
  echo "test-bundle: $failures check(s) failed"
  exit 1
fi
echo "test-bundle: all checks passed"
