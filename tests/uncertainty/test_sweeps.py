"""The sweeps (one reverse sweep for ∂f/∂xᵢ, Taylor passes for ∂²f/∂xᵢ²) against the symbolic
derivatives of :mod:`jiliang.uncertainty.expr`, over random models, and the GUM result and its
warnings with the sweeps against the same evaluation with symbolic derivatives only."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiliang.uncertainty import gum, model_from_dict
from jiliang.uncertainty import propagation as prop
from jiliang.uncertainty.expr import compile_scalar, derivative, parse, symbols
from jiliang.uncertainty.sweeps import NoRuleError, Sweeps

NAMES = ("x1", "x2", "x3", "x4")
#: Both routes compute the same derivatives with different rounding: relative to the size of the
#: terms they add (here bounded by 1 + |reference|), they agree to a few units in the last place.
TOL = 1e-11


def _wrap(draw: st.DrawFn, a: str, b: str) -> str:
    forms = [
        f"({a} + {b})",
        f"({a} - {b})",
        f"({a} * {b})",
        f"({a} / ({b} * {b} + 1))",
        f"sin({a})",
        f"cos({a})",
        f"atan({a})",
        f"exp(sin({a}))",
        f"sqrt({a} * {a} + 1)",
        f"log({a} * {a} + 1)",
        f"log10({a} * {a} + 2)",
        f"({a})**2",
        f"({a})**3",
        f"({a} * {a} + 1)**0.5",
        f"(x1 + 1)**atan({a})",
        f"({a} * {a} + 1)**cos({b})",
        f"abs({a})",
        f"min({a}, {b})",
        f"max({a}, 2 * {b})",
        f"where({a} > {b}, {a} * {b}, {b} - {a})",
        f"atan2({a}, {b} * {b} + 1)",
        f"asin(sin({a}) / 2)",
        f"acos(cos({b}) / 2)",
        f"tan(atan({a}) / 2)",
    ]
    return draw(st.sampled_from(forms))


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([*NAMES, "x1", "x2", "0.5", "1.5", "3"]))
    return _wrap(draw, draw(expressions(depth - 1)), draw(expressions(depth - 1)))


points = st.lists(st.floats(0.3, 2.5), min_size=4, max_size=4)


def _symbolic(node, name, x, order):
    d = derivative(node, name)
    if order == 2:
        d = derivative(d, name)
    return compile_scalar(d, NAMES)(x)


def _close(got: float, ref: float) -> bool:
    return abs(got - ref) <= TOL * (1.0 + abs(ref))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), points)
def test_sweeps_agree_with_symbolic_derivatives(text, x):
    node = parse(text)
    s = Sweeps(node, NAMES)
    try:
        refs = [(_symbolic(node, NAMES[i], x, 1), _symbolic(node, NAMES[i], x, 2)) for i in s.inputs]
        value = compile_scalar(node, NAMES)(x)
    except (ArithmeticError, ValueError):
        return  # not defined here: the GUM then names the culprit from the symbolic route
    if not all(math.isfinite(t) for pair in refs for t in pair):
        return
    v = s.values(x)
    assert v[s.root] == value
    grad, curv = s.gradient(v), s.curvature(v)
    for (g0, h0), g, h in zip(refs, grad, curv, strict=True):
        assert _close(g, g0), (text, g, g0)
        assert _close(h, h0), (text, h, h0)
    assert {NAMES[i] for i in s.inputs} == set(symbols(node))
    # the second call runs generated code: the same formulas in the same order, the same bits
    assert s.gradient(v) == grad and s.curvature(v) == curv
    assert s.gradient(v) == grad and s.curvature(v) == curv


def test_operations_without_rules_are_refused_and_left_to_the_symbolic_route():
    with pytest.raises(NoRuleError):
        Sweeps(parse("ellipk(x1 / 10) + x2"), NAMES)
    cm = prop.CompiledModel((parse("ellipk(x1 / 10) + x2"),), NAMES)
    assert cm.sweeps is None and cm.layout


def _x_at_zero(y: str):
    """A GUM-only model ``y`` of x (estimate 0) and z."""
    return model_from_dict(
        {
            "model": {"y": y},
            "inputs": {
                "x": {"dist": "normal", "mean": 0.0, "sd": 0.1},
                "z": {"dist": "normal", "mean": 1, "sd": 1},
            },
            "method": {"montecarlo": False},
        }
    )


def test_a_derivative_that_fails_is_named_as_before():
    with pytest.raises(ValueError, match="∂y/∂x divides by zero at the estimates"):
        gum(_x_at_zero("sqrt(x) + z"))


def test_second_derivative_undefined_still_warns():
    assert "not_smooth" in {w.code for w in gum(_x_at_zero("x**1.5 + z"))["y"].warnings}


def _spec(text: str, x: list[float], u: list[float]) -> dict:
    return {
        "model": {"y": text},
        "inputs": {n: {"dist": "normal", "mean": x[i], "sd": u[i]} for i, n in enumerate(NAMES)},
        "method": {"montecarlo": False},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), points, st.lists(st.floats(0.001, 1.0), min_size=4, max_size=4))
def test_gum_with_sweeps_equals_gum_with_symbolic_derivatives(text, x, u):
    model = model_from_dict(_spec(text, x, u))
    try:
        fast = gum(model)
    except ValueError:
        return
    symbolic = prop.CompiledModel(model.nodes, model.input_names)
    symbolic.sweeps = None
    original = prop.compiled
    prop.compiled = lambda m: symbolic
    try:
        slow = gum(model)
    finally:
        prop.compiled = original
    a, b = fast["y"], slow["y"]
    assert a.y == b.y
    assert _close(a.u, b.u) and (a.dof == b.dof or _close(a.dof, b.dof))
    assert all(_close(p.sensitivity, q.sensitivity) for p, q in zip(a.budget, b.budget, strict=True))
    assert [w.code for w in a.warnings] == [w.code for w in b.warnings], text


def test_when_a_sweep_fails_the_symbolic_derivatives_decide(monkeypatch):
    """A point where the sweeps fail (here forced) is evaluated by the symbolic derivatives."""
    spec = _spec("x1 * exp(x2) + x3 / x4", [1.0, 0.5, 2.0, 4.0], [0.1, 0.1, 0.1, 0.1])
    model = model_from_dict(spec)
    expected = gum(model)["y"]

    def fail(self, v):
        raise ZeroDivisionError("forced")

    monkeypatch.setattr(Sweeps, "gradient", fail)
    got = gum(model)["y"]
    assert _close(got.u, expected.u) and got.y == expected.y
    assert [w.code for w in got.warnings] == [w.code for w in expected.warnings]
