"""What needs the caller's attention, and the regulator's view of the flow city-wide.

The inbox lists the bookings on which the caller may act now, the work orders open for it, and (for
owners) the registry's reminders of instruments due or overdue. :func:`flow` gives the regulator
the bookings waiting longer than N days and each verifier's turnaround.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.errors import InputError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry.models import Instrument, Reminder
from jiliang.verification.bookings import OPEN_STATES, BookingView, list_bookings
from jiliang.verification.models import Booking
from jiliang.verification.orders import WorkOrderView, list_work_orders

__all__ = ["Flow", "Inbox", "Waiting", "flow", "inbox"]


@dataclass(frozen=True, slots=True)
class Inbox:
    bookings: tuple[BookingView, ...]
    work_orders: tuple[WorkOrderView, ...]
    reminders: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.bookings) + len(self.work_orders) + len(self.reminders)


def _reminders(session: Session, principal: Principal, today: date) -> tuple[dict[str, Any], ...]:
    if principal.role is not Role.ENTERPRISE or principal.org_id is None:
        return ()
    rows = session.execute(
        select(
            Reminder.id,
            Reminder.kind,
            Reminder.due_on,
            Reminder.note,
            Reminder.instrument_id,
            Instrument.serial,
        )
        .join(Instrument, Instrument.id == Reminder.instrument_id)
        .where(
            Reminder.owner_id == principal.org_id,
            Instrument.status.in_(("in_use", "overdue", "blocked")),
            Reminder.created_at >= datetime.combine(today - timedelta(days=60), time.min, tzinfo=UTC),
        )
        .order_by(Reminder.due_on, Reminder.id)
        .limit(100)
    ).all()
    latest: dict[int, dict[str, Any]] = {}
    for r in rows:  # one line per instrument: the most recent reminder about it
        latest[r.instrument_id] = dict(r._mapping)
    return tuple(sorted(latest.values(), key=lambda r: (r["due_on"] or today, r["id"])))


def _awaits(principal: Principal, b: BookingView, today: date) -> bool:
    """Whether ``b`` waits on the caller: a step only it can take (cancelling is always possible and
    does not count), a new request the regulator may reassign, or a recent decline for the owner."""
    if set(b.actions) - {"cancel", "reassign"}:
        return True
    if principal.is_regulator:
        return b.state == "requested"
    return (
        principal.role is Role.ENTERPRISE
        and b.state == "declined"
        and (today - b.updated_at.date()).days <= 30
    )


def inbox(session: Session, principal: Principal, today: date) -> Inbox:
    """Bookings awaiting the caller, open work orders for it, reminders of its due instruments."""
    bookings: list[BookingView] = []
    for state in (*OPEN_STATES, "declined"):
        _n, page = list_bookings(session, principal, state, limit=100)
        bookings.extend(b for b in page if _awaits(principal, b, today))
    orders: list[WorkOrderView] = []
    for state in ("open", "assigned", "in_progress"):
        _n, wos = list_work_orders(session, principal, state, limit=100)
        orders.extend(w for w in wos if w.actions)
    return Inbox(tuple(bookings), tuple(orders), _reminders(session, principal, today))


@dataclass(frozen=True, slots=True)
class Waiting:
    booking_id: int
    state: str
    owner_name: str
    lab_name: str
    days: int


@dataclass(frozen=True, slots=True)
class Flow:
    """City-wide: open bookings per state, those waiting longer than ``days``, turnaround per lab."""

    days: int
    open_by_state: dict[str, int]
    waiting: tuple[Waiting, ...]
    turnaround: tuple[dict[str, Any], ...]


def flow(session: Session, principal: Principal, now: datetime, days: int = 7) -> Flow:
    principal.require(Role.REGULATOR)
    if not 0 <= days <= 365:
        raise InputError(f"days must be 0–365, got {days}")
    by_state = dict(
        session.execute(
            select(Booking.state, func.count()).where(Booking.state.in_(OPEN_STATES)).group_by(Booking.state)
        )
        .tuples()
        .all()
    )
    names = dict(
        session.execute(
            select(Organization.id, Organization.name).where(Organization.kind.in_(("institute", "lab")))
        )
        .tuples()
        .all()
    )
    cutoff = now - timedelta(days=days)
    old = session.execute(
        select(Booking.id, Booking.state, Booking.owner_id, Booking.lab_id, Booking.created_at)
        .where(Booking.state.in_(OPEN_STATES), Booking.created_at <= cutoff)
        .order_by(Booking.created_at)
        .limit(200)
    ).all()
    owners = dict(
        session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_([r.owner_id for r in old]))
        )
        .tuples()
        .all()
    )
    waiting = tuple(
        Waiting(r.id, r.state, owners.get(r.owner_id, ""), names.get(r.lab_id, ""), (now - r.created_at).days)
        for r in old
    )
    return Flow(days, {s: int(by_state.get(s, 0)) for s in OPEN_STATES}, waiting, _turnaround(session, names))


def _turnaround(session: Session, names: dict[int, str]) -> tuple[dict[str, Any], ...]:
    per: dict[int, dict[str, Any]] = {}
    for lab_id, state, created, done in session.execute(
        select(Booking.lab_id, Booking.state, Booking.created_at, Booking.completed_at)
    ):
        row = per.setdefault(
            lab_id,
            {"lab_id": lab_id, "lab_name": names.get(lab_id, ""), "open": 0, "completed": 0, "_days": []},
        )
        if state in OPEN_STATES:
            row["open"] += 1
        if done is not None:
            row["completed"] += 1
            row["_days"].append((done - created).total_seconds() / 86400)
    out = []
    for row in sorted(per.values(), key=lambda r: r["lab_id"]):
        d = sorted(row.pop("_days"))
        row["mean_days"] = round(sum(d) / len(d), 1) if d else None
        row["max_days"] = round(d[-1], 1) if d else None
        out.append(row)
    return tuple(out)
