"""Implicit models f(Y, X) = 0: a bracketed root (Brent) and ∂Y/∂xᵢ = −(∂f/∂xᵢ)/(∂f/∂Y).

The independent route: a pressure balance, p·A0·(1 + λp)·(1 + αΔθ) = m·g·(1 − ρa/ρw), is a
quadratic in p, so the implicit model must give the explicit root's value, sensitivities,
uncertainty and Monte Carlo distribution.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.uncertainty import UncertaintyModelError, evaluate, gum, model_from_dict

INPUTS = {
    "m": {"dist": "normal", "mean": 1.4, "sd": 1.5e-6},
    "g": {"dist": "normal", "mean": 9.792, "sd": 2.5e-9},
    "A0": {"dist": "normal", "mean": 3.35e-4, "sd": 1e-5},
    "lam": {"dist": "normal", "mean": 4e-6, "sd": 2e-7},
    "alpha": {"dist": "normal", "mean": 2e-5, "sd": 1e-6},
    "dT": {"dist": "normal", "mean": 2.2, "sd": 5e-2},
    "rho_a": {"dist": "normal", "mean": 1.2, "sd": 0.06},
    "rho_w": {"dist": "normal", "mean": 7800, "sd": 45},
}
F = "m * g * (1 - rho_a / rho_w)"
A = "A0 * (1 + alpha * dT)"
IMPLICIT = {"implicit": f"p * {A} * (1 + lam * p) - {F}", "bracket": [1e3, 1e6]}
EXPLICIT = f"(-({A}) + sqrt(({A})**2 + 4 * lam * ({A}) * {F})) / (2 * lam * ({A}))"


def _both(method: dict) -> tuple:
    implicit = model_from_dict({"model": {"p": IMPLICIT}, "inputs": INPUTS, "method": method})
    explicit = model_from_dict({"model": {"p": EXPLICIT}, "inputs": INPUTS, "method": method})
    return implicit, explicit


def test_value_sensitivities_and_uncertainty_match_the_explicit_root():
    imp, exp = _both({"montecarlo": False})
    a, b = gum(imp)["p"], gum(exp)["p"]
    assert a.y == pytest.approx(b.y, rel=1e-13)
    assert a.u == pytest.approx(b.u, rel=1e-10)
    for la, lb in zip(a.budget, b.budget, strict=True):
        assert la.sensitivity == pytest.approx(lb.sensitivity, rel=1e-9, abs=1e-300)
    assert a.dof == b.dof and a.warnings == ()


def test_second_order_terms_match_the_explicit_root():
    imp, exp = _both({"montecarlo": False, "gum_order": 2})
    assert gum(imp)["p"].u == pytest.approx(gum(exp)["p"].u, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_monte_carlo_solves_each_trial(seed):
    imp, exp = _both({"montecarlo": {"trials": 20_000}, "seed": seed})
    a, b = evaluate(imp).mc.outputs[0], evaluate(exp).mc.outputs[0]
    # same seed, same input draws: the trial values agree to the root finder's tolerance
    assert a.y == pytest.approx(b.y, rel=1e-12)
    assert a.u == pytest.approx(b.u, rel=1e-8)
    assert a.interval == pytest.approx(b.interval, rel=1e-12)


def test_solve_inside_an_expression_and_as_an_intermediate_result():
    m = model_from_dict(
        {
            "model": {"r": "solve(r**3 + a*r - b, r, 0, 10)", "s": "2 * r"},
            "inputs": {
                "a": {"dist": "normal", "mean": 2, "sd": 0.05},
                "b": {"dist": "normal", "mean": 12, "sd": 0.1},
            },
            "method": {"montecarlo": False},
        }
    )
    r = gum(m)
    # r = 2 solves r³ + 2r − 12 = 0; ∂r/∂a = −r/(3r² + a) = −1/7, ∂r/∂b = 1/(3r² + a) = 1/14
    assert r["r"].y == pytest.approx(2.0, rel=1e-15)
    c = {b.input: b.sensitivity for b in r["r"].budget}
    assert c["a"] == pytest.approx(-1 / 7, rel=1e-14) and c["b"] == pytest.approx(1 / 14, rel=1e-14)
    assert r["s"].u == pytest.approx(2 * r["r"].u, rel=1e-14)
    assert r.correlation[0][1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("solve(a - 2, Y, 0, 10)", "does not contain the unknown"),
        ("solve(Y - a, Y, 0, Y)", "may not depend on the unknown"),
        ("solve(Y - a, 3, 0, 10)", "name of the unknown"),
        ("solve(Y - a, Y, 0)", "takes 4 argument"),
        ({"implicit": "Y - a"}, "an implicit model is"),
        ({"implicit": "Y - a", "bracket": [0, 1, 2]}, "an implicit model is"),
        ({"implicit": "Y - a", "bracket": [0, "nan"]}, "undefined symbol"),
        ({"implicit": "Y - a", "bracket": [0, float("nan")]}, "bracket.1. must be a finite number"),
        ({"implicit": "Y**2 - a", "bracket": [5, 10]}, "does not change sign"),
        ("solve(a**2 - 4, a, 0, 10)", "named like a quantity"),
        ("solve(a - Y, a, 0, 10)", "circle"),
    ],
)
def test_bad_implicit_models_are_refused(spec, needle):
    with pytest.raises(UncertaintyModelError, match=needle):
        gum(
            model_from_dict({"model": {"Y": spec}, "inputs": {"a": {"dist": "normal", "mean": 2, "sd": 0.1}}})
        )


def test_trials_without_a_root_in_the_bracket_are_reported():
    m = model_from_dict(
        {
            "model": {"Y": {"implicit": "Y**2 - a", "bracket": [0, 1.5]}},
            "inputs": {"a": {"dist": "normal", "mean": 2, "sd": 0.5}},
            "method": {"gum": False, "montecarlo": {"trials": 10_000}, "seed": 1},
        }
    )
    with pytest.raises(UncertaintyModelError):
        evaluate(m)


def test_root_finder_is_accurate_on_many_random_equations():
    rng = np.random.default_rng(2026)
    for _ in range(50):
        a, b = rng.uniform(0.1, 5, 2)
        m = model_from_dict(
            {
                "model": {"Y": {"implicit": "exp(Y) + a * Y - b - 1", "bracket": [-50, 50]}},
                "inputs": {
                    "a": {"dist": "normal", "mean": float(a), "sd": 0.01},
                    "b": {"dist": "normal", "mean": float(b), "sd": 0.01},
                },
                "method": {"montecarlo": False},
            }
        )
        y = gum(m)["Y"].y
        assert math.exp(y) + a * y - b - 1 == pytest.approx(0.0, abs=1e-12 * (b + 2))


def test_implicit_sensitivities_match_central_differences_of_the_root():
    """An independent route for ∂Y/∂xᵢ: solve again at xᵢ ± h and take the central difference."""
    from jiliang.uncertainty.expr import compile_scalar, derivative, parse

    node = parse("solve(Y**5 + a*Y + b*exp(Y) - c, Y, -20, 20)")
    names = ["a", "b", "c"]
    root = compile_scalar(node, names)
    grads = [compile_scalar(derivative(node, n), names) for n in names]
    rng = np.random.default_rng(31)
    for _ in range(25):
        x = [float(rng.uniform(0.5, 3)), float(rng.uniform(0.1, 2)), float(rng.uniform(-5, 5))]
        for i, g in enumerate(grads):
            h = 1e-6 * max(abs(x[i]), 1.0)
            up, down = list(x), list(x)
            up[i] += h
            down[i] -= h
            fd = (root(up) - root(down)) / (2 * h)
            assert g(x) == pytest.approx(fd, rel=1e-6, abs=1e-9)
