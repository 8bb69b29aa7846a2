#!/bin/bash
# bench-seal: sealing throughput and peak memory of `sealmail seal`, side by side with the gpg and
# gpgsm command-line tools doing the same cryptographic work in the same run:
#   OpenPGP: sign + encrypt to one recipient and to self, armored     (gpg -s -e -a)
#   S/MIME:  detached signature, then encryption to one recipient and self (gpgsm -s, gpgsm -e)
# on a 20 KB message (messages per second) and a message with a 50 MB attachment (MB/s of input),
# with peak RSS from /usr/bin/time -v. Figures are ratios against the CLIs measured here, never
# absolute claims, and nothing is asserted: the machine may be shared.
# sealmail's figures include parsing, planning (key look-ups) and MIME building; --no-scan keeps
# the sensitive-content scan out so that the work matches the CLIs' (the scan is measured on its
# own line). One CLI run per message pays GPGME's engine set-up and the key look-ups every time;
# the "library loop" lines run sm_seal_plan repeatedly in one process (bench-seal-lib, a hand-
# made plan), which is how the SMTP proxy seals. Environment: SEALMAIL (the binary), BENCH_LIB
# (default: tests/bench/bench-seal-lib next to it), BENCH_N (20 KB runs per tool, default 20),
# BENCH_BIG_MB (default 50).
set -eu

SEALMAIL=${SEALMAIL:?set SEALMAIL to the sealmail binary}
BENCH_LIB=${BENCH_LIB:-$(dirname "$SEALMAIL")/../../tests/bench/bench-seal-lib}
N=${BENCH_N:-20}
BIG_MB=${BENCH_BIG_MB:-50}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench-seal: /usr/bin/time is missing (Debian package time)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/sm-bench-seal.XXXXXX")
cleanup() { gpgconf --homedir "$T/gnupg" --kill all 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export GNUPGHOME=$T/gnupg XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data
mkdir -m 700 "$GNUPGHOME"
echo disable-crl-checks >"$GNUPGHOME/gpgsm.conf"

echo "# setup: OpenPGP keys for alice (sender) and bob, S/MIME certificates for alice and erin"
for p in alice bob; do
  gpg --batch --passphrase '' --quick-gen-key "$p <$p@example.org>" future-default default never 2>/dev/null
done
gpg --batch --quick-lsign-key "$(gpg --with-colons --list-keys bob@example.org | awk -F: '/^fpr/ {print $10; exit}')" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 30 \
  -subj "/CN=Bench CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
for p in alice erin; do
  openssl req -newkey rsa:2048 -nodes -keyout "$T/$p.key" -out "$T/$p.csr" -subj "/CN=$p" 2>/dev/null
  printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:%s@example.%s\n' \
    "$p" "$([ $p = erin ] && echo net || echo org)" >"$T/$p.ext"
  openssl x509 -req -in "$T/$p.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -out "$T/$p.pem" \
    -days 30 -extfile "$T/$p.ext" 2>/dev/null
done
openssl pkcs12 -export -in "$T/alice.pem" -inkey "$T/alice.key" -out "$T/alice.p12" -passout pass: \
  -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
gpgsm --batch --import "$T/ca.pem" "$T/erin.pem" 2>/dev/null
gpgsm --batch --pinentry-mode loopback --passphrase '' --import "$T/alice.p12" 2>/dev/null
echo "$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g') S relax" >"$GNUPGHOME/trustlist.txt"
gpgconf --reload gpg-agent
printf '[keys]\ngnupg-home = %s\nstate-db = %s/state.db\nbundle-state = %s/bundle\n' "$GNUPGHOME" "$T" "$T" >"$T/sm.conf"

# message FILE TO SIZE_BYTES: a text part and an attachment of SIZE random bytes.
message() {
  head -c "$3" /dev/urandom >"$T/att.bin"
  {
    printf 'From: Alice <alice@example.org>\nTo: %s\nSubject: bench\nMIME-Version: 1.0\n' "$2"
    printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nhello\n'
    printf -- '--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
    base64 -w 76 "$T/att.bin"
    printf -- '--b--\n'
  } >"$1"
}
message "$T/small-pgp.eml" bob@example.org 14000 # about 20 KB once base64-encoded
message "$T/small-smime.eml" erin@example.net 14000
message "$T/big-pgp.eml" bob@example.org $((BIG_MB * 1000000))
sed '0,/^To: /s/^To: .*/To: erin@example.net/' "$T/big-pgp.eml" >"$T/big-smime.eml"

sm() { "$SEALMAIL" --config "$T/sm.conf" seal "$@"; }
gpg_seal() { gpg --batch -q -s -e -a -r bob@example.org -r alice@example.org -u alice@example.org -o - "$1"; }
gpgsm_seal() {
  gpgsm --batch -q -u alice@example.org --detach-sign "$1" >"$T/sig.p7s" &&
    gpgsm --batch -q -r erin@example.net -r alice@example.org --encrypt "$1"
}

now() { date +%s.%N; }
# rate NAME COMMAND...: runs COMMAND N times, prints messages per second.
rate() {
  local name=$1 start end
  shift
  start=$(now)
  for _ in $(seq "$N"); do "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; exit 1; }; done
  end=$(now)
  awk -v n="$N" -v s="$start" -v e="$end" -v name="$name" \
    'BEGIN { r = n / (e - s); printf "%-34s %8.2f msg/s\n", name, r; print r > "/dev/stderr" }' 2>"$T/rate.$name"
}
# big NAME FILE COMMAND...: one run under /usr/bin/time -v; prints MB/s of input and peak RSS.
big() {
  local name=$1 file=$2 size start end
  shift 2
  size=$(stat -c %s "$file")
  start=$(now)
  "$TIME" -v -o "$T/time.$name" "$@" >"$T/out.$name" 2>"$T/err" || { cat "$T/err"; exit 1; }
  end=$(now)
  local rss
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time.$name")
  awk -v b="$size" -v s="$start" -v e="$end" -v r="$rss" -v name="$name" \
    'BEGIN { mbs = b / 1e6 / (e - s); printf "%-34s %8.2f MB/s  peak RSS %7.1f MB\n", name, mbs, r / 1024;
             print mbs, r > "/dev/stderr" }' 2>"$T/big.$name"
}
# rate_lib NAME PROTOCOL RECIPIENT FINGERPRINT FILE: N rounds of sm_seal_plan in one process.
rate_lib() {
  "$BENCH_LIB" "$GNUPGHOME" "$2" "$3" alice@example.org "$4" "$N" "$5" >"$T/lib.out" 2>"$T/err" ||
    { cat "$T/err"; exit 1; }
  awk -v name="$1" '{ r = $1 / $2; printf "%-34s %8.2f msg/s\n", name, r; print r > "/dev/stderr" }' \
    "$T/lib.out" 2>"$T/rate.$1"
}
ratio() { # A B: A/B of the first field of the saved figures
  awk 'NR == FNR { a = $1; next } { printf "%.2f", a / $1 }' "$1" "$2"
}
rss_ratio() {
  awk 'NR == FNR { a = $2; next } { printf "%.2f", a / $2 }' "$1" "$2"
}

echo "# 20 KB message, $N runs each"
rate sealmail-openpgp sm --no-scan "$T/small-pgp.eml"
rate sealmail-openpgp+scan sm "$T/small-pgp.eml"
rate gpg-cli gpg_seal "$T/small-pgp.eml"
rate sealmail-smime sm --no-scan "$T/small-smime.eml"
rate gpgsm-cli gpgsm_seal "$T/small-smime.eml"
BOB_FPR=$(gpg --with-colons --list-keys bob@example.org | awk -F: '/^fpr/ {print $10; exit}')
ERIN_FPR=$(gpgsm --with-colons --list-keys erin@example.net | awk -F: '/^fpr/ {print $10; exit}')
rate_lib library-loop-openpgp openpgp bob@example.org "$BOB_FPR" "$T/small-pgp.eml"
rate_lib library-loop-smime smime erin@example.net "$ERIN_FPR" "$T/small-smime.eml"

echo "# ${BIG_MB} MB attachment ($(($(stat -c %s "$T/big-pgp.eml") / 1000000)) MB message), one run each"
big sealmail-openpgp "$T/big-pgp.eml" "$SEALMAIL" --config "$T/sm.conf" seal --no-scan "$T/big-pgp.eml"
big gpg-cli "$T/big-pgp.eml" gpg --batch -q -s -e -a -r bob@example.org -r alice@example.org -u alice@example.org -o - "$T/big-pgp.eml"
big sealmail-smime "$T/big-smime.eml" "$SEALMAIL" --config "$T/sm.conf" seal --no-scan "$T/big-smime.eml"
big gpgsm-sign "$T/big-smime.eml" gpgsm --batch -q -u alice@example.org --detach-sign "$T/big-smime.eml"
big gpgsm-encrypt "$T/big-smime.eml" gpgsm --batch -q -r erin@example.net -r alice@example.org --encrypt "$T/big-smime.eml"
# The two gpgsm steps together: time adds up, the peak is the larger one.
awk 'NR == 1 { a = $1; ra = $2 } NR == 2 { b = $1; rb = $2 } END { printf "%f %d\n", 1 / (1 / a + 1 / b), (ra > rb ? ra : rb) }' \
  "$T/big.gpgsm-sign" "$T/big.gpgsm-encrypt" >"$T/big.gpgsm-cli"
printf '%-34s %8.2f MB/s  peak RSS %7.1f MB\n' "gpgsm-cli (sign then encrypt)" \
  "$(awk '{print $1}' "$T/big.gpgsm-cli")" "$(awk '{print $2 / 1024}' "$T/big.gpgsm-cli")"

echo "# ratios (sealmail / CLI; 1.00 = as fast, or as much memory)"
echo "20 KB OpenPGP throughput:        $(ratio "$T/rate.sealmail-openpgp" "$T/rate.gpg-cli")"
echo "20 KB OpenPGP with scan:         $(ratio "$T/rate.sealmail-openpgp+scan" "$T/rate.gpg-cli")"
echo "20 KB S/MIME throughput:         $(ratio "$T/rate.sealmail-smime" "$T/rate.gpgsm-cli")"
echo "20 KB OpenPGP, library loop:     $(ratio "$T/rate.library-loop-openpgp" "$T/rate.gpg-cli")"
echo "20 KB S/MIME, library loop:      $(ratio "$T/rate.library-loop-smime" "$T/rate.gpgsm-cli")"
echo "${BIG_MB} MB OpenPGP throughput:       $(ratio "$T/big.sealmail-openpgp" "$T/big.gpg-cli")   peak RSS $(rss_ratio "$T/big.sealmail-openpgp" "$T/big.gpg-cli")"
echo "${BIG_MB} MB S/MIME throughput:        $(ratio "$T/big.sealmail-smime" "$T/big.gpgsm-cli")   peak RSS $(rss_ratio "$T/big.sealmail-smime" "$T/big.gpgsm-cli")"
echo "sealmail peak RSS / message size (OpenPGP, ${BIG_MB} MB): $(awk -v b="$(stat -c %s "$T/big-pgp.eml")" '{printf "%.3f", $2 * 1024 / b}' "$T/big.sealmail-openpgp")"
