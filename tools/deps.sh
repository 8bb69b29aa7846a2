#!/bin/sh
# Installs everything sealmail needs to build, run and test on Debian 12 (as root).
# Skips apt-get when every package is already installed.
set -eu
PKGS="build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libgmime-3.0-dev libgpgme-dev libetpan-dev libssl-dev libjson-glib-dev libsqlite3-dev
  libpoppler-glib-dev libxml2-dev libarchive-dev
  gnupg gpgsm gpg-agent dirmngr openssl sqlite3 clang libclang-rt-14-dev python3 ca-certificates
  postfix dovecot-imapd dovecot-lmtpd swaks libnet-ssleay-perl libio-socket-ssl-perl msmtp mutt isync curl ssl-cert procps psmisc file time"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not ask questions nor start on the default ports.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
