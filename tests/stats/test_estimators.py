"""Reference-value estimators: peers (statsmodels), internal identities and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from jiliang.stats import (
    ESTIMATORS,
    ComparisonError,
    LabResults,
    evaluate_comparison,
    reference_value,
    tau2_paule_mandel,
    tau2_reml,
)

#: Peers solve the same equations with different solvers: 1e-8 relative is far below any
#: printed digit and far above double round-off.
PEER_REL = 1e-8

PB = LabResults.of(
    ["KRISS", "NMIJ", "IRMM", "PTB", "NMIA", "LGC", "CSIR", "NIM", "LNE"],
    [2.893, 2.936, 2.94, 2.96, 2.98, 3.0, 3.001, 3.07, 3.13],
    [0.044 / 2.13, 0.0125, 0.0165, 0.08 / 2.4, 0.2 / 1.99, 0.05, 0.068, 0.085, 0.06],
)


def _random_data(seed: int, n: int) -> LabResults:
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.5, 2.0, n)
    x = 10 + rng.normal(0, 1.5, n) + rng.normal(0, u)
    return LabResults.of([f"L{i}" for i in range(n)], x, u)


@pytest.mark.parametrize("method,name", [("dl", "dersimonian_laird"), ("pm", "paule_mandel")])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_effects_agree_with_statsmodels(method, name, seed):
    meta = pytest.importorskip("statsmodels.stats.meta_analysis")
    data = _random_data(seed, 12)
    x, u = data.arrays()
    peer = meta.combine_effects(x, u**2, method_re=method)
    ours = reference_value(data, name)
    assert ours.value == pytest.approx(peer.mean_effect_re, rel=PEER_REL)
    assert ours.u == pytest.approx(peer.sd_eff_w_re, rel=1e-6)
    assert ours.tau**2 == pytest.approx(peer.tau2, rel=1e-6, abs=1e-12)


def test_knapp_hartung_agrees_with_statsmodels():
    meta = pytest.importorskip("statsmodels.stats.meta_analysis")
    data = _random_data(7, 10)
    x, u = data.arrays()
    peer = meta.combine_effects(x, u**2, method_re="dl", use_t=True)
    ours = reference_value(data, "dersimonian_laird", knapp_hartung=True)
    # statsmodels' HKSJ scale: sd_eff_w_re_hksj
    assert ours.u == pytest.approx(peer.sd_eff_w_re_hksj, rel=1e-8)


def _neg_restricted_loglik(tau2: float, x: np.ndarray, u: np.ndarray) -> float:
    v = u**2 + tau2
    w = 1 / v
    y = np.sum(w * x) / np.sum(w)
    return 0.5 * (np.sum(np.log(v)) + np.log(np.sum(w)) + np.sum(w * (x - y) ** 2))


@pytest.mark.parametrize("seed", [1, 4, 5])
def test_reml_maximises_the_restricted_likelihood(seed):
    data = _random_data(seed, 15)
    x, u = data.arrays()
    tau2, _ = tau2_reml(x, u)
    direct = optimize.minimize_scalar(
        _neg_restricted_loglik, bounds=(0, 100), args=(x, u), method="bounded", options={"xatol": 1e-12}
    )
    assert tau2 == pytest.approx(direct.x, rel=1e-5, abs=1e-9)


def test_paule_mandel_solves_its_equation():
    x, u = PB.arrays()
    tau2 = tau2_paule_mandel(x, u)
    w = 1 / (u**2 + tau2)
    y = np.sum(w * x) / np.sum(w)
    assert np.sum(w * (x - y) ** 2) == pytest.approx(x.size - 1, rel=1e-10)


def test_homogeneous_data_give_tau_zero_and_the_weighted_mean():
    data = LabResults.of(["A", "B", "C"], [1.0, 1.1, 0.9], [1.0, 1.0, 1.0])
    wm = reference_value(data, "weighted_mean")
    for name in ("dersimonian_laird", "paule_mandel", "reml"):
        r = reference_value(data, name)
        assert r.tau == 0.0 and r.value == pytest.approx(wm.value) and r.u == pytest.approx(wm.u)


def test_hierarchical_gauss_is_deterministic_and_near_reml():
    a = reference_value(PB, "hierarchical_gauss")
    b = reference_value(PB, "hierarchical_gauss")
    assert a == b
    r = reference_value(PB, "reml")
    assert abs(a.value - r.value) < r.u
    assert a.u >= r.u * 0.8  # the Bayesian u(y) also carries the uncertainty of τ
    lo, hi = a.interval
    assert lo < a.value < hi


def test_hierarchical_gauss_against_monte_carlo_of_the_same_posterior():
    # Independent check: sample τ from its posterior on a fine grid by rejection from the prior,
    # then μ | τ; compare within the Monte Carlo error (4 standard errors).
    x, u = PB.arrays()
    ours = reference_value(PB, "hierarchical_gauss")
    rng = np.random.default_rng(11)
    s_tau = ours.extra["tau_prior_scale"]
    tau = np.abs(s_tau * rng.standard_cauchy(400_000))
    v = u[None, :] ** 2 + tau[:, None] ** 2
    w = 1 / v
    sw = w.sum(1)
    mu = (w * x).sum(1) / sw
    logl = -0.5 * np.log(v).sum(1) - 0.5 * np.log(sw) - 0.5 * (w * (x - mu[:, None]) ** 2).sum(1)
    keep = rng.uniform(size=tau.size) < np.exp(logl - logl.max())
    draws = rng.normal(mu[keep], np.sqrt(1 / sw[keep]))
    se = draws.std() / math.sqrt(draws.size)
    assert ours.value == pytest.approx(draws.mean(), abs=4 * se)
    assert ours.u == pytest.approx(draws.std(), rel=0.03)


def test_linear_pool_is_reproducible_with_its_seed():
    a = reference_value(PB, "linear_pool", rng=np.random.default_rng(5))
    b = reference_value(PB, "linear_pool", rng=np.random.default_rng(5))
    assert a == b
    x, u = PB.arrays()
    mix_mean = float(x.mean())
    mix_sd = math.sqrt(float(np.mean(u**2 + x**2)) - mix_mean**2)
    assert a.value == pytest.approx(mix_mean, abs=4 * a.extra["mc_standard_error"])
    assert a.u == pytest.approx(mix_sd, rel=0.01)


def test_linear_pool_without_generator_is_refused():
    with pytest.raises(ComparisonError, match="seeded"):
        reference_value(PB, "linear_pool")


def test_algorithm_a_stopping_rules_agree_to_three_figures():
    conv = reference_value(PB, "algorithm_a", stopping="converged")
    iso = reference_value(PB, "algorithm_a", stopping="iso")
    assert iso.iterations < conv.iterations
    assert f"{iso.extra['s_star']:.2g}" == f"{conv.extra['s_star']:.2g}"
    assert abs(iso.value - conv.value) < 0.01 * conv.extra["s_star"] * 10
    assert "3rd significant figure" in iso.convention and "1e-12" in conv.convention


def test_algorithm_a_winsorises_an_outlier():
    data = LabResults.of(
        [str(i) for i in range(8)], [10.1, 9.9, 10.0, 10.2, 9.8, 10.05, 9.95, 50.0], [0.1] * 8
    )
    r = reference_value(data, "algorithm_a")
    assert 9.9 < r.value < 10.2


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_records_its_convention(name):
    ev = evaluate_comparison(PB, name, rng=np.random.default_rng(1))
    assert ev.reference.estimator == name
    assert len(ev.reference.convention) > 40
    assert "DoE" in ev.convention and "τ" in ev.convention
    assert len(ev.labs) == len(PB.labs)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"labs": ["A"], "x": [1.0], "u": [0.1]}, "at least 2 labs"),
        ({"labs": ["A", "B"], "x": [1.0, 2.0], "u": [0.1, 0.0]}, "must be positive"),
        ({"labs": ["A", "B"], "x": [1.0, 2.0], "u": [0.1, -1.0]}, "must be positive"),
        ({"labs": ["A", "A"], "x": [1.0, 2.0], "u": [0.1, 0.1]}, "duplicated lab: A"),
        ({"labs": ["A", "B"], "x": [1.0, math.nan], "u": [0.1, 0.1]}, "not a finite number"),
    ],
)
def test_bad_input_has_a_one_line_reason(kwargs, message):
    with pytest.raises(ComparisonError, match=message) as info:
        LabResults.of(kwargs["labs"], kwargs["x"], kwargs["u"])
    assert "\n" not in str(info.value)


def test_unknown_estimator_and_exclusions():
    with pytest.raises(ComparisonError, match="unknown estimator"):
        reference_value(PB, "mode")
    with pytest.raises(ComparisonError, match="unknown lab"):
        PB.excluding(["XYZ"])
    with pytest.raises(ComparisonError, match="at least 2 included"):
        PB.excluding(list(PB.labs[1:]))


def test_algorithm_a_non_convergence_reason():
    data = LabResults.of(["A", "B", "C"], [1.0, 1.0, 2.0], [0.1] * 3)
    with pytest.raises(ComparisonError, match="s\\* is 0"):
        reference_value(data, "algorithm_a")
