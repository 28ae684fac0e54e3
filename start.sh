#!/usr/bin/env bash
# Quick start, command 1: install, create the database, seed the demo city, serve on :8000.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh all
export JILIANG_DATA_DIR="${JILIANG_DATA_DIR:-./data}"
# The demo city signs its certificates with a demo CA (random keys), trusted only in demo mode.
export JILIANG_DEMO_MODE="${JILIANG_DEMO_MODE:-true}"
.venv/bin/jiliang db upgrade
.venv/bin/jiliang demo seed --if-empty
echo "Jiliang is at http://127.0.0.1:8000  (API: /api, OpenAPI: /openapi.json; demo users: regulator, institute, lab, power, fuel, market — password jiliang-demo)"
exec .venv/bin/jiliang serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
