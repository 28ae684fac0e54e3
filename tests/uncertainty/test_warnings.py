"""The GUM result says when its first-order answer misrepresents the model (never a silent U = 0)."""

from __future__ import annotations

import pytest

from jiliang.uncertainty import evaluate, gum, model_from_dict


def _model(expression: str, inputs: dict, **method) -> object:
    return model_from_dict(
        {"model": {"y": expression}, "inputs": inputs, "method": {"montecarlo": False, **method}}
    )


def _n(mean: float, sd: float) -> dict:
    return {"dist": "normal", "mean": mean, "sd": sd}


def _codes(expression: str, inputs: dict) -> list[str]:
    return [w.code for w in gum(_model(expression, inputs))["y"].warnings]


def test_abs_at_zero_is_reported_not_a_silent_zero():
    r = gum(_model("abs(x)", {"x": _n(0.0, 1.0)}))["y"]
    assert r.u == 0.0
    assert {w.code for w in r.warnings} == {"abs_at_kink", "zero_uncertainty"}
    assert all(w.recommendation == "montecarlo" for w in r.warnings)


def test_abs_near_zero_within_two_sigma_and_far_from_it():
    assert _codes("abs(x - 1)", {"x": _n(2.5, 1.0)}) == ["abs_at_kink"]
    assert _codes("abs(x - 1)", {"x": _n(3.5, 1.0)}) == []


def test_tie_in_max_and_min():
    assert _codes("max(a, b)", {"a": _n(1.0, 0.1), "b": _n(1.0, 0.1)}) == ["min_max_tie"]
    assert _codes("min(a, 2 * b)", {"a": _n(1.0, 0.1), "b": _n(0.55, 0.1)}) == ["min_max_tie"]
    assert _codes("min(a, b)", {"a": _n(1.0, 0.1), "b": _n(3.0, 0.1)}) == []


def test_zero_first_order_sensitivity_with_second_order():
    r = gum(_model("cos(x)", {"x": _n(0.0, 0.1)}))["y"]
    codes = [w.code for w in r.warnings]
    assert "zero_sensitivity" in codes and "zero_uncertainty" in codes
    zero = next(w for w in r.warnings if w.code == "zero_sensitivity")
    assert zero.input == "x" and zero.recommendation == "second_order"


def test_derivative_changing_sign_within_u():
    assert "sensitivity_sign_change" in _codes("x**2", {"x": _n(0.5, 1.0)})
    assert _codes("x**2", {"x": _n(10.0, 0.1)}) == []


def test_large_second_order_term():
    assert _codes("a * b", {"a": _n(1.0, 0.01), "b": _n(2.0, 0.01)}) == []
    assert "second_order_significant" in _codes("exp(x)", {"x": _n(0.0, 2.0)})


def test_linear_and_smooth_models_carry_no_warning():
    assert _codes("a + 2 * b - c", {"a": _n(1, 1), "b": _n(0, 1), "c": _n(-3, 1)}) == []


def test_evaluate_runs_the_validation_when_the_gum_warns():
    """JCGM 101 §8: with a warning and no Monte Carlo asked, one is run and the GUM fails it."""
    ev = evaluate(_model("abs(x)", {"x": _n(0.0, 1.0)}, seed=3))
    assert ev.mc is not None and ev.mc_for_warnings
    assert ev.mc["y"].u == pytest.approx(0.6028, abs=0.01)  # sd of a half-normal: √(1 − 2/π)
    assert ev.validations[0].passed is False
    out = ev.as_dict()
    assert out["montecarlo"]["reason"] == "validation of GUM warnings"
    assert [w["code"] for w in out["outputs"]["y"]["gum"]["warnings"]] == ["abs_at_kink", "zero_uncertainty"]


def test_validation_can_be_switched_off_and_is_not_run_without_warnings():
    ev = evaluate(_model("abs(x)", {"x": _n(0.0, 1.0)}, validate_warnings=False))
    assert ev.mc is None
    ev = evaluate(_model("x + 1", {"x": _n(0.0, 1.0)}))
    assert ev.mc is None and not ev.mc_for_warnings


def test_where_near_its_switching_point_warns_and_the_monte_carlo_handles_it():
    ev = evaluate(_model("where(x > 0, 2 * x, -x)", {"x": _n(0.1, 1.0)}, seed=4))
    g = ev.gum["y"]
    assert [w.code for w in g.warnings] == ["condition_near_boundary"]
    assert g.u == pytest.approx(2.0)  # one-sided first order
    assert ev.mc_for_warnings and ev.mc["y"].u < 1.5  # the Monte Carlo sees both branches
    assert _codes("where(x > 0, 2 * x, -x)", {"x": _n(5.0, 1.0)}) == []


def test_piecewise_model_whose_other_branch_leaves_its_domain_in_the_monte_carlo():
    from jiliang.uncertainty import montecarlo

    m = model_from_dict(
        {
            "model": {"y": "where(x > 0, sqrt(x), 0)"},
            "inputs": {"x": _n(1.0, 1.0)},
            "method": {"montecarlo": {"trials": 100_000}, "seed": 1},
        }
    )
    r = montecarlo(m)["y"]
    assert r.interval[0] == 0.0  # ~16 % of the trials take the zero branch
    assert "condition_near_boundary" in [w.code for w in gum(m)["y"].warnings]


def test_second_derivative_undefined_at_the_estimate():
    codes = _codes("x**1.5", {"x": _n(0.0, 0.1)})
    assert "not_smooth" in codes and "zero_uncertainty" in codes
