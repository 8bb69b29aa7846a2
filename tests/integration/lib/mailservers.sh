# mailservers.sh: a private Dovecot 2.3 and Postfix 3.7 on loopback for integration tests.
# Source it (POSIX sh or bash), then:
#
#   ms_start || exit 1        # writes configs into a temp dir, starts both servers
#   ...                       # swaks --server 127.0.0.1:$MS_SUBMISSION_PORT --tls ...
#   ms_wait_for_mail bob 1 10 # until bob's Maildir holds 1 message, at most 10 s
#   ms_stop                   # stops both by PID and removes the temp dir
#
# Exported after ms_start:
#   MS_DIR              the temp dir holding configs, queues, logs and mailboxes
#   MS_SUBMISSION_PORT  STARTTLS offered (may), AUTH via Dovecot SASL, relay only when authenticated
#   MS_STRICT_PORT      STARTTLS mandatory, AUTH only after STARTTLS, relay only when authenticated
#   MS_SMTPS_PORT       implicit TLS (wrappermode), AUTH, relay only when authenticated
#   MS_PLAIN_PORT       no TLS offered at all (for "upstream without STARTTLS" tests), AUTH offered
#   MS_IMAP_PORT, MS_IMAPS_PORT
#   MS_LMTP_PORT, MS_SASL_PORT  Dovecot's LMTP and SASL listeners (Postfix uses them)
#   MS_CA               the self-signed server certificate (SAN DNS:localhost, IP:127.0.0.1)
#   MS_USERS            "alice bob carol"; every password is MS_PASSWORD ("secret")
# Functions: MS_MAILDIR_OF USER (prints the Maildir path), ms_count_mail USER,
#   ms_wait_for_mail USER COUNT TIMEOUT_SECONDS, ms_stop, ms_logs (prints both server logs).
# Domains: example.test delivers to the users' Maildirs over LMTP; discard.test is accepted and
# discarded (for throughput benchmarks); anything else bounces (no outside network).
# Optional input: MS_MESSAGE_SIZE_LIMIT (bytes, default 209715200, so 100 MB tests pass).
#
# Needs root (Postfix and Dovecot drop privileges to their own users), python3 (free ports and
# readiness probes) and openssl. Facts behind the settings: ../../../../shared/notes/test-servers.md.

MS_USERS="alice bob carol"
MS_PASSWORD=secret
export MS_USERS MS_PASSWORD

MS_MAILDIR_OF() {
  printf '%s\n' "$MS_DIR/mail/$1/Maildir"
}

# Prints how many messages USER's Maildir holds (new + cur); no forks, so polling is cheap.
ms_count_mail() {
  _ms_n=0
  for _ms_f in "$MS_DIR/mail/$1/Maildir/new/"* "$MS_DIR/mail/$1/Maildir/cur/"*; do
    [ -f "$_ms_f" ] && _ms_n=$((_ms_n + 1))
  done
  echo "$_ms_n"
}

# ms_wait_for_mail USER COUNT TIMEOUT: returns 0 as soon as USER's Maildir (new + cur) holds at
# least COUNT messages, 1 after TIMEOUT seconds.
ms_wait_for_mail() {
  _ms_deadline=$(($(date +%s) + $3))
  while :; do
    [ "$(ms_count_mail "$1")" -ge "$2" ] && return 0
    [ "$(date +%s)" -ge "$_ms_deadline" ] && return 1
    sleep 0.1
  done
}

ms_logs() {
  for _ms_log in "$MS_DIR/dovecot.log" "$MS_DIR/postfix.log"; do
    echo "---- $_ms_log"
    tail -n 40 "$_ms_log" 2>/dev/null
  done
}

# The system python: a pyenv shim first in PATH costs a second per call on a busy machine.
_MS_PY=python3
[ -x /usr/bin/python3 ] && _MS_PY=/usr/bin/python3

# Prints COUNT distinct free TCP ports on 127.0.0.1 (held open together so they differ).
_ms_free_ports() {
  $_MS_PY -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()' "$1"
}

# Waits until every port in $1 accepts a TCP connection; fails after $2 seconds.
_ms_wait_ports() {
  $_MS_PY -c '
import socket, sys, time
ports = [int(p) for p in sys.argv[1].split()]
deadline = time.monotonic() + float(sys.argv[2])
while ports and time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", ports[0]), timeout=1).close()
        ports.pop(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1 if ports else 0)' "$1" "$2"
}

# True while PID runs; a zombie (killed, not yet reaped by init) counts as gone. No forks: on a
# loaded machine each one costs ~0.2 s.
_ms_pid_alive() {
  [ -n "$1" ] && read -r _ms_stat 2>/dev/null <"/proc/$1/stat" || return 1
  _ms_stat=${_ms_stat##*) }
  [ "${_ms_stat%% *}" != Z ]
}

_ms_write_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$MS_DIR/server.key" \
    -out "$MS_DIR/server.crt" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 || return 1
  chmod 644 "$MS_DIR/server.crt"
  chmod 600 "$MS_DIR/server.key"
  MS_CA="$MS_DIR/server.crt"
}

_ms_write_dovecot() {
  : >"$MS_DIR/users"
  for _ms_u in $MS_USERS; do
    echo "$_ms_u:{PLAIN}$MS_PASSWORD" >>"$MS_DIR/users"
  done
  mkdir -p "$MS_DIR/mail" "$MS_DIR/dovecot-run" "$MS_DIR/dovecot-state"
  chown mail:mail "$MS_DIR/mail"
  cat >"$MS_DIR/dovecot.conf" <<EOF
instance_name = sealmail-test-$MS_TAG
base_dir = $MS_DIR/dovecot-run
state_dir = $MS_DIR/dovecot-state
log_path = $MS_DIR/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$MS_DIR/server.crt
ssl_key = <$MS_DIR/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
first_valid_uid = 8
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $MS_DIR/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$MS_DIR/mail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $MS_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $MS_IMAPS_PORT
    ssl = yes
  }
  service_count = 0
}
service imap {
  service_count = 1000
  process_min_avail = 4
  process_limit = 200
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $MS_LMTP_PORT
  }
}
service auth {
  client_limit = 2000
  inet_listener sasl {
    address = 127.0.0.1
    port = $MS_SASL_PORT
  }
}
EOF
}

_ms_write_postfix_main() {
  _ms_pf="$MS_DIR/pf"
  cat >"$_ms_pf/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $_ms_pf/queue
data_directory = $_ms_pf/data
maillog_file = $MS_DIR/postfix.log
maillog_file_prefixes = $MS_DIR
syslog_name = sealmail-test-$MS_TAG
myhostname = localhost
mydomain = localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:$_ms_pf/etc/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$MS_LMTP_PORT
relay_domains = discard.test
transport_maps = texthash:$_ms_pf/etc/transport
default_transport = error:no outside network
message_size_limit = ${MS_MESSAGE_SIZE_LIMIT:-209715200}
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtpd_tls_cert_file = $MS_DIR/server.crt
smtpd_tls_key_file = $MS_DIR/server.key
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$MS_SASL_PORT
smtpd_sasl_auth_enable = no
EOF
  : >"$_ms_pf/etc/vmailbox"
  for _ms_u in $MS_USERS; do
    echo "$_ms_u@example.test OK" >>"$_ms_pf/etc/vmailbox"
  done
  echo "discard.test discard:" >"$_ms_pf/etc/transport"
}

_ms_write_postfix_master() {
  _ms_auth="-o smtpd_sasl_auth_enable=yes -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
  cat >"$MS_DIR/pf/etc/master.cf" <<EOF
127.0.0.1:$MS_SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=sealmail-test-$MS_TAG/submission $_ms_auth
127.0.0.1:$MS_STRICT_PORT inet n - n - - smtpd
  -o syslog_name=sealmail-test-$MS_TAG/strict $_ms_auth
  -o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes
127.0.0.1:$MS_SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=sealmail-test-$MS_TAG/smtps $_ms_auth -o smtpd_tls_wrappermode=yes
127.0.0.1:$MS_PLAIN_PORT inet n - n - - smtpd
  -o syslog_name=sealmail-test-$MS_TAG/plain -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=no
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# The queue as "postfix set-permissions" leaves it. Made here because set-permissions and
# "postfix check" walk every Postfix file on the system (10 s on a busy 2-core machine);
# quick-start then tells "postfix start" to skip that check.
_ms_make_queue() {
  _ms_q="$MS_DIR/pf/queue"
  set -- active bounce corrupt defer deferred flush hold incoming private saved trace
  (cd "$_ms_q" && mkdir "$@" maildrop public pid && chown postfix:root "$@" && chmod 700 "$@" &&
    chown postfix:postdrop maildrop public && chmod 730 maildrop && chmod 710 public) || return 1
  chown postfix "$MS_DIR/pf/data"
  chmod 700 "$MS_DIR/pf/data"
  : >"$_ms_q/quick-start"
}

_ms_start_postfix() {
  mkdir -p "$MS_DIR/pf/etc" "$MS_DIR/pf/queue" "$MS_DIR/pf/data"
  _ms_write_postfix_main
  _ms_write_postfix_master
  _ms_make_queue || return 1
  # Without a terminal postfix says nothing when it fails; script(1) gives it one.
  if ! script -qc "postfix -c '$MS_DIR/pf/etc' start" /dev/null </dev/null \
    >"$MS_DIR/postfix-start.out" 2>&1; then
    echo "mailservers: postfix start failed:" >&2
    script -qc "postfix -c '$MS_DIR/pf/etc' check" /dev/null </dev/null >&2
    cat "$MS_DIR/postfix-start.out" >&2
    return 1
  fi
}

_ms_master_pids() {
  MS_DOVECOT_PID= MS_POSTFIX_PID=
  # read strips the blanks Postfix pads its PID with.
  read -r MS_DOVECOT_PID 2>/dev/null <"$MS_DIR/dovecot-run/master.pid"
  read -r MS_POSTFIX_PID 2>/dev/null <"$MS_DIR/pf/queue/pid/master.pid"
}

# One attempt on fresh ports; returns non-zero (servers stopped) when a listener did not come up,
# for example because another test grabbed one of the ports in between.
_ms_try_start() {
  set -- $(_ms_free_ports 8)
  MS_SUBMISSION_PORT=$1 MS_STRICT_PORT=$2 MS_SMTPS_PORT=$3 MS_PLAIN_PORT=$4
  MS_IMAP_PORT=$5 MS_IMAPS_PORT=$6 MS_LMTP_PORT=$7 MS_SASL_PORT=$8
  _ms_write_dovecot
  # The daemons must not hold the caller's stdout open (a pipe would never reach EOF).
  dovecot -c "$MS_DIR/dovecot.conf" </dev/null >>"$MS_DIR/dovecot-start.out" 2>&1 || {
    cat "$MS_DIR/dovecot-start.out" >&2
    return 1
  }
  _ms_start_postfix || return 1
  _ms_ports="$MS_SUBMISSION_PORT $MS_STRICT_PORT $MS_SMTPS_PORT $MS_PLAIN_PORT"
  _ms_ports="$_ms_ports $MS_IMAP_PORT $MS_IMAPS_PORT $MS_LMTP_PORT $MS_SASL_PORT"
  _ms_wait_ports "$_ms_ports" 15 || return 1
  sleep 0.2
  _ms_master_pids
  _ms_pid_alive "$MS_DOVECOT_PID" && _ms_pid_alive "$MS_POSTFIX_PID" || return 1
  ! grep -qs "Address already in use" "$MS_DIR/dovecot.log" "$MS_DIR/postfix.log"
}

# A graceful stop takes Dovecot ~3 s and Postfix ~1.5 s; these are throwaway servers, so they get
# one second after TERM and are then killed, children included, by PID.
_ms_stop_servers() {
  _ms_master_pids
  for _ms_pid in $MS_POSTFIX_PID $MS_DOVECOT_PID; do
    _ms_pid_alive "$_ms_pid" && kill -TERM "$_ms_pid" 2>/dev/null
  done
  _ms_i=0
  while [ $_ms_i -lt 10 ]; do
    _ms_pid_alive "$MS_POSTFIX_PID" || _ms_pid_alive "$MS_DOVECOT_PID" || break
    sleep 0.1
    _ms_i=$((_ms_i + 1))
  done
  for _ms_pid in $MS_POSTFIX_PID $MS_DOVECOT_PID $(_ms_instance_pids); do
    _ms_pid_alive "$_ms_pid" && kill -KILL "$_ms_pid" 2>/dev/null
  done
  # Wait for the kernel to reap them, so a caller that checks right after sees nothing left.
  _ms_i=0
  while [ $_ms_i -lt 50 ]; do
    [ -z "$(_ms_instance_pids)" ] && ! _ms_pid_alive "$MS_POSTFIX_PID" &&
      ! _ms_pid_alive "$MS_DOVECOT_PID" && break
    sleep 0.1
    _ms_i=$((_ms_i + 1))
  done
  return 0
}

# PIDs of the servers' processes: Postfix daemons work in the queue directory and Dovecot's in
# its base_dir, both unique to this instance.
_ms_instance_pids() {
  [ -n "${MS_DIR:-}" ] || return 0
  find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$MS_DIR/pf/*" \
    -o -lname "$MS_DIR/dovecot-run" -o -lname "$MS_DIR/dovecot-run/*" \) 2>/dev/null |
    sed -n 's|^/proc/\([0-9]*\)/cwd$|\1|p'
}

ms_start() {
  MS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sealmail-ms.XXXXXX") || return 1
  MS_TAG=$(basename "$MS_DIR" | tr -cd 'A-Za-z0-9')
  # The servers' unprivileged processes (dovecot, postfix, mail) must reach their files.
  chmod 755 "$MS_DIR"
  _ms_write_cert || {
    echo "mailservers: openssl could not make the certificate" >&2
    return 1
  }
  _ms_attempt=1
  while ! _ms_try_start; do
    _ms_stop_servers
    if [ $_ms_attempt -ge 3 ]; then
      echo "mailservers: servers did not start; logs follow" >&2
      ms_logs >&2
      return 1
    fi
    _ms_attempt=$((_ms_attempt + 1))
    rm -rf "$MS_DIR/pf" "$MS_DIR/dovecot-run" "$MS_DIR/dovecot-state"
  done
  export MS_DIR MS_CA MS_SUBMISSION_PORT MS_STRICT_PORT MS_SMTPS_PORT MS_PLAIN_PORT
  export MS_IMAP_PORT MS_IMAPS_PORT MS_LMTP_PORT MS_SASL_PORT MS_DOVECOT_PID MS_POSTFIX_PID
}

# Stops both servers by PID and removes MS_DIR. Safe to call twice, or after a failed ms_start.
ms_stop() {
  [ -n "${MS_DIR:-}" ] && [ -d "$MS_DIR" ] || return 0
  _ms_stop_servers
  rm -rf "$MS_DIR"
  MS_DIR=
}
