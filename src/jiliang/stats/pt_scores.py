"""Proficiency-testing performance scores and the homogeneity and stability checks (ISO 13528:2022).

z = (x − x_pt)/σ_pt (§9.4); z′ = (x − x_pt)/√(σ_pt² + u²(x_pt)) (§9.5);
ζ = (x − x_pt)/√(u²(x) + u²(x_pt)) (§9.6); En = (x − x_pt)/√(U²(x) + U²(x_pt)) (§9.7).
Classes: |z|, |z′|, |ζ| ≤ 2 satisfactory, 2 < |·| < 3 questionable, ≥ 3 unsatisfactory;
|En| ≤ 1 satisfactory, otherwise unsatisfactory (JJF 1117, k = 2).
Homogeneity (Annex B.2): s_s from g items measured twice, criterion s_s ≤ 0.3 σ_pt; stability (B.5):
|ȳ₁ − ȳ₂| ≤ 0.3 σ_pt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jiliang.stats.reference_value import COVERAGE_K, ComparisonError

__all__ = [
    "HomogeneityCheck",
    "PTScore",
    "StabilityCheck",
    "en_class",
    "homogeneity_check",
    "pt_scores",
    "stability_check",
    "z_class",
]

#: ISO 13528:2022 §B.2.2: the PT items are adequately homogeneous if s_s ≤ 0.3 σ_pt.
HOMOGENEITY_FACTOR = 0.3


def z_class(score: float) -> str:
    """Class of a z, z′ or ζ score (ISO 13528:2022 §9.4.3).

    >>> z_class(1.99), z_class(2.5), z_class(3.0)
    ('satisfactory', 'questionable', 'unsatisfactory')
    """
    a = abs(score)
    if a <= 2.0:
        return "satisfactory"
    return "questionable" if a < 3.0 else "unsatisfactory"


def en_class(score: float) -> str:
    """Class of an En number: |En| ≤ 1 satisfactory (ISO 13528:2022 §9.7.3, JJF 1117)."""
    return "satisfactory" if abs(score) <= 1.0 else "unsatisfactory"


@dataclass(frozen=True, slots=True)
class PTScore:
    """Scores of one participant; a score is ``None`` when its inputs were not given."""

    lab: str
    x: float
    z: float | None
    z_class: str | None
    z_prime: float | None
    z_prime_class: str | None
    zeta: float | None
    zeta_class: str | None
    En: float | None
    En_class: str | None


def pt_scores(
    labs: Sequence[str],
    x: Sequence[float],
    u: Sequence[float | None],
    *,
    assigned: float,
    u_assigned: float | None = None,
    sigma_pt: float | None = None,
    U: Sequence[float | None] | None = None,
) -> tuple[PTScore, ...]:
    """Scores of each participant against x_pt; U(x) defaults to 2u(x), U(x_pt) to 2u(x_pt).

    >>> s = pt_scores(["A"], [10.5], [0.2], assigned=10.0, u_assigned=0.1, sigma_pt=0.25)[0]
    >>> s.z, s.z_class, round(s.En, 4), s.En_class
    (2.0, 'satisfactory', 1.118, 'unsatisfactory')
    """
    if not math.isfinite(assigned):
        raise ComparisonError(f"assigned value {assigned} is not a finite number")
    if sigma_pt is not None and not sigma_pt > 0:
        raise ComparisonError(f"σ_pt = {sigma_pt} must be positive")
    if u_assigned is not None and not u_assigned >= 0:
        raise ComparisonError(f"u(x_pt) = {u_assigned} must not be negative")
    if len(set(labs)) != len(labs):
        raise ComparisonError("duplicated lab in the results")
    big = list(U) if U is not None else [None] * len(labs)
    out = []
    for lab, xi, ui, Ui in zip(labs, x, u, big, strict=True):
        if ui is not None and not ui > 0:
            raise ComparisonError(f"lab {lab}: standard uncertainty u = {ui} must be positive")
        d = xi - assigned
        z = d / sigma_pt if sigma_pt is not None else None
        zp = d / math.hypot(sigma_pt, u_assigned) if sigma_pt is not None and u_assigned is not None else None
        zeta = d / math.hypot(ui, u_assigned) if ui is not None and u_assigned is not None else None
        Ux = Ui if Ui is not None else (COVERAGE_K * ui if ui is not None else None)
        en = (
            d / math.hypot(Ux, COVERAGE_K * u_assigned) if Ux is not None and u_assigned is not None else None
        )
        out.append(
            PTScore(
                lab,
                xi,
                z,
                None if z is None else z_class(z),
                zp,
                None if zp is None else z_class(zp),
                zeta,
                None if zeta is None else z_class(zeta),
                en,
                None if en is None else en_class(en),
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class HomogeneityCheck:
    """x̄̄, s_x (sd of item means), s_w (within-item sd), s_s = √max(0, s_x² − s_w²/2), the check."""

    grand_mean: float
    s_x: float
    s_w: float
    s_s: float
    criterion: float
    passed: bool


def homogeneity_check(pairs: Sequence[Sequence[float]], sigma_pt: float) -> HomogeneityCheck:
    """ISO 13528:2022 §B.3: g ≥ 2 items, two test portions each; passed if s_s ≤ 0.3 σ_pt.

    >>> r = homogeneity_check([[1.0, 1.2], [1.1, 1.1], [0.9, 1.0]], sigma_pt=1.0)
    >>> round(r.s_s, 4), r.passed
    (0.0577, True)
    """
    arr = np.asarray(pairs, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 2 or not np.isfinite(arr).all():
        raise ComparisonError("homogeneity: need at least 2 items with 2 finite results each")
    if not sigma_pt > 0:
        raise ComparisonError(f"σ_pt = {sigma_pt} must be positive")
    means = arr.mean(axis=1)
    s_x = float(means.std(ddof=1))
    s_w = math.sqrt(float(np.sum((arr[:, 0] - arr[:, 1]) ** 2)) / (2 * arr.shape[0]))
    s_s = math.sqrt(max(0.0, s_x**2 - s_w**2 / 2))
    crit = HOMOGENEITY_FACTOR * sigma_pt
    return HomogeneityCheck(float(means.mean()), s_x, s_w, s_s, crit, s_s <= crit)


@dataclass(frozen=True, slots=True)
class StabilityCheck:
    """Means before (ȳ₁) and after (ȳ₂) the round, their difference and the 0.3 σ_pt check."""

    mean_before: float
    mean_after: float
    difference: float
    criterion: float
    passed: bool


def stability_check(before: Sequence[float], after: Sequence[float], sigma_pt: float) -> StabilityCheck:
    """ISO 13528:2022 §B.5: stable if |ȳ₁ − ȳ₂| ≤ 0.3 σ_pt."""
    if len(before) < 1 or len(after) < 1 or not sigma_pt > 0:
        raise ComparisonError("stability: need results before and after and a positive σ_pt")
    y1, y2 = float(np.mean(before)), float(np.mean(after))
    crit = HOMOGENEITY_FACTOR * sigma_pt
    return StabilityCheck(y1, y2, abs(y1 - y2), crit, abs(y1 - y2) <= crit)
