"""Every booking transition through the API, for each party: allowed, refused (409), hidden (404)."""

from __future__ import annotations

import pytest

from tests.verification.conftest import INSTITUTE_ORG, LAB_ORG, act, instruments_of, passing_result, soon


def _standards(client, headers, type_code: str) -> list[int]:  # type: ignore[no-untyped-def]
    """The lab's standards that cover ``type_code``."""
    r = client.get("/api/verification/standards", headers=headers)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json() if type_code in s["covers"]]


def test_owner_books_and_sees_it_requested(client, auth_headers, booked):
    assert booked["state"] == "requested"
    assert booked["actions"] == ["cancel"]
    r = client.get(
        f"/api/registry/instruments/{booked['items'][0]['instrument_id']}", headers=auth_headers("market")
    )
    assert r.json()["status"] == "booked"


def test_verifiers_are_those_authorised_for_the_type(client, auth_headers):
    ids = instruments_of(client, auth_headers("market"))
    r = client.get(
        "/api/verification/verifiers", params={"instrument_id": ids[:1]}, headers=auth_headers("market")
    )
    found = {v["id"] for v in r.json()}
    assert LAB_ORG in found and INSTITUTE_ORG in found
    assert 3 not in found and 4 not in found  # labs whose standards do not cover scales


def test_unauthorised_verifier_is_refused_with_a_field_error(client, auth_headers):
    ids = instruments_of(client, auth_headers("market"))
    r = client.post(
        "/api/verification/bookings",
        json={"instrument_ids": ids[:1], "lab_id": 3, "preferred_on": soon()},
        headers=auth_headers("market"),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lab_id"


def test_same_idempotency_key_creates_one_booking(client, auth_headers):
    h = auth_headers("market") | {"Idempotency-Key": "form-0123456789"}
    ids = instruments_of(client, auth_headers("market"))
    before = client.get("/api/verification/bookings", headers=auth_headers("market")).json()["total"]
    body = {"instrument_ids": ids[:2], "lab_id": LAB_ORG, "preferred_on": soon()}
    first = client.post("/api/verification/bookings", json=body, headers=h)
    second = client.post("/api/verification/bookings", json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = client.get("/api/verification/bookings", headers=auth_headers("market")).json()
    assert listed["total"] == before + 1  # the demo city has bookings of its own


def test_an_instrument_in_an_open_booking_cannot_be_booked_again(client, auth_headers, booked):
    r = client.post(
        "/api/verification/bookings",
        json={
            "instrument_ids": [booked["items"][0]["instrument_id"]],
            "lab_id": LAB_ORG,
            "preferred_on": soon(),
        },
        headers=auth_headers("market"),
    )
    assert r.status_code == 409


def test_another_owner_and_another_lab_get_404(client, auth_headers, booked):
    for user in ("fuel", "institute"):
        assert (
            client.get(f"/api/verification/bookings/{booked['id']}", headers=auth_headers(user)).status_code
            == 404
        )
        assert act(client, auth_headers(user), booked["id"], "accept").status_code == 404


def test_other_instruments_are_not_found(client, auth_headers):
    ids = instruments_of(client, auth_headers("fuel"))
    r = client.post(
        "/api/verification/bookings",
        json={"instrument_ids": ids[:1], "lab_id": LAB_ORG, "preferred_on": soon()},
        headers=auth_headers("market"),
    )
    assert r.status_code == 404


def test_labs_and_regulator_may_not_book(client, auth_headers):
    ids = instruments_of(client, auth_headers("market"))
    for user in ("lab", "regulator"):
        r = client.post(
            "/api/verification/bookings",
            json={"instrument_ids": ids[:1], "lab_id": LAB_ORG, "preferred_on": soon()},
            headers=auth_headers(user),
        )
        assert r.status_code == 403, user


def test_lab_accepts_with_a_receipt_then_schedules(client, auth_headers, booked):
    lab = auth_headers("lab")
    assert act(client, auth_headers("market"), booked["id"], "accept").status_code == 403
    r = act(client, lab, booked["id"], "accept")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted" and r.json()["receipt_no"].startswith("SL")
    pdf = client.get(f"/api/verification/bookings/{booked['id']}/receipt.pdf", headers=auth_headers("market"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert act(client, lab, booked["id"], "accept").status_code == 409
    assert act(client, lab, booked["id"], "schedule").status_code == 422  # no date
    r = act(client, lab, booked["id"], "schedule", on=soon(3))
    assert r.json()["state"] == "scheduled" and r.json()["scheduled_on"] == soon(3)


def test_receipt_before_acceptance_is_a_conflict(client, auth_headers, booked):
    r = client.get(f"/api/verification/bookings/{booked['id']}/receipt.pdf", headers=auth_headers("market"))
    assert r.status_code == 409


def test_decline_needs_a_reason_and_frees_the_instruments(client, auth_headers, booked):
    lab = auth_headers("lab")
    assert act(client, lab, booked["id"], "decline").status_code == 422
    r = act(client, lab, booked["id"], "decline", reason="送检器具超出授权范围")
    assert r.json()["state"] == "declined" and r.json()["reason"] == "送检器具超出授权范围"
    inst = client.get(
        f"/api/registry/instruments/{booked['items'][0]['instrument_id']}", headers=auth_headers("market")
    )
    assert inst.json()["status"] != "booked"
    assert act(client, lab, booked["id"], "schedule", on=soon()).status_code == 409
    r = act(client, lab, booked["id"], "cancel", reason="x")
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"


def test_owner_cancels_with_a_reason(client, auth_headers, booked):
    market = auth_headers("market")
    assert act(client, market, booked["id"], "cancel").status_code == 422
    assert act(client, market, booked["id"], "cancel", reason="改期").json()["state"] == "cancelled"
    assert act(client, market, booked["id"], "cancel", reason="again").status_code == 409


def test_stale_version_is_a_conflict(client, auth_headers, booked):
    r = act(client, auth_headers("lab"), booked["id"], "accept", version=booked["version"] + 5)
    assert r.status_code == 409 and r.json()["code"] == "stale_version"


def test_regulator_reassigns_and_the_new_verifier_sees_it(client, auth_headers, booked):
    reg = auth_headers("regulator")
    assert act(client, auth_headers("lab"), booked["id"], "reassign", lab_id=INSTITUTE_ORG).status_code == 403
    r = act(client, reg, booked["id"], "reassign", lab_id=INSTITUTE_ORG, reason="就近检定")
    assert r.status_code == 200 and r.json()["lab_id"] == INSTITUTE_ORG and r.json()["state"] == "requested"
    assert (
        client.get(f"/api/verification/bookings/{booked['id']}", headers=auth_headers("lab")).status_code
        == 404
    )
    assert act(client, auth_headers("institute"), booked["id"], "accept").json()["state"] == "accepted"
    assert (
        act(client, reg, booked["id"], "reassign", lab_id=3).status_code == 422
    )  # lab 3 does not cover scales


def test_a_declined_booking_reassigned_books_the_instruments_again(client, auth_headers, booked):
    inst = booked["items"][0]["instrument_id"]
    act(client, auth_headers("lab"), booked["id"], "decline", reason="满负荷")
    r = act(client, auth_headers("regulator"), booked["id"], "reassign", lab_id=INSTITUTE_ORG)
    assert r.json()["state"] == "requested"
    got = client.get(f"/api/registry/instruments/{inst}", headers=auth_headers("institute"))
    assert got.status_code == 200 and got.json()["status"] == "booked"


def test_passing_result_issues_a_signed_certificate(client, auth_headers, booked):
    lab = auth_headers("lab")
    inst = booked["items"][0]["instrument_id"]
    body = passing_result(inst, _standards(client, lab, booked["items"][0]["type_code"]))
    assert (
        client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab).status_code
        == 409
    )
    act(client, lab, booked["id"], "accept")
    r = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["state"] == "completed"
    number = out["items"][0]["certificate_no"]
    assert out["items"][0]["result"] == "pass" and number
    status = client.get(f"/api/certificates/verify/{number}").json()
    assert status["status"] == "valid"
    listed = client.get("/api/certificates", headers=auth_headers("market")).json()
    assert number in {c["number"] for c in listed["items"]}
    again = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert again.status_code == 409


def test_failing_result_gives_a_notice_and_blocks_the_instrument(client, auth_headers, booked):
    lab = auth_headers("lab")
    act(client, lab, booked["id"], "accept")
    inst = booked["items"][0]["instrument_id"]
    body = passing_result(
        inst, _standards(client, lab, booked["items"][0]["type_code"]), error=0.9
    )  # inside MPE, beyond the guard band
    r = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert r.status_code == 201, r.text
    item = r.json()["items"][0]
    assert item["result"] == "fail" and item["notice_no"].startswith("TZ") and item["certificate_no"] is None
    got = client.get(f"/api/registry/instruments/{inst}", headers=auth_headers("market")).json()
    assert got["status"] == "blocked"
    pdf = client.get(
        f"/api/verification/bookings/{booked['id']}/notices/{inst}.pdf", headers=auth_headers("market")
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = client.get(
        f"/api/verification/bookings/{booked['id']}/notices/{inst}.pdf", headers=auth_headers("fuel")
    )
    assert other.status_code == 404


def test_bad_result_input_stores_nothing(client, auth_headers, booked):
    lab = auth_headers("lab")
    act(client, lab, booked["id"], "accept")
    inst = booked["items"][0]["instrument_id"]
    body = passing_result(inst, _standards(client, lab, booked["items"][0]["type_code"]))
    body["points"][0]["point"] = 120
    r = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "points.0.point"
    body = passing_result(inst, [2])  # a standard of the institute, not of this lab
    r = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "standard_ids"
    got = client.get(f"/api/verification/bookings/{booked['id']}", headers=lab).json()
    assert got["state"] == "accepted" and got["items"][0]["result"] is None


def test_owner_may_not_record_results(client, auth_headers, booked):
    act(client, auth_headers("lab"), booked["id"], "accept")
    body = passing_result(booked["items"][0]["instrument_id"], [1])
    r = client.post(
        f"/api/verification/bookings/{booked['id']}/results", json=body, headers=auth_headers("market")
    )
    assert r.status_code == 403


def test_inbox_shows_what_each_party_must_do(client, auth_headers, booked):
    lab_box = client.get("/api/verification/inbox", headers=auth_headers("lab")).json()
    assert booked["id"] in {b["id"] for b in lab_box["bookings"]}
    reg_box = client.get("/api/verification/inbox", headers=auth_headers("regulator")).json()
    assert booked["id"] in {b["id"] for b in reg_box["bookings"]}
    other = client.get("/api/verification/inbox", headers=auth_headers("institute")).json()
    assert booked["id"] not in {b["id"] for b in other["bookings"]}
    market = client.get("/api/verification/inbox", headers=auth_headers("market")).json()
    assert "reminders" in market


def test_flow_is_the_regulators(client, auth_headers, booked):
    r = client.get("/api/verification/flow", params={"days": 0}, headers=auth_headers("regulator"))
    assert r.status_code == 200
    body = r.json()
    requested = client.get(
        "/api/verification/bookings", params={"state": "requested"}, headers=auth_headers("regulator")
    ).json()["total"]
    assert body["open_by_state"]["requested"] == requested >= 1
    assert booked["id"] in {w["booking_id"] for w in body["waiting"]}
    assert client.get("/api/verification/flow", headers=auth_headers("lab")).status_code == 403


def test_transitions_are_audited_with_the_acting_user(client, auth_headers, booked):
    act(client, auth_headers("lab"), booked["id"], "accept")
    r = client.get("/api/audit", params={"entity": "vf_booking"}, headers=auth_headers("regulator"))
    assert r.status_code == 200, r.text
    entries = [(e["actor"], e["action"]) for e in r.json()]
    assert ("market", "submit") in entries and ("lab", "accept") in entries


USERS = {"market": "owner", "lab": "lab", "regulator": "regulator"}
OUTSIDERS = ("fuel", "institute")
ACTIONS = ("accept", "decline", "schedule", "start", "cancel", "reassign")
BODY = {
    "decline": {"reason": "r"},
    "cancel": {"reason": "r"},
    "schedule": {"on": soon(2)},
    "reassign": {"lab_id": INSTITUTE_ORG},
}


def _drive(client, auth_headers, booking_id: int, state: str) -> None:  # type: ignore[no-untyped-def]
    lab = auth_headers("lab")
    path = {
        "requested": [],
        "accepted": ["accept"],
        "scheduled": ["accept", "schedule"],
        "in_progress": ["accept", "start"],
        "declined": ["decline"],
        "cancelled": ["cancel"],
    }[state]
    for a in path:
        who = auth_headers("market") if a == "cancel" else lab
        r = act(client, who, booking_id, a, **BODY.get(a, {}))
        assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "state", ["requested", "accepted", "scheduled", "in_progress", "declined", "cancelled"]
)
def test_every_action_by_every_party_in_every_state(client, auth_headers, booked, state):
    """Refusals are 409 (state), 403 (party) or 404 (outsider) and change nothing; each party's
    page offers exactly the actions the machine allows it."""
    from jiliang.verification import BOOKING

    _drive(client, auth_headers, booked["id"], state)
    before = client.get(
        f"/api/verification/bookings/{booked['id']}", headers=auth_headers("regulator")
    ).json()
    for user, party in USERS.items():
        allowed = BOOKING.actions(state, {party})
        got = client.get(f"/api/verification/bookings/{booked['id']}", headers=auth_headers(user)).json()
        assert tuple(got["actions"]) == allowed, user
        for action in ACTIONS:
            if action in allowed:
                continue
            r = act(client, auth_headers(user), booked["id"], action, **BODY.get(action, {}))
            sources = {s for t in BOOKING.transitions if t.action == action for s in t.sources}
            assert r.status_code == (409 if state not in sources else 403), (user, action, r.text)
    for user in OUTSIDERS:
        for action in ACTIONS:
            r = act(client, auth_headers(user), booked["id"], action, **BODY.get(action, {}))
            assert r.status_code == 404, (user, action)
    after = client.get(f"/api/verification/bookings/{booked['id']}", headers=auth_headers("regulator")).json()
    assert (after["state"], after["version"]) == (before["state"], before["version"])


def test_an_out_of_scope_standard_must_be_acknowledged_and_is_recorded(client, auth_headers, booked):
    lab = auth_headers("lab")
    act(client, lab, booked["id"], "accept")
    item = booked["items"][0]
    own = client.get("/api/verification/standards", headers=lab).json()
    other = next(s["id"] for s in own if s["covers"] and item["type_code"] not in s["covers"])
    body = passing_result(item["instrument_id"], [*_standards(client, lab, item["type_code"]), other])
    r = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert r.status_code == 422 and r.json()["code"] == "needs_acknowledgement"
    assert "does not cover" in r.json()["errors"][0]["message"]
    body["acknowledge_warnings"] = True
    r = client.post(f"/api/verification/bookings/{booked['id']}/results", json=body, headers=lab)
    assert r.status_code == 201, r.text
    log = client.get("/api/audit", params={"entity": "reg_verification"}, headers=auth_headers("regulator"))
    assert any(e["action"] == "acknowledge" and e["actor"] == "lab" for e in log.json())
