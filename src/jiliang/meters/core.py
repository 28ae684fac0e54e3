"""Remote error estimation for one transformer area (台区): the pure computational core.

Pipeline for one area (:func:`estimate_area`):

1. **Grid.** Every read is snapped to the nominal grid ``k·Δt`` when it lies within the skew
   tolerance of a grid point (clock skew); reads further away are dropped and counted. Rows are
   de-duplicated on (meter, grid point), so re-sending a file changes nothing (idempotent).
   Conflicting duplicates (the same meter and grid point with different registers) are never
   resolved: every read of that point is kept aside — the point counts as a missing read, so no
   period uses it — and listed in the meter's evidence (``conflicting_reads``: time and values)
   for the utility to correct. Row order is irrelevant.
2. **Function failures** (JJF(冀)174-2020): runaway (daily energy > Imax·Un·24 h, or an interval
   faster than Imax·Un), running backwards (a register below the previous one by more than the
   resolution, or a negative register), stopped (register unchanged for ``stopped_min_intervals``
   intervals while the current exceeds 0.1 A). Each failure has a window; periods touching any
   window are left out of the fit, so a failed meter's bad data cannot bias its neighbours.
3. **Periods.** A grid point is *complete* when the master and every user meter in the balance
   have a read there. Periods run between consecutive complete points: every energy in the fit
   is a difference of two real register reads; a missing read merges two intervals into one
   longer period and no energy is ever interpolated.
4. **Fit.** ``r = y0 − Σ y_i = Σ δ_i·y_i + a·m + b·y0²/m`` with ``δ_i = θ_i − 1``, ``m`` the period
   length in intervals (fixed loss) and ``(Σy_i)²/m`` the I²R-like variable loss (the load current squared). Weighted (1/m)
   ridge regression with a Gaussian prior ``δ_i ~ N(0, τ²)`` (shrinkage toward θ = 1); the noise
   variance is estimated from the residuals, periods beyond ``outlier_z`` are trimmed (line-loss
   outlier rule), and the posterior covariance gives the standard uncertainty of each δ_i.
   Light-load and vacant meters stay in the balance with θ fixed at 1 and are reported
   ``excluded_light_load``.
5. **Decision.** ``e_i = 1/θ_i − 1``, ``u(e_i) = u(δ_i)/θ_i²``, judged against the class limit
   with the guard-banded rule of :mod:`jiliang.meters.decision`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jiliang.meters.decision import GuardBandRule, decide
from jiliang.meters.types import (
    AreaSummary,
    EstimationSettings,
    MeterError,
    MeterResult,
    MeterSpec,
    Role,
    Status,
)

__all__ = [
    "MAX_GRID_CELLS",
    "AreaDesign",
    "AreaEstimate",
    "AreaReadings",
    "estimate_area",
    "infer_interval",
]

MAX_GRID_CELLS = 50_000_000  # meters × grid points of one area; beyond this the input is refused
_NICE_INTERVALS = (60, 300, 600, 900, 1800, 3600, 86400)


@dataclass(frozen=True, slots=True, eq=False)
class AreaReadings:
    """The reads of one area: ``meter_index[j]`` indexes ``meters``; ``ts`` in seconds (UTC epoch)."""

    area_id: str
    meters: tuple[MeterSpec, ...]
    meter_index: NDArray[np.int64]
    ts: NDArray[np.int64]
    register_kwh: NDArray[np.float64]
    current_a: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        n = len(self.ts)
        if len(self.meter_index) != n or len(self.register_kwh) != n:
            raise MeterError(f"area {self.area_id}: meter_index, ts and register_kwh differ in length")
        if self.current_a is not None and len(self.current_a) != n:
            raise MeterError(f"area {self.area_id}: current_a differs in length from ts")
        if n and (int(np.min(self.meter_index)) < 0 or int(np.max(self.meter_index)) >= len(self.meters)):
            raise MeterError(f"area {self.area_id}: meter_index out of range")
        for m in self.meters:
            if m.area_id != self.area_id:
                raise MeterError(f"meter {m.meter_id} belongs to area {m.area_id}, not {self.area_id}")


@dataclass(frozen=True, slots=True, eq=False)
class AreaDesign:
    """The fitted regression, kept for the sliding-window tracker (:mod:`jiliang.meters.tracking`)."""

    meter_ids: tuple[str, ...]  # estimated columns, in order
    X: NDArray[np.float64]  # periods × (meters + 2)
    r: NDArray[np.float64]
    w: NDArray[np.float64]
    day: NDArray[np.int64]  # UTC day number of each period's end
    sigma2: float
    prior_precision: NDArray[np.float64]  # per estimated meter, 1/τ_i²
    tau2: float = 1e-4  # base prior variance τ² of θ − 1


@dataclass(frozen=True, slots=True)
class AreaEstimate:
    summary: AreaSummary
    meters: tuple[MeterResult, ...]
    design: AreaDesign | None = field(default=None, compare=False)


def infer_interval(ts: NDArray[np.int64]) -> int:
    """The nominal read interval (s): the median positive step of the sorted reads, rounded to a
    usual value (1, 5, 10, 15, 30, 60 min or one day) when within 20 %."""
    t = np.unique(ts)
    if len(t) < 2:
        raise MeterError("cannot infer the read interval from fewer than two distinct timestamps")
    step = float(np.median(np.diff(t)))
    for nice in _NICE_INTERVALS:
        if abs(step - nice) <= 0.2 * nice:
            return nice
    return max(1, round(step))


def _last_present(present: NDArray[np.bool_]) -> NDArray[np.int64]:
    """For each cell, the column index of the latest present cell strictly before it (−1 if none)."""
    n, k = present.shape
    idx = np.where(present, np.arange(k)[None, :], -1)
    upto = np.maximum.accumulate(idx, axis=1)
    prev = np.full((n, k), -1, dtype=np.int64)
    prev[:, 1:] = upto[:, :-1]
    return prev


def _runs(mask: NDArray[np.bool_], min_len: int) -> list[tuple[int, int]]:
    """Start and end (inclusive) of the runs of True of at least ``min_len``."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False]))
    d = np.diff(padded.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s + 1 >= min_len]


MAX_CONFLICTS_LISTED = 20  # per meter; the count in ``conflicting_duplicates`` is complete


def _conflicts(
    bad: NDArray[np.int64],
    key: NDArray[np.int64],
    reg: NDArray[np.float64],
    n_points: int,
    k0: int,
    interval: int,
) -> dict[int, list[dict[str, Any]]]:
    """The first conflicting grid points of each meter: time and the distinct registers sent."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not len(bad):
        return out
    meter_of = bad // n_points  # bad is sorted, so each meter's cells are contiguous
    first = np.searchsorted(meter_of, meter_of, side="left")
    listed = bad[np.arange(len(bad)) - first < MAX_CONFLICTS_LISTED]
    rows = np.flatnonzero(np.isin(key, listed))
    order = np.argsort(key[rows], kind="stable")
    keys, values = key[rows][order], reg[rows][order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for lo, hi in zip(starts, [*starts[1:], len(keys)], strict=True):
        cell = int(keys[lo])
        sent = sorted({float(v) for v in values[lo:hi]})
        out.setdefault(cell // n_points, []).append(
            {"ts": _iso((k0 + cell % n_points) * interval), "register_kwh": sent}
        )
    return out


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def estimate_area(readings: AreaReadings, settings: EstimationSettings) -> AreaEstimate:
    """Estimate the error of every user meter of one area; see the module docstring.

    Never raises on bad *data* (that becomes a status and evidence); raises :class:`MeterError`
    only when the input arrays themselves are inconsistent or too large.
    """
    meters = readings.meters
    n = len(meters)
    area = readings.area_id
    masters = [i for i, m in enumerate(meters) if m.role is Role.MASTER]
    users = [i for i, m in enumerate(meters) if m.role is Role.USER]
    evidence: list[dict[str, Any]] = [{} for _ in range(n)]

    def finish(status: str, message: str, **summary: Any) -> AreaEstimate:
        results = []
        for i in users:
            m = meters[i]
            st = Status.INSUFFICIENT_DATA
            failure = evidence[i].get("failure")
            if failure:
                st = Status(f"failed_{failure['type']}")
            ev = dict(evidence[i])
            ev.setdefault("reason", message)
            results.append(MeterResult(m.meter_id, area, None, None, st, _limit_or_none(settings, m), ev))
        defaults: dict[str, Any] = {
            "master_id": meters[masters[0]].meter_id if len(masters) == 1 else None,
            "meters": len(users),
            "meters_estimated": 0,
            "periods_total": 0,
            "periods_used": 0,
            "collection_rate": 0.0,
            "loss_rate_pct": None,
            "fixed_loss_kw": None,
            "variable_loss_coeff": None,
            "residual_rms_pct": None,
        }
        defaults.update(summary)
        return AreaEstimate(
            AreaSummary(area_id=area, status=status, message=message, **defaults), tuple(results)
        )

    if len(masters) != 1:
        return finish(
            "no_master" if not masters else "several_masters",
            f"area {area} has {len(masters)} master meters; exactly one is required",
        )
    master = masters[0]
    if not users:
        return finish("no_users", f"area {area} has no user meters")

    ts = np.asarray(readings.ts, dtype=np.int64)
    reg = np.asarray(readings.register_kwh, dtype=np.float64)
    mi = np.asarray(readings.meter_index, dtype=np.int64)
    cur = None if readings.current_a is None else np.asarray(readings.current_a, dtype=np.float64)

    # --- 1. grid ---------------------------------------------------------------------------
    finite = np.isfinite(reg)
    negative = finite & (reg < 0)
    neg_count = np.bincount(mi[negative], minlength=n)
    bad_count = np.bincount(mi[~finite], minlength=n)
    keep = finite & ~negative
    master_ts = ts[keep & (mi == master)]
    try:
        interval = settings.interval_s or infer_interval(master_ts if len(master_ts) >= 2 else ts[keep])
    except MeterError as exc:
        return finish("no_data", f"area {area}: {exc}")
    tol = settings.skew_tolerance_s if settings.skew_tolerance_s is not None else interval / 3.0
    k = np.floor_divide(ts + interval // 2, interval)
    off = ts - k * interval
    aligned = np.abs(off) <= tol
    unaligned_count = np.bincount(mi[keep & ~aligned], minlength=n)
    keep &= aligned
    if not keep.any():
        return finish("no_data", f"area {area} has no usable reads")
    mi, k, reg = mi[keep], k[keep], reg[keep]
    cur = cur[keep] if cur is not None else None
    k0 = int(k.min())
    n_points = int(k.max()) - k0 + 1
    if n_points * n > MAX_GRID_CELLS:
        raise MeterError(
            f"area {area}: {n} meters × {n_points} grid points exceeds {MAX_GRID_CELLS} cells; "
            "check the timestamps or the interval"
        )
    kk = k - k0
    key = mi * n_points + kk
    cells = n * n_points
    counts = np.bincount(key, minlength=cells)
    R: NDArray[np.float64] = np.full(cells, np.nan)
    R[key] = reg
    current: NDArray[np.float64] | None = None
    if cur is not None:
        current = np.full(cells, np.nan)
        current[key] = cur
    dup_keys = np.flatnonzero(counts > 1)
    dup_count = np.bincount(dup_keys // n_points, weights=counts[dup_keys] - 1, minlength=n).astype(np.int64)
    conflict_count = np.zeros(n, dtype=np.int64)
    conflicts: dict[int, list[dict[str, Any]]] = {}
    if len(dup_keys):
        # equal duplicates are one read; conflicting ones are set aside (a missing read), whatever
        # the order of the rows, and listed
        rows = np.flatnonzero(counts[key] > 1)
        high = np.full(cells, -np.inf)
        np.maximum.at(high, key[rows], reg[rows])
        low = np.full(cells, np.inf)
        np.minimum.at(low, key[rows], reg[rows])
        R[dup_keys] = high[dup_keys]
        bad = dup_keys[high[dup_keys] - low[dup_keys] > 1e-9]
        R[bad] = np.nan
        conflict_count = np.bincount(bad // n_points, minlength=n)
        conflicts = _conflicts(bad, key, reg, n_points, k0, interval)
        if current is not None and cur is not None:
            current[dup_keys] = np.nan
            np.fmax.at(current, key[rows], cur[rows])
            current[bad] = np.nan
    R = R.reshape(n, n_points)
    if current is not None:
        current = current.reshape(n, n_points)
    present = ~np.isnan(R)
    collection = present.sum(axis=1) / n_points
    for i in range(n):
        ev = evidence[i]
        ev["collection"] = round(float(collection[i]), 5)
        for name, arr in (
            ("duplicates", dup_count),
            ("conflicting_duplicates", conflict_count),
            ("unaligned_reads", unaligned_count),
            ("negative_reads", neg_count),
            ("invalid_reads", bad_count),
        ):
            if arr[i]:
                ev[name] = int(arr[i])
        if i in conflicts:
            ev["conflicting_reads"] = conflicts[i]

    # --- 2. function failures ----------------------------------------------------------------
    res = settings.resolution_kwh
    prev = _last_present(present)
    has_prev = present & (prev >= 0)
    rows = np.arange(n)[:, None]
    prev_val = np.where(has_prev, R[rows, np.maximum(prev, 0)], np.nan)
    inc = np.where(has_prev, R - prev_val, np.nan)
    gap = np.where(has_prev, np.arange(n_points)[None, :] - prev, 0)
    interval_h = interval / 3600.0
    day_of_point = ((k0 + np.arange(n_points)) * interval) // 86400
    day0 = int(day_of_point[0])
    n_days = int(day_of_point[-1]) - day0 + 1
    windows: list[tuple[int, int, int, str]] = []  # start, end, meter, type
    failed: dict[int, dict[str, Any]] = {}
    # screen every meter at once; the detailed rules run only on the meters that are flagged
    un_v = np.asarray([mm.un_v for mm in meters])
    with np.errstate(invalid="ignore"):
        back_all = inc < -0.5 * res
        positive = np.where(has_prev & (inc > 0), inc, 0.0)
        still_all = (
            has_prev
            & (gap == 1)
            & (np.abs(inc) < 0.5 * res)
            & (current > settings.stopped_current_a)
            # the register must have been expected to advance by at least one step
            & (current * un_v[:, None] * interval_h / 1000.0 >= res)
            if current is not None
            else np.zeros_like(has_prev)
        )
    daily_all = np.zeros((n, n_days))
    for d in range(n_days):
        daily_all[:, d] = positive[:, day_of_point - day0 == d].sum(axis=1)
    limits_day = np.asarray([mm.runaway_kwh_per_day for mm in meters])
    p_max_kw = np.asarray([mm.imax_a * mm.un_v / 1000.0 for mm in meters])
    with np.errstate(invalid="ignore", divide="ignore"):
        fast_all = has_prev & (inc / np.maximum(gap, 1) / interval_h > p_max_kw[:, None])
    suspects = np.flatnonzero(
        back_all.any(axis=1)
        | (neg_count > 0)
        | (daily_all > limits_day[:, None]).any(axis=1)
        | (still_all.sum(axis=1) >= settings.stopped_min_intervals)
        | (fast_all.sum(axis=1) >= settings.stopped_min_intervals)
    )
    for i in suspects.tolist():
        m = meters[int(i)]
        row_inc = inc[i]
        found: list[dict[str, Any]] = []
        back = back_all[i]
        if back.any() or neg_count[i]:
            js = np.flatnonzero(back)
            if len(js):
                start, end = int(prev[i, js[0]]), int(js[-1])
                found.append(
                    {
                        "type": "backwards",
                        "start": start,
                        "end": end,
                        "rule": "register below the previous read (JJF(冀)174-2020)",
                        "events": len(js),
                        "first_drop_kwh": round(float(row_inc[js[0]]), 6),
                    }
                )
            else:
                found.append(
                    {
                        "type": "backwards",
                        "start": 0,
                        "end": n_points - 1,
                        "rule": "negative register values",
                        "events": int(neg_count[i]),
                    }
                )
        limit_day = m.runaway_kwh_per_day
        daily = daily_all[i]
        bad_days = np.flatnonzero(daily > limit_day)
        fast_runs = _runs(fast_all[i], settings.stopped_min_intervals)
        if not len(bad_days) and fast_runs:
            # a partial day (e.g. the last one) cannot reach the daily limit: a register running
            # faster than Imax·Un for an hour or more is physically impossible and is a runaway too
            found.append(
                {
                    "type": "runaway",
                    "start": max(int(prev[i, fast_runs[0][0]]), 0),
                    "end": fast_runs[-1][1],
                    "rule": "energy rate above Imax·Un for ≥ 1 h (JJF(冀)174-2020 daily rule on a partial day)",
                    "max_daily_kwh": round(float(daily.max()), 3),
                    "limit_kwh_per_day": round(limit_day, 3),
                }
            )
        if len(bad_days):
            starts, ends = [], []
            for d in bad_days.tolist():
                # the fault may have begun during the day before the first day over the limit
                in_prev = np.flatnonzero(day_of_point - day0 == max(d - 1, 0))
                in_day = np.flatnonzero(day_of_point - day0 == d)
                starts.append(max(int(in_prev[0]) - 1, 0))
                ends.append(int(in_day[-1]))
            start = min(starts)
            # refine the onset: the first interval faster than Imax·Un within the window
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = row_inc / np.maximum(gap[i], 1) / interval_h
            fast = np.flatnonzero(has_prev[i] & (rate > m.imax_a * m.un_v / 1000.0))
            fast = fast[(fast > start) & (fast <= max(ends))]
            if len(fast):
                start = int(prev[i, fast[0]])
            found.append(
                {
                    "type": "runaway",
                    "start": start,
                    "end": max(ends),
                    "rule": "daily energy > Imax·Un·24 h (JJF(冀)174-2020)",
                    "max_daily_kwh": round(float(daily.max()), 3),
                    "limit_kwh_per_day": round(limit_day, 3),
                }
            )
        if current is not None:
            runs = _runs(still_all[i], settings.stopped_min_intervals)
            if runs:
                found.append(
                    {
                        "type": "stopped",
                        "start": max(runs[0][0] - 1, 0),
                        "end": runs[-1][1],
                        "rule": "register unchanged while I > 0.1 A (JJF(冀)174-2020)",
                        "intervals": int(sum(e - s + 1 for s, e in runs)),
                    }
                )
        if found:
            first = min(found, key=lambda f: f["start"])
            for f in found:
                windows.append((f["start"], f["end"], i, f["type"]))
            t_start = (k0 + first["start"]) * interval
            failed[i] = first
            evidence[i]["failure"] = {
                "type": first["type"],
                "from": _iso(t_start),
                "to": _iso((k0 + first["end"]) * interval),
                "rule": first["rule"],
                **{key: v for key, v in first.items() if key not in ("type", "start", "end", "rule")},
            }
            if len(found) > 1:
                evidence[i]["also"] = sorted({f["type"] for f in found} - {first["type"]})
    if master in failed:
        return finish(
            "master_failed",
            f"area {area}: master meter failed ({failed[master]['type']})",
            collection_rate=float(collection.mean()),
        )

    # --- 3. periods --------------------------------------------------------------------------
    required = [master] + [i for i in users if collection[i] >= settings.min_meter_collection_for_balance]
    unmodelled = [meters[i].meter_id for i in users if i not in set(required)]
    for i in users:
        if meters[i].meter_id in unmodelled:
            evidence[i]["reason"] = "too few reads to be kept in the balance"
    # daily collection success (JJF(冀)174-2020, JJF(滇)21-2022: ≥ 99 %): per day, the share of
    # the expected reads of the meters in the balance that were collected. Days below the
    # threshold are not fitted; the area figure is the mean over the days.
    day_idx = day_of_point - day0
    per_day_present = np.zeros(n_days)
    per_day_cells = np.bincount(day_idx, minlength=n_days) * len(required)
    np.add.at(per_day_present, day_idx, present[required].sum(axis=0))
    day_success = np.where(per_day_cells > 0, per_day_present / np.maximum(per_day_cells, 1), 0.0)
    good_day = day_success >= settings.min_collection
    area_collection = float(day_success.mean())
    complete = np.flatnonzero(present[required].all(axis=0))
    periods_total = max(len(complete) - 1, 0)
    if len(complete) < 2:
        return finish(
            "no_periods",
            f"area {area}: fewer than two grid points with a read from every meter",
            collection_rate=area_collection,
        )
    p_start, p_end = complete[:-1], complete[1:]
    bad_day_points = ~good_day[day_idx]
    if bad_day_points.any():
        # a period is kept only when every grid point it spans lies in a day with enough reads
        bad_cum = np.concatenate(([0], np.cumsum(bad_day_points)))
        keep_p = (bad_cum[p_end + 1] - bad_cum[p_start]) == 0
        p_start, p_end = p_start[keep_p], p_end[keep_p]
    # A stopped meter's consumption is invisible: periods touching its window are not fitted.
    # Running backwards and runaway are linear in what the meter registers: inside their window the
    # meter gets its own column (and a constant-power column for runaway), so no data are lost and
    # nothing of the fault leaks into the neighbours' coefficients.
    ok = np.ones(len(p_start), dtype=bool)
    req = np.asarray(required)
    row_of = {int(i): j for j, i in enumerate(req[1:])}
    modelled: list[tuple[int, int, int, str]] = []
    for ws, we, wi, wt in windows:
        if wt == "stopped" or int(wi) not in row_of:
            ok &= ~((p_start < we) & (p_end > ws))
        else:
            modelled.append((ws, we, row_of[int(wi)], wt))
    p_start, p_end = p_start[ok], p_end[ok]
    E = R[req][:, p_end] - R[req][:, p_start]  # energies of the required meters per period
    m_len = (p_end - p_start).astype(np.float64)
    y0 = E[0]
    Eu = E[1:]
    user_ids = req[1:]
    in_window = [((p_start < we) & (p_end > ws)) for ws, we, _, _ in modelled]
    # safety: a period with a negative energy left after the failure windows is not fitted
    neg = Eu < -0.5 * res
    for (_, _, row, _), inw in zip(modelled, in_window, strict=True):
        neg[row, inw] = False
    sane = ~neg.any(axis=0) & (y0 > 0) if len(p_start) else np.zeros(0, dtype=bool)
    y0, Eu, m_len = y0[sane], Eu[:, sane], m_len[sane]
    p_end = p_end[sane]
    in_window = [inw[sane] for inw in in_window]
    P = len(y0)
    fitted_hours = float(m_len.sum()) * interval_h
    days_fitted = fitted_hours / 24.0
    summary_base = {"periods_total": periods_total, "collection_rate": round(area_collection, 6)}
    if not good_day.any():
        msg = (
            f"area {area}: no day with collection success ≥ {settings.min_collection} "
            "(JJF(冀)174-2020, JJF(滇)21-2022)"
        )
        return finish("low_collection", msg, periods_used=P, **summary_base)

    # --- light load ----------------------------------------------------------------------------
    normal = np.ones_like(Eu, dtype=bool)
    for (_, _, row, _), inw in zip(modelled, in_window, strict=True):
        normal[row, inw] = False
    energy = np.where(normal, Eu, 0.0).sum(axis=1) if P else np.zeros(len(user_ids))
    per_day = energy / days_fitted if days_fitted > 0 else np.zeros(len(user_ids))
    light = per_day < settings.light_load_kwh_per_day
    est_cols = np.flatnonzero(~light)
    total_user = float(energy.sum())
    for j, i in enumerate(user_ids):
        evidence[i]["energy_kwh"] = round(float(energy[j]), 4)
        evidence[i]["kwh_per_day"] = round(float(per_day[j]), 4)
        evidence[i]["share_pct"] = round(100.0 * float(energy[j]) / total_user, 4) if total_user > 0 else 0.0
    extra: list[NDArray[np.float64]] = []
    for (_, _, row, wt), inw in zip(modelled, in_window, strict=True):
        if inw.any():
            extra.append(np.where(inw, Eu[row], 0.0))
            if wt == "runaway":
                extra.append(np.where(inw, m_len, 0.0))
    n_par = len(est_cols) + len(extra) + 2
    min_needed = max(settings.min_periods, n_par + 2)
    if P < min_needed:
        return finish(
            "too_few_periods",
            f"area {area}: {P} periods usable, {min_needed} needed (JJF(滇)21-2022: ≥ 300 data groups)",
            periods_used=P,
            **summary_base,
        )

    # --- 4. fit --------------------------------------------------------------------------------
    r = y0 - Eu.sum(axis=0)
    X = np.empty((P, n_par))
    X[:, : len(est_cols)] = (Eu * normal)[est_cols].T
    for j, col in enumerate(extra):
        X[:, len(est_cols) + j] = col
    X[:, -2] = m_len
    load = Eu.sum(axis=0)
    n_pieces = len(est_cols) + len(extra)
    X[:, -1] = load * load / m_len  # I²R: the square of the users' energy per interval
    w = 1.0 / m_len
    tau2 = (settings.prior_sd_pct / 100.0) ** 2
    n_est = len(est_cols)
    mask = np.ones(P, dtype=bool)
    sigma2 = (1e-3 * float(np.mean(y0 / m_len))) ** 2 + res * res
    beta = np.zeros(n_par)
    prior_var = np.full(n_est, tau2)
    gram = _Gram(X, r, w, mask)
    for _ in range(8):
        beta, _inv = gram.solve(sigma2 / prior_var, n_est)
        resid = r - X @ beta
        dof = max(int(mask.sum()) - n_par, 1)
        sigma2 = max(float(np.sum(w[mask] * resid[mask] ** 2)) / dof, 1e-18)
        # adaptive shrinkage: a coefficient the data put far from θ = 1 is shrunk less
        new_prior = tau2 + beta[:n_est] ** 2
        # the I²R regressor uses the estimated true load Σθ_i·y_i (a stolen or under-registered
        # share of the load still heats the lines; a runaway's constant-power column removes the
        # phantom energy from the load as well)
        load = Eu.sum(axis=0) + X[:, :n_pieces] @ beta[:n_pieces]
        X[:, -1] = load * load / m_len
        new_mask = np.abs(resid) * np.sqrt(w) <= settings.outlier_z * math.sqrt(sigma2)
        stable = np.array_equal(new_mask, mask) and np.allclose(new_prior, prior_var, rtol=1e-3)
        if np.array_equal(new_mask, mask):
            gram.update_last(X)
        else:
            gram = _Gram(X, r, w, new_mask)
        mask, prior_var = new_mask, new_prior
        if stable:
            break
    beta, inv = gram.solve(sigma2 / prior_var, n_est)
    resid = r[mask] - X[mask] @ beta
    dof = max(int(mask.sum()) - n_par, 1)
    sigma2 = max(float(np.sum(w[mask] * resid**2)) / dof, 1e-18)
    beta, inv = gram.solve(sigma2 / prior_var, n_est)
    cov = inv * sigma2
    used = int(mask.sum())
    mean_y0 = float(np.mean(y0[mask] / m_len[mask]))
    # registered sales, with a failed meter's window energy replaced by its fitted value
    sales = Eu.sum(axis=0) + X[:, n_est:n_pieces] @ beta[n_est:n_pieces]
    loss_rate = 100.0 * float((y0 - sales)[mask].sum()) / float(y0[mask].sum())

    rule = GuardBandRule(settings.guard_k)
    results: list[MeterResult] = []
    col_of = {int(user_ids[c]): j for j, c in enumerate(est_cols)}
    light_of = {int(user_ids[j]): bool(light[j]) for j in range(len(user_ids))}
    estimated = 0
    for i in users:
        m = meters[i]
        ev = evidence[i]
        limit = _limit_or_none(settings, m)
        if i in failed:
            results.append(
                MeterResult(m.meter_id, area, None, None, Status(f"failed_{failed[i]['type']}"), limit, ev)
            )
            continue
        if i not in col_of:
            if light_of.get(i):
                ev["reason"] = (
                    f"mean daily energy below {settings.light_load_kwh_per_day} kWh: "
                    "kept in the balance with θ = 1, not estimable"
                )
                results.append(
                    MeterResult(m.meter_id, area, None, None, Status.EXCLUDED_LIGHT_LOAD, limit, ev)
                )
            else:
                results.append(MeterResult(m.meter_id, area, None, None, Status.INSUFFICIENT_DATA, limit, ev))
            continue
        j = col_of[i]
        delta = float(beta[j])
        u_delta = math.sqrt(max(float(cov[j, j]), 0.0))
        theta = 1.0 + delta
        ev["theta"] = round(theta, 7)
        ev["periods"] = used
        ev["days"] = round(days_fitted, 2)
        if theta <= 0.05:
            ev["reason"] = f"estimated θ = {theta:.4g} is not physical"
            results.append(MeterResult(m.meter_id, area, None, None, Status.INSUFFICIENT_DATA, limit, ev))
            continue
        e_pct = 100.0 * (1.0 / theta - 1.0)
        u_pct = 100.0 * u_delta / (theta * theta)
        if settings.collection_required_per_meter and collection[i] < settings.min_collection:
            ev["reason"] = f"meter collection {collection[i]:.4f} below {settings.min_collection}"
            results.append(MeterResult(m.meter_id, area, e_pct, u_pct, Status.INSUFFICIENT_DATA, limit, ev))
            continue
        if limit is None:
            ev["reason"] = f"no limit configured for class {m.accuracy_class}"
            results.append(MeterResult(m.meter_id, area, e_pct, u_pct, Status.INSUFFICIENT_DATA, limit, ev))
            continue
        if u_pct > settings.max_u_fraction * limit:
            ev["reason"] = f"u = {u_pct:.3g} % exceeds {settings.max_u_fraction} × limit: cannot decide"
            results.append(MeterResult(m.meter_id, area, e_pct, u_pct, Status.INSUFFICIENT_DATA, limit, ev))
            continue
        verdict = decide(e_pct, u_pct, limit, rule)
        ev["decision"] = f"guard band w = {settings.guard_k}·u = {settings.guard_k * u_pct:.3g} %"
        estimated += 1
        results.append(MeterResult(m.meter_id, area, e_pct, u_pct, Status(verdict.value), limit, ev))
    summary = AreaSummary(
        area_id=area,
        master_id=meters[master].meter_id,
        meters=len(users),
        meters_estimated=estimated,
        periods_total=periods_total,
        periods_used=used,
        collection_rate=round(area_collection, 6),
        loss_rate_pct=loss_rate,
        fixed_loss_kw=float(beta[-2]) / interval_h,
        variable_loss_coeff=float(beta[-1]),
        residual_rms_pct=100.0 * math.sqrt(sigma2) / mean_y0 if mean_y0 > 0 else None,
        status="ok",
        message=""
        if not unmodelled
        else f"{len(unmodelled)} meters without enough reads: their energy is unmodelled",
    )
    day = ((k0 + p_end[mask]) * interval - 1) // 86400
    design = AreaDesign(
        meter_ids=tuple(meters[int(user_ids[c])].meter_id for c in est_cols),
        X=X[mask],
        r=r[mask],
        w=w[mask],
        day=day.astype(np.int64),
        sigma2=sigma2,
        prior_precision=1.0 / prior_var,
        tau2=tau2,
    )
    return AreaEstimate(summary, tuple(results), design)


def _limit_or_none(settings: EstimationSettings, m: MeterSpec) -> float | None:
    value = settings.limits_pct.get(m.accuracy_class)
    return float(value) if value is not None else None


class _Gram:
    """``XᵀWX`` and ``XᵀWr`` over the kept periods; the last column (the I²R regressor, which
    changes between iterations) is updated alone."""

    def __init__(
        self, X: NDArray[np.float64], r: NDArray[np.float64], w: NDArray[np.float64], mask: NDArray[np.bool_]
    ) -> None:
        self.mask = mask
        self.r = r[mask]
        self.w = w[mask]
        Xm = X[mask]
        Xw = Xm * self.w[:, None]
        self.A = Xm.T @ Xw
        self.b = Xw.T @ self.r

    def update_last(self, X: NDArray[np.float64]) -> None:
        Xm = X[self.mask]
        cw = Xm[:, -1] * self.w
        col = Xm.T @ cw
        self.A[:, -1] = col
        self.A[-1, :] = col
        self.b[-1] = float(cw @ self.r)

    def solve(self, lam: NDArray[np.float64], n_pen: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return _solve(self.A.copy(), self.b, lam, n_pen)


def _solve(
    A: NDArray[np.float64], b: NDArray[np.float64], lam: NDArray[np.float64], n_pen: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ridge normal equations ``(A + Λ)β = b`` with Λ on the first ``n_pen`` coefficients."""
    pen = np.zeros(A.shape[0])
    pen[:n_pen] = lam
    pen[n_pen:] = 1e-12 * (np.diag(A)[n_pen:] + 1.0)
    A[np.diag_indices_from(A)] += pen
    d = np.sqrt(np.diag(A))
    d[d == 0] = 1.0
    As = A / d[:, None] / d[None, :]
    inv_s = np.linalg.inv(As)
    inv = inv_s / d[:, None] / d[None, :]
    beta = inv @ b
    return beta, inv


def _ridge(
    X: NDArray[np.float64],
    r: NDArray[np.float64],
    w: NDArray[np.float64],
    lam: NDArray[np.float64],
    n_pen: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted ridge on the first ``n_pen`` coefficients; returns β and (XᵀWX + Λ)⁻¹."""
    Xw = X * w[:, None]
    A = X.T @ Xw
    b = Xw.T @ r
    pen = np.zeros(X.shape[1])
    pen[:n_pen] = lam
    pen[n_pen:] = 1e-12 * (np.diag(A)[n_pen:] + 1.0)
    A[np.diag_indices_from(A)] += pen
    d = np.sqrt(np.diag(A))
    d[d == 0] = 1.0
    As = A / d[:, None] / d[None, :]
    inv_s = np.linalg.inv(As)
    inv = inv_s / d[:, None] / d[None, :]
    beta = inv @ b
    return beta, inv
