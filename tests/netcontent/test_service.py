"""Net-content inspections as services, on SQLite and PostgreSQL: states, rights, audit, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import ANONYMOUS, Principal, create_user
from jiliang.platform.models import AuditEntry, Organization, Role
from jiliang.stats.netcontent import draw_sample
from jiliang.supervision import netcontent as nc
from jiliang.supervision.models import NetContentInspection

NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)
DAY = date(2026, 5, 4)


@pytest.fixture
def city(db):
    with db.session(actor="setup") as s:
        packer, other = (
            Organization(name="甲食品厂", kind="factory"),
            Organization(name="乙食品厂", kind="factory"),
        )
        s.add_all([packer, other])
        s.flush()
        reg_u = create_user(s, "insp", "password-123456", Role.REGULATOR, display_name="检查员")
        ent_u = create_user(s, "packer", "password-123456", Role.ENTERPRISE, org_id=packer.id)
        oth_u = create_user(s, "other", "password-123456", Role.ENTERPRISE, org_id=other.id)
        reg = Principal(user_id=reg_u.id, username="insp", role=Role.REGULATOR, org_id=None)
        ent = Principal(user_id=ent_u.id, username="packer", role=Role.ENTERPRISE, org_id=packer.id)
        oth = Principal(user_id=oth_u.id, username="other", role=Role.ENTERPRISE, org_id=other.id)
    return db, reg, ent, oth, packer.id


def _new(s, reg, org_id, **kw):
    args = {"kind": "inspection", "org_id": org_id, "product": "大米", "nominal": "5", "unit": "kg",
            "lot_size": 300, "batch": "B-1", "now": NOW} | kw  # fmt: skip
    return nc.create(s, reg, **args)


def test_inspection_life(city):
    db, reg, _, _, org = city
    with db.session(actor="insp") as s:
        rid = _new(s, reg, org).id
    with db.session(actor="insp") as s:
        row = nc.draw(s, reg, rid, NOW, seed="ab" * 16)
        assert row.sample_items == list(draw_sample("ab" * 16, 300, 50))
    with db.session(actor="insp") as s:
        row = nc.record(s, reg, rid, [5.01] * 49 + [4.90], DAY)  # T = 75 g: 100 g short is a T1 error
        assert (row.decision, row.verdict["t1"], row.status) == ("pass", 1, "judged")
        assert [st["name"] for st in row.verdict["steps"]] == ["T", "plan", "mean", "t1", "t2"]
    with db.session(actor="insp") as s:
        assert nc.list_published(s) == []
        nc.publish(s, reg, rid, DAY)
    with db.session(actor="x") as s:
        assert [r.id for r, _ in nc.list_published(s)] == [rid]
        assert nc.get(s, ANONYMOUS, rid).decision == "pass"
        assert nc.verdict_of(nc.get(s, ANONYMOUS, rid)).decision == "pass"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == "insp")) >= 4
    with db.session(actor="insp") as s, pytest.raises(ConflictError):
        nc.publish(s, reg, rid, DAY)


def test_csv_and_failing_verdict(city):
    db, reg, _, _, org = city
    with db.session(actor="insp") as s:
        rid = _new(s, reg, org, nominal="500", unit="g", lot_size=40).id
        nc.draw(s, reg, rid, NOW)
    with db.session(actor="insp") as s:
        row = nc.record_csv(s, reg, rid, b"gross,tare\n" + b"520,10\n" * 9 + b"460,10\n", DAY)
        assert row.decision == "fail" and row.verdict["t2"] == 1 and row.tare_method == "individual"


def test_self_check_is_the_packers_and_never_published(city):
    db, reg, ent, oth, org = city
    with db.session(actor="packer") as s:
        row = nc.create(s, ent, kind="self_check", org_id=None, product="酱油", nominal="500",
                        unit="mL", lot_size=60, now=NOW)  # fmt: skip
        rid = row.id
        assert row.org_id == org and row.sample_size == 13
        nc.draw(s, ent, rid, NOW)
        nc.record(s, ent, rid, [501.0] * 13, DAY)
    with db.session(actor="x") as s:
        with pytest.raises(NotFoundError):
            nc.get(s, oth, rid)
        with pytest.raises(NotFoundError):
            nc.get(s, ANONYMOUS, rid)
        with pytest.raises(NotFoundError):
            nc.get(s, reg, rid)
        assert [r.id for r in nc.list_for(s, ent)] == [rid]
        assert nc.list_for(s, reg) == []
    with db.session(actor="insp") as s, pytest.raises(NotFoundError):
        nc.publish(s, reg, rid, DAY)


def test_rights(city):
    db, reg, ent, oth, org = city
    with db.session(actor="x") as s, pytest.raises(PermissionDeniedError):
        _new(s, ent, org)
    with db.session(actor="insp") as s:
        rid = _new(s, reg, org).id
    with db.session(actor="x") as s:
        assert nc.get(s, ent, rid).id == rid  # the packer sees its own inspection
        with pytest.raises(PermissionDeniedError):
            nc.draw(s, ent, rid, NOW)
        with pytest.raises(NotFoundError):
            nc.get(s, oth, rid)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"unit": "kg", "nominal": "0.5"}, "below 1 kg"),
        ({"unit": "kg", "nominal": "abc"}, "not a number"),
        ({"lot_size": 0}, "lot size"),
        ({"product": " "}, "product"),
        ({"product": "x" * 201}, "product"),
        ({"packer": 999999}, "not found"),
        ({"kind": "audit"}, "kind"),
        ({"task_id": 999999}, "task"),
    ],
)
def test_bad_input_stores_nothing(city, kw, words):
    db, reg, _, _, org = city
    kw = dict(kw)
    org = kw.pop("packer", org)
    with pytest.raises(InputError, match=words), db.session(actor="insp") as s:
        _new(s, reg, org, **kw)
    with db.session(actor="x") as s:
        assert s.scalar(select(func.count()).select_from(NetContentInspection)) == 0


def test_bad_measurements_store_nothing(city):
    db, reg, _, _, org = city
    with db.session(actor="insp") as s:
        rid = _new(s, reg, org, lot_size=30, nominal="500", unit="g").id
    with db.session(actor="insp") as s, pytest.raises(ConflictError):
        nc.record(s, reg, rid, [500.0] * 10, DAY)  # not drawn yet
    with db.session(actor="insp") as s:
        nc.draw(s, reg, rid, NOW)
    for bad in ([500.0] * 9, [500.0] * 9 + [-1.0], [500.0] * 40):
        with db.session(actor="insp") as s, pytest.raises(InputError):
            nc.record(s, reg, rid, bad, DAY)
    for data in (b"net\nx\n", b"weight\n1\n", b"net\n" + b"1\n" * 5000):
        with db.session(actor="insp") as s, pytest.raises(InputError):
            nc.record_csv(s, reg, rid, data, DAY)
    with db.session(actor="x") as s:
        row = s.get(NetContentInspection, rid)
        assert row.status == "drawn" and row.net_values is None
