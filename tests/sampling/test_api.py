"""``GET /api/sampling/plan`` and ``/api/sampling/oc``: read-only look-ups, the API's error body."""

from __future__ import annotations

import itertools

import pytest


def test_plan_reference_case(client):
    r = client.get("/api/sampling/plan", params={"lot_size": 2000, "aql": "1.0"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert {k: doc[k] for k in ("code_letter", "n", "ac", "re", "hundred_percent", "edition")} == {
        "code_letter": "K",
        "n": 125,
        "ac": 3,
        "re": 4,
        "hundred_percent": False,
        "edition": "GB/T 2828.1-2012",
    }
    assert doc["table"] == "2-A" and doc["page"] == 15 and doc["arrow"] is None
    assert doc["decision"] is None
    r = client.get("/api/sampling/plan", params={"lot_size": 2000, "aql": "1.0", "d": 4})
    assert r.json()["decision"] == {
        "d": 4,
        "accepted": False,
        "clause": "GB/T 2828.1-2012 11.1.1: d=4 ≥ Re=4",
    }


def test_plan_arrow_severity_level(client):
    r = client.get(
        "/api/sampling/plan",
        params={"lot_size": 200000, "aql": "0.025", "level": "III", "severity": "tightened"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["code_letter"], doc["plan_letter"], doc["n"], doc["ac"], doc["arrow"]) == (
        "Q",
        "S",
        3150,
        1,
        "down",
    )


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"lot_size": 0, "aql": "1.0"}, "lot_size"),
        ({"lot_size": -1, "aql": "1.0"}, "lot_size"),
        ({"lot_size": "abc", "aql": "1.0"}, "lot_size"),
        ({"lot_size": 10**13, "aql": "1.0"}, "lot_size"),
        ({"lot_size": 100, "aql": "1.1"}, "not in GB/T 2828.1"),
        ({"lot_size": 100, "aql": "x" * 17}, "aql"),
        ({"lot_size": 100, "aql": "inf"}, "not in GB/T 2828.1"),
        ({"lot_size": 100, "aql": "1.0", "level": "IV"}, "level"),
        ({"lot_size": 100, "aql": "1.0", "severity": "strict"}, "severity"),
        ({"aql": "1.0"}, "lot_size"),
        ({"lot_size": 100, "aql": "1.0", "d": -1}, "d"),
    ],
)
def test_plan_bad_input(client, params, text):
    r = client.get("/api/sampling/plan", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"status", "code", "message", "errors"} and body["status"] == 422
    assert text in r.text


def test_oc_curve(client):
    r = client.get("/api/sampling/oc", params={"n": 125, "ac": 3, "points": 11})
    assert r.status_code == 200, r.text
    doc = r.json()
    pa = [pt["pa"] for pt in doc["points"]]
    assert doc["model"] == "binomial" and len(pa) == 11 and pa[0] == 1.0
    assert all(a >= b for a, b in itertools.pairwise(pa))
    r = client.get("/api/sampling/oc", params={"n": 20, "ac": 0, "lot_size": 50, "p_max": 0.2})
    assert r.status_code == 200 and r.json()["model"] == "hypergeometric"


@pytest.mark.parametrize(
    "params",
    [
        {"n": 0, "ac": 0},
        {"n": 10, "ac": 11},
        {"n": 10, "ac": 1, "lot_size": 5},
        {"n": 10, "ac": 1, "points": 100000},
        {"n": 10, "ac": 1, "p_max": 2},
        {"n": "x", "ac": 1},
    ],
)
def test_oc_bad_input(client, params):
    r = client.get("/api/sampling/oc", params=params)
    assert r.status_code == 422 and r.json()["status"] == 422
