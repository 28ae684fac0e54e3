"""Status job, booking, notices, scoping, metrics and the hooks for other capabilities,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from jiliang.errors import InputError, NotFoundError, PermissionDeniedError, UnauthenticatedError
from jiliang.platform.auth import ANONYMOUS, Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry import metrics, service
from jiliang.registry.importer import import_register
from jiliang.registry.models import (
    Instrument,
    MeasurementStandard,
    Reminder,
    StandardCalibration,
    Verification,
)
from jiliang.registry.models import VerificationStandard as VS

from .conftest import CODE_A, CODE_B, REGULATOR, TODAY, row, to_csv


@pytest.fixture
def stocked(session):
    """Two owners: A with three scales due on 2027-03-01, 2026-11-20 and 2026-10-30; B with one."""
    rows = [
        row("A1"),
        row("A2", last_verified_on="2025-11-20"),
        row("A3", last_verified_on="2025-10-30"),
        row("B1", code=CODE_B, owner_name="滨海市场"),
    ]
    rep = import_register(session, to_csv(rows), "r.csv", today=date(2026, 10, 1))
    assert rep.accepted == 4
    session.flush()
    ids = {s: i for s, i in session.execute(select(Instrument.serial, Instrument.id))}
    owners = {c: i for c, i in session.execute(select(Organization.credit_code, Organization.id))}
    return ids, owners


def status(session, iid):
    session.expire_all()
    return session.get(Instrument, iid).status


def test_status_job_overdue_then_blocked_and_reminders_once(session, stocked):
    ids, _ = stocked
    r = service.run_status_job(session, date(2026, 10, 31))  # A3 due 10-30: overdue
    assert (r.overdue, r.blocked) == (1, 0) and status(session, ids["A3"]) == "overdue"
    assert (r.reminders_30, r.reminders_15) == (1, 0)  # A2, due 2026-11-20, is 20 days ahead
    r = service.run_status_job(session, date(2026, 11, 1))  # the day after: blocked
    assert (r.overdue, r.blocked) == (0, 1) and status(session, ids["A3"]) == "blocked"
    assert (r.reminders_30, r.reminders_15) == (0, 0)  # sent once per due date
    r = service.run_status_job(session, date(2026, 11, 6))
    assert (r.reminders_30, r.reminders_15) == (0, 1)
    assert session.scalar(select(func.count()).select_from(Reminder)) == 2


def test_booking_moves_to_booked_and_is_scoped(session, stocked):
    ids, owners = stocked
    owner_a = Principal(user_id=2, username="a", role=Role.ENTERPRISE, org_id=owners[CODE_A])
    assert service.book(session, owner_a, [ids["A2"]], TODAY + timedelta(days=5), TODAY) == 1
    assert status(session, ids["A2"]) == "booked"
    with pytest.raises(NotFoundError):
        service.book(session, owner_a, [ids["B1"]], TODAY + timedelta(days=5), TODAY)
    with pytest.raises(InputError, match="past"):
        service.book(session, owner_a, [ids["A1"]], TODAY - timedelta(days=1), TODAY)
    with pytest.raises(InputError, match="no instrument"):
        service.book(session, owner_a, [], TODAY, TODAY)
    lab = Principal(user_id=3, username="l", role=Role.LAB, org_id=99)
    with pytest.raises(PermissionDeniedError):
        service.book(session, lab, [ids["A1"]], TODAY, TODAY)
    # a booked instrument is not moved by the status job
    service.run_status_job(session, date(2027, 6, 1))
    assert status(session, ids["A2"]) == "booked"


def test_notify_once_per_day(session, stocked):
    ids, _ = stocked
    assert service.notify(session, REGULATOR, [ids["A1"], ids["B1"]], TODAY, "请按期送检") == 2
    assert service.notify(session, REGULATOR, [ids["A1"]], TODAY) == 0
    with pytest.raises(PermissionDeniedError):
        service.notify(session, Principal(4, "e", Role.ENTERPRISE, 1), [ids["A1"]], TODAY)


def test_scoping_of_lists(session, stocked):
    ids, owners = stocked
    f = service.InstrumentFilter()
    assert service.list_instruments(session, REGULATOR, f)[0] == 4
    owner_b = Principal(5, "b", Role.ENTERPRISE, owners[CODE_B])
    total, exact, rows = service.list_instruments(session, owner_b, f)
    assert (total, exact, [r["serial"] for r in rows]) == (1, True, ["B1"])
    lab = Principal(6, "l", Role.LAB, owners[CODE_A])  # a lab that verified nothing
    assert service.list_instruments(session, lab, f)[0] == 0
    with pytest.raises(UnauthenticatedError):
        service.list_instruments(session, ANONYMOUS, f)
    with pytest.raises(NotFoundError):
        service.instrument_detail(session, owner_b, ids["A1"])
    assert service.list_instruments(session, REGULATOR, service.InstrumentFilter(q="A2"))[0] == 1
    with pytest.raises(InputError):
        service.InstrumentFilter(status="lost")


def test_due_list_soonest_first(session, stocked):
    total, _, rows = service.due_list(session, REGULATOR, 30, date(2026, 11, 1))
    assert [r["serial"] for r in rows] == ["A3", "A2"] and total == 2
    assert rows[0]["days_left"] == -2
    with pytest.raises(InputError):
        service.due_list(session, REGULATOR, -1, TODAY)


def _standards(session):
    nat = MeasurementStandard(
        code="NAT", name="质量基准", level="national", quantity="mass", uncertainty=0.0001, covers=[]
    )
    pub = MeasurementStandard(
        code="PUB",
        name="砝码",
        level="public",
        quantity="mass",
        uncertainty=0.01,
        covers=["price-scale"],
        holder_id=None,
        approval_no="A-1",
        approval_valid_until=date(2028, 1, 1),
    )
    session.add_all([nat, pub])
    session.flush()
    session.add(
        StandardCalibration(
            standard_id=pub.id,
            by_standard_id=nat.id,
            calibrated_on=date(2026, 1, 5),
            valid_until=date(2027, 1, 4),
            certificate_no="NIM-1",
            uncertainty=0.01,
        )
    )
    session.flush()
    return nat, pub


def test_record_with_context_and_trace(session, stocked):
    ids, _ = stocked
    nat, pub = _standards(session)
    v = session.scalar(select(Verification).where(Verification.instrument_id == ids["A1"]))
    v.lab_id = None
    session.add(VS(verification_id=v.id, standard_id=pub.id))
    session.flush()
    data = service.record_with_context(session, v.id)
    assert data.owner is not None and data.standards[0].calibration is not None
    assert data.instrument.serial == "A1" and data.owner.credit_code == CODE_A
    assert data.standards[0].code == "PUB"
    assert data.standards[0].calibration.certificate_no == "NIM-1"
    assert data.result == "pass" and data.certificate_no == "JD2026-1"
    # the API's JSON shape: environment grouped, nested objects as objects
    shown = data.as_dict()
    assert shown["instrument"]["type"]["code"] and set(shown["environment"]) == {
        "temperature_c",
        "humidity_percent",
    }
    t = service.trace_instrument(session, REGULATOR, ids["A1"], 4.0)
    assert t.traceable and t.edges[-1].parent == f"standard:{nat.id}"
    # the record without standards is a missing link
    t = service.trace_instrument(session, REGULATOR, ids["B1"], 4.0)
    assert [b.reason for b in t.breaks] == ["link_missing"]
    with pytest.raises(NotFoundError):
        service.record_with_context(session, 10**6)


def test_metrics_rate_coverage_and_levels(session, stocked):
    _standards(session)
    on = date(2026, 11, 1)
    overall = metrics.overall_rate(session, on)
    assert (overall.total, overall.on_time) == (4, 3)  # A3 (due 2026-10-30) is late
    cov = metrics.coverage(session, on)
    assert cov.covered == 1 and "price-scale" not in {g["code"] for g in cov.not_covered}
    assert cov.total == len(cov.not_covered) + 1
    assert metrics.standards_by_level(session)["national"] == 1
    by_owner = {r.label: (r.total, r.on_time) for r in metrics.verification_rate(session, on, "owner")}
    assert by_owner["滨海市场"] == (1, 1)
    with pytest.raises(ValueError):
        metrics.verification_rate(session, on, "colour")


def test_find_instrument_and_work_orders(session, stocked):
    ids, owners = stocked
    inst = service.find_instrument(session, owners[CODE_A], "A1")
    assert inst is not None and inst.id == ids["A1"]
    assert service.find_instrument(session, owners[CODE_A], "nope") is None
    assert service.find_instrument(session, owners[CODE_A], "A1", "water-meter") is None
    wo = service.add_work_order(session, inst.id, "replacement", "误差超差，需更换", source="meters")
    assert wo.id and wo.status == "open"
    assert service.instrument_detail(session, REGULATOR, inst.id)["work_orders"][0]["kind"] == "replacement"
    with pytest.raises(InputError):
        service.add_work_order(session, inst.id, "")
    with pytest.raises(NotFoundError):
        service.add_work_order(session, 10**6, "note")
