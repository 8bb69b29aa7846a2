#!/bin/bash
# Benchmark of sealmaild's SMTP proxy against direct submission to Postfix, in the same run:
#   1. throughput and per-message latency (p50, p99), 50 messages per session, to a discard
#      domain: direct to Postfix (STARTTLS + AUTH) vs through sealmaild (loopback, AUTH passed
#      through, STARTTLS upstream), without encryption (recipient without key) and with it
#      (recipient with an OpenPGP key: scan, plan, PGP/MIME encryption);
#   2. sealmaild's peak RSS (VmHWM) relaying one 1 MB and one 100 MB message, each in a fresh
#      daemon, to show memory does not grow with the message size.
# Figures are printed as ratios to the direct baseline; nothing is asserted.
# Usage: tests/bench/bench-smtp.sh [COUNT]   (default 500 messages per measurement)
set -u
SM_SRCDIR=${SM_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SM_BUILDDIR=${SM_BUILDDIR:-$SM_SRCDIR/build}
. "$SM_SRCDIR/tests/integration/lib/mailservers.sh"
. "$SM_SRCDIR/tests/integration/lib/sealmaild.sh"
COUNT=${1:-500}
BENCH="python3 $SM_SRCDIR/tests/bench/bench-smtp.py"
trap 'sd_cleanup; ms_stop' EXIT
trap 'exit 1' INT TERM

ms_start || exit 1
sd_home
# A key for enc@discard.test: messages to it are encrypted before they leave.
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-generate-key "Bench <enc@discard.test>" ed25519 cert,sign never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys enc@discard.test | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-add-key "$fpr" cv25519 encrypt never 2>/dev/null
echo "$fpr:6:" | gpg --batch --quiet --import-ownertrust 2>/dev/null

LIMITS="
[limits]
smtp-message-bytes = 209715200
message-bytes = 268435456"
sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" "$LIMITS" || exit 1

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$2'])" "$1"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$1" "$2"; }

echo "== throughput and latency, $COUNT messages of 4 KB, 50 per session"
$BENCH "$MS_SUBMISSION_PORT" 50 50 4096 warm@discard.test starttls "$MS_CA" >/dev/null
$BENCH "$SD_PORT" 50 50 4096 warm@discard.test >/dev/null
direct=$($BENCH "$MS_SUBMISSION_PORT" "$COUNT" 50 4096 rcpt@discard.test starttls "$MS_CA")
plain=$($BENCH "$SD_PORT" "$COUNT" 50 4096 rcpt@discard.test)
enc=$($BENCH "$SD_PORT" "$COUNT" 50 4096 enc@discard.test)
echo "direct to Postfix:            $direct"
echo "through sealmaild, no crypto: $plain"
echo "through sealmaild, OpenPGP:   $enc"
echo "throughput ratio (sealmaild / direct): no crypto $(ratio "$(field "$plain" msg_per_s)" "$(field "$direct" msg_per_s)"), with encryption $(ratio "$(field "$enc" msg_per_s)" "$(field "$direct" msg_per_s)")"
echo "added latency p50: no crypto +$(python3 -c "print(round($(field "$plain" p50_ms)-$(field "$direct" p50_ms),2))") ms, with encryption +$(python3 -c "print(round($(field "$enc" p50_ms)-$(field "$direct" p50_ms),2))") ms"
echo "added latency p99: no crypto +$(python3 -c "print(round($(field "$plain" p99_ms)-$(field "$direct" p99_ms),2))") ms, with encryption +$(python3 -c "print(round($(field "$enc" p99_ms)-$(field "$direct" p99_ms),2))") ms"
grep -c "event=copy decision=encrypt-openpgp" "$SD_LOG" | sed 's/^/copies sealed with OpenPGP: /'
sd_stop

echo "== peak RSS of sealmaild relaying one message"
peak() { # peak SIZE_BYTES RCPT: VmHWM (kB) of a fresh sealmaild after relaying one message
  sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" "$LIMITS" >/dev/null || return 1
  $BENCH "$SD_PORT" 1 1 "$1" "$2" >/dev/null || echo "send failed" >&2
  grep VmHWM "/proc/$SD_PID/status" | awk '{print $2}'
  sd_stop
}
idle=$(sd_start "smtp+starttls://localhost:$MS_SUBMISSION_PORT" "$MS_CA" "$LIMITS" >/dev/null && grep VmHWM "/proc/$SD_PID/status" | awk '{print $2}'; sd_stop)
one=$(peak 1048576 rcpt@discard.test)
hundred=$(peak 104857600 rcpt@discard.test)
echo "idle: ${idle} kB; 1 MB message: ${one} kB; 100 MB message: ${hundred} kB"
echo "peak RSS ratio 100 MB / 1 MB message: $(ratio "$hundred" "$one") (message size ratio: 100)"
