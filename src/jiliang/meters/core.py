"""Remote error estimation for one transformer area (台区): the pure computational core.

Pipeline for one area (:func:`estimate_area`), one function per step (``_grid``,
``_function_failures``, ``_balance``, ``_fit_with_regimes``, ``_judge``):

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
   intervals while the current exceeds 0.1 A). Each failure has a window, inside which the meter
   gets its own columns (what it registers; a runaway's constant power; a stopped meter's energy
   from its current), so a failed meter's bad data cannot bias its neighbours.
3. **Periods.** A grid point is *complete* when the master and every user meter in the balance
   have a read there. Periods run between consecutive complete points: every energy in the fit
   is a difference of two real register reads; a missing read merges two intervals into one
   longer period and no energy is ever interpolated.
4. **Fit.** ``r = y0 − Σ y_i = Σ δ_i·y_i + a·m + b·y0²/m`` with ``δ_i = θ_i − 1``, ``m`` the period
   length in intervals (fixed loss) and ``(Σy_i)²/m*`` the I²R-like variable loss (the load current
   squared; ``m*`` takes the load's shape inside a merged period from the master's reads). Weighted (1/m)
   ridge regression with a Gaussian prior ``δ_i ~ N(0, τ²)`` (shrinkage toward θ = 1); the noise
   variance is estimated from the residuals, periods beyond ``outlier_z`` are trimmed (line-loss
   outlier rule), and the posterior covariance gives the standard uncertainty of each δ_i.
   Light-load and vacant meters keep a column under the prior (``fit_light_load``) and are
   reported ``excluded_light_load``.
4b. **Regimes** (:mod:`jiliang.meters.theft`). Every estimated meter is tested for a ``θ`` that
   changes with the hour of the day, its load or the date; the most significant is modelled per
   regime and the area refitted, until none is left. A regime registering ≥ 10 % less than
   another (and ≤ 90 % of the energy) makes the meter ``suspected_theft``, with the test, its
   statistic and the window in its evidence; a smaller change (a step in a meter's error) is
   modelled the same way and judged on its energy-weighted error. ``gls`` (on by default) then
   refits with the neighbour correlation of the register rounding.
5. **Decision.** ``e_i = 1/θ_i − 1``, ``u(e_i) = u(δ_i)/θ_i²``, judged against the class limit
   with the guard-banded rule of :mod:`jiliang.meters.decision` (:func:`~jiliang.meters.decision.judge`):
   inside the guard band, ``suspect`` only when ``P(|e| > L)`` reaches ``flag_probability``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from jiliang.meters.decision import GuardBandRule, judge
from jiliang.meters.skew import clocks, offset_columns, offset_test, point_rates
from jiliang.meters.theft import FitView, RegimeSplit, best_split
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


class _Stop(Exception):
    """An area that cannot be estimated: its status, message and the summary figures known so far."""

    def __init__(self, status: str, message: str, **summary: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.summary = status, message, summary


@dataclass(slots=True, eq=False)
class _Grid:
    """Step 1: registers (and currents) on the nominal grid, meters × grid points."""

    interval: int
    k0: int
    n_points: int
    R: NDArray[np.float64]
    current: NDArray[np.float64] | None
    present: NDArray[np.bool_]
    collection: NDArray[np.float64]
    neg_count: NDArray[np.int64]

    @property
    def interval_h(self) -> float:
        return self.interval / 3600.0

    @property
    def day_of_point(self) -> NDArray[np.int64]:
        """UTC day number of every grid point."""
        out: NDArray[np.int64] = ((self.k0 + np.arange(self.n_points)) * self.interval) // 86400
        return out


@dataclass(slots=True, eq=False)
class _Screen:
    """Step 2's vectorised screen of every meter: increments and the cells each rule flags."""

    prev: NDArray[np.int64]
    has_prev: NDArray[np.bool_]
    inc: NDArray[np.float64]
    gap: NDArray[np.int64]
    back: NDArray[np.bool_]
    still: NDArray[np.bool_]
    fast: NDArray[np.bool_]
    daily: NDArray[np.float64]
    day_idx: NDArray[np.int64]


@dataclass(slots=True, eq=False)
class _Balance:
    """Step 3: the periods of the balance and the energies of the meters in it."""

    req: NDArray[np.int64]  # master first, then the user meters kept in the balance
    y0: NDArray[np.float64]
    Eu: NDArray[np.float64]  # user meters × periods
    m_len: NDArray[np.float64]
    i2r_len: NDArray[np.float64]  # the length m* of the I²R regressor load²/m* (≤ m_len)
    p_start: NDArray[np.int64]
    p_end: NDArray[np.int64]
    modelled: list[tuple[int, int, int, str]]  # failure windows modelled by own columns
    in_window: list[NDArray[np.bool_]]
    periods_total: int
    area_collection: float
    days_fitted: float
    regimes: dict[int, RegimeSplit] = field(default_factory=dict)  # row → its regimes (step 4b)
    current_kwh: dict[int, NDArray[np.float64]] = field(default_factory=dict)  # stopped: I·Un·Δt

    @property
    def user_ids(self) -> NDArray[np.int64]:
        return self.req[1:]


@dataclass(slots=True, eq=False)
class _Fit:
    """Step 4: the ridge fit over the kept periods."""

    X: NDArray[np.float64]
    r: NDArray[np.float64]
    w: NDArray[np.float64]
    beta: NDArray[np.float64]
    cov: NDArray[np.float64]
    sigma2: float
    mask: NDArray[np.bool_]
    prior_var: NDArray[np.float64]
    est_cols: NDArray[np.int64]
    n_pieces: int
    tau2: float
    n_fail: int = 0  # failure-window pieces after the estimated columns
    regime_cols: dict[int, list[int]] = field(default_factory=dict)  # row → columns of regimes ≥ 1
    unsplit: _Fit | None = None  # the fit before any regime split (the tracker's design)


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def estimate_area(readings: AreaReadings, settings: EstimationSettings) -> AreaEstimate:
    """Estimate the error of every user meter of one area; see the module docstring.

    Never raises on bad *data* (that becomes a status and evidence); raises :class:`MeterError`
    only when the input arrays themselves are inconsistent or too large. BLAS runs on one thread
    here: a threaded BLAS sums in an order that depends on the thread count, and the GLS refit
    carries that into the 9th digit, so the same reads gave other errors on a Spark worker (one
    thread) than in the local engine. The engines run areas in parallel instead.
    """
    with _blas().limit(limits=1, user_api="blas"):
        return _estimate_area(readings, settings)


def _estimate_area(readings: AreaReadings, settings: EstimationSettings) -> AreaEstimate:
    meters = readings.meters
    masters = [i for i, m in enumerate(meters) if m.role is Role.MASTER]
    users = [i for i, m in enumerate(meters) if m.role is Role.USER]
    evidence: list[dict[str, Any]] = [{} for _ in meters]
    try:
        if len(masters) != 1:
            raise _Stop(
                "no_master" if not masters else "several_masters",
                f"area {readings.area_id} has {len(masters)} master meters; exactly one is required",
            )
        if not users:
            raise _Stop("no_users", f"area {readings.area_id} has no user meters")
        master = masters[0]
        grid = _grid(readings, master, settings, evidence)
        windows, failed = _function_failures(grid, meters, settings, evidence)
        if master in failed:
            raise _Stop(
                "master_failed",
                f"area {readings.area_id}: master meter failed ({failed[master]['type']})",
                collection_rate=float(grid.collection.mean()),
            )
        bal, unmodelled = _balance(readings.area_id, grid, meters, users, master, windows, settings, evidence)
        light = _light_load(bal, meters, settings, evidence)
        if settings.clock_offsets:
            _clock_offsets(bal, light, grid, settings, evidence)
        fit = _fit_with_regimes(readings.area_id, bal, light, grid, settings)
    except _Stop as stop:
        return _unestimated(readings, settings, evidence, users, masters, stop)
    results, estimated = _judge(meters, users, failed, bal, light, fit, grid, settings, evidence)
    summary = _summary(readings.area_id, meters[master].meter_id, len(users), estimated, bal, fit, grid)
    if unmodelled:
        summary = replace(
            summary, message=f"{len(unmodelled)} meters without enough reads: their energy is unmodelled"
        )
    return AreaEstimate(summary, tuple(results), _design(meters, bal, fit, grid))


def _unestimated(
    readings: AreaReadings,
    settings: EstimationSettings,
    evidence: list[dict[str, Any]],
    users: list[int],
    masters: list[int],
    stop: _Stop,
) -> AreaEstimate:
    """The answer for an area that cannot be estimated: every user meter without an estimate."""
    meters, area = readings.meters, readings.area_id
    results = []
    for i in users:
        m = meters[i]
        st = Status.INSUFFICIENT_DATA
        failure = evidence[i].get("failure")
        if failure:
            st = Status(f"failed_{failure['type']}")
        ev = dict(evidence[i])
        ev.setdefault("reason", stop.message)
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
    defaults.update(stop.summary)
    summary = AreaSummary(area_id=area, status=stop.status, message=stop.message, **defaults)
    return AreaEstimate(summary, tuple(results))


# --- 1. grid ---------------------------------------------------------------------------------


def _grid(
    readings: AreaReadings, master: int, settings: EstimationSettings, evidence: list[dict[str, Any]]
) -> _Grid:
    """Snap every read to the nominal grid (clock skew), drop the rest, resolve duplicates."""
    n, area = len(readings.meters), readings.area_id
    ts = np.asarray(readings.ts, dtype=np.int64)
    reg = np.asarray(readings.register_kwh, dtype=np.float64)
    mi = np.asarray(readings.meter_index, dtype=np.int64)
    cur = None if readings.current_a is None else np.asarray(readings.current_a, dtype=np.float64)
    finite = np.isfinite(reg)
    negative = finite & (reg < 0)
    neg_count = np.bincount(mi[negative], minlength=n)
    bad_count = np.bincount(mi[~finite], minlength=n)
    keep = finite & ~negative
    master_ts = ts[keep & (mi == master)]
    try:
        interval = settings.interval_s or infer_interval(master_ts if len(master_ts) >= 2 else ts[keep])
    except MeterError as exc:
        raise _Stop("no_data", f"area {area}: {exc}") from None
    tol = settings.skew_tolerance_s if settings.skew_tolerance_s is not None else interval / 3.0
    k = np.floor_divide(ts + interval // 2, interval)
    aligned = np.abs(ts - k * interval) <= tol
    unaligned_count = np.bincount(mi[keep & ~aligned], minlength=n)
    keep &= aligned
    if not keep.any():
        raise _Stop("no_data", f"area {area} has no usable reads")
    mi, k, reg = mi[keep], k[keep], reg[keep]
    cur = cur[keep] if cur is not None else None
    k0 = int(k.min())
    n_points = int(k.max()) - k0 + 1
    if n_points * n > MAX_GRID_CELLS:
        raise MeterError(
            f"area {area}: {n} meters × {n_points} grid points exceeds {MAX_GRID_CELLS} cells; "
            "check the timestamps or the interval"
        )
    key = mi * n_points + (k - k0)
    R, current, dup_count, conflict_count, conflicts = _cells(key, reg, cur, n, n_points, k0, interval)
    R2 = R.reshape(n, n_points)
    present = ~np.isnan(R2)
    collection = present.sum(axis=1) / n_points
    counts = {
        "duplicates": dup_count,
        "conflicting_duplicates": conflict_count,
        "unaligned_reads": unaligned_count,
        "negative_reads": neg_count,
        "invalid_reads": bad_count,
    }
    _read_evidence(evidence, collection, counts, conflicts)
    cur2 = current.reshape(n, n_points) if current is not None else None
    return _Grid(interval, k0, n_points, R2, cur2, present, collection, neg_count)


def _cells(
    key: NDArray[np.int64],
    reg: NDArray[np.float64],
    cur: NDArray[np.float64] | None,
    n: int,
    n_points: int,
    k0: int,
    interval: int,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64] | None,
    NDArray[np.int64],
    NDArray[np.int64],
    dict[int, list[dict[str, Any]]],
]:
    """One value per (meter, grid point): equal duplicates are one read; conflicting ones are set
    aside (a missing read), whatever the order of the rows, and listed."""
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
    return R, current, dup_count, conflict_count, conflicts


def _read_evidence(
    evidence: list[dict[str, Any]],
    collection: NDArray[np.float64],
    counts: dict[str, NDArray[np.int64]],
    conflicts: dict[int, list[dict[str, Any]]],
) -> None:
    """Per meter: collection rate, and every non-zero count of set-aside reads."""
    for i, ev in enumerate(evidence):
        ev["collection"] = round(float(collection[i]), 5)
        for name, arr in counts.items():
            if arr[i]:
                ev[name] = int(arr[i])
        if i in conflicts:
            ev["conflicting_reads"] = conflicts[i]


# --- 2. function failures (JJF(冀)174-2020) ------------------------------------------------


def _function_failures(
    grid: _Grid, meters: tuple[MeterSpec, ...], settings: EstimationSettings, evidence: list[dict[str, Any]]
) -> tuple[list[tuple[int, int, int, str]], dict[int, dict[str, Any]]]:
    """Runaway, backwards and stopped meters: their windows (start, end, meter, type) and the
    first failure of each failed meter, recorded in its evidence."""
    sc = _screen(grid, meters, settings)
    windows: list[tuple[int, int, int, str]] = []
    failed: dict[int, dict[str, Any]] = {}
    suspects = np.flatnonzero(
        sc.back.any(axis=1)
        | (grid.neg_count > 0)
        | (sc.daily > np.asarray([mm.runaway_kwh_per_day for mm in meters])[:, None]).any(axis=1)
        | (sc.still.sum(axis=1) >= settings.stopped_min_intervals)
        | (sc.fast.sum(axis=1) >= settings.stopped_min_intervals)
    )
    for i in suspects.tolist():
        found = _backwards(i, sc, grid) + _runaway(i, sc, grid, meters[i], settings)
        if grid.current is not None:
            found += _stopped(i, sc, settings)
        if not found:
            continue
        first = min(found, key=lambda f: f["start"])
        for f in found:
            windows.append((f["start"], f["end"], i, f["type"]))
        failed[i] = first
        evidence[i]["failure"] = {
            "type": first["type"],
            "from": _iso((grid.k0 + first["start"]) * grid.interval),
            "to": _iso((grid.k0 + first["end"]) * grid.interval),
            "rule": first["rule"],
            **{key: v for key, v in first.items() if key not in ("type", "start", "end", "rule")},
        }
        if len(found) > 1:
            evidence[i]["also"] = sorted({f["type"] for f in found} - {first["type"]})
    return windows, failed


def _screen(grid: _Grid, meters: tuple[MeterSpec, ...], settings: EstimationSettings) -> _Screen:
    """Every meter at once; the detailed rules run only on the meters flagged here."""
    n, n_points, R, present, current = len(meters), grid.n_points, grid.R, grid.present, grid.current
    res, interval_h = settings.resolution_kwh, grid.interval_h
    prev = _last_present(present)
    has_prev = present & (prev >= 0)
    prev_val = np.where(has_prev, R[np.arange(n)[:, None], np.maximum(prev, 0)], np.nan)
    inc = np.where(has_prev, R - prev_val, np.nan)
    gap = np.where(has_prev, np.arange(n_points)[None, :] - prev, 0)
    day_of_point = grid.day_of_point
    day_idx = day_of_point - int(day_of_point[0])
    n_days = int(day_idx[-1]) + 1
    un_v = np.asarray([mm.un_v for mm in meters])
    with np.errstate(invalid="ignore"):
        back = inc < -0.5 * res
        positive = np.where(has_prev & (inc > 0), inc, 0.0)
        still = (
            has_prev
            & (gap == 1)
            & (np.abs(inc) < 0.5 * res)
            & (current > settings.stopped_current_a)
            # the register must have been expected to advance by at least one step
            & (current * un_v[:, None] * interval_h / 1000.0 >= res)
            if current is not None
            else np.zeros_like(has_prev)
        )
    daily = np.zeros((n, n_days))
    for d in range(n_days):
        daily[:, d] = positive[:, day_idx == d].sum(axis=1)
    p_max_kw = np.asarray([mm.imax_a * mm.un_v / 1000.0 for mm in meters])
    with np.errstate(invalid="ignore", divide="ignore"):
        fast = has_prev & (inc / np.maximum(gap, 1) / interval_h > p_max_kw[:, None])
    return _Screen(prev, has_prev, inc, gap, back, still, fast, daily, day_idx)


def _backwards(i: int, sc: _Screen, grid: _Grid) -> list[dict[str, Any]]:
    """Running backwards: a register below the previous one, or negative registers."""
    back = sc.back[i]
    if not (back.any() or grid.neg_count[i]):
        return []
    js = np.flatnonzero(back)
    if not len(js):
        return [
            {
                "type": "backwards",
                "start": 0,
                "end": grid.n_points - 1,
                "rule": "negative register values",
                "events": int(grid.neg_count[i]),
            }
        ]
    return [
        {
            "type": "backwards",
            "start": int(sc.prev[i, js[0]]),
            "end": int(js[-1]),
            "rule": "register below the previous read (JJF(冀)174-2020)",
            "events": len(js),
            "first_drop_kwh": round(float(sc.inc[i, js[0]]), 6),
        }
    ]


def _runaway(
    i: int, sc: _Screen, grid: _Grid, m: MeterSpec, settings: EstimationSettings
) -> list[dict[str, Any]]:
    """Runaway: daily energy above Imax·Un·24 h, or (on a partial day) a register faster than
    Imax·Un for ``stopped_min_intervals`` intervals."""
    limit_day = m.runaway_kwh_per_day
    daily = sc.daily[i]
    figures = {"max_daily_kwh": round(float(daily.max()), 3), "limit_kwh_per_day": round(limit_day, 3)}
    bad_days = np.flatnonzero(daily > limit_day)
    if not len(bad_days):
        fast_runs = _runs(sc.fast[i], settings.stopped_min_intervals)
        if not fast_runs:
            return []
        # a partial day (e.g. the last one) cannot reach the daily limit: a register running
        # faster than Imax·Un for an hour or more is physically impossible and is a runaway too
        rule = "energy rate above Imax·Un for ≥ 1 h (JJF(冀)174-2020 daily rule on a partial day)"
        start = max(int(sc.prev[i, fast_runs[0][0]]), 0)
        return [{"type": "runaway", "start": start, "end": fast_runs[-1][1], "rule": rule, **figures}]
    starts, ends = [], []
    for d in bad_days.tolist():
        # the fault may have begun during the day before the first day over the limit
        in_prev = np.flatnonzero(sc.day_idx == max(d - 1, 0))
        in_day = np.flatnonzero(sc.day_idx == d)
        starts.append(max(int(in_prev[0]) - 1, 0))
        ends.append(int(in_day[-1]))
    start = min(starts)
    # refine the onset: the first interval faster than Imax·Un within the window
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = sc.inc[i] / np.maximum(sc.gap[i], 1) / grid.interval_h
    fast = np.flatnonzero(sc.has_prev[i] & (rate > m.imax_a * m.un_v / 1000.0))
    fast = fast[(fast > start) & (fast <= max(ends))]
    if len(fast):
        start = int(sc.prev[i, fast[0]])
    rule = "daily energy > Imax·Un·24 h (JJF(冀)174-2020)"
    return [{"type": "runaway", "start": start, "end": max(ends), "rule": rule, **figures}]


def _stopped(i: int, sc: _Screen, settings: EstimationSettings) -> list[dict[str, Any]]:
    """Stopped: register unchanged while the current exceeds ``stopped_current_a``."""
    runs = _runs(sc.still[i], settings.stopped_min_intervals)
    if not runs:
        return []
    return [
        {
            "type": "stopped",
            "start": max(runs[0][0] - 1, 0),
            "end": runs[-1][1],
            "rule": "register unchanged while I > 0.1 A (JJF(冀)174-2020)",
            "intervals": int(sum(e - s + 1 for s, e in runs)),
        }
    ]


# --- 3. periods ----------------------------------------------------------------------------


def _balance(
    area: str,
    grid: _Grid,
    meters: tuple[MeterSpec, ...],
    users: list[int],
    master: int,
    windows: list[tuple[int, int, int, str]],
    settings: EstimationSettings,
    evidence: list[dict[str, Any]],
) -> tuple[_Balance, list[str]]:
    """The periods between complete grid points on good days, outside the failure windows that
    cannot be modelled, and the energies of every meter in the balance over them."""
    required = [master] + [
        i for i in users if grid.collection[i] >= settings.min_meter_collection_for_balance
    ]
    unmodelled = [meters[i].meter_id for i in users if i not in set(required)]
    for i in users:
        if meters[i].meter_id in unmodelled:
            evidence[i]["reason"] = "too few reads to be kept in the balance"
    good_day, area_collection = _day_success(grid, required, settings)
    complete = np.flatnonzero(grid.present[required].all(axis=0))
    periods_total = max(len(complete) - 1, 0)
    if len(complete) < 2:
        raise _Stop(
            "no_periods",
            f"area {area}: fewer than two grid points with a read from every meter",
            collection_rate=area_collection,
        )
    p_start, p_end = complete[:-1], complete[1:]
    bad_day_points = ~good_day[grid.day_of_point - int(grid.day_of_point[0])]
    if bad_day_points.any():
        # a period is kept only when every grid point it spans lies in a day with enough reads
        bad_cum = np.concatenate(([0], np.cumsum(bad_day_points)))
        keep_p = (bad_cum[p_end + 1] - bad_cum[p_start]) == 0
        p_start, p_end = p_start[keep_p], p_end[keep_p]
    req = np.asarray(required)
    model_stopped = settings.model_stopped and grid.current is not None
    p_start, p_end, modelled = _outside_windows(p_start, p_end, windows, req, model_stopped)
    bal = _energies(grid, req, p_start, p_end, modelled, settings)
    un_v = np.asarray([meters[int(i)].un_v for i in req])
    for _, _, row, wt in modelled:
        if wt == "stopped":
            bal.current_kwh[row] = _current_energy(grid, int(req[row + 1]), float(un_v[row + 1]), bal)
    bal.periods_total, bal.area_collection = periods_total, area_collection
    if not good_day.any():
        msg = (
            f"area {area}: no day with collection success ≥ {settings.min_collection} "
            "(JJF(冀)174-2020, JJF(滇)21-2022)"
        )
        raise _Stop("low_collection", msg, periods_used=len(bal.y0), **_summary_base(bal))
    return bal, unmodelled


def _summary_base(bal: _Balance) -> dict[str, Any]:
    return {"periods_total": bal.periods_total, "collection_rate": round(bal.area_collection, 6)}


def _day_success(
    grid: _Grid, required: list[int], settings: EstimationSettings
) -> tuple[NDArray[np.bool_], float]:
    """Daily collection success (JJF(冀)174-2020, JJF(滇)21-2022: ≥ 99 %): per day, the share of
    the expected reads of the meters in the balance that were collected. Days below the
    threshold are not fitted; the area figure is the mean over the days."""
    day_idx = grid.day_of_point - int(grid.day_of_point[0])
    n_days = int(day_idx[-1]) + 1
    per_day_present = np.zeros(n_days)
    per_day_cells = np.bincount(day_idx, minlength=n_days) * len(required)
    np.add.at(per_day_present, day_idx, grid.present[required].sum(axis=0))
    day_success = np.where(per_day_cells > 0, per_day_present / np.maximum(per_day_cells, 1), 0.0)
    return day_success >= settings.min_collection, float(day_success.mean())


def _outside_windows(
    p_start: NDArray[np.int64],
    p_end: NDArray[np.int64],
    windows: list[tuple[int, int, int, str]],
    req: NDArray[np.int64],
    model_stopped: bool = True,
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[tuple[int, int, int, str]]]:
    """Running backwards and runaway are linear in what the meter registers: inside their window
    the meter gets its own column (and a constant-power column for runaway), so no data are lost
    and nothing of the fault leaks into the neighbours' coefficients. A stopped meter registers
    nothing, but its current still measures its load: inside its window it gets a column of the
    energy ``I·Un·Δt`` from its current, with a free coefficient (the power factor), so a meter
    that stops early in the period does not take the whole area's periods with it
    (``model_stopped``; otherwise periods touching its window are not fitted)."""
    ok = np.ones(len(p_start), dtype=bool)
    row_of = {int(i): j for j, i in enumerate(req[1:])}
    modelled: list[tuple[int, int, int, str]] = []
    for ws, we, wi, wt in windows:
        if (wt == "stopped" and not model_stopped) or int(wi) not in row_of:
            ok &= ~((p_start < we) & (p_end > ws))
        else:
            modelled.append((ws, we, row_of[int(wi)], wt))
    return p_start[ok], p_end[ok], modelled


def _current_energy(grid: _Grid, i: int, un_v: float, bal: _Balance) -> NDArray[np.float64]:
    """Energy per period from a meter's current, ``Σ I·Un·Δt`` over the intervals of the period
    (a missing current is taken as the mean of the period's others)."""
    assert grid.current is not None
    c = grid.current[i] * un_v * grid.interval_h / 1000.0
    valid = ~np.isnan(c)
    cs = np.concatenate(([0.0], np.cumsum(np.where(valid, c, 0.0))))
    cnt = np.concatenate(([0], np.cumsum(valid)))
    s, e = bal.p_start + 1, bal.p_end + 1  # intervals s..e of the period (start, end]
    total, n_valid = cs[e] - cs[s], cnt[e] - cnt[s]
    out: NDArray[np.float64] = np.where(n_valid > 0, total * (e - s) / np.maximum(n_valid, 1), 0.0)
    return out


def _energies(
    grid: _Grid,
    req: NDArray[np.int64],
    p_start: NDArray[np.int64],
    p_end: NDArray[np.int64],
    modelled: list[tuple[int, int, int, str]],
    settings: EstimationSettings,
) -> _Balance:
    """Energies of the meters in the balance per period (differences of two real reads); a
    period with a negative energy left after the failure windows is not fitted."""
    res = settings.resolution_kwh
    E = grid.R[req][:, p_end] - grid.R[req][:, p_start]
    m_len = (p_end - p_start).astype(np.float64)
    y0 = E[0]
    Eu = E[1:]
    in_window = [((p_start < we) & (p_end > ws)) for ws, we, _, _ in modelled]
    neg = Eu < -0.5 * res
    for (_, _, row, _), inw in zip(modelled, in_window, strict=True):
        neg[row, inw] = False
    sane = ~neg.any(axis=0) & (y0 > 0) if len(p_start) else np.zeros(0, dtype=bool)
    i2r_len = _i2r_length(grid, int(req[0]), p_start, p_end, m_len)[sane]
    m_len = m_len[sane]
    days_fitted = float(m_len.sum()) * grid.interval_h / 24.0
    return _Balance(
        req=req,
        y0=y0[sane],
        Eu=Eu[:, sane],
        m_len=m_len,
        i2r_len=i2r_len,
        p_start=p_start[sane],
        p_end=p_end[sane],
        modelled=modelled,
        in_window=[inw[sane] for inw in in_window],
        periods_total=0,
        area_collection=0.0,
        days_fitted=days_fitted,
    )


def _i2r_length(
    grid: _Grid, master: int, p_start: NDArray[np.int64], p_end: NDArray[np.int64], m_len: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The length ``m*`` that makes ``load²/m*`` the I²R loss of a period: ``(Σz)²/Σ(z²/l)`` over
    the master's own sub-periods (energy ``z``, length ``l``, between its consecutive reads).

    A period merged over a user meter's missing read spans several intervals whose loads differ;
    the loss is the sum of their squares, not the square of their mean (Jensen): ``load²/m``
    understates it, by an amount that varies from period to period and is unmodelled noise as large
    as the register rounding. The master is read at every grid point of the period that it has a
    read for, so its sub-period energies give the shape of the load inside the period; a period of
    one interval (or without master reads inside) keeps ``m* = m``."""
    out = m_len.copy()
    if not len(p_start):
        return out
    pm = np.flatnonzero(grid.present[master])
    z = np.diff(grid.R[master, pm])
    ln = np.diff(pm).astype(np.float64)
    period = np.searchsorted(p_start, pm[:-1], side="right") - 1
    inside = (period >= 0) & (pm[1:] <= p_end[np.maximum(period, 0)]) & (z >= 0)
    period, z, ln = period[inside], z[inside], ln[inside]
    s1 = np.bincount(period, weights=z, minlength=len(p_start))
    s2 = np.bincount(period, weights=z * z / ln, minlength=len(p_start))
    ok = (s2 > 0) & (m_len > 1)
    out[ok] = s1[ok] ** 2 / s2[ok]
    return np.minimum(out, m_len)


def _clock_offsets(
    bal: _Balance,
    light: NDArray[np.bool_],
    grid: _Grid,
    settings: EstimationSettings,
    evidence: list[dict[str, Any]],
) -> None:
    """Step 3b: estimate the clock offsets of the master and of the estimable meters
    (:mod:`jiliang.meters.skew`); when they improve the balance significantly
    (``clock_offset_alpha``), move every energy to the nominal grid, in place."""
    rows = np.flatnonzero(~light)
    if not len(rows) or len(bal.y0) < 3:
        return
    ids = np.concatenate(([bal.req[0]], bal.req[1:][rows]))
    after, before = point_rates(grid.R[ids], grid.present[ids])
    normal = np.vstack([np.ones((1, len(bal.y0)), dtype=bool), _normal(bal)[rows]])
    c_after = offset_columns(after, bal.p_start, bal.p_end) * normal
    c_before = offset_columns(before, bal.p_start, bal.p_end) * normal
    X, _, _, _ = _design_matrix(bal, np.arange(len(light)))
    contig = np.concatenate(([False], bal.p_end[:-1] == bal.p_start[1:]))
    r = bal.y0 - bal.Eu.sum(axis=0)
    test = offset_test(X, r, bal.m_len, c_after[1:].T, c_before[1:].T, contig, settings.outlier_z)
    log_alpha = math.log10(settings.clock_offset_alpha)
    if test is None or min(test.log10_p_kappa, test.log10_p_offsets) > log_alpha:
        return
    cl = clocks(test.offsets, test.u_offsets, test.kappa)
    mean = np.concatenate(([cl.master], cl.mean))
    mean_abs = np.concatenate(([abs(cl.master)], cl.mean_abs))
    shift = mean[:, None] * 0.5 * (c_after + c_before) + mean_abs[:, None] * 0.5 * (c_after - c_before)
    bal.y0 -= shift[0]
    bal.Eu[rows] -= shift[1:]
    f_c, q, dof = test.f_offsets
    note = {
        "f": round(float(f_c), 4),
        "dof": [int(q), int(dof)],
        "log10_p": round(float(test.log10_p_offsets), 3),
        "log10_p_common": round(float(test.log10_p_kappa), 3),
        "spread_s": round(float(cl.tau) * grid.interval, 2),
    }
    u = np.concatenate(([0.0], test.u_offsets))
    for j, i in enumerate(ids.tolist()):
        ev = evidence[int(i)]
        ev["clock_offset_s"] = round(float(mean[j]) * grid.interval, 2)
        if j:
            ev["clock_offset_u_s"] = round(float(u[j]) * grid.interval, 2)
        ev["clock_offset_test"] = note


# --- 4. fit --------------------------------------------------------------------------------


def _normal(bal: _Balance) -> NDArray[np.bool_]:
    """Cells of the user meters outside their modelled failure windows."""
    normal = np.ones_like(bal.Eu, dtype=bool)
    for (_, _, row, _), inw in zip(bal.modelled, bal.in_window, strict=True):
        normal[row, inw] = False
    for row, split in bal.regimes.items():
        for mask in split.masks:
            normal[row, mask] = False
    return normal


def _light_load(
    bal: _Balance, meters: tuple[MeterSpec, ...], settings: EstimationSettings, evidence: list[dict[str, Any]]
) -> NDArray[np.bool_]:
    """Light-load and vacant meters (mean daily energy below the setting) stay in the balance with
    θ fixed at 1; every meter's energy and share go to its evidence."""
    user_ids, P = bal.user_ids, len(bal.y0)
    energy = np.where(_normal(bal), bal.Eu, 0.0).sum(axis=1) if P else np.zeros(len(user_ids))
    per_day = energy / bal.days_fitted if bal.days_fitted > 0 else np.zeros(len(user_ids))
    total_user = float(energy.sum())
    for j, i in enumerate(user_ids):
        evidence[i]["energy_kwh"] = round(float(energy[j]), 4)
        evidence[i]["kwh_per_day"] = round(float(per_day[j]), 4)
        evidence[i]["share_pct"] = round(100.0 * float(energy[j]) / total_user, 4) if total_user > 0 else 0.0
    light: NDArray[np.bool_] = per_day < settings.light_load_kwh_per_day
    return light


def _design_matrix(
    bal: _Balance, est_cols: NDArray[np.int64]
) -> tuple[NDArray[np.float64], int, int, dict[int, list[int]]]:
    """Columns: the estimated meters (regime 0 of a split meter), the failure-window pieces (a
    runaway's constant power as well), the other regimes of split meters, the fixed loss ``m``
    and the I²R regressor ``(Σy_i)²/m``; the number of pieces, of failure pieces, and the
    regime columns of each split meter."""
    Eu, m_len = bal.Eu, bal.m_len
    extra: list[NDArray[np.float64]] = []
    for (_, _, row, wt), inw in zip(bal.modelled, bal.in_window, strict=True):
        if inw.any() and wt == "stopped":
            extra.append(np.where(inw, bal.current_kwh[row], 0.0))
        elif inw.any():
            extra.append(np.where(inw, Eu[row], 0.0))
            if wt == "runaway":
                extra.append(np.where(inw, m_len, 0.0))
    n_fail = len(extra)
    regime_cols: dict[int, list[int]] = {}
    for row, split in bal.regimes.items():
        regime_cols[row] = []
        for mask in split.masks:
            regime_cols[row].append(len(est_cols) + len(extra))
            extra.append(np.where(mask, Eu[row], 0.0))
    n_par = len(est_cols) + len(extra) + 2
    X = np.empty((len(bal.y0), n_par))
    X[:, : len(est_cols)] = (Eu * _normal(bal))[est_cols].T
    for j, col in enumerate(extra):
        X[:, len(est_cols) + j] = col
    X[:, -2] = m_len
    load = Eu.sum(axis=0)
    X[:, -1] = load * load / bal.i2r_len  # I²R: the square of the users' energy per interval
    return X, len(est_cols) + len(extra), n_fail, regime_cols


def _fit(area: str, bal: _Balance, light: NDArray[np.bool_], settings: EstimationSettings) -> _Fit:
    """Weighted (1/m) ridge toward θ = 1 with adaptive shrinkage, outlier trimming and the I²R
    regressor updated from the estimated true load, iterated to a fixed point."""
    est_cols = np.arange(len(light)) if settings.fit_light_load else np.flatnonzero(~light)
    X, n_pieces, n_fail, regime_cols = _design_matrix(bal, est_cols)
    P, n_par = X.shape
    min_needed = max(settings.min_periods, n_par + 2)
    if P < min_needed:
        raise _Stop(
            "too_few_periods",
            f"area {area}: {P} periods usable, {min_needed} needed (JJF(滇)21-2022: ≥ 300 data groups)",
            periods_used=P,
            **_summary_base(bal),
        )
    Eu, m_len, y0 = bal.Eu, bal.m_len, bal.y0
    r = y0 - Eu.sum(axis=0)
    w = 1.0 / m_len
    tau2 = (settings.prior_sd_pct / 100.0) ** 2
    n_est = len(est_cols)
    mask = np.ones(P, dtype=bool)
    res = settings.resolution_kwh
    sigma2 = (1e-3 * float(np.mean(y0 / m_len))) ** 2 + res * res
    prior_var = np.full(n_est, tau2)
    # a meter split per regime: its regime-0 column is as free as its other regimes' columns
    free = np.isin(est_cols, np.asarray(list(bal.regimes), dtype=np.int64))
    prior_var[free] = 1.0
    gram = _Gram(X, r, w, mask)
    for _ in range(settings.max_iterations):
        beta, _inv = gram.solve(sigma2 / prior_var, n_est)
        resid = r - X @ beta
        dof = max(int(mask.sum()) - n_par, 1)
        sigma2 = max(float(np.sum(w[mask] * resid[mask] ** 2)) / dof, 1e-18)
        # adaptive shrinkage: a coefficient the data put far from θ = 1 is shrunk less
        new_prior = np.where(free, 1.0, tau2 + beta[:n_est] ** 2)
        # the I²R regressor uses the estimated true load Σθ_i·y_i (a stolen or under-registered
        # share of the load still heats the lines; a runaway's constant-power column removes the
        # phantom energy from the load as well)
        load = Eu.sum(axis=0) + X[:, :n_pieces] @ beta[:n_pieces]
        X[:, -1] = load * load / bal.i2r_len
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
    return _Fit(
        X, r, w, beta, inv * sigma2, sigma2, mask, prior_var, est_cols, n_pieces, tau2, n_fail, regime_cols
    )


def _fit_with_regimes(
    area: str, bal: _Balance, light: NDArray[np.bool_], grid: _Grid, settings: EstimationSettings
) -> _Fit:
    """Step 4b: test every estimated meter for an under-registration that changes with the time
    of day, the load or the date (:mod:`jiliang.meters.theft`); model the most significant one
    per regime and refit, until none is left (at most ``theft_max_per_area``); then the GLS
    refinement."""
    fit = first = _fit(area, bal, light, settings)
    for _ in range(settings.theft_max_per_area):
        split = _find_split(bal, fit, grid, light, settings)
        if split is None:
            break
        bal.regimes[split.row] = split
        fit = _fit(area, bal, light, settings)
        if split.test == "time_of_day":
            merged = _merge_hours(split, fit, settings)
            if merged is not None:
                bal.regimes[split.row] = merged
                fit = _fit(area, bal, light, settings)
    fit = _gls(bal, fit) if settings.gls else fit
    fit.unsplit = first
    return fit


def _merge_hours(split: RegimeSplit, fit: _Fit, settings: EstimationSettings) -> RegimeSplit | None:
    """Two regimes instead of 24: the hours whose fitted share is below ``1 − theft_min_under_pct``
    and the others. A bypass's hours then share one well-determined ``θ`` (an hour with little
    registered energy alone is poorly determined, and what it misses would fall on a neighbour)."""
    cols = [int(np.flatnonzero(fit.est_cols == split.row)[0]), *fit.regime_cols[split.row]]
    theta = 1.0 + fit.beta[cols]
    low = [
        h for h in range(24) if theta[h] > 0 and 1.0 / theta[h] < 1.0 - settings.theft_min_under_pct / 100.0
    ]
    if not low or len(low) == 24:
        return None
    rest = np.ones_like(split.masks[0])
    for mask in split.masks:
        rest &= ~mask
    by_hour = [rest, *split.masks]
    under = np.zeros_like(rest)
    for h in low:
        under |= by_hour[h]
    window = {"hours_under_registered_utc": [split.labels[h] for h in low]}
    labels = ("other hours", "hours under-registered")
    return replace(split, masks=(under,), labels=labels, window=window)


def _find_split(
    bal: _Balance, fit: _Fit, grid: _Grid, light: NDArray[np.bool_], settings: EstimationSettings
) -> RegimeSplit | None:
    """The most significant regime split among the estimated meters not yet split."""
    t_end = (grid.k0 + bal.p_end) * grid.interval - 1
    t_start = (grid.k0 + bal.p_start) * grid.interval
    hour = (t_end // 3600) % 24 if grid.interval <= 3600 else None
    day = t_end // 86400
    day = day - int(day.min()) if len(day) else day
    view = FitView(fit.X, fit.r - fit.X @ fit.beta, fit.w, fit.mask, fit.cov / fit.sigma2, fit.sigma2)
    columns = {
        int(c): fit.X[:, j] for j, c in enumerate(fit.est_cols) if int(c) not in bal.regimes and not light[c]
    }
    return best_split(
        view, columns, bal.m_len, hour, day, lambda k: _iso(int(t_start[k])), settings.theft_alpha
    )


def _gls(bal: _Balance, fit: _Fit) -> _Fit:
    """Refit with the correlation the register resolution puts between neighbouring periods.

    A period's energy is the difference of two rounded reads, so the rounding ``q_k`` of the read
    at grid point k enters period k with ``+`` and period k+1 with ``−``: over contiguous
    periods the noise is ``ε_k = η_k + q_k − q_{k−1}`` (η the master's noise, variance ``s²·m``),
    covariance ``s²·m_k + 2q²`` on the diagonal and ``−q²`` between neighbours. With 0.001 kWh
    registers and a hundred meters this differenced rounding dominates a 0.01 % master: weighted
    least squares wastes most of the information. ``q²`` and ``s²`` are estimated from the lag-1
    and lag-0 moments of the first fit's residuals; the fit is then repeated on the data whitened
    by the banded Cholesky factor of that covariance (generalised least squares), the outlier
    mask of the first fit kept.
    """
    from scipy.linalg import cholesky_banded, solve_banded

    kept = np.flatnonzero(fit.mask)
    resid = fit.r[kept] - fit.X[kept] @ fit.beta
    m = bal.m_len[kept]
    contig = bal.p_end[kept[:-1]] == bal.p_start[kept[1:]]
    if contig.sum() < 10:
        return fit
    q2 = max(-float(np.mean(resid[:-1][contig] * resid[1:][contig])), 0.0)
    s2 = max(float(np.mean((resid * resid - 2.0 * q2) / m)), 0.05 * q2, 1e-18)
    rho = q2 / s2
    if rho < 0.05:
        return fit
    ab = np.zeros((2, len(kept)))
    ab[0] = m + 2.0 * rho
    ab[1, :-1] = np.where(contig, -rho, 0.0)
    cb = cholesky_banded(ab, lower=True)
    Xw = solve_banded((1, 0), cb, fit.X[kept])
    rw = solve_banded((1, 0), cb, fit.r[kept])
    n_est, n_pieces = len(fit.est_cols), fit.n_pieces
    Eu_sum = bal.Eu[:, kept].sum(axis=0)
    ones = np.ones(len(kept))
    all_kept = np.ones(len(kept), dtype=bool)
    sigma2, beta, inv = s2, fit.beta, fit.cov
    for _ in range(4):
        gram = _Gram(Xw, rw, ones, all_kept)
        beta, inv = gram.solve(sigma2 / fit.prior_var, n_est)
        sigma2 = max(float(np.sum((rw - Xw @ beta) ** 2)) / max(len(kept) - Xw.shape[1], 1), 1e-18)
        load = Eu_sum + fit.X[kept, :n_pieces] @ beta[:n_pieces]
        Xw[:, -1] = solve_banded((1, 0), cb, load * load / bal.i2r_len[kept])
    gram = _Gram(Xw, rw, ones, all_kept)
    beta, inv = gram.solve(sigma2 / fit.prior_var, n_est)
    X = fit.X.copy()
    X[kept] = Xw
    r = fit.r.copy()
    r[kept] = rw
    w = np.ones_like(fit.w)
    return replace(fit, X=X, r=r, w=w, beta=beta, cov=inv * sigma2, sigma2=sigma2)


# --- 5. decision ---------------------------------------------------------------------------


def _judge(
    meters: tuple[MeterSpec, ...],
    users: list[int],
    failed: dict[int, dict[str, Any]],
    bal: _Balance,
    light: NDArray[np.bool_],
    fit: _Fit,
    grid: _Grid,
    settings: EstimationSettings,
    evidence: list[dict[str, Any]],
) -> tuple[list[MeterResult], int]:
    """One result per user meter, and how many received a decision."""
    results: list[MeterResult] = []
    col_of = {int(bal.user_ids[c]): j for j, c in enumerate(fit.est_cols)}
    light_of = {int(bal.user_ids[j]): bool(light[j]) for j in range(len(bal.user_ids))}
    estimated = 0
    for i in users:
        m, ev = meters[i], evidence[i]
        area, limit = m.area_id, _limit_or_none(settings, m)
        if i in failed:
            status = Status(f"failed_{failed[i]['type']}")
            results.append(MeterResult(m.meter_id, area, None, None, status, limit, ev))
        elif (
            i in col_of
            and light_of.get(i)
            and (found := _light_out_of_limit(m, col_of[i], fit, settings, ev))
        ):
            results.append(found)
            estimated += 1
        elif i not in col_of or light_of.get(i):
            status = Status.INSUFFICIENT_DATA
            if light_of.get(i):
                kept = "its θ fitted under the prior" if settings.fit_light_load else "θ = 1"
                ev["reason"] = (
                    f"mean daily energy below {settings.light_load_kwh_per_day} kWh: "
                    f"kept in the balance with {kept}, not estimable"
                )
                status = Status.EXCLUDED_LIGHT_LOAD
            results.append(MeterResult(m.meter_id, area, None, None, status, limit, ev))
        else:
            j = col_of[i]
            row = int(np.flatnonzero(bal.user_ids == i)[0])
            ev["periods"] = int(fit.mask.sum())
            ev["days"] = round(bal.days_fitted, 2)
            if row in bal.regimes:
                delta, u_delta, theft = _regimes(row, j, bal, fit, grid, settings, ev)
            else:
                delta, u_delta, theft = float(fit.beta[j]), math.sqrt(max(float(fit.cov[j, j]), 0.0)), False
            result = _decide_meter(m, delta, u_delta, float(grid.collection[i]), settings, ev)
            if theft:
                result = replace(result, status=Status.SUSPECTED_THEFT)
            estimated += result.status in (Status.OK, Status.SUSPECT, Status.OUT_OF_LIMIT)
            results.append(result)
    return results, estimated


def _light_out_of_limit(
    m: MeterSpec, j: int, fit: _Fit, settings: EstimationSettings, ev: dict[str, Any]
) -> MeterResult | None:
    """A light-load meter is not estimable in general, but its column is fitted (``fit_light_load``):
    when the data alone put its ``θ`` far from 1 — the posterior variance of ``δ`` under a quarter of
    its prior variance (the data, not the prior, decide), the linearisation ``u(e) = u(δ)/θ²`` valid
    (``u(δ) ≤ θ/10``) and the error beyond the limit by the guard band (guarded rejection) — it is
    ``out_of_limit``: a meter registering a small part of a normal household's energy (steady theft
    or a gross fault). Otherwise ``None`` (reported ``excluded_light_load``)."""
    limit = _limit_or_none(settings, m)
    delta = float(fit.beta[j])
    var = max(float(fit.cov[j, j]), 0.0)
    theta, u_delta = 1.0 + delta, math.sqrt(var)
    if limit is None or theta <= 0.05 or var > 0.25 * float(fit.prior_var[j]) or u_delta > 0.1 * theta:
        return None
    e_pct, u_pct = 100.0 * (1.0 / theta - 1.0), 100.0 * u_delta / (theta * theta)
    if u_pct > settings.max_u_fraction * limit or abs(e_pct) <= limit + settings.guard_k * u_pct:
        return None
    ev["theta"] = round(theta, 7)
    ev["reason"] = (
        f"mean daily energy below {settings.light_load_kwh_per_day} kWh, but the data put θ = "
        f"{theta:.4g} ± {u_delta:.2g} far from 1"
    )
    ev["decision"] = f"guarded rejection: |ê| > L + {settings.guard_k}·u"
    ev["p_out_of_limit"] = 1.0
    return MeterResult(m.meter_id, m.area_id, e_pct, u_pct, Status.OUT_OF_LIMIT, limit, ev)


def _regimes(
    row: int,
    j: int,
    bal: _Balance,
    fit: _Fit,
    grid: _Grid,
    settings: EstimationSettings,
    ev: dict[str, Any],
) -> tuple[float, float, bool]:
    """A split meter: ``θ`` per regime, the energy-weighted ``θ`` over the fitted periods (its
    ``δ`` and ``u(δ)``), and whether it is suspected theft: a regime registering at most
    ``1 − theft_min_under_pct`` of the energy (by more than 2u) while another registers at least
    ``theft_min_under_pct`` more — a steady ratio is a meter out of accuracy, not theft."""
    split = bal.regimes[row]
    cols = [j, *fit.regime_cols[row]]
    theta = 1.0 + fit.beta[cols]
    C = fit.cov[np.ix_(cols, cols)]
    x = np.where(fit.mask, bal.Eu[row], 0.0)
    rest = np.ones(len(x), dtype=bool)
    for mask in split.masks:
        rest &= ~mask
    Y = np.asarray([float(x[rest].sum())] + [float(x[mask].sum()) for mask in split.masks])
    g = Y / Y.sum() if Y.sum() > 0 else np.full(len(Y), 1.0 / len(Y))
    theta_eff = float(g @ theta)
    u_eff = math.sqrt(max(float(g @ C @ g), 0.0))
    physical = bool(np.all(theta > 0.05))
    share = np.where(theta > 0.05, 1.0 / np.maximum(theta, 0.05), np.nan)
    u_share = np.sqrt(np.maximum(np.diag(C), 0.0)) / np.maximum(theta, 0.05) ** 2
    drop = settings.theft_min_under_pct / 100.0
    lo = int(np.nanargmin(share)) if physical else 0
    theft = physical and bool(
        share[lo] + 2.0 * u_share[lo] <= 1.0 - drop and float(np.nanmax(share)) - share[lo] >= drop
    )
    test: dict[str, Any] = {
        "test": split.test,
        "statistic": round(split.statistic, 2),
        "dof": split.dof,
        "threshold": round(split.threshold, 2),
        "log10_p": round(split.log10_p, 2),
        "registered_share_pct": {
            lab: (round(100.0 * float(v), 2) if physical else None)
            for lab, v in zip(split.labels, share, strict=True)
        },
        **split.window,
    }
    if split.test == "time_of_day" and physical and "hours_under_registered_utc" not in split.window:
        test["hours_under_registered_utc"] = [
            lab for lab, v in zip(split.labels, share, strict=True) if v < 1.0 - drop
        ]
    if split.test == "change_point":
        test.update(_before_after(row, split.masks[0], bal, grid))
    ev["regime_test"] = test
    if theft:
        ev["reason"] = _theft_reason(split, lo, 100.0 * float(share[lo]))
    return theta_eff - 1.0, u_eff, theft


def _theft_reason(split: RegimeSplit, lo: int, pct: float) -> str:
    """The sentence of a suspected theft (translated by the console's phrase table)."""
    if split.test == "time_of_day":
        hours = split.window.get("hours_under_registered_utc") or [split.labels[lo]]
        return f"suspected theft: {pct:.1f} % registered in {len(hours)} hours of the day (time of day)"
    if split.test == "load":
        return f"suspected theft: {pct:.1f} % registered at {'high' if lo else 'low'} load"
    side = "from" if lo else "before"
    return f"suspected theft: {pct:.1f} % registered {side} {split.window.get('from', '')} (change of date)"


def _before_after(row: int, after: NDArray[np.bool_], bal: _Balance, grid: _Grid) -> dict[str, Any]:
    """The meter's registered energy per day and the area's loss rate before and after the change:
    a user's consumption falling while the area's losses rise."""
    out: dict[str, Any] = {}
    for name, sel in (("before", ~after), ("after", after)):
        days = float(bal.m_len[sel].sum()) * grid.interval_h / 24.0
        y0 = float(bal.y0[sel].sum())
        out[f"kwh_per_day_{name}"] = round(float(bal.Eu[row, sel].sum()) / days, 3) if days > 0 else None
        loss = (y0 - float(bal.Eu[:, sel].sum())) / y0 if y0 > 0 else None
        out[f"area_loss_rate_pct_{name}"] = round(100.0 * loss, 3) if loss is not None else None
    return out


def _decide_meter(
    m: MeterSpec,
    delta: float,
    u_delta: float,
    collection: float,
    settings: EstimationSettings,
    ev: dict[str, Any],
) -> MeterResult:
    """``e = 1/θ − 1`` with ``u(e) = u(δ)/θ²``, judged with the guard-banded rule."""
    limit = _limit_or_none(settings, m)
    theta = 1.0 + delta
    ev["theta"] = round(theta, 7)
    if theta <= 0.05:
        ev["reason"] = f"estimated θ = {theta:.4g} is not physical"
        return MeterResult(m.meter_id, m.area_id, None, None, Status.INSUFFICIENT_DATA, limit, ev)
    e_pct = 100.0 * (1.0 / theta - 1.0)
    u_pct = 100.0 * u_delta / (theta * theta)
    reason = None
    if settings.collection_required_per_meter and collection < settings.min_collection:
        reason = f"meter collection {collection:.4f} below {settings.min_collection}"
    elif limit is None:
        reason = f"no limit configured for class {m.accuracy_class}"
    elif u_pct > settings.max_u_fraction * limit:
        reason = f"u = {u_pct:.3g} % exceeds {settings.max_u_fraction} × limit: cannot decide"
    if reason is not None or limit is None:
        ev["reason"] = reason
        return MeterResult(m.meter_id, m.area_id, e_pct, u_pct, Status.INSUFFICIENT_DATA, limit, ev)
    verdict, p_out = judge(e_pct, u_pct, limit, GuardBandRule(settings.guard_k), settings.flag_probability)
    ev["decision"] = f"guard band w = {settings.guard_k}·u = {settings.guard_k * u_pct:.3g} %"
    ev["p_out_of_limit"] = round(p_out, 4)
    return MeterResult(m.meter_id, m.area_id, e_pct, u_pct, Status(verdict.value), limit, ev)


def _summary(
    area: str, master_id: str, n_users: int, estimated: int, bal: _Balance, fit: _Fit, grid: _Grid
) -> AreaSummary:
    """Area figures over the kept periods: loss rate (a failed meter's window energy replaced by
    its fitted value), fixed and variable loss, residual RMS."""
    mask, y0, m_len, beta = fit.mask, bal.y0, bal.m_len, fit.beta
    n_est = len(fit.est_cols)
    mean_y0 = float(np.mean(y0[mask] / m_len[mask]))
    fail = slice(n_est, n_est + fit.n_fail)
    sales = bal.Eu.sum(axis=0) + fit.X[:, fail] @ beta[fail]
    loss_rate = 100.0 * float((y0 - sales)[mask].sum()) / float(y0[mask].sum())
    return AreaSummary(
        area_id=area,
        master_id=master_id,
        meters=n_users,
        meters_estimated=estimated,
        periods_total=bal.periods_total,
        periods_used=int(mask.sum()),
        collection_rate=round(bal.area_collection, 6),
        loss_rate_pct=loss_rate,
        fixed_loss_kw=float(beta[-2]) / grid.interval_h,
        variable_loss_coeff=float(beta[-1]),
        residual_rms_pct=100.0 * math.sqrt(fit.sigma2) / mean_y0 if mean_y0 > 0 else None,
        status="ok",
        message="",
    )


def _design(meters: tuple[MeterSpec, ...], bal: _Balance, fit: _Fit, grid: _Grid) -> AreaDesign:
    """The fitted design kept for the sliding-window tracker (before any regime split: the
    tracker follows a step in a meter's error itself)."""
    fit = fit.unsplit or fit
    mask = fit.mask
    day = ((grid.k0 + bal.p_end[mask]) * grid.interval - 1) // 86400
    return AreaDesign(
        meter_ids=tuple(meters[int(bal.user_ids[c])].meter_id for c in fit.est_cols),
        X=fit.X[mask],
        r=fit.r[mask],
        w=fit.w[mask],
        day=day.astype(np.int64),
        sigma2=fit.sigma2,
        prior_precision=1.0 / fit.prior_var,
        tau2=fit.tau2,
    )


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
