"""Forming and deciding in-service meter lots for a city of meters (target: 10⁶ meters ≤ 10 s, 2 cores).

Run: ``PYTHONPATH=src .venv/bin/python -m bench.lots --meters 1000000 --runs 3``

Steps timed (the pure core, as the service runs them, without the database):

1. *build*: the meter list as a Polars frame (not counted: it is the input);
2. *form*: :func:`jiliang.meters.lots.form_lots` under JJF(鲁)107-2022 (homogeneity keys, lot limits);
3. *estimate*: per-meter P(nonconforming) from remote error estimates (70 % of meters estimated),
   per-lot fraction and uncertainty (:func:`lot_fractions`), pass probability before sampling;
4. *decide*: per lot the plan, a seeded draw of the sample (permutation of the members), simulated
   field results of the sampled meters from their true state, and the decision.

Writes ``bench/meters/results/lots.json`` with the figures and library versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from jiliang.meters import lots as core
from jiliang.meters.lotrules import load_rule

OUT = Path(__file__).parent / "meters" / "results" / "lots.json"


def city(n: int, seed: int) -> tuple[core.MeterFleet, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Meters with 4 makers × 3 models × 12 batches × 7 years (≈ 1,000 groups) and remote estimates."""
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame(
        {
            "meter_no": pl.int_range(n, eager=True).cast(pl.Utf8).str.zfill(12),
            "kind": pl.repeat("electricity", n, eager=True),
            "maker": rng.choice(np.array(["华立", "林洋", "威胜", "炬华"]), n),
            "model": rng.choice(np.array(["DDZY71", "DTZY285", "DDZY1980"]), n),
            "batch": rng.choice(np.array([f"20{y:02}-{m:02}" for y in (16, 17) for m in range(1, 7)]), n),
            "install_year": rng.integers(2014, 2021, n),
            "utility": pl.repeat("1", n, eager=True),
        }
    )
    true_err = rng.normal(0, 0.4, n) + (rng.random(n) < 0.02) * rng.choice([-4.0, 4.0], n)
    u = rng.uniform(0.2, 0.6, n)
    est = np.where(rng.random(n) < 0.7, true_err + rng.normal(0, u), np.nan)
    return core.MeterFleet(frame), true_err, est, u, np.full(n, 1.75)


def decide_all(
    rule: core.LotRule, formed: core.LotFormation, fleet: core.MeterFleet, bad: np.ndarray, seed: int
) -> dict[str, int]:
    """Plan, seeded draw, simulated results and decision for every lot."""
    order = np.argsort(formed.lot_of, kind="stable")
    starts = np.searchsorted(formed.lot_of[order], np.arange(len(formed.sizes)))
    counts = {"extend": 0, "replace": 0}
    for j, size in enumerate(formed.sizes.tolist()):
        plan = core.plan_for(rule, size)
        idx = order[starts[j] : starts[j] + size]
        perm = np.random.Generator(np.random.PCG64(seed + j)).permutation(size)[: plan.n]
        d = int(bad[idx[perm]].sum())
        counts[core.decide_lot(rule, plan, plan.n, min(d, plan.n)).decision] += 1
    return counts


def run_once(n: int, seed: int) -> dict[str, Any]:
    rule = load_rule("lu107-2022")
    fleet, true_err, est, u, lim = city(n, seed)
    t0 = time.perf_counter()
    formed = core.form_lots(fleet, rule)
    t1 = time.perf_counter()
    p_i = np.where(np.isfinite(est), core.p_nonconforming(np.nan_to_num(est), u, lim), np.nan)
    p, up, m = core.lot_fractions(formed.lot_of, p_i, formed.sizes)
    pass_p = [
        core.pass_probability(
            core.plan_for(rule, int(s)), core.FractionEstimate(float(a), float(b), int(c), int(s))
        )
        for a, b, c, s in zip(p, up, m, formed.sizes, strict=True)
    ]
    t2 = time.perf_counter()
    counts = decide_all(rule, formed, fleet, np.abs(true_err) > lim, seed)
    t3 = time.perf_counter()
    return {
        "meters": n,
        "lots": len(formed.sizes),
        "left_out": formed.too_small,
        "form_s": round(t1 - t0, 3),
        "estimate_s": round(t2 - t1, 3),
        "decide_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "decisions": counts,
        "mean_pass_probability": round(float(np.nanmean(pass_p)), 4),
    }


def versions() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "polars": pl.__version__,
        "machine": platform.machine(),
        "cores": str(os.cpu_count()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=OUT)
    opts = ap.parse_args()
    runs = [run_once(opts.meters, opts.seed + i) for i in range(opts.runs)]
    for r in runs:
        print(json.dumps(r, ensure_ascii=False), file=sys.stderr)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "load_avg": os.getloadavg(),
        "runs": runs,
        "median_total_s": sorted(r["total_s"] for r in runs)[len(runs) // 2],
        "target_s": 10.0,
    }
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("median_total_s", "target_s", "load_avg")}))


if __name__ == "__main__":
    main()
