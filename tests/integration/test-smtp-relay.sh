#!/bin/bash
# sealmaild as a plain relay in front of a real Postfix: swaks, msmtp, curl, mutt and Python's
# smtplib send through it (AUTH PLAIN and LOGIN passed through to Postfix/Dovecot SASL, STARTTLS
# to sealmaild's own certificate, verified by the clients) and each message is found in bob's
# Maildir, sent upstream over verified TLS 1.2+. Wrong passwords get Postfix's own 535.
set -u
SM_SRCDIR=${SM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SM_SRCDIR/tests/integration/lib/mailservers.sh"
. "$SM_SRCDIR/tests/integration/lib/sealmaild.sh"

trap 'sd_cleanup; ms_stop' EXIT
trap 'exit 1' INT TERM

echo "\$ ms_start"
ms_start || { echo "FAIL mail servers did not start"; exit 1; }
sd_home
echo "\$ sealmaild --foreground (upstream smtp+starttls://localhost:$MS_SUBMISSION_PORT)"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
echo "   listening on 127.0.0.1:$SD_PORT, pid $SD_PID"
CERT="$XDG_DATA_HOME/sealmail/smtp-cert.pem"
run=$$

msg() { # msg SUBJECT: a small message from alice to bob
  printf 'From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: %s\r\n' "$1"
  printf 'Message-ID: <%s.%s@example.test>\r\n\r\nHello Bob, sent through sealmaild.\r\n' "$run" "$RANDOM"
}

# --- swaks: AUTH PLAIN, then AUTH LOGIN over STARTTLS to sealmaild
sd_check "swaks AUTH PLAIN: 250 after Postfix accepted" \
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password secret \
  --from alice@example.test --to bob@example.test --header "Subject: swaks plain $run"
sd_check "  sealmaild's 250 came after the upstream's queue id" \
  grep -q 'event=copy decision=plain rcpts=1 reply="250 2.0.0 Ok: queued as' "$SD_LOG"
sd_check "  bob received it" sd_wait_mail bob "swaks plain $run"
sd_check "swaks STARTTLS + AUTH LOGIN" \
  swaks --server "127.0.0.1:$SD_PORT" --tls --auth LOGIN --auth-user alice --auth-password secret \
  --from alice@example.test --to bob@example.test --header "Subject: swaks tls $run"
sd_check "  bob received it" sd_wait_mail bob "swaks tls $run"
sd_check_not "swaks with a wrong password" \
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password wrong \
  --from alice@example.test --to bob@example.test --header "Subject: swaks wrong $run"
sd_check "  the client saw the provider's 535" sd_last_has "535 5\.7\.8"

# --- msmtp: STARTTLS verified against sealmaild's exported certificate, AUTH PLAIN
msg "msmtp $run" >"$SD_HOME/msmtp.eml"
sd_check "msmtp STARTTLS (verifies sealmaild's certificate) + AUTH PLAIN" \
  msmtp --host=localhost --port="$SD_PORT" --tls=on --tls-starttls=on \
  --tls-trust-file="$CERT" --auth=plain --user=alice --passwordeval="echo secret" \
  --from=alice@example.test bob@example.test <"$SD_HOME/msmtp.eml"
sd_check "  bob received it" sd_wait_mail bob "msmtp $run"

# --- curl: STARTTLS required, verified, AUTH through --user
msg "curl $run" >"$SD_HOME/curl.eml"
sd_check "curl smtp:// --ssl-reqd --cacert (STARTTLS) + AUTH" \
  curl -sS --url "smtp://localhost:$SD_PORT" --ssl-reqd --cacert "$CERT" --user alice:secret \
  --mail-from alice@example.test --mail-rcpt bob@example.test --upload-file "$SD_HOME/curl.eml"
sd_check "  bob received it" sd_wait_mail bob "curl $run"

# --- mutt in batch mode under script: its own SMTP client, AUTH, no TLS on loopback
cat >"$SD_HOME/muttrc" <<EOC
set smtp_url = "smtp://alice@127.0.0.1:$SD_PORT/"
set smtp_pass = "secret"
set from = "alice@example.test"
set ssl_starttls = no
set ssl_force_tls = no
set record = ""
set use_from = yes
EOC
echo "Hello Bob, from mutt." >"$SD_HOME/mutt.txt"
sd_check "mutt (batch, under script) sends through sealmaild" \
  script -qec "mutt -n -F '$SD_HOME/muttrc' -s 'mutt $run' bob@example.test < '$SD_HOME/mutt.txt'" /dev/null
sd_check "  bob received it" sd_wait_mail bob "mutt $run"

# --- Python smtplib: STARTTLS with verification, login, SMTPUTF8 and an 8-bit body
cat >"$SD_HOME/send.py" <<'EOP'
import smtplib, ssl, sys
from email.message import EmailMessage
port, cert, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = EmailMessage()
m["From"] = "alice@example.test"
m["To"] = "bob@example.test"
m["Subject"] = subject
m.set_content("Grüße aus Python — 8-bit body\n", cte="8bit")
with smtplib.SMTP("localhost", port, timeout=30) as s:
    s.starttls(context=ssl.create_default_context(cafile=cert))
    s.login("alice", "secret")
    assert "smtputf8" in s.esmtp_features and "8bitmime" in s.esmtp_features
    refused = s.send_message(m, mail_options=["BODY=8BITMIME"])
    assert not refused, refused
print("sent")
EOP
sd_check "python smtplib STARTTLS (verified) + login + BODY=8BITMIME" \
  python3 "$SD_HOME/send.py" "$SD_PORT" "$CERT" "python $run"
sd_check "  bob received it with its 8-bit body intact" sd_wait_mail bob "python $run"
sd_check "  the body is 8-bit UTF-8 as sent" grep -q "Grüße aus Python" "$(sd_find_mail bob "python $run")"

# --- what the upstream session looked like
sd_check "upstream TLS was verified, version 1.2 or 1.3, recorded" \
  grep -qE 'event=upstream-tls host=localhost result=ok version=1\.[23] ' "$SD_LOG"
sd_check "Postfix saw ESMTPSA (TLS + AUTH) from sealmaild" \
  grep -q "with ESMTPSA" "$(sd_find_mail bob "curl $run")"
sd_check "no password in sealmaild's log" bash -c "! grep -qiE 'secret|c2VjcmV0|AGFsaWNlAHNlY3JldA' '$SD_LOG'"

# --- SIGTERM: clean shutdown, pid file removed
sd_check "pid file present while running" test -s "$XDG_RUNTIME_DIR/sealmail/sealmaild.pid"
sd_stop
sd_check "SIGTERM: sealmaild stopped and removed its pid file" \
  bash -c "grep -q 'event=stopped' '$SD_LOG' && ! test -e '$XDG_RUNTIME_DIR/sealmail/sealmaild.pid'"

[ "$sd_failures" -eq 0 ] || { echo "sealmaild log:"; tail -30 "$SD_LOG"; exit 1; }
echo "all checks passed"
