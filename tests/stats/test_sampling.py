"""OC curves and LQ sample sizes of single attribute plans (jiliang.stats.sampling)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.errors import InputError
from jiliang.stats import AQL_VALUES, SEVERITIES, lq_sample_size, oc_curve, sampling_plan, sampling_tables

P_GRID = np.linspace(0.0, 1.0, 201)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 3150), data=st.data())
def test_binomial_oc_starts_at_one_and_falls(n, data) -> None:
    ac = data.draw(st.integers(0, min(n - 1, 44)))
    c = oc_curve(n, ac, P_GRID)
    assert c.pa[0] == 1.0
    assert np.all(np.diff(c.pa) <= 1e-12)
    assert c.pa[-1] == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(lot=st.integers(2, 5000), data=st.data())
def test_hypergeometric_oc_starts_at_one_and_falls(lot, data) -> None:
    n = data.draw(st.integers(1, lot))
    ac = data.draw(st.integers(0, n))
    c = oc_curve(n, ac, P_GRID, lot_size=lot)
    assert c.model == "hypergeometric" and c.pa[0] == 1.0
    assert np.all(np.diff(c.pa) <= 1e-12)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 2000), ac=st.integers(0, 44))
def test_poisson_oc_starts_at_one_and_falls(n, ac) -> None:
    c = oc_curve(n, min(ac, n), np.linspace(0, 0.2, 41), model="poisson")
    assert c.pa[0] == 1.0 and np.all(np.diff(c.pa) <= 1e-12)


def test_every_table_plan_has_a_falling_oc() -> None:
    """Every plan of Tables 2-A/2-B/2-C: Pa(0) = 1, Pa decreasing in p."""
    seen = {(c.n, c.ac) for c in sampling_tables().cells.values() if c is not None}
    for n, ac in seen:
        c = oc_curve(n, min(ac, n), P_GRID)
        assert c.pa[0] == 1.0 and np.all(np.diff(c.pa) <= 1e-12), (n, ac)


def test_hypergeometric_tends_to_binomial_for_large_lots() -> None:
    p = np.array([0.01, 0.02, 0.05])
    b = oc_curve(125, 3, p).pa
    h = oc_curve(125, 3, p, lot_size=1_000_000).pa
    assert np.allclose(b, h, atol=1e-3)
    # A small isolated lot is judged more sharply than the process (sampling without replacement).
    assert oc_curve(125, 3, [0.05], lot_size=200).pa[0] < b[2]


def test_binomial_oc_matches_a_direct_sum() -> None:
    """Pa = Σ_{d≤Ac} C(n, d) p^d (1−p)^(n−d), summed here without scipy."""
    from math import comb

    for n, ac, p in [(125, 3, 0.02), (80, 2, 0.05), (13, 0, 0.1), (2000, 21, 0.008)]:
        direct = sum(comb(n, d) * p**d * (1 - p) ** (n - d) for d in range(ac + 1))
        assert oc_curve(n, ac, [p]).pa[0] == pytest.approx(direct, rel=1e-9)


@pytest.mark.parametrize(
    ("lq", "ac", "n"),
    [  # smallest n with binomial Pa(LQ) ≤ 10 % (notes: LQ sizes for in-service lots)
        (0.05, 0, 45),
        (0.05, 1, 77),
        (0.05, 2, 105),
        (0.05, 3, 132),
        (0.08, 0, 28),
        (0.08, 1, 48),
        (0.08, 2, 65),
        (0.08, 3, 82),
        (0.125, 0, 18),
        (0.125, 1, 30),
        (0.125, 2, 41),
        (0.125, 3, 52),
    ],
)
def test_lq_sample_size(lq, ac, n) -> None:
    assert lq_sample_size(lq, ac=ac) == n
    assert oc_curve(n, ac, [lq]).pa[0] <= 0.10 < oc_curve(n - 1, ac, [lq]).pa[0]


def test_lq_sample_size_in_an_isolated_lot_is_smaller() -> None:
    assert lq_sample_size(0.05, ac=0, lot_size=200) < 45


@pytest.mark.parametrize(
    "bad",
    [
        dict(n=0, ac=0, p=[0.1]),
        dict(n=10, ac=11, p=[0.1]),
        dict(n=10, ac=-1, p=[0.1]),
        dict(n=10, ac=1, p=[1.5]),
        dict(n=10, ac=1, p=[float("nan")]),
        dict(n=10, ac=1, p=[0.1], lot_size=5),
        dict(n=10, ac=1, p=np.zeros(10_001)),
        dict(n=10**13, ac=1, p=[0.1]),
    ],
)
def test_oc_bad_input(bad) -> None:
    with pytest.raises(InputError):
        oc_curve(**bad)


def test_every_lot_size_level_aql_and_severity_gives_a_plan() -> None:
    """Every Table 1 row × level × AQL × severity leads to a plan with 0 ≤ Ac < Re, n ≤ N."""
    lots = [1, 2, 8, 9, 15, 16, 25, 26, 50, 51, 90, 91, 150, 151, 280, 281, 500, 501, 1200]
    lots += [1201, 3200, 3201, 10000, 10001, 35000, 35001, 150000, 150001, 500000, 500001, 10**9]
    for lot in lots:
        for level in ("S-1", "S-2", "S-3", "S-4", "I", "II", "III"):
            for aql in AQL_VALUES:
                for severity in SEVERITIES:
                    p = sampling_plan(lot, aql, level=level, severity=severity)
                    assert 0 <= p.ac < p.re and 1 <= p.n <= lot
                    assert p.hundred_percent == (p.n == lot)


def test_hypergeometric_oc_is_bounded_and_quick() -> None:
    """Lots above 10⁶ items are refused for the hypergeometric OC (the binomial applies there)."""
    with pytest.raises(InputError, match="at most"):
        oc_curve(1, 0, [0.5], lot_size=10**7)
    c = oc_curve(1, 0, np.linspace(0, 1, 501), lot_size=10**6)
    assert c.pa[0] == 1.0 and np.all(np.isfinite(c.pa))


def test_poisson_oc_allows_more_than_one_nonconformity_per_item() -> None:
    c = oc_curve(2, 30, [0.0, 5.0, 15.0, 30.0], model="poisson")  # A at AQL 1000: mean 2p
    assert c.pa[0] == 1.0 and c.pa[1] > 0.99 and c.pa[3] < 0.01
    with pytest.raises(InputError):
        oc_curve(2, 1, [1.5])  # binomial: p is a fraction
