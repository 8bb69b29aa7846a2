#!/bin/bash
# sealmail audit, report --tls-rpt and status end to end: sealmaild relays through the private
# Postfix of lib/mailservers.sh, one message is sent, one is blocked for a social security
# number, and one upstream refuses STARTTLS. The audit then lists the two messages (decisions,
# finding counts, upstream TLS facts) without the number itself anywhere in the database files,
# the RFC 8460 report counts the successful and the failed sessions per policy domain, and
# `sealmail status` answers from the daemon's control socket (or exits 2 with a message when the
# daemon does not run one, and after it stopped).
set -u
SM_SRCDIR=${SM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SEALMAIL=${SEALMAIL:-${SM_BUILDDIR:-$SM_SRCDIR/build}/helper/cli/sealmail}
. "$SM_SRCDIR/tests/integration/lib/mailservers.sh"
. "$SM_SRCDIR/tests/integration/lib/sealmaild.sh"

trap 'sd_cleanup; ms_stop' EXIT
trap 'exit 1' INT TERM

echo "\$ ms_start"
ms_start || { echo "FAIL mail servers did not start"; exit 1; }
sd_home
DB="$XDG_DATA_HOME/sealmail/audit.sqlite"
run=$$

echo "\$ sealmail audit (no database yet)"
sd_check "audit with no database says nothing was recorded" "$SEALMAIL" audit
sd_check "  in words" sd_last_has "No messages recorded yet"
sd_check_not "  and did not create the database" test -e "$DB"

echo "\$ sealmaild --foreground (upstream smtp+starttls://localhost:$MS_SUBMISSION_PORT)"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" || exit 1
echo "   listening on 127.0.0.1:$SD_PORT, pid $SD_PID"

sd_check "swaks: a plain message to bob is relayed" \
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password secret \
  --from alice@example.test --to bob@example.test --header "Subject: audit ok $run" \
  --header "Message-ID: <ok.$run@example.test>" --body "Hello Bob."
sd_check "  bob received it" sd_wait_mail bob "audit ok $run"
sd_check_not "swaks: a message with an SSN to carol (no key) is refused" \
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password secret \
  --from alice@example.test --to carol@example.test --header "Subject: audit ssn $run" \
  --body "My SSN is 536-22-8726, please file it."
sd_check "  with a 5.7.1 naming the type, not the value" sd_last_has "5\.7\.1.*(social security|SSN)"
sd_check_not "  and the value is not in the reply" sd_last_has "<~~.*536-22-8726"

echo "\$ sealmail audit --json"
sd_check "audit --json" "$SEALMAIL" audit --json
cp "$SD_HOME/last.out" "$SD_HOME/audit.json"
sd_check "  two records, newest first: blocked, then sent" python3 - "$SD_HOME/audit.json" <<'EOP'
import json, sys
m = json.load(open(sys.argv[1]))["messages"]
assert len(m) == 2, m
assert m[0]["result"] == "blocked" and m[1]["result"] == "sent", [x["result"] for x in m]
assert m[0]["findings"].get("US_SSN", 0) >= 1, m[0]["findings"]
assert any(r["address"] == "carol@example.test" and r["decision"] == "blocked" for r in m[0]["recipients"]), m[0]
assert any(r["address"] == "bob@example.test" for r in m[1]["recipients"]), m[1]
assert len(m[1]["message_id_hash"]) == 64
tls = m[1]["tls"]
assert tls["tls"] is True and tls["version"] in ("1.2", "1.3", "TLSv1.2", "TLSv1.3"), tls
EOP
sd_check "  the Message-ID is stored hashed only" sh -c "! grep -rqa 'ok.$run@example.test' '$DB' '$DB-wal'"
sd_check "  the SSN is in no database file" sh -c "! cat '$DB'* | grep -qa '536-22-8726'"
sd_check "audit (text) shows the decision" "$SEALMAIL" audit --limit 1
sd_check "  carol blocked, US_SSN counted" sh -c "grep -q 'carol@example.test.*blocked' '$SD_HOME/last.out' && grep -q 'US_SSN' '$SD_HOME/last.out'"

echo "\$ sealmail status"
"$SEALMAIL" status --json >"$SD_HOME/status.out" 2>&1
sd_check "status exits 0 while sealmaild runs" [ $? -eq 0 ]
sd_check "status from the running sealmaild names its pid, listener and last decision" python3 - "$SD_HOME/status.out" "$SD_PID" "$SD_PORT" <<'EOP'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["daemon"]["pid"] == int(sys.argv[2]), s["daemon"]
assert str(sys.argv[3]) in json.dumps(s.get("listeners", [])), s.get("listeners")
assert s.get("recent") and s["recent"][0]["result"] == "blocked", s.get("recent")
EOP

echo "\$ sealmaild with an upstream that offers no STARTTLS"
sd_stop
sd_start "smtp+starttls://localhost:$MS_PLAIN_PORT" "$MS_CA" || exit 1
sd_check_not "swaks through it is refused (no fallback to clear text)" \
  swaks --server "127.0.0.1:$SD_PORT" --auth PLAIN --auth-user alice --auth-password secret \
  --from alice@example.test --to bob@example.test --header "Subject: audit nostarttls $run"
sd_stop

echo "\$ sealmail report --tls-rpt --organization 'Example Org' --contact tls@example.test"
sd_check "report --tls-rpt" "$SEALMAIL" report --tls-rpt --organization "Example Org" \
  --contact tls@example.test
cp "$SD_HOME/last.out" "$SD_HOME/report.json"
sd_check "  RFC 8460 members; localhost: successes and one starttls-not-supported" \
  python3 - "$SD_HOME/report.json" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("organization-name", "date-range", "contact-info", "report-id", "policies"):
    assert k in r, k
assert r["organization-name"] == "Example Org" and r["contact-info"] == "tls@example.test"
assert r["date-range"]["start-datetime"].endswith("Z")
ok = sum(p["summary"]["total-successful-session-count"] for p in r["policies"])
bad = sum(p["summary"]["total-failure-session-count"] for p in r["policies"])
assert ok >= 1 and bad >= 1, (ok, bad)
types = [d["result-type"] for p in r["policies"] for d in p["failure-details"]]
assert "starttls-not-supported" in types, types
for p in r["policies"]:
    assert p["policy"]["policy-type"] in ("no-policy-found", "sts", "tlsa")
    assert p["policy"]["policy-domain"]
    for d in p["failure-details"]:
        assert d["receiving-mx-hostname"] and d["failed-session-count"] >= 1
EOP

echo "\$ sealmail status (sealmaild stopped)"
sd_check_not "status fails when no daemon runs" "$SEALMAIL" status
sd_check "  saying how to start it" sd_last_has "sealmaild is not running"

if [ "$sd_failures" -ne 0 ]; then
  echo "test-audit-report: $sd_failures check(s) failed"
  exit 1
fi
echo "test-audit-report: all checks passed"
