#!/bin/bash
# The SMTP proxy's pipeline with real keys, real clients and the real Postfix + Dovecot: what
# arrives in each Maildir is checked with the real tools. bob has an OpenPGP key (gpg decrypts
# his copy), dave an S/MIME certificate from a test CA (openssl cms decrypts his copy), carol
# nothing. A message to several of them is split per protocol; a Bcc recipient gets a copy of
# their own; sensitive content for carol is refused with 550 5.7.1 (types and counts, never the
# value) unless the policy says require-tls or warn; a split plan whose second copy fails is
# answered with the upstream's 4xx and the retry sends only the missing copy.
set -u
SM_SRCDIR=${SM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SM_SRCDIR/tests/integration/lib/mailservers.sh"
. "$SM_SRCDIR/tests/integration/lib/sealmaild.sh"
MS_USERS="alice bob carol dave"
SEALMAIL=${SEALMAIL:-${SM_BUILDDIR:-$SM_SRCDIR/build}/helper/cli/sealmail}
trap 'sd_cleanup; ms_stop' EXIT
trap 'exit 1' INT TERM

echo "\$ ms_start (users: $MS_USERS)"
ms_start || { echo "FAIL mail servers did not start"; exit 1; }
sd_home
K="$SD_HOME/keys"
mkdir -p "$K"
run=$$

echo "== keys, made now"
quiet() { "$@" >/dev/null 2>&1; }
quiet gpg --batch --pinentry-mode loopback --passphrase '' \
  --quick-generate-key "Bob <bob@example.test>" ed25519 cert,sign never
BOB=$(gpg --batch --with-colons --list-keys bob@example.test 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
quiet gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$BOB" cv25519 encrypt never
echo "$BOB:6:" | quiet gpg --batch --import-ownertrust
BOB_SUBKEY=$(gpg --batch --with-colons --list-keys bob@example.test 2>/dev/null | awk -F: '/^sub/ {print $5; exit}')
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/ca.key" -out "$K/ca.pem" -days 30 \
  -subj '/O=Example Test/CN=Example Test Root' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:dave@example.test\n' >"$K/dave.ext"
quiet openssl req -newkey rsa:2048 -nodes -keyout "$K/dave.key" -out "$K/dave.csr" \
  -subj '/O=Example Test/CN=Dave/emailAddress=dave@example.test'
quiet openssl x509 -req -in "$K/dave.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -CAcreateserial \
  -out "$K/dave.pem" -days 30 -extfile "$K/dave.ext"
echo disable-crl-checks >"$GNUPGHOME/gpgsm.conf"
quiet gpgsm --batch --import "$K/ca.pem"
quiet gpgsm --batch --import "$K/dave.pem"
CA=$(gpgsm --with-colons --list-keys 'Example Test Root' | awk -F: '$1 == "fpr" {print $10; exit}')
echo "$CA S relax" >"$GNUPGHOME/trustlist.txt"
quiet gpgconf --reload gpg-agent
echo "bob openpgp=$BOB (encryption subkey $BOB_SUBKEY); dave x509 from CA $CA; carol: none"

sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
echo "   sealmaild on 127.0.0.1:$SD_PORT"

# send TAG TO [SWAKS OPTIONS]: alice sends a message with a unique Message-ID
send() {
  _tag=$1 _to=$2
  shift 2
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password secret \
    --from alice@example.test --to "$_to" --header "Subject: $_tag $run" \
    --header "Message-ID: <$_tag.$run@example.test>" "$@"
}
count() { ms_count_mail "$1"; }
newest() { ls -t "$(MS_MAILDIR_OF "$1")"/new/* | head -1; }
# arrives USER N: USER's Maildir reaches N messages within 10 s
arrives() { ms_wait_for_mail "$1" "$2" 10; }
pgp_decrypts_for_bob() { # FILE TEXT: PGP/MIME, encrypted to bob's subkey, decrypts to TEXT
  grep -q 'protocol="application/pgp-encrypted"' "$1" &&
    gpg --batch --list-packets "$1" 2>/dev/null | grep -q "keyid $BOB_SUBKEY" &&
    gpg --batch --decrypt "$1" 2>/dev/null | grep -q "$2"
}
smime_decrypts_for_dave() { # FILE TEXT: S/MIME enveloped data that openssl decrypts with dave's key
  grep -qi 'application/pkcs7-mime' "$1" &&
    openssl cms -decrypt -in "$1" -recip "$K/dave.pem" -inkey "$K/dave.key" 2>/dev/null | grep -q "$2"
}

echo "== encrypted per recipient, split per protocol"
sd_check "to bob (OpenPGP key): 250" send one bob@example.test --body "secret plans one"
sd_check "  bob got one message" arrives bob 1
sd_check "  PGP/MIME to bob's key; gpg decrypts it" pgp_decrypts_for_bob "$(newest bob)" "secret plans one"
sd_check "  the body never crossed in clear" bash -c "! grep -q 'secret plans one' '$(newest bob)'"
sd_check "to bob, dave and carol: split in 3 copies" \
  send three bob@example.test,dave@example.test,carol@example.test --body "quarterly numbers three"
sd_check "  the client was told" sd_last_has "250 2.0.0 OK, sent as 3 separate messages"
sd_check "  bob, dave and carol each got one" eval "arrives bob 2 && arrives dave 1 && arrives carol 1"
sd_check "  bob's: PGP/MIME, decrypts" pgp_decrypts_for_bob "$(newest bob)" "quarterly numbers three"
sd_check "  dave's: S/MIME enveloped, openssl cms decrypts it" smime_decrypts_for_dave "$(newest dave)" "quarterly numbers three"
sd_check "  carol's: plain text, over verified TLS" grep -q "quarterly numbers three" "$(newest carol)"

echo "== Bcc copies are separate"
sd_check "to bob, Bcc carol (envelope only)" send bcc bob@example.test --body "bcc test" \
  --to bob@example.test,carol@example.test --header "To: bob@example.test"
sd_check "  carol got her own copy" arrives carol 2
sd_check "  bob's copy does not name carol" bash -c "! gpg --batch --decrypt '$(newest bob)' 2>/dev/null | grep -qi carol && ! grep -qi carol '$(newest bob)'"

echo "== sensitive content"
before=$(count carol)
sd_check_not "an SSN to carol (no key): refused" send ssn carol@example.test \
  --body "My social security number is 536-22-4178."
reply_550() { grep '^<\*\* 550' "$SD_HOME/last.out"; }
sd_check "  550 5.7.1 naming the type and carol, not the number" \
  eval "reply_550 | grep -q '550 5.7.1 Not sent: 1 social security number found; no key or certificate for carol@example.test' && ! reply_550 | grep -q 4178"
sd_check "  nothing arrived" bash -c "sleep 2; [ \$(ls $(MS_MAILDIR_OF carol)/new | wc -l) -eq $before ]"
sd_check "  the number is in no log" bash -c "! grep -q '536-22-4178' '$SD_LOG'"
sd_check "the same SSN to bob (key): encrypted and sent" send ssnbob bob@example.test \
  --body "My social security number is 536-22-4178."
sd_check "  bob got it, encrypted" eval "arrives bob 4 && pgp_decrypts_for_bob \"\$(newest bob)\" 536-22-4178 && ! grep -rq 536-22-4178 '$(MS_MAILDIR_OF bob)/new/'"
sd_stop
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" "
[policy]
sensitive-action = require-tls" || exit 1
sd_check "policy require-tls: the SSN to carol is sent over verified TLS" send ssntls carol@example.test \
  --body "My social security number is 536-22-4178."
sd_check "  carol got it" arrives carol $((before + 1))
sd_check "  decided require-tls" grep -q "event=copy decision=require-tls" "$SD_LOG"
sd_stop

echo "== REQUIRETLS (RFC 8689) when the upstream offers it"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$K/fake.key" -out "$K/fake.crt" \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost" >/dev/null 2>&1
fake=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$SM_SRCDIR/tests/integration/lib/smtp-probe.py" fake-upstream "$fake" "$K/fake.crt" "$K/fake.key" \
  "$SD_HOME/fake.log" >"$SD_HOME/fake.out" 2>&1 &
fake_pid=$!
for i in $(seq 1 100); do grep -q ready "$SD_HOME/fake.out" 2>/dev/null && break; sleep 0.1; done
sd_start "smtps://localhost:$fake" "$K/fake.crt" "
[policy]
sensitive-action = require-tls" || exit 1
sd_check "require-tls copy: MAIL carries REQUIRETLS" send rtls carol@example.test \
  --body "My social security number is 536-22-4178."
sd_check "  the upstream saw MAIL FROM:<alice@example.test> ... REQUIRETLS" \
  grep -q "^MAIL FROM:<alice@example.test>.* REQUIRETLS$" "$SD_HOME/fake.log"
: >"$SD_HOME/fake.log"
sd_check "plain copy: no REQUIRETLS" send nortls carol@example.test --body "Lunch at noon?"
sd_check "  the upstream saw MAIL without it" \
  bash -c "grep -q '^MAIL FROM:<alice@example.test>' '$SD_HOME/fake.log' && ! grep -q REQUIRETLS '$SD_HOME/fake.log'"
sd_stop
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null

echo "== a split plan whose second copy fails; the retry sends only that one"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
printf 'From: alice@example.test\r\nTo: bob@example.test, carol@example.test\r\nSubject: split %s\r\nMessage-ID: <split.%s@example.test>\r\n\r\nsplit plan body\r\n' "$run" "$run" >"$SD_HOME/split.eml"
# Which recipient's copy goes second? Ask the plan, then make Postfix refuse that one for now.
second=$("$SEALMAIL" plan --json --rcpt bob@example.test --rcpt carol@example.test "$SD_HOME/split.eml" |
  python3 -c 'import json,sys; g=json.load(sys.stdin)["groups"]; r=g[1]["recipients"][0]; print(r["address"] if isinstance(r, dict) else r)')
first=bob
[ "$second" = bob@example.test ] && first=carol
echo "   plan order: $first first, then ${second%@*}"
echo "$second 451 4.3.0 temporarily unavailable, try again" >"$MS_DIR/pf/etc/access"
postconf -c "$MS_DIR/pf/etc" -e "smtpd_recipient_restrictions = check_recipient_access texthash:$MS_DIR/pf/etc/access"
postfix -c "$MS_DIR/pf/etc" reload >/dev/null 2>&1
sleep 1
n_first=$(count $first)
n_second=$(count ${second%@*})
resend() { # the same bytes, as a client's outbox retry would send them
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password secret \
    --from alice@example.test --to bob@example.test,carol@example.test --data "$SD_HOME/split.eml"
}
sd_check_not "first attempt: the second copy is refused upstream" resend
sd_check "  the client got the upstream's 451 4.3.0" sd_last_has "451 4\.3\.0 .*temporarily unavailable"
sd_check "  $first got the first copy" arrives $first $((n_first + 1))
: >"$MS_DIR/pf/etc/access"
postfix -c "$MS_DIR/pf/etc" reload >/dev/null 2>&1
sleep 1
sd_check "retry of the same message: 250" resend
sd_check "  ${second%@*} got the missing copy" arrives ${second%@*} $((n_second + 1))
sd_check "  $first's copy was not sent again" bash -c "sleep 2; [ \$(ls $(MS_MAILDIR_OF $first)/new | wc -l) -eq $((n_first + 1)) ]"
sd_check "  sealmaild skipped the delivered copy" grep -q "event=copy-skipped" "$SD_LOG"
sd_stop

echo "== the audit"
sd_check "sealmail audit --json lists sent, blocked and partial messages" \
  bash -c "'$SEALMAIL' audit --json > '$SD_HOME/audit.json' && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); rs=d[\"messages\"]; res={r[\"result\"] for r in rs}; print(sorted(res)); sys.exit(not {\"sent\",\"blocked\",\"partial\"} <= res)' '$SD_HOME/audit.json'"
sd_check "  no sensitive value in the audit database" bash -c "! grep -aq '536-22-4178' '$XDG_DATA_HOME/sealmail/audit.sqlite'"
sd_check "sealmail report --tls-rpt counts the verified upstream sessions" \
  bash -c "'$SEALMAIL' report --tls-rpt | grep -q total-successful-session-count"

[ "$sd_failures" -eq 0 ] || { echo "sealmaild log:"; tail -40 "$SD_LOG"; exit 1; }
echo "all checks passed"
