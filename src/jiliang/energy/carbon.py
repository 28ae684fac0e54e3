"""Pure core of carbon measurement: E = Σ_j A_j · F_j with its GUM uncertainty.

Activity A_j comes from a meter (its standard uncertainty u(A_j) = δ_j·A_j/√3 from the class,
δ_j = class/100, a rectangular distribution, JCGM 100:2008 §4.3.7) or is an unmetered estimate
with its stated relative uncertainty. Factors F carry their own u(F). The model handed to
:func:`jiliang.uncertainty.gum` has one activity input per factor (the sum of that factor's lines,
u² = Σ u²(A_j): the lines are independent) and one input per factor, so lines that share a factor
are fully correlated through it (JCGM 100:2008 §5.2), exactly as
u²(E) = Σ_F [F² Σ_j u²(A_j) + (Σ_j A_j)² u²(F)].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from jiliang.energy.tables import EmissionFactor
from jiliang.errors import InputError

__all__ = ["ActivityLine", "CarbonResult", "FactorTerm", "emissions"]

_SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True, slots=True)
class ActivityLine:
    """One activity datum: quantity A in the factor's unit, metered (class δ %) or estimated (u_rel).

    ``flags`` name what a verifier must know: "out_of_date", "failed", "unknown_status",
    "class_fails", "unmetered".
    """

    label: str
    quantity: float
    factor: EmissionFactor
    meter_class: float | None = None
    u_rel: float | None = None
    flags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.quantity) and self.quantity >= 0):
            raise InputError(f"{self.label}: quantity {self.quantity} must be a finite number ≥ 0")
        if self.meter_class is None and self.u_rel is None:
            raise InputError(f"{self.label}: an unmetered quantity needs its relative uncertainty")
        if self.meter_class is not None and not (
            math.isfinite(self.meter_class) and 0 < self.meter_class < 100
        ):
            raise InputError(f"{self.label}: meter class {self.meter_class} must be in (0, 100)")
        if self.u_rel is not None and not (math.isfinite(self.u_rel) and 0 <= self.u_rel < 1):
            raise InputError(f"{self.label}: relative uncertainty {self.u_rel} not in [0, 1)")

    @property
    def u(self) -> float:
        """u(A): δ·A/√3 for a meter of class δ % (rectangular), else u_rel·A."""
        if self.meter_class is not None:
            return self.meter_class / 100 * self.quantity / _SQRT3
        assert self.u_rel is not None
        return self.u_rel * self.quantity


@dataclass(frozen=True, slots=True)
class FactorTerm:
    """One factor's share: ΣA, u(ΣA), F, u(F), its emissions E_F = ΣA·F and the lines' flags."""

    factor: EmissionFactor
    A: float
    u_A: float
    E: float
    lines: int


@dataclass(frozen=True, slots=True)
class CarbonResult:
    """E (t CO₂), u(E), k, U = k·u(E), ν_eff, the terms and the count of flagged lines by flag."""

    E: float
    u: float
    k: float
    U: float
    dof: float
    terms: tuple[FactorTerm, ...]
    flags: tuple[tuple[str, int], ...]

    def flagged(self, flag: str) -> int:
        return dict(self.flags).get(flag, 0)


def _name(i: int, kind: str) -> str:
    return f"{kind}{i}"


def emissions(lines: Sequence[ActivityLine], *, k: float = 2.0) -> CarbonResult:
    """Emissions and their expanded uncertainty from activity lines, by the GUM engine.

    The coverage factor is fixed (k = 2, as reported to the verifier), so U = 2·u(E).

    Examples
    --------
    >>> from jiliang.energy.tables import EmissionFactor
    >>> grid = EmissionFactor("g", "electricity", "MWh", "grid", 0.5, 0.0, "test")
    >>> gas = EmissionFactor("n", "natural_gas", "10^4 Nm³", "gas", 20.0, 0.02, "test")
    >>> r = emissions([ActivityLine("m1", 1000.0, grid, meter_class=1.0),
    ...                ActivityLine("m2", 10.0, gas, meter_class=2.0)])
    >>> round(r.E, 6), round(r.u, 4)
    (700.0, 5.4467)
    """
    if not lines:
        return CarbonResult(0.0, 0.0, k, 0.0, math.inf, (), ())
    from jiliang.uncertainty import gum, model_from_dict

    groups: dict[str, list[ActivityLine]] = {}
    for line in lines:
        groups.setdefault(line.factor.code, []).append(line)
    inputs: dict[str, dict[str, object]] = {}
    terms_expr = []
    summary = []
    for i, (_code, ls) in enumerate(sorted(groups.items())):
        f = ls[0].factor
        a = math.fsum(x.quantity for x in ls)
        u_a = math.sqrt(math.fsum(x.u**2 for x in ls))
        inputs[_name(i, "A")] = {"dist": "normal", "mean": a, "sd": u_a}
        inputs[_name(i, "F")] = {"dist": "normal", "mean": f.value, "sd": f.u}
        terms_expr.append(f"{_name(i, 'A')}*{_name(i, 'F')}")
        summary.append(FactorTerm(f, a, u_a, a * f.value, len(ls)))
    model = model_from_dict(
        {"model": {"E": " + ".join(terms_expr)}, "inputs": inputs, "method": {"montecarlo": False}}
    )
    out = gum(model)["E"]
    counts: dict[str, int] = {}
    for line in lines:
        for fl in line.flags:
            counts[fl] = counts.get(fl, 0) + 1
    return CarbonResult(out.y, out.u, k, k * out.u, out.dof, tuple(summary), tuple(sorted(counts.items())))
