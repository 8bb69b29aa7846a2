#!/bin/sh
# make-test-ca.sh OUTDIR — a complete TEST organisation for trying org bundles (certs/README.md).
#
# Everything is written below OUTDIR, which must not exist or be empty; nothing else is touched
# (the GnuPG homes are OUTDIR/it-gnupg and the agents started there are stopped at the end).
# Keys are unprotected: for tests and trials only, never for real mail.
#
#   OUTDIR/ca/ca.key, ca.pem                OpenSSL test CA (basicConstraints CA:TRUE)
#   OUTDIR/users/NAME.key, NAME.pem, .p12   user certificates with an e-mail subjectAltName
#                                           (PKCS#12 with an empty password, for gpgsm --import)
#   OUTDIR/it-gnupg/                        IT's GnuPG home: the org OpenPGP key and the org
#                                           S/MIME signing certificate (issued by the test CA)
#   OUTDIR/org-openpgp.fpr, org-smime.fpr   their fingerprints (what users pass to --trust)
#   OUTDIR/users-gnupg/, users/NAME.openpgp.fpr  the users' OpenPGP keys (public part in bundle-src)
#   OUTDIR/other-gnupg/, other-openpgp.fpr  a second, unrelated OpenPGP key (for wrong-signer tests)
#   OUTDIR/bundle-src/                      a bundle source directory ready for
#                                           `sealmail bundle create`: ca/, certs/, openpgp/, policy/
set -eu

usage() { echo "usage: $0 OUTDIR [USER...]   (default users: alice bob)" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1
shift
users=${*:-alice bob}
org_domain=example.org

if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "$0: $out exists and is not empty; give a new directory" >&2
  exit 2
fi
umask 077
mkdir -p "$out"
out=$(cd "$out" && pwd)
mkdir -p "$out/ca" "$out/users" "$out/it-gnupg" "$out/other-gnupg" "$out/users-gnupg" \
  "$out/bundle-src/ca" "$out/bundle-src/certs" "$out/bundle-src/openpgp" "$out/bundle-src/policy"

cleanup() {
  GNUPGHOME="$out/it-gnupg" gpgconf --kill all 2>/dev/null || true
  GNUPGHOME="$out/other-gnupg" gpgconf --kill all 2>/dev/null || true
  GNUPGHOME="$out/users-gnupg" gpgconf --kill all 2>/dev/null || true
}
trap cleanup EXIT

run() { echo "+ $*" >&2; "$@"; }

echo "== test CA" >&2
run openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/ca/ca.key" -out "$out/ca/ca.pem" \
  -days 3650 -subj "/O=Example Org/CN=Example Org Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null

issue() { # issue CSR CERT EMAIL KEYUSAGE
  printf 'subjectAltName=email:%s\nkeyUsage=critical,%s\nextendedKeyUsage=emailProtection\nbasicConstraints=CA:FALSE\n' \
    "$3" "$4" >"$out/ca/ext.cnf"
  run openssl x509 -req -in "$1" -CA "$out/ca/ca.pem" -CAkey "$out/ca/ca.key" -CAcreateserial \
    -out "$2" -days 825 -extfile "$out/ca/ext.cnf" 2>/dev/null
}

echo "== user certificates" >&2
for u in $users; do
  run openssl req -newkey rsa:2048 -nodes -keyout "$out/users/$u.key" -out "$out/users/$u.csr" \
    -subj "/O=Example Org/CN=$u/emailAddress=$u@$org_domain" 2>/dev/null
  issue "$out/users/$u.csr" "$out/users/$u.pem" "$u@$org_domain" \
    "digitalSignature,keyEncipherment"
  run openssl pkcs12 -export -in "$out/users/$u.pem" -inkey "$out/users/$u.key" \
    -certfile "$out/ca/ca.pem" -passout pass: -out "$out/users/$u.p12"
  cp "$out/users/$u.pem" "$out/bundle-src/certs/$u.pem"
done
cp "$out/ca/ca.pem" "$out/bundle-src/ca/example-org-test-ca.pem"

echo "== org OpenPGP key (IT)" >&2
export GNUPGHOME="$out/it-gnupg"
run gpg --batch --quiet --passphrase '' --quick-gen-key "Example Org IT <it@$org_domain>" \
  default default 2y 2>/dev/null
gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}' \
  >"$out/org-openpgp.fpr"
org_fpr=$(cat "$out/org-openpgp.fpr")
run gpg --batch --armor --export "$org_fpr" >"$out/bundle-src/openpgp/example-org-it.asc"

echo "== org S/MIME signing certificate in gpgsm (key shared with gpg by keygrip)" >&2
grip=$(gpg --batch --with-colons --with-keygrip --list-secret-keys "$org_fpr" 2>/dev/null |
  awk -F: '$1=="grp"{print $10; exit}')
printf 'Key-Type: RSA\nKey-Grip: %s\nKey-Usage: sign\nName-DN: CN=Example Org IT,O=Example Org\nName-Email: it@%s\n' \
  "$grip" "$org_domain" >"$out/ca/it-smime.params"
run gpgsm --batch --armor --gen-key "$out/ca/it-smime.params" >"$out/ca/it-smime.csr" 2>/dev/null
issue "$out/ca/it-smime.csr" "$out/ca/it-smime.pem" "it@$org_domain" "digitalSignature"
echo "disable-crl-checks" >"$GNUPGHOME/gpgsm.conf"
run gpgsm --batch --quiet --import "$out/ca/ca.pem" "$out/ca/it-smime.pem" 2>/dev/null
openssl x509 -in "$out/ca/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' >"$out/ca.fpr"
echo "$(cat "$out/ca.fpr") S" >"$GNUPGHOME/trustlist.txt"
openssl x509 -in "$out/ca/it-smime.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' \
  >"$out/org-smime.fpr"

echo "== the users' OpenPGP keys" >&2
export GNUPGHOME="$out/users-gnupg"
for u in $users; do
  run gpg --batch --quiet --passphrase '' --quick-gen-key "$u <$u@$org_domain>" default default 2y \
    2>/dev/null
  gpg --batch --with-colons --list-keys "<$u@$org_domain>" 2>/dev/null |
    awk -F: '$1=="fpr"{print $10; exit}' >"$out/users/$u.openpgp.fpr"
  gpg --batch --armor --export "$(cat "$out/users/$u.openpgp.fpr")" \
    >"$out/bundle-src/openpgp/$u.asc"
done

echo "== an unrelated OpenPGP key (not the organisation's)" >&2
export GNUPGHOME="$out/other-gnupg"
run gpg --batch --quiet --passphrase '' --quick-gen-key "Mallory <mallory@example.net>" \
  default default 2y 2>/dev/null
gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}' \
  >"$out/other-openpgp.fpr"

cat >"$out/bundle-src/policy/org-policy.conf" <<EOF
# Example Org policy for sealmail (read as the org policy by sm-policy)
[policy]
sensitive-action = block
[domain:$org_domain]
prefer = smime
EOF

echo "org OpenPGP key:        $org_fpr" >&2
echo "org S/MIME certificate: $(cat "$out/org-smime.fpr")" >&2
echo "test CA:                $(cat "$out/ca.fpr")" >&2
echo "bundle source:          $out/bundle-src" >&2
