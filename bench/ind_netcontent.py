"""The net-content pass-rate indicator over many lots: ``python -m bench.ind_netcontent [--lots 100000]``
and ``python -m bench.ind_netcontent --postgres``.

A migrated throwaway database (SQLite in a temporary folder, or ``jiliang_bench_ind_nc`` on
``--server``, dropped afterwards) holds ``--lots`` synthetic net-content lots of one packer spread
over fourteen years (80 % regulator inspections, 95 % judged, 90 % of those passing), bulk-inserted.
The registered query ``net_content_pass_rate`` (``supervision.netcontent.pass_counts``: one count of
the judged lots of the twelve months to the day and of those that passed) then runs ``--runs``
times after one warm-up, each in a fresh session: median and best wall time and the median CPU time
of this process (on PostgreSQL the server's CPU is not in it), with the load average. Results on
stdout and in ``bench/results/ind-netcontent[-pg]-<time>.json`` (``bench/record.py``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "jiliang_bench_ind_nc"
ON = date(2026, 11, 1)
SINCE = date(2013, 1, 1)
PACKAGES = ("sqlalchemy", "psycopg")


def _rows(org: int, n: int, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        judged = rng.random() < 0.95
        out.append(
            {
                "kind": "inspection" if rng.random() < 0.8 else "self_check",
                "org_id": org,
                "product": "大米",
                "nominal": "5",
                "unit": "kg",
                "lot_size": 100,
                "sample_size": 20,
                "status": "judged" if judged else "drawn",
                "decision": ("pass" if rng.random() < 0.9 else "fail") if judged else None,
                "inspected_on": SINCE + timedelta(days=rng.randrange(14 * 365)) if judged else None,
            }
        )
    return out


def _measure(url: str, lots: int, runs: int) -> dict[str, Any]:
    from sqlalchemy import func, insert, select

    from jiliang.indicators.queries import QUERIES
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import Organization
    from jiliang.supervision.models import NetContentInspection

    db = Database(url)
    upgrade(db)
    with db.session(actor="bench") as s:
        s.add(Organization(name="包装厂", kind="factory"))
        s.flush()
        org = int(s.scalar(select(func.min(Organization.id))) or 0)
        s.execute(insert(NetContentInspection), _rows(org, lots, random.Random(1)))
    fn = QUERIES["net_content_pass_rate"].fn
    assert fn is not None
    walls, cpus = [], []
    for _ in range(runs + 1):
        with db.session() as s:
            t0, c0 = time.perf_counter(), time.process_time()
            got = fn(s, ON, SINCE)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    db.dispose()
    walls, cpus = walls[1:], cpus[1:]
    return {
        "lots": lots,
        "value": got.value,
        "passed": got.numerator,
        "judged": got.denominator,
        "median_ms": round(statistics.median(walls) * 1e3, 2),
        "best_ms": round(min(walls) * 1e3, 2),
        "cpu_median_ms": round(statistics.median(cpus) * 1e3, 2),
    }


def _pg(server: str, create: bool) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_NAME}"))
        if create:
            conn.execute(text(f"CREATE DATABASE {PG_NAME}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + f"/{PG_NAME}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--lots", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--server", default=os.environ.get("JILIANG_TEST_PG", PG_SERVER))
    args = ap.parse_args(argv)
    load0 = [round(x, 2) for x in os.getloadavg()]
    if args.postgres:
        try:
            out = _measure(_pg(args.server, True), args.lots, args.runs)
        finally:
            _pg(args.server, False)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = _measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.lots, args.runs)
    out["load_before_after"] = [load0, [round(x, 2) for x in os.getloadavg()]]
    store = "PostgreSQL" if args.postgres else "SQLite"
    summary = [
        {
            "metric": f"net-content pass rate, {args.lots:,} lots, median",
            "value": out["median_ms"],
            "unit": "ms",
            "note": f"{store}; {out['judged']:,} lots judged in the twelve months",
        },
        {"metric": "same, best", "value": out["best_ms"], "unit": "ms"},
        {"metric": "same, CPU time of this process (median)", "value": out["cpu_median_ms"], "unit": "ms"},
        {
            "metric": "load average before / after",
            "value": f"{load0} / {out['load_before_after'][1]}",
            "unit": "",
        },
    ]
    from bench.record import save

    name = "ind-netcontent" + ("-pg" if args.postgres else "")
    command = "python -m bench.ind_netcontent " + " ".join(argv if argv is not None else sys.argv[1:])
    path = save(f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}", command.strip(), out, PACKAGES, summary)
    print(out, path, sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
