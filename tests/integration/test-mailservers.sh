#!/bin/sh
# Proves tests/integration/lib/mailservers.sh: a private Postfix + Dovecot start on loopback, a
# message submitted with STARTTLS + AUTH reaches bob's Maildir and IMAPS, each listener behaves as
# documented (auth-only relay, mandatory STARTTLS, implicit TLS, no TLS at all), and ms_stop leaves
# no process and no file behind.
set -u
SM_SRCDIR=${SM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SM_SRCDIR/tests/integration/lib/mailservers.sh"

failures=0
check() {
  # check DESCRIPTION COMMAND...: runs COMMAND, prints ok/FAIL.
  _desc=$1
  shift
  if "$@" >"$T/run.out" 2>&1; then
    mv "$T/run.out" "$T/last.out"
    echo "ok   $_desc"
  else
    mv "$T/run.out" "$T/last.out"
    echo "FAIL $_desc"
    sed 's/^/     | /' "$T/last.out" | tail -n 15
    failures=$((failures + 1))
  fi
}
check_not() {
  _desc=$1
  shift
  if "$@" >"$T/run.out" 2>&1; then
    mv "$T/run.out" "$T/last.out"
    echo "FAIL $_desc (succeeded)"
    sed 's/^/     | /' "$T/last.out" | tail -n 15
    failures=$((failures + 1))
  else
    mv "$T/run.out" "$T/last.out"
    echo "ok   $_desc"
  fi
}
grep_out() {
  grep -q "$1" "$T/last.out"
}

T=$(mktemp -d)
cleanup() {
  ms_stop
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start=$(date +%s)
echo "\$ ms_start"
if ! ms_start; then
  echo "FAIL mail servers did not start"
  exit 1
fi
echo "   started in $(($(date +%s) - start)) s; MS_DIR=$MS_DIR submission=$MS_SUBMISSION_PORT strict=$MS_STRICT_PORT smtps=$MS_SMTPS_PORT"
echo "   plain=$MS_PLAIN_PORT imap=$MS_IMAP_PORT imaps=$MS_IMAPS_PORT dovecot=$MS_DOVECOT_PID postfix=$MS_POSTFIX_PID"

subject="mailservers test $$-$(date +%s)"
# send PORT [SWAKS OPTIONS]: alice sends to bob with AUTH PLAIN.
send() {
  _port=$1
  shift
  swaks --server "127.0.0.1:$_port" --auth PLAIN --auth-user alice --auth-password secret \
    --from alice@example.test --to bob@example.test --header "Subject: $subject" \
    --body "Hello Bob" "$@"
}

echo "\$ swaks --server 127.0.0.1:\$MS_SUBMISSION_PORT --tls --auth PLAIN ... --to bob@example.test"
check "submission: STARTTLS + AUTH accepted, verified against MS_CA as localhost" \
  send "$MS_SUBMISSION_PORT" --tls --tls-verify --tls-ca-path "$MS_CA" --tls-sni localhost
check "ms_wait_for_mail bob 1 20" ms_wait_for_mail bob 1 20
md=$(MS_MAILDIR_OF bob)
check "the message is in $md/new with its subject" grep -rqF "Subject: $subject" "$md/new"
check "Postfix recorded TLS in the Received header" grep -rqE "with ESMTPS" "$md/new"

echo "\$ curl --cacert \$MS_CA imaps://localhost:\$MS_IMAPS_PORT/INBOX;UID=1 -u bob:secret"
check "IMAPS fetch of bob's message" \
  curl -sS --max-time 20 --cacert "$MS_CA" -u bob:secret "imaps://localhost:$MS_IMAPS_PORT/INBOX;UID=1"
check "fetched text has the subject" grep_out "Subject: $subject"
check "IMAP (plain port) login and LIST" \
  curl -sS --max-time 20 -u carol:secret "imap://127.0.0.1:$MS_IMAP_PORT/"
check_not "IMAPS with a wrong password is refused" \
  curl -sS --max-time 20 --cacert "$MS_CA" -u bob:wrong "imaps://localhost:$MS_IMAPS_PORT/INBOX"

echo "\$ swaks (no AUTH) --server 127.0.0.1:\$MS_SUBMISSION_PORT"
check_not "submission without AUTH is refused" \
  swaks --server "127.0.0.1:$MS_SUBMISSION_PORT" --tls --from x@example.org --to bob@example.test
check "... with 554 relay access denied" grep_out "554 5.7.1"
check_not "submission with a wrong password is refused" \
  swaks --server "127.0.0.1:$MS_SUBMISSION_PORT" --tls --auth PLAIN --auth-user alice \
  --auth-password wrong --to bob@example.test

echo "\$ swaks --server 127.0.0.1:\$MS_STRICT_PORT (no STARTTLS)"
check_not "strict port refuses mail before STARTTLS" send "$MS_STRICT_PORT"
check "strict port with STARTTLS + AUTH accepted" send "$MS_STRICT_PORT" --tls

echo "\$ swaks --tlsc --server 127.0.0.1:\$MS_SMTPS_PORT"
check "implicit TLS port accepts AUTH + mail" send "$MS_SMTPS_PORT" --tlsc

echo "\$ swaks --server 127.0.0.1:\$MS_PLAIN_PORT"
check_not "plain port does not offer STARTTLS (swaks --tls fails)" send "$MS_PLAIN_PORT" --tls
check "... and its EHLO has no STARTTLS" sh -c '! grep -qE "250[- ]STARTTLS" "$1"' _ "$T/last.out"
check "plain port accepts AUTH + mail in clear" send "$MS_PLAIN_PORT"
check "3 more messages reach bob" ms_wait_for_mail bob 4 20

echo "\$ swaks --to x@discard.test"
check "discard.test is accepted (and dropped)" \
  send "$MS_SUBMISSION_PORT" --tls --to sink@discard.test
check_not "other domains are not relayed unauthenticated" \
  swaks --server "127.0.0.1:$MS_PLAIN_PORT" --from a@example.org --to x@elsewhere.test

echo "\$ ms_stop"
dir=$MS_DIR
pids="$MS_DOVECOT_PID $MS_POSTFIX_PID"
pids=$(printf '%s\n' $pids $(_ms_instance_pids) | sort -un)
echo "   server PIDs before stop: $(echo $pids)"
ms_stop
none_alive() {
  for _pid in "$@"; do
    _ms_pid_alive "$_pid" && echo "PID $_pid is still running" && return 1
  done
  return 0
}
check "none of the $(echo $pids | wc -w) server PIDs is running" none_alive $pids
check_not "MS_DIR removed" test -e "$dir"
echo "   elapsed $(($(date +%s) - start)) s"

if [ "$failures" -ne 0 ]; then
  echo "test-mailservers: $failures check(s) failed"
  exit 1
fi
echo "test-mailservers: all checks passed"
