"""Theft in a transformer area: a night bypass and tampering are found, named with their
evidence, and do not corrupt the honest neighbours (synthetic scenarios with ground truth)."""

import numpy as np
import pytest

from jiliang.meters.engine import area_specs, estimate_group
from jiliang.meters.evaluate import evaluate
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.types import EstimationSettings

pytestmark = pytest.mark.slow

CONFIG = SynthConfig(
    areas=4,
    meters_per_area=60,
    days=20,
    skew_sd_s=0.0,
    theft_fraction=0.0,
    theft_area_every=2,  # areas 2 (night bypass) and 4 (tampering)
)


@pytest.fixture(scope="module", params=[5, 6])
def run(request):
    rows, truth = [], []
    for a in synth_areas(CONFIG, np.random.default_rng(request.param)):
        specs = area_specs(a.meters)[a.area_id]
        ids = np.asarray([s.meter_id for s in a.meters])[a.meter_index]
        r, _ = estimate_group(a.area_id, specs, ids, a.ts, a.register_kwh, a.current_a, EstimationSettings())
        rows += r
        truth += a.truth
    return rows, truth


def test_every_thief_found_and_no_honest_meter_accused(run):
    rows, truth = run
    scores = evaluate(rows, truth)
    assert scores.thieves == 2
    assert scores.theft_recall == 1.0
    assert scores.theft_precision == 1.0


def test_evidence_names_the_test_and_the_window(run):
    import json

    rows, truth = run
    kind = {t["meter_id"]: t["theft_kind"] for t in truth}
    for r in rows:
        if r["status"] != "suspected_theft":
            continue
        ev = json.loads(r["evidence"])["regime_test"]
        assert ev["statistic"] > ev["threshold"]
        if kind[r["meter_id"]] == "night_bypass":
            assert ev["test"] == "time_of_day"
            assert set(ev["hours_under_registered_utc"]) == {
                f"{h:02d}:00" for h in (22, 23, 0, 1, 2, 3, 4, 5)
            }
        else:
            assert ev["test"] == "change_point"
            assert ev["kwh_per_day_after"] < ev["kwh_per_day_before"]
            assert ev["area_loss_rate_pct_after"] > ev["area_loss_rate_pct_before"]


def test_honest_neighbours_of_a_thief_are_estimated_as_well_as_elsewhere(run):
    scores = evaluate(*run)
    assert scores.rmse_theft_areas_pp <= max(1.5 * scores.rmse_other_areas_pp, 0.5)


def test_change_of_date_is_not_sought_in_the_first_or_last_days():
    """A regime of one day out of a year is not a credible change of θ: the scan leaves 5 % of
    the days at either end (a one-period regime let a steady thief look like a change)."""
    from jiliang.meters.theft import FitView, _change_point

    rng = np.random.default_rng(1)
    days, per_day = 40, 4
    day = np.repeat(np.arange(days), per_day)
    x = rng.uniform(1.0, 2.0, size=len(day))
    resid = rng.normal(0.0, 0.01, size=len(day))
    resid[day == 0] += 0.5 * x[day == 0]  # what a change after the first day would leave
    X = x[:, None]
    fv = FitView(X, resid, np.ones(len(day)), np.ones(len(day), dtype=bool), np.linalg.inv(X.T @ X), 1e-4)
    found = _change_point(fv, x, day, 1e-6)
    assert found is not None
    assert 2 * per_day <= found[4] <= (days - 2) * per_day  # ceil(5 % of 40 days) = 2 days
