"""Sampling plan benchmarks: ``python -m bench.sampling [--calls 200000] [--runs 3]``.

1. Plan look-up: ``sampling_plan(N, AQL, level, severity)`` for random lot sizes (1 … 10⁶), the
   26 AQLs, the 7 levels and the 3 severities of GB/T 2828.1-2012 (tables loaded once before).
2. Lot decision: look-up plus ``lot_acceptance(plan, d)`` with a random count ``d ≤ n``.
3. OC curve: ``oc_curve(n, Ac, 101 points)`` for the plans of Table 2-A (per call).

Target (issue #13): plan look-up and lot decision ≥ 100,000 per second, one core. Best of
``--runs``, as wall-clock and as the process's CPU time (what the work costs on a free core, when
other jobs share the machine); the result, with the library versions and the machine's load, goes
to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path
from typing import Any

from jiliang.stats import (
    AQL_VALUES,
    INSPECTION_LEVELS,
    SEVERITIES,
    lot_acceptance,
    oc_curve,
    sampling_plan,
    sampling_tables,
)

TARGET_PER_S = 100_000
ROOT = Path(__file__).resolve().parents[1]


def versions() -> dict[str, str]:
    import numpy
    import scipy

    import jiliang

    return {
        "python": platform.python_version(),
        "jiliang": jiliang.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "tables": sampling_tables().edition,
    }


def best_rate(fn: Any, calls: int, runs: int) -> tuple[float, float]:
    """Best calls per second (wall) over ``runs`` and the CPU seconds of that run."""
    out = []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, used = min(out)
    return calls / wall, used


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    load_before = os.getloadavg()
    rng = random.Random(13)
    sampling_tables()  # load once, as a server does at its first request
    queries = [
        (
            int(10 ** rng.uniform(0, 6)),
            rng.choice(AQL_VALUES),
            rng.choice(INSPECTION_LEVELS),
            rng.choice(SEVERITIES),
            rng.random(),
        )
        for _ in range(args.calls)
    ]

    def look_up() -> None:
        for lot, aql, level, severity, _ in queries:
            sampling_plan(lot, aql, level=level, severity=severity)

    def decide() -> None:
        for lot, aql, level, severity, u in queries:
            p = sampling_plan(lot, aql, level=level, severity=severity)
            lot_acceptance(p, int(u * (p.n + 1)) if u * (p.n + 1) <= p.n else p.n)

    plans = sorted({(c.n, c.ac) for c in sampling_tables().cells.values() if c is not None})
    grid = [i / 100 for i in range(101)]

    def curves() -> None:
        for n, ac in plans:
            oc_curve(n, min(ac, n), grid)

    lookup_rate, lookup_cpu = best_rate(look_up, args.calls, args.runs)
    decide_rate, decide_cpu = best_rate(decide, args.calls, args.runs)
    oc_rate, oc_cpu = best_rate(curves, len(plans), args.runs)
    out = {
        "calls": args.calls,
        "runs": args.runs,
        "plan_lookup_per_s": round(lookup_rate),
        "plan_lookup_cpu_s": round(lookup_cpu, 3),
        "plan_lookup_per_cpu_s": round(args.calls / lookup_cpu),
        "lot_decision_per_s": round(decide_rate),
        "lot_decision_cpu_s": round(decide_cpu, 3),
        "lot_decision_per_cpu_s": round(args.calls / decide_cpu),
        "oc_curves_101_points_per_s": round(oc_rate),
        "oc_plans": len(plans),
        "oc_cpu_s": round(oc_cpu, 3),
        "target_per_s": TARGET_PER_S,
        "versions": versions(),
        "command": "PYTHONPATH=src .venv/bin/python -m bench.sampling "
        + f"--calls {args.calls} --runs {args.runs}",
        "machine": {
            "cores": os.cpu_count(),
            "cpu": platform.machine(),
            "load_before": load_before,
            "load": os.getloadavg(),
        },
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    text = json.dumps(out, indent=2)
    print(text)
    path = ROOT / "bench" / "results" / f"sampling-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


if __name__ == "__main__":
    main()
