"""Accuracy of the estimator on independently generated cities: ``python -m bench.meters.seeds``.

The conditions of ``tests/meters/test_accuracy_seeds.py`` (15-minute registers, 0.001 kWh, 30
days, 100 meters per area, 0.01 % master noise, failed meters) on ``--areas`` areas of each of
``--seeds`` seeds; per seed the RMSE and the precision and recall of guarded rejection
(``out_of_limit``), of the wide flagged set (``suspect`` or ``out_of_limit``) and of simple
acceptance. ``--seeds`` picks the seeds (default: the test's ten; ``100-109`` are ten the decision
rule was not tuned on). ``--no-gls`` turns off the generalised-least-squares refinement (on by default). ``--skew`` gives
every meter's clock an offset of that standard deviation (s; default 0, no skew);
``--no-clock-offsets`` turns off their estimation (``EstimationSettings.clock_offsets``). Writes
``bench/meters/results/seeds-<UTC stamp>.json`` with the library versions, the load average and
the CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from jiliang.meters.engine import area_specs, estimate_group
from jiliang.meters.evaluate import evaluate
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.types import EstimationSettings

SEEDS = (2026, 1, 2, 3, 4, 5, 6, 7, 8, 9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--areas", type=int, default=5)
    ap.add_argument("--no-gls", dest="gls", action="store_false", help="weighted least squares alone")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds or a range a-b")
    ap.add_argument("--skew", type=float, default=0.0, help="clock offset standard deviation, s")
    ap.add_argument("--no-clock-offsets", dest="clock_offsets", action="store_false")
    args = ap.parse_args()
    seeds = _seeds(args.seeds) if args.seeds else SEEDS
    load_before = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    config = SynthConfig(
        areas=args.areas,
        meters_per_area=100,
        days=30,
        skew_sd_s=args.skew,
        runaway_fraction=0.002,
        backwards_fraction=0.002,
        stopped_fraction=0.002,
    )
    settings = EstimationSettings(gls=args.gls, clock_offsets=args.clock_offsets)
    per_seed = {}
    for seed in seeds:
        rows: list[dict[str, Any]] = []
        truth: list[dict[str, Any]] = []
        for a in synth_areas(config, np.random.default_rng(seed)):
            specs = area_specs(a.meters)[a.area_id]
            ids = np.asarray([s.meter_id for s in a.meters])[a.meter_index]
            r, _ = estimate_group(a.area_id, specs, ids, a.ts, a.register_kwh, a.current_a, settings)
            rows += r
            truth += a.truth
        s = evaluate(rows, truth)
        keys: tuple[str, ...] = (
            "rmse_pp",
            "true_out_of_limit",
            "precision",
            "recall",
            "precision_with_suspect",
        )
        keys += ("recall_with_suspect", "precision_simple", "recall_simple", "vacant_flagged")
        per_seed[seed] = {k: round(float(getattr(s, k)), 3) for k in keys}
        print(seed, json.dumps(per_seed[seed]), flush=True)
    import scipy

    versions = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    out = {
        "versions": versions,
        "areas": args.areas,
        "gls": args.gls,
        "skew_sd_s": args.skew,
        "clock_offsets": args.clock_offsets,
        "load_average": [round(x, 2) for x in (*load_before, *os.getloadavg())],
        "cpu_s": round(time.process_time() - cpu0, 1),
        "wall_s": round(time.perf_counter() - wall0, 1),
        "seeds": per_seed,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(__file__).parent / "results" / f"seeds-{stamp}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(path)


def _seeds(text: str) -> tuple[int, ...]:
    if "-" in text:
        lo, hi = (int(x) for x in text.split("-", 1))
        return tuple(range(lo, hi + 1))
    return tuple(int(x) for x in text.split(","))


if __name__ == "__main__":
    main()
