#!/bin/sh
# Integration: network key look-ups happen only when the user enables them ([keys] network).
# A small HKP key server on 127.0.0.1 (tests/integration/hkp-server.py) stands in for the
# network; GnuPG's locate mechanism reaches it through dirmngr (auto-key-locate local,keyserver),
# exactly the path WKD takes. With network = false it must see no request at all; with
# network = true the key is found, imported and reported with its network source.
set -u
: "${SEALMAIL:?SEALMAIL must name the sealmail binary}"
: "${SM_SRCDIR:?SM_SRCDIR must name the source tree}"

tmp=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  for h in "$tmp/user" "$tmp/world"; do GNUPGHOME=$h gpgconf --kill all 2>/dev/null; done
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
run() {
  echo "\$ sealmail $*"
  out=$("$SEALMAIL" --config "$tmp/sealmail.conf" "$@" 2>"$tmp/stderr")
  rc=$?
  [ -s "$tmp/stderr" ] && sed 's/^/  stderr: /' "$tmp/stderr"
  return 0
}
json() { printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

mkdir -p "$tmp/world" "$tmp/user" && chmod 700 "$tmp/world" "$tmp/user"
GNUPGHOME=$tmp/world gpg --batch --quiet --passphrase '' --quick-gen-key 'Web <web@example.org>' \
  future-default default 1y 2>/dev/null
GNUPGHOME=$tmp/world gpg --batch --armor --export web@example.org >"$tmp/web.asc" 2>/dev/null
fpr=$(GNUPGHOME=$tmp/world gpg --batch --with-colons --list-keys web@example.org 2>/dev/null |
  awk -F: '$1=="fpr"{print $10; exit}')

echo "# HKP server on 127.0.0.1"
python3 "$SM_SRCDIR/tests/integration/hkp-server.py" "$tmp/port" "$tmp/web.asc" web@example.org \
  "$tmp/requests.log" &
server=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
[ -n "$port" ] || {
  echo "the HKP server did not start"
  exit 1
}
: >"$tmp/requests.log"
printf 'auto-key-locate local,keyserver\nkeyserver hkp://127.0.0.1:%s\n' "$port" >"$tmp/user/gpg.conf"
printf 'keyserver hkp://127.0.0.1:%s\n' "$port" >"$tmp/user/dirmngr.conf"
export GNUPGHOME=$tmp/user XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config

printf '[keys]\nnetwork = false\n' >"$tmp/sealmail.conf"
run keys web@example.org
check "network off: no key" [ "$rc" -eq 1 ]
check "network off: the key server saw no request" [ ! -s "$tmp/requests.log" ]
printf 'From: a@example.org\nTo: web@example.org\nSubject: s\n\nhello\n' >"$tmp/m.eml"
run plan --no-scan "$tmp/m.eml"
check "network off: plan sends plain, still no request" \
  sh -c "printf '%s' \"\$1\" | grep -q 'no key or certificate for web@example.org' && [ ! -s '$tmp/requests.log' ]" _ "$out"

printf '[keys]\nnetwork = true\n' >"$tmp/sealmail.conf"
run keys --json web@example.org
check "network on: the key is found" [ "$(json "d['addresses'][0]['openpgp']['key']['fingerprint']")" = "$fpr" ]
check "network on: its source is the network look-up" \
  [ "$(json "d['addresses'][0]['openpgp']['key']['source']")" = "wkd" ]
check "network on: the key server was asked" grep -q "search=web" "$tmp/requests.log"

if [ "$fails" -ne 0 ]; then
  echo "test-keys-network: $fails check(s) failed"
  exit 1
fi
echo "test-keys-network: all checks passed"
