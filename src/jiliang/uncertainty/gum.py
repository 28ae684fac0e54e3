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

Derivatives are symbolic (:func:`jiliang.uncertainty.expr.derivative`) and compiled once per
model; re-evaluating a model with new estimates costs closure calls only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from jiliang.uncertainty import expr
from jiliang.uncertainty.errors import UncertaintyModelError
from jiliang.uncertainty.model import Model

__all__ = ["BudgetLine", "CompiledModel", "GumOutput", "GumResult", "compiled", "coverage_factor", "gum"]

ScalarFn = Callable[[Sequence[float]], float]


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
    budget: tuple[BudgetLine, ...]
    order: int


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
    """Value, gradient (and, on demand, second- and third-order) closures for a model, compiled once."""

    def __init__(self, nodes: tuple[expr.Node, ...], names: tuple[str, ...]) -> None:
        self.nodes = nodes
        self.names = names
        self.values: list[ScalarFn] = [expr.compile_scalar(n, names) for n in nodes]
        self.arrays = [expr.compile_array(n, names) for n in nodes]
        self.grads: list[list[tuple[int, ScalarFn]]] = []
        for n in nodes:
            row = []
            for i, name in enumerate(names):
                d = expr.derivative(n, name)
                if not (d.op == "const" and d.value == 0.0):
                    row.append((i, expr.compile_scalar(d, names)))
            self.grads.append(row)
        self._second: dict[int, list[tuple[int, int, ScalarFn, ScalarFn]]] = {}

    def second_order(self, out: int) -> list[tuple[int, int, ScalarFn, ScalarFn]]:
        """For output ``out``: (i, j, ∂²f/∂xᵢ∂xⱼ, ∂³f/∂xᵢ∂xⱼ²) for every pair with a non-zero term."""
        if out not in self._second:
            node, names = self.nodes[out], self.names
            terms = []
            for i, a in enumerate(names):
                da = expr.derivative(node, a)
                for j, b in enumerate(names):
                    d2 = expr.derivative(da, b)
                    d3 = expr.derivative(d2, b)
                    zero2 = d2.op == "const" and d2.value == 0.0
                    zero3 = d3.op == "const" and d3.value == 0.0
                    if not (zero2 and zero3):
                        terms.append((i, j, expr.compile_scalar(d2, names), expr.compile_scalar(d3, names)))
            self._second[out] = terms
        return self._second[out]


@lru_cache(maxsize=256)
def compiled(nodes: tuple[expr.Node, ...], names: tuple[str, ...]) -> CompiledModel:
    """The :class:`CompiledModel` of ``nodes`` over the inputs ``names`` (cached)."""
    return CompiledModel(nodes, names)


def coverage_factor(p: float, dof: float) -> float:
    """k_p from Student's t with ⌊ν⌋ degrees of freedom (GUM §G.6.4), or the normal for ν = ∞.

    >>> round(coverage_factor(0.99, 16.75), 3)
    2.921
    """
    from scipy.special import ndtri, stdtrit

    q = (1 + p) / 2
    if math.isinf(dof):
        return float(ndtri(q))
    return float(stdtrit(max(math.floor(dof), 1), q))


def _call(fn: ScalarFn, x: Sequence[float], what: str) -> float:
    try:
        value = fn(x)
    except ZeroDivisionError:
        raise UncertaintyModelError(f"{what} divides by zero at the estimates") from None
    except (ValueError, OverflowError) as exc:
        raise UncertaintyModelError(f"{what} leaves its domain at the estimates ({exc})") from None
    if not math.isfinite(value):
        raise UncertaintyModelError(f"{what} is not finite at the estimates ({value})")
    return float(value)


def _ensembles(model: Model) -> list[list[int]]:
    """Groups of inputs linked by non-zero correlations (connected components)."""
    n = len(model.inputs)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = {name: i for i, name in enumerate(model.input_names)}
    for a, b, r in model.correlations:
        if r != 0:
            parent[find(index[a])] = find(index[b])
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def gum(model: Model) -> GumResult:
    """Evaluate ``model`` by the GUM uncertainty framework (JCGM 100:2008 §5, §G; JCGM 102 §6).

    Raises
    ------
    UncertaintyModelError
        If the model divides by zero or leaves its domain at the estimates, a derivative is not
        defined there, second order is asked with correlated inputs, or correlated inputs with
        finite degrees of freedom do not form an ensemble with a common ν.
    """
    cm = compiled(model.nodes, model.input_names)
    dists = model.inputs
    x = [d.x for d in dists]
    u = np.array([d.u for d in dists])
    dofs = [d.dof for d in dists]
    order = model.method.gum_order
    if order == 2 and model.correlations:
        raise UncertaintyModelError("method.gum_order 2 needs independent inputs; the model has correlations")
    r = model.correlation_matrix
    groups = _ensembles(model)
    for g in groups:
        nus = {dofs[i] for i in g}
        if len(nus) > 1:
            names = ", ".join(model.input_names[i] for i in g)
            raise UncertaintyModelError(
                f"inputs {names} are correlated but have different degrees of freedom "
                f"({', '.join(str(v) for v in sorted(nus))}); Welch–Satterthwaite does not apply"
            )
    m, n = len(model.outputs), len(dists)
    y = np.empty(m)
    c = np.zeros((m, n))
    for k, name in enumerate(model.output_names):
        y[k] = _call(cm.values[k], x, f"output {name!r}")
        for i, fn in cm.grads[k]:
            c[k, i] = _call(fn, x, f"∂{name}/∂{model.input_names[i]}")
    cu = c * u  # cᵢ u(xᵢ)
    cov = cu @ r @ cu.T if model.correlations else cu @ cu.T
    p = model.method.coverage
    outs = []
    for k, name in enumerate(model.output_names):
        var1 = float(cov[k, k])
        var = var1
        if order == 2:
            for i, j, d2, d3 in cm.second_order(k):
                h = _call(d2, x, f"second derivative of {name!r}")
                t3 = _call(d3, x, f"third derivative of {name!r}")
                var += (0.5 * h * h + c[k, i] * t3) * u[i] ** 2 * u[j] ** 2
            var = max(var, 0.0)
        uy = math.sqrt(var)
        denom = 0.0
        for g in groups:
            nu = dofs[g[0]]
            if math.isinf(nu):
                continue
            vg = float(cu[k, g] @ r[np.ix_(g, g)] @ cu[k, g])
            denom += vg * vg / nu
        dof = var * var / denom if denom > 0 else math.inf
        kp = coverage_factor(p, dof)
        share_row = (cu[k] * (r @ cu[k])) / var if var > 0 else np.zeros(n)
        budget = tuple(
            BudgetLine(
                input=model.input_names[i],
                x=x[i],
                u=float(u[i]),
                dof=dofs[i],
                sensitivity=float(c[k, i]),
                contribution=float(abs(cu[k, i])),
                share=float(share_row[i]),
            )
            for i in range(n)
        )
        big_u = kp * uy
        yk = float(y[k])
        outs.append(GumOutput(name, yk, uy, dof, kp, big_u, p, (yk - big_u, yk + big_u), budget, order))
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(np.outer(sd, sd) > 0, cov / np.outer(sd, sd), 0.0)
    np.fill_diagonal(corr, 1.0)
    if order == 2:
        for k, o in enumerate(outs):
            cov[k, k] = o.u**2
    return GumResult(
        tuple(outs),
        tuple(tuple(float(v) for v in row) for row in cov),
        tuple(tuple(float(v) for v in row) for row in corr),
    )
