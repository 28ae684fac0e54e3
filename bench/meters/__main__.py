"""Benchmarks of remote meter error estimation: ``python -m bench.meters scale|sweep``.

``scale``: a synthetic city (default 1,000 areas × 100 meters × 30 days × 96 reads ≈ 2.9e8 rows of
Parquet partitioned by area), estimated end to end by the local engine (2 worker processes) and by
Spark ``local[2]``; wall time and peak resident memory of the whole process tree are recorded.
``sweep``: accuracy against master noise, register resolution, granularity, days, meters per area,
clock skew and loss-model mismatch, each on a seeded synthetic set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    total = 0
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(entry))
        except OSError:
            continue
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
        stack.extend(children.get(p, []))
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``cmd``; wall time (s) and peak RSS of its process tree (GB, sampled every 0.2 s)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-2000:]}")
    return {"seconds": round(wall, 1), "peak_gb": round(peak / 1e9, 2), "stdout": out.strip()[-400:]}


def scale(args: argparse.Namespace) -> None:
    data = Path(args.data)
    py = sys.executable
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[2] / "src"), env.get("PYTHONPATH", "")]
    )
    report: dict[str, object] = {"areas": args.areas, "meters_per_area": 100, "days": args.days}
    if not (data / "meters.csv").exists():
        report["synth"] = measure(
            [
                py,
                "-m",
                "jiliang",
                "meters",
                "synth",
                "--out",
                str(data),
                "--areas",
                str(args.areas),
                "--days",
                str(args.days),
                "--json",
            ],
            env,
        )
    rows = sum(1 for _ in open(data / "meters.csv")) - 1
    report["meters_total"] = rows
    report["local"] = measure(
        [
            py,
            "-m",
            "jiliang",
            "meters",
            "estimate",
            "--meters",
            str(data / "meters.csv"),
            "--readings",
            str(data / "readings"),
            "--out",
            str(data / "result_local.parquet"),
            "--workers",
            str(args.workers),
            "--json",
        ],
        env,
    )
    if not args.no_spark:
        report["spark"] = measure(
            [
                py,
                "-m",
                "jiliang",
                "meters",
                "estimate",
                "--meters",
                str(data / "meters.csv"),
                "--readings",
                str(data / "readings"),
                "--out",
                str(data / "result_spark.parquet"),
                "--engine",
                "spark",
                "--json",
            ],
            env,
        )
        report["spark_over_local"] = round(report["spark"]["seconds"] / report["local"]["seconds"], 2)  # type: ignore[index]
        import polars as pl

        a = pl.read_parquet(data / "result_local.parquet").sort("meter_id")
        b = pl.read_parquet(data / "result_spark.parquet").sort("meter_id")
        d = (a["error_pct"] - b["error_pct"]).abs().max()
        report["max_abs_diff_error_pct"] = d
        report["status_equal"] = bool((a["status"] == b["status"]).all())
    print(json.dumps(report, indent=2, default=str))
    summary = [{"metric": f"{k} wall", "value": v["seconds"], "unit": "s"} for k, v in report.items()
               if isinstance(v, dict) and "seconds" in v]  # fmt: skip
    summary += [{"metric": f"{k} peak memory", "value": round(v["peak_gb"], 2), "unit": "GB"}
                for k, v in report.items() if isinstance(v, dict) and "peak_gb" in v]  # fmt: skip
    summary += [{"metric": k, "value": report[k], "unit": ""} for k in ("meters_total", "spark_over_local",
                "max_abs_diff_error_pct", "status_equal") if k in report]  # fmt: skip
    cmd = f"python -m bench.meters scale --areas {args.areas} --days {args.days} --workers {args.workers}"
    _save("meters-scale", cmd + (" --no-spark" if args.no_spark else ""), report, summary)


def sweep(args: argparse.Namespace) -> None:
    import numpy as np

    from jiliang.meters.engine import area_specs, estimate_group
    from jiliang.meters.evaluate import evaluate
    from jiliang.meters.synth import SynthConfig, synth_areas
    from jiliang.meters.types import EstimationSettings

    base = dict(areas=args.areas, skew_sd_s=0.0)
    cases: list[tuple[str, dict[str, object], dict[str, object]]] = [("baseline", {}, {})]
    for v in (0.0, 0.02, 0.05, 0.1):
        cases.append((f"master_noise_pct={v}", {"master_noise_pct": v}, {}))
    for v in (0.01, 0.1):
        cases.append((f"resolution_kwh={v}", {"resolution_kwh": v}, {"resolution_kwh": v}))
    cases.append(("daily, 30 d", {"interval_s": 86400}, {"min_periods": 0}))
    cases.append(("daily, 365 d", {"interval_s": 86400, "days": 365}, {"min_periods": 0}))
    cases.append(("hourly", {"interval_s": 3600}, {}))
    for v in (7, 14, 60):
        cases.append((f"days={v}", {"days": v}, {}))
    for v in (30, 200, 300):
        cases.append((f"meters_per_area={v}", {"meters_per_area": v}, {}))
    for v in (2.0, 5.0, 30.0):
        cases.append((f"skew_sd_s={v}", {"skew_sd_s": v}, {}))
    cases.append(("loss_mismatch_pct=5", {"loss_mismatch_pct": 5.0}, {}))
    cases.append(
        (
            "failures 1 %",
            {"runaway_fraction": 0.0025, "backwards_fraction": 0.0025, "stopped_fraction": 0.005},
            {},
        )
    )
    if args.only:
        cases = [c for c in cases if any(o in c[0] for o in args.only.split(","))]
    out = []
    for name, synth_kw, est_kw in cases:
        cfg = SynthConfig(**{**base, **synth_kw})  # type: ignore[arg-type]
        settings = EstimationSettings(**est_kw)  # type: ignore[arg-type]
        rows: list[dict[str, object]] = []
        truth: list[dict[str, object]] = []
        t = time.perf_counter()
        for a in synth_areas(cfg, np.random.default_rng(args.seed)):
            specs = area_specs(a.meters)[a.area_id]
            ids = np.asarray([s.meter_id for s in a.meters])[a.meter_index]
            r, _ = estimate_group(a.area_id, specs, ids, a.ts, a.register_kwh, a.current_a, settings)
            rows += r
            truth += a.truth
        ev = evaluate(rows, truth)
        rec = {
            "case": name,
            **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in ev.as_dict().items()},
            "seconds": round(time.perf_counter() - t, 1),
        }
        out.append(rec)
        print(json.dumps(rec), flush=True)
    _save("meters-sweep", f"python -m bench.meters sweep --areas {args.areas} --seed {args.seed}",
          {"areas": args.areas, "seed": args.seed, "cases": out}, [_sweep_row(r) for r in out])  # fmt: skip


def _f(x: object) -> str:
    return "–" if not isinstance(x, int | float) or x != x else f"{x:.2f}"


def _sweep_row(r: dict[str, object]) -> dict[str, object]:
    value = (f"RMSE {_f(r['rmse_pp'])} pp, P95 {_f(r['p95_abs_pp'])} pp; flagged set P {_f(r['precision_with_suspect'])}"
             f" / R {_f(r['recall_with_suspect'])}; out_of_limit P {_f(r['precision'])} / R {_f(r['recall'])}; "
             f"failures {r['failures_found']}/{r['failures']}, vacant flagged {r['vacant_flagged']}/{r['vacant']}")  # fmt: skip
    return {"metric": r["case"], "value": value, "unit": ""}


def _save(name: str, command: str, results: dict[str, object], summary: list[dict[str, object]]) -> None:
    from datetime import UTC, datetime

    from bench.record import save

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    print(
        save(f"{name}-{stamp}", command, results, ["numpy", "scipy", "polars", "pyarrow", "pyspark"], summary)
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.meters")
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scale")
    s.add_argument("--data", default="/tmp/jiliang-meters-scale")
    s.add_argument("--areas", type=int, default=1000)
    s.add_argument("--days", type=int, default=30)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--no-spark", action="store_true")
    w = sub.add_parser("sweep")
    w.add_argument("--areas", type=int, default=6)
    w.add_argument("--seed", type=int, default=7)
    w.add_argument("--only", default="")
    args = parser.parse_args()
    scale(args) if args.cmd == "scale" else sweep(args)


if __name__ == "__main__":
    main()
