"""Accuracy of an estimation run against the ground truth of a synthetic city.

Scores follow the project notes: RMSE of ê − e and the 95th percentile of |ê − e| over *active*
meters (not vacant, no function failure) that received an estimate; precision and recall of the
``out_of_limit`` flag (guarded rejection), of ``out_of_limit`` or ``suspect``, and of the
simple-acceptance rule ``|ê| > limit`` (JCGM 106 §8.2, w = 0) against the true out-of-limit meters; function failures found with the right
type; vacant meters wrongly flagged. Theft separately: precision and recall of
``suspected_theft`` against the thieves whose registered share changes (``theft_kind``
``night_bypass`` or ``tamper``; those are left out of the out-of-limit scores and the RMSE),
and the RMSE of the honest meters of areas with such a thief against the other areas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from jiliang.meters.types import MeterError

__all__ = ["Evaluation", "evaluate"]

_FLAGS = ("out_of_limit",)
_WIDE_FLAGS = ("out_of_limit", "suspect")
_THEFT = "suspected_theft"
_VARYING = ("night_bypass", "tamper")


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Scores of one run; ``rmse_pp`` and ``p95_abs_pp`` in percentage points."""

    meters: int
    active: int
    estimated_active: int
    rmse_pp: float
    p95_abs_pp: float
    true_out_of_limit: int
    flagged: int
    precision: float
    recall: float
    precision_with_suspect: float
    recall_with_suspect: float
    precision_simple: float
    recall_simple: float
    failures: int
    failures_found: int
    false_failures: int
    vacant: int
    vacant_flagged: int
    thieves: int = 0
    theft_flagged: int = 0
    theft_precision: float = float("nan")
    theft_recall: float = float("nan")
    rmse_theft_areas_pp: float = float("nan")
    rmse_other_areas_pp: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


@dataclass(slots=True)
class _Tally:
    """Running counts of :func:`evaluate`: confusion counts of the three flag rules and the rest."""

    n: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tpw: int = 0
    fpw: int = 0
    fnw: int = 0
    tps: int = 0
    fps: int = 0
    fns: int = 0
    failures: int = 0
    found: int = 0
    false_failures: int = 0
    vacant: int = 0
    vacant_flagged: int = 0
    active: int = 0
    thieves: int = 0
    theft_tp: int = 0
    theft_fp: int = 0
    diffs: list[float] = field(default_factory=list)
    by_area: dict[bool, list[float]] = field(default_factory=lambda: {True: [], False: []})


def evaluate(results: Iterable[Mapping[str, Any]], truth: Iterable[Mapping[str, Any]]) -> Evaluation:
    """Compare result rows (``meter_id, error_pct, status``) with truth rows (``meter_id,
    true_error_pct, out_of_limit, vacant, failure``)."""
    by_id = {str(t["meter_id"]): t for t in truth}
    if not by_id:
        raise MeterError("the truth file has no rows")
    theft_areas = {str(t.get("area_id")) for t in by_id.values() if str(t.get("theft_kind")) in _VARYING}
    tally = _Tally()
    for r in results:
        t = by_id.get(str(r["meter_id"]))
        if t is None:
            continue
        tally.n += 1
        status = str(r["status"])
        if _count_varying_thief(tally, t, status) or _count_failed_or_vacant(tally, t, status):
            continue
        _count_active(tally, r, t, status, theft_areas)
    if tally.n == 0:
        raise MeterError("no result row matches a meter of the truth file")
    return _scores(tally)


def _count_varying_thief(tally: _Tally, t: Mapping[str, Any], status: str) -> bool:
    """Count the theft flag; True for a thief whose share varies (left out of the other scores)."""
    varying = str(t.get("theft_kind")) in _VARYING
    tally.thieves += varying
    tally.theft_tp += varying and status == _THEFT
    tally.theft_fp += (not varying) and status == _THEFT
    return varying


def _count_failed_or_vacant(tally: _Tally, t: Mapping[str, Any], status: str) -> bool:
    """Count function failures and vacant meters; True when the meter is one (not active)."""
    failure = str(t.get("failure") or "none")
    if failure != "none":
        tally.failures += 1
        tally.found += status == f"failed_{failure}"
        return True
    if status.startswith("failed_"):
        tally.false_failures += 1
    if _bool(t.get("vacant")):
        tally.vacant += 1
        tally.vacant_flagged += status in _WIDE_FLAGS
        return True
    return False


def _count_active(
    tally: _Tally, r: Mapping[str, Any], t: Mapping[str, Any], status: str, theft_areas: set[str]
) -> None:
    """Count an active meter: its estimate's deviation and the three flag rules' confusion counts."""
    tally.active += 1
    e_hat = r.get("error_pct")
    if (
        e_hat is not None
        and not (isinstance(e_hat, float) and math.isnan(e_hat))
        and status in ("ok", "out_of_limit", "suspect")
    ):
        tally.diffs.append(float(e_hat) - float(t["true_error_pct"]))
        if not _bool(t.get("theft")):
            tally.by_area[str(t.get("area_id")) in theft_areas].append(tally.diffs[-1])
    positive = _bool(t.get("out_of_limit"))
    flagged = status in _FLAGS
    tally.tp += positive and flagged
    tally.fp += (not positive) and flagged
    tally.fn += positive and not flagged
    wide = status in _WIDE_FLAGS
    lim = r.get("limit_pct")
    simple = (
        status in ("ok", "out_of_limit", "suspect")
        and e_hat is not None
        and lim is not None
        and abs(float(e_hat)) > float(lim)
    )
    tally.tps += positive and simple
    tally.fps += (not positive) and simple
    tally.fns += positive and not simple
    tally.tpw += positive and wide
    tally.fpw += (not positive) and wide
    tally.fnw += positive and not wide


def _scores(c: _Tally) -> Evaluation:
    """The scores of a finished tally."""
    d = np.asarray(c.diffs)
    return Evaluation(
        meters=c.n,
        active=c.active,
        estimated_active=len(c.diffs),
        rmse_pp=float(np.sqrt(np.mean(d**2))) if len(d) else float("nan"),
        p95_abs_pp=float(np.percentile(np.abs(d), 95)) if len(d) else float("nan"),
        true_out_of_limit=c.tp + c.fn,
        flagged=c.tp + c.fp,
        precision=_ratio(c.tp, c.tp + c.fp),
        recall=_ratio(c.tp, c.tp + c.fn),
        precision_with_suspect=_ratio(c.tpw, c.tpw + c.fpw),
        recall_with_suspect=_ratio(c.tpw, c.tpw + c.fnw),
        precision_simple=_ratio(c.tps, c.tps + c.fps),
        recall_simple=_ratio(c.tps, c.tps + c.fns),
        failures=c.failures,
        failures_found=c.found,
        false_failures=c.false_failures,
        vacant=c.vacant,
        vacant_flagged=c.vacant_flagged,
        thieves=c.thieves,
        theft_flagged=c.theft_tp + c.theft_fp,
        theft_precision=_ratio(c.theft_tp, c.theft_tp + c.theft_fp),
        theft_recall=_ratio(c.theft_tp, c.thieves),
        rmse_theft_areas_pp=_rms(c.by_area[True]),
        rmse_other_areas_pp=_rms(c.by_area[False]),
    )


def _rms(values: list[float]) -> float:
    return float(np.sqrt(np.mean(np.square(values)))) if values else float("nan")
