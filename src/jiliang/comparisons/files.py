"""Comparison results, calibration histories and drift data from CSV text, and results as JSON data.

Every bad cell is reported with its line and column in one line; nothing is guessed.

RESULTS.csv: ``lab,value,u`` and optional ``U,k,dof,included`` (u may be left out when U is given:
u = U/k with k = 2 unless given). HISTORY.csv: ``asset_id,calibrated_on,interval_days,in_tolerance``.
DRIFT.csv: ``days,deviation``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jiliang.platform.cells import number_cell
from jiliang.stats import (
    A3Result,
    ComparisonError,
    ComparisonEvaluation,
    LabResults,
    ModelChoice,
    PTScore,
    S2Result,
    VariablesResult,
)

__all__ = [
    "MAX_CSV_BYTES",
    "CalibrationHistory",
    "a3_json",
    "evaluation_json",
    "parse_drift",
    "parse_history",
    "parse_results",
    "s2_json",
    "scores_json",
    "variables_json",
]

#: Largest CSV accepted from a file or an upload.
MAX_CSV_BYTES = 5_000_000
_TRUE = {"true", "yes", "1", "y", "是"}
_FALSE = {"false", "no", "0", "n", "否"}


def _rows(text: str, name: str, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise ComparisonError(f"{name}: larger than {MAX_CSV_BYTES} bytes")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ComparisonError(
            f"{name}: missing column(s) {', '.join(missing)} (header: {','.join(header) or 'none'})"
        )
    out = []
    for line, row in enumerate(reader, start=2):
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            out.append((line, clean))
    return out


def _bool(name: str, line: int, col: str, cell: str) -> bool:
    low = cell.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ComparisonError(f"{name} line {line}: {col} {cell!r} is not true/false")


def parse_results(text: str, name: str = "RESULTS.csv") -> LabResults:
    """Lab results of a comparison; ``included`` defaults to true, ``dof`` to ∞."""
    rows = _rows(text, name, ["lab", "value"])
    labs, xs, us, dofs, inc = [], [], [], [], []
    for line, row in rows:
        if not row.get("lab"):
            raise ComparisonError(f"{name} line {line}: lab is empty")
        labs.append(row["lab"])
        xs.append(number_cell(name, line, "value", row.get("value", ""), ComparisonError))
        if row.get("u"):
            u = number_cell(name, line, "u", row["u"], ComparisonError)
        elif row.get("U"):
            k = number_cell(name, line, "k", row["k"], ComparisonError) if row.get("k") else 2.0
            if not k > 0:
                raise ComparisonError(f"{name} line {line}: k {k} must be positive")
            u = number_cell(name, line, "U", row["U"], ComparisonError) / k
        else:
            raise ComparisonError(f"{name} line {line}: give u, or U (and k)")
        us.append(u)
        dofs.append(
            number_cell(name, line, "dof", row["dof"], ComparisonError) if row.get("dof") else math.inf
        )
        inc.append(_bool(name, line, "included", row["included"]) if row.get("included") else True)
    return LabResults.of(labs, xs, us, dofs, inc)


@dataclass(frozen=True, slots=True)
class CalibrationHistory:
    """Pooled calibrations: actual interval (days) and whether the item was found in tolerance."""

    assets: tuple[str, ...]
    calibrated_on: tuple[str, ...]
    interval_days: tuple[float, ...]
    in_tolerance: tuple[bool, ...]


def parse_history(text: str, name: str = "HISTORY.csv") -> CalibrationHistory:
    """One calibration a row; the assets of the file are pooled."""
    rows = _rows(text, name, ["asset_id", "calibrated_on", "interval_days", "in_tolerance"])
    if not rows:
        raise ComparisonError(f"{name}: no calibrations")
    days = []
    for line, row in rows:
        d = number_cell(name, line, "interval_days", row["interval_days"], ComparisonError)
        if not d > 0:
            raise ComparisonError(f"{name} line {line}: interval_days {d:g} must be positive")
        days.append(d)
    return CalibrationHistory(
        tuple(r["asset_id"] for _, r in rows),
        tuple(r["calibrated_on"] for _, r in rows),
        tuple(days),
        tuple(_bool(name, line, "in_tolerance", r["in_tolerance"]) for line, r in rows),
    )


def parse_drift(text: str, name: str = "DRIFT.csv") -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Elapsed days and deviations (as-found minus nominal or minus the as-left value)."""
    rows = _rows(text, name, ["days", "deviation"])
    return (
        tuple(number_cell(name, line, "days", r["days"], ComparisonError) for line, r in rows),
        tuple(number_cell(name, line, "deviation", r["deviation"], ComparisonError) for line, r in rows),
    )


def _f(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def evaluation_json(
    ev: ComparisonEvaluation, choice: ModelChoice | None = None, seed: int | None = None
) -> dict[str, Any]:
    """The ``comparisons evaluate --json`` document (field names of the guide)."""
    r = ev.reference
    return {
        "estimator": r.estimator,
        "reference": {
            "value": r.value,
            "u": r.u,
            "U": r.U,
            "k": r.k,
            "interval": list(r.interval),
            "tau": r.tau,
            "chi2": r.chi2,
            "dof": r.dof,
            "p_value": r.p_value,
            "consistent": r.consistent,
            "birge_ratio": r.birge_ratio,
            "included": list(r.included),
        },
        "labs": [
            {
                "lab": d.lab,
                "d": d.d,
                "u_d": d.u_d,
                "U_d": d.U_d,
                "En": d.En,
                "zeta": d.zeta,
                "included": d.included,
            }
            for d in ev.labs
        ],
        "convention": ev.convention,
        "seed": seed,
        "model_choice": None
        if choice is None
        else {
            "nist_model": choice.nist_model,
            "estimator": choice.estimator,
            "reason": choice.reason,
            "tests": [
                {"name": t.name, "statistic": _f(t.statistic), "p_value": t.p_value, "passed": t.passed}
                for t in choice.tests
            ],
        },
    }


def scores_json(
    scores: tuple[PTScore, ...], assigned: float, u_assigned: float | None, sigma_pt: float | None
) -> dict[str, Any]:
    """The ``comparisons scores --json`` document."""
    return {
        "assigned": assigned,
        "u_assigned": u_assigned,
        "sigma_pt": sigma_pt,
        "labs": [
            {
                "lab": s.lab,
                "x": s.x,
                "z": s.z,
                "z_class": s.z_class,
                "z_prime": s.z_prime,
                "z_prime_class": s.z_prime_class,
                "zeta": s.zeta,
                "zeta_class": s.zeta_class,
                "En": s.En,
                "En_class": s.En_class,
            }
            for s in scores
        ],
        "convention": "ISO 13528:2022 §9: z = (x − x_pt)/σ_pt, z′ = (x − x_pt)/√(σ_pt² + u²(x_pt)), "
        "ζ = (x − x_pt)/√(u²(x) + u²(x_pt)), En = (x − x_pt)/√(U²(x) + U²(x_pt)) with U = 2u unless given; "
        "|z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, ≥ 3 unsatisfactory; |En| ≤ 1 satisfactory",
    }


def a3_json(r: A3Result) -> dict[str, Any]:
    return {
        "method": "A3",
        "interval_days": r.interval_days,
        "observed_reliability": r.observed_reliability,
        "rejection_confidence": r.rejection_confidence,
        "reliability_limits": list(r.reliability_limits),
        "assigned_interval_days": r.assigned_interval_days,
        "target": r.target,
        "confidence": r.confidence,
        "n": r.n,
        "in_tolerance": r.in_tolerance,
        "dropped": r.dropped,
        "changed": r.changed,
        "reason": r.reason,
        "note": r.note,
    }


def s2_json(r: S2Result) -> dict[str, Any]:
    return {
        "method": "S2",
        "interval_days": r.interval_days,
        "model": r.model,
        "target": r.target,
        "n": r.n,
        "fits": [
            {
                "model": f.model,
                "params": f.params,
                "log_likelihood": f.log_likelihood,
                "aic": f.aic,
                "interval_days": _f(f.interval_days),
            }
            for f in r.fits
        ],
        "bins": [{"mean_interval_days": t, "n": n, "observed_reliability": rel} for t, n, rel in r.bins],
        "note": r.note,
    }


def variables_json(r: VariablesResult) -> dict[str, Any]:
    return {
        "method": "variables",
        "interval_days": r.interval_days,
        "criterion": r.criterion,
        "coefficients": list(r.coefficients),
        "s": r.s,
        "dof": r.dof,
        "k": r.k,
        "n": r.n,
        "reached": r.reached,
        "note": r.note,
    }
