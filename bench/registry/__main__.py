"""Registry benchmarks: ``python -m bench.registry [--rows 100000] [--pg-instruments 1000000]``.

1. Import a register of ``--rows`` rows from CSV and from .xlsx into fresh SQLite databases (the
   real importer: validation, identity check, owners created, one audit entry per stored row).
2. On a throwaway PostgreSQL database (127.0.0.1:5432, user postgres), bulk-load
   ``--pg-instruments`` instruments with one verification record each by COPY, then time through
   the HTTP API in-process: the filtered list, the due-within-30-days list and one traceability
   chain (p50/p95 over repeated calls).

Targets (issue): import ≤ 30 s (.xlsx) and ≤ 10 s (CSV); list p95 ≤ 50 ms; due ≤ 200 ms; chain ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import csv
import importlib.machinery
import io
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

AS_OF = date(2026, 11, 1)
TARGETS = {
    "import_xlsx_s": 30.0,
    "import_csv_s": 10.0,
    "list_p95_ms": 50.0,
    "due_p95_ms": 200.0,
    "trace_p95_ms": 20.0,
}
TYPES = [
    "电子计价秤",
    "加油机",
    "燃气表",
    "水表",
    "电能表",
    "压力表",
    "血压计",
    "出租汽车计价器",
    "可燃气体检测报警器",
    "声级计",
]
USES = ["贸易结算", "安全防护", "医疗卫生", "环境监测"]


def register_rows(n: int, rng: random.Random) -> list[list[object]]:
    from jiliang.platform import credit_code
    from jiliang.registry.importer import COLUMNS

    owners = [(f"滨江测试单位{i}", credit_code.generate(rng, "449901")) for i in range(max(1, n // 200))]
    header = [c[1] for c in COLUMNS]
    rows: list[list[object]] = [header]
    for i in range(n):
        name, code = owners[i % len(owners)]
        day = AS_OF - timedelta(days=rng.randint(1, 700))
        rows.append(
            [
                TYPES[i % len(TYPES)],
                f"M-{i % 97}",
                f"SN{i:08d}",
                "恒达衡器",
                "III",
                "(0~30)kg",
                name,
                code,
                f"{i % 50}号",
                USES[0],
                day.isoformat(),
                "合格" if rng.random() < 0.97 else "不合格",
                f"JD{i:08d}",
                "",
            ]
        )
    return rows


def to_csv(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("register")
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bench_import(n: int) -> dict[str, float]:
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.registry.importer import import_register

    rows = register_rows(n, random.Random(7))
    files = {"csv": to_csv(rows), "xlsx": to_xlsx(rows)}
    out: dict[str, float] = {}
    for fmt, data in files.items():
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.sqlite3")
            upgrade(db)
            t0, c0 = time.perf_counter(), time.process_time()
            with db.session(actor="bench") as session:
                rep = import_register(session, data, f"register.{fmt}", today=AS_OF, max_bytes=1 << 30)
            out[f"import_{fmt}_s"] = time.perf_counter() - t0
            out[f"import_{fmt}_cpu_s"] = time.process_time() - c0
            assert rep.accepted == n and rep.rejected == 0, rep.as_dict() | {"rows": rep.rows[:3]}
            t0 = time.perf_counter()
            with db.session(actor="bench") as session:
                again = import_register(session, data, f"register.{fmt}", today=AS_OF, max_bytes=1 << 30)
            out[f"reimport_{fmt}_s"] = time.perf_counter() - t0
            assert again.unchanged == n
            db.dispose()
        print(
            f"import {n} rows from {fmt}: {out[f'import_{fmt}_s']:.2f} s "
            f"(re-import, all unchanged: {out[f'reimport_{fmt}_s']:.2f} s)",
            file=sys.stderr,
        )
    return out


# ------------------------------------------------------------------------------------- PostgreSQL


def _bulk_seed(n: int):  # type: ignore[no-untyped-def]
    """A seeder for ``seed_city``: the registry demo, then ``n`` instruments by COPY."""

    def seed(session, city, rng):  # type: ignore[no-untyped-def]
        from sqlalchemy import select, text

        from jiliang.registry import demo
        from jiliang.registry.models import InstrumentType, MeasurementStandard

        city.size = "small"
        counts = demo.seed(session, city, rng)
        types = list(
            session.execute(select(InstrumentType.id, InstrumentType.code, InstrumentType.period_months))
        )
        working: dict[str, list[int]] = {}
        for sid, covers in session.execute(
            select(MeasurementStandard.id, MeasurementStandard.covers).where(
                MeasurementStandard.level.in_(["public", "departmental"])
            )
        ):
            for code in covers or []:
                working.setdefault(code, []).append(sid)
        owners = [
            o for kind, ids in city.orgs_by_kind.items() if kind.value not in ("regulator",) for o in ids
        ]
        labs = [city.org_ids[k] for k in ("institute", "lab-energy", "lab-medical", "lab-industry")]
        start_i = int(session.execute(text("SELECT COALESCE(MAX(id), 0) FROM reg_instrument")).scalar()) + 1
        start_v = int(session.execute(text("SELECT COALESCE(MAX(id), 0) FROM reg_verification")).scalar()) + 1
        raw = session.connection().connection.driver_connection
        r = random.Random(11)
        statuses = ["in_use"] * 90 + ["overdue"] * 2 + ["blocked"] * 5 + ["booked"] * 3
        t0 = time.perf_counter()
        with raw.cursor() as cur:
            with cur.copy(
                "COPY reg_instrument (id, type_id, owner_id, district_id, serial, model, use, status, "
                "compulsory, last_verified_on, last_result, next_due_on, created_at) FROM STDIN"
            ) as cp:
                for k in range(n):
                    tid, _code, period = types[k % len(types)]
                    owner = owners[k % len(owners)]
                    last = AS_OF - timedelta(days=r.randint(0, 30 * min(period, 36)))
                    due = last + timedelta(days=30 * period)
                    cp.write_row(
                        (
                            start_i + k,
                            tid,
                            owner,
                            city.org_district.get(owner),
                            f"B{k:09d}",
                            "BM-1",
                            "trade_settlement",
                            r.choice(statuses),
                            True,
                            last,
                            "pass",
                            due,
                            "2026-11-01T00:00:00+00:00",
                        )
                    )
            with cur.copy(
                "COPY reg_verification (id, instrument_id, lab_id, kind, verified_on, result, "
                "certificate_no, next_due_on, created_at) FROM STDIN"
            ) as cp:
                for k in range(n):
                    tid, _code, period = types[k % len(types)]
                    cp.write_row(
                        (
                            start_v + k,
                            start_i + k,
                            labs[k % 4],
                            "verification",
                            AS_OF - timedelta(days=k % 700),
                            "pass",
                            f"BV{k:09d}",
                            AS_OF + timedelta(days=30 * period - k % 700),
                            "2026-11-01T00:00:00+00:00",
                        )
                    )
            with cur.copy("COPY reg_verification_standard (verification_id, standard_id) FROM STDIN") as cp:
                for k in range(n):
                    code = types[k % len(types)][1]
                    sids = working.get(code) or [1]
                    cp.write_row((start_v + k, sids[k % len(sids)]))
        for table in ("reg_instrument", "reg_verification"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )
        print(f"COPY of {n} instruments + records: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        counts["bulk_instruments"] = n
        return counts

    return seed


def _timed(client, url: str, headers: dict[str, str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.text[:300])
    return times


def _p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def bench_pg(n: int, server: str, repeat: int) -> dict[str, float]:
    import types as pytypes

    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, select, text

    from jiliang.app import create_app
    from jiliang.demo import seed as demo_seed
    from jiliang.platform.auth import issue_token
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import User
    from jiliang.platform.settings import Settings

    name = f"jiliang_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    out: dict[str, float] = {}
    try:
        db = Database(url)
        upgrade(db)
        module = pytypes.ModuleType("bench_registry.bulk")
        module.seed = _bulk_seed(n)  # type: ignore[attr-defined]
        module.__spec__ = importlib.machinery.ModuleSpec("bench_registry.bulk", None)
        sys.modules["bench_registry.bulk"] = module
        saved = list(demo_seed.SEEDERS)
        demo_seed.SEEDERS[:] = ["bench_registry.bulk"]
        try:
            demo_seed.seed_city(db, "city", 2035, AS_OF, progress=lambda m: print(m, file=sys.stderr))
        finally:
            demo_seed.SEEDERS[:] = saved
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        with db.session(actor="bench") as session:
            user = session.scalar(select(User).where(User.username == "regulator"))
            token = issue_token(session, user, "bench", ttl_days=1)
            total = session.execute(text("SELECT COUNT(*) FROM reg_instrument")).scalar()
            type_id, district_id = session.execute(
                text("SELECT type_id, district_id FROM reg_instrument WHERE district_id IS NOT NULL LIMIT 1")
            ).one()
            ids = [
                i
                for (i,) in session.execute(
                    text("SELECT id FROM reg_instrument ORDER BY random() LIMIT :n"), {"n": repeat}
                )
            ]
        out["pg_instruments"] = float(total)
        settings = Settings(
            database_url=url.replace("postgresql+psycopg://", "postgresql://"),
            secret_key="bench-secret-key-0123456789",
        )
        app = create_app(settings, db)
        h = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            lists = [
                "/api/registry/instruments?status=overdue&limit=50",
                f"/api/registry/instruments?type_id={type_id}&status=in_use&limit=50",
                f"/api/registry/instruments?district_id={district_id}&type_id={type_id}&limit=50",
                "/api/registry/instruments?q=B00012&limit=50",
                f"/api/registry/instruments?status=blocked&district_id={district_id}&limit=50&offset=100",
            ]
            for u in lists:  # warm up
                _timed(client, u, h, 2)
            list_times = [t for u in lists for t in _timed(client, u, h, repeat // len(lists) + 1)]
            _timed(client, "/api/registry/due?within=30&limit=50", h, 2)
            due_times = _timed(client, "/api/registry/due?within=30&limit=50", h, repeat)
            trace_times = []
            for i in ids:
                trace_times.extend(_timed(client, f"/api/registry/instruments/{i}/trace", h, 1))
        # the same operations as service calls (server time without HTTP and token lookup)
        from jiliang.platform.auth import Principal
        from jiliang.platform.models import Role
        from jiliang.registry import service

        who = Principal(user_id=1, username="bench", role=Role.REGULATOR, org_id=None)
        direct: dict[str, list[float]] = {"svc_list": [], "svc_due": [], "svc_trace": []}
        with db.session(actor="bench") as session:
            for k in range(repeat):
                f = (
                    service.InstrumentFilter(type_id=type_id, status="in_use")
                    if k % 2
                    else service.InstrumentFilter(status="overdue")
                )
                t0 = time.perf_counter()
                service.list_instruments(session, who, f, 50, 0)
                direct["svc_list"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                service.due_list(session, who, 30, AS_OF, 50, 0)
                direct["svc_due"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                service.trace_instrument(session, who, ids[k % len(ids)], 4.0)
                direct["svc_trace"].append((time.perf_counter() - t0) * 1000)
                session.expunge_all()
        for key, values in (
            ("list", list_times),
            ("due", due_times),
            ("trace", trace_times),
            *direct.items(),
        ):
            out[f"{key}_p50_ms"] = _p(values, 50)
            out[f"{key}_p95_ms"] = _p(values, 95)
            print(
                f"{key}: p50 {out[f'{key}_p50_ms']:.1f} ms, p95 {out[f'{key}_p95_ms']:.1f} ms "
                f"over {len(values)} calls",
                file=sys.stderr,
            )
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.registry", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the imported register")
    parser.add_argument(
        "--pg-instruments", type=int, default=1_000_000, help="instruments loaded in PostgreSQL"
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("JILIANG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--repeat", type=int, default=200, help="calls per measured operation")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    if not args.skip_import:
        results.update(bench_import(args.rows))
    if not args.skip_pg:
        results.update(bench_pg(args.pg_instruments, args.pg, args.repeat))
    verdict = {k: (round(results[k], 3), v, results[k] <= v) for k, v in TARGETS.items() if k in results}
    print(
        json.dumps(
            {
                "results": {k: round(v, 3) for k, v in results.items()},
                "targets": {k: {"value": a, "target": b, "met": c} for k, (a, b, c) in verdict.items()},
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
