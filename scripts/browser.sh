#!/usr/bin/env bash
# Debian's Chromium for the end-to-end browser tests; installed when missing and we are root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
elif [ "${CI:-}" = "true" ]; then
  echo "error: chromium is missing and cannot be installed (not root)" >&2
  exit 2
else
  echo "note: chromium not installed; browser tests will be skipped" >&2
fi
