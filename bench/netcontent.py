"""Net-content benchmarks: ``python -m bench.netcontent [--lots 200000] [--runs 3] [--out FILE]``.

1. Plan look-up: ``sampling_plan(N)`` for random lot sizes (JJF 1070 table kept as data).
2. Lot decision, one lot per call: ``judge(spec, values)`` with its steps and clauses, n = 50
   (lot 100–500) and n = 125 (lot > 3200), the spec (T, plan) prepared once per product.
3. Lot decision, vectorised: ``judge_many`` over ``--lots`` lots of n = 50 (the OC simulation path).

Target (issue): plan look-up and lot decision ≥ 100,000 per second. Best of ``--runs``; results
with the library versions are printed as JSON and written to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path

import numpy as np

from jiliang.stats.netcontent import Nominal, judge, judge_many, lot_spec, sampling_plan

TARGET_PER_S = 100_000


def best(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lots", type=int, default=200_000)
    ap.add_argument("--calls", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench/results/netcontent.json"))
    args = ap.parse_args()
    rng = random.Random(1)
    sizes = [rng.randrange(1, 100_000) for _ in range(args.calls)]
    plan_s = best(lambda: [sampling_plan(n) for n in sizes], args.runs)

    out: dict[str, object] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
        "plan_lookups_per_s": round(args.calls / plan_s),
    }
    gen = np.random.default_rng(1)
    for lot, n in ((300, 50), (5000, 125)):
        spec = lot_spec(Nominal(500, "g"), lot_size=lot)
        rows = [list(r) for r in gen.normal(501.0, 5.0, size=(args.calls // 5, n))]
        s = best(lambda spec=spec, rows=rows: [judge(spec, r) for r in rows], args.runs)
        out[f"judge_per_s_n{n}"] = round(len(rows) / s)
    spec = lot_spec(Nominal(500, "g"), lot_size=300)
    block = gen.normal(501.0, 5.0, size=(args.lots, 50))
    many_s = best(lambda: judge_many(spec, block), args.runs)
    out["judge_many_per_s_n50"] = round(args.lots / many_s)
    out["target_per_s"] = TARGET_PER_S
    out["date_utc"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    out["load_avg_1min"] = round(__import__("os").getloadavg()[0], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
