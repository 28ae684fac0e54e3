"""Calibration intervals: RP-1 method A3 (2019 NCSL International symposium tutorial) and the
variables-data method (NASA-HDBK-8739.19-5, Tables 7-2 to 7-7).

The numbers were read from the test module of Sandia's suncal (``test/test_interval.py``, commit
0b04d93), which transcribes the tutorial's assets 1–3 and the NASA handbook's Table 7-2 data with the
published results; suncal is GPL-3 and is used only as the source of these published numbers.
Where suncal disputes the handbook (one-sided limit already crossed at t = 0, Table 7-6), the
expected value is suncal's reading (interval 0), as written in that file's comment.
"""

from __future__ import annotations

import pytest

from jiliang.stats import method_a3, variables_interval

#: Published intervals are whole days; the rejection confidence and the reliability limits are
#: printed to 4 decimals: half a unit of the last digit.
DAYS_TOL = 0.5
PRINTED_4 = 5e-5
#: Table 7-4/7-5/7-7 intervals are printed to 0.1 or 0.01 day.
NASA_TOL_01 = 0.05
NASA_TOL_001 = 0.005

ASSET_1 = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]
ASSET_2 = [1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1]
ASSET_3 = [1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1]


@pytest.mark.parametrize(
    "results,i0,rt,conf,interval,q,rl,ru",
    [
        (ASSET_1, 365, 0.95, 0.5, 231, 0.9949, 0.6516, 0.8286),  # tutorial asset 1
        (ASSET_2, 365, 0.95, 0.5, 205, 0.9993, 0.6000, 0.7843),  # tutorial asset 2
        (ASSET_3, 730, 0.95, 0.5, 523, 0.9682, 0.7041, 0.8716),  # tutorial asset 3
        ([1] * 42 + [0] * 8, 365, 0.90, 0.3, 329, 0.7557, 0.8067, 0.8664),  # suncal's made-up case
    ],
)
def test_method_a3(results, i0, rt, conf, interval, q, rl, ru):
    r = method_a3([i0] * len(results), [bool(v) for v in results], target=rt, confidence=conf)
    assert r.interval_days == pytest.approx(interval, abs=DAYS_TOL)
    assert r.rejection_confidence == pytest.approx(q, abs=PRINTED_4)
    assert r.reliability_limits[0] == pytest.approx(rl, abs=PRINTED_4)
    assert r.reliability_limits[1] == pytest.approx(ru, abs=PRINTED_4)
    assert r.changed and "recommendation only" in r.note


DT = [70.0, 86.0, 104.0, 135.0, 167.0, 173.0]  # NASA-HDBK-8739.19-5 Table 7-2
DELTAS = [0.1, 0.11, 0.251, 0.299, 0.403, 0.615]


def test_variables_fit_table_7_3():
    r = variables_interval(DT, DELTAS, u0=0.28, degree=2, y0=10.03, target_uncertainty=0.5)
    assert r.coefficients[0] == pytest.approx(0.00015741, rel=1e-4)  # printed to 5 figures
    assert r.coefficients[1] == pytest.approx(0.00001674, rel=1e-3)  # printed to 4 figures
    assert r.s == pytest.approx(0.0708, abs=PRINTED_4)


def test_variables_reliability_target_two_sided_table_7_4():
    r = variables_interval(DT, DELTAS, u0=0.28, degree=2, y0=10.03, limits=(9, 11), confidence=0.9)
    assert r.interval_days == pytest.approx(140.1, abs=NASA_TOL_01)


def test_variables_uncertainty_target_table_7_7():
    r = variables_interval(DT, DELTAS, u0=0.28, degree=2, y0=10.03, target_uncertainty=0.5)
    assert r.interval_days == pytest.approx(327.15, abs=NASA_TOL_001)


def test_variables_one_sided_table_7_5():
    r = variables_interval(DT, DELTAS, u0=0.28, degree=2, y0=10.03, limits=(None, 11), confidence=0.9)
    assert r.interval_days == pytest.approx(171.75, abs=NASA_TOL_001)


def test_variables_limit_crossed_at_zero_table_7_6():
    r = variables_interval(DT, DELTAS, u0=0.28, degree=2, y0=9.03, limits=(9, 11), confidence=0.9)
    assert r.interval_days == 0.0
