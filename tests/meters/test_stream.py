"""The pure half of streaming collection: a message into readings with reasons; idempotency."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.meters import stream
from jiliang.meters.stream import Reading, classify, parse_message, utc_day

NOW = 1_796_000_000.0  # 2026-11-30
P = "jiliang/readings"


def _msg(readings: object, topic: str = "jiliang/readings/A1", max_bytes: int = 1 << 20):
    return parse_message(topic, json.dumps({"readings": readings}).encode(), NOW, max_bytes, P)


def test_iso_with_offset_and_epoch_seconds_are_the_same_instant() -> None:
    p = _msg(
        [
            {"meter_id": "M1", "ts": "2026-11-01T08:00:00+08:00", "register_kwh": 1},
            {"meter_id": "M1", "ts": "2026-11-01T00:00:00Z", "register_kwh": 1},
            {"meter_id": "M1", "ts": 1793491200, "register_kwh": 1, "current_a": 0.5},
        ]
    )
    assert p.area_id == "A1" and not p.rejected
    assert {r.ts_us for r in p.readings} == {1793491200 * 1_000_000}
    assert p.readings[2].current_a == 0.5
    assert utc_day(p.readings[0].ts_us) == "2026-11-01"


def test_each_bad_reading_has_its_reason_and_the_good_ones_are_kept() -> None:
    p = _msg(
        [
            {"meter_id": "M1", "ts": 1793491200, "register_kwh": 1.0},
            {"meter_id": "M2", "ts": 1793491200},
            {"meter_id": "M3", "ts": 1793491200, "register_kwh": -0.5},
            {"meter_id": "M4", "ts": NOW + 3600, "register_kwh": 1.0},
            {"meter_id": "M5", "ts": "2026-11-01T00:00:00", "register_kwh": 1.0},
            {"meter_id": "M6", "ts": 1793491200, "register_kwh": "7"},
            {"meter_id": "M7", "ts": 1793491200, "register_kwh": 1.0, "current_a": -1},
            "text",
        ]
    )
    assert [r.meter_id for r in p.readings] == ["M1"]
    assert [(r.index, r.reason) for r in p.rejected] == [
        (1, "missing_field"),
        (2, "negative_register"),
        (3, "future_ts"),
        (4, "bad_ts"),
        (5, "bad_register"),
        (6, "negative_current"),
        (7, "not_object"),
    ]


def test_whole_message_rejections() -> None:
    def reason(topic: str, payload: bytes, max_bytes: int = 1000) -> str:
        p = parse_message(topic, payload, NOW, max_bytes, P)
        assert not p.readings and len(p.rejected) == 1 and p.rejected[0].index is None
        return p.rejected[0].reason

    assert reason("jiliang/readings/A1", b"{not json") == "not_json"
    assert reason("jiliang/readings/A1", b"\xff\xfe") == "not_json"
    assert reason("jiliang/readings/A1", b'{"rows": []}') == "no_readings"
    assert reason("jiliang/readings/A1", b"[]") == "no_readings"
    assert reason("jiliang/readings/A1", b"x" * 1001) == "oversized"
    assert reason("jiliang/readings/A1/extra", b'{"readings": []}') == "bad_topic"
    assert reason("other/A1", b'{"readings": []}') == "bad_topic"


def test_classify_drops_identical_duplicates_and_sets_conflicts_aside() -> None:
    a = Reading("M1", 1, 1.0)
    known = {"M1": {a.ts_us: a.value}}
    new = Reading("M1", 2, 2.0)
    c = classify([a, new, new, Reading("M1", 1, 1.5), Reading("M1", 2, 2.5)], known)
    assert c.new == (new,)
    assert c.duplicates == 2
    assert [(r.register_kwh, kept) for r, kept in c.conflicts] == [(1.5, (1.0, None)), (2.5, (2.0, None))]


def test_classify_is_order_free_for_identical_readings() -> None:
    rs = [Reading("M1", t, float(t)) for t in range(5)]
    forward = classify(rs + rs, {})
    backward = classify(list(reversed(rs + rs)), {})
    assert set(forward.new) == set(backward.new) == set(rs)
    assert forward.duplicates == backward.duplicates == 5


_values = st.one_of(
    st.integers(-5, 1_900_000_000),
    st.sampled_from([1793491200.5, "2026-11-01T00:00:00Z", "2026-11-01T08:00:00+08:00", "2026-11-01", "7"]),
    st.sampled_from([None, True, 1e308, -0.0, 2.5, "x", 10**30, 10**400]),
)
_items = st.one_of(
    st.fixed_dictionaries(
        {
            "meter_id": st.sampled_from(["M1", " ", "", "M" * 65, "电表1"]),
            "ts": _values,
            "register_kwh": _values,
        },
        optional={"current_a": _values},
    ),
    st.sampled_from(["text", 3, None, {}]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_items, max_size=8))
def test_the_columnar_path_accepts_and_refuses_as_the_reading_by_reading_path(items: list[object]) -> None:
    payload = json.dumps({"readings": items}).encode()
    fast = parse_message("jiliang/readings/A1", payload, NOW, 1 << 20, P)
    slow = stream._one_by_one("A1", payload, NOW)
    assert fast.readings == slow.readings
    assert [(r.index, r.reason) for r in fast.rejected] == [(r.index, r.reason) for r in slow.rejected]
