"""Projection of an indicator to its target year, and its status (pure).

With three or more monthly values the projection is an ordinary least-squares line through
(time in years, value) with its prediction interval at the target date::

    ŷ(t0) = b0 + b1·t0;   s² = RSS/(n − 2)
    u_pred(t0)² = s²·(1 + 1/n + (t0 − t̄)²/Sxx);   interval ŷ ± t_{0.95}(n − 2)·u_pred   (90 %)

With fewer, the value is compared with the straight path from the baseline to the target.
Status: ``on_track`` when the projection (or the value against the path) meets the target,
``at_risk`` when only the interval's favourable end reaches it, ``off_track`` otherwise; each with
a reason code the console translates.

References
----------
Montgomery, Peck & Vining, *Introduction to Linear Regression Analysis*, §2.4.2 (prediction interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from jiliang.errors import InputError

__all__ = ["LEVEL", "Assessment", "Point", "Projection", "assess", "project", "years_between"]

#: Two-sided coverage of the prediction interval.
LEVEL = 0.90


def years_between(a: date, b: date) -> float:
    """Time from ``a`` to ``b`` in years (365.25 days).

    >>> round(years_between(date(2024, 1, 1), date(2025, 1, 1)), 3)
    1.002
    """
    return (b - a).days / 365.25


@dataclass(frozen=True, slots=True)
class Point:
    """A value observed on a date."""

    on: date
    value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise InputError(f"value {self.value!r} on {self.on} is not finite")


@dataclass(frozen=True, slots=True)
class Projection:
    """ŷ at ``on`` with its prediction interval [low, high] (level :data:`LEVEL`), slope b1 per year."""

    on: date
    y: float
    low: float
    high: float
    slope: float
    n: int


def project(points: Sequence[Point], on: date) -> Projection | None:
    """Least-squares line through ``points`` projected to ``on``; None with fewer than 3 dates.

    >>> days = [date(2024, m, 1) for m in range(1, 7)]
    >>> pts = [Point(d, 80.0 + 10 * years_between(days[0], d)) for d in days]  # exactly linear
    >>> p = project(pts, date(2025, 12, 31))
    >>> round(p.y, 1), p.low == p.high == p.y
    (100.0, True)
    """
    from scipy.stats import t as student

    if len({p.on for p in points}) < 3:
        return None
    t0 = min(p.on for p in points)
    xs = [years_between(t0, p.on) for p in points]
    ys = [p.value for p in points]
    n = len(xs)
    xbar, ybar = sum(xs) / n, sum(ys) / n
    sxx = sum((x - xbar) ** 2 for x in xs)
    b1 = sum((x - xbar) * (y - ybar) for x, y in zip(xs, ys, strict=True)) / sxx
    b0 = ybar - b1 * xbar
    rss = sum((y - b0 - b1 * x) ** 2 for x, y in zip(xs, ys, strict=True))
    s2 = rss / (n - 2) if n > 2 else 0.0
    x0 = years_between(t0, on)
    y0 = b0 + b1 * x0
    u = math.sqrt(max(s2, 0.0) * (1 + 1 / n + (x0 - xbar) ** 2 / sxx))
    if u < 1e-9 * max(1.0, abs(y0)):
        u = 0.0
    half = float(student.ppf(0.5 + LEVEL / 2, n - 2)) * u if u else 0.0
    return Projection(on, y0, y0 - half, y0 + half, b1, n)


@dataclass(frozen=True, slots=True)
class Assessment:
    """``status`` (on_track, at_risk, off_track, met, no_target, no_data) and its reason code."""

    status: str
    reason: str
    expected: float | None = None


def _path(baseline: tuple[date, float], target: tuple[date, float], on: date) -> float:
    span = years_between(baseline[0], target[0]) or 1.0
    frac = min(max(years_between(baseline[0], on) / span, 0.0), 1.0)
    return baseline[1] + (target[1] - baseline[1]) * frac


def assess(
    current: float | None,
    target: tuple[date, float, str] | None,
    projection: Projection | None,
    baseline: tuple[date, float] | None,
    on: date,
) -> Assessment:
    """Status of an indicator on ``on``; ``target`` is (due date, value, comparison).

    >>> t = (date(2025, 12, 31), 90.0, ">=")
    >>> assess(91.0, t, None, None, date(2024, 1, 1)).status
    'met'
    >>> assess(80.0, t, Projection(t[0], 85.0, 82.0, 88.0, 1.0, 6), None, date(2024, 1, 1)).reason
    'interval_below'
    """
    if current is None:
        return Assessment("no_data", "no_value")
    if target is None:
        return Assessment("no_target", "monitoring_only")
    due, value, cmp = target

    def good(v: float) -> bool:
        return v >= value if cmp == ">=" else v <= value

    if good(current):
        return Assessment("met", "already_met")
    if on > due:
        return Assessment("off_track", "deadline_passed")
    if projection is not None:
        favourable = projection.high if cmp == ">=" else projection.low
        if good(projection.y):
            return Assessment("on_track", "projection_meets")
        if good(favourable):
            return Assessment("at_risk", "interval_reaches")
        return Assessment("off_track", "interval_below")
    if baseline is None:
        return Assessment("at_risk", "too_few_points")
    expected = _path(baseline, (due, value), on)
    if (current >= expected) if cmp == ">=" else (current <= expected):
        return Assessment("on_track", "ahead_of_path", expected)
    gap = abs(value - baseline[1]) or 1.0
    if abs(expected - current) <= 0.1 * gap:
        return Assessment("at_risk", "slightly_behind_path", expected)
    return Assessment("off_track", "behind_path", expected)
