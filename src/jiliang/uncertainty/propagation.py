"""The GUM uncertainty framework: law of propagation with exact derivatives (JCGM 100:2008).

* First order: u²(y) = Σᵢ Σⱼ cᵢ cⱼ u(xᵢ) u(xⱼ) r(xᵢ, xⱼ), cᵢ = ∂f/∂xᵢ at the estimates (§5.1.2,
  §5.2.2); several outputs: U_y = C U_x Cᵀ (JCGM 102:2011 §6.2.1).
* Second order (§5.1.2 note, independent inputs only): add
  Σᵢ Σⱼ [½ (∂²f/∂xᵢ∂xⱼ)² + ∂f/∂xᵢ · ∂³f/∂xᵢ∂xⱼ²] u²(xᵢ) u²(xⱼ).
* Effective degrees of freedom by Welch–Satterthwaite (§G.4.1). With correlated inputs the formula
  does not apply: correlated inputs must form ensembles with a common ν (as Type A evaluations
  from one set of observations, GUM H.2), each ensemble then counting as one term (Willink 2007);
  any other correlated case is refused.
* Coverage factor k = t_p(ν), with ν_eff truncated to the next lower integer (§G.6.4); k = z_p for
  ν = ∞ (§G.6.6).

Checks of the first-order result (each gives a :class:`GumWarning` in ``GumOutput.warnings``;
the §8 validation by Monte Carlo is then recommended, and :func:`~jiliang.uncertainty.evaluate`
runs it when the model asks for no Monte Carlo):

* ``abs_at_kink`` — the argument of ``abs`` is within :data:`KINK_SIGMAS` standard uncertainties
  of zero (where the derivative jumps from −1 to +1; at exactly zero it is taken as 0);
* ``min_max_tie`` — the two arguments of ``min``/``max`` differ by at most :data:`KINK_SIGMAS`
  standard uncertainties of their difference (the derivative taken is one-sided);
* ``zero_sensitivity`` — ∂f/∂xᵢ = 0 at the estimate but ∂²f/∂xᵢ² ≠ 0 (u(xᵢ) > 0): the first
  order ignores xᵢ entirely (GUM §5.1.2 note);
* ``sensitivity_sign_change`` — |∂f/∂xᵢ| ≤ |∂²f/∂xᵢ²| u(xᵢ): the derivative changes sign within
  ±u(xᵢ) of the estimate;
* ``second_order_significant`` — ½ Σᵢ (∂²f/∂xᵢ²)² u⁴(xᵢ) exceeds :data:`SECOND_ORDER_SHARE` of
  the first-order u²(y) (the diagonal second-order terms of §5.1.2, a screen only);
* ``zero_uncertainty`` — u(y) = 0 although y depends on an input with u(xᵢ) > 0.
* ``not_smooth`` — the second derivatives cannot be evaluated at the estimates (e.g. x**1.5 at 0).

Derivatives are exact: the first derivatives by one reverse (adjoint) sweep over the nodes of
each output, the diagonal second derivatives of the checks by forward Taylor passes
(:mod:`jiliang.uncertainty.sweeps`), both interpreted on first use and compiled to straight-line
Python from the second; symbolic derivatives (:func:`jiliang.uncertainty.expr.derivative`) where
the sweeps have no rule (``solve``, ``ellipk``, ``ellipe``), for ``gum_order`` 2 and the kinks, and
to name the derivative that is not defined at the estimates. Re-evaluating a model with new
estimates costs calls of generated functions only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from jiliang.uncertainty import expr
from jiliang.uncertainty.errors import UncertaintyModelError
from jiliang.uncertainty.model import Model
from jiliang.uncertainty.sweeps import NoRuleError, Sweeps

__all__ = [
    "KINK_SIGMAS",
    "SECOND_ORDER_SHARE",
    "BudgetLine",
    "CompiledModel",
    "GumOutput",
    "GumResult",
    "GumWarning",
    "compiled",
    "coverage_factor",
    "gum",
]

#: A kink (abs at 0, a tie in min/max) closer than this many standard uncertainties is reported.
KINK_SIGMAS = 2.0
#: Diagonal second-order variance above this share of the first-order u²(y) is reported.
SECOND_ORDER_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class GumWarning:
    """Why the first-order GUM result may misrepresent the model (codes in the module notes).

    ``input`` names the input concerned (or is empty), ``recommendation`` is ``montecarlo`` or
    ``second_order``.
    """

    code: str
    message: str
    input: str = ""
    recommendation: str = "montecarlo"


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One input's line of an uncertainty budget.

    ``sensitivity`` cᵢ = ∂f/∂xᵢ, ``u`` = u(xᵢ), ``contribution`` uᵢ(y) = |cᵢ| u(xᵢ), ``share`` its
    part of u²(y): cᵢ u(xᵢ) Σⱼ r(xᵢ, xⱼ) cⱼ u(xⱼ) / u²(y) (with independent inputs (cᵢ u(xᵢ))²/u²(y);
    with correlations a share may be negative; second-order terms are not attributed).
    """

    input: str
    x: float
    u: float
    dof: float
    sensitivity: float
    contribution: float
    share: float


@dataclass(frozen=True, slots=True)
class GumOutput:
    """The GUM result for one output: y, u(y), ν_eff, k, U = k u(y) and [y − U, y + U]."""

    name: str
    y: float
    u: float
    dof: float
    k: float
    U: float
    p: float
    interval: tuple[float, float]
    order: int
    warnings: tuple[GumWarning, ...] = ()
    #: What :attr:`budget` is built from on demand: the input names, x, u(x), ν, cᵢ, cᵢ u(xᵢ),
    #: Σⱼ r(xᵢ, xⱼ) cⱼ u(xⱼ) and the variance u²(y).
    terms: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def budget(self) -> tuple[BudgetLine, ...]:
        """The uncertainty budget, one :class:`BudgetLine` per input."""
        if not self.terms:
            return ()
        names, x, u, dofs, c, cu, rcu, var = self.terms
        return tuple(
            BudgetLine(
                input=names[i],
                x=x[i],
                u=u[i],
                dof=dofs[i],
                sensitivity=c[i],
                contribution=abs(cu[i]),
                share=cu[i] * rcu[i] / var + 0.0 if var > 0 else 0.0,
            )
            for i in range(len(names))
        )


@dataclass(frozen=True, slots=True)
class GumResult:
    """All outputs with their covariance and correlation matrices (JCGM 102 §6.2)."""

    outputs: tuple[GumOutput, ...]
    covariance: tuple[tuple[float, ...], ...]
    correlation: tuple[tuple[float, ...], ...]

    def __getitem__(self, name: str) -> GumOutput:
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)


class CompiledModel:
    """A model compiled once: for each output the :class:`~jiliang.uncertainty.sweeps.Sweeps`
    giving its value, first derivatives and diagonal second derivatives from one evaluation of its
    nodes; array closures for the Monte Carlo; and, on demand, the symbolic derivatives: a
    :class:`~jiliang.uncertainty.expr.Tape` of every output and its non-zero first derivatives
    (used when the sweeps have no rule for an operation, and to name the derivative that fails at
    the estimates) and the second- and third-order derivatives of GUM §5.1.2."""

    def __init__(self, nodes: tuple[expr.Node, ...], names: tuple[str, ...]) -> None:
        self.nodes = nodes
        self.names = names
        self._arrays: list[expr.ArrayFn] | None = None
        self._symbolic: (
            tuple[expr.Tape, list[expr.Node], list[str], list[tuple[int, list[tuple[int, int]]]]] | None
        )
        self._symbolic = None
        self.sweeps: list[Sweeps] | None = None
        try:
            self.sweeps = [Sweeps(n, names) for n in nodes]
        except NoRuleError:
            self._build_symbolic()
        except RecursionError:
            raise UncertaintyModelError("model nested too deeply to differentiate") from None
        self._second: dict[int, tuple[list[tuple[int, int]], expr.Tape]] = {}
        self._checks: dict[int, _Checks] = {}

    def _build_symbolic(
        self,
    ) -> tuple[expr.Tape, list[expr.Node], list[str], list[tuple[int, list[tuple[int, int]]]]]:
        if self._symbolic is not None:
            return self._symbolic
        roots: list[expr.Node] = []
        labels: list[str] = []
        layout: list[tuple[int, list[tuple[int, int]]]] = []
        try:
            for n in self.nodes:
                at = len(roots)
                roots.append(n)
                labels.append("")
                grads = []
                for i, name in enumerate(self.names):
                    d = expr.derivative(n, name)
                    if not (d.op == "const" and d.value == 0.0):
                        grads.append((i, len(roots)))
                        roots.append(d)
                        labels.append(name)
                layout.append((at, grads))
            self._symbolic = (expr.Tape(roots, self.names), roots, labels, layout)
        except RecursionError:
            raise UncertaintyModelError("model nested too deeply to differentiate") from None
        return self._symbolic

    @property
    def tape(self) -> expr.Tape:
        """The symbolic tape: every output and its non-zero first derivatives (built on demand)."""
        return self._build_symbolic()[0]

    @property
    def roots(self) -> list[expr.Node]:
        """The expressions of :attr:`tape`: each output followed by its non-zero derivatives."""
        return self._build_symbolic()[1]

    @property
    def labels(self) -> list[str]:
        """Per root of :attr:`tape`: the input it is the derivative in ('' for an output)."""
        return self._build_symbolic()[2]

    @property
    def layout(self) -> list[tuple[int, list[tuple[int, int]]]]:
        """Per output: (position of f in the tape values, [(input index, position of ∂f/∂xᵢ)])."""
        return self._build_symbolic()[3]

    @property
    def arrays(self) -> list[expr.ArrayFn]:
        """Closures over NumPy arrays for the Monte Carlo (compiled when first asked for)."""
        if self._arrays is None:
            self._arrays = [expr.compile_array(n, self.names) for n in self.nodes]
        return self._arrays

    def checks(self, out: int) -> _Checks:
        """The kinks and the diagonal second derivatives of output ``out`` (built once)."""
        if out not in self._checks:
            try:
                sweeps = self.sweeps[out] if self.sweeps is not None else None
                self._checks[out] = _Checks(self.nodes[out], self.names, sweeps)
            except RecursionError:
                raise UncertaintyModelError("model nested too deeply to differentiate") from None
        return self._checks[out]

    def second_order(self, out: int) -> tuple[list[tuple[int, int]], expr.Tape]:
        """For output ``out``: the pairs (i, j) with a non-zero term, and a tape giving
        ∂²f/∂xᵢ∂xⱼ, ∂³f/∂xᵢ∂xⱼ² for each pair in turn."""
        if out not in self._second:
            node, names = self.nodes[out], self.names
            pairs: list[tuple[int, int]] = []
            roots: list[expr.Node] = []
            try:
                for i, a in enumerate(names):
                    da = expr.derivative(node, a)
                    if da.op == "const":
                        continue
                    for j, b in enumerate(names):
                        d2 = expr.derivative(da, b)
                        d3 = expr.derivative(d2, b)
                        if not (
                            d2.op == "const" and d2.value == 0.0 and d3.op == "const" and d3.value == 0.0
                        ):
                            pairs.append((i, j))
                            roots.extend((d2, d3))
                self._second[out] = (pairs, expr.Tape(roots, names))
            except RecursionError:
                raise UncertaintyModelError("model nested too deeply to differentiate") from None
        return self._second[out]

    def locate(self, x: Sequence[float], roots: Sequence[expr.Node]) -> int:
        """Index of the first of ``roots`` that cannot be evaluated (or is not finite) at ``x``."""
        for k, root in enumerate(roots):
            try:
                value = expr.Tape([root], self.names)(x)[0]
            except (ArithmeticError, ValueError):
                return k
            if not math.isfinite(value):
                return k
        return 0


class _Checks:
    """For one output: each kink (abs argument, or min/max difference) with its gradient, in one
    tape, and ∂²f/∂xᵢ² for every input f depends on (by Taylor arithmetic, :mod:`.curvature`;
    symbolically for the operations it has no rule for)."""

    def __init__(self, node: expr.Node, names: tuple[str, ...], sweeps: Sweeps | None) -> None:
        roots: list[expr.Node] = []
        #: per kink: (kind, text, position of its value, [(input, position of its derivative)])
        self.kinks: list[tuple[str, str, int, list[tuple[int, int]]]] = []
        kinks = _kink_arguments(node) if sweeps is None or sweeps.kinked else []
        for kind, arg in kinks:
            at = len(roots)
            roots.append(arg)
            grads = []
            for i, name in enumerate(names):
                d = expr.derivative(arg, name)
                if not (d.op == "const" and d.value == 0.0):
                    grads.append((i, len(roots)))
                    roots.append(d)
            self.kinks.append((kind, str(arg), at, grads))
        #: (input, position of ∂²f/∂xᵢ² in the values)
        self.diagonal: list[tuple[int, int]] = []
        self.sweeps = sweeps
        if sweeps is not None:
            self.diagonal = [(i, len(roots) + p) for p, i in enumerate(sweeps.inputs)]
        else:
            for i, name in enumerate(names):
                d1 = expr.derivative(node, name)
                if d1.op == "const":
                    continue
                d2 = expr.derivative(d1, name)
                if not (d2.op == "const" and d2.value == 0.0):
                    self.diagonal.append((i, len(roots)))
                    roots.append(d2)
        self.tape = expr.Tape(roots, names) if roots else None

    def values(self, x: Sequence[float], nodes: list[float] | None = None) -> list[float]:
        """The kink values and gradients, then the second derivatives, at ``x`` (raises where
        one is not defined); ``nodes`` are the values of f's nodes at ``x`` if known."""
        values = self.tape(x) if self.tape is not None else []
        if self.sweeps is not None:
            values.extend(self.sweeps.curvature(nodes if nodes is not None else self.sweeps.values(x)))
        return values


def _kink_arguments(node: expr.Node) -> list[tuple[str, expr.Node]]:
    """The kinks of ``node``: the argument of each abs, the difference of the arguments of each
    min/max, the difference of the two sides of each where() condition."""
    kinks: list[tuple[str, expr.Node]] = []
    for n in expr.distinct_nodes(node, expr.operands):
        if n.op == "abs":
            kinks.append(("abs", n.args[0]))
        elif n.op in ("min", "max"):
            kinks.append((n.op, expr.Node("sub", n.args)))
        elif n.op == "where" and n.args[0].op in ("le", "lt"):
            kinks.append(("where", expr.Node("sub", n.args[0].args)))
    return kinks


def _warnings(
    cm: CompiledModel,
    out: int,
    x: Sequence[float],
    u: Sequence[float],
    c: Sequence[float],
    var: float,
    nodes: list[float] | None = None,
) -> tuple[GumWarning, ...]:
    """The checks of the module notes for output ``out`` (first-order variance ``var``; ``nodes``
    the values of its nodes at ``x`` if known)."""
    ch = cm.checks(out)
    names = cm.names
    values, found = _check_values(ch, x, nodes)
    if values:
        found.extend(_kink_warnings(ch, values, u))
        found.extend(_diagonal_warnings(ch, values, names, u, c, var))
    if var == 0.0:
        used = expr.symbols(cm.nodes[out])
        if any(u[i] > 0 and names[i] in used for i in range(len(names))):
            found.append(GumWarning("zero_uncertainty", "u(y) = 0 although y depends on uncertain inputs"))
    return tuple(found)


def _check_values(
    ch: _Checks, x: Sequence[float], nodes: list[float] | None
) -> tuple[list[float], list[GumWarning]]:
    """The kink values and second derivatives at ``x``, or none and ``not_smooth`` if undefined."""
    found: list[GumWarning] = []
    values: list[float] = []
    if ch.tape is not None or ch.sweeps is not None:
        try:
            values = ch.values(x, nodes)
        except (ArithmeticError, ValueError) as exc:
            values = []
            found.append(
                GumWarning(
                    "not_smooth",
                    f"second derivatives are not defined at the estimates ({exc}): "
                    "the model is not smooth there",
                )
            )
    return values, found


def _kink_warnings(ch: _Checks, values: Sequence[float], u: Sequence[float]) -> list[GumWarning]:
    """``abs_at_kink``, ``condition_near_boundary``, ``min_max_tie``: kinks within reach of u."""
    found: list[GumWarning] = []
    for kind, text, at, grads in ch.kinks:
        g = values[at]
        ug = math.sqrt(math.fsum((values[pos] * u[i]) ** 2 for i, pos in grads))
        if abs(g) <= KINK_SIGMAS * ug or g == 0.0:
            found.append(_kink_warning(kind, text, g, ug))
    return found


def _kink_warning(kind: str, text: str, g: float, ug: float) -> GumWarning:
    """The warning for one kink of ``kind`` whose argument ``g`` has standard uncertainty ``ug``."""
    if kind == "abs":
        return GumWarning(
            "abs_at_kink",
            f"abs({text}) is not differentiable at 0; its argument is {g:.6g} with standard uncertainty {ug:.3g}",
        )
    if kind == "where":
        return GumWarning(
            "condition_near_boundary",
            f"where(): the two sides of its condition differ by {g:.6g} with standard "
            f"uncertainty {ug:.3g}; the model switches branch there",
        )
    return GumWarning(
        "min_max_tie",
        f"{kind}(): the arguments differ by {g:.6g} with standard uncertainty "
        f"{ug:.3g}; the derivative taken is one-sided",
    )


def _diagonal_warnings(
    ch: _Checks,
    values: Sequence[float],
    names: tuple[str, ...],
    u: Sequence[float],
    c: Sequence[float],
    var: float,
) -> list[GumWarning]:
    """``zero_sensitivity``, ``sensitivity_sign_change``, ``second_order_significant`` (GUM §5.1.2)."""
    found: list[GumWarning] = []
    second = 0.0
    for i, pos in ch.diagonal:
        h = values[pos]
        if not math.isfinite(h) or h == 0.0 or u[i] == 0.0:
            continue
        second += 0.5 * (h * u[i] ** 2) ** 2
        if c[i] == 0.0:
            found.append(
                GumWarning(
                    "zero_sensitivity",
                    f"∂f/∂{names[i]} = 0 at the estimate but ∂²f/∂{names[i]}² = {h:.6g}: "
                    "the first order ignores this input",
                    names[i],
                    "second_order",
                )
            )
        elif abs(c[i]) <= abs(h) * u[i]:
            found.append(
                GumWarning(
                    "sensitivity_sign_change",
                    f"∂f/∂{names[i]} = {c[i]:.6g} changes sign within ±u({names[i]}) of the estimate",
                    names[i],
                )
            )
    if second > SECOND_ORDER_SHARE * var:
        found.append(
            GumWarning(
                "second_order_significant",
                f"second-order terms ({second:.3g}) are not negligible against the first-order "
                f"variance ({var:.3g})",
                recommendation="second_order",
            )
        )
    return found


def compiled(model: Model) -> CompiledModel:
    """The :class:`CompiledModel` of ``model`` (cached by its expressions, constants and inputs)."""
    return _compiled(model.outputs, model.constants, model.input_names)


@lru_cache(maxsize=256)
def _compiled(
    outputs: tuple[tuple[str, str], ...], constants: tuple[tuple[str, float], ...], names: tuple[str, ...]
) -> CompiledModel:
    from jiliang.uncertainty.model import _resolved

    return CompiledModel(_resolved(outputs, constants), names)


def coverage_factor(p: float, dof: float) -> float:
    """k_p from Student's t with ⌊ν⌋ degrees of freedom (GUM §G.6.4), or the normal for ν = ∞.

    >>> round(coverage_factor(0.99, 16.75), 3)
    2.921
    """
    return _coverage_factor(p, math.inf if math.isinf(dof) else float(max(math.floor(dof), 1)))


@lru_cache(maxsize=4096)
def _coverage_factor(p: float, nu: float) -> float:
    from scipy.special import ndtri, stdtrit

    q = (1 + p) / 2
    if math.isinf(nu):
        return float(ndtri(q))
    return float(stdtrit(nu, q))


def _ensembles(model: Model, shared: bool = True) -> list[list[int]]:
    """Groups of inputs linked by non-zero correlations (connected components), joined with the
    declared ensembles of one shared variance estimate when ``shared``."""
    groups = _groups(model.input_names, model.correlations, model.ensembles if shared else ())
    return [list(g) for g in groups]


@lru_cache(maxsize=256)
def _groups(
    names: tuple[str, ...],
    correlations: tuple[tuple[str, str, float], ...],
    ensembles: tuple[tuple[str, ...], ...],
) -> tuple[tuple[int, ...], ...]:
    n = len(names)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = {name: i for i, name in enumerate(names)}
    for a, b, r in correlations:
        if r != 0:
            parent[find(index[a])] = find(index[b])
    for group in ensembles:
        for a in group[1:]:
            parent[find(index[a])] = find(index[group[0]])
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return tuple(tuple(g) for g in groups.values())


def gum(model: Model) -> GumResult:
    """Evaluate ``model`` by the GUM uncertainty framework (JCGM 100:2008 §5, §G; JCGM 102 §6).

    Raises
    ------
    UncertaintyModelError
        If the model divides by zero or leaves its domain at the estimates, a derivative is not
        defined there, second order is asked with correlated inputs, or correlated inputs with
        finite degrees of freedom do not form an ensemble with a common ν.
    """
    cm = compiled(model)
    dists = model.inputs
    x = [d.x for d in dists]
    u = [d.u for d in dists]
    dofs = [d.dof for d in dists]
    order = model.method.gum_order
    groups = _checked_groups(model, dofs, order)
    y, c, nodes = _estimates(cm, model, x)
    cu, rcu, cov = _covariance(model, c, u)
    p = model.method.coverage
    m = len(model.outputs)
    first = [cov[k][k] for k in range(m)]
    outs = []
    for k, name in enumerate(model.output_names):
        var = cov[k][k]
        if order == 2:
            var = _second_order(cm, k, name, x, u, c[k], var)
            cov[k][k] = var
        uy = math.sqrt(var)
        dof = _welch_satterthwaite(model, groups, dofs, cu[k], var, first[k])
        kp = coverage_factor(p, dof)
        ck = c[k]
        terms = (model.input_names, x, u, dofs, ck, cu[k], rcu[k], var)
        big_u = kp * uy
        yk = y[k]
        found = _warnings(cm, k, x, u, ck, first[k], nodes[k] if nodes is not None else None)
        outs.append(GumOutput(name, yk, uy, dof, kp, big_u, p, (yk - big_u, yk + big_u), order, found, terms))
    return GumResult(
        tuple(outs),
        tuple(tuple(float(v) for v in row) for row in cov),
        tuple(tuple(row) for row in _correlation(cov)),
    )


def _checked_groups(model: Model, dofs: Sequence[float], order: int) -> tuple[tuple[int, ...], ...]:
    """The ensembles of correlated inputs, refused unless each has a common ν (GUM §G.4.1, H.2)."""
    if order == 2 and model.correlations:
        raise UncertaintyModelError("method.gum_order 2 needs independent inputs; the model has correlations")
    groups = _groups(model.input_names, model.correlations, model.ensembles)
    for g in groups:
        if len(g) == 1:
            continue
        nus = {dofs[i] for i in g}
        if len(nus) > 1:
            names = ", ".join(model.input_names[i] for i in g)
            raise UncertaintyModelError(
                f"inputs {names} are correlated but have different degrees of freedom "
                f"({', '.join(str(v) for v in sorted(nus))}); Welch–Satterthwaite does not apply"
            )
    return groups


def _estimates(
    cm: CompiledModel, model: Model, x: Sequence[float]
) -> tuple[list[float], list[list[float]], list[list[float]] | None]:
    """The output estimates yₖ and sensitivity coefficients cₖᵢ = ∂fₖ/∂xᵢ at ``x`` (GUM §5.1.3),
    and the values of each output's nodes when the sweeps gave them."""
    swept = _swept(cm, len(x), x)
    if swept is not None:
        return swept
    m, n = len(model.outputs), len(x)
    y = [0.0] * m
    c = [[0.0] * n for _ in range(m)]
    values = _tape_values(cm, model.output_names, x)
    for k, (at, grads) in enumerate(cm.layout):
        y[k] = values[at]
        row = c[k]
        for i, pos in grads:
            row[i] = values[pos] + 0.0
    return y, c, None


def _swept(
    cm: CompiledModel, n: int, x: Sequence[float]
) -> tuple[list[float], list[list[float]], list[list[float]]] | None:
    """yₖ and cₖᵢ by the sweeps (one evaluation of the nodes and one reverse sweep per output), or
    None if the model has no sweeps or a value is not defined or not finite at ``x`` (the symbolic
    derivatives then decide, and name the culprit)."""
    if cm.sweeps is None:
        return None
    y: list[float] = []
    c: list[list[float]] = []
    nodes: list[list[float]] = []
    try:
        for s in cm.sweeps:
            v = s.values(x)
            g = s.gradient(v)
            fy = v[s.root]
            if not (math.isfinite(fy) and all(math.isfinite(t) for t in g)):
                return None
            row = [0.0] * n
            for i, t in zip(s.inputs, g, strict=True):
                row[i] = t + 0.0
            y.append(fy)
            c.append(row)
            nodes.append(v)
    except (ArithmeticError, ValueError):
        return None
    return y, c, nodes


def _tape_values(cm: CompiledModel, names_out: tuple[str, ...], x: Sequence[float]) -> list[float]:
    """The outputs and first derivatives at ``x``; refused, naming the culprit, if not finite."""
    why: BaseException | None = None
    try:
        values = cm.tape(x)
        bad = not all(math.isfinite(v) for v in values)
    except (ArithmeticError, ValueError) as exc:
        values, bad, why = [], True, exc
    if bad:
        k = cm.locate(x, cm.roots)
        owner = max(j for j, (at, _) in enumerate(cm.layout) if at <= k)
        what = f"output {names_out[owner]!r}"
        if cm.labels[k]:
            what = f"∂{names_out[owner]}/∂{cm.labels[k]}"
        if isinstance(why, ZeroDivisionError):
            raise UncertaintyModelError(f"{what} divides by zero at the estimates")
        if why is not None:
            raise UncertaintyModelError(f"{what} leaves its domain at the estimates ({why})")
        raise UncertaintyModelError(f"{what} is not finite at the estimates")
    return values


def _covariance(
    model: Model, c: list[list[float]], u: Sequence[float]
) -> tuple[list[list[float]], list[list[float]], list[list[float]]]:
    """cᵢ u(xᵢ), Σⱼ cⱼ u(xⱼ) r(xⱼ, xᵢ) and U_y = C U_x Cᵀ (GUM §5.2.2; JCGM 102 §6.2.1)."""
    m = len(c)
    cu = [[a * b for a, b in zip(ck, u, strict=True)] for ck in c]  # cᵢ u(xᵢ)
    if model.correlations:
        r = model.correlation_matrix
        cu_arr = np.array(cu)
        rcu_arr = cu_arr @ r  # Σⱼ cⱼ u(xⱼ) r(xⱼ, xᵢ)
        rcu = rcu_arr.tolist()
        cov = (rcu_arr @ cu_arr.T).tolist()
    else:
        rcu = cu
        cov = [
            [math.fsum([a * b for a, b in zip(cu[k], cu[j], strict=True)]) for j in range(m)]
            for k in range(m)
        ]
    return cu, rcu, cov


def _second_order(
    cm: CompiledModel,
    k: int,
    name: str,
    x: Sequence[float],
    u: Sequence[float],
    ck: Sequence[float],
    var: float,
) -> float:
    """``var`` plus the second-order terms of output ``k`` (GUM §5.1.2 note, independent inputs)."""
    pairs, tape = cm.second_order(k)
    try:
        higher = tape(x)
    except (ArithmeticError, ValueError) as exc:
        raise UncertaintyModelError(
            f"higher derivatives of {name!r} are not defined at the estimates ({exc})"
        ) from None
    for (i, j), h, t3 in zip(pairs, higher[0::2], higher[1::2], strict=True):
        var += (0.5 * h * h + ck[i] * t3) * u[i] ** 2 * u[j] ** 2
    if not math.isfinite(var):
        raise UncertaintyModelError(f"second-order terms of {name!r} are not finite at the estimates")
    return max(var, 0.0)


def _welch_satterthwaite(
    model: Model,
    groups: tuple[tuple[int, ...], ...],
    dofs: Sequence[float],
    cuk: Sequence[float],
    var: float,
    first: float,
) -> float:
    """ν_eff by Welch–Satterthwaite (GUM §G.4.1), each ensemble one term (Willink 2007); ``var``
    is u²(y), ``first`` its first-order part."""
    denom = 0.0
    for g in groups:
        nu = dofs[g[0]]
        if math.isinf(nu):
            continue
        if len(g) == 1:
            vg = cuk[g[0]] ** 2
        elif not model.correlations:  # a declared ensemble of uncorrelated inputs
            vg = math.fsum(cuk[i] ** 2 for i in g)
        elif len(g) == len(cuk):  # one ensemble of every input: its variance is u²(y) itself,
            vg = first  # so that ν_eff = ν whatever the rounding of the sensitivities
        else:  # an ensemble (Willink): its whole variance is one term
            sub = np.array([cuk[i] for i in g])
            vg = float(sub @ model.correlation_matrix[np.ix_(g, g)] @ sub)
        denom += vg * vg / nu
    return var * var / denom if denom > 0 else math.inf


def _correlation(cov: list[list[float]]) -> list[list[float]]:
    """The correlation matrix of the outputs from their covariance matrix (zero where u = 0)."""
    m = len(cov)
    sd = [math.sqrt(cov[k][k]) for k in range(m)]
    return [
        [1.0 if i == j else (cov[i][j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else 0.0) for j in range(m)]
        for i in range(m)
    ]
