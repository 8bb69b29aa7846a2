#!/bin/sh
# sealmail status against a real sealmaild: the control socket answers with the daemon's
# listeners and accounts; with the daemon stopped, status says so and exits 2.
set -u
T=$(mktemp -d)
export XDG_RUNTIME_DIR="$T/run" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }

cat > "$T/sealmail.conf" <<EOC
[account:work]
smtp-listen = 127.0.0.1:0
smtp-upstream = smtp+starttls://localhost:9
EOC
echo "\$ sealmaild --config sealmail.conf --foreground &"
"$SEALMAILD" --config "$T/sealmail.conf" --foreground 2>"$T/log" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "event=ready" "$T/log"; do sleep 0.1; i=$((i + 1)); done
check "the daemon is ready" 'grep -q "event=ready" "$T/log"'

echo "\$ sealmail status --json"
"$SEALMAIL" status --json >"$T/status.json"
check "status exits 0" '[ $? -eq 0 ]'
check "status names the account, its listener and the daemon's pid" \
  "/usr/bin/python3 - '$T/status.json' $pid <<'EOP'
import json, sys
s = json.load(open(sys.argv[1]))
assert s['daemon']['pid'] == int(sys.argv[2]), s['daemon']
l = s['listeners'][0]
assert l['account'] == 'work' and l['port'] > 0 and l['upstream'] == 'smtp+starttls://localhost:9', l
assert [a['name'] for a in s['accounts']] == ['work']
assert s['recent'] == []
EOP"
"$SEALMAIL" status >"$T/status.txt"
check "human status says it is running" 'grep -q "is running" "$T/status.txt"'

kill "$pid"; wait "$pid" 2>/dev/null; pid=""
echo "\$ sealmail status   # daemon stopped"
"$SEALMAIL" status >"$T/out" 2>"$T/err"
rc=$?
check "status exits 2 without a daemon" '[ $rc -eq 2 ]'
check "and says how to start it" 'grep -q "not running" "$T/err"'
check "the socket file is gone" '[ ! -e "$XDG_RUNTIME_DIR/sealmail/control.sock" ]'
exit $fail
