"""Plan indicator benchmarks: ``python -m bench.indicators [--data DIR] [--size city] [--repeat 30]``
and ``python -m bench.indicators --postgres --instruments 1000000``.

SQLite (default): on the demo city (``--data DIR`` holding a seeded ``jiliang.sqlite3``, or one
seeded here at ``--size``). PostgreSQL (``--postgres``): a throwaway database ``jiliang_bench_ind``
on ``--server`` (dropped afterwards unless ``--keep``) holding the demo city's organizations,
standards, commitments, comparison rounds and indicator history, plus ``--instruments``
synthetic instruments with one verification record each, bulk-loaded by COPY (then VACUUM ANALYZE).

In process, on either store:

1. every indicator of the five plans computed live (``compute_all``, a fresh session each run);
2. the regulator's dashboard page ``/indicators?plan=…`` and an indicator page: p50/p95 of the
   request time over ``--repeat`` requests each after one warm-up request (TestClient, in process),
   without the dashboards' figures cache (every request recomputes) and with it;
3. a mid-term report drafted (``draft_report``, rolled back) and rendered as PDF and Word;
4. the history of ``--rebuild-months`` months (24) rebuilt from the records (``rebuild_history``,
   rolled back: 受检率 from the verification records, one statement a month, and the dated
   counts), and 受检率 of one month end rebuilt alone.

Each figure is given as wall time and as this process's CPU time (``time.process_time``; on
PostgreSQL the server's CPU is not in it), with the load average of the shared machine.
Targets (issue 16): compute ≤ 2 s; dashboard p95 ≤ 150 ms; report ≤ 10 s. Results on stdout and in
``bench/results/indicators[-pg]-<time>.json`` (``bench/record.py``: command, machine, versions).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TARGETS = {"compute_s": 2.0, "dashboard_p95_ms": 150.0, "report_s": 10.0}
AS_OF = date(2026, 11, 1)
SECRET = "bench-secret-key-0123456789"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "jiliang_bench_ind"
PAGES = ("/indicators?plan=guangzhou", "/indicators?plan=jieyang", "/indicators/values/chz.coverage")
PUBLIC = "/public/indicators"  # the five plans' summary for everyone: measured, not a target
PACKAGES = ("sqlalchemy", "fastapi", "numpy", "scipy", "reportlab", "jinja2", "psycopg")


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result)."""
    t0, c0 = time.perf_counter(), time.process_time()
    got = fn()
    return time.perf_counter() - t0, time.process_time() - c0, got


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[max(0, round(0.95 * len(times)) - 1)]


# ------------------------------------------------------------------------------------------ SQLite


def _sqlite_data(args: argparse.Namespace) -> Path:
    if args.data is not None and (args.data / "jiliang.sqlite3").exists():
        return Path(args.data)
    data = args.data or Path(tempfile.mkdtemp(prefix="jiliang-ind-bench-")) / "data"
    env = {
        "JILIANG_DATA_DIR": str(data),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    subprocess.run([sys.executable, "-m", "jiliang", "db", "upgrade"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-m", "jiliang", "demo", "seed", "--size", args.size, "--as-of", AS_OF.isoformat()],
        env=env,
        check=True,
    )
    return Path(data)


# -------------------------------------------------------------------------------------- PostgreSQL

STATUSES = ["in_use"] * 88 + ["overdue"] * 3 + ["blocked"] * 4 + ["booked"] * 3 + ["retired"] * 2


def _instrument_row(k: int, i: int, r: random.Random, ctx: dict[str, Any]) -> tuple[Any, ...]:
    """One synthetic instrument: ~3 % last result failed, ~6 % past due, ~5 % not compulsory."""
    tid, period = ctx["types"][k % len(ctx["types"])]
    owner = ctx["owners"][k % len(ctx["owners"])]
    last = AS_OF - timedelta(days=r.randint(0, 30 * period + 60))
    return (
        i,
        tid,
        owner,
        ctx["district"].get(owner),
        f"B{k:09d}",
        ctx["key"](f"B{k:09d}"),
        "BM-1",
        "trade_settlement",
        r.choice(STATUSES),
        r.random() >= 0.05,
        last,
        "fail" if r.random() < 0.03 else "pass",
        last + timedelta(days=30 * period),
        "2026-11-01T00:00:00+00:00",
    )


def _copy_instruments(session: Any, n: int, ctx: dict[str, Any]) -> None:
    """COPY ``n`` instruments and one verification record each (ids after the demo's)."""
    from sqlalchemy import text

    start_i = int(session.execute(text("SELECT COALESCE(MAX(id), 0) FROM reg_instrument")).scalar()) + 1
    start_v = int(session.execute(text("SELECT COALESCE(MAX(id), 0) FROM reg_verification")).scalar()) + 1
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY reg_instrument (id, type_id, owner_id, district_id, serial, serial_key, model, use, "
            "status, compulsory, last_verified_on, last_result, next_due_on, created_at) FROM STDIN"
        ) as cp:
            r = random.Random(16)
            for k in range(n):
                cp.write_row(_instrument_row(k, start_i + k, r, ctx))
        with cur.copy(
            "COPY reg_verification (id, instrument_id, lab_id, kind, verified_on, result, "
            "certificate_no, next_due_on, created_at) FROM STDIN"
        ) as cp:
            r = random.Random(16)  # the same draws: each record matches its instrument
            for k in range(n):
                row = _instrument_row(k, start_i + k, r, ctx)
                lab = ctx["labs"][k % len(ctx["labs"])]
                cp.write_row((start_v + k, row[0], lab, "verification", *row[10:12], f"BV{k:09d}", *row[12:]))
    for table in ("reg_instrument", "reg_verification"):
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        )


def _bulk_seeder(n: int) -> Callable[..., dict[str, int]]:
    """A seeder run last by ``seed_city``: ``n`` instruments by COPY over the demo's owners and types."""

    def seed(session: Any, city: Any, rng: random.Random) -> dict[str, int]:
        from sqlalchemy import select

        from jiliang.platform.cells import identity_text
        from jiliang.registry.models import InstrumentType

        ctx = {
            "key": identity_text,
            "types": [
                (t, p) for t, p in session.execute(select(InstrumentType.id, InstrumentType.period_months))
            ],
            "owners": [
                o for kind, ids in city.orgs_by_kind.items() if kind.value != "regulator" for o in ids
            ],
            "district": city.org_district,
            "labs": [city.org_ids[k] for k in ("institute", "lab-energy", "lab-medical", "lab-industry")],
        }
        t0 = time.perf_counter()
        _copy_instruments(session, n, ctx)
        print(f"COPY of {n} instruments + records: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        return {"bulk_instruments": n}

    return seed


def _small_registry(session: Any, city: Any, rng: random.Random) -> dict[str, int]:
    """The registry demo at the small size (types, standards, reference materials, a few instruments)."""
    from jiliang.registry import demo

    size, city.size = city.size, "small"
    try:
        return demo.seed(session, city, rng)
    finally:
        city.size = size


def _seed_pg(url: str, n: int) -> None:
    import importlib.machinery
    import types

    from sqlalchemy import text

    from jiliang.demo import seed as demo_seed
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade

    db = Database(url)
    upgrade(db)
    mods = {"bench_ind.registry": _small_registry, "bench_ind.bulk": _bulk_seeder(n)}
    for name, fn in mods.items():
        module = types.ModuleType(name)
        module.seed = fn  # type: ignore[attr-defined]
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module
    saved = list(demo_seed.SEEDERS)
    demo_seed.SEEDERS[:] = [
        "bench_ind.registry",
        "jiliang.supervision.demo",
        "jiliang.comparisons.demo",
        "jiliang.indicators.demo",
        "bench_ind.bulk",
    ]
    try:
        demo_seed.seed_city(db, "city", 2035, AS_OF, progress=lambda m: print(m, file=sys.stderr))
    finally:
        demo_seed.SEEDERS[:] = saved
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    db.dispose()


def _upgrade_pg(url: str) -> None:
    from sqlalchemy import text

    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade

    db = Database(url)
    upgrade(db)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    db.dispose()


def _pg_database(server: str, drop: bool) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}"'))
        if not drop:
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + PG_NAME


# ---------------------------------------------------------------------------------------- figures


def _pages(app: Any, repeat: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    pages = {}
    with TestClient(app) as client:
        tok = client.post(
            "/api/auth/login", json={"username": "regulator", "password": "jiliang-demo"}
        ).json()
        h = {"Authorization": f"Bearer {tok['token']}", "Accept": "text/html"}
        for url in (*PAGES, PUBLIC):
            hh = h if url != PUBLIC else {"Accept": "text/html"}
            assert client.get(url, headers=hh).status_code == 200  # warm-up: templates, imports
            times, cpu = [], []
            for _ in range(repeat):
                wall, c, r = _timed(lambda u=url, hh=hh: client.get(u, headers=hh))  # type: ignore[misc]
                assert r.status_code == 200
                times.append(wall * 1000)
                cpu.append(c * 1000)
            pages[url] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(_p95(times), 1),
                "cpu_p50_ms": round(statistics.median(cpu), 1),
            }
    return pages


def _compute(db: Any, runs: int) -> dict[str, Any]:
    from jiliang.indicators import service

    walls, cpus, n = [], [], 0
    for _ in range(runs):
        with db.session(write=False) as s:
            wall, cpu, rows = _timed(lambda s=s: service.compute_all(s, AS_OF))  # type: ignore[misc]
        walls.append(wall)
        cpus.append(cpu)
        n = len(rows)
        assert not [c for c in rows if c.error], [c.error for c in rows if c.error]
    return {"indicators": n, "compute_s": round(min(walls), 3), "compute_first_s": round(walls[0], 3),
            "compute_cpu_s": round(min(cpus), 3)}  # fmt: skip


def _report(db: Any, runs: int) -> dict[str, Any]:
    from jiliang.indicators import report, service
    from jiliang.platform.auth import Principal
    from jiliang.platform.models import Role

    who = Principal(user_id=None, username="bench", role=Role.REGULATOR, org_id=None)
    walls, cpus, sizes = [], [], {}

    def draft(s: Any) -> None:
        rep = service.draft_report(s, who, "changzhou", "midterm", AS_OF)
        plan = service.get_plan("changzhou")
        pdf = report.report_pdf(plan, rep.kind, rep.as_of, rep.body, rep.narrative_zh, "draft", "zh")
        docx = report.report_docx(plan, rep.kind, rep.as_of, rep.body, rep.narrative_en, "draft", "en")
        sizes.update(pdf=len(pdf), docx=len(docx))

    for _ in range(runs):
        with db.sessionmaker() as s:
            wall, cpu, _ = _timed(lambda s=s: draft(s))  # type: ignore[misc]
            s.rollback()
        walls.append(wall)
        cpus.append(cpu)
    return {"report_s": round(min(walls), 3), "report_cpu_s": round(min(cpus), 3), "report_bytes": sizes}


def _rebuild(db: Any, months: int) -> dict[str, Any]:
    from jiliang.indicators import service
    from jiliang.indicators.queries import QUERIES
    from jiliang.platform.auth import Principal
    from jiliang.platform.models import Role

    who = Principal(user_id=None, username="bench", role=Role.REGULATOR, org_id=None)
    y, m = divmod(AS_OF.year * 12 + AS_OF.month - 1 - months, 12)
    since = date(y, m + 1, 1)
    with db.sessionmaker() as s:
        wall, cpu, n = _timed(lambda s=s: service.rebuild_history(s, who, since, AS_OF))  # type: ignore[misc]
        s.rollback()
    past = QUERIES["verification_rate"].past
    assert past is not None
    end = date(AS_OF.year - 1, 12, 31)
    with db.session(write=False) as s:
        one, one_cpu, got = _timed(lambda s=s: past(s, end, end))  # type: ignore[misc]
    return {"rebuild_months": months, "rebuild_values": n, "rebuild_s": round(wall, 3),
            "rebuild_cpu_s": round(cpu, 3), "rate_month_s": round(one, 3), "rate_month_cpu_s": round(one_cpu, 3),
            "rate_month": {"on": end.isoformat(), "on_time": got.numerator, "counted": got.denominator}}  # fmt: skip


def _figures(settings: Callable[..., Any], repeat: int, runs: int, months: int = 24) -> dict[str, Any]:
    from sqlalchemy import func, select

    from jiliang.app import create_app
    from jiliang.registry.models import Instrument

    app = create_app(settings())
    db = app.state.db
    out: dict[str, Any] = {"load_before": _load()}
    with db.session(write=False) as s:
        out["instruments"] = s.scalar(select(func.count()).select_from(Instrument))
    out.update(_compute(db, runs))
    for label, cache in (("uncached", 0), ("cached", None)):
        extra = {} if cache is None else {"figures_cache_seconds": cache}
        page_app = create_app(settings(**extra))
        out[f"pages_{label}"] = _pages(page_app, repeat)
        got = out[f"pages_{label}"]
        out[f"dashboard_p95_ms_{label}"] = max(p["p95_ms"] for u, p in got.items() if u in PAGES)
        page_app.state.db.dispose()
    out.update(_report(db, runs))
    out.update(_rebuild(db, months))
    out["load_after"] = _load()
    db.dispose()
    return out


def _summary(out: dict[str, Any], store: str) -> list[dict[str, Any]]:
    def met(value: float, target: float) -> str:
        return f"target {target}: {'met' if value <= target else 'NOT met'}"

    n = f"{out['instruments']:,} instruments, {store}; load {out['load_before']} → {out['load_after']}"
    return [
        {"metric": f"all {out['indicators']} indicators computed (best)", "value": out["compute_s"], "unit": "s",
         "note": f"{met(out['compute_s'], TARGETS['compute_s'])}; {n}"},
        {"metric": "same, first run (cold caches)", "value": out["compute_first_s"], "unit": "s"},
        {"metric": "same, CPU time of this process", "value": out["compute_cpu_s"], "unit": "s"},
        {"metric": "dashboard / indicator page p95, no figures cache", "value": out["dashboard_p95_ms_uncached"],
         "unit": "ms", "note": met(out["dashboard_p95_ms_uncached"], TARGETS["dashboard_p95_ms"])},
        {"metric": "dashboard / indicator page p95, figures cache on", "value": out["dashboard_p95_ms_cached"],
         "unit": "ms"},
        {"metric": "public summary page (five plans) p95, no figures cache", "value": out["pages_uncached"][PUBLIC]["p95_ms"],
         "unit": "ms"},
        {"metric": "mid-term report drafted + PDF + Word", "value": out["report_s"], "unit": "s",
         "note": met(out["report_s"], TARGETS["report_s"])},
        {"metric": f"history of {out['rebuild_months']} months rebuilt ({out['rebuild_values']} values)",
         "value": out["rebuild_s"], "unit": "s", "note": f"CPU of this process {out['rebuild_cpu_s']} s"},
        {"metric": "受检率 of one month end rebuilt from the verification records", "value": out["rate_month_s"],
         "unit": "s", "note": f"{out['rate_month']}"},
        {"metric": "load average before / after", "value": f"{out['load_before']} / {out['load_after']}", "unit": ""},
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--size", default="city", choices=["small", "city"])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database instead")
    ap.add_argument("--instruments", type=int, default=1_000_000, help="bulk-loaded on PostgreSQL")
    ap.add_argument("--server", default=os.environ.get("JILIANG_TEST_PG", PG_SERVER))
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (and reuse it)")
    ap.add_argument("--rebuild-months", type=int, default=24, help="months of history rebuilt")
    args = ap.parse_args()
    from jiliang.platform.settings import Settings

    if args.postgres:
        url = args.server.rsplit("/", 1)[0] + "/" + PG_NAME
        if not (args.keep and _pg_exists(args.server)):
            url = _pg_database(args.server, drop=False)
            wall, cpu, _ = _timed(lambda: _seed_pg(url, args.instruments))
            print(f"PostgreSQL seeded in {wall:.1f} s (CPU {cpu:.1f} s)", file=sys.stderr)
        else:
            _upgrade_pg(url)  # a kept database: brought to the current migrations
        pg = url.replace("postgresql+psycopg://", "postgresql://")
        store, name = "PostgreSQL", "indicators-pg"

        def settings(**kw: Any) -> Any:
            return Settings(data_dir=Path(tempfile.gettempdir()), database_url=pg, secret_key=SECRET, **kw)
    else:
        data = _sqlite_data(args)
        store, name = "SQLite", "indicators"

        def settings(**kw: Any) -> Any:
            return Settings(data_dir=data, secret_key=SECRET, **kw)

    try:
        out = _figures(settings, args.repeat, args.runs, args.rebuild_months)
    finally:
        if args.postgres and not args.keep:
            _pg_database(args.server, drop=True)
    out["targets"] = TARGETS
    from bench.record import save

    command = "python -m bench.indicators " + " ".join(sys.argv[1:])
    path = save(f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}", command, out, PACKAGES, _summary(out, store))
    print(path.read_text(encoding="utf-8"))


def _pg_exists(server: str) -> bool:
    from sqlalchemy import create_engine, text

    admin = create_engine(server)
    with admin.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_NAME}).first()
    admin.dispose()
    return found is not None


if __name__ == "__main__":
    main()
