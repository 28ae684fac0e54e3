"""Accuracy on a seeded synthetic city under the issue's conditions (not a timing test).

Conditions (issue "Figures / Accuracy"): 15-minute registers at 0.001 kWh resolution, 30 days,
100 meters per area, master-meter noise 0.01 %, 0.3 % missing reads, failed meters (0.4 % of the
meters: runaway, backwards, stopped), plus the generator's other defaults (1 % theft, 1 % step
changes, 8 % vacant, outages, duplicates, shuffled rows). Clock skew is not among the issue's
conditions and is set to 0 here; its effect is measured in bench/meters (docs/benchmarks.md).

Targets: RMSE of ê − e ≤ 0.5 percentage points over active meters; recall ≥ 0.9 at precision
≥ 0.9 for out-of-limit meters; every function failure found; no vacant meter flagged.
"""

import numpy as np
import pytest

from jiliang.meters.engine import area_specs, estimate_group
from jiliang.meters.evaluate import evaluate
from jiliang.meters.synth import SynthConfig, synth_areas
from jiliang.meters.types import EstimationSettings

pytestmark = pytest.mark.slow

RMSE_MAX_PP = 0.5  # issue target
PR_MIN = 0.9  # issue target
SEED = 2026
CONFIG = SynthConfig(
    areas=8,
    meters_per_area=100,
    days=30,
    skew_sd_s=0.0,
    runaway_fraction=0.002,
    backwards_fraction=0.002,
    stopped_fraction=0.002,
)


@pytest.fixture(scope="module")
def scores():
    rows, truth = [], []
    for a in synth_areas(CONFIG, np.random.default_rng(SEED)):
        specs = area_specs(a.meters)[a.area_id]
        ids = np.asarray([s.meter_id for s in a.meters])[a.meter_index]
        r, _ = estimate_group(a.area_id, specs, ids, a.ts, a.register_kwh, a.current_a, EstimationSettings())
        rows += r
        truth += a.truth
    return evaluate(rows, truth)


def test_rmse_over_active_meters(scores):
    assert scores.estimated_active >= 0.9 * scores.active
    assert scores.rmse_pp <= RMSE_MAX_PP


def test_out_of_limit_precision_and_recall(scores):
    assert scores.true_out_of_limit >= 20
    # the limit compared with the estimate (JJF(冀)174-2020, simple acceptance)
    assert scores.precision_simple >= PR_MIN
    assert scores.recall_simple >= PR_MIN
    # guarded rejection (w = 2u) is at least as precise; the rest of the true positives are in
    # the guard band, suspect when more likely out of limit than not, and therefore on the worklist
    assert scores.precision >= PR_MIN
    assert scores.precision_with_suspect >= PR_MIN
    assert scores.recall_with_suspect >= PR_MIN


def test_every_failure_found_and_no_vacant_flagged(scores):
    assert scores.failures >= 3
    assert scores.failures_found == scores.failures
    assert scores.false_failures == 0
    assert scores.vacant > 0 and scores.vacant_flagged == 0
