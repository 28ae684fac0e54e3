"""The round services on SQLite and on PostgreSQL (the ``db`` fixture runs each test on both)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from jiliang import comparisons as svc
from jiliang.errors import ConflictError, InputError, PermissionDeniedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import AuditEntry, Organization, Role, User

NOW = datetime(2026, 11, 1, 9, tzinfo=UTC)


def _setup(db):
    with db.session(actor="setup") as s:
        orgs = [Organization(name=f"Lab {i}", kind="lab") for i in range(3)]
        orgs.append(Organization(name="Fuel", kind="fuel_station"))
        s.add_all(orgs)
        s.flush()
        users = [
            User(username=f"u{i}", display_name=f"u{i}", role="lab", org_id=o.id, password_hash="x")
            for i, o in enumerate(orgs[:3])
        ]
        s.add_all(users)
        s.flush()
        return (
            [o.id for o in orgs],
            [Principal(user_id=u.id, username=u.username, role=Role.LAB, org_id=u.org_id) for u in users],
        )


def test_round_life_and_audit(db):
    orgs, (p0, p1, p2) = _setup(db)
    with db.session(actor="u0") as s:
        rid = svc.create_round(
            s, p0, code="C-1", measurand="m", unit="g", participant_org_ids=orgs[1:3], now=NOW
        ).id
    with db.session(actor="u1") as s:
        svc.submit_result(s, p1, rid, value=10.0, U=0.2, k=2, dof=None, now=NOW)
    with db.session(actor="u2") as s:
        svc.submit_result(s, p2, rid, value=10.3, U=0.4, k=2, dof=12, now=NOW)
        view = svc.round_view(s, p2, rid)
        assert [r["org_id"] for r in view.results] == [orgs[2]]
    with db.session(actor="u0") as s:
        svc.submit_result(s, p0, rid, value=9.9, U=0.2, k=2, dof=None, now=NOW)
        with pytest.raises(PermissionDeniedError):
            svc.close_round(s, p1, rid, NOW)
        svc.close_round(s, p0, rid, NOW)
    with db.session(actor="u0") as s:
        doc = svc.evaluate_round(s, p0, rid, "dersimonian_laird")
        assert len(doc["labs"]) == 3
        svc.publish_round(s, p0, rid, "dersimonian_laird", NOW)
    with db.session(actor="u1") as s:
        view = svc.round_view(s, p1, rid)
        assert view.round.state == "published" and view.report["estimator"] == "dersimonian_laird"
        assert len(view.results) == 3
        with pytest.raises(ConflictError):
            svc.submit_result(s, p1, rid, value=1.0, U=0.1, k=2, dof=None, now=NOW)
        audited = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity.like("comparison_%"))
        )
        assert audited >= 7


def test_bad_round_stores_nothing(db):
    orgs, (p0, _, _) = _setup(db)
    with pytest.raises(InputError, match="not a lab"):
        with db.session(actor="u0") as s:
            svc.create_round(
                s, p0, code="C-2", measurand="m", unit="g", participant_org_ids=orgs[1:], now=NOW
            )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(svc.ComparisonRound)) == 0
        assert s.scalar(select(func.count()).select_from(svc.ComparisonParticipant)) == 0
