#!/bin/sh
# The README's "test" command: installs, builds and runs every test:
#   1. unit tests (GTest via meson test),
#   2. the same under AddressSanitizer and UndefinedBehaviorSanitizer,
#   3. integration drivers (tests/integration/test-*.sh: real gpg, gpgsm, openssl, Postfix,
#      Dovecot and mail clients on loopback),
#   4. every libFuzzer target for FUZZ_SECONDS (default 45) on its corpus.
# Set SM_SKIP_ASAN=1 or FUZZ_SECONDS=0 to skip a stage while developing.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh tools/deps.sh

echo "== build and unit tests"
sh tools/build.sh build
meson test -C build --suite unit --print-errorlogs

if [ "${SM_SKIP_ASAN:-0}" != 1 ]; then
  echo "== unit tests under ASan + UBSan"
  sh tools/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs
fi

echo "== integration tests"
SEALMAIL="$top/build/helper/cli/sealmail" SEALMAILD="$top/build/helper/sealmaild" \
  SM_SRCDIR="$top" SM_BUILDDIR="$top/build" sh tests/integration/run-all.sh

secs=${FUZZ_SECONDS:-45}
if [ "$secs" -gt 0 ]; then
  echo "== fuzzers, ${secs}s each"
  CC=clang sh tools/build.sh build-fuzz -Dfuzzing=true -Db_lundef=false
  sh tests/fuzz/run-all.sh "$top/build-fuzz/tests/fuzz" "$secs"
fi
echo "== all tests passed"
