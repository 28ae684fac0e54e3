"""Complex quantities as pairs of real ones (JCGM 102:2011 §6: a complex quantity is the bivariate
quantity of its real and imaginary parts, with their 2 × 2 covariance matrix).

A complex input ``Z: {complex: {re, im, u_re, u_im, r}}`` becomes the real inputs ``Z_re`` and
``Z_im`` (normal, correlated by ``r``); a complex output ``W: {complex: "expression"}`` becomes
the real outputs ``W_re`` and ``W_im`` (and, on request, ``W_mag`` = |W| and ``W_phase`` = arg W
in radians), whose GUM and Monte Carlo covariance is the 2 × 2 (or larger) matrix of §6.

The complex expression is rewritten into two real expressions by the rules of complex arithmetic
(:func:`split`); they then go through the ordinary parser, so the allow-list applies unchanged.
Operators: ``+ - * /``, integer powers ``**n`` (|n| ≤ 16), the imaginary unit ``j`` (``1j`` or
``j``), functions ``conj re im abs arg exp sqrt`` — ``abs`` and ``arg`` give real results.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = ["PARTS", "complex_input", "split"]

#: The real outputs a complex output may ask for, and their suffixes.
PARTS = {"re": "_re", "im": "_im", "mag": "_mag", "phase": "_phase"}
_MAX_POWER = 16

Pair = tuple[str, str]
_ZERO = "0"


def _bad(text: str, why: str) -> UncertaintyModelError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return UncertaintyModelError(f"complex expression {shown!r}: {why}")


def _add(a: str, b: str, sign: str = "+") -> str:
    if b == _ZERO:
        return a
    if a == _ZERO:
        return b if sign == "+" else f"(-({b}))"
    return f"({a} {sign} {b})"


def _mul(a: str, b: str) -> str:
    if _ZERO in (a, b):
        return _ZERO
    return f"({a}) * ({b})"


def _times(x: Pair, y: Pair) -> Pair:
    (a, b), (c, d) = x, y
    return _add(_mul(a, c), _mul(b, d), "-"), _add(_mul(a, d), _mul(b, c))


def _divide(x: Pair, y: Pair) -> Pair:
    (a, b), (c, d) = x, y
    if d == _ZERO:
        return (f"({a}) / ({c})", _ZERO if b == _ZERO else f"({b}) / ({c})")
    den = f"(({c})**2 + ({d})**2)"
    return f"({_add(_mul(a, c), _mul(b, d))}) / {den}", f"({_add(_mul(b, c), _mul(a, d), '-')}) / {den}"


def split(text: str, complex_names: frozenset[str]) -> Pair:
    """The real and imaginary parts of the complex expression ``text`` as two real expressions;
    a name in ``complex_names`` stands for ``name_re + j·name_im``, any other name is real.

    >>> split("Z * j", frozenset({"Z"}))
    ('(-((Z_im) * (1.0)))', '(Z_re) * (1.0)')
    """
    if not isinstance(text, str) or not text.strip() or len(text) > 4000:
        raise UncertaintyModelError("a complex expression must be text of 1 to 4000 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise _bad(text, "cannot be parsed") from None
    return _walk(tree.body, text, complex_names, 0)


def _walk(node: ast.AST, text: str, names: frozenset[str], depth: int) -> Pair:
    if depth > 60:
        raise _bad(text, "nested too deeply")

    def walk(n: ast.AST) -> Pair:
        return _walk(n, text, names, depth + 1)

    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, complex):
            return repr(v.real), repr(v.imag)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
            raise _bad(text, f"constant {v!r} is not a number")
        return repr(float(v)), _ZERO
    if isinstance(node, ast.Name):
        if node.id == "j":
            return _ZERO, "1.0"
        if node.id in names:
            return f"{node.id}_re", f"{node.id}_im"
        return node.id, _ZERO  # a real quantity (checked by the real parser)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        a, b = walk(node.operand)
        if isinstance(node.op, ast.UAdd):
            return a, b
        return _add(_ZERO, a, "-"), _add(_ZERO, b, "-")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            return _power(node, text, walk)
        x, y = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Add | ast.Sub):
            sign = "+" if isinstance(node.op, ast.Add) else "-"
            return _add(x[0], y[0], sign), _add(x[1], y[1], sign)
        if isinstance(node.op, ast.Mult):
            return _times(x, y)
        if isinstance(node.op, ast.Div):
            return _divide(x, y)
        raise _bad(text, f"operator {type(node.op).__name__} is not allowed")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _bad(text, f"{node.func.id}() takes one argument")
        return _call(node.func.id, walk(node.args[0]), text)
    raise _bad(text, f"{type(node).__name__} is not allowed")


def _power(node: ast.BinOp, text: str, walk: Callable[[ast.AST], Pair]) -> Pair:
    exponent = node.right
    if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
        exponent, negative = exponent.operand, True
    else:
        negative = False
    if not (
        isinstance(exponent, ast.Constant) and type(exponent.value) is int and exponent.value <= _MAX_POWER
    ):
        raise _bad(text, f"only integer powers up to {_MAX_POWER} are allowed")
    base = walk(node.left)
    out: Pair = ("1.0", _ZERO)
    for _ in range(exponent.value):
        out = _times(out, base)
    return _divide(("1.0", _ZERO), out) if negative else out


def _call(name: str, x: Pair, text: str) -> Pair:
    a, b = x
    if name == "conj":
        return a, _add(_ZERO, b, "-")
    if name == "re":
        return a, _ZERO
    if name == "im":
        return b, _ZERO
    if name == "abs":
        return (f"abs({a})" if b == _ZERO else f"sqrt(({a})**2 + ({b})**2)"), _ZERO
    if name == "arg":
        return f"atan2({b}, {a})", _ZERO
    if name == "exp":
        if b == _ZERO:
            return f"exp({a})", _ZERO
        return f"exp({a}) * cos({b})", f"exp({a}) * sin({b})"
    if name == "sqrt":  # principal root: √|z| (cos(θ/2), sin(θ/2))
        r, t = f"sqrt(sqrt(({a})**2 + ({b})**2))", f"atan2({b}, {a}) / 2"
        return f"{r} * cos({t})", f"{r} * sin({t})"
    raise _bad(text, f"function {name!r} is not allowed; allowed: conj re im abs arg exp sqrt")


def complex_input(name: str, spec: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], float]:
    """``{re, im, u_re, u_im, r, dof}`` as the specifications of ``name_re`` and ``name_im``
    (normal, or t with the given dof) and their correlation r."""
    keys = {"re", "im", "u_re", "u_im"}
    extra = sorted(set(spec) - keys - {"r", "dof", "unit"})
    if extra or not keys <= set(spec):
        raise UncertaintyModelError(
            f"input {name!r}: a complex input is {{re, im, u_re, u_im}} with optional r, dof, unit"
            + (f"; unknown key(s) {extra}" if extra else "")
        )
    r = spec.get("r", 0.0)
    if isinstance(r, bool) or not isinstance(r, int | float) or not -1 <= r <= 1:
        raise UncertaintyModelError(f"input {name!r}: r must be a number in [-1, 1], got {r!r}")
    parts = []
    for part in ("re", "im"):
        d: dict[str, Any] = {"dist": "normal", "mean": spec[part], "sd": spec[f"u_{part}"]}
        if "dof" in spec:
            d["dof"] = spec["dof"]
        if "unit" in spec:
            d["unit"] = spec["unit"]
        parts.append(d)
    return parts[0], parts[1], float(r)
