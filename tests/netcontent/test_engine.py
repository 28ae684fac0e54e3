"""The net-content engine: bad input, the vectorised rule equals the per-lot rule, the OC."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from jiliang.errors import InputError
from jiliang.stats import netcontent as nc
from jiliang.stats.netcontent import (
    NetContentError,
    Nominal,
    judge,
    judge_many,
    lot_spec,
    net_from_gross,
    pass_probability,
    read_lot_csv,
    sampling_plan,
)


def test_docstring_examples():
    result = doctest.testmod(importlib.import_module("jiliang.stats.netcontent"))
    assert result.attempted > 10 and result.failed == 0


def test_error_is_value_error():
    assert issubclass(NetContentError, InputError) and issubclass(NetContentError, ValueError)


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        (1500, "g", "stated in kg"),
        (0.5, "kg", "below 1 kg"),
        (2000, "mL", "stated in L"),
        (0.5, "m", "below 1 m"),
        (10.5, "count", "whole number"),
        (-1, "g", "positive"),
        (0, "g", "positive"),
        ("abc", "g", "not a number"),
        ("nan", "g", "finite"),
        ("inf", "g", "finite"),
        (10, "lb", "not one of"),
    ],
)
def test_nominal_refused(value, unit, words):
    with pytest.raises(NetContentError, match=words):
        Nominal(value, unit)


@pytest.mark.parametrize("lot", [0, -5, 10**10, 2.5, True, "10"])
def test_lot_size_refused(lot):
    with pytest.raises(NetContentError):
        sampling_plan(lot)


def test_nominal_beyond_the_table():
    with pytest.raises(NetContentError, match="outside the table"):
        nc.tolerable_deficiency(500, "kg")


def test_lot_smaller_than_sample():
    with pytest.raises(NetContentError, match="smaller than"):
        judge(Nominal(500, "g"), [500.0] * 13, lot_size=12)


def test_sample_of_wrong_size():
    with pytest.raises(NetContentError, match="needs 50 items"):
        judge(Nominal(500, "g"), [500.0] * 13, lot_size=300)
    with pytest.raises(NetContentError, match="match no plan"):
        judge(Nominal(500, "g"), [500.0] * 12)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_weights(bad):
    with pytest.raises(NetContentError, match="item 3"):
        judge(Nominal(500, "g"), [500.0, 500.0, bad] + [500.0] * 7, lot_size=20)


def test_t2_fails_whatever_else():
    v = judge(Nominal(500, "g"), [503.0] * 49 + [469.0], lot_size=300)  # deficit 31 > 2T = 30
    assert v.decision == "fail" and v.t2 == 1 and v.t2_items == (49,)
    assert [st.name for st in v.steps] == ["T", "plan", "mean", "t1", "t2"]
    assert all(st.clause for st in v.steps)


def test_t1_up_to_c_passes():
    v = judge(Nominal(500, "g"), [503.0] * 47 + [484.0] * 3, lot_size=300)  # 3 T1 errors, c = 3
    assert v.decision == "pass" and v.t1 == 3
    v = judge(Nominal(500, "g"), [503.0] * 46 + [484.0] * 4, lot_size=300)
    assert v.decision == "fail" and v.t1 == 4


def test_as_dict_keys():
    v = judge(Nominal(500, "g"), [501.0] * 50, lot_size=300)
    assert list(v.as_dict()) == [
        "decision",
        "T",
        "n",
        "c",
        "lambda",
        "mean",
        "s",
        "limit",
        "t1",
        "t2",
        "reasons",
    ]


def test_tare_methods():
    assert net_from_gross([10.0, 12.0], [1.0, 2.0]) == [9.0, 10.0]
    assert net_from_gross([10.0, 12.0], 1.5, method="average") == [8.5, 10.5]
    with pytest.raises(NetContentError):
        net_from_gross([10.0], [11.0])
    with pytest.raises(NetContentError):
        net_from_gross([10.0], [1.0], method="guess")
    with pytest.raises(NetContentError):
        net_from_gross([10.0, 11.0], [1.0])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("weight\n1\n", "column net"),
        ("net\n", "no items"),
        ("net\n500\nabc\n", "row 3"),
        ("net\n-1\n", "non-negative"),
        ("net\n1e999\n", "non-negative"),
        ('net\n=HYPERLINK("x")\n', "not a number"),
        ("gross,tare\n10,11\n", "exceeds"),
        ("gross,tare\n10\n", "too few"),
        ("net\n1\x00\n", "NUL"),
        ('net\n"500\n', "malformed|not a number"),
    ],
)
def test_csv_refused(text, words):
    with pytest.raises(NetContentError, match=words):
        read_lot_csv(text)


def test_csv_oversized_and_not_utf8():
    with pytest.raises(NetContentError, match="bytes"):
        read_lot_csv(b"net\n" + b"500\n" * 100_000)
    with pytest.raises(NetContentError, match="rows"):
        read_lot_csv("net\n" + "500\n" * 3000)
    with pytest.raises(NetContentError, match="UTF-8"):
        read_lot_csv(b"net\n\xff\xfe\n")


def test_csv_bom_and_extra_columns():
    assert read_lot_csv("\ufeffid,Net,note\n1,500.5,ok\n\n2,499,\n") == [500.5, 499.0]


@pytest.mark.parametrize("seed", range(8))
def test_vectorised_rule_equals_per_lot_rule(seed):
    rng = np.random.default_rng(seed)
    for lot, n in ((30, 10), (60, 13), (300, 50), (1000, 80), (5000, 125)):
        spec = lot_spec(Nominal(500, "g"), lot_size=lot)
        values = rng.normal(499.0 + seed * 0.3, 6.0, size=(200, n))
        fast = judge_many(spec, values)
        slow = [judge(spec, list(row)).decision == "pass" for row in values]
        assert fast.tolist() == slow


def test_pass_probability_is_seeded_and_monotone():
    spec = lot_spec(Nominal(500, "g"), lot_size=300)
    a = pass_probability(spec, 500.0, 5.0, np.random.default_rng(7), lots=4000)
    b = pass_probability(spec, 500.0, 5.0, np.random.default_rng(7), lots=4000)
    assert a == b
    ps = [
        pass_probability(spec, mu, 5.0, np.random.default_rng(3), lots=4000).p for mu in (497, 499, 501, 503)
    ]
    assert ps == sorted(ps)


@pytest.mark.parametrize("seed", range(10))
def test_pass_probability_agrees_across_seeds(seed):
    # Two independent seeds estimate the same P(pass) within 5 combined standard errors.
    spec = lot_spec(Nominal(250, "mL"), lot_size=80)
    a = pass_probability(spec, 250.5, 3.0, np.random.default_rng(seed), lots=5000)
    b = pass_probability(spec, 250.5, 3.0, np.random.default_rng(1000 + seed), lots=5000)
    assert abs(a.p - b.p) <= 5 * max((a.se**2 + b.se**2) ** 0.5, 1e-3)


def test_pass_probability_refuses_nonsense():
    spec = lot_spec(Nominal(500, "g"), lot_size=300)
    with pytest.raises(NetContentError):
        pass_probability(spec, 500.0, -1.0, np.random.default_rng(0))
    with pytest.raises(NetContentError):
        pass_probability(spec, 500.0, 1.0, np.random.default_rng(0), lots=0)


def test_public_names():
    assert set(nc.__all__) <= set(dir(nc))
