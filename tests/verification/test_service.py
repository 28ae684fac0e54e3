"""The booking service on SQLite and PostgreSQL: the machine, idempotency, one audited transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from jiliang.errors import ConflictError, NotFoundError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role, User
from jiliang.registry.models import (
    Instrument,
    InstrumentType,
    MeasurementStandard,
    StandardCalibration,
    Verification,
)
from jiliang.verification import (
    BOOKING,
    BookingRequest,
    MeasuredPoint,
    ResultInput,
    act,
    create_booking,
    flow,
    get_booking,
    inbox,
    list_bookings,
    record_result,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """An owner with two scales, a lab authorised for scales (its standard covers them), another not."""
    from jiliang.registry import catalogue

    with db.session(actor="test") as s:
        catalogue.sync(s, date(2026, 11, 1))
    with db.session(actor="test") as s:
        owner = Organization(name="江城农贸市场", kind="market")
        lab = Organization(name="精测校准", kind="lab", authorised_type_codes=["price-scale"])
        other = Organization(name="别的实验室", kind="lab")
        s.add_all([owner, lab, other])
        s.flush()
        t = s.scalar(select(InstrumentType).where(InstrumentType.code == "price-scale"))
        assert t is not None
        std = MeasurementStandard(
            code="STD-1",
            name="秤检定装置",
            level="enterprise",
            quantity="mass",
            holder_id=lab.id,
            covers=["price-scale"],
        )
        bare = MeasurementStandard(
            code="STD-2", name="无证书装置", level="enterprise", quantity="mass", holder_id=lab.id, covers=[]
        )
        s.add_all([std, bare])
        s.flush()
        s.add(
            StandardCalibration(
                standard_id=std.id,
                calibrated_on=date(2026, 6, 1),
                valid_until=date(2027, 5, 31),
                certificate_no="CAL-2026-1",
                uncertainty=0.02,
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
            "std": std.id,
            "bare": bare.id,
        }
    return db, ids


def _who(role: Role, org: int | None, name: str, user_id: int | None = None) -> Principal:
    return Principal(user_id=user_id, username=name, role=role, org_id=org)


def test_book_accept_schedule_on_both_stores(world):
    db, ids = world
    owner = _who(Role.ENTERPRISE, ids["owner"], "owner", ids["user"])
    lab = _who(Role.LAB, ids["lab"], "lab", ids["user"])
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
    with db.session(actor="reader") as s:
        regulator = _who(Role.REGULATOR, None, "reg", ids["user"])
        f = flow(s, regulator, NOW + timedelta(days=10), days=7)
        assert [w.booking_id for w in f.waiting] == [b.id] and f.open_by_state["scheduled"] == 1
        assert [r["open"] for r in f.turnaround] == [1]
        assert [x.id for x in inbox(s, lab, NOW.date()).bookings] == [b.id]
        assert inbox(s, owner, NOW.date()).bookings == ()  # the owner may cancel, but nothing awaits it
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


def _accepted(db, ids):  # type: ignore[no-untyped-def]
    owner = _who(Role.ENTERPRISE, ids["owner"], "owner", ids["user"])
    lab = _who(Role.LAB, ids["lab"], "lab", ids["user"])
    req = BookingRequest(tuple(ids["instruments"][:1]), ids["lab"], "send_in", date(2026, 11, 9))
    with db.session(actor="owner") as s:
        b = create_booking(s, owner, req, NOW)
    with db.session(actor="lab") as s:
        act(s, lab, b.id, "accept", now=NOW)
    return b.id, lab


def _result(ids, standard: int, acknowledge: bool = False) -> ResultInput:  # type: ignore[no-untyped-def]
    points = (MeasuredPoint(10, 0.1, 1.0, 0.2), MeasuredPoint(100, -0.1, 1.0, 0.2))
    return ResultInput(
        ids["instruments"][0],
        NOW.date(),
        points,
        (standard,),
        "陈工",
        "周主任",
        acknowledge_warnings=acknowledge,
    )


def test_a_pass_is_recorded_and_certified_in_one_transaction(world):
    from jiliang.dcc.service import get_certificate
    from jiliang.dcc.trust import demo_keys

    db, ids = world
    booking_id, lab = _accepted(db, ids)
    with db.session(actor="lab") as s:
        v = record_result(
            s, lab, booking_id, _result(ids, ids["std"]), now=NOW, keys=demo_keys(None, now=NOW)
        )
    assert v.state == "completed" and v.items[0].result == "pass"
    with db.session(actor="reader") as s:
        cert = get_certificate(s, v.items[0].certificate_no or "")
        assert cert.instrument_ref == ids["instruments"][0] and cert.status == "valid"
        record = s.get(Verification, v.items[0].verification_id)
        assert record is not None and [e["U"] for e in record.errors or []] == [0.2, 0.2]


def test_a_certificate_that_cannot_be_issued_leaves_nothing_stored(world):
    from jiliang.dcc.errors import DccError
    from jiliang.dcc.trust import demo_keys

    db, ids = world
    booking_id, lab = _accepted(db, ids)
    with pytest.raises(DccError, match="no calibration certificate"), db.session(actor="lab") as s:
        # the missing calibration is a warning the lab acknowledges; the certificate still cannot be made
        record_result(
            s, lab, booking_id, _result(ids, ids["bare"], True), now=NOW, keys=demo_keys(None, now=NOW)
        )
    with db.session(actor="reader") as s:
        assert s.scalar(select(Verification.id)) is None
        v = get_booking(s, lab, booking_id)
        assert v.state == "accepted" and v.items[0].result is None
        inst = s.get(Instrument, ids["instruments"][0])
        assert inst is not None and inst.status == "booked"
