"""Console pages: every action is a form; errors show inside the page; a double submit books once."""

from __future__ import annotations

import re

from tests.verification.conftest import LAB_ORG, VERIFIED_ON, instruments_of, soon


def _tok(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from tests.conftest import csrf

    return {"csrf_token": csrf(client)}


def _login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import csrf

    data = {"username": username, "password": "jiliang-demo", "csrf_token": csrf(client)}
    r = client.post("/login", data=data | _tok(client), follow_redirects=False)
    assert r.status_code in (302, 303), r.text


def test_pages_render_for_every_role_in_both_languages(client, auth_headers):
    for user in ("market", "lab", "regulator"):
        client.cookies.clear()
        _login(client, user)
        for path in ("/verification", "/verification/bookings", "/verification/work-orders"):
            for lang in ("zh", "en"):
                r = client.get(path, params={"lang": lang})
                assert r.status_code == 200, (user, path, r.text[:300])
        if user == "regulator":
            assert client.get("/verification/flow").status_code == 200
        else:
            assert client.get("/verification/flow").status_code == 403


def test_owner_books_through_the_form_once_and_lab_accepts(client, auth_headers):
    ids = instruments_of(client, auth_headers("market"))
    _login(client, "market")
    step2 = client.get("/verification/bookings/new", params={"instrument_id": ids[:1], "lang": "zh"})
    assert step2.status_code == 200 and "提交申请" in step2.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', step2.text).group(1)
    form = {
        "instrument_id": ids[:1],
        "lab_id": LAB_ORG,
        "mode": "send_in",
        "preferred_on": soon(),
        "idempotency_key": key,
    }
    first = client.post("/verification/bookings", data=form | _tok(client), follow_redirects=False)
    second = client.post("/verification/bookings", data=form | _tok(client), follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    booking = first.headers["location"].split("?")[0]
    client.cookies.clear()
    _login(client, "lab")
    page = client.get(booking, params={"lang": "zh"})
    assert 'value="accept"' in page.text and 'value="decline"' in page.text
    r = client.post(booking + "/action", data={**_tok(client), "action": "accept"}, follow_redirects=True)
    assert "受理回执" in r.text and "SL" in r.text
    again = client.post(booking + "/action", data={**_tok(client), "action": "accept"})
    assert again.status_code == 409 and 'role="alert"' in again.text


def test_bad_booking_form_shows_the_reason_in_the_page(client, auth_headers):
    ids = instruments_of(client, auth_headers("market"))
    _login(client, "market")
    form = {
        "instrument_id": ids[:1],
        "lab_id": 3,
        "mode": "send_in",
        "preferred_on": soon(),
        "idempotency_key": "k" * 16,
    }
    r = client.post("/verification/bookings", data=form | _tok(client), params={"lang": "en"})
    assert r.status_code == 422 and 'role="alert"' in r.text and "authorised" in r.text


def test_lab_records_a_result_through_the_form(client, auth_headers, booked):
    client.post(f"/api/verification/bookings/{booked['id']}/accept", json={}, headers=auth_headers("lab"))
    own = client.get("/api/verification/standards", headers=auth_headers("lab")).json()
    std = [s["id"] for s in own if booked["items"][0]["type_code"] in s["covers"]]
    inst = booked["items"][0]["instrument_id"]
    _login(client, "lab")
    url = f"/verification/bookings/{booked['id']}/result"
    form = client.get(url, params={"instrument_id": inst, "lang": "zh"})
    assert form.status_code == 200 and "保存结果" in form.text
    data = {
        "instrument_id": inst,
        "verified_on": VERIFIED_ON,
        "p0_point": "10",
        "p0_error": "0.1",
        "p0_mpe": "1",
        "p0_U": "0.2",
        "p1_point": "100",
        "p1_error": "0.2",
        "p1_mpe": "1",
        "standard_ids": std,
        "performer": "陈工",
        "approver": "周主任",
    }
    bad = client.post(url, data=data | _tok(client))
    assert bad.status_code == 422 and "points.1" in bad.text and 'value="0.1"' in bad.text
    data["p1_U"] = "0.2"
    ok = client.post(url, data=data | _tok(client), follow_redirects=True)
    assert ok.status_code == 200 and "/verify/JD" in ok.text


def test_work_order_buttons_move_it_to_done(client, auth_headers):
    reg = auth_headers("regulator")  # the API login, before the console cookie is set
    _login(client, "regulator")
    listing = client.get("/verification/work-orders", params={"state": "open", "lang": "en"})
    wo = int(re.search(r'action="/verification/work-orders/(\d+)/action"', listing.text).group(1))
    url = f"/verification/work-orders/{wo}/action"
    r = client.post(url, data={**_tok(client), "action": "start"}, params={"lang": "en"})
    assert r.status_code == 409 and 'role="alert"' in r.text
    assert (
        client.post(url, data={**_tok(client), "action": "assign", "assignee_org_id": LAB_ORG}).status_code
        == 200
    )
    assert client.post(url, data={**_tok(client), "action": "start"}).status_code == 200
    done = client.post(
        url, data={**_tok(client), "action": "finish", "confirmed": "no", "measured_error": "0.6"}
    )
    assert done.status_code == 200
    got = client.get("/api/verification/work-orders", params={"state": "done"}, headers=reg)
    row = next(w for w in got.json()["items"] if w["id"] == wo)
    assert (row["outcome"], row["measured_error"]) == ("closed", 0.6)
