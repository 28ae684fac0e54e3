"""Energy and carbon benchmarks: ``python -m bench.energy [--units 200] [--meters 30] [--out FILE]``.

Builds a migrated SQLite database with ``--units`` key energy-using units, each with ``--meters``
registry meters linked through the inventory import (the CSV path users take) and one activity
line per meter, then times, best of ``--runs``:

1. the city's carbon report for the period (every unit, GUM through jiliang.uncertainty);
2. one unit's view on a date (configuration rates against GB 17167 Table 3, meters' status);
3. the pure emission core over 10,000 lines.

Prints the figures and writes them, with the library versions, to ``--out`` (JSON).
Target (issue): a city's carbon report in reasonable time (≤ 2 s set here).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import tempfile
import time
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

TARGETS = {"city_carbon_report_s": 2.0}
TYPES = (
    ("electricity", "electricity-meter", "cn-grid-2022", 500.0),
    ("natural_gas", "gas-meter", "cn-natural-gas", 5.0),
)


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        **{p: metadata.version(p) for p in ("jiliang", "sqlalchemy", "numpy", "scipy")},
    }


def build(db: Any, units: int, meters: int, rng: random.Random) -> list[int]:
    from jiliang import energy as svc
    from jiliang.platform.auth import Principal
    from jiliang.platform.models import Organization, Role
    from jiliang.registry import catalogue
    from jiliang.registry.models import Instrument

    boss = Principal(user_id=0, username="bench", role=Role.REGULATOR, org_id=None)
    now = datetime(2026, 1, 10, tzinfo=UTC)
    ids = []
    with db.session(actor="bench") as s:
        types = catalogue.sync(s, date(2025, 1, 1))
        for u in range(units):
            org = Organization(name=f"工厂{u}", kind="factory")
            s.add(org)
            s.flush()
            inv = ["instrument,energy_type,level,point"]
            act = ["period,energy_type,quantity,factor,meter"]
            for m in range(meters):
                et, code, factor, q = TYPES[m % 2]
                due = date(2026, 6, 1) if rng.random() < 0.95 else date(2025, 6, 1)
                inst = Instrument(
                    type_id=types[code],
                    owner_id=org.id,
                    serial=f"B{u:05d}{m:04d}",
                    accuracy_class=rng.choice(["0.5S", "1", "2"]),
                    use="trade_settlement",
                    status="in_use",
                    last_verified_on=date(2024, 6, 1),
                    last_result="pass",
                    next_due_on=due,
                )
                s.add(inst)
                s.flush()
                inv.append(f"{inst.id},{et},{1 + m % 3},点{m}")
                act.append(f"2025,{et},{q * rng.uniform(0.5, 1.5):.2f},{factor},{inst.id}")
            unit = svc.register_unit(
                s,
                boss,
                org_id=org.id,
                code=f"B{u:05d}",
                energy_types=["electricity", "natural_gas"],
                consumption_tce=None,
                now=now,
            )
            svc.import_inventory(s, boss, unit.id, "\n".join(inv) + "\n")
            svc.set_requirements(
                s, boss, unit.id, {(et, lv): meters // 6 + 1 for et, _, _, _ in TYPES for lv in (1, 2, 3)}
            )
            svc.import_activity(s, boss, unit.id, "\n".join(act) + "\n")
            ids.append(unit.id)
    return ids


def best(fn: Any, runs: int) -> tuple[float, float, Any]:
    """Best wall time of ``runs`` calls, the CPU time of that call, and its result."""
    times, out = [], None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, used = min(times)
    return wall, used, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--meters", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="Write the results (JSON) here.")
    args = ap.parse_args()

    from jiliang import energy as svc
    from jiliang.energy import ActivityLine, EmissionFactor, emissions
    from jiliang.platform.auth import Principal
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import Role

    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(db)
        t0 = time.perf_counter()
        ids = build(db, args.units, args.meters, rng)
        build_s = time.perf_counter() - t0
        boss = Principal(user_id=0, username="bench", role=Role.REGULATOR, org_id=None)
        with db.session() as s:
            city_s, city_cpu, rep = best(lambda: svc.carbon_report(s, boss, "2025"), args.runs)
            unit_s, unit_cpu, view = best(
                lambda: svc.unit_view(s, boss, ids[0], date(2026, 1, 10)), args.runs
            )
        db.dispose()
    f = EmissionFactor("g", "electricity", "MWh", "grid", 0.5366, 0.0, "bench")
    lines = [ActivityLine(f"m{i}", rng.uniform(1, 1000), f, meter_class=1.0) for i in range(10_000)]
    core_s, core_cpu, _ = best(lambda: emissions(lines), args.runs)
    out = {
        "units": args.units,
        "meters_per_unit": args.meters,
        "lines": rep.lines,
        "build_s": round(build_s, 2),
        "city_carbon_report_s": round(city_s, 3),
        "city_carbon_report_cpu_s": round(city_cpu, 3),
        "summary": svc.summary_line(rep.total, rep.out_of_date, rep.out_of_scope),
        "unit_view_s": round(unit_s, 4),
        "unit_view_cpu_s": round(unit_cpu, 4),
        "unit_rates": len(view.rates),
        "emissions_core_10000_lines_s": round(core_s, 4),
        "emissions_core_cpu_s": round(core_cpu, 4),
        "targets_s": TARGETS,
        "versions": versions(),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
