"""Sliding-window (LMRLS) and forgetting-factor tracking of a step change of error."""

from dataclasses import replace

import numpy as np
import pytest

from jiliang.meters.core import AreaReadings, estimate_area
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.tracking import first_crossing, track
from jiliang.meters.types import EstimationSettings, MeterError

CFG = SynthConfig(
    areas=1,
    meters_per_area=30,
    days=20,
    skew_sd_s=0.0,
    missing_fraction=0.0,
    outage_prob_per_day=0.0,
    duplicate_fraction=0.0,
    runaway_fraction=0.0,
    backwards_fraction=0.0,
    stopped_fraction=0.0,
    theft_fraction=0.0,
    step_fraction=0.0,
    out_of_class_fraction=0.0,
    vacant_fraction=0.0,
)
STEP_DAY = 10
STEP = 0.05  # the meter starts registering 5 % more energy


def _stepped():
    a = next(synth_areas(CFG, np.random.default_rng(21)))
    idx = 1 + int(np.argmax([t["kwh_per_day"] for t in a.truth]))  # the largest consumer
    sel = np.flatnonzero(a.meter_index == idx)
    sel = sel[np.argsort(a.ts[sel])]
    reg = a.register_kwh.copy()
    inc = np.diff(reg[sel])
    after = a.ts[sel][1:] > a.ts.min() + STEP_DAY * 86400
    inc[after] *= 1 + STEP
    reg[sel[1:]] = reg[sel[0]] + np.cumsum(inc)
    r = AreaReadings(a.area_id, a.meters, a.meter_index, a.ts, reg, a.current_a)
    return a, r, a.meters[idx].meter_id


def test_window_tracks_a_step_change():
    _, r, mid = _stepped()
    est = estimate_area(r, EstimationSettings(min_periods=100))
    tr = track(est.design, window_days=3)
    j = tr.meter_ids.index(mid)
    day0 = int(tr.days[0])
    before = tr.error_pct[(tr.days < day0 + STEP_DAY - 1) & (tr.days >= day0 + 2), j]
    after = tr.error_pct[tr.days >= day0 + STEP_DAY + 3, j]
    # tolerance 1 pp: a 3-day window on 30 meters, ample against the 5 % step
    assert np.all(np.abs(before) < 1.0)
    assert np.all(np.abs(after - 100 * STEP) < 1.0)
    # the batch estimate averages the two regimes
    batch = next(m for m in est.meters if m.meter_id == mid).error_pct
    assert 0.5 < batch < 100 * STEP - 0.5
    crossing = first_crossing(tr, np.full(len(tr.meter_ids), 3.5))[j]
    assert crossing is not None and day0 + STEP_DAY <= crossing <= day0 + STEP_DAY + 3
    assert tr.slope_pct_per_day()[j] > 0.1


def test_forgetting_factor_also_follows():
    _, r, mid = _stepped()
    est = estimate_area(r, EstimationSettings(min_periods=100))
    tr = track(est.design, forgetting=0.5)
    j = tr.meter_ids.index(mid)
    assert abs(tr.error_pct[-1, j] - 100 * STEP) < 1.0


def test_bad_parameters():
    _, r, _ = _stepped()
    est = estimate_area(r, EstimationSettings(min_periods=100))
    with pytest.raises(MeterError):
        track(est.design, window_days=0)
    with pytest.raises(MeterError):
        track(est.design, forgetting=1.5)
    assert replace(est.design, sigma2=1.0) is not None
