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
from dataclasses import asdict, dataclass
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


def evaluate(results: Iterable[Mapping[str, Any]], truth: Iterable[Mapping[str, Any]]) -> Evaluation:
    """Compare result rows (``meter_id, error_pct, status``) with truth rows (``meter_id,
    true_error_pct, out_of_limit, vacant, failure``)."""
    by_id = {str(t["meter_id"]): t for t in truth}
    if not by_id:
        raise MeterError("the truth file has no rows")
    diffs: list[float] = []
    tp = fp = fn = tpw = fpw = fnw = tps = fps = fns = 0
    failures = found = false_failures = vacant = vacant_flagged = active = 0
    n = 0
    theft_areas = {str(t.get("area_id")) for t in by_id.values() if str(t.get("theft_kind")) in _VARYING}
    thieves = theft_tp = theft_fp = 0
    by_area: dict[bool, list[float]] = {True: [], False: []}
    for r in results:
        t = by_id.get(str(r["meter_id"]))
        if t is None:
            continue
        n += 1
        status = str(r["status"])
        varying = str(t.get("theft_kind")) in _VARYING
        thieves += varying
        theft_tp += varying and status == _THEFT
        theft_fp += (not varying) and status == _THEFT
        if varying:
            continue
        failure = str(t.get("failure") or "none")
        is_vacant = _bool(t.get("vacant"))
        if failure != "none":
            failures += 1
            found += status == f"failed_{failure}"
            continue
        if status.startswith("failed_"):
            false_failures += 1
        if is_vacant:
            vacant += 1
            vacant_flagged += status in _WIDE_FLAGS
            continue
        active += 1
        e_hat = r.get("error_pct")
        if (
            e_hat is not None
            and not (isinstance(e_hat, float) and math.isnan(e_hat))
            and status in ("ok", "out_of_limit", "suspect")
        ):
            diffs.append(float(e_hat) - float(t["true_error_pct"]))
            if not _bool(t.get("theft")):
                by_area[str(t.get("area_id")) in theft_areas].append(diffs[-1])
        positive = _bool(t.get("out_of_limit"))
        flagged = status in _FLAGS
        tp += positive and flagged
        fp += (not positive) and flagged
        fn += positive and not flagged
        wide = status in _WIDE_FLAGS
        lim = r.get("limit_pct")
        simple = (
            status in ("ok", "out_of_limit", "suspect")
            and e_hat is not None
            and lim is not None
            and abs(float(e_hat)) > float(lim)
        )
        tps += positive and simple
        fps += (not positive) and simple
        fns += positive and not simple
        tpw += positive and wide
        fpw += (not positive) and wide
        fnw += positive and not wide
    if n == 0:
        raise MeterError("no result row matches a meter of the truth file")
    d = np.asarray(diffs)
    return Evaluation(
        meters=n,
        active=active,
        estimated_active=len(diffs),
        rmse_pp=float(np.sqrt(np.mean(d**2))) if len(d) else float("nan"),
        p95_abs_pp=float(np.percentile(np.abs(d), 95)) if len(d) else float("nan"),
        true_out_of_limit=tp + fn,
        flagged=tp + fp,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        precision_with_suspect=_ratio(tpw, tpw + fpw),
        recall_with_suspect=_ratio(tpw, tpw + fnw),
        precision_simple=_ratio(tps, tps + fps),
        recall_simple=_ratio(tps, tps + fns),
        failures=failures,
        failures_found=found,
        false_failures=false_failures,
        vacant=vacant,
        vacant_flagged=vacant_flagged,
        thieves=thieves,
        theft_flagged=theft_tp + theft_fp,
        theft_precision=_ratio(theft_tp, theft_tp + theft_fp),
        theft_recall=_ratio(theft_tp, thieves),
        rmse_theft_areas_pp=_rms(by_area[True]),
        rmse_other_areas_pp=_rms(by_area[False]),
    )


def _rms(values: list[float]) -> float:
    return float(np.sqrt(np.mean(np.square(values)))) if values else float("nan")
