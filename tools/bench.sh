#!/bin/sh
# Runs every benchmark and prints its figures as ratios against a baseline measured in the same
# run (nothing is asserted: the machines are shared and noisy). Not part of tools/test.sh.
#   meson benchmarks: Received lines/s vs a plain scan, messages inspected/s vs GMime's parser,
#                     sealing vs the gpg and gpgsm CLIs (with peak RSS)
#   bench-scan.sh:    scanner MB/s vs GNU grep -E and grep -P, peak RSS at two input sizes
#   bench-smtp.sh:    sealmaild vs direct submission to Postfix (msg/s, p50/p99), peak RSS
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh
sh tools/build.sh build
meson test -C build --benchmark --verbose
bash tests/bench/bench-scan.sh build "${SCAN_MB:-64}"
SM_SRCDIR=$(pwd) SM_BUILDDIR=$(pwd)/build bash tests/bench/bench-smtp.sh "${SMTP_COUNT:-500}"
