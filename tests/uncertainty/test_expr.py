"""The safe expression language: allow-list, hostile input, exact derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.uncertainty import UncertaintyModelError
from jiliang.uncertainty.expr import (
    MAX_EXPRESSION_CHARS,
    Tape,
    compile_array,
    compile_scalar,
    derivative,
    parse,
    symbols,
)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        "x.__class__",
        "open('/etc/passwd')",
        "eval('1')",
        "lambda: 1",
        "[x for x in y]",
        "x if y else z",
        "x < y",
        "x and y",
        "x[0]",
        "'text'",
        "True + x",
        "1j * x",
        "x ^ 2",
        "x % 2",
        "x // 2",
        "sqrt(x=1)",
        "sqrt(*a)",
        "sqrt(x, y)",
        "atan2(x)",
        "math.sqrt(x)",
        "_x + 1",
        "sqrt + 1",
        "x = 1",
        "",
        "   ",
        "1e999 * x",
        "-" * 200 + "x",
        "sqrt(" * 150 + "x" + ")" * 150,
        "x + " * 2000 + "x",
    ],
)
def test_refused(text):
    with pytest.raises(UncertaintyModelError) as err:
        parse(text)
    assert "expression" in str(err.value)


def test_too_long():
    with pytest.raises(UncertaintyModelError, match="longer than"):
        parse("x" * (MAX_EXPRESSION_CHARS + 1))


def test_huge_integer_constant_is_refused():
    with pytest.raises(UncertaintyModelError, match="too large"):
        parse("1" + "0" * 400 + " * x")


def test_allowed_functions_and_pi():
    node = parse(
        "sqrt(a) + exp(b) + log(c) + log10(c) + sin(a) + cos(a) + tan(a) + asin(d) + acos(d)"
        " + atan(d) + atan2(a, b) + abs(b) + min(a, b) + max(a, b) + pi"
    )
    assert symbols(node) == {"a", "b", "c", "d"}
    f = compile_scalar(node, ("a", "b", "c", "d"))
    a, b, c, d = 0.7, -0.3, 2.0, 0.2
    expected = (
        math.sqrt(a)
        + math.exp(b)
        + math.log(c)
        + math.log10(c)
        + math.sin(a)
        + math.cos(a)
        + math.tan(a)
        + math.asin(d)
        + math.acos(d)
        + math.atan(d)
        + math.atan2(a, b)
        + abs(b)
        + min(a, b)
        + max(a, b)
        + math.pi
    )
    assert f((a, b, c, d)) == pytest.approx(expected, rel=1e-14)


def test_constant_folding():
    node = parse("2 * 3 + x * 1 + 0 * y")
    assert str(node) == "(6.0 + x)"


EXPRESSIONS = [
    "x * y**2 / z",
    "exp(-x / y) * sqrt(z)",
    "log(x) + log10(y * z)",
    "sin(x) * cos(y) + tan(z / 4)",
    "asin(x / 3) + acos(y / 5) + atan(z)",
    "atan2(y, x) * z",
    "abs(x - y) + min(x, z) + max(y, z)",
    "x ** y",
    "(x + y) ** 0.5 / (1 + z**3)",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_derivatives_match_central_differences(text):
    names = ("x", "y", "z")
    point = [1.3, 2.1, 0.7]
    node = parse(text)
    f = compile_scalar(node, names)
    for i, name in enumerate(names):
        d = compile_scalar(derivative(node, name), names)
        h = 1e-6 * max(1.0, abs(point[i]))
        up = list(point)
        dn = list(point)
        up[i] += h
        dn[i] -= h
        numeric = (f(up) - f(dn)) / (2 * h)
        assert d(point) == pytest.approx(numeric, rel=1e-6, abs=1e-8), (text, name)


def test_array_and_scalar_agree():
    import numpy as np

    node = parse(EXPRESSIONS[1])
    names = ("x", "y", "z")
    xs = [np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([0.5, 0.25])]
    arr = compile_array(node, names)(xs)
    sc = compile_scalar(node, names)
    assert arr[1] == pytest.approx(sc([2.0, 4.0, 0.25]), rel=1e-15)


def test_derivatives_are_cached():
    node = parse("x * exp(y)")
    assert derivative(node, "y") is derivative(node, "y")


def test_undefined_symbol_in_compile():
    with pytest.raises(UncertaintyModelError, match="undefined symbol 'q'"):
        compile_scalar(parse("q + 1"), ("x",))


# ------------------------------------------------------------------ long sums and products (flat)


def test_long_sum_is_one_flat_node_and_keeps_left_to_right_order():
    text = " + ".join(f"x{i}" for i in range(200)) + " - x0"
    node = parse(text)
    assert node.op == "sum" and len(node.args) == 201
    names = [f"x{i}" for i in range(200)]
    assert compile_scalar(node, names)([1.0] * 200) == 199.0
    # a - b + c keeps its order: (1e16 - 1e16) + 1 is 1, not (1e16 + 1) - 1e16 = 0
    f = compile_scalar(parse("a - b + c"), ("a", "b", "c"))
    assert f((1e16, 1e16, 1.0)) == 1.0
    g = Tape([parse("a - b + c")], ("a", "b", "c"))
    assert g((1e16, 1e16, 1.0)) == [1.0]


def test_derivative_of_a_flat_sum():
    node = parse("x + 2 * y - x * y + z")
    names = ("x", "y", "z")
    assert compile_scalar(derivative(node, "x"), names)((1.0, 3.0, 0.0)) == -2.0
    assert compile_scalar(derivative(node, "y"), names)((4.0, 3.0, 0.0)) == -2.0
    assert compile_scalar(derivative(node, "z"), names)((4.0, 3.0, 0.0)) == 1.0
    arr = compile_array(node, names)((np.array([1.0, 2.0]), np.array([3.0, 3.0]), 0.5))
    assert arr.tolist() == [1 + 6 - 3 + 0.5, 2 + 6 - 6 + 0.5]


def test_long_product_is_balanced():
    text = " * ".join(f"x{i}" for i in range(150)) + " / x0"
    node = parse(text)
    names = [f"x{i}" for i in range(150)]
    assert compile_scalar(node, names)([2.0] + [1.0] * 149) == 1.0
    assert compile_scalar(derivative(node, "x1"), names)([2.0] * 150) == pytest.approx(2.0**148)


# ---------------------------------------------------------- conditionals and special functions

#: Central finite differences with h = 1e-6 on O(1) values: error ~ h² f''' + ε/h ≈ 1e-9.
FD_STEP = 1e-6
FD_TOL = 1e-7


def _fd(text: str, names: tuple[str, ...], x: list[float], i: int) -> float:
    f = compile_scalar(parse(text), names)
    up, down = list(x), list(x)
    up[i] += FD_STEP
    down[i] -= FD_STEP
    return (f(up) - f(down)) / (2 * FD_STEP)


@pytest.mark.parametrize(
    ("text", "x", "expected"),
    [
        ("where(x > 0, 2 * x, -x)", 3.0, 6.0),
        ("where(x > 0, 2 * x, -x)", -3.0, 3.0),
        ("where(x >= 1, 1, 0)", 1.0, 1.0),
        ("where(x < 1, 1, 0)", 1.0, 0.0),
        ("where(x <= 1, 1, 0)", 1.0, 1.0),
    ],
)
def test_where_selects_by_its_condition(text, x, expected):
    node = parse(text)
    assert compile_scalar(node, ("x",))((x,)) == expected
    assert compile_array(node, ("x",))((np.array([x]),)).tolist() == [expected]
    assert Tape([node], ("x",))((x,)) == [expected]


def test_where_derivative_follows_the_branch():
    d = derivative(parse("where(x > 0, x**2, -x)"), "x")
    f = compile_scalar(d, ("x",))
    assert f((3.0,)) == 6.0 and f((-3.0,)) == -1.0


@pytest.mark.parametrize("text", ["ellipk(m) * x", "ellipe(m) * x", "ellipk(m**2) + ellipe(m / 2)"])
def test_elliptic_integral_derivatives_match_finite_differences(text):
    names = ("m", "x")
    x = [0.4, 1.3]
    for i, name in enumerate(names):
        exact = compile_scalar(derivative(parse(text), name), names)(x)
        assert exact == pytest.approx(_fd(text, names, x, i), abs=FD_TOL)


def test_elliptic_integrals_known_values():
    """K(0) = E(0) = π/2 (DLMF 19.6.1); K(m) on arrays as scipy.special."""
    assert compile_scalar(parse("ellipk(m)"), ("m",))((0.0,)) == pytest.approx(math.pi / 2, rel=1e-15)
    assert compile_scalar(parse("ellipe(m)"), ("m",))((0.0,)) == pytest.approx(math.pi / 2, rel=1e-15)


@pytest.mark.parametrize(
    "text", ["x < 1", "where(x == 1, 1, 0)", "where(0 < x < 1, 1, 0)", "where(x, 1, 0)", "lt + 1"]
)
def test_comparisons_only_as_the_condition_of_where(text):
    with pytest.raises(UncertaintyModelError):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "x1*x2*exp(-x3/x4) + sin(x5)*x6**2/(x7+x8) + log(x9)*sqrt(x10)",
        "-x1 - (-2.5) * x2 + x3 + x4 + x5 + x6",
        "abs(x1 - x2) + min(x3, x4) * max(x5, -x6) + where(x7 < x8, x9, x10)",
        "atan2(x1, x2) / (1 + x3**2) - x4 ** 0.5 + ellipk(x5 / 10)",
    ],
)
def test_generated_tape_equals_the_interpreted_one(text):

    names = [f"x{i}" for i in range(1, 11)]
    node = parse(text)
    roots = [node, *(derivative(node, n) for n in names)]
    tape = Tape(roots, names)
    rng = np.random.default_rng(17)
    for _ in range(20):
        x = rng.uniform(0.2, 3.0, 10).tolist()
        slow = tape._interpret(x)
        assert tape(x) == slow  # first call interprets, later ones run the generated code
        assert tape(x) == slow and tape._fast is not None


def test_generated_tape_raises_as_the_interpreted_one():

    tape = Tape([parse("a / b"), parse("log(a)")], ["a", "b"])
    assert tape([1.0, 2.0]) == tape([1.0, 2.0]) == [0.5, 0.0]
    with pytest.raises(ZeroDivisionError):
        tape([1.0, 0.0])
    with pytest.raises(ValueError):
        tape([-1.0, 1.0])


def test_tapes_and_derivatives_are_safe_across_threads():
    """Hash-consed nodes, support maps and generated tapes are shared by the API's threads."""
    from concurrent.futures import ThreadPoolExecutor

    from jiliang.uncertainty import gum, model_from_dict

    def one(k: int) -> float:
        m = model_from_dict(
            {
                "model": {"y": f"a * exp(b / {k + 1}) + solve(t**3 + a*t - {k + 10}, t, 0, 100)"},
                "inputs": {
                    "a": {"dist": "normal", "mean": 2, "sd": 0.1},
                    "b": {"dist": "normal", "mean": 1, "sd": 0.1},
                },
                "method": {"montecarlo": False},
            }
        )
        return gum(m)["y"].u

    serial = [one(k % 40) for k in range(200)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda k: one(k % 40), range(200)))
    assert parallel == serial
