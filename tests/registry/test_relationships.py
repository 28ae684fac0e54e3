"""Authorisation by relationship, on the small demo city through the HTTP API.

A lab acts only on instruments it has a relationship with and cites only its own, public or
published standards; an organization's identity changes only by the regulator (on request); ids
beyond the database's integer range are refused with 422 on every router.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from jiliang.platform.models import AuditEntry, Organization, User
from jiliang.registry.models import Instrument, MeasurementStandard, Verification

BIG = 2**63


def _error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"status", "code", "message", "errors"} and body["status"] == status
    return body


def _org_of(session, username: str) -> int:
    return session.scalar(select(User.org_id).where(User.username == username))


def _foreign_instrument(session, lab_org: int) -> Instrument:
    """An instrument verified by another lab, not booked with ``lab_org`` nor verified by it."""
    mine = select(Verification.instrument_id).where(Verification.lab_id == lab_org)
    return session.scalar(
        select(Instrument)
        .join(Verification, Verification.instrument_id == Instrument.id)
        .where(
            Verification.lab_id.is_not(None),
            Verification.lab_id != lab_org,
            Instrument.id.not_in(mine),
            (Instrument.booked_lab_id.is_(None)) | (Instrument.booked_lab_id != lab_org),
        )
        .order_by(Instrument.id)
        .limit(1)
    )


def _own_instrument(session, lab_org: int) -> Instrument:
    return session.scalar(
        select(Instrument)
        .join(Verification, Verification.instrument_id == Instrument.id)
        .where(Verification.lab_id == lab_org)
        .order_by(Instrument.id)
        .limit(1)
    )


def _standard(session, holder: int | None, *, published: bool, level: str = "enterprise") -> int:
    n = session.scalar(select(func.count(MeasurementStandard.id)))
    s = MeasurementStandard(
        code=f"TEST-STD-{n + 1}",
        name="测试标准",
        level=level,
        quantity="mass",
        holder_id=holder,
        covers=[],
        published=published,
    )
    session.add(s)
    session.flush()
    return s.id


def _body(standard_ids: list[int], on: date) -> dict:
    return {
        "verified_on": on.isoformat(),
        "result": "pass",
        "certificate_no": "JD-REL-1",
        "standard_ids": standard_ids,
    }


@pytest.fixture
def store(app, seeded):  # type: ignore[no-untyped-def]
    return app.state.db


def test_a_lab_cannot_record_on_another_labs_instrument_nor_read_it_after(client, auth_headers, store):
    with store.session(actor="test") as s:
        lab = _org_of(s, "lab")
        inst = _foreign_instrument(s, lab)
        std = _standard(s, lab, published=True)
        inst_id, before = inst.id, s.scalar(select(func.count(Verification.id)))
    h = auth_headers("lab")
    _error(
        client.post(
            f"/api/registry/instruments/{inst_id}/verifications",
            json=_body([std], client.app.state.clock.today()),
            headers=h,
        ),
        404,
    )
    _error(client.get(f"/api/registry/instruments/{inst_id}", headers=h), 404)
    _error(client.get(f"/api/registry/instruments/{inst_id}/trace", headers=h), 404)
    with store.session(actor="test") as s:
        assert s.scalar(select(func.count(Verification.id))) == before
    # the lab that has the relationship may record, and the regulator always
    ok = client.post(
        f"/api/registry/instruments/{inst_id}/verifications",
        json=_body([std], client.app.state.clock.today()),
        headers=auth_headers("regulator"),
    )
    assert ok.status_code == 201, ok.text


def test_a_lab_cites_only_its_own_public_or_published_standards(client, auth_headers, store):
    with store.session(actor="test") as s:
        lab, institute = _org_of(s, "lab"), _org_of(s, "institute")
        inst_id = _own_instrument(s, lab).id
        hidden = _standard(s, institute, published=False)
        own_hidden = _standard(s, lab, published=False)
        public = _standard(s, institute, published=False, level="public")
        published = _standard(s, institute, published=True)
        before = s.scalar(select(func.count(Verification.id)))
    h = auth_headers("lab")
    url = f"/api/registry/instruments/{inst_id}/verifications"
    body = _error(
        client.post(url, json=_body([own_hidden, hidden, 10**9], client.app.state.clock.today()), headers=h),
        422,
    )
    assert body["code"] == "invalid_input"
    named = {e["field"]: e["message"] for e in body["errors"]}
    assert named == {
        "standard_ids.1": f"standard {hidden} does not exist or may not be cited",
        "standard_ids.2": f"standard {10**9} does not exist or may not be cited",
    }
    with store.session(actor="test") as s:
        assert s.scalar(select(func.count(Verification.id))) == before  # nothing half-saved
    r = client.post(
        url, json=_body([own_hidden, public, published], client.app.state.clock.today()), headers=h
    )
    assert r.status_code == 201, r.text
    assert {x["id"] for x in r.json()["standards"]} == {own_hidden, public, published}
    # the regulator may cite any standard
    r = client.post(
        url, json=_body([hidden], client.app.state.clock.today()), headers=auth_headers("regulator")
    )
    assert r.status_code == 201, r.text


def test_an_authorised_scope_lets_a_lab_act_on_instruments_of_those_types(client, auth_headers, store):
    with store.session(actor="test") as s:
        lab = _org_of(s, "lab")
        inst = _foreign_instrument(s, lab)
        code = inst.type_id
        from jiliang.registry.models import InstrumentType

        type_code = s.scalar(select(InstrumentType.code).where(InstrumentType.id == code))
        std = _standard(s, lab, published=True)
        inst_id = inst.id
    h = auth_headers("lab")
    _error(client.get(f"/api/registry/instruments/{inst_id}", headers=h), 404)
    # only the regulator sets the scope
    _error(
        client.patch(f"/api/organizations/{lab}", json={"authorised_type_codes": [type_code]}, headers=h), 403
    )
    r = client.patch(
        f"/api/organizations/{lab}",
        json={"authorised_type_codes": [type_code]},
        headers=auth_headers("regulator"),
    )
    assert r.status_code == 200 and r.json()["authorised_type_codes"] == [type_code]
    assert client.get(f"/api/registry/instruments/{inst_id}", headers=h).status_code == 200
    r = client.post(
        f"/api/registry/instruments/{inst_id}/verifications",
        json=_body([std], client.app.state.clock.today()),
        headers=h,
    )
    assert r.status_code == 201, r.text


def test_an_enterprise_cannot_rename_itself_but_may_request_it(client, auth_headers, store):
    with store.session(actor="test") as s:
        power = _org_of(s, "power")
        regulator_name = s.scalar(select(Organization.name).where(Organization.id == _org_of(s, "regulator")))
        old_name = s.get(Organization, power).name
    h, reg = auth_headers("power"), auth_headers("regulator")
    for field, value in (("name", regulator_name), ("name_en", "X"), ("accreditation_code", "CNAS L9")):
        body = _error(client.patch(f"/api/organizations/{power}", json={field: value}, headers=h), 403)
        assert "change request" in body["message"]
    assert client.get(f"/api/organizations/{power}", headers=h).json()["name"] == old_name
    # its address it changes itself
    assert (
        client.patch(f"/api/organizations/{power}", json={"address": "新路1号"}, headers=h).status_code == 200
    )

    r = client.post(
        f"/api/organizations/{power}/change-requests",
        json={"name": "滨江供电公司", "reason": "更名(营业执照变更)"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["before"] == {"name": old_name} and req["actions"] == []
    _error(
        client.post(
            f"/api/organizations/{power}/change-requests", json={"name": "又一名", "reason": "x"}, headers=h
        ),
        409,
    )
    # nothing changes until the regulator decides; the enterprise may not decide
    assert client.get(f"/api/organizations/{power}", headers=h).json()["name"] == old_name
    _error(client.post(f"/api/organizations/change-requests/{req['id']}/approve", json={}, headers=h), 403)
    _error(client.get(f"/api/organizations/change-requests/{req['id']}", headers=auth_headers("fuel")), 404)
    listed = client.get("/api/organizations/change-requests?status=pending", headers=reg).json()
    assert [x["id"] for x in listed["items"]] == [req["id"]]
    assert listed["items"][0]["actions"] == ["approve", "reject"]

    r = client.post(
        f"/api/organizations/change-requests/{req['id']}/approve", json={"note": "核准"}, headers=reg
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert client.get(f"/api/organizations/{power}", headers=h).json()["name"] == "滨江供电公司"
    _error(client.post(f"/api/organizations/change-requests/{req['id']}/reject", json={}, headers=reg), 409)
    with store.session(actor="test") as s:
        actions = {
            (e.entity, e.action, e.actor)
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.entity.in_(["organization", "org_change_request"]))
            )
        }
    assert ("org_change_request", "insert", "power") in actions
    assert ("org_change_request", "update", "regulator") in actions
    assert ("organization", "update", "regulator") in actions

    # a rejected request changes nothing
    r = client.post(
        f"/api/organizations/{power}/change-requests",
        json={"name": regulator_name, "reason": "试试"},
        headers=h,
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/organizations/change-requests/{r.json()['id']}/reject", json={"note": "不符"}, headers=reg
    )
    assert r.json()["status"] == "rejected"
    assert client.get(f"/api/organizations/{power}", headers=h).json()["name"] == "滨江供电公司"


def test_change_requests_are_checked(client, auth_headers, store):
    with store.session(actor="test") as s:
        power, fuel = _org_of(s, "power"), _org_of(s, "fuel")
    h = auth_headers("power")
    url = f"/api/organizations/{power}/change-requests"
    _error(client.post(url, json={"reason": "nothing"}, headers=h), 422)
    _error(client.post(url, json={"credit_code": "123", "reason": "bad"}, headers=h), 422)
    _error(
        client.post(
            f"/api/organizations/{fuel}/change-requests", json={"name": "x", "reason": "y"}, headers=h
        ),
        404,
    )
    _error(client.post(url, json={"name": "x", "reason": "y"}), 401)


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", f"/api/registry/instruments/{BIG}"),
        ("get", f"/api/registry/instruments/{-BIG - 1}"),
        ("get", "/api/registry/instruments/0"),
        ("get", f"/api/registry/instruments?owner_id={BIG}"),
        ("get", f"/api/registry/standards/{BIG}/trace"),
        ("get", f"/api/registry/verifications/{BIG}"),
        ("get", f"/api/organizations/{BIG}"),
        ("get", f"/api/organizations?district_id={BIG}"),
        ("get", f"/api/organizations/change-requests/{BIG}"),
        ("get", f"/api/meters/runs/{BIG}"),
        ("get", f"/api/uncertainty/budgets/{BIG}"),
        ("delete", f"/api/auth/tokens/{BIG}"),
        ("post", f"/api/certificates/from-record/{BIG}"),
    ],
)
def test_ids_beyond_the_database_range_are_invalid_input(client, auth_headers, method, path):
    kwargs = {"json": {"performer": "a", "approver": "b"}} if method == "post" else {}
    body = _error(getattr(client, method)(path, headers=auth_headers("regulator"), **kwargs), 422)
    assert body["code"] == "invalid_input" and body["errors"]


def test_ids_beyond_the_range_in_bodies_are_invalid_input(client, auth_headers):
    h = auth_headers("regulator")
    body = _error(client.post("/api/registry/book", json={"ids": [BIG], "on": "2030-01-01"}, headers=h), 422)
    assert body["errors"][0]["field"] == "ids.0"
    _error(
        client.post(
            "/api/registry/instruments/1/verifications",
            json=_body([BIG], client.app.state.clock.today()),
            headers=h,
        ),
        422,
    )
    _error(
        client.post(
            "/api/users",
            json={"username": "u1", "password": "x" * 10, "role": "lab", "org_id": BIG},
            headers=h,
        ),
        422,
    )


def test_a_value_the_store_cannot_hold_is_invalid_input_not_a_server_error(settings):
    from fastapi.testclient import TestClient

    from jiliang.app import create_app

    app = create_app(settings)

    @app.get("/api/test-overflow")
    def overflow() -> dict:
        from sqlalchemy import select

        with app.state.db.session(actor="test") as session:
            session.execute(select(Organization).where(Organization.id == BIG))
        return {}

    with TestClient(app, raise_server_exceptions=False) as c:
        _error(c.get("/api/test-overflow"), 422)
    app.state.db.dispose()


def test_the_openapi_documents_errors_and_file_types(client):
    spec = client.get("/openapi.json").json()
    assert "ErrorBody" in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status in ("401", "403", "404", "409", "413", "422", "503"):
                content = op["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    export = spec["paths"]["/api/registry/export"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
