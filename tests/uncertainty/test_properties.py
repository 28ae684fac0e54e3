"""Hypothesis properties of the GUM and the Monte Carlo."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiliang.uncertainty import gum, model_from_dict, montecarlo

coef = st.floats(min_value=-10, max_value=10, allow_nan=False).filter(lambda v: abs(v) > 1e-3)
mean = st.floats(min_value=-100, max_value=100, allow_nan=False)
sd = st.floats(min_value=1e-3, max_value=10, allow_nan=False)
dists = st.sampled_from(["normal", "uniform", "triangular", "arcsine", "trapezoid"])


def spec(kind, m, s):
    if kind == "normal":
        return {"dist": "normal", "mean": m, "sd": s}
    if kind == "triangular":
        return {"dist": "triangular", "low": m - s, "mode": m, "high": m + s}
    if kind == "trapezoid":
        return {"dist": "trapezoid", "low": m - s, "high": m + s, "beta": 0.5}
    return {"dist": kind, "low": m - s, "high": m + s}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(coef, mean, sd, dists), min_size=1, max_size=6), st.floats(-0.9, 0.9))
def test_linear_models_gum_is_exact(terms, rho):
    """For Y = Σ cᵢ Xᵢ the law of propagation is exact: u² = Σ cᵢ² uᵢ² + 2 c₀c₁u₀u₁ρ."""
    inputs = {f"x{i}": spec(k, m, s) for i, (_, m, s, k) in enumerate(terms)}
    expr = " + ".join(f"({c!r}) * x{i}" for i, (c, *_rest) in enumerate(terms))
    corr = [["x0", "x1", rho]] if len(terms) > 1 else []
    model = model_from_dict(
        {"model": {"Y": expr}, "inputs": inputs, "correlations": corr, "method": {"montecarlo": False}}
    )
    r = gum(model)["Y"]
    us = [d.u for d in model.inputs]
    var = sum((c * u) ** 2 for (c, *_), u in zip(terms, us))
    if corr:
        var += 2 * terms[0][0] * terms[1][0] * us[0] * us[1] * rho
    assert r.u >= 0
    assert r.u == pytest.approx(math.sqrt(var), rel=1e-9, abs=1e-12)
    assert r.y == pytest.approx(sum(c * d.x for (c, *_), d in zip(terms, model.inputs)), rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(coef, mean, sd), min_size=1, max_size=4), st.integers(0, 2**32))
def test_monte_carlo_agrees_with_gum_for_linear_gaussian_models(terms, seed):
    inputs = {f"x{i}": {"dist": "normal", "mean": m, "sd": s} for i, (_, m, s) in enumerate(terms)}
    expr = " + ".join(f"({c!r}) * x{i}" for i, (c, *_rest) in enumerate(terms))
    model = model_from_dict(
        {"model": {"Y": expr}, "inputs": inputs, "method": {"montecarlo": {"trials": 40_000}, "seed": seed}}
    )
    g, mc = gum(model)["Y"], montecarlo(model)["Y"]
    n = 40_000
    # 6 standard errors: mean SE u/√M, sd SE ≈ u/√(2M) for normal output.
    assert mc.y == pytest.approx(g.y, abs=6 * g.u / math.sqrt(n) + 1e-9 * abs(g.y))
    assert mc.u == pytest.approx(g.u, rel=6 / math.sqrt(2 * n))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**63 - 1))
def test_results_are_reproducible_for_a_seed(seed):
    model = model_from_dict(
        {
            "model": {"Y": "a * exp(b)"},
            "inputs": {
                "a": {"dist": "normal", "mean": 1, "sd": 0.1},
                "b": {"dist": "arcsine", "low": 0, "high": 1},
            },
            "method": {"montecarlo": {"trials": 20_000}, "seed": seed},
        }
    )
    assert montecarlo(model).outputs == montecarlo(model).outputs


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.1, 10) | st.floats(-10, -0.1),
    c=st.floats(-5, 5),
    x0=st.floats(-5, 5),
    u=st.floats(0.01, 3),
)
def test_sign_change_warning_agrees_with_the_derivative_at_x_plus_minus_u(a, c, x0, u):
    """Independent route: the derivative 2a(x − c) evaluated directly at x0 ± u changes sign
    exactly when the GUM reports ``sensitivity_sign_change`` (or ``zero_sensitivity`` at c)."""
    lo, hi = 2 * a * (x0 - u - c), 2 * a * (x0 + u - c)
    if min(abs(lo), abs(hi)) < 1e-9 * max(1.0, abs(a)):
        return  # on the boundary: either answer is right
    m = model_from_dict(
        {
            "model": {"y": f"{a!r} * (x - {c!r})**2"},
            "inputs": {"x": {"dist": "normal", "mean": x0, "sd": u}},
            "method": {"montecarlo": False},
        }
    )
    codes = {w.code for w in gum(m)["y"].warnings}
    changes = (lo < 0) != (hi < 0)
    assert changes == bool(codes & {"sensitivity_sign_change", "zero_sensitivity"})
