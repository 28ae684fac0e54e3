"""JCGM 100:2008 (GUM) H.5, analysis of variance: calibration of a Zener voltage standard.

Table H.9 gives, for each of K = 10 days, the mean of J = 5 observations and their experimental
standard deviation; the published results (GUM H.5.2, eq. H.27) are the grand mean
10.000 097 V, the standard deviation of the daily means s(x̄_k) = 57 µV, the pooled within-day
standard deviation s_w = 85 µV and F = 2.25. Published values are rounded as printed and are
compared within half a unit of their last digit; F is printed from the rounded 57 and 85 µV
(J·57²/85² = 2.248), so it is compared at ±0.02.
"""

from __future__ import annotations

import math

import pytest

from jiliang.uncertainty import gum, model_from_dict
from jiliang.uncertainty.typea import anova_from_summary

# GUM Table H.9: daily means (V) and experimental standard deviations (µV), J = 5 per day
MEANS = [
    10.000172,
    10.000116,
    10.000013,
    10.000144,
    10.000106,
    10.000031,
    10.000060,
    10.000125,
    10.000163,
    10.000041,
]
SDS_UV = [60, 77, 111, 101, 67, 93, 80, 73, 88, 86]


def _anova():
    return anova_from_summary(MEANS, [s * 1e-6 for s in SDS_UV], [5] * 10)


def test_h5_grand_mean_and_standard_deviations():
    a = _anova()
    assert a.x == pytest.approx(10.000097, abs=0.5e-6)
    assert a.s_means == pytest.approx(57e-6, abs=0.5e-6)
    assert a.s_w == pytest.approx(85e-6, abs=0.5e-6)
    assert (a.k, a.n, a.dof, a.dof_w) == (10, 50, 9, 40)


def test_h5_f_ratio_eq_h27():
    assert _anova().F == pytest.approx(2.25, abs=0.02)


def test_h5_between_day_component_and_uncertainty_of_the_mean():
    a = _anova()
    # s_B² = s²(x̄_k) − s_w²/J and u = s(x̄_k)/√K (the between-day effect is significant: F > 1)
    assert a.s_b == pytest.approx(math.sqrt(a.s_means**2 - a.s_w**2 / 5), rel=1e-12)
    assert a.s_b == pytest.approx(43e-6, abs=0.5e-6)
    assert a.u == pytest.approx(a.s_means / math.sqrt(10), rel=1e-14)


def test_h5_as_a_model_file_input():
    m = model_from_dict(
        {
            "model": {"V_s": "V"},
            "inputs": {
                "V": {
                    "anova": {"means": MEANS, "sds": [s * 1e-6 for s in SDS_UV], "n": [5] * 10},
                    "unit": "V",
                }
            },
            "method": {"montecarlo": False},
        }
    )
    r = gum(m)["V_s"]
    a = _anova()
    assert (r.y, r.u, r.dof) == (a.x, a.u, 9.0)
    assert r.k == pytest.approx(2.262, abs=5e-4)  # t_0.975(9)
