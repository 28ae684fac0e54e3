"""Guard-banded decision (JCGM 106:2012 §8–9; ILAC-G8:09/2019 w = U)."""

import math

import pytest

from jiliang.meters.decision import GuardBandRule, Verdict, decide, judge, nonconformity_probability
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


@pytest.mark.parametrize(
    ("value", "u", "expected"),
    [
        (1.75, 0.2, 0.5),  # at the limit: as likely out as in
        (1.35, 0.2, 0.02275),  # 2u inside: the guarded-acceptance risk
        (2.15, 0.2, 0.97725),  # 2u beyond
        (0.0, 1.0, 0.0801),  # both tails
        (-1.75, 0.2, 0.5),
    ],
)
def test_nonconformity_probability(value, u, expected):
    assert nonconformity_probability(value, u, 1.75) == pytest.approx(expected, abs=1e-4)


def test_nonconformity_probability_without_uncertainty():
    assert nonconformity_probability(1.76, 0.0, 1.75) == 1.0
    assert nonconformity_probability(1.75, 0.0, 1.75) == 0.0


@pytest.mark.parametrize(
    ("value", "u", "expected"),
    [
        (1.5, 0.1, Verdict.CONFORMING),  # guarded acceptance
        (1.6, 0.1, Verdict.CONFORMING),  # conditional pass: P(out) = 0.07 < ½
        (1.75, 0.1, Verdict.IN_GUARD_BAND),  # P(out) = ½: flagged
        (1.9, 0.1, Verdict.IN_GUARD_BAND),  # conditional fail
        (-1.9, 0.1, Verdict.IN_GUARD_BAND),
        (2.0, 0.1, Verdict.NONCONFORMING),  # guarded rejection
        (0.0, 1.0, Verdict.CONFORMING),  # large u, estimate at 0: P(out) = 0.08
    ],
)
def test_judge_flags_only_the_likely_nonconforming(value, u, expected):
    verdict, p = judge(value, u, 1.75, RULE)
    assert verdict is expected
    assert p == pytest.approx(nonconformity_probability(value, u, 1.75))


def test_judge_threshold_is_a_setting():
    assert judge(1.6, 0.1, 1.75, RULE, flag_probability=0.05)[0] is Verdict.IN_GUARD_BAND
    with pytest.raises(MeterError):
        judge(1.6, 0.1, 1.75, RULE, flag_probability=1.0)
