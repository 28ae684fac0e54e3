"""Calibration intervals: A3 edge cases, S2 fits, variables method, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.stats import IntervalError, method_a3, method_s2, variables_interval


def test_a3_all_in_tolerance_lengthens_within_twice():
    r = method_a3([365] * 60, [True] * 60, target=0.95)
    assert r.observed_reliability == 1.0
    assert 365 < r.interval_days <= 730
    assert r.reliability_limits[1] == 1.0


def test_a3_none_in_tolerance_halves():
    r = method_a3([365] * 10, [False] * 10, target=0.95)
    assert r.observed_reliability == 0.0
    assert r.interval_days == pytest.approx(182.5)


def test_a3_keeps_interval_when_not_rejected():
    r = method_a3([365] * 20, [True] * 19 + [False], target=0.95)
    assert not r.changed and r.interval_days == 365 and "kept" in r.reason


def test_a3_drops_records_far_from_the_assigned_interval():
    r = method_a3([365] * 10 + [500, 100], [True] * 12, target=0.9)
    assert r.dropped == 2 and r.n == 10


def test_a3_bounds():
    r = method_a3([20] * 10, [False] * 10, target=0.95)
    assert r.interval_days == 14.0


@pytest.mark.parametrize("target", [0.0, 1.0, 1.5])
def test_a3_bad_target(target):
    with pytest.raises(IntervalError, match="target"):
        method_a3([365], [True], target=target)


def test_s2_recovers_an_exponential_rate():
    rng = np.random.default_rng(8)
    lam = 1 / 2000
    t = rng.uniform(100, 800, 3000)
    ok = rng.uniform(size=t.size) < np.exp(-lam * t)
    r = method_s2(t, ok, target=0.9)
    exp = next(f for f in r.fits if f.model == "exponential")
    assert exp.params["lambda"] == pytest.approx(lam, rel=0.15)
    assert exp.interval_days == pytest.approx(-math.log(0.9) / exp.params["lambda"])
    assert r.model in {"exponential", "weibull", "mixed_exponential"}
    assert len(r.bins) == 5


def test_s2_refuses_all_in_tolerance():
    with pytest.raises(IntervalError, match="every calibration was in tolerance"):
        method_s2([100, 200, 300, 400, 500], [True] * 5, target=0.9)


def test_variables_needs_one_criterion():
    with pytest.raises(IntervalError, match="either"):
        variables_interval([1, 2, 3], [0.1, 0.2, 0.3], u0=0.1)
    with pytest.raises(IntervalError, match="at least 3"):
        variables_interval([1, 2], [0.1, 0.2], u0=0.1, target_uncertainty=1)
