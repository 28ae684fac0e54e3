"""A registry calibration record becomes a signed certificate that keeps the record's values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from jiliang.dcc.errors import DccError
from jiliang.dcc.from_registry import IssueContext, issue_from_record, record_input, register_entry_digest
from jiliang.dcc.models import DccCertificate
from jiliang.dcc.trust import IssuingKeys
from jiliang.registry.models import Verification
from jiliang.registry.service import record_with_context

ISSUE = IssueContext(issued=date(2026, 11, 1), performer="李工", approver="王主任")


def _passing_record(session, lab_id=None):
    stmt = select(Verification.id).where(
        Verification.result == "pass", Verification.certificate_no.is_not(None)
    )
    if lab_id is not None:
        stmt = stmt.where(Verification.lab_id == lab_id)
    return session.scalars(stmt.order_by(Verification.id)).first()


def test_record_maps_onto_the_certificate_input(app, seeded):
    with app.state.db.session() as s:
        ctx = record_with_context(s, _passing_record(s))
    rec = record_input(ctx, IssueContext(issued=ctx.verified_on, performer="a", approver="b"))
    assert rec.number == ctx.certificate_no and rec.serial_number == ctx.instrument.serial
    assert ctx.owner and ctx.lab
    assert rec.customer.name_zh == ctx.owner.name and rec.laboratory.name_zh == ctx.lab.name
    errors = [Decimal(str(e["error"])) for e in ctx.errors]
    assert [p.error for p in rec.points] == errors
    assert [p.U for p in rec.points] == [Decimal(str(e["U"])) for e in ctx.errors]
    for std, got in zip(ctx.standards, rec.standards, strict=True):
        assert std.calibration and got.certificate_number == std.calibration.certificate_no
        assert got.certificate_sha256 == register_entry_digest(std)


def test_records_that_cannot_be_certified_say_why(app, seeded):
    with app.state.db.session() as s:
        ctx = record_with_context(s, _passing_record(s))
    with pytest.raises(DccError, match="did not pass"):
        record_input(replace(ctx, result="fail"), ISSUE)
    no_u = tuple({k: v for k, v in e.items() if k != "U"} for e in ctx.errors)
    with pytest.raises(DccError, match="no expanded uncertainty"):
        record_input(
            replace(ctx, errors=no_u), IssueContext(issued=ctx.verified_on, performer="a", approver="b")
        )
    with pytest.raises(DccError, match="before the calibration"):
        record_input(ctx, IssueContext(issued=date(1999, 1, 1), performer="a", approver="b"))


def test_issue_from_record_signs_links_and_refuses_other_labs(app, seeded):
    from jiliang.dcc import create_test_pki

    # A CA old enough for every record of the demo city; the lab's key is issued from its start.
    old = create_test_pki(now=datetime(2010, 1, 1, tzinfo=UTC), years=30)
    keys = IssuingKeys(old, lab_not_before=old.sub.not_valid_before_utc)
    with app.state.db.session() as s:
        certified = set(s.scalars(select(DccCertificate.calibration_record_ref)).all())
        vid = next(
            i
            for i in s.scalars(
                select(Verification.id).where(
                    Verification.result == "pass", Verification.certificate_no.is_not(None)
                )
            )
            if i not in certified
        )
        v = s.get(Verification, vid)
        lab_id = v.lab_id
        row = issue_from_record(
            s,
            vid,
            lab_org_id=lab_id,
            keys=keys,
            issue=IssueContext(issued=v.verified_on, performer="a", approver="b"),
            now=datetime(v.verified_on.year, v.verified_on.month, v.verified_on.day, 12, tzinfo=UTC),
        )
        assert row.instrument_ref == v.instrument_id and row.number == v.certificate_no
        from jiliang.dcc.verify import verify

        report = verify(row.signed_xml, keys.trust_pem, now=datetime.now(UTC))
        assert report.valid, report.failures
        with pytest.raises(Exception, match="not made by this laboratory"):
            issue_from_record(s, vid, lab_org_id=lab_id + 1000, keys=keys, issue=ISSUE, now=datetime.now(UTC))


def test_api_issues_from_a_record_for_its_lab_only(client, auth_headers, app):
    with app.state.db.session() as s:
        from jiliang.platform.models import User

        lab_org = s.scalar(select(User.org_id).where(User.username == "lab"))
        certified = set(s.scalars(select(DccCertificate.calibration_record_ref)).all())
        vid = next(
            i
            for i in s.scalars(
                select(Verification.id).where(
                    Verification.lab_id == lab_org,
                    Verification.result == "pass",
                    Verification.certificate_no.is_not(None),
                )
            )
            if i not in certified
        )
        other = s.scalars(select(Verification.id).where(Verification.lab_id != lab_org)).first()
    body = {"performer": "陈工", "approver": "周主任"}
    assert (
        client.post(
            f"/api/certificates/from-record/{vid}", json=body, headers=auth_headers("power")
        ).status_code
        == 403
    )
    r = client.post(f"/api/certificates/from-record/{other}", json=body, headers=auth_headers("lab"))
    assert r.status_code == 404
    r = client.post(f"/api/certificates/from-record/{vid}", json=body, headers=auth_headers("lab"))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert client.get(f"/api/certificates/verify/{number}").json()["status"] == "valid"
    again = client.post(f"/api/certificates/from-record/{vid}", json=body, headers=auth_headers("lab"))
    assert again.status_code == 409
