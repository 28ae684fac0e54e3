"""Bookings (检定申请): an owner asks an authorised verifier to verify some of its instruments.

Every change is one call here, inside the caller's transaction: the machine in
:mod:`jiliang.verification.machines` decides whether the move is allowed (409 if not, 403 if the
caller's party may not take it), the row's ``version`` goes up, and an audit entry records the
action, the states, the acting user's role and organization, and the reason. Visibility: the owner
sees its bookings, the verifier those addressed to it, the regulator all; anything else is 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, FieldError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry.models import Instrument, InstrumentType
from jiliang.verification import mail
from jiliang.verification.machines import BOOKING
from jiliang.verification.models import Booking, BookingItem

__all__ = [
    "MODES",
    "OPEN_STATES",
    "BookingRequest",
    "BookingView",
    "ItemView",
    "Verifier",
    "act",
    "create_booking",
    "get_booking",
    "list_bookings",
    "parties_of",
    "verifiers_for",
]

MODES = ("send_in", "on_site")
OPEN_STATES = ("requested", "accepted", "scheduled", "in_progress")
VERIFIER_KINDS = ("institute", "lab")


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What an owner submits: instruments, verifier, send-in or on-site, preferred date."""

    instrument_ids: tuple[int, ...]
    lab_id: int
    mode: str
    preferred_on: date
    contact: str | None = None
    note: str | None = None
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.instrument_ids:
            problems.append(FieldError("instrument_ids", "select at least one instrument"))
        elif len(self.instrument_ids) > 200:
            problems.append(FieldError("instrument_ids", "at most 200 instruments in one booking"))
        if self.mode not in MODES:
            problems.append(FieldError("mode", f"mode must be one of {', '.join(MODES)}, got {self.mode!r}"))
        if self.contact is not None and len(self.contact) > 200:
            problems.append(FieldError("contact", "contact is longer than 200 characters"))
        if self.note is not None and len(self.note) > 1000:
            problems.append(FieldError("note", "note is longer than 1000 characters"))
        if self.idempotency_key is not None and not 8 <= len(self.idempotency_key) <= 64:
            problems.append(FieldError("idempotency_key", "idempotency key must have 8–64 characters"))
        if problems:
            raise InputError(problems[0].message, fields=problems)


@dataclass(frozen=True, slots=True)
class Verifier:
    """An organization that may verify the instruments asked about."""

    id: int
    name: str
    name_en: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class ItemView:
    instrument_id: int
    serial: str
    type_code: str
    type_name: str
    type_name_en: str
    result: str | None
    verification_id: int | None
    certificate_no: str | None
    notice_no: str | None


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking as a caller sees it, with the actions that caller may take now."""

    id: int
    state: str
    version: int
    owner_id: int
    owner_name: str
    lab_id: int
    lab_name: str
    mode: str
    preferred_on: date
    receipt_no: str | None
    accepted_at: datetime | None
    scheduled_on: date | None
    reason: str | None
    contact: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    items: tuple[ItemView, ...]
    actions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


# ---------------------------------------------------------------- who is who


def parties_of(principal: Principal, booking: Booking) -> set[str]:
    """The caller's relations to ``booking`` (owner, lab, regulator); empty: may not see it."""
    found = set()
    if principal.role is Role.REGULATOR:
        found.add("regulator")
    if principal.role is Role.ENTERPRISE and principal.org_id == booking.owner_id:
        found.add("owner")
    if principal.role is Role.LAB and principal.org_id == booking.lab_id:
        found.add("lab")
    return found


def _scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.role is Role.REGULATOR:
        return stmt
    if principal.role is Role.ENTERPRISE and principal.org_id is not None:
        return stmt.where(Booking.owner_id == principal.org_id)
    if principal.role is Role.LAB and principal.org_id is not None:
        return stmt.where(Booking.lab_id == principal.org_id)
    if principal.is_anonymous:
        from jiliang.errors import UnauthenticatedError

        raise UnauthenticatedError("login required to see bookings")
    raise PermissionDeniedError(f"role {principal.role.value} may not see bookings")


def _load(session: Session, principal: Principal, booking_id: int, lock: bool = False) -> Booking:
    b = session.get(Booking, booking_id, with_for_update=lock)
    if b is None or not parties_of(principal, b):
        raise NotFoundError(f"booking {booking_id} not found")
    return b


# ---------------------------------------------------------------- verifiers


def verifiers_for(session: Session, type_ids: Sequence[int]) -> list[Verifier]:
    """Verifiers authorised for every one of ``type_ids``.

    A legal metrology institute (kind ``institute``) verifies every compulsory type; a lab only the
    types of its authorised scope (计量授权, ``Organization.authorised_type_codes``, set by the
    regulator: see :mod:`jiliang.registry.access`).
    """
    codes = set(session.scalars(select(InstrumentType.code).where(InstrumentType.id.in_(type_ids))))
    orgs = session.scalars(
        select(Organization).where(Organization.kind.in_(VERIFIER_KINDS)).order_by(Organization.id)
    )
    return [
        Verifier(o.id, o.name, o.name_en, o.kind)
        for o in orgs
        if o.kind == "institute" or codes <= set(o.authorised_type_codes or [])
    ]


def verifiers_for_instruments(
    session: Session, principal: Principal, instrument_ids: Sequence[int]
) -> list[Verifier]:
    """Verifiers authorised for every one of the caller's instruments among ``instrument_ids``."""
    from jiliang.registry.service import scope_instruments

    types = set(
        session.scalars(
            scope_instruments(select(Instrument.type_id), principal).where(Instrument.id.in_(instrument_ids))
        )
    )
    return verifiers_for(session, sorted(types))


# ---------------------------------------------------------------- views


def _view(session: Session, principal: Principal, b: Booking) -> BookingView:
    names = dict(
        session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_([b.owner_id, b.lab_id]))
        )
        .tuples()
        .all()
    )
    rows = session.execute(
        select(
            BookingItem, Instrument.serial, InstrumentType.code, InstrumentType.name, InstrumentType.name_en
        )
        .join(Instrument, Instrument.id == BookingItem.instrument_id)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .where(BookingItem.booking_id == b.id)
        .order_by(BookingItem.instrument_id)
    ).all()
    items = tuple(
        ItemView(
            it.instrument_id,
            serial,
            code,
            name,
            name_en,
            it.result,
            it.verification_id,
            it.certificate_no,
            it.notice_no,
        )
        for it, serial, code, name, name_en in rows
    )
    return BookingView(
        id=b.id,
        state=b.state,
        version=b.version,
        owner_id=b.owner_id,
        owner_name=names.get(b.owner_id, ""),
        lab_id=b.lab_id,
        lab_name=names.get(b.lab_id, ""),
        mode=b.mode,
        preferred_on=b.preferred_on,
        receipt_no=b.receipt_no,
        accepted_at=b.accepted_at,
        scheduled_on=b.scheduled_on,
        reason=b.reason,
        contact=b.contact,
        note=b.note,
        created_at=b.created_at,
        updated_at=b.updated_at,
        completed_at=b.completed_at,
        items=items,
        actions=BOOKING.actions(b.state, parties_of(principal, b)),
    )


def get_booking(session: Session, principal: Principal, booking_id: int) -> BookingView:
    return _view(session, principal, _load(session, principal, booking_id))


def list_bookings(
    session: Session,
    principal: Principal,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[BookingView]]:
    """``(total, page)`` of the bookings the caller may see, newest first."""
    if state is not None and state not in BOOKING.states:
        raise InputError(f"unknown booking state {state!r}", fields=[FieldError("state", "unknown state")])
    stmt = _scoped(select(Booking.id), principal)
    if state:
        stmt = stmt.where(Booking.state == state)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ids = list(session.scalars(stmt.order_by(Booking.id.desc()).limit(limit).offset(offset)))
    rows = {b.id: b for b in session.scalars(select(Booking).where(Booking.id.in_(ids)))}
    return total, [_view(session, principal, rows[i]) for i in ids]


# ---------------------------------------------------------------- creating


def _check_instruments(session: Session, principal: Principal, ids: Sequence[int]) -> list[Instrument]:
    from jiliang.registry.service import scope_instruments

    found = {
        i.id: i
        for i in session.scalars(
            scope_instruments(select(Instrument), principal).where(Instrument.id.in_(ids))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"instrument {missing[0]} not found")
    busy = session.scalar(
        select(BookingItem.instrument_id)
        .join(Booking, Booking.id == BookingItem.booking_id)
        .where(BookingItem.instrument_id.in_(ids), Booking.state.in_(OPEN_STATES))
        .limit(1)
    )
    if busy is not None:
        raise ConflictError(f"instrument {busy} is already in an open booking", code="already_booked")
    return [found[i] for i in ids]


def _check_verifier(session: Session, lab_id: int, instruments: Sequence[Instrument]) -> None:
    allowed = {v.id for v in verifiers_for(session, sorted({i.type_id for i in instruments}))}
    if lab_id not in allowed:
        raise InputError(
            f"organization {lab_id} is not a verifier authorised for these instruments",
            fields=[FieldError("lab_id", "not an authorised verifier for these instruments")],
        )


def _existing(session: Session, owner_id: int, key: str | None) -> Booking | None:
    if key is None:
        return None
    return session.scalar(select(Booking).where(Booking.owner_id == owner_id, Booking.idempotency_key == key))


def create_booking(session: Session, principal: Principal, req: BookingRequest, now: datetime) -> BookingView:
    """An owner books verification; the same ``idempotency_key`` again returns the same booking."""
    from jiliang.registry.service import book

    if principal.role is not Role.ENTERPRISE or principal.org_id is None:
        raise PermissionDeniedError("only instrument owners (enterprise users) book verifications")
    ids = tuple(dict.fromkeys(req.instrument_ids))
    again = _existing(session, principal.org_id, req.idempotency_key)
    if again is not None:
        return _view(session, principal, again)
    instruments = _check_instruments(session, principal, ids)
    _check_verifier(session, req.lab_id, instruments)
    booking = Booking(
        owner_id=principal.org_id,
        lab_id=req.lab_id,
        mode=req.mode,
        preferred_on=req.preferred_on,
        state=BOOKING.initial,
        version=1,
        contact=req.contact,
        note=req.note,
        idempotency_key=req.idempotency_key,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError:
        again = _existing(session, principal.org_id, req.idempotency_key)
        if again is None:
            raise
        return _view(session, principal, again)
    book(session, principal, ids, req.preferred_on, now.date(), req.lab_id)
    for i in ids:
        session.add(BookingItem(booking_id=booking.id, instrument_id=i))
    session.flush()
    _audit(session, principal, booking, "submit", None, None)
    mail.booking_event(session, booking, "submit", now)
    return _view(session, principal, booking)


# ---------------------------------------------------------------- transitions


def _audit(
    session: Session, principal: Principal, b: Booking, action: str, before: str | None, reason: str | None
) -> None:
    record(
        session,
        [
            AuditChange(
                action,
                "vf_booking",
                str(b.id),
                {"state": before} if before else None,
                {
                    "state": b.state,
                    "version": b.version,
                    "role": principal.role.value,
                    "org_id": principal.org_id,
                    "lab_id": b.lab_id,
                },
                reason,
            )
        ],
    )


def _release(session: Session, b: Booking, today: date) -> None:
    """Instruments of a booking that ends without results go back to their own status."""
    from jiliang.registry.status import status_for

    pending = select(BookingItem.instrument_id).where(
        BookingItem.booking_id == b.id, BookingItem.verification_id.is_(None)
    )
    for inst in session.scalars(select(Instrument).where(Instrument.id.in_(pending))):
        if inst.status == "booked":
            inst.status = status_for(inst.next_due_on, inst.last_result, today)
        inst.booked_on = None
        inst.booked_lab_id = None


def _reason(reason: str | None, action: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError(f"give a reason to {action}", fields=[FieldError("reason", "a reason is required")])
    if len(text) > 1000:
        raise InputError("reason is longer than 1000 characters", fields=[FieldError("reason", "too long")])
    return text


def act(
    session: Session,
    principal: Principal,
    booking_id: int,
    action: str,
    *,
    now: datetime,
    reason: str | None = None,
    on: date | None = None,
    lab_id: int | None = None,
    expected_version: int | None = None,
) -> BookingView:
    """Take ``action`` on a booking: accept, decline, schedule, start, cancel, reassign."""
    if action == "complete":
        raise ConflictError(
            "a booking completes when its last result is recorded", code="transition_not_allowed"
        )
    b = _load(session, principal, booking_id, lock=True)
    if expected_version is not None and expected_version != b.version:
        raise ConflictError(
            f"booking {b.id} changed meanwhile (version {b.version}, you had {expected_version}); reload",
            code="stale_version",
        )
    before = b.state
    target = BOOKING.step(b.state, action, parties_of(principal, b))
    note = reason
    if BOOKING.transition(action).needs_reason:
        note = _reason(reason, action)
    if action == "accept":
        b.receipt_no = f"SL{now.year}{b.id:07d}"
        b.accepted_at = now
    elif action == "schedule":
        if on is None or on < now.date():
            raise InputError("give a date from today on", fields=[FieldError("on", "date missing or past")])
        b.scheduled_on = on
    elif action in ("decline", "cancel"):
        b.reason = note
        _release(session, b, now.date())
    elif action == "reassign":
        _reassign(session, b, lab_id)
        b.reason = reason
    b.state = target
    b.version += 1
    b.updated_at = now
    session.flush()
    _audit(session, principal, b, action, before, note)
    mail.booking_event(session, b, action, now)
    return _view(session, principal, b)


def _reassign(session: Session, b: Booking, lab_id: int | None) -> None:
    if lab_id is None or lab_id == b.lab_id:
        raise InputError("choose another verifier", fields=[FieldError("lab_id", "choose another verifier")])
    instruments = list(
        session.scalars(
            select(Instrument)
            .join(BookingItem, BookingItem.instrument_id == Instrument.id)
            .where(BookingItem.booking_id == b.id)
        )
    )
    _check_verifier(session, lab_id, instruments)
    b.lab_id = lab_id
    b.receipt_no = None
    b.accepted_at = None
    b.scheduled_on = None
    for inst in instruments:  # booked with the new verifier (again, after a decline)
        if inst.status != "retired":
            inst.status = "booked"
            inst.booked_on = b.preferred_on
            inst.booked_lab_id = lab_id
