"""Owners keep their own register in the console: the form with inline errors, edit, retire,
and an import limited to their own organisation."""

from __future__ import annotations

import re

from sqlalchemy import select

from jiliang.platform.models import Organization, User
from jiliang.registry.models import Instrument

from .conftest import CODE_B, row, to_csv
from .test_web import HTML, login, tok


def _org_of(app, username: str) -> Organization:
    with app.state.db.session() as s:
        org_id = s.scalar(select(User.org_id).where(User.username == username))
        org = s.get(Organization, org_id)
        s.expunge(org)
        return org


def test_owner_registers_edits_and_retires_with_inline_errors(app, client, seeded):
    login(client, "market")
    form = client.get("/registry/new", headers=HTML)
    assert form.status_code == 200 and "登记器具" in form.text and "数字指示秤" in form.text
    bad = client.post(
        "/registry/new",
        data={"type": "电子计价秤", "serial": "OWN-1", "use": "", **tok(client)},
        headers=HTML,
    )
    assert (
        bad.status_code == 422
        and 'aria-invalid="true"' in bad.text
        and "required value is missing" in bad.text
    )
    assert 'value="OWN-1"' in bad.text  # what was typed is kept
    ok = client.post(
        "/registry/new",
        data={
            "type": "电子计价秤",
            "serial": "OWN-1",
            "use": "trade_settlement",
            "location": "3号摊位",
            **tok(client),
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    iid = int(re.search(r"/registry/instruments/(\d+)", ok.headers["location"])[1])
    twin = client.post(
        "/registry/new",
        data={"type": "电子计价秤", "serial": "own-1", "use": "trade_settlement", **tok(client)},
        headers=HTML,
    )
    assert twin.status_code == 422 and "already registered" in twin.text
    page = client.get(f"/registry/instruments/{iid}", headers=HTML)
    assert "修改器具信息" in page.text
    edit = client.get(f"/registry/instruments/{iid}/edit", headers=HTML)
    assert edit.status_code == 200 and 'value="3号摊位"' in edit.text
    data = {"type": "电子计价秤", "serial": "OWN-1", "use": "trade_settlement", "location": "5号摊位"}
    saved = client.post(f"/registry/instruments/{iid}/edit", data=data | tok(client), follow_redirects=False)
    assert saved.status_code == 303
    with app.state.db.session() as s:
        assert s.get(Instrument, iid).location == "5号摊位"
    # another owner neither sees nor changes it
    login(client, "power")
    assert client.get(f"/registry/instruments/{iid}/edit", headers=HTML).status_code == 404
    r = client.post(f"/registry/instruments/{iid}/retire", data=tok(client), headers=HTML)
    assert r.status_code == 404
    login(client, "market")
    r = client.post(
        f"/registry/instruments/{iid}/retire", data={"reason": "报废", **tok(client)}, follow_redirects=False
    )
    assert r.status_code == 303
    with app.state.db.session() as s:
        assert s.get(Instrument, iid).status == "retired"


def test_owner_import_previews_reasons_and_stores_only_its_rows(app, client, seeded):
    org = _org_of(app, "market")
    login(client, "market")
    data = to_csv(
        [
            row("MINE-1", code=org.credit_code, owner_name=org.name),
            row("THEIRS-1", code=CODE_B, owner_name="别人的市场"),
        ]
    )
    r = client.post(
        "/registry/import", files={"file": ("r.csv", data, "text/csv")}, data=tok(client), headers=HTML
    )
    assert r.status_code == 200 and "not your organisation" in r.text
    token = re.search(r'name="token" value="([0-9a-f]{32})"', r.text)[1]
    done = client.post("/registry/import/commit", data={"token": token, **tok(client)}, headers=HTML)
    assert done.status_code == 200 and "已导入" in done.text
    with app.state.db.session() as s:
        stmt = select(Instrument.serial, Instrument.owner_id).where(
            Instrument.serial.in_(["MINE-1", "THEIRS-1"])
        )
        owners = {serial: owner for serial, owner in s.execute(stmt)}
    assert owners == {"MINE-1": org.id}


def test_api_owner_create_and_other_owner_404(client, seeded):
    from tests.conftest import login as api_login

    market = api_login(client, "market")
    r = client.post(
        "/api/registry/instruments",
        json={"type": "电子计价秤", "serial": "API-1", "use": "trade_settlement"},
        headers=market,
    )
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    bad = client.post(
        "/api/registry/instruments",
        json={"type": "电子计价秤", "serial": "API-2", "use": "x"},
        headers=market,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "use"
    power = api_login(client, "power")
    assert (
        client.patch(f"/api/registry/instruments/{iid}", json={"location": "x"}, headers=power).status_code
        == 404
    )
    ok = client.patch(f"/api/registry/instruments/{iid}", json={"location": "北门"}, headers=market)
    assert ok.status_code == 200 and ok.json()["after"] == {"location": "北门"}
    assert (
        client.post(f"/api/registry/instruments/{iid}/retire", json={}, headers=market).json()["status"]
        == "retired"
    )
