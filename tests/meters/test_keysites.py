"""Key-supervision ranking: points, caps, ties, the draw's targets CSV, and the hit rate."""

import json
from pathlib import Path

import pytest

from jiliang.errors import InputError
from jiliang.meters.keysites import (
    Evidence,
    KeysitePolicy,
    Outcome,
    SiteEvidence,
    hit_rate,
    rank_sites,
    targets_csv,
    wilson,
)
from jiliang.stats.draw import parse_targets_csv

POLICY = KeysitePolicy("t", {"suspected_cheat": 40, "unexplained_change": 20, "meter_suspect": 3}, 100, 30)


def test_points_are_capped_per_reason_and_ties_go_by_id():
    many = [Evidence("meter_suspect", f"M{i}") for i in range(200)]
    sites = [
        SiteEvidence("B", "b", "meter_area", 1, many),
        SiteEvidence(
            "A",
            "a",
            "fuel_station",
            2,
            [Evidence("suspected_cheat", "N1")] * 3 + [Evidence("unexplained_change", "D1")],
        ),
        SiteEvidence(
            "C",
            "c",
            "fuel_station",
            3,
            [Evidence("suspected_cheat", "N1")] * 3 + [Evidence("unexplained_change", "D1")],
        ),
        SiteEvidence("D", "d", "fuel_station", 4, []),
    ]
    ranked = rank_sites(sites, POLICY)
    assert [(r.site_id, r.score, r.key) for r in ranked] == [
        ("A", 120, True),
        ("C", 120, True),
        ("B", 100, True),
        ("D", 0, False),
    ]
    assert ranked[0].explanation == (("suspected_cheat", 3, 100), ("unexplained_change", 1, 20))


def test_the_export_is_a_draw_targets_list():
    ranked = rank_sites(
        [SiteEvidence("S1", "甲站, 东", "fuel_station", 9, [Evidence("suspected_cheat", "N")], "C", "D01")],
        POLICY,
    )
    targets = parse_targets_csv(targets_csv(ranked))
    assert [(t.id, t.name, t.credit_class, t.district, t.owner_id) for t in targets] == [
        ("S1", "甲站, 东", "C", "D01", "9")
    ]


def test_hit_rate_and_wilson():
    outcomes = [Outcome(f"S{i}", True, i < 8) for i in range(10)] + [
        Outcome("U1", False, False),
        Outcome("U2", False, True),
    ]
    outcomes.append(Outcome("S9", True, True))  # a later check of S9 replaces the first
    h = hit_rate(outcomes)
    assert (h.flagged_checked, h.flagged_confirmed, h.unflagged_checked, h.unflagged_confirmed) == (
        10,
        9,
        2,
        1,
    )
    assert h.rate == 0.9 and h.base_rate == 0.5
    assert h.low == pytest.approx(wilson(9, 10)[0])
    # Wilson (1927) score interval, 8 of 10 at 95 %: 0.4902–0.9433 (the standard worked value)
    assert [round(v, 4) for v in wilson(8, 10)] == [0.4902, 0.9433]
    assert hit_rate([]).rate is None


def test_policy_file_and_limits_file():
    data = Path(__file__).resolve().parents[2] / "src" / "jiliang" / "meters" / "data"
    pol = KeysitePolicy.from_mapping(json.loads((data / "keysites-policy-2026.json").read_text("utf-8")))
    assert pol.points["suspected_cheat"] == 40 and pol.key_supervision_score == 30
    limits = json.loads((data / "cheating-limits.json").read_text("utf-8"))
    # second transcription: JJG 443-2023 MPE ±0.30 %; JJG 1148/1149-2022 class 1 ±1.0 %, class 2 ±2.0 %
    assert limits["fuel_dispenser"]["mpe_pct"] == 0.30
    assert limits["ev_charger"]["class_limits_pct"] == {"1": 1.0, "2": 2.0}
    with pytest.raises(InputError):
        KeysitePolicy.from_mapping({"edition": "x"})
    with pytest.raises(InputError):
        KeysitePolicy("x", {"a": -1}, 10, 10)
