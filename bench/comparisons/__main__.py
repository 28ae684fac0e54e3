"""Side-by-side benchmark: ``python -m bench.comparisons [--rounds N]``.

Same data for every tool (seeded; n = 10, 100 and 1 000 labs, heterogeneous: τ = 1.5, u_i in
[0.5, 2]): DerSimonian–Laird, Paule–Mandel and REML by jiliang, statsmodels ``combine_effects``
(DL and PM; no REML there) and R metafor ``rma`` (if ``Rscript`` with metafor is installed; timed
inside R, so R's start-up is not counted). Agreement: largest relative difference of μ̂ and τ̂² to
jiliang. Time: median per call over rounds after a warm-up. The hierarchical Gaussian model is
timed too; it is computed by quadrature (no Monte Carlo error): its numerical error is shown as the
change of y and u(y) when the number of nodes is doubled.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jiliang.stats import LabResults, random_effects, reference_value

SIZES = (10, 100, 1000)
METHODS = ("dersimonian_laird", "paule_mandel", "reml")
SM = {"dersimonian_laird": "dl", "paule_mandel": "pm"}
R_METHOD = {"dersimonian_laird": "DL", "paule_mandel": "PM", "reml": "REML"}


def data(n: int, seed: int = 2026) -> LabResults:
    rng = np.random.default_rng(seed + n)
    u = rng.uniform(0.5, 2.0, n)
    x = 100 + rng.normal(0, 1.5, n) + rng.normal(0, u)
    return LabResults.of([f"L{i}" for i in range(n)], x, u)


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    out = fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, out


def run_statsmodels(x: np.ndarray, u: np.ndarray, method: str, rounds: int) -> dict[str, float] | None:
    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:
        return None
    if method not in SM:
        return None
    ms, res = timed(lambda: combine_effects(x, u**2, method_re=SM[method]), rounds)
    return {"ms": ms, "mu": float(res.mean_effect_re), "tau2": float(res.tau2)}


R_SCRIPT = """
suppressMessages(library(metafor))
d <- read.csv(commandArgs(TRUE)[1]); rounds <- as.integer(commandArgs(TRUE)[2])
for (m in c("DL", "PM", "REML")) {
  f <- function() rma(yi = d$x, vi = d$u^2, method = m, control = list(maxiter = 1000))
  r <- f(); t <- numeric(rounds)
  for (i in seq_len(rounds)) { t0 <- proc.time()[["elapsed"]]; r <- f(); t[i] <- proc.time()[["elapsed"]] - t0 }
  cat(sprintf('{"method": "%s", "ms": %.6f, "mu": %.15g, "tau2": %.15g}\\n', m, 1000 * median(t), r$beta[1], r$tau2))
}
"""


def run_metafor(x: np.ndarray, u: np.ndarray, rounds: int) -> dict[str, dict[str, float]]:
    if shutil.which("Rscript") is None:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        csv.write_text(
            "x,u\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in zip(x, u, strict=True)) + "\n"
        )
        script = Path(tmp) / "b.R"
        script.write_text(R_SCRIPT)
        proc = subprocess.run(
            ["Rscript", str(script), str(csv), str(rounds)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if proc.returncode != 0:
        return {}
    out = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        out[{v: k for k, v in R_METHOD.items()}[row.pop("method")]] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {args.rounds} rounds, median ms per call"
    )
    print(
        f"{'n':>5} {'method':<18} {'jiliang':>9} {'statsmodels':>12} {'metafor':>9} {'max rel. diff μ':>16} "
        f"{'max rel. diff τ²':>17}"
    )
    for n in SIZES:
        d = data(n)
        x, u = d.arrays()
        r_results = run_metafor(x, u, args.rounds)
        for m in METHODS:
            ms, ours = timed(lambda m=m, d=d: reference_value(d, m), args.rounds)
            peers = [p for p in (run_statsmodels(x, u, m, args.rounds), r_results.get(m)) if p is not None]
            dmu = max((abs(p["mu"] - ours.value) / abs(ours.value) for p in peers), default=float("nan"))
            dtau = max(
                (abs(p["tau2"] - ours.tau**2) / max(ours.tau**2, 1e-300) for p in peers), default=float("nan")
            )
            sm = run_statsmodels(x, u, m, args.rounds)
            mf = r_results.get(m)
            print(
                f"{n:>5} {m:<18} {ms:>9.3f} {sm['ms'] if sm else float('nan'):>12.3f} "
                f"{mf['ms'] if mf else float('nan'):>9.3f} {dmu:>16.2e} {dtau:>17.2e}"
            )
        ms, hg = timed(lambda d=d: reference_value(d, "hierarchical_gauss"), max(3, args.rounds // 4))
        nodes = random_effects.HG_NODES
        random_effects.HG_NODES = 2 * nodes
        try:
            fine = reference_value(d, "hierarchical_gauss")
        finally:
            random_effects.HG_NODES = nodes
        print(
            f"{n:>5} {'hierarchical_gauss':<18} {ms:>9.3f} {'—':>12} {'—':>9} "
            f"quadrature Δy/u = {abs(fine.value - hg.value) / hg.u:.1e}, Δu/u = {abs(fine.u - hg.u) / hg.u:.1e}"
        )


if __name__ == "__main__":
    main()
