"""The energy services on SQLite and on PostgreSQL (the ``db`` fixture runs each test on both):
one transaction per change, audited with the acting user; a meter linked twice stores nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from jiliang import energy as svc
from jiliang.energy.models import EnergyMeter
from jiliang.errors import ConflictError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import AuditEntry, Organization, Role, User
from jiliang.registry import catalogue
from jiliang.registry.models import Instrument

NOW = datetime(2026, 11, 1, 9, tzinfo=UTC)
BOSS = Principal(user_id=0, username="boss", role=Role.REGULATOR, org_id=None)


def _setup(db):
    with db.session(actor="setup") as s:
        types = catalogue.sync(s, date(2025, 1, 1))
        orgs = [Organization(name=f"工厂 {i}", kind="factory") for i in range(2)]
        s.add_all(orgs)
        s.flush()
        user = User(username="f0", display_name="f0", role="enterprise", org_id=orgs[0].id, password_hash="x")
        s.add(user)
        insts = []
        for o in orgs:
            for k, due in enumerate((date(2027, 1, 1), date(2025, 6, 1))):
                inst = Instrument(
                    type_id=types["electricity-meter"],
                    owner_id=o.id,
                    serial=f"E{o.id}-{k}",
                    accuracy_class="0.5S" if k == 0 else "2",
                    use="trade_settlement",
                    status="in_use",
                    last_verified_on=date(2024, 1, 1),
                    last_result="pass",
                    next_due_on=due,
                )
                s.add(inst)
                s.flush()
                insts.append(inst.id)
        s.flush()
        ent = Principal(user_id=user.id, username="f0", role=Role.ENTERPRISE, org_id=orgs[0].id)
        return [o.id for o in orgs], insts, ent


def test_review_life_and_audit(db):
    orgs, insts, ent = _setup(db)
    with db.session(actor="boss") as s:
        u0 = svc.register_unit(
            s, BOSS, org_id=orgs[0], code="U0", energy_types=["electricity"], consumption_tce=1e4, now=NOW
        ).id
        u1 = svc.register_unit(
            s, BOSS, org_id=orgs[1], code="U1", energy_types=["electricity"], consumption_tce=None, now=NOW
        ).id
    with db.session(actor="f0") as s:
        text = f"instrument,energy_type,level,point,requirement\n{insts[0]},electricity,1,总进线,electricity.I\nE{orgs[0]}-1,electricity,3,空压机,\n"
        assert svc.import_inventory(s, ent, u0, text) == 2
        svc.set_requirements(s, ent, u0, {("electricity", 1): 1, ("electricity", 3): 2})
    with pytest.raises(NotFoundError), db.session(actor="f0") as s:
        svc.import_inventory(s, ent, u1, "instrument,energy_type,level,point\nx,electricity,1,a\n")
    with db.session(actor="boss") as s:
        v = svc.unit_view(s, BOSS, u0, date(2025, 12, 1))
        assert v.edition == "GB 17167-2006"
        rates = {(r.energy_type, r.level): r for r in v.rates}
        assert rates[("electricity", 1)].ok is True and rates[("electricity", 3)].rate == 50.0
        assert [m.status for m in v.meters] == ["valid", "out_of_date"]
        rid = svc.create_review(s, BOSS, u0, code="R-1", review_date=date(2025, 12, 1), now=NOW).id
    with pytest.raises(PermissionDeniedError), db.session(actor="f0") as s:
        svc.advance_review(s, ent, rid, "findings", NOW)
    with db.session(actor="boss") as s:
        svc.advance_review(s, BOSS, rid, "findings", NOW)
        svc.advance_review(s, BOSS, rid, "report", NOW)
        with pytest.raises(ConflictError):
            svc.advance_review(s, BOSS, rid, "draft", NOW)
    with db.session(actor="f0") as s:
        rv = svc.review_view(s, ent, rid)  # the unit sees its own review
        assert rv.review.state == "report" and rv.allowed == () and "不符合" in (rv.review.conclusion or "")
        assert {f.clause for f in rv.findings} >= {"GB 17167 4.3.5 表3", "GB 17167 5.2"}
    with db.session() as s:
        actors = set(s.scalars(select(AuditEntry.actor).where(AuditEntry.entity.like("en_%"))))
        assert actors == {"boss", "f0"}


def test_meter_linked_twice_stores_nothing(db):
    orgs, insts, _ent = _setup(db)
    with db.session(actor="boss") as s:
        u0 = svc.register_unit(
            s, BOSS, org_id=orgs[0], code="U0", energy_types=["electricity"], consumption_tce=None, now=NOW
        ).id
        svc.import_inventory(s, BOSS, u0, f"instrument,energy_type,level,point\n{insts[0]},electricity,1,a\n")
    with pytest.raises(ConflictError, match="linked twice"), db.session(actor="boss") as s:
        svc.import_inventory(
            s,
            BOSS,
            u0,
            f"instrument,energy_type,level,point\n{insts[1]},electricity,3,b\n{insts[0]},electricity,2,c\n",
        )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(EnergyMeter)) == 1


def test_carbon_flags_meters_out_of_date(db):
    orgs, insts, _ent = _setup(db)
    with db.session(actor="boss") as s:
        u0 = svc.register_unit(
            s, BOSS, org_id=orgs[0], code="U0", energy_types=["electricity"], consumption_tce=None, now=NOW
        ).id
        svc.import_inventory(
            s,
            BOSS,
            u0,
            f"instrument,energy_type,level,point\n{insts[0]},electricity,1,a\n{insts[1]},electricity,2,b\n",
        )
        svc.import_activity(
            s,
            BOSS,
            u0,
            "period,energy_type,quantity,factor,meter,u_rel\n"
            f"2025,electricity,1000,cn-grid-2022,{insts[0]},\n2025,electricity,200,cn-grid-2022,E{orgs[0]}-1,\n"
            "2025,refined_oil,10,ipcc2006-diesel,,0.05\n",
        )
        rep = svc.carbon_report(s, BOSS, "2025")
    assert rep.on == date(2025, 12, 31)
    assert rep.out_of_date == 1 and rep.out_of_scope == 1
    assert rep.total.E == pytest.approx(1200 * 0.5366 + 10 * 43.0 * 74.1 / 1000)
    assert svc.summary_line(rep.total, rep.out_of_date, rep.out_of_scope).endswith(
        "1 meters out of date, 1 lines out of scope"
    )
