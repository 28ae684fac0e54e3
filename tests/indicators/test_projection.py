"""Projection with its prediction interval against statsmodels' OLS, over many seeds; status rules."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from jiliang.indicators.projection import LEVEL, Point, Projection, assess, project, years_between

TOL = 1e-9


@pytest.mark.parametrize("seed", range(25))
def test_interval_matches_statsmodels(seed):
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 30))
    start = date(2022, 1, 31)
    days = sorted(rng.choice(np.arange(0, 1500), size=n, replace=False))
    pts = [Point(start + timedelta(days=int(d)), float(50 + 3 * d / 365 + rng.normal(0, 2))) for d in days]
    on = date(2027, 12, 31)
    got = project(pts, on)
    x = np.array([years_between(start + timedelta(days=int(days[0])), p.on) for p in pts])
    fit = sm.OLS(np.array([p.value for p in pts]), sm.add_constant(x)).fit()
    x0 = years_between(pts[0].on, on)
    pred = fit.get_prediction(np.array([[1.0, x0]])).summary_frame(alpha=1 - LEVEL)
    assert got is not None
    assert got.y == pytest.approx(pred["mean"].iloc[0], rel=TOL, abs=TOL)
    assert got.low == pytest.approx(pred["obs_ci_lower"].iloc[0], rel=1e-7)
    assert got.high == pytest.approx(pred["obs_ci_upper"].iloc[0], rel=1e-7)


def test_fewer_than_three_dates_give_no_projection():
    assert project([Point(date(2025, 1, 1), 1.0), Point(date(2025, 2, 1), 2.0)], date(2026, 1, 1)) is None


T = (date(2025, 12, 31), 90.0, ">=")


@pytest.mark.parametrize(
    ("current", "proj", "base", "on", "status", "reason"),
    [
        (None, None, None, date(2024, 1, 1), "no_data", "no_value"),
        (95.0, None, None, date(2024, 1, 1), "met", "already_met"),
        (80.0, None, None, date(2026, 6, 1), "off_track", "deadline_passed"),
        (80.0, Projection(T[0], 91, 88, 94, 1, 5), None, date(2024, 1, 1), "on_track", "projection_meets"),
        (80.0, Projection(T[0], 89, 86, 92, 1, 5), None, date(2024, 1, 1), "at_risk", "interval_reaches"),
        (80.0, Projection(T[0], 85, 83, 87, 1, 5), None, date(2024, 1, 1), "off_track", "interval_below"),
        (80.0, None, None, date(2024, 1, 1), "at_risk", "too_few_points"),
        (88.0, None, (date(2020, 12, 31), 85.0), date(2023, 6, 30), "on_track", "ahead_of_path"),
        (87.6, None, (date(2020, 12, 31), 85.0), date(2023, 12, 31), "at_risk", "slightly_behind_path"),
        (85.0, None, (date(2020, 12, 31), 85.0), date(2024, 12, 31), "off_track", "behind_path"),
    ],
)
def test_status_rules(current, proj, base, on, status, reason):
    got = assess(current, T, proj, base, on)
    assert (got.status, got.reason) == (status, reason)


def test_no_target_is_monitoring():
    assert assess(5.0, None, None, None, date(2024, 1, 1)).status == "no_target"


def test_at_most_comparison():
    t = (date(2025, 12, 31), 10.0, "<=")
    assert (
        assess(12.0, t, Projection(t[0], 9.0, 7.0, 11.0, -1, 5), None, date(2024, 1, 1)).status == "on_track"
    )
    assert (
        assess(12.0, t, Projection(t[0], 11.0, 9.5, 12.5, -1, 5), None, date(2024, 1, 1)).status == "at_risk"
    )
