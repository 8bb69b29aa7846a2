#!/bin/sh
# Makes the throwaway keys and certificates of the key-resolution tests (unit and integration).
#   make-test-keys.sh DIR
# DIR/world  GnuPG home where every correspondent's key is generated (secret keys live here)
# DIR/user   GnuPG home of the sealmail user: Alice's own key, the correspondents' public keys and
#            certificates as a user would have imported them, the test CA in trustlist.txt
# DIR/keys.env  FPR_<NAME>=fingerprint lines for the tests; DIR/ac.key the Autocrypt peer's key
# Everything is ed25519/cv25519 (fast) except the S/MIME keys, which gpgsm 2.2 needs as RSA.
set -eu
dir=$1
world=$dir/world
user=$dir/user
mkdir -p "$world" "$user"
chmod 700 "$world" "$user"
env=$dir/keys.env
: >"$env"

wgpg() { GNUPGHOME=$world gpg --batch --yes --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@" 2>/dev/null; }
ugpg() { GNUPGHOME=$user gpg --batch --yes --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@" 2>/dev/null; }
fpr_of() { # home uid -> newest primary fingerprint
  GNUPGHOME=$1 gpg --batch --with-colons --list-keys "$2" 2>/dev/null |
    awk -F: '$1=="pub"{c=$6; want=1; next} $1=="fpr"&&want{if(c>=best){best=c; f=$10}; want=0} END{print f}'
}
grip_of() {
  GNUPGHOME=$world gpg --batch --with-colons --with-keygrip --list-secret-keys "$1" 2>/dev/null |
    awk -F: '$1=="grp"{print $10; exit}'
}
record() { echo "FPR_$1=$2" >>"$env"; }
gen() { # name uid algo usage expiry [faked-time]
  if [ -n "${6:-}" ]; then
    wgpg --faked-system-time "$6" --quick-gen-key "$2" "$3" "$4" "$5"
  else
    wgpg --quick-gen-key "$2" "$3" "$4" "$5"
  fi
}

# The user's own key (ultimately trusted, can certify others).
ugpg --quick-gen-key 'Alice <alice@example.org>' future-default default 1y
record ALICE "$(fpr_of "$user" alice@example.org)"

gen BOB 'Bob <bob@example.org>' future-default default 1y
gen EXPIRED 'Exp <expired@example.org>' future-default default 1d 20260228T000000
gen REVOKED 'Rev <revoked@example.org>' future-default default 1y
gen SIGNONLY 'Signer <signonly@example.org>' ed25519 sign 1y
# Two keys for one address: the older one will be certified by Alice (full validity).
gen TWO_OLD 'Two Old <two@example.org>' future-default default 2y 20260101T000000
gen TWO_NEW 'Two New <two@example.org>' future-default default 1y
# Two keys of equal (unknown) validity: the newest wins.
gen NEWER_OLD 'Newer Old <newer@example.org>' future-default default 2y 20260101T000000
gen NEWER_NEW 'Newer New <newer@example.org>' future-default default 1y
# The address only in a secondary user ID.
gen SECOND 'Second <primary@example.net>' future-default default 1y
wgpg --quick-add-uid primary@example.net 'Second <second@example.org>'
# The domain in another case; a local part in another case (must not match).
gen CASE 'Case <case@Example.ORG>' future-default default 1y
gen UPPER 'Upper <Upper@example.org>' future-default default 1y
gen ERIN_PGP 'Erin <erin@example.org>' future-default default 1y
gen BUNDLED 'Bundled <bundled@example.org>' future-default default 1y
gen AC 'Autocrypt Peer <ac@example.org>' future-default default 1y
gen DISABLED 'Dis <disabled@example.org>' future-default default 1y
# A valid primary key whose only encryption subkey expired on 2026-01-03.
gen SUBEXP 'Sub <subexp@example.org>' ed25519 sign 2y 20260101T000000
wgpg --faked-system-time 20260102T000000 --quick-add-key "$(fpr_of "$world" subexp@example.org)" \
  cv25519 encr 1d

record BOB "$(fpr_of "$world" bob@example.org)"
record EXPIRED "$(fpr_of "$world" expired@example.org)"
record REVOKED "$(fpr_of "$world" revoked@example.org)"
record SIGNONLY "$(fpr_of "$world" signonly@example.org)"
record SECOND "$(fpr_of "$world" second@example.org)"
record CASE "$(fpr_of "$world" case@example.org)"
record ERIN_PGP "$(fpr_of "$world" erin@example.org)"
record BUNDLED "$(fpr_of "$world" bundled@example.org)"
record AC "$(fpr_of "$world" ac@example.org)"
record DISABLED "$(fpr_of "$world" disabled@example.org)"
GNUPGHOME=$world gpg --batch --with-colons --list-keys two@example.org 2>/dev/null |
  awk -F: '$1=="pub"{c=$6} $1=="fpr"&&c{print c, $10; c=""}' | sort -n >"$dir/two.lst"
record TWO_OLD "$(head -1 "$dir/two.lst" | cut -d' ' -f2)"
record TWO_NEW "$(tail -1 "$dir/two.lst" | cut -d' ' -f2)"
GNUPGHOME=$world gpg --batch --with-colons --list-keys newer@example.org 2>/dev/null |
  awk -F: '$1=="pub"{c=$6} $1=="fpr"&&c{print c, $10; c=""}' | sort -n >"$dir/newer.lst"
record NEWER_OLD "$(head -1 "$dir/newer.lst" | cut -d' ' -f2)"
record NEWER_NEW "$(tail -1 "$dir/newer.lst" | cut -d' ' -f2)"
. "$env"

# Revoke with the revocation certificate GnuPG made (its BEGIN line is "quoted" with a colon).
sed 's/^:-----BEGIN/-----BEGIN/' "$world/openpgp-revocs.d/$FPR_REVOKED.rev" >"$dir/revoked.rev"
wgpg --import "$dir/revoked.rev"

# What the user has: every public key except the Autocrypt peer's (that one comes by header).
wgpg --export bob@example.org expired@example.org revoked@example.org signonly@example.org \
  two@example.org newer@example.org second@example.org case@example.org Upper@example.org \
  erin@example.org bundled@example.org disabled@example.org subexp@example.org >"$dir/public.pgp"
ugpg --import "$dir/public.pgp"
# Disabling is the user's own local flag.
echo disable | ugpg --command-fd 0 --edit-key "$FPR_DISABLED"
ugpg --quick-lsign-key "$FPR_TWO_OLD" two@example.org
wgpg --export ac@example.org >"$dir/ac.key"

# --- S/MIME ---------------------------------------------------------------------------------
# Keys are made by gpg (unprotected) and turned into certificates by gpgsm through their keygrip.
printf 'disable-crl-checks\n' >"$world/gpgsm.conf"
printf 'disable-crl-checks\n' >"$user/gpgsm.conf"
cert() { # name dn email usage issuer-dn signing-grip out [not-before not-after]
  wgpg --quick-gen-key "$1 <$3>" rsa2048 default never
  {
    echo "Key-Type: RSA"
    echo "Key-Grip: $(grip_of "$3")"
    echo "Key-Usage: $4"
    echo "Serial: random"
    echo "Name-DN: $2"
    echo "Name-Email: $3"
    if [ -n "${8:-}" ]; then
      echo "Not-Before: $8"
      echo "Not-After: $9"
    fi
    if [ -n "$5" ]; then
      echo "Issuer-DN: $5"
      echo "Signing-Key: $6"
    fi
  } >"$dir/$1.parm"
  GNUPGHOME=$world gpgsm --batch --quiet --gen-key "$dir/$1.parm" >"$7" 2>/dev/null
}
smime_fpr() {
  GNUPGHOME=$2 gpgsm --with-colons --list-keys "$1" 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}'
}
cert TestCA 'CN=sealmail Test CA,O=Example' ca@example.org cert '' '' "$dir/ca.der"
cert OtherCA 'CN=Missing CA,O=Elsewhere' other-ca@example.net cert '' '' "$dir/other-ca.der"
cert UntrustedCA 'CN=Untrusted CA,O=Nowhere' untrusted-ca@example.net cert '' '' "$dir/untrusted-ca.der"
ca_grip=$(grip_of ca@example.org)
cert Dave 'CN=Dave,O=Example' dave@example.org 'sign, encrypt' 'CN=sealmail Test CA,O=Example' "$ca_grip" "$dir/dave.der"
cert Erin 'CN=Erin,O=Example' erin@example.org 'sign, encrypt' 'CN=sealmail Test CA,O=Example' "$ca_grip" "$dir/erin.der"
cert Frank 'CN=Frank,O=Elsewhere' frank@example.org 'sign, encrypt' 'CN=Missing CA,O=Elsewhere' "$(grip_of other-ca@example.net)" "$dir/frank.der"
cert Grace 'CN=Grace,O=Nowhere' grace@example.org 'sign, encrypt' 'CN=Untrusted CA,O=Nowhere' "$(grip_of untrusted-ca@example.net)" "$dir/grace.der"
cert Ivan 'CN=Ivan,O=Example' ivan@example.org 'sign' 'CN=sealmail Test CA,O=Example' "$ca_grip" "$dir/ivan.der"
cert Hank 'CN=Hank,O=Example' hank@example.org 'sign, encrypt' 'CN=sealmail Test CA,O=Example' "$ca_grip" "$dir/hank.der" 2025-01-01 2026-01-01
for f in ca untrusted-ca dave erin frank grace ivan hank; do
  GNUPGHOME=$user gpgsm --batch --quiet --import "$dir/$f.der" 2>/dev/null
done
record CA "$(smime_fpr ca@example.org "$user")"
record DAVE "$(smime_fpr dave@example.org "$user")"
record ERIN_SMIME "$(smime_fpr erin@example.org "$user")"
. "$env"
echo "$FPR_CA S relax" >"$user/trustlist.txt"
GNUPGHOME=$world gpgconf --kill all
GNUPGHOME=$user gpgconf --kill all
