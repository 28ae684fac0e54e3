"""Owners keep their own register: create, edit, retire, and import scoped to their organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiliang.errors import InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import AuditEntry, Organization, OrgKind, Role
from jiliang.registry import editing
from jiliang.registry.importer import import_register
from jiliang.registry.models import Instrument, Verification

from .conftest import CODE_A, CODE_B, TODAY, row, to_csv


@pytest.fixture
def owners(session):
    a = Organization(name="江城农贸市场", kind=OrgKind.MARKET.value, credit_code=CODE_A)
    b = Organization(name="滨海市场", kind=OrgKind.MARKET.value, credit_code=CODE_B)
    session.add_all([a, b])
    session.flush()
    pa = Principal(user_id=10, username="a", role=Role.ENTERPRISE, org_id=a.id)
    pb = Principal(user_id=11, username="b", role=Role.ENTERPRISE, org_id=b.id)
    return pa, pb


FIELDS = {"type": "电子计价秤", "serial": "SN01", "use": "贸易结算", "model": "ACS-15"}


def test_owner_creates_with_import_rules_and_serial_identity(session, owners):
    pa, _ = owners
    fields = FIELDS | {"last_verified_on": "2026-03-01", "verification_result": "合格"}
    iid = editing.create_instrument(session, pa, fields, today=TODAY)
    inst = session.get(Instrument, iid)
    assert (inst.owner_id, inst.serial, inst.status, str(inst.next_due_on)) == (
        pa.org_id,
        "SN01",
        "in_use",
        "2027-03-01",
    )
    assert session.scalar(select(Verification.result).where(Verification.instrument_id == iid)) == "pass"
    with pytest.raises(InputError) as exc:  # same serial in its identity form
        editing.create_instrument(session, pa, FIELDS | {"serial": "ｓｎ01"}, today=TODAY)
    assert exc.value.fields[0].field == "serial"
    with pytest.raises(InputError) as exc:  # the importer's rule for uses
        editing.create_instrument(session, pa, FIELDS | {"serial": "X", "use": "娱乐"}, today=TODAY)
    assert exc.value.fields[0].field == "use" and "unknown use" in exc.value.fields[0].message
    with pytest.raises(InputError) as exc:
        editing.create_instrument(session, pa, FIELDS | {"serial": "=1+1"}, today=TODAY)
    assert exc.value.fields[0].field == "serial"
    with pytest.raises(PermissionDeniedError):
        editing.create_instrument(session, pa, FIELDS, today=TODAY, owner_id=pa.org_id + 1)
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_id == str(iid), AuditEntry.entity == "reg_instrument")
    ).all()
    assert [a.action for a in audit] == ["insert"]


def test_edit_and_retire_own_only(session, owners):
    pa, pb = owners
    iid = editing.create_instrument(session, pa, FIELDS, today=TODAY)
    out = editing.update_instrument(session, pa, iid, {"location": "2号摊位"}, today=TODAY)
    assert out["after"] == {"location": "2号摊位"}
    with pytest.raises(NotFoundError):
        editing.update_instrument(session, pb, iid, {"location": "x"}, today=TODAY)
    with pytest.raises(NotFoundError):
        editing.retire_instrument(session, pb, iid)
    with pytest.raises(InputError):
        editing.update_instrument(session, pa, iid, {"owner_id": pb.org_id}, today=TODAY)
    editing.retire_instrument(session, pa, iid, reason="报废")
    assert session.get(Instrument, iid).status == "retired"
    with pytest.raises(InputError):
        editing.update_instrument(session, pa, iid, {"location": "3号"}, today=TODAY)
    lab = Principal(user_id=12, username="l", role=Role.LAB, org_id=pb.org_id)
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        editing.retire_instrument(session, lab, iid)


def test_owner_import_is_scoped_to_its_organisation(session, owners):
    pa, _ = owners
    data = to_csv([row("A1"), row("B1", code=CODE_B, owner_name="滨海市场")])
    rep = import_register(session, data, "r.csv", today=TODAY, owner_id=pa.org_id)
    assert (rep.created, rep.rejected, rep.owners_created) == (1, 1, 0)
    (bad,) = rep.rows
    assert (bad.line, bad.column) == (3, "owner_credit_code") and "not your organisation" in bad.reason
    owners_of = set(session.scalars(select(Instrument.owner_id)))
    assert owners_of == {pa.org_id}
