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


def compiled(model: Model) -> CompiledModel:
    """The :class:`CompiledModel` of ``model`` (cached by its expressions, constants and inputs)."""
    return _compiled(model.outputs, model.constants, model.input_names)


@lru_cache(maxsize=256)
def _compiled(
    outputs: tuple[tuple[str, str], ...], constants: tuple[tuple[str, float], ...], names: tuple[str, ...]
) -> CompiledModel:
    from jiliang.uncertainty.model import _prepared

    return CompiledModel(tuple(_prepared(text, constants) for _, text in outputs), names)


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
    cm = compiled(model)
    dists = model.inputs
    x = [d.x for d in dists]
    u = [d.u for d in dists]
    dofs = [d.dof for d in dists]
    order = model.method.gum_order
    if order == 2 and model.correlations:
        raise UncertaintyModelError("method.gum_order 2 needs independent inputs; the model has correlations")
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
    y = [0.0] * m
    c = [[0.0] * n for _ in range(m)]
    names_in, names_out = model.input_names, model.output_names
    for k, name in enumerate(names_out):
        y[k] = _call(cm.values[k], x, f"output {name!r}")
        row = c[k]
        for i, fn in cm.grads[k]:
            row[i] = _call(fn, x, f"∂{name}/∂{names_in[i]}") + 0.0
    cu = [[ck[i] * u[i] for i in range(n)] for ck in c]  # cᵢ u(xᵢ)
    if model.correlations:
        r = model.correlation_matrix
        cu_arr = np.array(cu)
        rcu_arr = cu_arr @ r  # Σⱼ cⱼ u(xⱼ) r(xⱼ, xᵢ)
        rcu = rcu_arr.tolist()
        cov = (rcu_arr @ cu_arr.T).tolist()
    else:
        rcu = cu
        cov = [
            [math.fsum(a * b for a, b in zip(cu[k], cu[j], strict=True)) for j in range(m)] for k in range(m)
        ]
    p = model.method.coverage
    outs = []
    for k, name in enumerate(names_out):
        var = cov[k][k]
        if order == 2:
            for i, j, d2, d3 in cm.second_order(k):
                h = _call(d2, x, f"second derivative of {name!r}")
                t3 = _call(d3, x, f"third derivative of {name!r}")
                var += (0.5 * h * h + c[k][i] * t3) * u[i] ** 2 * u[j] ** 2
            var = max(var, 0.0)
            cov[k][k] = var
        uy = math.sqrt(var)
        denom = 0.0
        for g in groups:
            nu = dofs[g[0]]
            if math.isinf(nu):
                continue
            if len(g) == 1:
                vg = cu[k][g[0]] ** 2
            else:  # an ensemble (Willink): its whole variance is one term
                sub = np.array([cu[k][i] for i in g])
                vg = float(sub @ model.correlation_matrix[np.ix_(g, g)] @ sub)
            denom += vg * vg / nu
        dof = var * var / denom if denom > 0 else math.inf
        kp = coverage_factor(p, dof)
        budget = tuple(
            BudgetLine(
                input=names_in[i],
                x=x[i],
                u=u[i],
                dof=dofs[i],
                sensitivity=c[k][i],
                contribution=abs(cu[k][i]),
                share=cu[k][i] * rcu[k][i] / var + 0.0 if var > 0 else 0.0,
            )
            for i in range(n)
        )
        big_u = kp * uy
        yk = y[k]
        outs.append(GumOutput(name, yk, uy, dof, kp, big_u, p, (yk - big_u, yk + big_u), budget, order))
    sd = [math.sqrt(cov[k][k]) for k in range(m)]
    corr = [
        [1.0 if i == j else (cov[i][j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else 0.0) for j in range(m)]
        for i in range(m)
    ]
    return GumResult(
        tuple(outs),
        tuple(tuple(float(v) for v in row) for row in cov),
        tuple(tuple(row) for row in corr),
    )
