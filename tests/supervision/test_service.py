"""Plan, draw, discard and results as services, on SQLite and on PostgreSQL (one contract)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from jiliang.errors import ConflictError, InputError, PermissionDeniedError
from jiliang.platform.auth import Principal, create_user
from jiliang.platform.models import AuditEntry, District, Organization, Role
from jiliang.stats.draw import parse_inspectors_csv, parse_targets_csv, replay
from jiliang.supervision import credit, service
from jiliang.supervision.models import CommitmentStatus, DrawRow, InspectionTask, IntegrityCommitment

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
SEED = "ab" * 32
POLICY = {
    "edition": "t",
    "ratios": {"A": "1", "B": "0.5", "C": "1", "D": "1"},
    "team_size": 2,
    "exclude_same_district": True,
}


@pytest.fixture
def city(db):
    with db.session(actor="setup") as s:
        d1, d2 = (
            District(code="D1", name="一区", name_en="One"),
            District(code="D2", name="二区", name_en="Two"),
        )
        s.add_all([d1, d2])
        s.flush()
        orgs = [
            Organization(name=f"加油站{i}", kind="fuel_station", district_id=(d1 if i % 2 else d2).id)
            for i in range(12)
        ]
        s.add_all(orgs)
        s.flush()
        users = [
            create_user(s, f"insp{i}", "password-123456", Role.REGULATOR, display_name=f"员{i}")
            for i in range(4)
        ]
        ids = [o.id for o in orgs]
        reg = Principal(user_id=users[0].id, username="insp0", role=Role.REGULATOR, org_id=None)
    return db, reg, ids


INSPECTORS = "id,name,district,conflicts\na,甲,D1,\nb,乙,D2,\nc,丙,D1,\nd,丁,D2,\n"


def test_plan_commit_draw_discard_redraw_and_record(city):
    db, reg, _ = city
    with db.session(actor="insp0") as s:
        plan = service.create_plan(
            s,
            reg,
            title="加油机",
            scope="fuel_dispensers",
            year=2026,
            policy=POLICY,
            inspectors_csv=INSPECTORS,
        )
        service.commit_plan(s, reg, plan.id, NOW, hashlib.sha256(bytes.fromhex(SEED)).hexdigest())
        plan_id = plan.id
    with db.session(actor="insp0") as s, pytest.raises(InputError, match="does not match"):
        service.run_draw(s, reg, plan_id, NOW, "cd" * 32)
    with db.session(actor="insp0") as s:
        row = service.run_draw(s, reg, plan_id, NOW, SEED)
        first = json.loads(row.record_json)
        plan = service.get_plan(s, reg, plan_id)
        assert replay(
            first, parse_targets_csv(plan.targets_csv), parse_inspectors_csv(plan.inspectors_csv)
        ).matches
    assert first["strata"]["B"] == {"eligible": 12, "drawn": 6}  # every organization unclassified: class B
    with db.session(actor="insp0") as s, pytest.raises(ConflictError):
        service.run_draw(s, reg, plan_id, NOW, SEED)
    with db.session(actor="insp0") as s:
        service.discard_draw(s, reg, plan_id, "清单有误")
        s.add(Organization(name="新开加油站", kind="fuel_station"))
        s.flush()
        service.commit_plan(s, reg, plan_id, NOW)  # the lists are taken again at commit
        second = json.loads(service.run_draw(s, reg, plan_id, NOW).record_json)
    assert second["strata"]["B"] == {"eligible": 13, "drawn": 7}
    with db.session(actor="insp0") as s:
        draws = list(s.scalars(select(DrawRow).where(DrawRow.plan_id == plan_id).order_by(DrawRow.id)))
        assert [(d.discarded, d.discard_reason) for d in draws] == [(True, "清单有误"), (False, None)]
        tasks = list(s.scalars(select(InspectionTask).where(InspectionTask.plan_id == plan_id)))
        assert len(tasks) == 7 and {t.draw_id for t in tasks} == {draws[1].id}
        audited = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "sv_draw"))
        assert audited >= 3  # two inserts and the discard
        task = tasks[0]
        s.add(
            IntegrityCommitment(
                org_id=task.org_id,
                year=2026,
                sector="fuel_station",
                text="承诺" * 10,
                status=CommitmentStatus.PUBLISHED.value,
                published_on=date(2026, 1, 5),
            )
        )
        s.flush()
        service.record_result(
            s,
            reg,
            task.id,
            outcome="failed",
            inspected_on=date(2026, 3, 10),
            findings=[{"kind": "cheating", "instrument": "SN1"}],
        )
        task_id, org_id = task.id, task.org_id
    with db.session(actor="insp0") as s:
        cm = s.scalar(select(IntegrityCommitment).where(IntegrityCommitment.org_id == org_id))
        assert cm.status == "broken" and cm.broken_by_task == task_id
        with pytest.raises(ConflictError):
            service.discard_draw(s, reg, plan_id, "结果已录入后不可作废")
    with db.session(actor="insp0") as s:
        counts = credit.recompute_classes(s, reg, date(2026, 4, 1))
        assert counts.get("D") == 1
        black = credit.listings(s, "black")
        assert [o.id for _, o in black] == [org_id]
        row = credit.credit_of(s, reg, org_id)
        facts = {line["fact"] for line in row.explanation["lines"]}
        assert facts == {"cheating", "failed_inspection", "commitment_broken"}


def test_only_the_regulator_acts(city):
    db, reg, _ = city
    enterprise = Principal(user_id=reg.user_id, username="x", role=Role.ENTERPRISE, org_id=None)
    with db.session() as s, pytest.raises(PermissionDeniedError):
        service.create_plan(s, enterprise, title="x", scope="fuel_dispensers", year=2026, policy=POLICY)
