"""Energy review and carbon over HTTP and in the console, on the demo city: the regulator sees every
unit, runs a review to its PDF; bad files (malformed, hostile, oversized, a meter linked twice, a
factor without a source) get a one-line reason and store nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from jiliang.energy.models import EnergyActivity, EnergyMeter, EnergyUnit
from jiliang.platform.auth import create_user
from jiliang.platform.models import Role
from jiliang.registry.models import Instrument


def _counts(app) -> tuple[int, int]:
    with app.state.db.session() as s:
        return (
            int(s.scalar(select(func.count()).select_from(EnergyMeter))),
            int(s.scalar(select(func.count()).select_from(EnergyActivity))),
        )


def _unit_and_free_instrument(app) -> tuple[int, int, str]:
    """The first demo unit and an instrument of its organization not yet in any inventory."""
    with app.state.db.session() as s:
        unit = s.scalars(select(EnergyUnit).order_by(EnergyUnit.id)).first()
        linked = select(EnergyMeter.instrument_id)
        inst = s.scalars(
            select(Instrument).where(Instrument.owner_id == unit.org_id, Instrument.id.not_in(linked))
        ).first()
        return unit.id, inst.id, inst.serial


def test_units_rates_and_carbon(client, app, seeded, auth_headers):
    h = auth_headers("regulator")
    units = client.get("/api/energy/units", headers=h).json()
    assert len(units) == 3 and all(u["meters"] >= 9 for u in units)
    doc = client.get(f"/api/energy/units/{units[0]['id']}?on=2025-06-30", headers=h).json()
    assert doc["edition"] == "GB 17167-2006"
    assert client.get(f"/api/energy/units/{units[0]['id']}?on=2026-02-01", headers=h).json()["edition"] == (
        "GB 17167-2025"
    )
    rates = {(r["energy_type"], r["level"]): r for r in doc["rates"]}
    assert rates[("electricity", 3)]["ok"] is False  # the demo leaves one of three compressors unmetered
    rep = client.get("/api/energy/carbon?period=2025", headers=h).json()
    assert len(rep["units"]) == 3
    total = rep["total"]
    assert abs(total["E_t"] - sum(u["E_t"] for u in rep["units"])) < 1e-6 * total["E_t"]
    assert total["U_t"] == 2 * total["u_t"] and total["out_of_date"] >= 1
    assert re.match(r"^[\d.]+ ± [\d.]+ t CO₂ \(k = 2\), \d+ meters out of date", rep["summary"])
    # the public and a lab see nothing of the units
    assert client.get("/api/energy/units").json() == []
    assert client.get("/api/energy/units", headers=auth_headers("lab")).json() == []
    assert client.get(f"/api/energy/units/{units[0]['id']}", headers=auth_headers("lab")).status_code == 404


def test_enterprise_sees_only_its_own_unit(client, app, seeded):
    with app.state.db.session() as s:
        unit = s.scalars(select(EnergyUnit).order_by(EnergyUnit.id)).first()
        create_user(s, "factory1", "factory-pass-123", Role.ENTERPRISE, org_id=unit.org_id)
        other = s.scalars(select(EnergyUnit).where(EnergyUnit.id != unit.id)).first().id
        uid = unit.id
    r = client.post("/api/auth/login", json={"username": "factory1", "password": "factory-pass-123"})
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    assert [u["id"] for u in client.get("/api/energy/units", headers=h).json()] == [uid]
    assert client.get(f"/api/energy/units/{other}", headers=h).status_code == 404
    assert len(client.get("/api/energy/carbon?period=2025", headers=h).json()["units"]) == 1
    r = client.post(
        "/api/energy/reviews", json={"unit_id": uid, "code": "X-1", "review_date": "2026-01-01"}, headers=h
    )
    assert r.status_code == 403


def test_review_workflow_and_pdf(client, app, seeded, auth_headers):
    h = auth_headers("regulator")
    uid = client.get("/api/energy/units", headers=h).json()[1]["id"]
    r = client.post(
        "/api/energy/reviews", json={"unit_id": uid, "code": "T-1", "review_date": "2025-12-01"}, headers=h
    )
    assert r.status_code == 201 and r.json()["edition"] == "GB 17167-2006"
    rid = r.json()["id"]
    assert client.get(f"/api/energy/reviews/{rid}/report.pdf", headers=h).status_code == 409
    r = client.post(f"/api/energy/reviews/{rid}/advance", json={"to": "closed"}, headers=h)
    assert r.status_code == 409
    assert (
        client.post(f"/api/energy/reviews/{rid}/advance", json={"to": "findings"}, headers=h).status_code
        == 200
    )
    f = {"severity": "minor", "clause": "GB 17167 5.1", "text": "能源计量人员未经培训"}
    assert client.post(f"/api/energy/reviews/{rid}/findings", json=f, headers=h).status_code == 201
    assert (
        client.post(f"/api/energy/reviews/{rid}/advance", json={"to": "report"}, headers=h).status_code == 200
    )
    doc = client.get(f"/api/energy/reviews/{rid}", headers=h).json()
    assert doc["state"] == "report" and doc["allowed"] == ["closed"]
    assert any(x["auto"] and "表3" in x["clause"] for x in doc["findings"])
    pdf = client.get(f"/api/energy/reviews/{rid}/report.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.post(f"/api/energy/reviews/{rid}/findings", json=f, headers=h).status_code == 409


def _one_line(r) -> str:
    body = r.json()
    assert set(body) >= {"code", "message", "status"}, body
    message = body["message"]
    assert "\n" not in message
    return message


def test_bad_inventory_files_store_nothing(client, app, seeded, auth_headers):
    h = auth_headers("regulator")
    uid, iid, serial = _unit_and_free_instrument(app)
    before = _counts(app)
    head = "instrument,energy_type,level,point\n"
    cases = {
        "malformed": "not,a,header\n1,2,3\n",
        "bad level": head + f"{iid},electricity,7,总进线\n",
        "unknown type": head + f"{iid},plutonium,1,总进线\n",
        "hostile": head + f'{iid},electricity,1,=HYPERLINK("http://x")\n',
        "twice in file": head + f"{iid},electricity,1,a\n{serial},electricity,2,b\n",
        "already linked": head + f"{iid},electricity,1,a\n" + _linked_line(app, uid),
        "not in registry": head + "NO-SUCH-SERIAL-9,electricity,1,a\n",
    }
    for why, text in cases.items():
        r = client.post(f"/api/energy/units/{uid}/meters", json={"csv": text}, headers=h)
        assert r.status_code in (409, 422), (why, r.text)
        assert _one_line(r), why
        assert _counts(app) == before, why
    r = client.post(f"/api/energy/units/{uid}/meters", json={"csv": head + "x" * 2_100_000}, headers=h)
    assert r.status_code in (413, 422) and _counts(app) == before
    r = client.post(
        f"/api/energy/units/{uid}/meters", json={"csv": head + f"{iid},electricity,3,新空压机\n"}, headers=h
    )
    assert r.status_code == 200 and _counts(app)[0] == before[0] + 1


def _linked_line(app, uid: int) -> str:
    with app.state.db.session() as s:
        linked = s.scalars(select(EnergyMeter.instrument_id).where(EnergyMeter.unit_id == uid)).first()
    return f"{linked},electricity,2,b\n"


def test_bad_activity_files_store_nothing(client, app, seeded, auth_headers):
    h = auth_headers("regulator")
    uid, _iid, _serial = _unit_and_free_instrument(app)
    before = _counts(app)
    head = "period,energy_type,quantity,factor,meter,u_rel,factor_value,factor_source\n"
    cases = {
        "factor without source": head + "2025,electricity,100,own,,0.02,0.6,\n",
        "unknown factor": head + "2025,electricity,100,no-such-factor,,0.02,,\n",
        "unmetered without u": head + "2025,electricity,100,cn-grid-2022,,,,\n",
        "not a number": head + "2025,electricity,lots,cn-grid-2022,,0.02,,\n",
        "infinite": head + "2025,electricity,inf,cn-grid-2022,,0.02,,\n",
        "hostile": head + "2025,electricity,100,cn-grid-2022,@SUM(A1),0.02,,\n",
        "meter not in inventory": head + "2025,electricity,100,cn-grid-2022,NO-SUCH-METER,,,\n",
        "bad period": head + "2025-13,electricity,100,cn-grid-2022,,0.02,,\n",
    }
    for why, text in cases.items():
        r = client.post(f"/api/energy/units/{uid}/activity", json={"csv": text}, headers=h)
        assert r.status_code == 422, (why, r.text)
        assert _one_line(r), why
        assert _counts(app) == before, why
    ok = head + "2026,electricity,100,own,,0.02,0.6,本单位购电合同约定因子\n"
    assert client.post(f"/api/energy/units/{uid}/activity", json={"csv": ok}, headers=h).status_code == 200
    assert _counts(app)[1] == before[1] + 1


def test_console_pages(client, app, seeded, auth_headers):
    h = auth_headers("regulator")
    r = client.get("/energy", headers=h)
    assert r.status_code == 200 and "能源计量审查" in r.text and "ZDYN-001" in r.text
    uid = client.get("/api/energy/units", headers=h).json()[0]["id"]
    r = client.get(f"/energy/units/{uid}", headers=h)
    assert r.status_code == 200 and "配备率" in r.text and "超期" in r.text
    rid = client.get("/api/energy/reviews", headers=h).json()[0]["id"]
    r = client.get(f"/energy/reviews/{rid}", headers=h)
    assert r.status_code == 200 and "审查发现" in r.text
    r = client.get("/carbon?period=2025", headers=h)
    assert r.status_code == 200 and "吨二氧化碳（k = 2）" in r.text and "台计量器具超期" in r.text
    r = client.post(f"/energy/units/{uid}/meters", data={"csv": "garbage"}, headers=h)
    assert r.status_code == 422 and 'role="alert"' in r.text
    r = client.post(
        f"/energy/units/{uid}/reviews",
        data={"code": "W-9", "review_date": "2026-03-01"},
        headers=h,
        follow_redirects=False,
    )
    assert r.status_code == 303
    new = int(r.headers["location"].rsplit("/", 1)[1])
    r = client.post(
        f"/energy/reviews/{new}/advance", data={"to": "findings"}, headers=h, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        f"/energy/reviews/{new}/findings", data={"severity": "bad", "clause": "x", "text": "y"}, headers=h
    )
    assert r.status_code == 422
