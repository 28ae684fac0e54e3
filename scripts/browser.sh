#!/usr/bin/env bash
# Debian's Chromium (browser tests), CJK fonts (browser and PDF tests) and poppler-utils (the
# certificate PDF is read back with pdftotext/pdffonts); installed when missing and we are root.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's ${missing[*]} for the browser and PDF tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif [ "${CI:-}" = "true" ]; then
  echo "error: ${missing[*]} missing and cannot be installed (not root)" >&2
  exit 2
else
  echo "note: ${missing[*]} not installed; the tests that need them will be skipped" >&2
fi
