"""Cheating-check benchmarks: ``python -m bench.cheating [--seeds 20] [--quick]``.

1. Fuel dispensers: precision and recall of ``suspected_cheat`` per nozzle, and of the dispenser
   flag (a suspected nozzle or an unexplained event) per dispenser, over ``--seeds`` synthetic
   stations per condition (half with one cheating dispenser, δ uniform in −3 % … −0.5 %), sweeping
   the conditions where detection fails: cheat size, gauge noise, reading interval, days of data.
2. EV chargers: precision and recall of ``drift`` over ``--seeds`` synthetic sites per condition
   (half with one charger drifting to the end value), sweeping the drift's end value and days.
3. Throughput: stations (30 days, hourly, 12 nozzles) and charging sites (28 days, 15 min,
   6 chargers) analysed per second on one core.

Results (JSON with the library versions) go to ``bench/results/cheating-<UTC stamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from jiliang.meters.chargers import ChargerSettings, analyse_chargers
from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site
from jiliang.meters.dispensers import ReconciliationSettings, analyse_station
from jiliang.meters.dispensersynth import SynthStationConfig, synth_station

MPE = 0.30
LIMIT = 1.0


def _pr(tp: int, fp: int, fn: int) -> dict[str, Any]:
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def station_case(seeds: int, **cfg: Any) -> dict[str, Any]:
    gauge = float(cfg.get("gauge_sd_l", 5.0))
    settings = ReconciliationSettings(mpe_pct=MPE, gauge_sd_l=gauge)
    noz = [0, 0, 0]
    disp = [0, 0, 0]
    for seed in range(seeds):
        st = synth_station(
            SynthStationConfig(cheat=seed % 2 == 0, **cfg), np.random.default_rng(10_000 + seed)
        )
        res = analyse_station(st.data, st.events, settings)
        for n in res.nozzles:
            truth, flag = st.truth_pct[n.nozzle_id] < -MPE, n.status == "suspected_cheat"
            noz[0] += truth and flag
            noz[1] += flag and not truth
            noz[2] += truth and not flag
        flagged = set(res.flagged_dispensers)
        for d in {n.dispenser_id for n in st.data.nozzles}:
            truth, flag = d == st.cheating_dispenser, d in flagged
            disp[0] += truth and flag
            disp[1] += flag and not truth
            disp[2] += truth and not flag
    return {"config": cfg, "nozzle": _pr(*noz), "dispenser": _pr(*disp)}


def charger_case(seeds: int, **cfg: Any) -> dict[str, Any]:
    s = ChargerSettings(limit_pct=LIMIT)
    c = [0, 0, 0]
    for seed in range(seeds):
        site = synth_charger_site(
            ChargerSiteConfig(drift=seed % 2 == 0, **cfg), np.random.default_rng(20_000 + seed)
        )
        for r in analyse_chargers(site.data, site.sessions, s):
            truth, flag = abs(site.truth_end_pct[r.charger_id]) > LIMIT, r.status == "drift"
            c[0] += truth and flag
            c[1] += flag and not truth
            c[2] += truth and not flag
    return {"config": cfg, "charger": _pr(*c)}


def throughput(n: int) -> dict[str, float]:
    stations = [synth_station(SynthStationConfig(cheat=True), np.random.default_rng(i)) for i in range(n)]
    sites = [synth_charger_site(ChargerSiteConfig(drift=True), np.random.default_rng(i)) for i in range(n)]
    settings = ReconciliationSettings(mpe_pct=MPE)
    t0 = time.process_time()
    for st in stations:
        analyse_station(st.data, st.events, settings)
    t1 = time.process_time()
    for site in sites:
        analyse_chargers(site.data, site.sessions, ChargerSettings(limit_pct=LIMIT))
    t2 = time.process_time()
    return {
        "stations_per_cpu_s": round(n / (t1 - t0), 2),
        "charging_sites_per_cpu_s": round(n / (t2 - t1), 2),
    }


STATION_CASES: list[dict[str, Any]] = [
    {"days": 30},
    {"days": 30, "cheat_range_pct": (-0.6, -0.4)},
    {"days": 30, "cheat_range_pct": (-1.2, -0.8)},
    {"days": 7},
    {"days": 3},
    {"days": 30, "gauge_sd_l": 20.0},
    {"days": 30, "gauge_sd_l": 50.0},
    {"days": 30, "interval_h": 24.0},
    {"days": 30, "interval_h": 24.0, "gauge_sd_l": 20.0},
    {"days": 30, "fills_per_hour": 0.3},
]
CHARGER_CASES: list[dict[str, Any]] = [
    {"days": 28},
    {"days": 28, "drift_end_pct": 1.5},
    {"days": 28, "drift_end_pct": 2.0},
    {"days": 28, "drift_end_pct": 1.1},
    {"days": 28, "drift_end_pct": 1.3},
    {"days": 7},
    {"days": 14},
    {"days": 28, "vehicle_share": 0.0},
    {"days": 28, "upstream_rel_sd": 0.005},
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="only the first case of each kind")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    stations = [station_case(args.seeds, **c) for c in (STATION_CASES[:1] if args.quick else STATION_CASES)]
    chargers = [charger_case(args.seeds, **c) for c in (CHARGER_CASES[:1] if args.quick else CHARGER_CASES)]
    result = {
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seeds": args.seeds,
        "stations": stations,
        "chargers": chargers,
        "throughput": throughput(5),
        "versions": {
            "python": sys.version.split()[0],
            "numpy": version("numpy"),
            "machine": platform.machine(),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"cheating-{result['at'].replace('-', '').replace(':', '')}.json"
    path.write_text(json.dumps(result, indent=2, default=list), encoding="utf-8")
    print(json.dumps(result, indent=2, default=list))


if __name__ == "__main__":
    main()
