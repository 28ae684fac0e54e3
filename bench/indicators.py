"""Plan indicator benchmarks: ``python -m bench.indicators [--data DIR] [--size city] [--repeat 30]``.

On the demo city (``--data DIR`` holding a seeded ``jiliang.sqlite3``, or one seeded here at
``--size``), in process:

1. every indicator of the five plans computed live (``compute_all``, a fresh session each run);
2. the regulator's dashboard page ``/indicators?plan=…`` and an indicator page: p95 of the server
   time over ``--repeat`` requests each after one warm-up request (TestClient, in process), with
   the dashboards' figures cache (``JILIANG_FIGURES_CACHE_SECONDS``, as the home page) and without;
3. a mid-term report drafted (``draft_report``, rolled back) and rendered as PDF and Word.

Targets (issue 16): compute ≤ 2 s; dashboard p95 ≤ 150 ms; report ≤ 10 s. Results on stdout and in
``bench/results/indicators-<time>.json`` with the library versions.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

TARGETS = {"compute_s": 2.0, "dashboard_p95_ms": 150.0, "report_s": 10.0}
AS_OF = date(2026, 11, 1)


def _data(args: argparse.Namespace) -> Path:
    if args.data is not None and (args.data / "jiliang.sqlite3").exists():
        return Path(args.data)
    data = args.data or Path(tempfile.mkdtemp(prefix="jiliang-ind-bench-")) / "data"
    env = {"JILIANG_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "jiliang", "db", "upgrade"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-m", "jiliang", "demo", "seed", "--size", args.size, "--as-of", AS_OF.isoformat()],
        env=env,
        check=True,
    )
    return Path(data)


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[max(0, round(0.95 * len(times)) - 1)]


def _pages(client_cls: Any, app: Any, repeat: int) -> dict[str, dict[str, float]]:
    pages = {}
    with client_cls(app) as client:
        tok = client.post(
            "/api/auth/login", json={"username": "regulator", "password": "jiliang-demo"}
        ).json()
        h = {"Authorization": f"Bearer {tok['token']}", "Accept": "text/html"}
        for url in (
            "/indicators?plan=guangzhou",
            "/indicators?plan=jieyang",
            "/indicators/values/chz.coverage",
        ):
            assert client.get(url, headers=h).status_code == 200  # warm-up: templates, imports
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                assert client.get(url, headers=h).status_code == 200
                times.append((time.perf_counter() - t0) * 1000)
            pages[url] = {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(_p95(times), 1)}
    return pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--size", default="city", choices=["small", "city"])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = _data(args)

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from jiliang.app import create_app
    from jiliang.indicators import report, service
    from jiliang.platform.auth import Principal
    from jiliang.platform.models import Role
    from jiliang.platform.settings import Settings
    from jiliang.registry.models import Instrument

    app = create_app(Settings(data_dir=data, secret_key="bench-secret-key-0123456789"))
    db = app.state.db
    out: dict[str, Any] = {}
    with db.session(write=False) as s:
        out["instruments"] = s.scalar(select(func.count()).select_from(Instrument))
    compute = []
    for _ in range(args.runs):
        with db.session(write=False) as s:
            t0 = time.perf_counter()
            rows = service.compute_all(s, AS_OF)
            compute.append(time.perf_counter() - t0)
    out["indicators"] = len(rows)
    out["compute_s"] = round(min(compute), 3)

    for label, cache in (("cached", None), ("uncached", 0)):
        extra = {} if cache is None else {"figures_cache_seconds": cache}
        page_app = create_app(Settings(data_dir=data, secret_key="bench-secret-key-0123456789", **extra))
        out[f"pages_{label}"] = _pages(TestClient, page_app, args.repeat)
        out[f"dashboard_p95_ms_{label}"] = max(p["p95_ms"] for p in out[f"pages_{label}"].values())
        page_app.state.db.dispose()

    who = Principal(user_id=None, username="bench", role=Role.REGULATOR, org_id=None)
    drafts = []
    for _ in range(args.runs):
        with db.sessionmaker() as s:
            t0 = time.perf_counter()
            rep = service.draft_report(s, who, "changzhou", "midterm", AS_OF)
            plan = service.get_plan("changzhou")
            pdf = report.report_pdf(plan, rep.kind, rep.as_of, rep.body, rep.narrative_zh, "draft", "zh")
            docx = report.report_docx(plan, rep.kind, rep.as_of, rep.body, rep.narrative_en, "draft", "en")
            drafts.append(time.perf_counter() - t0)
            s.rollback()
    out["report_s"] = round(min(drafts), 3)
    out["report_bytes"] = {"pdf": len(pdf), "docx": len(docx)}
    out["targets"] = TARGETS
    out["versions"] = {
        "python": platform.python_version(),
        **{p: md.version(p) for p in ("sqlalchemy", "fastapi", "numpy", "scipy", "reportlab", "jinja2")},
    }
    out["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / f"indicators-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json").write_text(
        text + "\n", encoding="utf-8"
    )
    app.state.db.dispose()


if __name__ == "__main__":
    main()
