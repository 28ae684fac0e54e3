"""Reading the audit log: filtered pages, the filter's choices, and the names of the people.

The log itself (:mod:`jiliang.platform.audit`) keeps table names, user names and JSON snapshots;
this module finds the entries a reader asks for — by actor, kind of entity, action and date
range, newest first — and gives each entry the actor's display name, the entity's own label
(a serial, a name, a number, taken from the entry that created it) and its changed fields as
``(field, before, after)`` triples, so the console can say what happened in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from jiliang.platform.models import AuditEntry, AuditHead, User

__all__ = [
    "AuditFilter",
    "AuditRow",
    "audit_actors",
    "audit_count",
    "audit_entries",
    "audit_page",
    "audit_rows",
]

# fields of a snapshot that name the row, in order of preference
LABEL_FIELDS = ("serial", "number", "code", "prefix", "name", "username", "receipt_no", "approval_no")
# bookkeeping fields never shown as a change
HIDDEN_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "password_hash"})
MAX_EXPORT = 100_000
COUNT_CAP = 10_000  # a filtered count stops here ("10,000 or more")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to list; ``None`` or empty means any. Dates are inclusive, in UTC."""

    actor: str | None = None
    entity: str | None = None
    action: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self, stmt: Select[Any]) -> Select[Any]:
        if self.actor:
            stmt = stmt.where(AuditEntry.actor == self.actor)
        if self.entity:
            stmt = stmt.where(AuditEntry.entity == self.entity)
        if self.action:
            stmt = stmt.where(AuditEntry.action == self.action)
        if self.since:
            start = dt.datetime.combine(self.since, dt.time(), tzinfo=dt.UTC)
            stmt = stmt.where(AuditEntry.at >= start)
        if self.until:
            end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            stmt = stmt.where(AuditEntry.at < end)
        return stmt


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One entry as a reader sees it."""

    seq: int
    at: dt.datetime
    actor: str
    actor_name: str
    action: str
    entity: str
    entity_id: str
    label: str | None
    changes: tuple[tuple[str, Any, Any], ...]
    note: str | None


def _changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[tuple[str, Any, Any], ...]:
    b, a = dict(before or {}), dict(after or {})
    keys = [k for k in dict.fromkeys([*b, *a]) if k not in HIDDEN_FIELDS]
    return tuple((k, b.get(k), a.get(k)) for k in keys if b.get(k) != a.get(k))


def _label_of(snapshot: Mapping[str, Any] | None) -> str | None:
    for key in LABEL_FIELDS:
        value = (snapshot or {}).get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _labels(session: Session, entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """The label of each entity, from the entry that created it (one query for the page)."""
    wanted = {(e.entity, e.entity_id) for e in entries}
    found: dict[tuple[str, str], str] = {}
    for e in entries:
        label = _label_of(e.after) or _label_of(e.before)
        if label:
            found[e.entity, e.entity_id] = label
    missing = [k for k in wanted if k not in found]
    if missing:
        cond = or_(*(and_(AuditEntry.entity == ent, AuditEntry.entity_id == eid) for ent, eid in missing))
        stmt = select(AuditEntry.entity, AuditEntry.entity_id, AuditEntry.after)
        for ent, eid, after in session.execute(stmt.where(AuditEntry.action == "insert", cond)):
            label = _label_of(after)
            if label:
                found[ent, eid] = label
    return found


def _names(session: Session, actors: set[str]) -> dict[str, str]:
    if not actors:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(actors)))
    return {u: d for u, d in rows}


def _rows(session: Session, entries: list[AuditEntry]) -> list[AuditRow]:
    labels = _labels(session, entries)
    names = _names(session, {e.actor for e in entries})
    return [
        AuditRow(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            actor_name=names.get(e.actor, e.actor),
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            label=labels.get((e.entity, e.entity_id)),
            changes=_changes(e.before, e.after),
            note=e.note,
        )
        for e in entries
    ]


def audit_page(
    session: Session, flt: AuditFilter, offset: int = 0, limit: int = 50, count_cap: int = COUNT_CAP
) -> tuple[list[AuditRow], int, bool]:
    """One page of the filtered log, newest first; how many entries the filter holds (counted up
    to ``count_cap``; the whole log is counted from its chain head) and whether there are more."""
    entries = list(
        session.scalars(
            flt.where(select(AuditEntry)).order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
        )
    )
    if flt == AuditFilter():
        return _rows(session, entries), audit_count(session), False
    capped = flt.where(select(AuditEntry.seq)).limit(count_cap + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(capped)) or 0)
    return _rows(session, entries), min(total, count_cap), total > count_cap


def audit_rows(session: Session, flt: AuditFilter, batch: int = 1000) -> Iterator[AuditRow]:
    """Every entry of the filter, newest first (at most :data:`MAX_EXPORT`), read in batches."""
    last: int | None = None
    sent = 0
    while sent < MAX_EXPORT:
        stmt = flt.where(select(AuditEntry)).order_by(AuditEntry.seq.desc()).limit(batch)
        if last is not None:
            stmt = stmt.where(AuditEntry.seq < last)
        entries = list(session.scalars(stmt))
        if not entries:
            return
        yield from _rows(session, entries)
        sent += len(entries)
        last = entries[-1].seq
        session.expunge_all()


def audit_actors(session: Session) -> list[tuple[str, str]]:
    """The users who can appear as actors (user name, display name), for the filter's list; the
    platform's own actors (demo, system) are added by the caller."""
    return [
        (u, d) for u, d in session.execute(select(User.username, User.display_name).order_by(User.username))
    ]


def audit_entries(
    session: Session,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """Raw entries of the log, newest first, for one kind of record (and one record) or all."""
    stmt = select(AuditEntry)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)))


def audit_count(session: Session) -> int:
    """How many entries the log holds: the chain head's sequence number (one row, not a count)."""
    return int(session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)) or 0)
