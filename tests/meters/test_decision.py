"""Guard-banded decision (JCGM 106:2012 §8–9; ILAC-G8:09/2019 w = U)."""

import math

import pytest

from jiliang.meters.decision import GuardBandRule, Verdict, decide
from jiliang.meters.types import MeterError

RULE = GuardBandRule(2.0)


@pytest.mark.parametrize(
    ("value", "u", "expected"),
    [
        (0.0, 0.1, Verdict.CONFORMING),
        (1.55, 0.1, Verdict.CONFORMING),  # |e| = L − 2u exactly: guarded acceptance holds
        (1.6, 0.1, Verdict.IN_GUARD_BAND),
        (1.9, 0.1, Verdict.IN_GUARD_BAND),
        (1.95, 0.1, Verdict.IN_GUARD_BAND),  # |e| = L + 2u exactly: still inside the guard band
        (1.951, 0.1, Verdict.NONCONFORMING),  # |e| > L + 2u: guarded rejection (JCGM 106 non-binary)
        (-2.5, 0.1, Verdict.NONCONFORMING),
        (-1.0, 0.1, Verdict.CONFORMING),
    ],
)
def test_guard_band_zones_class1(value, u, expected):
    assert decide(value, u, 1.75, RULE) is expected


def test_simple_acceptance_has_no_guard_band():
    assert decide(1.75, 0.5, 1.75, GuardBandRule(0.0)) is Verdict.CONFORMING
    assert decide(1.76, 0.5, 1.75, GuardBandRule(0.0)) is Verdict.NONCONFORMING


def test_large_uncertainty_gives_suspect_not_ok():
    assert decide(0.0, 1.0, 1.75, RULE) is Verdict.IN_GUARD_BAND


@pytest.mark.parametrize(
    ("value", "u", "limit"),
    [(math.nan, 0.1, 1.75), (0.1, -1.0, 1.75), (0.1, 0.1, 0.0), (0.1, math.inf, 1.75)],
)
def test_bad_arguments_are_refused(value, u, limit):
    with pytest.raises(MeterError):
        decide(value, u, limit, RULE)


def test_bad_rule_is_refused():
    with pytest.raises(MeterError):
        GuardBandRule(-1.0)
