"""Demo data: bookings of the demo market and fuel station in each state a person meets first."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.platform.auth import Principal, principal_of
from jiliang.platform.models import User
from jiliang.registry.models import Instrument, InstrumentStatus
from jiliang.verification.bookings import BookingRequest, act, create_booking, verifiers_for

__all__ = ["seed"]

# (owner user, instruments, what the verifier does with the booking)
_PLAN: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("market", 2, ()),  # waiting for the verifier
    ("market", 1, ("accept",)),  # accepted, with a receipt
    ("fuel", 1, ("accept", "schedule")),  # scheduled
    ("fuel", 1, ("decline",)),  # declined with a reason
)


def _principal(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return None
    return principal_of(user)


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """A few bookings with the institute, made and answered through the booking service."""
    now = datetime.combine(city.as_of, time(9), tzinfo=UTC)
    institute = _principal(session, "institute")
    taken: set[int] = set()
    made = 0
    for username, count, steps in _PLAN:
        owner = _principal(session, username)
        if owner is None or institute is None:
            continue
        rows = session.scalars(
            select(Instrument)
            .where(Instrument.owner_id == owner.org_id, Instrument.status == InstrumentStatus.IN_USE.value)
            .where(Instrument.id.not_in(taken) if taken else Instrument.id.is_not(None))
            .order_by(Instrument.next_due_on, Instrument.id)
            .limit(count)
        ).all()
        if not rows or institute.org_id not in {
            v.id for v in verifiers_for(session, [r.type_id for r in rows])
        }:
            continue
        taken.update(r.id for r in rows)
        request = BookingRequest(
            instrument_ids=tuple(r.id for r in rows),
            lab_id=institute.org_id,
            mode="send_in" if rng.random() < 0.7 else "on_site",
            preferred_on=city.as_of + timedelta(days=7 + made),
        )
        booking = create_booking(session, owner, request, now)
        for step in steps:
            act(
                session,
                institute,
                booking.id,
                step,
                now=now,
                on=city.as_of + timedelta(days=10) if step == "schedule" else None,
                reason="本月检定任务已满，请改约其他检定机构" if step == "decline" else None,
            )
        made += 1
    return {"bookings": made}
