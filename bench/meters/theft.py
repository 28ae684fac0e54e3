"""Theft detection in transformer areas: ``python -m bench.meters.theft [--seeds N] [--areas N]``.

Synthetic cities (``SynthConfig(theft_area_every=1)``: a thief in every area, alternately a night
bypass and tampering) under several conditions; for each, precision and recall of
``suspected_theft`` against the ground truth, false accusations among honest meters (step changes
and meters out of accuracy included), and the RMSE of the honest meters of the areas with a thief.
Writes ``bench/meters/results/theft-<UTC stamp>.json`` with the library versions.

``--compare``: the issue's city instead (9 areas × 100 meters × 30 days, a thief in every third
area, seed 2026) estimated with the regime tests, the light-load columns and the stopped-meter
model off (the estimator as it was) and on; writes ``theft-compare-<stamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from jiliang.meters.engine import area_specs, estimate_group
from jiliang.meters.evaluate import evaluate
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.types import EstimationSettings

BASE = SynthConfig(areas=4, meters_per_area=100, days=30, skew_sd_s=0.0, theft_area_every=1)
CONDITIONS: dict[str, SynthConfig] = {
    "issue (10 % at night, 45 % from a date)": BASE,
    "mild night bypass (60 % registered)": replace(BASE, night_bypass_pct=60.0),
    "mild tampering (80 % registered)": replace(BASE, tamper_pct=80.0),
    "small thieves (≥ 0.5 kWh/d)": replace(BASE, thief_min_kwh_per_day=0.5),
    "10 days of data": replace(BASE, days=10),
    "clock skew 5 s": replace(BASE, skew_sd_s=5.0),
    "hourly data": replace(BASE, interval_s=3600),
}


def run(config: SynthConfig, seed: int) -> dict[str, float]:
    rows: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for a in synth_areas(config, np.random.default_rng(seed)):
        specs = area_specs(a.meters)[a.area_id]
        ids = np.asarray([s.meter_id for s in a.meters])[a.meter_index]
        settings = EstimationSettings(min_periods=200)
        r, _ = estimate_group(a.area_id, specs, ids, a.ts, a.register_kwh, a.current_a, settings)
        rows += r
        truth += a.truth
    s = evaluate(rows, truth)
    return {
        "thieves": s.thieves,
        "flagged": s.theft_flagged,
        "precision": s.theft_precision,
        "recall": s.theft_recall,
        "rmse_honest_theft_areas_pp": s.rmse_theft_areas_pp,
    }


def compare() -> dict[str, object]:
    """The issue's city with the earlier estimator's behaviour and with this version's."""
    config = SynthConfig(areas=9, meters_per_area=100, days=30, skew_sd_s=0.0, theft_area_every=3)
    variants = {
        "before (regime tests, light-load columns, stopped model off)": EstimationSettings(
            theft_max_per_area=0, fit_light_load=False, model_stopped=False
        ),
        "this version": EstimationSettings(),
    }
    out: dict[str, object] = {}
    for name, settings in variants.items():
        rows: list[dict[str, Any]] = []
        truth: list[dict[str, Any]] = []
        for a in synth_areas(config, np.random.default_rng(2026)):
            specs = area_specs(a.meters)[a.area_id]
            ids = np.asarray([s.meter_id for s in a.meters])[a.meter_index]
            r, _ = estimate_group(a.area_id, specs, ids, a.ts, a.register_kwh, a.current_a, settings)
            rows += r
            truth += a.truth
        s = evaluate(rows, truth)
        kinds = {str(t["meter_id"]): str(t["theft_kind"]) for t in truth}
        out[name] = {
            "thieves": {
                m: st
                for m, st in ((r["meter_id"], r["status"]) for r in rows)
                if kinds[m] in ("night_bypass", "tamper")
            },
            "theft_precision": s.theft_precision,
            "theft_recall": s.theft_recall,
            "rmse_honest_theft_areas_pp": s.rmse_theft_areas_pp,
            "rmse_other_areas_pp": s.rmse_other_areas_pp,
            "precision_with_suspect": s.precision_with_suspect,
        }
        print(name, json.dumps(out[name]), flush=True)
    return out


def _versions() -> dict[str, str]:
    import scipy

    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--areas", type=int, default=4)
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    if args.compare:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path(__file__).parent / "results" / f"theft-compare-{stamp}.json"
        result = {"versions": _versions(), "city": "9 areas × 100 meters × 30 days, seed 2026", **compare()}
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(path)
        return
    out: dict[str, object] = {
        "versions": _versions(),
        "seeds": args.seeds,
        "areas": args.areas,
        "conditions": {},
    }
    started = time.perf_counter()
    for name, config in CONDITIONS.items():
        per_seed = [run(replace(config, areas=args.areas), seed) for seed in range(1, args.seeds + 1)]
        tp = sum(round(r["recall"] * r["thieves"]) for r in per_seed)
        found = sum(r["flagged"] for r in per_seed)
        thieves = sum(r["thieves"] for r in per_seed)
        summary = {
            "thieves": thieves,
            "flagged": found,
            "precision": tp / found if found else float("nan"),
            "recall": tp / thieves if thieves else float("nan"),
            "rmse_honest_theft_areas_pp": float(np.mean([r["rmse_honest_theft_areas_pp"] for r in per_seed])),
        }
        out["conditions"][name] = summary  # type: ignore[index]
        print(f"{name}: {json.dumps(summary)}", flush=True)
    out["seconds"] = round(time.perf_counter() - started, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(__file__).parent / "results" / f"theft-{stamp}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(path)


if __name__ == "__main__":
    main()
