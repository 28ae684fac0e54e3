#!/usr/bin/env bash
# Quick start, command 1: install, create the database, seed the demo city, serve.
# HOST and PORT choose the address (default 127.0.0.1:8000); requests are logged.
set -euo pipefail
cd "$(dirname "$0")"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
step() { printf '\n[%s/4] %s\n' "$1" "$2"; }

step 1 "Installing Jiliang and its dependencies into .venv (the first time takes a few minutes)…"
JILIANG_INSTALL_PROGRESS=1 bash scripts/bootstrap.sh all
export JILIANG_DATA_DIR="${JILIANG_DATA_DIR:-./data}"
# The demo city signs its certificates with a demo CA (random keys), trusted only in demo mode.
export JILIANG_DEMO_MODE="${JILIANG_DEMO_MODE:-true}"
step 2 "Creating or upgrading the database in $JILIANG_DATA_DIR…"
.venv/bin/jiliang db upgrade
step 3 "Seeding the demo city (only when the database is empty; about a minute)…"
.venv/bin/jiliang demo seed --if-empty
step 4 "Starting the server on $HOST:$PORT…"

# The address is announced once the server answers, not before.
case "$HOST" in
  0.0.0.0 | :: | "") probe="127.0.0.1"; shown="http://127.0.0.1:$PORT (listening on every address of this machine)" ;;
  *:*) probe="[$HOST]"; shown="http://[$HOST]:$PORT" ;;
  *) probe="$HOST"; shown="http://$HOST:$PORT" ;;
esac
server=$$
(
  for _ in $(seq 1 1200); do
    kill -0 "$server" 2>/dev/null || exit 0
    if .venv/bin/python - "http://$probe:$PORT/healthz" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1).read()
PY
      printf '\nJiliang is at %s\n  API: /api (OpenAPI: /openapi.json, browsable: /api/docs)\n' "$shown"
      printf '  demo users: regulator, institute, lab, power, fuel, market; password jiliang-demo\n\n'
      exit 0
    fi
    sleep 0.5
  done
  echo "warning: the server did not answer on $probe:$PORT within 10 minutes" >&2
) &
exec .venv/bin/jiliang serve --host "$HOST" --port "$PORT" --log-level info
