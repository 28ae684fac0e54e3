"""Monte Carlo: distributions, reproducibility, intervals, adaptive procedure, bounded memory."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from jiliang.uncertainty import (
    MonteCarloSpec,
    coverage_intervals,
    evaluate,
    model_from_dict,
    montecarlo,
    numerical_tolerance,
)
from jiliang.uncertainty.distributions import Distribution

#: Samples per distribution check; tolerances are 5 standard errors of the sample moments.
M = 400_000
N_SE = 5.0

DISTS = [
    {"dist": "normal", "mean": 1.0, "sd": 0.2},
    {"dist": "uniform", "low": -1.0, "high": 3.0},
    {"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 4.0},
    {"dist": "trapezoid", "low": -2.0, "high": 2.0, "beta": 0.4},
    {"dist": "ctrap", "low": -1.0, "high": 1.0, "d": 0.3},
    {"dist": "arcsine", "low": 0.0, "high": 2.0},
    {"dist": "t", "mean": 5.0, "sd": 1.5, "dof": 7},
    {"dist": "t", "mean": 5.0, "scale": 1.5, "dof": 7},
    {"dist": "exponential", "mean": 2.0},
    {"dist": "gamma", "mean": 3.0, "sd": 1.2},
]


@pytest.mark.parametrize("spec", DISTS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_samples_and_inverse_cdf_have_the_stated_moments(spec):
    d = Distribution.of("x", spec)
    rng = np.random.default_rng(7)
    for values in (d.sample(rng, M), d.ppf(rng.random(M))):
        sd = values.std(ddof=1)
        m4 = np.mean((values - values.mean()) ** 4)
        se_sd = math.sqrt(max(m4 - sd**4, 0) / M) / (2 * sd)
        assert values.mean() == pytest.approx(d.x, abs=N_SE * sd / math.sqrt(M))
        assert sd == pytest.approx(d.std, abs=N_SE * se_sd)


def test_coverage_intervals_order_statistics():
    """JCGM 101 §7.7.1: M = 100, p = 0.9 → q = 90, r = (M − q)/2 = 5: [y(5), y(95)]."""
    values = np.random.default_rng(1).permutation(np.arange(1.0, 101.0))
    sym, short = coverage_intervals(values, 0.9)
    assert sym == (5.0, 95.0)
    assert short[1] - short[0] == 90.0


def test_shortest_interval_of_a_skewed_sample():
    values = np.concatenate([np.zeros(50), np.linspace(1, 100, 50)])
    _, short = coverage_intervals(values, 0.5)
    assert short == (0.0, 0.0) or short[1] - short[0] <= 1.0


@pytest.mark.parametrize(
    ("u", "digits", "delta"),
    [(0.0754, 2, 0.0005), (2.0, 1, 0.5), (31.66, 2, 0.5), (0.000111, 2, 0.000005), (0.0996, 1, 0.05)],
)
def test_numerical_tolerance(u, digits, delta):
    assert numerical_tolerance(u, digits) == pytest.approx(delta)


def small(trials=50_000, **method):
    return model_from_dict(
        {
            "model": {"Y": "a * exp(b)", "Z": "a - b"},
            "inputs": {
                "a": {"dist": "normal", "mean": 2.0, "sd": 0.1},
                "b": {"dist": "uniform", "low": -0.1, "high": 0.1},
                "c": {"dist": "gamma", "mean": 1, "sd": 0.5},
            },
            "correlations": [["a", "c", 0.5]],
            "method": {"montecarlo": {"trials": trials}, "seed": 11, **method},
        }
    )


def test_reproducible_for_a_seed_and_independent_of_workers():
    m = small()
    r1 = montecarlo(m)
    r2 = montecarlo(m)
    spec = dataclasses.replace(m.method.montecarlo, workers=2)
    r3 = montecarlo(dataclasses.replace(m, method=dataclasses.replace(m.method, montecarlo=spec)))
    assert r1.outputs == r2.outputs == r3.outputs
    assert montecarlo(m, seed=12).outputs != r1.outputs


def test_seed_is_reported_when_drawn_fresh():
    m = dataclasses.replace(small(), method=dataclasses.replace(small().method, seed=None))
    r = montecarlo(m)
    again = montecarlo(m, seed=r.seed)
    assert again.outputs == r.outputs


def test_block_average_when_storage_is_bounded():
    m = small(trials=200_000)
    exact = montecarlo(m)
    bounded = montecarlo(m, store=50_000)
    assert exact.intervals_from == "all values" and bounded.intervals_from == "block average"
    assert bounded.outputs[0].y == pytest.approx(exact.outputs[0].y, rel=1e-12)  # moments are exact
    assert bounded.outputs[0].u == pytest.approx(exact.outputs[0].u, rel=1e-9)
    width = exact.outputs[0].interval[1] - exact.outputs[0].interval[0]
    assert bounded.outputs[0].interval == pytest.approx(exact.outputs[0].interval, abs=0.02 * width)


def test_gaussian_copula_gives_the_correlation():
    m = model_from_dict(
        {
            "model": {"S": "a + b"},
            "inputs": {
                "a": {"dist": "normal", "mean": 0, "sd": 1},
                "b": {"dist": "uniform", "low": -1, "high": 1},
            },
            "correlations": [["a", "b", 0.8]],
            "method": {"montecarlo": {"trials": 200_000}, "seed": 3, "gum": False},
        }
    )
    r = montecarlo(m)
    s = r.samples[0]
    # var(S) = 1 + 1/3 + 2 ρ_pearson sd_a sd_b; for a normal–uniform Gaussian copula the Pearson
    # correlation is ρ·√(3/π) (Kruskal 1958).
    rho = 0.8 * math.sqrt(3 / math.pi)
    assert s.var() == pytest.approx(1 + 1 / 3 + 2 * rho / math.sqrt(3), rel=0.02)


def test_adaptive_stops_and_reports():
    spec = MonteCarloSpec(trials=None, digits=1)
    m = dataclasses.replace(small(), method=dataclasses.replace(small().method, montecarlo=spec))
    r = montecarlo(m)
    assert r.adaptive and r.converged and r.blocks >= 2
    assert r.trials == r.blocks * 10_000


def test_adaptive_gives_up_at_max_trials():
    spec = MonteCarloSpec(trials=None, digits=4, max_trials=30_000)
    m = dataclasses.replace(small(), method=dataclasses.replace(small().method, montecarlo=spec))
    r = montecarlo(m)
    assert r.adaptive and not r.converged and r.trials == 30_000


def test_several_outputs_region_and_correlation():
    """JCGM 102 §6.5.2 / §7.7.2: for a linear model of normal inputs both regions have k_p² = χ²₂(p)."""
    m = model_from_dict(
        {
            "model": {"S": "a + b", "D": "a - 2 * b"},
            "inputs": {
                "a": {"dist": "normal", "mean": 1, "sd": 0.3},
                "b": {"dist": "normal", "mean": 2, "sd": 0.2},
            },
            "method": {"montecarlo": {"trials": 200_000}, "seed": 5},
        }
    )
    ev = evaluate(m)
    d = ev.as_dict()
    assert {r["method"] for r in d["regions"]} == {"gum", "mc"}
    gum_region = next(r for r in d["regions"] if r["method"] == "gum")
    assert gum_region["k_p"] == pytest.approx(math.sqrt(-2 * math.log(0.05)))  # χ²₂: k² = −2 ln(1−p)
    mc_region = next(r for r in d["regions"] if r["method"] == "mc")
    assert mc_region["k_p"] == pytest.approx(gum_region["k_p"], rel=0.05)
    assert d["correlation"]["mc"][0][1] == pytest.approx(d["correlation"]["gum"][0][1], abs=0.02)


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
@pytest.mark.parametrize("kind", ["normal", "exponential", "ties"])
def test_large_sample_intervals_equal_full_sort(kind, p):
    """The tail extraction used for M ≥ 2e5 gives exactly the order statistics of a full sort."""
    rng = np.random.default_rng(17)
    values = {
        "normal": rng.normal(size=300_000),
        "exponential": rng.exponential(size=300_000),
        "ties": np.round(rng.normal(size=300_000), 2),
    }[kind]
    sym, short = coverage_intervals(values.copy(), p)
    s = np.sort(values)
    m = s.size
    q = int(p * m) if float(p * m).is_integer() else math.floor(p * m + 0.5)
    r = (m - q) // 2 if (m - q) % 2 == 0 else (m - q + 1) // 2
    assert sym == (s[r - 1], s[r + q - 1])
    assert short[1] - short[0] == (s[q:] - s[: m - q]).min()


def test_progress_is_reported_per_chunk():
    seen = []
    montecarlo(small(trials=200_000), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (200_000, 200_000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) == 4


def test_output_not_depending_on_the_inputs():
    m = model_from_dict(
        {
            "model": {"Y": "2 * pi"},
            "inputs": {"a": {"dist": "normal", "mean": 0, "sd": 1}},
            "method": {"montecarlo": {"trials": 10_000}, "seed": 1},
        }
    )
    r = montecarlo(m)
    assert r.outputs[0].y == pytest.approx(2 * math.pi) and r.outputs[0].u == 0.0
    assert r.outputs[0].interval == pytest.approx((2 * math.pi, 2 * math.pi))
