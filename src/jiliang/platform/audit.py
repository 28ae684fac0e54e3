"""The audit log: append-only and hash-chained.

Every insert, update and delete of an :class:`~jiliang.platform.models.Audited` row is recorded
automatically when the session flushes; bulk writes that bypass the ORM call :func:`record`.
Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical JSON,
so altering, removing or reordering any entry breaks the chain from that entry on, and
:func:`verify` names the first bad one. The chain head (last sequence number and hash) is kept in
its own row, updated in the same transaction, so a removed tail is detected too — unless the head
is rewound with it: signed checkpoints kept outside the tables (:mod:`jiliang.platform.checkpoint`)
catch that.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session

from jiliang.platform.db import utcnow
from jiliang.platform.models import Audited, AuditEntry, AuditHead

__all__ = [
    "GENESIS",
    "AuditChange",
    "VerifyResult",
    "install",
    "record",
    "verify",
    "verify_from",
]

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditChange:
    """One change to record: ``action`` is insert, update, delete or a verb like ``login``."""

    action: str
    entity: str
    entity_id: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None
    checkpoints: int = 0


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    return str(value)


_PLAIN = (str, int, float, bool, type(None))


def _normalize(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The values as they will read back from the JSON column (dates as ISO text, …)."""
    if value is None:
        return None
    if all((isinstance(v, _PLAIN) and not isinstance(v, float)) or _finite(v) for v in value.values()):
        return dict(value)  # already plain JSON: skip the round trip (bulk imports write many)
    normalized: dict[str, Any] = json.loads(json.dumps(dict(value), default=_default))
    return normalized


def _finite(v: Any) -> bool:
    return isinstance(v, float) and v == v and v not in (float("inf"), float("-inf"))


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
    note: str | None,
) -> str:
    body = {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "note": note,
    }
    return hashlib.sha256(prev_hash.encode("ascii") + _canonical(body)).hexdigest()


def record(session: Session, changes: Iterable[AuditChange], actor: str | None = None) -> int:
    """Append entries for ``changes`` in the session's transaction; return how many."""
    items = list(changes)
    if not items:
        return 0
    who = actor or session.info.get("actor") or "system"
    conn = session.connection()
    # Take the chain's write lock first (a row lock on PostgreSQL, the write lock on SQLite).
    locked = conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    if locked.rowcount == 0:
        conn.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))
    head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    seq, prev = int(head.seq), str(head.hash)
    at = utcnow()
    rows = []
    for change in items:
        seq += 1
        before, after = _normalize(change.before), _normalize(change.after)
        digest = entry_hash(
            prev, seq, at, who, change.action, change.entity, change.entity_id, before, after, change.note
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": who,
                "action": change.action,
                "entity": change.entity,
                "entity_id": change.entity_id,
                "before": before,
                "after": after,
                "prev_hash": prev,
                "hash": digest,
                "note": change.note,
            }
        )
        prev = digest
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    return len(rows)


def _columns(obj: Any) -> list[str]:
    exclude = set(getattr(obj, "__audit_exclude__", ()))
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in exclude]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in _columns(obj)}


def _identity(obj: Any) -> str:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in ident)


def _changes_of(session: Session) -> list[AuditChange]:
    changes: list[AuditChange] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            changes.append(AuditChange("insert", obj.__tablename__, _identity(obj), None, _snapshot(obj)))  # type: ignore[attr-defined]
    for obj in session.dirty:
        if not isinstance(obj, Audited) or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        assert state is not None
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for key in _columns(obj):
            hist = state.attrs[key].history
            if hist.has_changes():
                before[key] = hist.deleted[0] if hist.deleted else None
                after[key] = hist.added[0] if hist.added else None
        if after:
            changes.append(AuditChange("update", obj.__tablename__, _identity(obj), before, after))  # type: ignore[attr-defined]
    for obj in session.deleted:
        if isinstance(obj, Audited):
            changes.append(AuditChange("delete", obj.__tablename__, _identity(obj), _snapshot(obj), None))  # type: ignore[attr-defined]
    return changes


def _after_flush(session: Session, _context: Any) -> None:
    record(session, _changes_of(session))


def install() -> None:
    """Record ORM writes of audited rows on every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def _walk(session: Session, last: int, prev: str, batch: int) -> tuple[VerifyResult | None, int, str]:
    """Check the entries after ``last`` (whose hash is ``prev``); a failure, the count and the head."""
    expected_seq = last + 1
    count = last
    while True:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not entries:
            return None, count, prev
        for e in entries:
            count += 1
            if e.seq != expected_seq:
                return (
                    VerifyResult(False, count, expected_seq, f"entry {expected_seq} is missing"),
                    count,
                    prev,
                )
            if e.prev_hash != prev:
                bad = VerifyResult(False, count, e.seq, f"entry {e.seq} does not follow entry {e.seq - 1}")
                return bad, count, prev
            digest = entry_hash(
                prev, e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.before, e.after, e.note
            )
            if digest != e.hash:
                return VerifyResult(False, count, e.seq, f"entry {e.seq} was altered"), count, prev
            prev = e.hash
            expected_seq += 1
            last = e.seq
        session.expunge_all()


def _head_matches(session: Session, count: int, prev: str) -> VerifyResult:
    head = session.get(AuditHead, 1)
    if head is None:
        if count:
            return VerifyResult(False, count, 1, "chain head is missing")
        return VerifyResult(True, 0)
    if head.seq != count or head.hash != prev:
        return VerifyResult(False, count, count + 1, f"entries after {count} were removed")
    return VerifyResult(True, count)


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order and report the first entry that was altered, removed or moved.

    This checks the chain against itself and its stored head only; a log shortened together with
    its head is caught against the signed checkpoints (:func:`jiliang.platform.checkpoint.verify_anchored`).
    """
    bad, count, prev = _walk(session, 0, GENESIS, batch)
    return bad or _head_matches(session, count, prev)


def verify_from(session: Session, seq: int, hash_: str, batch: int = 5000) -> VerifyResult:
    """Check only the entries after entry ``seq``, which must have the hash ``hash_``."""
    if seq:
        stored = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
        if stored != hash_:
            return VerifyResult(False, seq, seq, f"entry {seq} differs from the last checkpoint")
    elif hash_ != GENESIS:
        return VerifyResult(False, 0, 1, "the last checkpoint does not start the chain")
    bad, count, prev = _walk(session, seq, hash_, batch)
    return bad or _head_matches(session, count, prev)
