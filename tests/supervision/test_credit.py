"""Credit classes from facts by a versioned rule set (data), with explanation and repair path."""

from __future__ import annotations

import pytest

from jiliang.errors import InputError
from jiliang.stats.credit import Evidence, RuleSet, classify
from jiliang.stats.draw import Policy
from jiliang.supervision.credit import draw_ratios, load_rules

RULES, DATA = load_rules()


def test_the_shipped_edition_loads_with_issuer_window_and_ratios():
    assert RULES.edition == "demo-2026.1"
    assert DATA["issuer"] and DATA["window_days"] == 730
    Policy(edition=RULES.edition, ratios=draw_ratios())  # the ratios are a valid draw policy


@pytest.mark.parametrize(
    ("counts", "cls", "score"),
    [
        ({}, "A", 100),
        ({"overdue_instrument": 2}, "B", 94),
        ({"overdue_instrument": 20}, "C", 70),  # capped at 30 points
        ({"error_found": 1}, "B", 90),
        ({"error_found": 1, "commitment_kept": 1}, "A", 95),
        ({"error_found": 4}, "C", 70),
        ({"failed_inspection": 2, "error_found": 3}, "D", 40),
    ],
)
def test_score_thresholds(counts, cls, score):
    r = classify(Evidence("O", counts), RULES)
    assert (r.credit_class, r.score) == (cls, score)


def test_every_line_names_the_fact_the_points_and_the_repair():
    r = classify(Evidence("O", {"overdue_instrument": 3, "passed_inspection": 1}), RULES)
    assert [(x.fact, x.count, x.points) for x in r.lines] == [
        ("overdue_instrument", 3, -9),
        ("passed_inspection", 1, 2),
    ]
    assert "送检" in r.lines[0].repair
    assert r.as_dict()["edition"] == "demo-2026.1"


def test_caps_limit_the_class_whatever_the_score():
    r = classify(Evidence("O", {"seal_broken": 1, "passed_inspection": 3, "commitment_kept": 1}), RULES)
    assert r.score == 91 and r.credit_class == "C" and r.capped_by == ("seal_broken",)


def test_black_list_states_the_reason_and_red_list_needs_a_kept_commitment():
    black = classify(Evidence("O", {"cheating": 1}), RULES)
    assert black.credit_class == "D" and black.listing == "black" and "作弊" in (black.listing_reason or "")
    red = classify(Evidence("O", {"commitment_kept": 1}), RULES)
    assert red.credit_class == "A" and red.listing == "red"
    assert classify(Evidence("O", {}), RULES).listing is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"edition": ""}, "needs an edition"),
        ({"facts": {"parking": {"points": -1}}}, "unknown fact 'parking'"),
        ({"facts": {"cheating": {"points": -1, "cap": "E"}}}, "unknown credit class 'E'"),
        ({"classes": {"A": 90, "B": 95, "C": 60, "D": 0}}, "must fall from A to D"),
        ({"classes": {"A": 90, "B": 80}}, "minimum score for A, B, C and D"),
    ],
)
def test_bad_rule_sets_are_refused(change, message):
    data = {"edition": "x", "facts": {}, "classes": {"A": 90, "B": 80, "C": 60, "D": 0}, **change}
    with pytest.raises(InputError, match=message):
        RuleSet.from_dict(data)


def test_bad_evidence_is_refused():
    with pytest.raises(InputError, match="unknown fact 'rumours'"):
        Evidence("O", {"rumours": 1})
    with pytest.raises(InputError, match="negative count"):
        Evidence("O", {"cheating": -1})
