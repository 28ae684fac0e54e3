"""Comparison rounds over the API on the seeded demo city: the whole life of a round, visibility
of results before closing, the pilot's estimator, the report, and bad input (one JSON error body)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiliang.platform.models import Organization


def _org_ids(app, *kinds):
    with app.state.db.session() as s:
        return {o.name: o.id for o in s.scalars(select(Organization).where(Organization.kind.in_(kinds)))}


def _me(client, headers):
    return client.get("/api/auth/me", headers=headers).json()


def test_round_life(client, app, auth_headers):
    institute, lab = auth_headers("institute"), auth_headers("lab")
    labs = _org_ids(app, "lab", "institute")
    lab_org = _me(client, lab)["org_id"]
    body = {"code": "T-1", "measurand": "mass 1 kg", "unit": "mg", "participants": sorted(labs.values())}
    r = client.post("/api/comparisons/rounds", json=body, headers=institute)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["state"] == "open"

    assert (
        client.post(
            f"/api/comparisons/rounds/{rid}/results", json={"value": 1.2, "U": 0.4}, headers=lab
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/comparisons/rounds/{rid}/results", json={"value": 1.0, "U": 0.2, "k": 2}, headers=institute
        ).status_code
        == 200
    )
    # While open, a lab sees only its own result.
    seen = client.get(f"/api/comparisons/rounds/{rid}", headers=lab).json()
    assert [x["org_id"] for x in seen["results"]] == [lab_org]
    assert sum(p["submitted"] for p in seen["participants"]) == 2
    # Only the pilot closes; evaluation needs a closed round.
    assert client.post(f"/api/comparisons/rounds/{rid}/close", headers=lab).status_code == 403
    r = client.post(f"/api/comparisons/rounds/{rid}/evaluate", json={"estimator": "mean"}, headers=institute)
    assert r.status_code == 409 and "close it" in r.json()["message"]
    assert client.post(f"/api/comparisons/rounds/{rid}/close", headers=institute).json()["state"] == "closed"
    assert len(client.get(f"/api/comparisons/rounds/{rid}", headers=lab).json()["results"]) == 2
    r = client.post(f"/api/comparisons/rounds/{rid}/results", json={"value": 1.0, "U": 0.2}, headers=lab)
    assert r.status_code == 409

    r = client.post(
        f"/api/comparisons/rounds/{rid}/evaluate", json={"estimator": "weighted_mean"}, headers=institute
    )
    assert r.status_code == 200, r.text
    assert r.json()["reference"]["value"] == pytest.approx((1.2 / 0.04 + 1.0 / 0.01) / (1 / 0.04 + 1 / 0.01))
    r = client.post(
        f"/api/comparisons/rounds/{rid}/publish", json={"estimator": "weighted_mean"}, headers=institute
    )
    assert r.json()["state"] == "published" and r.json()["estimator"] == "weighted_mean"
    report = client.get(f"/api/comparisons/rounds/{rid}", headers=lab).json()["report"]
    assert report["estimator"] == "weighted_mean" and len(report["labs"]) == 2
    svg = client.get(f"/api/comparisons/rounds/{rid}/report.svg", headers=lab)
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    for lang in ("zh", "en"):
        pdf = client.get(f"/api/comparisons/rounds/{rid}/report.pdf?lang={lang}", headers=lab)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/comparisons/rounds/{rid}/report.pdf?lang=fr", headers=lab).status_code == 422
    r = client.post(f"/api/comparisons/rounds/{rid}/publish", json={"estimator": "mean"}, headers=institute)
    assert r.status_code == 409


def test_bad_input_is_one_error_and_nothing_is_stored(client, app, auth_headers):
    institute = auth_headers("institute")
    labs = sorted(_org_ids(app, "lab", "institute").values())
    before = client.get("/api/comparisons/rounds", headers=institute).json()
    others = sorted(_org_ids(app, "fuel_station").values())[:1]
    r = client.post(
        "/api/comparisons/rounds",
        json={"code": "T-2", "measurand": "m", "unit": "g", "participants": labs + others},
        headers=institute,
    )
    assert r.status_code == 422 and "not a lab" in r.json()["message"]
    assert client.get("/api/comparisons/rounds", headers=institute).json() == before
    r = client.post(
        "/api/comparisons/rounds",
        json={"code": "T-3", "measurand": "m", "unit": "g", "participants": labs},
        headers=institute,
    )
    rid = r.json()["id"]
    r = client.post(f"/api/comparisons/rounds/{rid}/results", json={"value": 1.0, "U": -1}, headers=institute)
    assert r.status_code == 422 and "message" in r.json()
    client.post(f"/api/comparisons/rounds/{rid}/results", json={"value": 1.0, "U": 0.1}, headers=institute)
    client.post(f"/api/comparisons/rounds/{rid}/close", headers=institute)
    r = client.post(f"/api/comparisons/rounds/{rid}/evaluate", json={"estimator": "mean"}, headers=institute)
    assert r.status_code == 422 and "at least 2 labs" in r.json()["message"]
    r = client.post(f"/api/comparisons/rounds/{rid}/publish", json={"estimator": "mean"}, headers=institute)
    assert r.status_code == 422
    assert (
        client.get(f"/api/comparisons/rounds/{rid}", headers=institute).json()["round"]["state"] == "closed"
    )


def test_enterprise_cannot_create_and_anonymous_sees_nothing(client, auth_headers):
    r = client.post(
        "/api/comparisons/rounds",
        json={"code": "X", "measurand": "m", "unit": "g", "participants": [1, 2]},
        headers=auth_headers("fuel"),
    )
    assert r.status_code == 403
    assert client.get("/api/comparisons/rounds").json() == []


def test_demo_rounds_are_seeded(client, auth_headers):
    rounds = client.get("/api/comparisons/rounds", headers=auth_headers("regulator")).json()
    states = {r["code"]: r["state"] for r in rounds}
    assert states.get("BD-2026-01") == "published" and states.get("BD-2026-02") == "open"
