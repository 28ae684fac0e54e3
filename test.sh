#!/usr/bin/env bash
# Quick start, command 2: install what the tests need and run the whole suite with its checks.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh "all,dev"
bash scripts/browser.sh
bash scripts/services.sh
echo "== ruff"
.venv/bin/ruff check src tests bench
echo "== mypy (strict on all of src)"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest"
if [ "${CI:-}" = "true" ]; then
  # PostgreSQL is required on CI: fail now, clearly, when it cannot be reached.
  .venv/bin/python - <<'PY'
import os, sys
import psycopg
url = os.environ.get("JILIANG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres").replace("+psycopg", "")
try:
    psycopg.connect(url, connect_timeout=5).close()
except Exception as exc:
    print(f"error: PostgreSQL unreachable at {url}: {exc}".splitlines()[0], file=sys.stderr)
    sys.exit(2)
PY
fi
exec .venv/bin/python -m pytest -n "${JILIANG_TEST_WORKERS:-2}" --dist loadfile -q "$@"
