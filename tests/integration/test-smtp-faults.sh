#!/bin/bash
# Faults around sealmaild, with the real Postfix behind it: the upstream down (client gets 4xx;
# the same message goes through later), an upstream without STARTTLS and a man in the middle
# that strips the offer (refused, never clear text), a certificate from the wrong CA or for the
# wrong name (refused, classified for TLS-RPT), kill -9 during DATA (client sees an error,
# nothing half-delivered, spool cleaned on restart), and bad SMTP input: an over-long line, bare
# LF with a smuggling attempt, 10,000 pipelined RCPTs, pipelined garbage, 60 MB over SIZE, too many
# sessions, a client from outside loopback.
set -u
SM_SRCDIR=${SM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SM_SRCDIR/tests/integration/lib/mailservers.sh"
. "$SM_SRCDIR/tests/integration/lib/sealmaild.sh"
PROBE="python3 $SM_SRCDIR/tests/integration/lib/smtp-probe.py"
helpers=""
stop_helpers() {
  for p in $helpers; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  helpers=""
}
trap 'stop_helpers; sd_cleanup; ms_stop' EXIT
trap 'exit 1' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
swaks_to() { # swaks_to PORT SUBJECT [more swaks options]
  _p=$1 _s=$2
  shift 2
  swaks --server "127.0.0.1:$_p" --auth PLAIN --auth-user alice --auth-password secret \
    --from alice@example.test --to bob@example.test --header "Subject: $_s" "$@"
}
wait_ready() { # wait_ready LOG: until a helper printed "ready" (at most 10 s)
  for _i in $(seq 1 100); do
    grep -q ready "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "helper did not start: $(cat "$1")"
  return 1
}
no_mail() { # no_mail USER SUBJECT: nothing with SUBJECT arrives within 2 s
  ! sd_wait_mail "$1" "$2" 2
}

echo "\$ ms_start"
ms_start || { echo "FAIL mail servers did not start"; exit 1; }
sd_home
run=$$

echo "-- upstream down"
down=$(free_port)
sd_start "smtp+starttls://localhost:$down" "$MS_CA" || exit 1
sd_check_not "AUTH while the upstream is down" swaks_to "$SD_PORT" "down $run"
sd_check "  the client got 454 4.7.0 (try later), naming the cause" sd_last_has "454 4\.7\.0 .*cannot connect"
sd_check_not "sending without AUTH while the upstream is down" \
  swaks --server "127.0.0.1:$SD_PORT" --from alice@example.test --to bob@example.test \
  --header "Subject: down $run"
sd_check "  the client got 451 4.4.1: the message stays in its outbox" sd_last_has "451 4\.4\.1"
sd_stop
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
sd_check "the same message sent again once the upstream is back" swaks_to "$SD_PORT" "down $run"
sd_check "  bob received it" sd_wait_mail bob "down $run"
sd_check "  exactly once" bash -c "sleep 1; [ \$(grep -lx 'Subject: down $run' $(MS_MAILDIR_OF bob)/*/* | wc -l) = 1 ]"
sd_stop

echo "-- upstream without STARTTLS"
sd_start "smtp+starttls://localhost:$MS_PLAIN_PORT" "$MS_CA" || exit 1
sd_check_not "send through an upstream that offers no STARTTLS" \
  swaks --server "127.0.0.1:$SD_PORT" --from alice@example.test --to bob@example.test \
  --header "Subject: plain $run"
sd_check "  refused with 451 4.7.5, never sent in clear text" sd_last_has "451 4\.7\.5 .*does not offer STARTTLS"
sd_check "  recorded as starttls-not-supported" grep -q "tls-failure=starttls-not-supported" "$SD_LOG"
sd_check "  nothing arrived" no_mail bob "plain $run"
sd_stop

echo "-- a man in the middle strips STARTTLS"
mitm=$(free_port)
$PROBE strip-relay "$mitm" "$MS_SUBMISSION_PORT" >"$SD_HOME/mitm.log" 2>&1 &
helpers="$helpers $!"
wait_ready "$SD_HOME/mitm.log" || exit 1
sd_start "smtp+starttls://localhost:$mitm" "$MS_CA" || exit 1
sd_check_not "AUTH through the stripping relay" swaks_to "$SD_PORT" "stripped $run"
sd_check "  refused: the password never crossed in clear text" sd_last_has "454 4\.7\.0 .*STARTTLS"
sd_check "  nothing arrived" no_mail bob "stripped $run"
sd_stop
stop_helpers

echo "-- wrong certificates"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$SD_HOME/other.key" \
  -out "$SD_HOME/other.crt" -subj /CN=other.example -addext "subjectAltName=DNS:other.example" \
  >/dev/null 2>&1
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$SD_HOME/other.crt" || exit 1
sd_check_not "upstream certificate from a CA we do not trust" swaks_to "$SD_PORT" "wrong ca $run"
sd_check "  refused, saying the certificate is not valid" sd_last_has "454 4\.7\.0 .*certificate of localhost is not valid"
sd_check "  recorded as certificate-not-trusted" grep -q "tls-failure=certificate-not-trusted" "$SD_LOG"
sd_stop
impostor=$(free_port)
$PROBE tls-server "$impostor" "$SD_HOME/other.crt" "$SD_HOME/other.key" >"$SD_HOME/impostor.log" 2>&1 &
helpers="$helpers $!"
wait_ready "$SD_HOME/impostor.log" || exit 1
sd_start "smtps://localhost:$impostor" "$SD_HOME/other.crt" || exit 1
sd_check_not "smtps upstream whose trusted certificate names another host" \
  swaks --server "127.0.0.1:$SD_PORT" --from alice@example.test --to bob@example.test \
  --header "Subject: impostor $run"
sd_check "  refused with 451 4.7.5" sd_last_has "451 4\.7\.5"
sd_check "  recorded as certificate-host-mismatch" grep -q "tls-failure=certificate-host-mismatch" "$SD_LOG"
sd_stop
stop_helpers

echo "-- kill -9 during DATA"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
sd_check "client sees an error when sealmaild dies in DATA" \
  $PROBE "$SD_PORT" kill-during-data "killed $run" "$XDG_RUNTIME_DIR/sealmail/sealmaild.pid"
wait "$SD_PID" 2>/dev/null
SD_PID=
sd_check "  the spool file of the dead session was left behind" \
  bash -c "[ \$(ls '$XDG_RUNTIME_DIR/sealmail/spool' | wc -l) = 1 ]"
sd_check "  no half message delivered" no_mail bob "killed $run"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
sd_check "  the restarted sealmaild removed it" grep -q "event=spool-cleaned files=1" "$SD_LOG"

echo "-- bad SMTP input"
sd_check "over-long command line: 500 5.5.2, session goes on" $PROBE "$SD_PORT" overlong
sd_check "bare LF lines and a smuggled \\n.\\n: one message, normalised" \
  $PROBE "$SD_PORT" bare-lf "bare lf $run"
sd_check "  bob received it" sd_wait_mail bob "bare lf $run"
sd_check "  the smuggled commands stayed message text" \
  grep -q "^MAIL FROM:<mallory@example.test>" "$(sd_find_mail bob "bare lf $run")"
sd_check "  carol received nothing" no_mail carol "bare lf $run"
sd_check "10,000 pipelined RCPTs: 1000 x 250, 9000 x 452 4.5.3, the session goes on" \
  $PROBE "$SD_PORT" rcpts
sd_check "pipelined garbage: 20 x 500, then 421 and close" $PROBE "$SD_PORT" garbage
sd_check "60 MB message: SIZE=62914560 gets 552 5.3.4; sent anyway, 552 after the data" \
  $PROBE "$SD_PORT" size
sd_stop

echo "-- sessions and remote clients"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" "
[limits]
smtp-sessions = 3" || exit 1
sd_check "a 4th concurrent session gets 421 4.3.2 (limit smtp-sessions = 3)" \
  $PROBE "$SD_PORT" sessions 3
sd_stop
remote_ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -1)
if [ -n "$remote_ip" ]; then
  sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" "smtp-listen = 0.0.0.0:0" || exit 1
  sd_check "a client connecting from $remote_ip is refused with 554 5.7.1" \
    python3 -c "import socket,sys; s=socket.create_connection(('$remote_ip',$SD_PORT),timeout=5); r=s.recv(200).decode(); print(r); sys.exit(not r.startswith('554 5.7.1'))"
  sd_stop
else
  echo "note: no non-loopback IPv4 address here; remote-client refusal not exercised"
fi

[ "$sd_failures" -eq 0 ] || { echo "sealmaild log:"; tail -30 "$SD_LOG"; exit 1; }
echo "all checks passed"
