"""Input distributions added in model schema 1.1: GUM estimate and standard uncertainty against
scipy.stats (an independent route), Monte Carlo draws and inverse distribution functions against
them, and parameter validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from jiliang.uncertainty import UncertaintyModelError, gum, model_from_dict, model_schema, montecarlo
from jiliang.uncertainty.distributions import Distribution

#: Closed-form moments against scipy.stats: pure floating point.
REL_MOMENTS = 1e-9
#: Draws: 200 000 values; 6 standard errors of the mean / of the standard deviation.
N_DRAWS = 200_000
SIGMAS = 6.0

CASES = [
    ({"dist": "lognormal", "mean": 2.0, "sd": 0.5}, None),
    ({"dist": "lognormal", "mu": 0.1, "sigma": 0.3}, stats.lognorm(0.3, scale=math.exp(0.1))),
    ({"dist": "beta", "alpha": 2.0, "beta": 5.0}, stats.beta(2.0, 5.0)),
    (
        {"dist": "beta", "alpha": 0.5, "beta": 0.5, "low": -1.0, "high": 3.0},
        stats.beta(0.5, 0.5, loc=-1, scale=4),
    ),
    ({"dist": "weibull", "shape": 1.5, "scale": 2.0}, stats.weibull_min(1.5, scale=2.0)),
    ({"dist": "weibull", "shape": 3.0, "scale": 1.0, "loc": 10.0}, stats.weibull_min(3.0, loc=10.0)),
    ({"dist": "truncnormal", "mean": 0.0, "sd": 1.0, "low": 0.0, "high": 2.0}, stats.truncnorm(0.0, 2.0)),
    ({"dist": "gamma", "shape": 3.0, "scale": 0.5}, stats.gamma(3.0, scale=0.5)),
    ({"dist": "gamma", "mean": 1.5, "sd": 0.5}, stats.gamma(9.0, scale=1 / 6)),
    ({"dist": "poisson", "mean": 4.5}, stats.poisson(4.5)),
    ({"dist": "binomial", "n": 20, "p": 0.3}, stats.binom(20, 0.3)),
]


@pytest.mark.parametrize(("spec", "frozen"), CASES)
def test_estimate_and_standard_uncertainty_are_the_moments(spec, frozen):
    d = Distribution.of("x", spec)
    if frozen is None:  # lognormal given by its own mean and sd
        assert (d.x, d.u) == pytest.approx((spec["mean"], spec["sd"]), rel=REL_MOMENTS)
        return
    assert d.x == pytest.approx(float(frozen.mean()), rel=REL_MOMENTS)
    assert d.u == pytest.approx(float(frozen.std()), rel=REL_MOMENTS)


@pytest.mark.parametrize(("spec", "frozen"), CASES)
def test_draws_and_inverse_distribution_function_match_the_moments(spec, frozen):
    d = Distribution.of("x", spec)
    rng = np.random.default_rng(11)
    for values in (d.sample(rng, N_DRAWS), d.ppf(rng.random(N_DRAWS))):
        assert abs(values.mean() - d.x) <= SIGMAS * d.u / math.sqrt(N_DRAWS)
        assert values.std() == pytest.approx(d.u, rel=SIGMAS * math.sqrt(2 / N_DRAWS) * 2)


def test_empirical_sample_is_bootstrapped():
    sample = [9.8, 10.1, 10.0, 10.3, 9.9, 10.2]
    d = Distribution.of("x", {"dist": "empirical", "sample": sample})
    assert d.x == pytest.approx(np.mean(sample), rel=1e-15)
    assert d.u == pytest.approx(np.std(sample), rel=1e-15)  # the resampled distribution: divisor n
    draws = d.sample(np.random.default_rng(1), 10_000)
    assert set(draws.tolist()) <= set(sample)
    assert set(d.ppf(np.array([0.01, 0.5, 0.99])).tolist()) <= set(sample)
    assert d.as_dict() == {"dist": "empirical", "sample": sample}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "lognormal", "mean": -1.0, "sd": 0.5}, "mean must be > 0"),
        ({"dist": "lognormal", "mu": 0.0, "sigma": 0.0}, "sigma must be > 0"),
        ({"dist": "beta", "alpha": 0.0, "beta": 1.0}, "alpha must be > 0"),
        ({"dist": "beta", "alpha": 1.0, "beta": 1.0, "low": 2.0, "high": 1.0}, "greater than low"),
        ({"dist": "weibull", "shape": -1.0, "scale": 1.0}, "shape must be > 0"),
        ({"dist": "truncnormal", "mean": 0.0, "sd": 1.0, "low": 1.0, "high": 1.0}, "greater than low"),
        ({"dist": "gamma", "shape": 1.0, "scale": 0.0}, "scale must be > 0"),
        ({"dist": "poisson", "mean": 0.0}, "mean must be > 0"),
        ({"dist": "binomial", "n": 2.5, "p": 0.5}, "n must be an integer"),
        ({"dist": "binomial", "n": 10, "p": 1.5}, "p must be in"),
        ({"dist": "empirical", "sample": [1.0]}, "2 to"),
        ({"dist": "empirical", "sample": [1.0, "a"]}, "must be a number"),
        ({"dist": "empirical", "values": [1.0, 2.0]}, "unknown parameter"),
        ({"dist": "weibull", "shape": 1.0}, "weibull needs"),
    ],
)
def test_parameters_are_checked(spec, message):
    with pytest.raises(UncertaintyModelError, match=message):
        Distribution.of("x", spec)


def _model(inputs: dict, **method) -> dict:
    return {"model": {"y": " + ".join(inputs)}, "inputs": inputs, "method": method}


def test_new_inputs_in_a_model_by_gum_and_monte_carlo():
    inputs = {f"x{i}": spec for i, (spec, _) in enumerate(CASES)}
    inputs["e"] = {"dist": "empirical", "sample": [1.0, 2.0, 4.0]}
    data = _model(inputs, montecarlo={"trials": 100_000}, seed=5)
    m = model_from_dict(data)
    g = gum(m)["y"]
    mc = montecarlo(m)["y"]
    assert mc.y == pytest.approx(g.y, abs=SIGMAS * g.u / math.sqrt(100_000))
    assert mc.u == pytest.approx(g.u, rel=0.02)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(model_schema()).validate(data)


def test_new_inputs_through_the_copula():
    """Correlated non-normal inputs are drawn through the Gaussian copula with their own ppf."""
    inputs = {
        "a": {"dist": "lognormal", "mean": 2.0, "sd": 0.2},
        "b": {"dist": "weibull", "shape": 2.0, "scale": 1.0},
    }
    data = _model(inputs, montecarlo={"trials": 100_000}, seed=2)
    data["correlations"] = [["a", "b", 0.8]]
    m = model_from_dict(data)
    r = montecarlo(m)["y"]
    assert r.y == pytest.approx(gum(m)["y"].y, rel=0.01)
