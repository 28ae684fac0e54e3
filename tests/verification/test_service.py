"""The booking service on SQLite and PostgreSQL: the machine, idempotency, one audited transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from jiliang.errors import ConflictError, NotFoundError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role, User
from jiliang.registry.models import Instrument, InstrumentType, MeasurementStandard
from jiliang.verification import BOOKING, BookingRequest, act, create_booking, get_booking, list_bookings

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """An owner with two scales, a lab whose standard covers scales, another lab that does not."""
    from jiliang.registry import catalogue

    with db.session(actor="test") as s:
        catalogue.sync(s, date(2026, 11, 1))
    with db.session(actor="test") as s:
        owner = Organization(name="江城农贸市场", kind="market")
        lab = Organization(name="精测校准", kind="lab")
        other = Organization(name="别的实验室", kind="lab")
        s.add_all([owner, lab, other])
        s.flush()
        t = s.scalar(select(InstrumentType).where(InstrumentType.code == "price-scale"))
        assert t is not None
        s.add(
            MeasurementStandard(
                code="STD-1",
                name="秤检定装置",
                level="enterprise",
                quantity="mass",
                holder_id=lab.id,
                covers=["price-scale"],
            )
        )
        insts = [
            Instrument(type_id=t.id, owner_id=owner.id, serial=f"S{i}", use="trade_settlement")
            for i in range(2)
        ]
        s.add_all(insts)
        user = User(
            username="owner", display_name="owner", password_hash="-", role="enterprise", org_id=owner.id
        )
        s.add(user)
        s.flush()
        ids = {
            "owner": owner.id,
            "lab": lab.id,
            "other": other.id,
            "instruments": [i.id for i in insts],
            "user": user.id,
        }
    return db, ids


def _who(role: Role, org: int | None, name: str, user_id: int | None = None) -> Principal:
    return Principal(user_id=user_id, username=name, role=role, org_id=org)


def test_book_accept_schedule_on_both_stores(world):
    db, ids = world
    owner = _who(Role.ENTERPRISE, ids["owner"], "owner", ids["user"])
    lab = _who(Role.LAB, ids["lab"], "lab")
    req = BookingRequest(
        tuple(ids["instruments"]), ids["lab"], "on_site", date(2026, 11, 9), idempotency_key="key-00000001"
    )
    with db.session(actor="owner") as s:
        b = create_booking(s, owner, req, NOW)
    with db.session(actor="owner") as s:
        assert create_booking(s, owner, req, NOW).id == b.id
        assert list_bookings(s, owner)[0] == 1
    with db.session(actor="lab") as s:
        v = act(s, lab, b.id, "accept", now=NOW)
        assert v.state == "accepted" and v.receipt_no == f"SL2026{b.id:07d}" and v.version == 2
        v = act(s, lab, b.id, "schedule", now=NOW, on=date(2026, 11, 10))
        assert v.actions == BOOKING.actions("scheduled", {"lab"})
    with db.session(actor="other") as s, pytest.raises(NotFoundError):
        get_booking(s, _who(Role.LAB, ids["other"], "other"), b.id)


def test_a_refused_transition_changes_nothing(world):
    db, ids = world
    owner = _who(Role.ENTERPRISE, ids["owner"], "owner", ids["user"])
    req = BookingRequest(tuple(ids["instruments"][:1]), ids["lab"], "send_in", date(2026, 11, 9))
    with db.session(actor="owner") as s:
        b = create_booking(s, owner, req, NOW)
        act(s, owner, b.id, "cancel", now=NOW, reason="改期")
    with db.session(actor="owner") as s, pytest.raises(ConflictError):
        act(s, owner, b.id, "cancel", now=NOW + timedelta(days=1), reason="again")
    with db.session(actor="owner") as s:
        v = get_booking(s, owner, b.id)
        assert (v.state, v.version, v.reason) == ("cancelled", 2, "改期")
        inst = s.get(Instrument, ids["instruments"][0])
        assert inst is not None and inst.status != "booked"
