#!/bin/sh
# Translations: every po/*.po named in po/LINGUAS passes `msgfmt -c --check-format` (printf
# directives and plural forms agree with the msgids), po/POTFILES.in lists exactly the helper
# sources that mark strings, and the programs really load the catalogues the build compiled:
# SEALMAIL_LOCALEDIR points them at a throwaway locale tree (meson installs .mo files only at
# install time), LANGUAGE picks the language, and the usage text must come out translated.
# Builds nothing: it uses the .mo files under $SM_BUILDDIR/po.
set -u
: "${SEALMAIL:?set SEALMAIL to the sealmail binary}"
: "${SM_SRCDIR:?set SM_SRCDIR to the source tree}"
: "${SM_BUILDDIR:?set SM_BUILDDIR to the build directory}"

work=$(mktemp -d "${TMPDIR:-/tmp}/sm-i18n-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
ok() { echo "ok: $*"; }
bad() {
  echo "FAILED: $*"
  failures=$((failures + 1))
}
# contains FILE TEXT: fixed-string search, so translations with regex characters are fine.
contains() { grep -qF -- "$2" "$1"; }

langs=$(sed -e 's/#.*//' "$SM_SRCDIR/po/LINGUAS")
[ -n "$langs" ] || bad "po/LINGUAS names no language"

echo "== msgfmt -c --check-format on every catalogue"
for l in $langs; do
  po=$SM_SRCDIR/po/$l.po
  echo "\$ msgfmt -c --check-format --statistics -o /dev/null po/$l.po"
  if msgfmt -c --check-format --statistics -o /dev/null "$po" 2>&1; then
    ok "$l.po is valid"
  else
    bad "$l.po has errors (see above)"
  fi
done

echo "== po/POTFILES.in lists every helper source with translatable strings, and only files that exist"
listed=$work/listed
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SM_SRCDIR/po/POTFILES.in" | sort -u >"$listed"
while read -r f; do
  [ -f "$SM_SRCDIR/$f" ] || bad "po/POTFILES.in lists $f, which does not exist"
done <"$listed"
(cd "$SM_SRCDIR" && grep -rlE '(^|[^A-Za-z0-9_])(N_|_|C_|NC_|ngettext|g_dngettext)\(' helper \
  --include='*.c' | sort -u) >"$work/marked"
missing=$(comm -23 "$work/marked" "$listed")
if [ -z "$missing" ]; then
  ok "all $(wc -l <"$work/marked") marked sources are listed"
else
  bad "not in po/POTFILES.in (their strings are never translated): $missing"
fi

echo "== a locale tree from the build's catalogues"
for l in $langs; do
  mo=$SM_BUILDDIR/po/$l/LC_MESSAGES/sealmail.mo
  if [ -f "$mo" ]; then
    mkdir -p "$work/locale/$l/LC_MESSAGES"
    cp "$mo" "$work/locale/$l/LC_MESSAGES/sealmail.mo"
    ok "$l: $mo"
  else
    bad "$l: $mo is missing (run ninja -C \$SM_BUILDDIR first)"
  fi
done
mkdir -p "$work/empty"

# run_help OUT LANGUAGE LOCALEDIR PROGRAM: the program's --help under LC_ALL=C.UTF-8.
run_help() {
  echo "\$ SEALMAIL_LOCALEDIR=$3 LANGUAGE=$2 LC_ALL=C.UTF-8 $(basename "$4") --help"
  SEALMAIL_LOCALEDIR=$3 LANGUAGE=$2 LC_ALL=C.UTF-8 "$4" --help >"$1" 2>&1
}

echo "== sealmail --help in English without catalogues (the control)"
run_help "$work/en.txt" fr "$work/empty" "$SEALMAIL"
sed -n 1p "$work/en.txt"
if contains "$work/en.txt" "Usage: sealmail" && contains "$work/en.txt" "Commands:"; then
  ok "no catalogue found: the usage stays English"
else
  bad "the English usage text is missing"
fi

echo "== sealmail --help in French"
run_help "$work/fr.txt" fr "$work/locale" "$SEALMAIL"
cat "$work/fr.txt"
if contains "$work/fr.txt" "Utilisation : sealmail [--config FICHIER] COMMANDE" \
  && contains "$work/fr.txt" "Commandes :" \
  && contains "$work/fr.txt" "Montrer qui a signé un message et par où il est passé" \
  && ! contains "$work/fr.txt" "Usage: sealmail"; then
  ok "the French usage and command summaries are shown"
else
  bad "the French usage text did not appear"
fi

echo "== sealmail --help in every language differs from English"
for l in $langs; do
  run_help "$work/$l.help" "$l" "$work/locale" "$SEALMAIL"
  first=$(sed -n 1p "$work/$l.help")
  echo "   $l: $first"
  if contains "$work/$l.help" "Usage: sealmail"; then
    bad "$l: the usage line is not translated"
  else
    ok "$l: the usage line is translated"
  fi
done

echo "== an unknown command is reported in French on stderr"
echo "\$ SEALMAIL_LOCALEDIR=... LANGUAGE=fr LC_ALL=C.UTF-8 sealmail no-such-command"
SEALMAIL_LOCALEDIR=$work/locale LANGUAGE=fr LC_ALL=C.UTF-8 "$SEALMAIL" no-such-command \
  >/dev/null 2>"$work/err.txt"
rc=$?
sed -n 1p "$work/err.txt"
if [ "$rc" -ne 0 ] && contains "$work/err.txt" "commande inconnue « no-such-command »"; then
  ok "exit status $rc and a French error"
else
  bad "expected a French 'commande inconnue' error and a non-zero exit (got $rc)"
fi

if [ -n "${SEALMAILD:-}" ] && [ -x "$SEALMAILD" ]; then
  echo "== sealmaild --help in French (GOption descriptions)"
  run_help "$work/d-fr.txt" fr "$work/locale" "$SEALMAILD"
  cat "$work/d-fr.txt"
  if contains "$work/d-fr.txt" "Rester au premier plan" \
    && contains "$work/d-fr.txt" "Afficher la configuration par défaut intégrée"; then
    ok "sealmaild's option descriptions are French"
  else
    bad "sealmaild --help is not translated"
  fi
else
  echo "skip: SEALMAILD not set; sealmaild --help not checked"
fi

if [ "$failures" -ne 0 ]; then
  echo "test-i18n: $failures check(s) FAILED"
  exit 1
fi
echo "test-i18n: all checks passed"
