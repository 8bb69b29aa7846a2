#!/bin/bash
# Scanner throughput against GNU grep, side by side in the same run, and peak memory at two input
# sizes. Not part of the test suite (figures are machine-dependent; ratios are what count).
#
#   tests/bench/bench-scan.sh [BUILDDIR] [MEGABYTES]
#
# Corpora (tests/bench/make-scan-corpus.py): "mail", business mail in five languages with a
# number every few lines and an identifier every few KiB; "dense", numbers on most lines (worst
# case for a candidate scanner); "prose", the mail corpus without digits (only the skip loop
# and the medical vocabulary filter run). Baselines: grep -E and grep -P (PCRE, JIT) over an
# equivalent pattern set (the shapes of every identifier sealmail detects, without validation
# or context, so grep does less work than the scanner), counting matching lines, LC_ALL=C.
# Times are CPU seconds (user + sys) of one process: the machine is shared, wall time is not
# one core's throughput. Peak RSS from /usr/bin/time -v for `sealmail scan` on N and 4N MB.
set -eu
build=${1:-build}
mb=${2:-64}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sm-bench-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT
bench=$build/tests/bench/bench-scan
sealmail=$build/helper/cli/sealmail

patterns='[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}|[0-9]{9}|([0-9]{4}[ -]?){3}[0-9]{1,4}|[0-9]{4}[ -]?[0-9]{6}[ -]?[0-9]{4,5}|[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,3})?|[0-9]{6}[-+][0-9]{4}|[0-9]{8}-[0-9]{4}|[0-9]{17}[0-9X]|[0-9]{6} [0-9]{8} [0-9]{3}[0-9X]|[0-9]{2} [0-9]{3} [0-9]{3} [0-9]{3}|[0-9]{11}|[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]|[0-9] [0-9]{2} [0-9]{2} [0-9]{2} [0-9]{3} [0-9]{3} [0-9]{2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[A-Z][0-9]{2}\.[0-9X]{1,4}|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\+[0-9]{1,3}( ?[0-9]{2,4}){2,5}|\([0-9]{3}\) ?[0-9]{3}-[0-9]{4}'
words='diagnos|chemotherapy|insulin|metformin|cancer|diabetes|hepatitis|depression'
grep_e="\\b($patterns)\\b|$words"

cpu() { # cpu COMMAND...: prints user+sys CPU seconds of COMMAND (output discarded)
  # not >/dev/null: GNU grep notices it and stops at the first match
  /usr/bin/time -f "%U %S" -o "$work/t" "$@" >"$work/out" 2>&1 || true
  tail -1 "$work/t" | awk '{ printf "%.3f", $1 + $2 }' # GNU time may print an exit line first
}
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / 1e6 / s : 0) }'; }

echo "== corpora: $mb MB each"
python3 "$here/make-scan-corpus.py" "$work/mail.txt" "$mb"
python3 "$here/make-scan-corpus.py" "$work/dense.txt" "$mb" dense
tr -d '0-9' <"$work/mail.txt" >"$work/prose.txt"

printf '%-7s %12s %12s %12s %12s %9s %9s\n' corpus "scan MB/s" "grep-E MB/s" "grep-P MB/s" "sealmail MB/s" "vs -E" "vs -P"
for c in mail dense prose; do
  f=$work/$c.txt
  bytes=$(stat -c %s "$f")
  cat "$f" >/dev/null # page cache
  s=$(cpu "$bench" "$f")
  e=$(LC_ALL=C cpu grep -cE "$grep_e" "$f")
  p=$(LC_ALL=C cpu grep -cP "$grep_e" "$f")
  printf 'From: b@example.org\nSubject: bench\n\n' | cat - "$f" >"$work/$c.eml"
  m=$(cpu "$sealmail" scan "$work/$c.eml")
  rs=$(rate "$bytes" "$s")
  re=$(rate "$bytes" "$e")
  rp=$(rate "$bytes" "$p")
  rm_=$(rate "$bytes" "$m")
  printf '%-7s %12s %12s %12s %12s %8sx %8sx\n' "$c" "$rs" "$re" "$rp" "$rm_" \
    "$(awk -v a="$rs" -v b="$re" 'BEGIN { printf "%.1f", a / b }')" \
    "$(awk -v a="$rs" -v b="$rp" 'BEGIN { printf "%.1f", a / b }')"
done

echo "== peak RSS of 'sealmail scan' (the message itself is read into memory by sm-message)"
python3 "$here/make-scan-corpus.py" "$work/big.txt" $((mb * 4)) >/dev/null
for f in "$work/mail.txt" "$work/big.txt"; do
  /usr/bin/time -v "$bench" "$f" 2>"$work/v" >/dev/null
  rss_scan=$(awk -F: '/Maximum resident/ { gsub(/ /, "", $2); print $2 }' "$work/v")
  /usr/bin/time -v "$sealmail" scan "$f.eml" 2>"$work/v" >/dev/null || true
  rss_cli=$(awk -F: '/Maximum resident/ { gsub(/ /, "", $2); print $2 }' "$work/v")
  echo "$(($(stat -c %s "$f") / 1000000)) MB: scanner ${rss_scan} kB, sealmail scan ${rss_cli} kB"
done
