"""The supervision workflow over HTTP on the seeded demo city: plan, commit, draw, discard,
results, publication, credit classes, commitments, and the public view."""

from __future__ import annotations

import hashlib
import json

from jiliang.stats.draw import parse_inspectors_csv, parse_targets_csv, replay

SEED = "7e57" * 16
INSPECTORS = (
    "id,name,district,conflicts\ninspector1,刘明,449901,\ninspector2,陈静,449902,\ninspector3,周强,449903,\n"
)
PLAN = {
    "title": "2026 加油机抽查",
    "scope": "fuel_dispensers",
    "year": 2026,
    "policy": {
        "edition": "t-1",
        "ratios": {"A": "0.5", "B": "0.5", "C": "1", "D": "1"},
        "team_size": 2,
        "exclude_same_district": True,
    },
    "inspectors_csv": INSPECTORS,
}


def _plan(client, h) -> int:
    r = client.post("/api/supervision/plans", json=PLAN, headers=h)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_full_workflow_and_public_replay(client, auth_headers):
    h = auth_headers("regulator")
    plan_id = _plan(client, h)
    commitment = hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
    r = client.post(
        f"/api/supervision/plans/{plan_id}/commit", json={"seed_commitment": commitment}, headers=h
    )
    assert r.status_code == 200 and r.json()["status"] == "committed"

    wrong = client.post(f"/api/supervision/plans/{plan_id}/draw", json={"seed": "00" * 32}, headers=h)
    assert wrong.status_code == 422 and "does not match the published commitment" in wrong.text
    r = client.post(f"/api/supervision/plans/{plan_id}/draw", json={"seed": SEED}, headers=h)
    assert r.status_code == 200, r.text
    record = r.json()["record"]
    assert record["seed"] == SEED and record["seed_commitment"] == commitment

    # a second draw without discarding is refused; the first draw is intact
    again = client.post(f"/api/supervision/plans/{plan_id}/draw", json={"seed": SEED}, headers=h)
    assert again.status_code == 409

    view = client.get(f"/api/supervision/plans/{plan_id}", headers=h).json()
    assert len(view["tasks"]) == len(record["selected"]) > 0
    task = view["tasks"][0]
    r = client.post(
        f"/api/supervision/tasks/{task['id']}/result",
        headers=h,
        json={
            "outcome": "rectify",
            "inspected_on": "2026-05-01",
            "rectify_by": "2026-06-01",
            "findings": [{"kind": "seal_broken", "instrument": "SN1"}],
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "rectify"
    bad = client.post(
        f"/api/supervision/tasks/{task['id']}/result",
        headers=h,
        json={"outcome": "passed", "inspected_on": "2026-05-02"},
    )
    assert bad.status_code == 409

    # before publication anyone sees the commitment and the frozen lists, not the seed or the draw
    early = client.get(f"/api/supervision/plans/{plan_id}").json()
    assert early["seed_commitment"] == commitment and early["inputs_sha256"] == record["inputs_sha256"]
    assert early["record"] is None and early["tasks"] == [] and SEED not in json.dumps(early)
    assert client.get(f"/api/supervision/plans/{plan_id}/record.json").status_code == 404
    assert client.post(f"/api/supervision/plans/{plan_id}/publish", headers=h).status_code == 200
    public = client.get(f"/api/supervision/plans/{plan_id}").json()
    assert public["record"] == record

    # anyone re-runs it from the published files
    targets = client.get(f"/api/supervision/plans/{plan_id}/targets.csv").text
    inspectors = client.get(f"/api/supervision/plans/{plan_id}/inspectors.csv").text
    rec = json.loads(client.get(f"/api/supervision/plans/{plan_id}/record.json").content)
    result = replay(rec, parse_targets_csv(targets), parse_inspectors_csv(inspectors))
    assert result.matches and result.rerun
    assert public["inputs_sha256"] == rec["inputs_sha256"]


def test_discarded_draw_is_kept_with_its_reason(client, auth_headers):
    h = auth_headers("regulator")
    plan_id = _plan(client, h)
    client.post(f"/api/supervision/plans/{plan_id}/commit", json={}, headers=h)
    first = client.post(f"/api/supervision/plans/{plan_id}/draw", json={}, headers=h).json()
    no_reason = client.post(f"/api/supervision/plans/{plan_id}/discard", json={"reason": ""}, headers=h)
    assert no_reason.status_code == 422
    r = client.post(
        f"/api/supervision/plans/{plan_id}/discard", json={"reason": "target list was stale"}, headers=h
    )
    assert r.status_code == 200
    view = client.get(f"/api/supervision/plans/{plan_id}", headers=h).json()
    assert view["status"] == "draft" and view["record"] is None and view["tasks"] == []
    assert view["discarded"][0]["reason"] == "target list was stale"
    assert view["discarded"][0]["record"] == first["record"]
    # a new draw needs a new commitment
    assert client.post(f"/api/supervision/plans/{plan_id}/draw", json={}, headers=h).status_code == 409
    client.post(f"/api/supervision/plans/{plan_id}/commit", json={}, headers=h)
    second = client.post(f"/api/supervision/plans/{plan_id}/draw", json={}, headers=h).json()
    assert second["record"]["seed_commitment"] != first["record"]["seed_commitment"]
    audit = client.get("/api/audit?entity=sv_draw", headers=h)
    assert audit.status_code == 200 and "target list was stale" in audit.text


def test_bad_plans_store_nothing(client, auth_headers):
    h = auth_headers("regulator")
    before = client.get("/api/supervision/plans", headers=h).json()
    for policy, words in [
        ({**PLAN["policy"], "ratios": {"A": "1.5", "B": "0.1", "C": "1", "D": "1"}}, "[0, 1]"),
        ({**PLAN["policy"], "ratios": {"E": "0.5"}}, "unknown credit class"),
        ({**PLAN["policy"], "ratios": {"A": "0.5"}}, "no ratio for credit class"),
        ({**PLAN["policy"], "team_size": 5}, "team_size 5 exceeds"),
    ]:
        r = client.post("/api/supervision/plans", json={**PLAN, "policy": policy}, headers=h)
        assert r.status_code == 422, r.text
        assert words in r.text
    dup = INSPECTORS + "inspector1,again,449901,\n"
    r = client.post("/api/supervision/plans", json={**PLAN, "inspectors_csv": dup}, headers=h)
    assert r.status_code == 422 and "duplicated inspector id" in r.text
    assert client.get("/api/supervision/plans", headers=h).json() == before
    assert client.post("/api/supervision/plans", json=PLAN, headers=auth_headers("fuel")).status_code == 403
    assert client.post("/api/supervision/plans", json=PLAN).status_code == 401


def test_impossible_draw_names_targets_and_stores_nothing(client, auth_headers):
    h = auth_headers("regulator")
    lone = "id,name,district,conflicts\nx1,甲,449901,\nx2,乙,449901,\n"
    every = {**PLAN["policy"], "ratios": {k: "1" for k in "ABCD"}}
    body = {**PLAN, "inspectors_csv": lone, "policy": every}
    plan_id = client.post("/api/supervision/plans", json=body, headers=h).json()["id"]
    client.post(f"/api/supervision/plans/{plan_id}/commit", json={}, headers=h)
    r = client.post(f"/api/supervision/plans/{plan_id}/draw", json={}, headers=h)
    assert r.status_code == 422 and "target(s)" in r.text
    view = client.get(f"/api/supervision/plans/{plan_id}", headers=h).json()
    assert view["status"] == "committed" and view["tasks"] == []


def test_demo_credit_classes_lists_and_enterprise_view(client, auth_headers):
    h = auth_headers("regulator")
    r = client.post("/api/supervision/credit/recompute?on=2026-11-01", headers=h)
    assert r.status_code == 200 and sum(r.json()["classes"].values()) > 0
    black = client.get("/api/supervision/lists/black").json()
    red = client.get("/api/supervision/lists/red").json()
    assert all(x["reason"] for x in black + red)
    fuel = auth_headers("fuel")
    mine = client.get("/api/supervision/tasks/mine", headers=fuel)
    assert mine.status_code == 200
    me = client.get("/api/auth/me", headers=fuel).json()
    c = client.get(f"/api/supervision/credit/{me['org_id']}", headers=fuel).json()
    assert c["credit_class"] in "ABCD"
    assert "lines" in c["explanation"] and c["explanation"]["edition"] == "demo-2026.1"
    assert client.get(f"/api/supervision/credit/{me['org_id'] + 1}", headers=fuel).status_code == 404


def test_commitment_broken_by_a_finding(client, auth_headers):
    h, market = auth_headers("regulator"), auth_headers("market")
    r = client.post("/api/supervision/commitments", json={"year": 2027}, headers=market)
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    cid = r.json()["id"]
    assert client.post("/api/supervision/commitments", json={"year": 2027}, headers=market).status_code == 409
    assert (
        client.post(
            f"/api/supervision/commitments/{cid}/review", json={"accept": False}, headers=h
        ).status_code
        == 422
    )
    r = client.post(f"/api/supervision/commitments/{cid}/review", json={"accept": True}, headers=h)
    assert r.json()["status"] == "published"
    org_id = next(
        c["org_id"]
        for c in client.get("/api/supervision/commitments", headers=market).json()
        if c["id"] == cid
    )
    # a plan over markets with every market drawn, then a finding for this market in 2027
    plan = {
        **PLAN,
        "scope": "market_scales",
        "year": 2027,
        "policy": {**PLAN["policy"], "ratios": {k: "1" for k in "ABCD"}, "exclude_same_district": False},
    }
    plan_id = client.post("/api/supervision/plans", json=plan, headers=h).json()["id"]
    client.post(f"/api/supervision/plans/{plan_id}/commit", json={}, headers=h)
    client.post(f"/api/supervision/plans/{plan_id}/draw", json={}, headers=h)
    tasks = client.get(f"/api/supervision/plans/{plan_id}", headers=h).json()["tasks"]
    task = next(t for t in tasks if t["org_id"] == org_id)
    client.post(
        f"/api/supervision/tasks/{task['id']}/result",
        headers=h,
        json={"outcome": "failed", "inspected_on": "2027-03-01", "findings": [{"kind": "cheating"}]},
    )
    public = client.get("/api/supervision/commitments").json()
    row = next(c for c in public if c["id"] == cid)
    assert row["status"] == "broken" and row["broken_by_task"] == task["id"]
