"""The regulator's view: an instrument past its due date is blocked (停用) in the register and on
the public certificate check, even before the status job has run."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from jiliang.dcc.models import DccCertificate
from jiliang.registry.models import Instrument


def _certified(app):  # type: ignore[no-untyped-def]
    with app.state.db.session() as s:
        number, iid = s.execute(
            select(DccCertificate.number, DccCertificate.instrument_ref)
            .where(DccCertificate.instrument_ref.is_not(None), DccCertificate.status == "valid")
            .limit(1)
        ).one()
    return number, iid


def test_past_due_instrument_is_blocked_on_the_public_check(app, client, seeded):
    number, iid = _certified(app)
    with app.state.db.session() as s:
        s.execute(
            update(Instrument)
            .where(Instrument.id == iid)
            .values(next_due_on=date(2020, 1, 1), status="in_use", last_result="pass")
        )
    r = client.get(f"/api/certificates/verify/{number}")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "valid"  # the certificate itself stays valid
    assert r.json()["in_register"] == {"status": "blocked", "next_due_on": "2020-01-01"}
    html = client.get(f"/verify/{number}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "停用" in html.text and "2020-01-01" in html.text


def test_instrument_in_date_is_in_use_on_the_public_check(app, client, seeded):
    number, iid = _certified(app)
    with app.state.db.session() as s:
        s.execute(
            update(Instrument)
            .where(Instrument.id == iid)
            .values(next_due_on=date(2099, 1, 1), status="in_use", last_result="pass")
        )
    assert client.get(f"/api/certificates/verify/{number}").json()["in_register"]["status"] == "in_use"
