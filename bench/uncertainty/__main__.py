"""Side-by-side benchmark: ``python -m bench.uncertainty [--rounds N] [--big]``.

1. Monte Carlo of JCGM 101 §9.3 (mass calibration), M = 1e6: jiliang (moments only, with both
   coverage intervals, and on 2 threads), a plain NumPy baseline, metrolopy ``gummy.simulate`` and
   suncal ``Model.monte_carlo``. Wall time of one complete run; median over rounds after warm-up.
2. GUM of a 10-input nonlinear model, per evaluation after the first (building the inputs,
   propagating, reading u): jiliang, GTC, uncertainties, metrolopy, suncal (string model, sympy).
3. Adaptive Monte Carlo (JCGM 101 §7.9, ndig = 2) on §9.3: trials used, over 20 seeds.
4. ``--big``: 1e8 trials of §9.3 on 2 threads with both intervals (bounded memory): time, peak RSS.

Tools run interleaved round by round so that load on a shared machine hits them alike. A tool that
is not installed is reported as missing.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from jiliang.uncertainty import gum, model_from_dict, montecarlo

MASS = {
    "model": {"dm": "(m_Rc - m_nom) + dm_Rc + (m_Rc + dm_Rc) * (rho_a - rho_a0) * (1 / rho_W - 1 / rho_R)"},
    "constants": {"m_nom": 100000, "rho_a0": 1.2},
    "inputs": {
        "m_Rc": {"dist": "normal", "mean": 100000.0, "sd": 0.050},
        "dm_Rc": {"dist": "normal", "mean": 1.234, "sd": 0.020},
        "rho_a": {"dist": "uniform", "low": 1.10, "high": 1.30},
        "rho_W": {"dist": "uniform", "low": 7000, "high": 9000},
        "rho_R": {"dist": "uniform", "low": 7950, "high": 8050},
    },
    "method": {"gum": False, "montecarlo": {"trials": 1_000_000}, "seed": 1},
}
X10 = (2, 3, 1, 4, 0.7, 1.5, 2, 3, 5, 9)
U10 = (0.01, 0.02, 0.05, 0.03, 0.01, 0.02, 0.04, 0.05, 0.1, 0.2)
EXPR10 = "x1*x2*exp(-x3/x4) + sin(x5)*x6**2/(x7+x8) + log(x9)*sqrt(x10)"
U10_REF = 0.107556111231143  # exact derivatives (sympy), see docs/benchmarks.md


def _mass(**method: Any) -> Any:
    d = dict(MASS)
    d["method"] = MASS["method"] | method
    return model_from_dict(d)


# ------------------------------------------------------------------------------------ Monte Carlo


def mc_tools() -> dict[str, Callable[[], float]]:
    tools: dict[str, Callable[[], float]] = {}
    moments = _mass()
    two = _mass(montecarlo={"trials": 1_000_000, "workers": 2})
    tools["jiliang, mean+u only"] = lambda: montecarlo(moments, intervals=False).outputs[0].u
    tools["jiliang, + symmetric & shortest 95 %"] = lambda: montecarlo(moments).outputs[0].u
    tools["jiliang, 2 threads, + intervals"] = lambda: montecarlo(two).outputs[0].u
    seed = [0]

    def numpy_baseline() -> float:
        seed[0] += 1
        rng = np.random.default_rng(seed[0])
        n = 1_000_000
        m = rng.normal(100000.0, 0.05, n)
        d = rng.normal(1.234, 0.02, n)
        a = rng.uniform(1.1, 1.3, n)
        w = rng.uniform(7000, 9000, n)
        r = rng.uniform(7950, 8050, n)
        y = (m - 100000) + d + (m + d) * (a - 1.2) * (1 / w - 1 / r)
        return float(y.std())

    tools["NumPy baseline (PCG64), mean+u"] = numpy_baseline
    try:
        import metrolopy as uc

        def metrolopy_mc() -> float:
            m = uc.gummy(100000.0, 0.05)
            d = uc.gummy(1.234, 0.02)
            a = uc.gummy(uc.UniformDist(center=1.2, half_width=0.1))
            w = uc.gummy(uc.UniformDist(center=8000, half_width=1000))
            r = uc.gummy(uc.UniformDist(center=8000, half_width=50))
            f = (m - 100000) + d + (m + d) * (a - 1.2) * (1 / w - 1 / r)
            uc.gummy.simulate([f], n=1_000_000)
            return float(f.usim)

        tools[f"metrolopy {uc.__version__} gummy.simulate, mean+u"] = metrolopy_mc
    except ImportError:
        tools["metrolopy: not installed"] = lambda: math.nan
    try:
        import suncal
        from suncal import Model

        sm = Model("f = (m_Rc - 100000) + dm_Rc + (m_Rc + dm_Rc)*(rho_a - 1.2)*(1/rho_W - 1/rho_R)")
        sm.var("m_Rc").measure(100000.0).typeb(dist="normal", std=0.05)
        sm.var("dm_Rc").measure(1.234).typeb(dist="normal", std=0.02)
        sm.var("rho_a").measure(1.2).typeb(dist="uniform", a=0.1)
        sm.var("rho_W").measure(8000).typeb(dist="uniform", a=1000)
        sm.var("rho_R").measure(8000).typeb(dist="uniform", a=50)
        tools[f"suncal {suncal.__version__} Model.monte_carlo, mean+u"] = lambda: float(
            sm.monte_carlo(samples=1_000_000).uncertainty["f"]
        )
    except ImportError:
        tools["suncal: not installed"] = lambda: math.nan
    return tools


# ------------------------------------------------------------------------------------------- GUM


def gum_tools() -> dict[str, tuple[Callable[[], float], int]]:
    tools: dict[str, tuple[Callable[[], float], int]] = {}

    def jiliang_gum() -> float:
        spec = {
            "model": {"y": EXPR10},
            "inputs": {f"x{i + 1}": {"dist": "normal", "mean": X10[i], "sd": U10[i]} for i in range(10)},
            "method": {"montecarlo": False},
        }
        return gum(model_from_dict(spec)).outputs[0].u

    tools["jiliang (model dict → validated model → GUM)"] = (jiliang_gum, 500)
    try:
        import GTC
        from GTC import exp, log, sin, sqrt, ureal

        def gtc() -> float:
            x = [ureal(v, s) for v, s in zip(X10, U10, strict=True)]
            y = (
                x[0] * x[1] * exp(-x[2] / x[3])
                + sin(x[4]) * x[5] ** 2 / (x[6] + x[7])
                + log(x[8]) * sqrt(x[9])
            )
            return float(y.u)

        tools[f"GTC {GTC.version}"] = (gtc, 500)
    except ImportError:
        tools["GTC: not installed"] = (lambda: math.nan, 1)
    try:
        import uncertainties
        from uncertainties import ufloat, umath

        def unc() -> float:
            x = [ufloat(v, s) for v, s in zip(X10, U10, strict=True)]
            y = (
                x[0] * x[1] * umath.exp(-x[2] / x[3])
                + umath.sin(x[4]) * x[5] ** 2 / (x[6] + x[7])
                + umath.log(x[8]) * umath.sqrt(x[9])
            )
            return float(y.std_dev)

        tools[f"uncertainties {uncertainties.__version__}"] = (unc, 500)
    except ImportError:
        tools["uncertainties: not installed"] = (lambda: math.nan, 1)
    try:
        import metrolopy as uc

        def metro() -> float:
            x = [uc.gummy(v, s) for v, s in zip(X10, U10, strict=True)]
            y = (
                x[0] * x[1] * uc.exp(-x[2] / x[3])
                + uc.sin(x[4]) * x[5] ** 2 / (x[6] + x[7])
                + uc.log(x[8]) * uc.sqrt(x[9])
            )
            return float(y.u)

        tools[f"metrolopy {uc.__version__}"] = (metro, 200)
    except ImportError:
        tools["metrolopy: not installed"] = (lambda: math.nan, 1)
    try:
        import suncal
        from suncal import Model

        def sun() -> float:
            m = Model("f = " + EXPR10.replace("log(", "ln("))
            for i in range(10):
                m.var(f"x{i + 1}").measure(X10[i]).typeb(dist="normal", std=U10[i])
            return float(m.calculate_gum().uncertainty["f"])

        tools[f"suncal {suncal.__version__} (string model, sympy)"] = (sun, 25)
    except ImportError:
        tools["suncal: not installed"] = (lambda: math.nan, 1)
    return tools


# ------------------------------------------------------------------------------- timing, printing


def timed(fn: Callable[[], float]) -> tuple[float, float]:
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def run_mc(rounds: int) -> None:
    tools = mc_tools()
    times: dict[str, list[float]] = {k: [] for k in tools}
    values: dict[str, float] = {}
    for fn in tools.values():  # warm-up
        fn()
    for _ in range(rounds):
        for name, fn in tools.items():
            dt, values[name] = timed(fn)
            times[name].append(dt)
    print("\n### Monte Carlo, JCGM 101 §9.3, M = 1e6 (wall time per complete run)\n")
    print("| tool | median s | min s | trials/s (median) | u(δm) mg |")
    print("|---|---|---|---|---|")
    for name in tools:
        med = statistics.median(times[name])
        print(f"| {name} | {med:.4f} | {min(times[name]):.4f} | {1e6 / med:.2e} | {values[name]:.5f} |")


def run_gum(rounds: int) -> None:
    tools = gum_tools()
    print("\n### GUM, 10-input nonlinear model (per evaluation after the first)\n")
    print("| tool | median ms | min ms | rel. error of u |")
    print("|---|---|---|---|")
    for name, (fn, reps) in tools.items():
        fn()  # first evaluation: imports, parsing, compiling
        samples = []
        value = math.nan
        for _ in range(max(1, rounds * reps // 5)):
            dt, value = timed(fn)
            samples.append(dt)
        print(
            f"| {name} | {statistics.median(samples) * 1e3:.3f} | {min(samples) * 1e3:.3f} | "
            f"{abs(value - U10_REF) / U10_REF:.1e} |"
        )


def _spec10(x: tuple[float, ...] = X10, expression: str = EXPR10) -> dict[str, Any]:
    return {
        "model": {"y": expression},
        "inputs": {f"x{i + 1}": {"dist": "normal", "mean": x[i], "sd": U10[i]} for i in range(10)},
        "method": {"montecarlo": False},
    }


def speed_tools() -> dict[str, Callable[[], float]]:
    """The GUM speed rows: jiliang warm (same model; new estimates of a known model) and cold (a
    model never seen: parsing, validation, symbolic derivatives, compiling), GTC, uncertainties."""
    tools: dict[str, Callable[[], float]] = {}
    calls = [0]
    tools["jiliang warm: same model again"] = lambda: gum(model_from_dict(_spec10())).outputs[0].u

    def new_estimates() -> float:
        calls[0] += 1
        x = tuple(v * (1 + 1e-12 * calls[0]) for v in X10)
        return gum(model_from_dict(_spec10(x))).outputs[0].u

    def cold() -> float:
        calls[0] += 1
        text = EXPR10.replace("x1*x2", f"x1*x2*{1 + 1e-15 * calls[0]!r}")
        return gum(model_from_dict(_spec10(expression=text))).outputs[0].u

    tools["jiliang warm: new estimates, known model"] = new_estimates
    tools["jiliang cold: model seen the first time"] = cold
    for name, (fn, _) in gum_tools().items():
        if name.startswith(("GTC", "uncertainties")):
            tools[name] = fn
    return tools


def run_speed(rounds: int, reps: int = 200, out: str | None = None) -> dict[str, Any]:
    """GUM of the 10-input model, tools interleaved round by round in one process; wall and CPU
    time per evaluation (medians over rounds × reps, and the mean CPU time, which includes the
    garbage collector's pauses); results and library versions to ``out``."""
    import json
    from datetime import UTC, datetime
    from importlib import metadata

    tools = speed_tools()
    wall: dict[str, list[float]] = {k: [] for k in tools}
    cpu: dict[str, list[float]] = {k: [] for k in tools}
    values: dict[str, float] = {}
    for fn in tools.values():  # warm-up: imports, the model's first compilation
        fn()
        fn()
    for _ in range(rounds):
        for name, fn in tools.items():
            for _ in range(reps):
                t0, c0 = time.perf_counter(), time.thread_time()
                values[name] = fn()
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.thread_time() - c0)
    rows = {
        name: {
            "wall_ms_median": statistics.median(wall[name]) * 1e3,
            "wall_ms_min": min(wall[name]) * 1e3,
            "cpu_ms_median": statistics.median(cpu[name]) * 1e3,
            "cpu_ms_mean": statistics.fmean(cpu[name]) * 1e3,
            "rel_error_u": abs(values[name] - U10_REF) / U10_REF,
        }
        for name in tools
    }
    versions = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "GTC", "uncertainties", "jiliang"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.uncertainty " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, load average {load:.1f}",
        "versions": versions,
        "rounds": rounds,
        "reps": reps,
        "rows": rows,
    }
    print("\n### GUM speed, 10-input model, tools interleaved in one run\n")
    print("| tool | median ms (wall) | min ms | median CPU ms | mean CPU ms | rel. error of u |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['wall_ms_median']:.4f} | {r['wall_ms_min']:.4f} | {r['cpu_ms_median']:.4f} "
            f"| {r['cpu_ms_mean']:.4f} | {r['rel_error_u']:.1e} |"
        )
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
        print(f"\nresults: {out}")
    return result


def run_adaptive() -> None:
    used, secs = [], []
    for seed in range(1, 21):
        dt, r = timed(lambda s=seed: montecarlo(_mass(montecarlo={"adaptive": {"digits": 2}}, seed=s)))  # type: ignore[misc]
        used.append(r.trials)
        secs.append(dt)
        assert r.converged
    print("\n### Adaptive Monte Carlo (JCGM 101 §7.9.4, ndig = 2) on §9.3, 20 seeds\n")
    print("| trials: median | min | max | runs below 1e6 | median s |")
    print("|---|---|---|---|---|")
    print(
        f"| {int(statistics.median(used))} | {min(used)} | {max(used)} | {sum(u < 1_000_000 for u in used)}/20 "
        f"| {statistics.median(secs):.3f} |"
    )


_BIG = """
import json, resource, time
from bench.uncertainty.__main__ import _mass
from jiliang.uncertainty import montecarlo
model = _mass(montecarlo={"trials": 100_000_000, "workers": 2})
t = time.perf_counter()
r = montecarlo(model)
dt = time.perf_counter() - t
o = r.outputs[0]
print(json.dumps({"s": dt, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "u": o.u,
                  "sym": o.interval, "short": o.shortest, "how": r.intervals_from}))
"""


def run_big() -> None:
    """1e8 trials in a fresh process, so that its peak RSS is the Monte Carlo's own."""
    import json
    import os
    import subprocess

    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", _BIG], capture_output=True, text=True, check=True, env=env)
    d = json.loads(out.stdout.strip().splitlines()[-1])
    print("\n### 1e8 trials, 2 threads, with intervals (bounded memory; fresh process)\n")
    print(
        "| s | trials/s | peak RSS MB (whole process) | u mg | symmetric 95 % | shortest 95 % | intervals from |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {d['s']:.1f} | {1e8 / d['s']:.2e} | {d['rss']:.0f} | {d['u']:.6f} | "
        f"[{d['sym'][0]:.5f}, {d['sym'][1]:.5f}] | [{d['short'][0]:.5f}, {d['short'][1]:.5f}] | {d['how']} |"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.uncertainty")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--big", action="store_true", help="also run 1e8 trials (about 10 s, ~0.2 GB)")
    ap.add_argument("--gum-speed", action="store_true", help="only the GUM speed rows (warm and cold)")
    ap.add_argument("--out", default=None, help="write the GUM speed results (with versions) as JSON")
    args = ap.parse_args(argv)
    if args.gum_speed:
        run_speed(args.rounds, out=args.out)
        return
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores; command: python -m bench.uncertainty {' '.join(sys.argv[1:])}"
    )
    run_mc(args.rounds)
    run_gum(args.rounds)
    run_adaptive()
    if args.big:
        run_big()


if __name__ == "__main__":
    main()
