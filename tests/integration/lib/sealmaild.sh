# sealmaild.sh: sealmaild in front of the private Postfix of lib/mailservers.sh, for the SMTP
# proxy's integration tests. Source it after mailservers.sh (bash), then:
#
#   sd_home                      # a throwaway home: XDG_* and GNUPGHOME under $SD_HOME
#   sd_start UPSTREAM [CA] [LINES]   # writes the config, starts sealmaild in the foreground,
#                                # waits until it listens; sets SD_PORT, SD_PID, SD_LOG
#   sd_stop                      # SIGTERM by PID (SIGKILL after 10 s), gpgconf --kill all
#   sd_check DESC CMD... / sd_check_not DESC CMD...   # transcript lines "ok"/"FAIL"
#   sd_last_has REGEX            # the output of the last check matches
#
# LINES are extra lines for the [account:test] group, or whole groups after a blank line.
# sealmaild listens on 127.0.0.1:0; the port is read from its "event=listening" log line.

SEALMAILD=${SEALMAILD:-${SM_BUILDDIR:-$SM_SRCDIR/build}/helper/sealmaild}
sd_failures=0

sd_home() {
  SD_HOME=$(mktemp -d "${TMPDIR:-/tmp}/sealmail-sd.XXXXXX") || return 1
  export XDG_CONFIG_HOME="$SD_HOME/config" XDG_DATA_HOME="$SD_HOME/data"
  export XDG_RUNTIME_DIR="$SD_HOME/run" GNUPGHOME="$SD_HOME/gnupg"
  mkdir -p "$XDG_CONFIG_HOME/sealmail" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$GNUPGHOME"
  chmod 700 "$XDG_RUNTIME_DIR" "$GNUPGHOME"
  SD_CONF="$XDG_CONFIG_HOME/sealmail/sealmail.conf"
  SD_LOG="$SD_HOME/sealmaild.log"
}

sd_write_config() {
  {
    echo "[account:test]"
    echo "smtp-listen = 127.0.0.1:0"
    echo "smtp-upstream = $1"
    [ -n "${2:-}" ] && echo "smtp-upstream-ca = $2"
    [ -n "${3:-}" ] && printf '%s\n' "$3"
  } >"$SD_CONF"
}

sd_start() {
  sd_write_config "$@"
  : >"$SD_LOG"
  "$SEALMAILD" --config "$SD_CONF" --foreground 2>>"$SD_LOG" &
  SD_PID=$!
  SD_PORT=
  for _sd_i in $(seq 1 100); do
    SD_PORT=$(sed -n 's/.*event=listening .* port=\([0-9]*\) .*/\1/p' "$SD_LOG" | tail -1)
    [ -n "$SD_PORT" ] && return 0
    kill -0 "$SD_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "sealmaild did not start:" >&2
  cat "$SD_LOG" >&2
  return 1
}

sd_stop() {
  if [ -n "${SD_PID:-}" ] && kill -0 "$SD_PID" 2>/dev/null; then
    kill -TERM "$SD_PID"
    for _sd_i in $(seq 1 100); do
      kill -0 "$SD_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$SD_PID" 2>/dev/null && kill -KILL "$SD_PID"
    wait "$SD_PID" 2>/dev/null
  fi
  SD_PID=
}

sd_cleanup() {
  sd_stop
  [ -n "${GNUPGHOME:-}" ] && gpgconf --kill all >/dev/null 2>&1
  [ -n "${SD_HOME:-}" ] && rm -rf "$SD_HOME"
}

sd_check() {
  _sd_desc=$1
  shift
  if "$@" >"$SD_HOME/run.out" 2>&1; then
    mv "$SD_HOME/run.out" "$SD_HOME/last.out"
    echo "ok   $_sd_desc"
  else
    mv "$SD_HOME/run.out" "$SD_HOME/last.out"
    echo "FAIL $_sd_desc"
    sed 's/^/     | /' "$SD_HOME/last.out" | tail -n 20
    sd_failures=$((sd_failures + 1))
  fi
}

sd_check_not() {
  _sd_desc=$1
  shift
  if "$@" >"$SD_HOME/run.out" 2>&1; then
    mv "$SD_HOME/run.out" "$SD_HOME/last.out"
    echo "FAIL $_sd_desc (succeeded)"
    sed 's/^/     | /' "$SD_HOME/last.out" | tail -n 20
    sd_failures=$((sd_failures + 1))
  else
    mv "$SD_HOME/run.out" "$SD_HOME/last.out"
    echo "ok   $_sd_desc"
  fi
}

sd_last_has() {
  grep -qE "$1" "$SD_HOME/last.out"
}

# The Maildir file of USER whose Subject is exactly SUBJECT (empty when none).
sd_find_mail() {
  grep -lx "Subject: $2" "$(MS_MAILDIR_OF "$1")"/new/* "$(MS_MAILDIR_OF "$1")"/cur/* 2>/dev/null |
    head -1
}

# Waits up to $3 seconds for a message with Subject $2 in USER $1's Maildir.
sd_wait_mail() {
  _sd_deadline=$(($(date +%s) + ${3:-10}))
  while [ -z "$(sd_find_mail "$1" "$2")" ]; do
    [ "$(date +%s)" -ge "$_sd_deadline" ] && return 1
    sleep 0.1
  done
}
