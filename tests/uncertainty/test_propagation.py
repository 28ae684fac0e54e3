"""GUM propagation: exactness for linear models, correlations, dof, budget, second order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.uncertainty import UncertaintyModelError, coverage_factor, gum, model_from_dict


def model(expr, inputs, **kw):
    return model_from_dict(
        {"model": expr, "inputs": inputs, "method": {"montecarlo": False, **kw.pop("method", {})}, **kw}
    )


N = {"dist": "normal", "mean": 1.0, "sd": 0.1}


def test_linear_with_correlation_is_exact():
    m = model(
        {"Y": "2*a - 3*b"},
        {"a": {"dist": "normal", "mean": 1, "sd": 0.1}, "b": {"dist": "normal", "mean": 2, "sd": 0.2}},
        correlations=[["a", "b", 0.5]],
    )
    r = gum(m)["Y"]
    expected = math.sqrt(4 * 0.01 + 9 * 0.04 - 2 * 2 * 3 * 0.1 * 0.2 * 0.5)
    assert r.y == -4.0
    assert r.u == pytest.approx(expected, rel=1e-14)
    assert sum(b.share for b in r.budget) == pytest.approx(1.0, rel=1e-12)


def test_budget_lines():
    m = model(
        {"P": "V**2 / R"},
        {"V": {"dist": "normal", "mean": 10, "sd": 0.1}, "R": {"dist": "normal", "mean": 100, "sd": 0.5}},
    )
    r = gum(m)["P"]
    lines = {b.input: b for b in r.budget}
    assert lines["V"].sensitivity == pytest.approx(0.2)
    assert lines["R"].sensitivity == pytest.approx(-0.01)
    assert lines["V"].contribution == pytest.approx(0.02)
    assert lines["V"].share + lines["R"].share == pytest.approx(1.0)
    assert r.k == pytest.approx(1.959964, abs=1e-6) and math.isinf(r.dof)


def test_welch_satterthwaite_and_truncation():
    m = model(
        {"Y": "a + b"},
        {
            "a": {"dist": "normal", "mean": 0, "sd": 1, "dof": 4},
            "b": {"dist": "normal", "mean": 0, "sd": 1, "dof": 9},
        },
    )
    r = gum(m)["Y"]
    assert r.dof == pytest.approx(4 / (1 / 4 + 1 / 9))  # 11.08
    assert r.k == pytest.approx(coverage_factor(0.95, 11))


def test_correlated_inputs_with_different_dof_are_refused():
    m = model(
        {"Y": "a + b"},
        {
            "a": {"dist": "normal", "mean": 0, "sd": 1, "dof": 4},
            "b": {"dist": "normal", "mean": 0, "sd": 1, "dof": 9},
        },
        correlations=[["a", "b", 0.3]],
    )
    with pytest.raises(UncertaintyModelError, match="Welch–Satterthwaite does not apply"):
        gum(m)


def test_correlated_type_b_inputs_are_fine():
    m = model({"Y": "a + b"}, {"a": N, "b": N}, correlations=[["a", "b", 0.3]])
    assert math.isinf(gum(m)["Y"].dof)


def test_second_order_refused_with_correlations():
    m = model({"Y": "a * b"}, {"a": N, "b": N}, correlations=[["a", "b", 0.3]], method={"gum_order": 2})
    with pytest.raises(UncertaintyModelError, match="independent"):
        gum(m)


def test_second_order_product_of_zero_mean_inputs():
    """GUM §5.1.2 note: Y = X1 X2 with zero estimates: first order u = 0, second order u1 u2."""
    m = model(
        {"Y": "a * b"},
        {"a": {"dist": "normal", "mean": 0, "sd": 0.3}, "b": {"dist": "normal", "mean": 0, "sd": 0.5}},
        method={"gum_order": 2},
    )
    assert gum(m)["Y"].u == pytest.approx(0.15, rel=1e-14)


def test_several_outputs_covariance():
    m = model(
        {"S": "a + b", "D": "a - b"},
        {"a": {"dist": "normal", "mean": 1, "sd": 0.3}, "b": {"dist": "normal", "mean": 2, "sd": 0.4}},
    )
    g = gum(m)
    cov = np.array(g.covariance)
    assert cov == pytest.approx(np.array([[0.25, 0.09 - 0.16], [0.09 - 0.16, 0.25]]))
    assert g.correlation[0][1] == pytest.approx(-0.07 / 0.25)


def test_compiled_model_is_reused():
    from jiliang.uncertainty.propagation import compiled

    m1 = model({"Y": "a * exp(b)"}, {"a": N, "b": N})
    m2 = model({"Y": "a * exp(b)"}, {"a": {"dist": "normal", "mean": 3, "sd": 1}, "b": N})
    assert compiled(m1) is compiled(m2)
    assert gum(m2)["Y"].y == pytest.approx(3 * math.e)


def test_zero_uncertainty():
    m = model({"Y": "a * 2"}, {"a": {"dist": "normal", "mean": 1, "sd": 0}})
    r = gum(m)["Y"]
    assert r.u == 0 and r.interval == (2.0, 2.0)


def test_derivatives_of_hostile_nesting_stay_linear():
    """x**x**…**x nested 60 deep: its derivative tree is exponential, its DAG is not."""
    text = "**".join(["a"] * 60)
    m = model(
        {"Y": f"({text}) - a"}, {"a": {"dist": "normal", "mean": 1.0, "sd": 0.01}}, method={"gum_order": 2}
    )
    r = gum(m)["Y"]
    assert r.y == 0.0 and math.isfinite(r.u)


def test_second_order_higher_derivative_not_defined():
    m = model(
        {"Y": "sqrt(a) * b"},
        {"a": {"dist": "normal", "mean": 0.0, "sd": 0.1}, "b": N},
        method={"gum_order": 2},
    )
    with pytest.raises(UncertaintyModelError, match="a"):
        gum(m)


def test_sum_and_product_of_200_inputs_evaluate():
    """The model file allows 200 inputs; a plain sum or product of all of them evaluates."""
    n = 200
    inputs = {f"x{i}": {"dist": "normal", "mean": 1.0, "sd": 0.01} for i in range(n)}
    m = model_from_dict(
        {
            "model": {
                "S": " + ".join(f"x{i}" for i in range(n)),
                "P": " * ".join(f"x{i}" for i in range(n)),
            },
            "inputs": inputs,
            "method": {"montecarlo": False},
        }
    )
    r = gum(m)
    assert r["S"].y == pytest.approx(200.0, rel=1e-15)
    assert r["S"].u == pytest.approx(math.sqrt(n) * 0.01, rel=1e-12)
    assert r["P"].u == pytest.approx(math.sqrt(n) * 0.01, rel=1e-12)


def test_one_output_defined_from_another_keeps_their_correlation():
    """Intermediate results (GTC's result()): y2 uses y1; u and the output covariance are those
    of the inlined model, so r(y1, y2) = 1 for y2 = 2·y1."""
    m = model_from_dict(
        {
            "model": {"y2": "2 * y1 + 0 * c", "y1": "a + b", "y3": "y2 - y1"},
            "inputs": {
                "a": {"dist": "normal", "mean": 1.0, "sd": 0.3},
                "b": {"dist": "normal", "mean": 2.0, "sd": 0.4},
                "c": {"dist": "normal", "mean": 0.0, "sd": 1.0},
            },
            "method": {"montecarlo": False},
        }
    )
    r = gum(m)
    assert r["y1"].u == pytest.approx(0.5, rel=1e-15)
    assert r["y2"].y == 6.0 and r["y2"].u == pytest.approx(1.0, rel=1e-15)
    assert r["y3"].y == 3.0 and r["y3"].u == pytest.approx(0.5, rel=1e-15)
    names = [o.name for o in r.outputs]
    assert r.correlation[names.index("y1")][names.index("y2")] == pytest.approx(1.0, rel=1e-12)


def test_circular_output_definitions_are_refused():
    spec = {
        "model": {"y1": "y2 + a", "y2": "y1 * 2"},
        "inputs": {"a": {"dist": "normal", "mean": 1.0, "sd": 0.1}},
    }
    with pytest.raises(UncertaintyModelError, match="circle"):
        model_from_dict(spec)
    spec["model"] = {"y1": "y1 + a"}
    with pytest.raises(UncertaintyModelError, match="circle"):
        model_from_dict(spec)


def test_intermediate_results_in_the_monte_carlo():
    from jiliang.uncertainty import montecarlo

    m = model_from_dict(
        {
            "model": {"s": "a + b", "t": "s * s"},
            "inputs": {
                "a": {"dist": "normal", "mean": 1.0, "sd": 0.1},
                "b": {"dist": "normal", "mean": 1.0, "sd": 0.1},
            },
            "method": {"montecarlo": {"trials": 100_000}, "seed": 7},
        }
    )
    r = montecarlo(m)
    # E[s²] = E[s]² + u²(s) = 4 + 0.02; the MC standard error of the mean is ~0.0018
    assert r["t"].y == pytest.approx(4.02, abs=0.01)
    assert r.correlation[0][1] == pytest.approx(1.0, abs=0.01)
