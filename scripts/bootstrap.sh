#!/usr/bin/env bash
# Create .venv and install Jiliang with the given extras (default: all). Idempotent; quiet unless
# JILIANG_INSTALL_PROGRESS=1, which shows pip's progress (what is downloaded and installed).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-all}"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Jiliang needs Python 3.11 or newer ($py is $("$py" -V 2>&1))" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$py" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately; install it when we may.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      rm -rf .venv
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$py" -m venv .venv
    else
      echo "error: '$py -m venv' failed; install python3-venv (Debian) and run again" >&2
      exit 2
    fi
  fi
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$extras"
quiet="-q"
if [ "${JILIANG_INSTALL_PROGRESS:-0}" = 1 ]; then
  quiet=""
fi
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # shellcheck disable=SC2086 # $quiet is empty or one flag
  .venv/bin/python -m pip install $quiet --disable-pip-version-check -e ".[$extras]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
