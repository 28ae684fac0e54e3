"""Derivatives of one expression at a point by sweeps over its nodes, without building them
symbolically: all first derivatives ∂f/∂xᵢ by one reverse (adjoint) sweep, and the diagonal second
derivatives ∂²f/∂xᵢ² by one forward pass of second-order Taylor arithmetic per input (Griewank &
Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008, §3.2 and §13.2).

Differentiating f symbolically once per input, and its derivatives once more, is what a new
model cost most; the sweeps cost a few operations per node. Their results are the exact
derivatives up to rounding. Every local derivative is evaluated unconditionally, as in the symbolic
derivative, so a point where one is not defined (x**1.5 at 0 for the second derivative, the
other branch of where()) raises the same ``ZeroDivisionError``/``ValueError``.

Like :class:`~jiliang.uncertainty.expr.Tape`, a sweep is interpreted on its first call and written
as straight-line Python from its second, when it has at most
:data:`~jiliang.uncertainty.expr.MAX_GENERATED` steps (the same formulas in the same order, so the
same rounding); the generated text holds slot numbers and the fixed formulas below, nothing of the
model file's text.

Examples
--------
>>> from jiliang.uncertainty.expr import parse
>>> s = Sweeps(parse("x**3 * y + exp(y)"), ("x", "y"))
>>> v = s.values((2.0, 0.0))
>>> s.inputs, s.gradient(v), s.curvature(v)
([0, 1], [0.0, 9.0], [0.0, 1.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from jiliang.uncertainty import expr

__all__ = ["NoRuleError", "Sweeps", "supported"]


class NoRuleError(ValueError):
    """An operation of the expression has no rule here (``solve``, ``ellipk``, ``ellipe``)."""


#: Taylor rules: the formulas of d and e of a node from its value ``v``, its operands ``a``, ``b``
#: (``c`` the condition of ``where``) with their first (``da``, ``db``) and second (``ea``, ``eb``)
#: derivatives; ``d`` in the second formula is the node's own first derivative.
_TAYLOR: dict[str, tuple[str, str]] = {
    "add": ("{da} + {db}", "{ea} + {eb}"),
    "sub": ("{da} - {db}", "{ea} - {eb}"),
    "neg": ("-{da}", "-{ea}"),
    "mul": ("{da} * {b} + {a} * {db}", "{ea} * {b} + 2.0 * {da} * {db} + {a} * {eb}"),
    "div": ("({da} - {v} * {db}) / {b}", "({ea} - 2.0 * {d} * {db} - {v} * {eb}) / {b}"),
    "pow_a": (
        "{b} * P({a}, {b} - 1.0) * {da}",
        "{b} * P({a}, {b} - 1.0) * {ea} + {b} * ({b} - 1.0) * P({a}, {b} - 2.0) * {da} * {da}",
    ),
    "pow_b": ("{v} * log({a}) * {db}", "{v} * log({a}) * ({eb} + log({a}) * {db} * {db})"),
    "pow_ab": (
        "{v} * ({db} * log({a}) + {b} * {da} / {a})",
        "{d} * ({db} * log({a}) + {b} * {da} / {a}) + {v} * ({eb} * log({a}) + 2.0 * {db} * {da} / {a}"
        " + {b} * ({ea} * {a} - {da} * {da}) / ({a} * {a}))",
    ),
    "sqrt": ("0.5 * {da} / {v}", "(0.5 * {ea} - {d} * {d}) / {v}"),
    "exp": ("{v} * {da}", "{v} * ({ea} + {da} * {da})"),
    "log": ("{da} / {a}", "({ea} - {d} * {da}) / {a}"),
    "log10": ("{da} / ({a} * LN10)", "({ea} - {da} * {da} / {a}) / ({a} * LN10)"),
    "sin": ("cos({a}) * {da}", "cos({a}) * {ea} - {v} * {da} * {da}"),
    "cos": ("-sin({a}) * {da}", "-sin({a}) * {ea} - {v} * {da} * {da}"),
    "tan": ("(1.0 + {v} * {v}) * {da}", "(1.0 + {v} * {v}) * ({ea} + 2.0 * {v} * {da} * {da})"),
    "asin": (
        "{da} / sqrt(1.0 - {a} * {a})",
        "{ea} / sqrt(1.0 - {a} * {a}) + {a} * {da} * {da} / sqrt(1.0 - {a} * {a}) ** 3",
    ),
    "acos": (
        "-{da} / sqrt(1.0 - {a} * {a})",
        "-{ea} / sqrt(1.0 - {a} * {a}) - {a} * {da} * {da} / sqrt(1.0 - {a} * {a}) ** 3",
    ),
    "atan": (
        "{da} / (1.0 + {a} * {a})",
        "{ea} / (1.0 + {a} * {a}) - 2.0 * {a} * {da} * {da} / ((1.0 + {a} * {a}) * (1.0 + {a} * {a}))",
    ),
    "atan2": (
        "({b} * {da} - {a} * {db}) / ({a} * {a} + {b} * {b})",
        "({b} * {ea} - {a} * {eb} - 2.0 * {d} * ({a} * {da} + {b} * {db})) / ({a} * {a} + {b} * {b})",
    ),
    "abs": ("(({a} > 0) - ({a} < 0)) * {da}", "(({a} > 0) - ({a} < 0)) * {ea}"),
    "min": ("({da} if {a} <= {b} else {db})", "({ea} if {a} <= {b} else {eb})"),
    "max": ("({da} if {b} <= {a} else {db})", "({ea} if {b} <= {a} else {eb})"),
    "where": ("({da} if {c} else {db})", "({ea} if {c} else {eb})"),
}
#: Adjoint rules: what a node with adjoint ``w`` adds to the adjoint of its first and second
#: operand (``a``, ``b``; for ``where`` the branches, ``c`` its condition).
_ADJOINT: dict[str, tuple[str, str]] = {
    "add": ("{w}", "{w}"),
    "sub": ("{w}", "-{w}"),
    "neg": ("-{w}", ""),
    "mul": ("{w} * {b}", "{w} * {a}"),
    "div": ("{w} / {b}", "-{w} * {v} / {b}"),
    "pow": ("{w} * ({b} * P({a}, {b} - 1.0))", "{w} * ({v} * log({a}))"),
    "sqrt": ("{w} * (0.5 / {v})", ""),
    "exp": ("{w} * {v}", ""),
    "log": ("{w} / {a}", ""),
    "log10": ("{w} / ({a} * LN10)", ""),
    "sin": ("{w} * cos({a})", ""),
    "cos": ("-{w} * sin({a})", ""),
    "tan": ("{w} * (1.0 + {v} * {v})", ""),
    "asin": ("{w} / sqrt(1.0 - {a} * {a})", ""),
    "acos": ("-{w} / sqrt(1.0 - {a} * {a})", ""),
    "atan": ("{w} / (1.0 + {a} * {a})", ""),
    "atan2": ("{w} * {b} / ({a} * {a} + {b} * {b})", "-{w} * {a} / ({a} * {a} + {b} * {b})"),
    "abs": ("{w} * (({a} > 0) - ({a} < 0))", ""),
    "min": ("({w} if {a} <= {b} else 0.0)", "(0.0 if {a} <= {b} else {w})"),
    "max": ("({w} if {b} <= {a} else 0.0)", "(0.0 if {b} <= {a} else {w})"),
    "where": ("({w} if {c} else 0.0)", "(0.0 if {c} else {w})"),
}
#: Operations whose derivative is zero wherever it is defined (their nodes count as constants).
_FLAT = frozenset({"const", "sign", "le", "lt"})
_NAMESPACE: dict[str, Any] = {
    "P": lambda a, b: float(a**b),  # as expr's scalar pow
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "sqrt": math.sqrt,
    "LN10": math.log(10.0),
}
_ARGS = ("v", "a", "da", "ea", "b", "db", "eb", "c", "w")


def _function(name: str, body: list[str]) -> Callable[..., Any]:
    """``body`` (lines of fixed text, never a model's) as a function of :data:`_ARGS`."""
    src = f"def r({', '.join(_ARGS)}):\n" + "".join(f" {line}\n" for line in body)
    space = dict(_NAMESPACE)
    exec(compile(src, f"<jiliang sweeps {name}>", "exec"), space)  # noqa: S102
    fn: Callable[..., Any] = space["r"]
    return fn


_SAME = {n: n for n in (*_ARGS, "d")}
_TAYLOR_FN = {
    k: _function(k, [f"d = {d.format(**_SAME)}", f"return d, {e.format(**_SAME)}"])
    for k, (d, e) in _TAYLOR.items()
}
_ADJOINT_FN = {
    k: (
        _function(k, [f"return {a.format(**_SAME)}"]),
        _function(k, [f"return {b.format(**_SAME)}"]) if b else None,
    )
    for k, (a, b) in _ADJOINT.items()
}

#: A step: (rule, node slot, operand slots, which operands depend on the input(s)).
Step = tuple[str, int, tuple[int, ...], tuple[bool, ...]]


_KNOWN = frozenset(_ADJOINT) | _FLAT | {"var", "sum"}
_KINKS = frozenset({"abs", "min", "max", "where"})


def supported(node: expr.Node) -> bool:
    """True if every operation in ``node`` has rules here (all but ``solve``, ``ellipk``, ``ellipe``)."""
    return all(n.op in _KNOWN for n in _order(node)[0])


def _dependencies(
    order: Sequence[expr.Node], ops: Sequence[tuple[int, ...]], bit: dict[str, int]
) -> list[int]:
    """Per node: the inputs its derivative may depend on, as a bit mask over the input positions
    (none through a node of zero derivative: sign, a comparison)."""
    deps: list[int] = []
    for n, o in zip(order, ops, strict=True):
        if n.op == "var":
            deps.append(bit.get(n.name, 0))
        elif n.op in _FLAT or not o:
            deps.append(0)
        elif len(o) == 1:
            deps.append(deps[o[0]])
        else:
            m = 0
            for j in o:
                m |= deps[j]
            deps.append(m)
    return deps


def _order(root: expr.Node) -> tuple[list[expr.Node], list[tuple[int, ...]]]:
    """The distinct nodes of ``root``'s DAG, each after its operands, and each node's operand slots."""
    out: list[expr.Node] = []
    ops: list[tuple[int, ...]] = []
    at: dict[int, int] = {}
    stack: list[tuple[expr.Node, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in at:
            continue
        if ready or not node.args:
            at[id(node)] = len(out)
            out.append(node)
            ops.append(tuple([at[id(a)] for a in node.args]))
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args) if id(a) not in at)
    return out, ops


class Sweeps:
    """The values of the nodes of one expression at a point (:meth:`values`), and from them its
    first derivatives (:meth:`gradient`) and diagonal second derivatives (:meth:`curvature`) for
    each input it depends on (:attr:`inputs`, indices into ``names``).

    Raises :class:`NoRuleError` for an expression with an operation not :func:`supported`.
    """

    def __init__(self, node: expr.Node, names: Sequence[str]) -> None:
        order, ops = _order(node)
        if not all(n.op in _KNOWN for n in order):
            raise NoRuleError("no derivative rule for an operation of this expression")
        self._tape = expr.Tape(order, names, ordered=True)
        deps = _dependencies(order, ops, {name: 1 << i for i, name in enumerate(names)})
        reached = sorted(_reached(order, ops, deps))
        self.inputs = [i for i in range(len(names)) if deps[-1] >> i & 1]
        #: whether f has a kink: abs, min, max or where (the checks then look for them)
        self.kinked = any(n.op in _KINKS for n in order)
        position = {i: p for p, i in enumerate(self.inputs)}
        #: per input of :attr:`inputs`: the slots of its variable (one, unless a node was rebuilt)
        self.loads: list[list[int]] = [[] for _ in self.inputs]
        self.reverse: list[Step] = []
        self.passes: list[list[Step]] = [[] for _ in self.inputs]
        for k in reached:
            n, o, mask = order[k], ops[k], deps[k]
            if n.op == "var":
                p = position[mask.bit_length() - 1]
                self.loads[p].append(k)
                self.passes[p].append(("var", k, o, ()))
                continue
            self.reverse.append((n.op, k, o, tuple([deps[j] != 0 for j in o])))
            unary = (n.op, k, o, (True,))  # its operand depends on every input the node does
            while mask:
                low = mask & -mask
                mask ^= low
                i = low.bit_length() - 1
                if len(o) == 1:
                    self.passes[position[i]].append(unary)
                    continue
                flags = tuple([deps[j] >> i & 1 == 1 for j in o])
                self.passes[position[i]].append((_taylor_rule(n.op, flags), k, o, flags))
        self.reverse.reverse()
        #: per pass: the slots whose second derivative is 0 by structure (linear in the input so far)
        self.linear = [_linear(steps) for steps in self.passes]
        self.root = len(order) - 1
        self._calls = [0, 0]
        self._sizes = (len(self.reverse), sum(len(steps) for steps in self.passes))
        self._fast: list[Callable[[list[float]], list[float]] | None] = [None, None]

    def values(self, x: Sequence[float]) -> list[float]:
        """Every node's value at ``x`` (raises as ``math`` does)."""
        return self._tape(x)

    def gradient(self, v: list[float]) -> list[float]:
        """∂f/∂xᵢ for each of :attr:`inputs`, from the node values ``v`` (one reverse sweep)."""
        return self._run(0, v)

    def curvature(self, v: list[float]) -> list[float]:
        """∂²f/∂xᵢ² for each of :attr:`inputs`, from the node values ``v`` (one pass per input)."""
        return self._run(1, v)

    def _run(self, which: int, v: list[float]) -> list[float]:
        fast = self._fast[which]
        if fast is None:
            self._calls[which] += 1
            if self._calls[which] < 2 or self._sizes[which] > expr.MAX_GENERATED:
                return self._adjoint(v) if which == 0 else self._taylor(v)
            fast = self._fast[which] = _generate_adjoint(self) if which == 0 else _generate_taylor(self)
        return fast(v)

    def _adjoint(self, v: list[float]) -> list[float]:
        w: dict[int, float] = {self.root: 1.0}
        for key, k, ops, dep in self.reverse:
            wk = w[k]
            if key == "sum":
                for j, dj in zip(ops, dep, strict=True):
                    if dj:
                        w[j] = w[j] + wk if j in w else wk
                continue
            args = _values(v, ops)
            for (fn, j), dj in zip(_targets(key, ops), dep[-2:] if key == "where" else dep, strict=False):
                if dj and fn is not None:
                    add = fn(v[k], *args, wk)
                    w[j] = w[j] + add if j in w else add
        return [_load_sum(w, slots) for slots in self.loads]

    def _taylor(self, v: list[float]) -> list[float]:
        out: list[float] = []
        for steps, linear in zip(self.passes, self.linear, strict=True):
            d: dict[int, float] = {}
            e: dict[int, float] = {}
            for key, k, ops, dep in steps:
                if key == "var":
                    d[k], e[k] = 1.0, 0.0
                elif key == "sum":
                    terms = [j for j, dj in zip(ops, dep, strict=True) if dj]
                    acc = d[terms[0]]
                    for j in terms[1:]:
                        acc = acc + d[j]
                    d[k] = acc
                    e[k] = _sum_e(e, [j for j in terms if j not in linear])
                else:
                    d[k], e[k] = _TAYLOR_FN[key](v[k], *_operands(v, d, e, ops, dep), 0.0)
                if k in linear:
                    e[k] = 0.0
            out.append(e[self.root])
        return out


def _sum_e(e: dict[int, float], terms: list[int]) -> float:
    """The second derivative of a sum from its terms that are not linear (0.0 if none)."""
    if not terms:
        return 0.0
    acc = e[terms[0]]
    for j in terms[1:]:
        acc = acc + e[j]
    return acc


#: Operations whose second derivative is 0 when their dependent operands' are (and, for mul, only
#: one operand depends on the input; for div, only the numerator).
_LINEAR_OPS = frozenset({"add", "sub", "neg", "sum", "abs", "min", "max", "where"})


def _linear(steps: Sequence[Step]) -> set[int]:
    """The slots of a pass whose second derivative is 0 by structure: the variable, and sums,
    scalings and selections of such slots. Their formulas are not evaluated for e."""
    linear: set[int] = set()
    for key, k, ops, dep in steps:
        if key == "var":
            ok = True
        elif key == "mul":
            ok = dep[0] != dep[1] and (ops[0] if dep[0] else ops[1]) in linear
        elif key == "div":
            ok = not dep[1] and ops[0] in linear
        elif key not in _LINEAR_OPS:
            ok = False
        elif len(ops) == 1:
            ok = ops[0] in linear
        else:
            ok = True
            for p in range(1 if key == "where" else 0, len(ops)):
                if dep[p] and ops[p] not in linear:
                    ok = False
                    break
        if ok:
            linear.add(k)
    return linear


def _reached(order: Sequence[expr.Node], ops: Sequence[tuple[int, ...]], deps: Sequence[int]) -> set[int]:
    """The slots whose derivative reaches the root: not through a node of zero derivative (sign,
    a comparison) nor the condition of where(); only these are differentiated, as symbolically."""
    root = len(order) - 1
    reached = {root} if deps[root] else set()
    for k in range(root, -1, -1):
        if k not in reached or order[k].op == "var":
            continue
        targets = ops[k][1:] if order[k].op == "where" else ops[k]
        reached.update(j for j in targets if deps[j])
    return reached


def _load_sum(w: dict[int, float], slots: list[int]) -> float:
    """The adjoint of an input: of its variable's node (the sum, if it was rebuilt as several)."""
    total = w[slots[0]]
    for k in slots[1:]:
        total = total + w[k]
    return total


def _targets(key: str, ops: tuple[int, ...]) -> list[tuple[Callable[..., Any] | None, int]]:
    """The adjoint functions of a node with the operand slot each one adds to."""
    first, second = _ADJOINT_FN[key]
    if key == "where":
        return [(first, ops[1]), (second, ops[2])]
    return [(first, ops[0]), (second, ops[1] if len(ops) > 1 else -1)]


def _values(v: list[float], ops: tuple[int, ...]) -> tuple[float, ...]:
    """(a, da, ea, b, db, eb, c) for an adjoint rule: operand values, derivatives unused (0)."""
    if len(ops) == 3:
        return (v[ops[1]], 0.0, 0.0, v[ops[2]], 0.0, 0.0, v[ops[0]])
    if len(ops) == 1:
        return (v[ops[0]], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return (v[ops[0]], 0.0, 0.0, v[ops[1]], 0.0, 0.0, 0.0)


def _taylor_rule(op: str, flags: tuple[bool, ...]) -> str:
    """The Taylor rule of an operation (``pow`` by which of its operands depend on the input)."""
    if op != "pow":
        return op
    return "pow_ab" if flags[0] and flags[1] else ("pow_a" if flags[0] else "pow_b")


def _operands(
    v: list[float], d: dict[int, float], e: dict[int, float], ops: tuple[int, ...], dep: tuple[bool, ...]
) -> tuple[float, ...]:
    """(a, da, ea, b, db, eb, c) of a Taylor step: an operand free of the input has d = e = 0."""
    if len(ops) == 3:  # where(c, a, b)
        c, a, b = ops
        da, db = dep[1], dep[2]
        return (
            v[a],
            d[a] if da else 0.0,
            e[a] if da else 0.0,
            v[b],
            d[b] if db else 0.0,
            e[b] if db else 0.0,
            v[c],
        )
    a = ops[0]
    out = (v[a], d[a] if dep[0] else 0.0, e[a] if dep[0] else 0.0)
    if len(ops) == 1:
        return (*out, 0.0, 0.0, 0.0, 0.0)
    b = ops[1]
    return (*out, v[b], d[b] if dep[1] else 0.0, e[b] if dep[1] else 0.0, 0.0)


def _names(k: int, ops: tuple[int, ...], d_of: Sequence[str], e_of: Sequence[str]) -> dict[str, str]:
    """The placeholders of a rule for node ``k`` in generated code; ``d_of``, ``e_of`` are the
    texts of the operands' first and second derivatives."""
    names = {"v": f"v[{k}]", "d": f"d{k}", "w": f"w{k}"}
    pos = (1, 2, 0) if len(ops) == 3 else (0, 1, -1)  # where(c, a, b)
    for letter, p in zip("abc", pos, strict=True):
        if 0 <= p < len(ops):
            names[letter] = f"v[{ops[p]}]"
            names["d" + letter], names["e" + letter] = d_of[p], e_of[p]
        else:
            names[letter] = names["d" + letter] = names["e" + letter] = "0.0"
    return names


def _compile(lines: list[str], name: str) -> Callable[[list[float]], list[float]]:
    space = dict(_NAMESPACE)
    exec(compile("\n".join(lines), f"<jiliang {name}>", "exec"), space)  # noqa: S102
    fn: Callable[[list[float]], list[float]] = space["_sweep"]
    return fn


def _generate_adjoint(s: Sweeps) -> Callable[[list[float]], list[float]]:
    """The reverse sweep as one straight-line function of the node values (same formulas, order)."""
    lines = ["def _sweep(v):", f" w{s.root} = 1.0"]
    assigned = {s.root}

    def add(j: int, text: str) -> None:
        lines.append(f" w{j} = w{j} + {text}" if j in assigned else f" w{j} = {text}")
        assigned.add(j)

    for key, k, ops, dep in s.reverse:
        if key == "sum":
            for j, dj in zip(ops, dep, strict=True):
                if dj:
                    add(j, f"w{k}")
            continue
        names = _names(k, ops, ["0.0"] * len(ops), ["0.0"] * len(ops))
        rules = _ADJOINT[key]
        targets = (
            [(rules[0], ops[1]), (rules[1], ops[2])]
            if key == "where"
            else list(zip(rules, ops, strict=False))
        )
        for (text, j), dj in zip(targets, dep[-2:] if key == "where" else dep, strict=False):
            if dj and text:
                add(j, "(" + text.format(**names) + ")")
    totals = [" + ".join(f"w{k}" for k in slots) for slots in s.loads]
    lines.append(" return [" + ", ".join(totals) + "]")
    return _compile(lines, "adjoint sweep")


def _generate_taylor(s: Sweeps) -> Callable[[list[float]], list[float]]:
    """The Taylor passes as one straight-line function of the node values (same formulas, order)."""
    lines = ["def _sweep(v):", " out = []"]
    for steps, linear in zip(s.passes, s.linear, strict=True):
        for key, k, ops, dep in steps:
            if key == "var":
                lines.append(f" d{k} = 1.0")
                continue
            if key == "sum":
                terms = [j for j, dj in zip(ops, dep, strict=True) if dj]
                lines.append(f" d{k} = " + " + ".join(f"d{j}" for j in terms))
                if k not in linear:
                    lines.append(f" e{k} = " + " + ".join(f"e{j}" for j in terms if j not in linear))
                continue
            d_of = [f"d{j}" if dj else "0.0" for j, dj in zip(ops, dep, strict=True)]
            e_of = [f"e{j}" if dj and j not in linear else "0.0" for j, dj in zip(ops, dep, strict=True)]
            names = _names(k, ops, d_of, e_of)
            d_text, e_text = _TAYLOR[key]
            lines.append(f" d{k} = {d_text.format(**names)}")
            if k not in linear:
                lines.append(f" e{k} = {e_text.format(**names)}")
        lines.append(" out.append(0.0)" if s.root in linear else f" out.append(e{s.root})")
    lines.append(" return out")
    return _compile(lines, "taylor passes")
