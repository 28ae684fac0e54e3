"""Forming and deciding in-service meter lots for a city of meters (target: 10⁶ meters ≤ 10 s, 2 cores).

Run: ``PYTHONPATH=src .venv/bin/python -m bench.lots --meters 1000000 --runs 3``

Steps timed (the pure core, as the service runs them, without the database):

1. *build*: the meter list as a Polars frame (not counted: it is the input);
2. *form*: :func:`jiliang.meters.lots.form_lots` under JJF(鲁)107-2022 (homogeneity keys, lot limits);
3. *estimate*: per-meter P(nonconforming) from remote error estimates (70 % of meters estimated),
   per-lot fraction and uncertainty (:func:`lot_fractions`), pass probability before sampling;
4. *decide*: per lot the plan, a seeded draw of the sample (permutation of the members), simulated
   field results of the sampled meters from their true state, and the decision.

Then, one core: the rule's plan look-up (:func:`plan_for`) and plan + decision (:func:`decide_lot`)
per second for 200,000 random lot sizes (target ≥ 100,000 /s). Wall and CPU time (the process's
own, all threads) are recorded with the load average before and after.

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
    c0, t0 = time.process_time(), time.perf_counter()
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
    t3, c3 = time.perf_counter(), time.process_time()
    return {
        "meters": n,
        "lots": len(formed.sizes),
        "left_out": formed.too_small,
        "form_s": round(t1 - t0, 3),
        "estimate_s": round(t2 - t1, 3),
        "decide_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "total_cpu_s": round(c3 - c0, 3),  # all threads of the process (Polars uses both cores)
        "decisions": counts,
        "mean_pass_probability": round(float(np.nanmean(pass_p)), 4),
    }


def decision_rate(calls: int, seed: int) -> dict[str, float]:
    """Plan look-up (:func:`plan_for`) and plan + decision (:func:`decide_lot`) per second, one core,
    for random lot sizes within each shipped rule's limits: wall and CPU time."""
    from jiliang.meters.lotrules import rule_codes

    rng = np.random.default_rng(seed)
    rules = [load_rule(k) for k in rule_codes()]
    queries = [
        (
            r,
            int(rng.integers(max(r.min_size, r.rows[0].n), (r.max_size or 1_000_000) + 1)),
            float(rng.random()),
        )
        for r in (rules[i] for i in rng.integers(0, len(rules), calls))
    ]

    def look_up() -> None:
        for rule, size, _ in queries:
            core.plan_for(rule, size)

    def decide() -> None:
        for rule, size, u in queries:
            plan = core.plan_for(rule, size)
            core.decide_lot(rule, plan, plan.n, min(int(u * (plan.n + 1)), plan.n))

    out: dict[str, float] = {}
    for name, fn in (("plan_lookup", look_up), ("lot_decision", decide)):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        out[f"{name}_per_s"], out[f"{name}_per_cpu_s"] = round(calls / wall), round(calls / cpu)
    return out


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
    load_before = os.getloadavg()
    runs = [run_once(opts.meters, opts.seed + i) for i in range(opts.runs)]
    rates = decision_rate(200_000, opts.seed)
    for r in runs:
        print(json.dumps(r, ensure_ascii=False), file=sys.stderr)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "command": "PYTHONPATH=src .venv/bin/python -m bench.lots " + " ".join(sys.argv[1:]),
        "load_avg_before": load_before,
        "load_avg": os.getloadavg(),
        "runs": runs,
        "median_total_s": sorted(r["total_s"] for r in runs)[len(runs) // 2],
        "median_total_cpu_s": sorted(r["total_cpu_s"] for r in runs)[len(runs) // 2],
        **rates,
        "target_s": 10.0,
    }
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {k: result[k] for k in ("median_total_s", "median_total_cpu_s", *rates, "target_s", "load_avg")}
        )
    )


if __name__ == "__main__":
    main()
