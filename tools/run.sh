#!/bin/sh
# The README's "run" command: installs, builds, and runs sealmaild, sealmail's local SMTP
# submission proxy, in the foreground on its embedded default configuration
# (`sealmaild --print-default-config`): mail clients send to 127.0.0.1:1587.
#
# The embedded default needs an upstream submission server. For the demo this script starts a
# private Postfix + Dovecot on loopback (tests/integration/lib/mailservers.sh; users alice, bob and
# carol, password "secret") and points the default account at it through
# SEALMAIL_SMTP_UPSTREAM / SEALMAIL_SMTP_UPSTREAM_CA. Bob gets a throwaway OpenPGP key, so mail
# to him leaves encrypted; carol has none. Everything lives in a temporary directory and is
# stopped and removed on Ctrl-C. Needs root (Postfix and Dovecot drop privileges).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh tools/deps.sh
sh tools/build.sh build

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/sealmail-demo.XXXXXX")
export XDG_CONFIG_HOME="$DEMO/config" XDG_DATA_HOME="$DEMO/data" XDG_RUNTIME_DIR="$DEMO/run"
export GNUPGHOME="$DEMO/gnupg"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$GNUPGHOME"
chmod 700 "$XDG_RUNTIME_DIR" "$GNUPGHOME"

. "$top/tests/integration/lib/mailservers.sh"
cleanup() {
  trap - EXIT INT TERM
  ms_stop
  gpgconf --kill all >/dev/null 2>&1 || true
  rm -rf "$DEMO"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "Starting the demo upstream (private Postfix + Dovecot on 127.0.0.1)..."
ms_start
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-generate-key "Bob Demo <bob@example.test>" ed25519 cert,sign never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys bob@example.test | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-add-key "$fpr" cv25519 encrypt never 2>/dev/null
echo "$fpr:6:" | gpg --batch --quiet --import-ownertrust 2>/dev/null

export SEALMAIL_SMTP_UPSTREAM="smtp+starttls://localhost:$MS_SUBMISSION_PORT"
export SEALMAIL_SMTP_UPSTREAM_CA="$MS_CA"
cat <<EOM

sealmaild runs below in the foreground; press Ctrl-C to stop it and the demo servers.
Send through it from another terminal (password: secret):

  # to bob, who has a key: arrives encrypted (PGP/MIME)
  swaks --server 127.0.0.1:1587 --auth PLAIN --auth-user alice --auth-password secret \\
        --from alice@example.test --to bob@example.test --body 'Hello Bob'

  # a social security number to carol, who has no key: refused with 550 5.7.1
  swaks --server 127.0.0.1:1587 --auth PLAIN --auth-user alice --auth-password secret \\
        --from alice@example.test --to carol@example.test --body 'My SSN is 536-22-4178'

  # to carol without sensitive content: sent over verified TLS, not encrypted
  swaks --server 127.0.0.1:1587 --auth PLAIN --auth-user alice --auth-password secret \\
        --from alice@example.test --to carol@example.test --body 'Lunch at noon?'

What arrived:   ls $MS_DIR/mail/bob/Maildir/new $MS_DIR/mail/carol/Maildir/new
The audit:      XDG_DATA_HOME=$XDG_DATA_HOME ./build/helper/cli/sealmail audit
Mail clients:   SMTP server 127.0.0.1 port 1587, STARTTLS optional (certificate to trust:
                $XDG_DATA_HOME/sealmail/smtp-cert.pem), user alice, password secret.

EOM
./build/helper/sealmaild --foreground "$@"
