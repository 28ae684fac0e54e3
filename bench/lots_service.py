"""Forming and drawing meter lots through the service, with the database (SQLite, a fresh file).

Run: ``PYTHONPATH=src .venv/bin/python -m bench.lots_service --meters 1000000``; with
``--database postgresql+psycopg://postgres@127.0.0.1:5432/NAME`` on an existing, empty PostgreSQL
database instead (migrated by the bench; its tables are left for inspection).

The same city as :mod:`bench.lots` (4 makers × 3 models × 12 batches × 7 years, JJF(鲁)107-2022),
given to :func:`jiliang.meters.lotservice.form` as a meter list: validation of the rows, the pure
forming, the lots and their 10⁶ members stored with the audit entries, in one transaction. Then
every lot's sample is drawn (members read back, seeded permutation, recorded), one transaction;
then the field results of every sampled meter are recorded (simulated, 2 % nonconforming: the
utility's field work, entered over weeks, timed apart) and every lot is decided.
Wall and CPU time (the process's own, all threads), load average before and after.

Writes ``bench/meters/results/lots_service.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).parent / "meters" / "results" / "lots_service.json"


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    makers = rng.choice(np.array(["华立", "林洋", "威胜", "炬华"]), n).tolist()
    models = rng.choice(np.array(["DDZY71", "DTZY285", "DDZY1980"]), n).tolist()
    batches = rng.choice(np.array([f"20{y:02}-{m:02}" for y in (16, 17) for m in range(1, 7)]), n).tolist()
    years = rng.integers(2014, 2021, n).tolist()
    return [
        {"meter_no": f"{i:012}", "kind": "electricity", "maker": a, "model": b, "batch": c, "install_year": d}
        for i, (a, b, c, d) in enumerate(zip(makers, models, batches, years, strict=True))
    ]


def run(n: int, seed: int, url: str) -> dict[str, Any]:
    from jiliang.meters import lotservice as svc
    from jiliang.platform.auth import Principal
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import Organization, Role

    db = Database(url)
    upgrade(db)
    with db.session(actor="bench") as s:
        org = Organization(name="供电局", kind="utility")
        s.add(org)
        s.flush()
        org_id = org.id
    reg = Principal(user_id=1, username="bench", role=Role.REGULATOR, org_id=None)
    rows = _rows(n, seed)
    out: dict[str, Any] = {"meters": n}
    t, c = time.perf_counter(), time.process_time()
    with db.session(actor="bench") as s:
        ids = [lot.id for lot in svc.form(s, reg, rule_key="lu107-2022", rows=rows, org_id=org_id)]
    out.update(
        lots=len(ids), form_s=round(time.perf_counter() - t, 2), form_cpu_s=round(time.process_time() - c, 2)
    )
    t, c = time.perf_counter(), time.process_time()
    with db.session(actor="bench") as s:
        for lot_id in ids:
            svc.draw(s, reg, lot_id, seed=seed + lot_id)
    out.update(draw_s=round(time.perf_counter() - t, 2), draw_cpu_s=round(time.process_time() - c, 2))
    out.update(_record_and_decide(db, reg, ids, seed))
    db.dispose()
    out["form_draw_decide_s"] = round(out["form_s"] + out["draw_s"] + out["decide_s"], 2)
    out["form_draw_decide_cpu_s"] = round(out["form_cpu_s"] + out["draw_cpu_s"] + out["decide_cpu_s"], 2)
    return out


def _record_and_decide(db: Any, reg: Any, ids: list[int], seed: int) -> dict[str, Any]:
    """Field results of every sampled meter (2 % nonconforming, simulated), then every decision."""
    from jiliang.meters import lotservice as svc

    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    t, c = time.perf_counter(), time.process_time()
    with db.session(actor="bench") as s:
        for lot_id in ids:
            sample = svc.lot_view(s, reg, lot_id).lot.sample
            bad = rng.random(len(sample)) < 0.02
            entries = [
                svc.ResultEntry(m, "nonconforming" if b else "conforming", 3.0 if b else 0.2)
                for m, b in zip(sample, bad.tolist(), strict=True)
            ]
            svc.record_results(s, reg, lot_id, entries)
    out.update(record_s=round(time.perf_counter() - t, 2), record_cpu_s=round(time.process_time() - c, 2))
    now = datetime.now(UTC)
    t, c = time.perf_counter(), time.process_time()
    with db.session(actor="bench") as s:
        decisions = [svc.decide(s, reg, lot_id, now).decision for lot_id in ids]
    out.update(decide_s=round(time.perf_counter() - t, 2), decide_cpu_s=round(time.process_time() - c, 2))
    out.update(extend=decisions.count("extend"), replace=decisions.count("replace"))
    return out


def _server(url: str | None) -> str:
    """The database and its version: SQLite's library, or the PostgreSQL server's."""
    if url is None:
        import sqlite3

        return "SQLite " + sqlite3.sqlite_version
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--database", default=None, help="an empty database's URL (default: a fresh SQLite file)")
    opts = ap.parse_args()
    out = opts.out or (OUT if opts.database is None else OUT.with_name("lots_service-pg.json"))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        result = run(opts.meters, opts.seed, opts.database or f"sqlite:///{Path(folder) / 'lots.sqlite3'}")
    import polars as pl
    import sqlalchemy

    doc = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "PYTHONPATH=src .venv/bin/python -m bench.lots_service " + " ".join(sys.argv[1:]),
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "polars": pl.__version__,
            "sqlalchemy": sqlalchemy.__version__,
            "database": _server(opts.database),
            **({"psycopg": __import__("psycopg").__version__} if opts.database else {}),
            "machine": platform.machine(),
            "cores": str(os.cpu_count()),
        },
        "load_avg_before": load_before,
        "load_avg": os.getloadavg(),
        **result,
        "target_s": 10.0,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(doc, ensure_ascii=False))


if __name__ == "__main__":
    main()
