"""Meter lots, pure core: forming, plans, the seeded draw and its replacements, the decision, the
pre-sampling pass probability (accuracy over many seeds)."""

import itertools
import math

import numpy as np
import polars as pl
import pytest

from jiliang.meters import lots as core
from jiliang.meters.lotrules import load_rule, rule_codes, rule_data


def _fleet(n, makers=("A", "B"), years=(2017, 2018), seed=0):
    rng = np.random.default_rng(seed)
    return core.MeterFleet(
        pl.DataFrame(
            {
                "meter_no": [f"M{i:07}" for i in range(n)],
                "kind": ["electricity"] * n,
                "maker": rng.choice(np.array(makers), n),
                "model": ["DDZY"] * n,
                "batch": ["B1"] * n,
                "install_year": rng.choice(np.array(years), n).astype(np.int64),
                "utility": ["1"] * n,
            }
        )
    )


def test_lots_are_homogeneous_and_cover_every_meter():
    fleet = _fleet(6000)
    rule = load_rule("hu57-2018")
    f = core.form_lots(fleet, rule)
    assert len(f.sizes) == 4 and f.too_small == 0 and int(f.sizes.sum()) == 6000
    df = fleet.frame.with_columns(pl.Series("lot", f.lot_of))
    per_lot = df.group_by("lot").agg(pl.col("maker").n_unique(), pl.col("install_year").n_unique())
    assert per_lot["maker"].max() == 1 and per_lot["install_year"].max() == 1
    for j, keys in enumerate(f.keys):
        sub = df.filter(pl.col("lot") == j)
        assert (sub["maker"][0], str(sub["install_year"][0])) == (keys[1], keys[4])


def test_small_groups_are_left_out_and_large_split():
    rule = load_rule("lu107-2022")  # min 281, max 100000
    f = core.form_lots(_fleet(400, makers=("A",), years=(2017, 2018)), rule)
    assert f.too_small == 400 - int(f.sizes.sum()) and len(f.sizes) <= 1
    big = core.form_lots(_fleet(250_001, makers=("A",), years=(2017,)), rule)
    assert big.sizes.tolist() == [83334, 83334, 83333] and big.part.tolist() == [0, 1, 2]


def test_plan_limits():
    rule = load_rule("hu57-2018")
    assert (core.plan_for(rule, 500).n, core.plan_for(rule, 3201).Ac) == (45, 1)
    with pytest.raises(core.LotError, match="below the minimum"):
        core.plan_for(rule, 499)
    plan = core.SamplingPlan(N=10, n=45, Ac=0, Re=1, lq_pct=5, clause="", verified="false")
    with pytest.raises(core.LotError, match="smaller than the sample"):
        core.draw_sample([f"M{i}" for i in range(10)], plan, 1)


def test_draw_replays_and_replacements_keep_it_random():
    members = [f"M{i:04}" for i in range(200)]
    plan = core.SamplingPlan(N=200, n=20, Ac=0, Re=1, lq_pct=5, clause="", verified="false")
    a, b = core.draw_sample(members, plan, 99), core.draw_sample(list(reversed(members)), plan, 99)
    assert a == b and len(set(a.order)) == 200
    gone = list(a.sample[:3])
    sample, reps = core.apply_replacements(a, gone)
    assert sample == tuple(m for m in a.order if m not in gone)[:20]
    assert [r.into for r in reps] == list(a.reserve[:3])
    # inclusion frequency is uniform over the accessible meters (many seeds)
    hits = np.zeros(200)
    blocked = {f"M{i:04}" for i in range(0, 200, 10)}
    for seed in range(3000):
        s, _ = core.apply_replacements(
            core.draw_sample(members, plan, seed),
            sorted(blocked & set(core.draw_sample(members, plan, seed).order)),
        )
        hits[[int(m[1:]) for m in s]] += 1
    ok = [i for i in range(200) if f"M{i:04}" not in blocked]
    assert hits[[i for i in range(200) if i not in ok]].sum() == 0
    expected = 3000 * 20 / 180
    assert np.abs(hits[ok] - expected).max() < 5 * math.sqrt(expected)


def test_replacement_refused_when_the_rule_forbids_it():
    d = core.SampleDraw(seed=1, n=2, order=("A", "B", "C"), members_sha256="")
    with pytest.raises(core.LotError, match="no replacement"):
        core.apply_replacements(d, ["A"], allowed=load_rule("mc-s-s-06").replacement_allowed)
    with pytest.raises(core.LotError, match="not in the lot"):
        core.apply_replacements(d, ["Z"])


def test_decision_table():
    rule = load_rule("lu107-2022")
    plan = core.plan_for(rule, 5000)  # n 48, Ac 1
    assert core.decide_lot(rule, plan, 48, 1).decision == "extend"
    assert core.decide_lot(rule, plan, 48, 1).years == rule.extend_years
    assert core.decide_lot(rule, plan, 20, 2).decision == "replace"
    assert core.decide_lot(rule, plan, 47, 0).decision == "pending"
    with pytest.raises(core.LotError):
        core.decide_lot(rule, plan, 49, 0)


def test_pass_probability_matches_simulation_over_seeds():
    """Before sampling: lots whose meters have known P(nonconforming) p_i; the predicted pass
    probability against the pass rate of the plan on lots drawn from those p_i."""
    plan = core.SamplingPlan(N=2000, n=45, Ac=0, Re=1, lq_pct=5, clause="", verified="false")
    for seed in range(5):
        rng = np.random.default_rng(seed)
        p_i = rng.beta(0.3, 30, 2000)
        est = core.fraction_estimate(p_i, 2000)
        predicted = core.pass_probability(plan, est)
        bad = rng.random((4000, 2000)) < p_i  # 4000 realised lots
        picks = np.argsort(rng.random((4000, 2000)), axis=1)[:, :45]
        passed = (np.take_along_axis(bad, picks, axis=1).sum(axis=1) <= plan.Ac).mean()
        assert abs(predicted - passed) < 0.04, (seed, predicted, passed)


def test_lot_fractions_equal_the_single_lot_estimate():
    rng = np.random.default_rng(3)
    lot_of = rng.integers(-1, 4, 5000)
    p = rng.random(5000) * 0.1
    p[rng.random(5000) < 0.2] = np.nan
    sizes = np.bincount(lot_of[lot_of >= 0], minlength=4)
    pf, uf, m = core.lot_fractions(lot_of, p, sizes)
    for j in range(4):
        one = core.fraction_estimate(p[(lot_of == j) & np.isfinite(p)], int(sizes[j]))
        assert (round(one.p, 12), round(one.u_p, 12), one.m) == (round(pf[j], 12), round(uf[j], 12), m[j])


def test_bad_fleets():
    with pytest.raises(core.LotError, match="more than once"):
        core.MeterFleet.from_rows(
            [dict(meter_no="A", kind="e", maker="m", model="x", batch="b", install_year=2018, utility="u")]
            * 2
        )
    with pytest.raises(core.LotError, match="install_year"):
        core.MeterFleet.from_rows(
            [dict(meter_no="A", kind="e", maker="m", model="x", batch="b", install_year=1200, utility="u")]
        )


# ---------------------------------------------------------------- the rule files


# Second, independent transcription of the plan rows: the binomial LQ design every row claims
# ("smallest n with P_a(LQ) ≤ β for its Ac"), recomputed here with scipy, not read from the files.
def _lq_n(lq_pct, ac, beta):
    from scipy.stats import binom

    n = ac + 1
    while binom.cdf(ac, n, lq_pct / 100) > beta:
        n += 1
    return n


@pytest.mark.parametrize("key", ["hu57-2018", "lu107-2022", "mc-s-s-06"])
def test_plan_rows_equal_their_stated_design(key):
    data = rule_data(key)
    plan = data["plan"]
    for row in plan["rows"]:
        assert row["n"] == _lq_n(plan["lq_pct"], row["ac"], plan["consumer_risk"]), row
    # contiguous lot-size bands starting at the rule's minimum
    rows = plan["rows"]
    assert rows[0]["lot_min"] == data["lot"]["min_size"]
    for a, b in itertools.pairwise(rows):
        assert b["lot_min"] == a["lot_max"] + 1


def test_rule_files_say_what_is_verified():
    assert set(rule_codes()) == {"hu57-2018", "lu107-2022", "mc-s-s-06"}
    for key in rule_codes():
        d = rule_data(key)
        assert d["plan"]["verified"] is False  # no plan table was keyed from a text
        assert d["sources"] and all(s["url"].startswith("http") for s in d["sources"])
    # facts checked against the cited pages
    assert (
        rule_data("lu107-2022")["effective_from"] == "2022-08-01"
    )  # cover page: 2022-07-26 发布 2022-08-01 实施
    assert rule_data("hu57-2018")["decision"]["extend_years"] == 4  # notice of 2026-01-14: 延长检定周期4年
    assert rule_data("mc-s-s-06")["replacement"]["allowed"] is False  # GEN-49 rev. 1 §3.0 note


def test_unknown_rule():
    with pytest.raises(core.LotError, match="unknown lot rule"):
        load_rule("jjf-xx")


def test_all_members_equals_members_per_lot():
    fleet = _fleet(3000, makers=("A", "B", "C"))
    f = core.form_lots(fleet, load_rule("mc-s-s-06"))
    assert f.all_members(fleet) == [f.members(j, fleet) for j in range(len(f.sizes))]
