"""The traceability core: chains to national standards and each kind of break (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest

import jiliang.registry as registry
from jiliang.registry.trace import (
    CalibrationLink,
    InstrumentNode,
    StandardNode,
    TraceError,
    trace_record,
    trace_standard,
)

ON = date(2026, 6, 1)
NAT = StandardNode(1, "NAT-M", "national", "mass", 0.0, 5000.0, 0.0001)
REF = StandardNode(2, "REF-M", "public", "mass", 0.0, 1000.0, 0.001)
WORK = StandardNode(3, "WORK-M", "public", "mass", 0.0, 100.0, 0.01)
PRESS = StandardNode(9, "REF-P", "public", "pressure", 0.0, 60.0, 0.001)
NATP = StandardNode(10, "NAT-P", "national", "pressure", 0.0, 100.0, 0.0001)


def cal(child: int, parent: int | None, on: date, days: int = 364, u: float | None = None) -> CalibrationLink:
    return CalibrationLink(child, parent, on, date.fromordinal(on.toordinal() + days), f"C-{child}-{on}", u)


STDS = {s.id: s for s in (NAT, REF, WORK, PRESS, NATP)}
GOOD = {
    2: [cal(2, 1, date(2026, 1, 10))],
    3: [cal(3, 2, date(2026, 2, 1))],
    9: [cal(9, 10, date(2026, 1, 1))],
}
SCALE = InstrumentNode(100, "scale SN1", "mass", tolerance=0.1)


def test_unbroken_chain_reaches_the_national_standard():
    t = trace_record(SCALE, [3], ON, STDS, GOOD)
    assert t.traceable
    assert [(e.child, e.parent) for e in t.edges] == [
        ("instrument:100", "standard:3"),
        ("standard:3", "standard:2"),
        ("standard:2", "standard:1"),
    ]
    assert t.edges[0].ratio == pytest.approx(10.0)  # 0.1 % tolerance / 0.01 % uncertainty
    assert {n.level for n in t.nodes} == {"instrument", "public", "national"}


def test_the_latest_calibration_before_the_date_of_use_is_the_link():
    history = dict(GOOD) | {
        3: [cal(3, 2, date(2025, 2, 1)), cal(3, 2, date(2026, 2, 1)), cal(3, 2, date(2026, 9, 1))]
    }
    t = trace_standard(3, STDS, history, ON)
    assert t.edges[0].on == date(2026, 2, 1)


def test_expired_certificate_on_the_date_of_use_breaks_the_chain():
    history = dict(GOOD) | {
        3: [cal(3, 2, date(2025, 1, 1))],  # valid until 2025-12-31
        2: [cal(2, 1, date(2024, 6, 1)), cal(2, 1, date(2026, 1, 10))],
    }
    t = trace_record(SCALE, [3], ON, STDS, history)
    assert [b.reason for b in t.breaks] == ["certificate_expired"]
    assert t.breaks[0].node == "standard:3"
    assert any(e.broken == "certificate_expired" for e in t.edges)


def test_the_same_certificate_was_valid_earlier():
    history = dict(GOOD) | {3: [cal(3, 2, date(2025, 1, 1))]}
    assert trace_record(
        SCALE, [3], date(2025, 6, 1), STDS, history | {2: [cal(2, 1, date(2025, 1, 1))]}
    ).traceable


def test_missing_link_when_no_calibration_or_unknown_calibrator():
    t = trace_record(SCALE, [3], ON, STDS, {k: v for k, v in GOOD.items() if k != 3})
    assert [b.reason for b in t.breaks] == ["link_missing"]
    t = trace_record(SCALE, [3], ON, STDS, dict(GOOD) | {3: [cal(3, None, date(2026, 2, 1))]})
    assert [b.reason for b in t.breaks] == ["link_missing"]
    t = trace_record(SCALE, [], ON, STDS, GOOD)
    assert [b.reason for b in t.breaks] == ["link_missing"]


def test_scope_not_covered_by_quantity_or_range():
    t = trace_record(SCALE, [9], ON, STDS, GOOD)
    assert [b.reason for b in t.breaks] == ["scope_not_covered"]
    big = StandardNode(4, "WORK-BIG", "public", "mass", 0.0, 2000.0, 0.01)
    t = trace_standard(4, STDS | {4: big}, dict(GOOD) | {4: [cal(4, 2, date(2026, 2, 1))]}, ON)
    assert [b.reason for b in t.breaks] == ["scope_not_covered"]
    assert "1000" in t.breaks[0].message


def test_uncertainty_ratio_below_the_minimum_is_a_break_and_the_minimum_is_a_setting():
    coarse = InstrumentNode(101, "scale SN2", "mass", tolerance=0.03)  # 3:1 against WORK
    t = trace_record(coarse, [3], ON, STDS, GOOD)
    assert [b.reason for b in t.breaks] == ["uncertainty_ratio"]
    assert t.edges[0].ratio == pytest.approx(3.0)
    assert trace_record(coarse, [3], ON, STDS, GOOD, ratio_min=3.0).traceable


def test_approval_certificate_of_the_standard_must_be_valid_on_the_date_of_use():
    lapsed = StandardNode(
        3, "WORK-M", "public", "mass", 0.0, 100.0, 0.01, approval_valid_until=date(2026, 1, 1)
    )
    t = trace_record(SCALE, [3], ON, STDS | {3: lapsed}, GOOD)
    assert [b.reason for b in t.breaks] == ["certificate_expired"]


def test_a_loop_is_reported_not_followed_forever():
    loop = {2: [cal(2, 3, date(2026, 1, 10))], 3: [cal(3, 2, date(2026, 2, 1))]}
    t = trace_standard(3, STDS, loop, ON)
    assert "link_missing" in [b.reason for b in t.breaks]


def test_several_standards_used_give_several_branches():
    scale2 = InstrumentNode(102, "scale SN3", "mass", tolerance=0.1)
    t = trace_record(scale2, [3, 2], ON, STDS, GOOD)
    assert t.traceable
    assert sum(1 for e in t.edges if e.child == "instrument:102") == 2


def test_as_dict_is_plain_json_data():
    d = trace_record(SCALE, [3], ON, STDS, GOOD).as_dict()
    assert d["traceable"] is True and d["on"] == "2026-06-01" and len(d["edges"]) == 3


@pytest.mark.parametrize(
    "build",
    [
        lambda: StandardNode(1, "X", "public", "mass", uncertainty=-1.0),
        lambda: StandardNode(1, "X", "public", "mass", uncertainty=float("nan")),
        lambda: StandardNode(1, "X", "public", "mass", 10.0, 1.0),
        lambda: CalibrationLink(1, 2, date(2026, 2, 1), date(2026, 1, 1), "C"),
        lambda: trace_standard(3, STDS, GOOD, ON, ratio_min=0.0),
        lambda: trace_standard(77, STDS, GOOD, ON),
        lambda: trace_record(SCALE, [77], ON, STDS, GOOD),
    ],
)
def test_bad_records_are_refused_with_the_value(build):
    with pytest.raises(TraceError):
        build()


def test_public_names_are_exactly_all():
    public = {n for n in dir(registry) if not n.startswith("_")} - {
        "trace",
        "catalogue",
        "dates",
        "models",
        "status",
        "service",
        "importer",
        "export",
        "metrics",
        "dashboard",
        "demo",
        "access",
        "editing",
        "records",
    }
    assert set(registry.__all__) == public
