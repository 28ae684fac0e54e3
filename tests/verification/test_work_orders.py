"""Work orders: open → assigned → in progress → done with an outcome, for each party."""

from __future__ import annotations

from tests.verification.conftest import LAB_ORG


def _wo(client, headers, wo_id, action, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/verification/work-orders/{wo_id}/{action}", json=body, headers=headers)


def _open_order(client, auth_headers) -> dict:  # type: ignore[no-untyped-def]
    r = client.get(
        "/api/verification/work-orders", params={"state": "open"}, headers=auth_headers("regulator")
    )
    assert r.status_code == 200 and r.json()["total"] > 0, r.text
    return r.json()["items"][0]


def test_assign_start_finish_replaced(client, auth_headers):
    reg = auth_headers("regulator")
    wo = _open_order(client, auth_headers)
    assert _wo(client, reg, wo["id"], "start").status_code == 409
    assert _wo(client, reg, wo["id"], "assign").status_code == 422
    r = _wo(client, reg, wo["id"], "assign", assignee_org_id=LAB_ORG, assignee="陈工")
    assert r.status_code == 200 and r.json()["state"] == "assigned"
    lab = auth_headers("lab")
    seen = client.get("/api/verification/work-orders", headers=lab).json()
    assert wo["id"] in {w["id"] for w in seen["items"]}
    assert _wo(client, lab, wo["id"], "start").json()["state"] == "in_progress"
    assert _wo(client, lab, wo["id"], "finish").status_code == 422
    r = _wo(client, lab, wo["id"], "finish", confirmed=True, measured_error=3.1)
    assert r.json()["state"] == "done" and r.json()["outcome"] == "replaced"
    inst = client.get(f"/api/registry/instruments/{wo['instrument_id']}", headers=reg).json()
    assert inst["status"] == "retired"
    assert _wo(client, lab, wo["id"], "start").status_code == 409


def test_not_confirmed_closes_with_the_measured_error(client, auth_headers):
    reg = auth_headers("regulator")
    wo = _open_order(client, auth_headers)
    _wo(client, reg, wo["id"], "assign", assignee_org_id=LAB_ORG)
    _wo(client, reg, wo["id"], "start")
    assert _wo(client, reg, wo["id"], "finish", confirmed=False).status_code == 422
    r = _wo(client, reg, wo["id"], "finish", confirmed=False, measured_error=0.4)
    assert r.json()["outcome"] == "closed" and r.json()["measured_error"] == 0.4


def test_outsiders_get_404_and_owners_see_their_own(client, auth_headers):
    wo = _open_order(client, auth_headers)
    for user in ("market", "institute"):
        r = _wo(client, auth_headers(user), wo["id"], "assign", assignee_org_id=LAB_ORG)
        assert r.status_code == 404, user
    owner_total = client.get("/api/verification/work-orders", headers=auth_headers("power")).json()["total"]
    assert owner_total > 0
    assert client.get("/api/verification/work-orders", headers=auth_headers("market")).json()["total"] == 0


def test_cancel_needs_a_reason_and_is_the_regulators(client, auth_headers):
    wo = _open_order(client, auth_headers)
    assert _wo(client, auth_headers("power"), wo["id"], "cancel", reason="x").status_code == 403
    assert _wo(client, auth_headers("regulator"), wo["id"], "cancel").status_code == 422
    assert (
        _wo(client, auth_headers("regulator"), wo["id"], "cancel", reason="重复").json()["state"]
        == "cancelled"
    )
