"""The certificate register on SQLite and PostgreSQL: issue, list, revoke, supersede, public status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jiliang.dcc.trust import IssuingKeys
from jiliang.errors import ConflictError, InputError, NotFoundError
from tests.dcc.conftest import make_record

NOW = datetime(2026, 3, 5, 9, tzinfo=UTC)


def _orgs(session):  # type: ignore[no-untyped-def]
    from jiliang.platform.models import Organization

    lab = Organization(name="计量院", name_en="Institute", kind="institute", accreditation_code="CNAS L0001")
    customer = Organization(name="客户", name_en="Customer", kind="factory")
    session.add_all([lab, customer])
    session.flush()
    return lab.id, customer.id


def test_issue_revoke_supersede(db, pki):
    from jiliang.dcc import verify
    from jiliang.dcc.service import (
        issue,
        list_certificates,
        public_status,
        revoke,
        supersede,
    )

    keys = IssuingKeys(pki)
    with db.session(actor="test") as s:
        lab, customer = _orgs(s)
        a = issue(s, make_record("R-1"), keys=keys, lab_org_id=lab, customer_org_id=customer, now=NOW)
        issue(s, make_record("R-2"), keys=keys, lab_org_id=lab, customer_org_id=customer, now=NOW)
        issue(s, make_record("R-3"), keys=keys, lab_org_id=lab, now=NOW)
        stored = a.signed_xml
    with db.session(actor="test") as s:
        total, rows = list_certificates(s, org_id=customer)
        assert total == 2 and {r.number for r in rows} == {"R-1", "R-2"}
        report = verify(stored, keys.trust_pem, now=NOW)
        assert report.valid and report.certificate_number == "R-1"
        revoke(s, "R-3", "standard out of tolerance", now=NOW)
        supersede(s, "R-1", "R-2", "serial number corrected", now=NOW)
    with db.session(actor="test") as s:
        assert public_status(s, "R-1")["status"] == "superseded"
        assert public_status(s, "R-1")["superseded_by"] == "R-2"
        assert public_status(s, "R-3")["reason"] == "standard out of tolerance"
        assert public_status(s, "R-2")["reason"] is None
        with pytest.raises(ConflictError):
            revoke(s, "R-3", "again and again", now=NOW)
        with pytest.raises(InputError, match="reason"):
            revoke(s, "R-2", "x", now=NOW)
        with pytest.raises(NotFoundError):
            public_status(s, "R-404")
        with pytest.raises(ConflictError, match="already exists"):
            issue(s, make_record("R-2"), keys=keys, lab_org_id=lab, now=NOW)
        total, _ = list_certificates(s, status="revoked")
        assert total == 1


def test_audit_log_records_the_hash_not_the_bytes(db, pki):
    from sqlalchemy import select

    from jiliang.dcc.service import issue
    from jiliang.platform.models import AuditEntry

    with db.session(actor="test") as s:
        lab, _ = _orgs(s)
        row = issue(s, make_record("A-1"), keys=IssuingKeys(pki), lab_org_id=lab, now=NOW)
        digest = row.sha256
    with db.session(actor="test") as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "dcc_certificate")).one()
        assert entry.after["sha256"] == digest and "signed_xml" not in entry.after


def test_the_platform_ca_issues_when_it_exists_and_nothing_else_without_demo_mode(tmp_path):
    from jiliang.dcc import create_test_pki
    from jiliang.dcc.trust import issuing_keys, trust_context
    from jiliang.platform.settings import Settings

    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ConflictError, match="no certificate authority"):
        issuing_keys(settings)
    assert trust_context(settings).trust_pem == b""
    pki = create_test_pki(now=NOW)
    pki.save(tmp_path / "dcc-ca")
    assert issuing_keys(settings).pki.root == pki.root
    assert trust_context(settings).trust_pem == pki.trust_pem
