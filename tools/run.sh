#!/bin/sh
# The README's "run" command: installs, builds, and runs sealmail on its embedded default.
# Today that is `sealmail inspect` on a sample signed message shipped in tests/data/sample.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
sh tools/build.sh build
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1; rm -rf "$GNUPGHOME"' EXIT
gpg --batch --quiet --import tests/data/sample/sample-signer.asc 2>/dev/null
# The sample's signer is marked as trusted only in this throwaway keyring, as a user would.
gpg --batch --quiet --import-ownertrust tests/data/sample/sample-signer.trust 2>/dev/null
./build/helper/cli/sealmail inspect tests/data/sample/signed.eml "$@"
