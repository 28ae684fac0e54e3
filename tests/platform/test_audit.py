"""The audit log: every write recorded, append-only, hash-chained (contract: SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import delete, select, text, update

from jiliang.platform import audit
from jiliang.platform.models import AuditEntry, AuditHead, Organization


def _write_some(db) -> None:
    with db.session(actor="alice") as s:
        s.add(Organization(name="甲公司", kind="factory"))
        s.add(Organization(name="乙公司", kind="market"))
    with db.session(actor="bob") as s:
        org = s.scalar(select(Organization).where(Organization.name == "甲公司"))
        org.address = "江城区1号"
    with db.session(actor="carol") as s:
        s.delete(s.scalar(select(Organization).where(Organization.name == "乙公司")))


def test_every_write_is_recorded_with_before_and_after(db):
    _write_some(db)
    with db.session() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [(e.actor, e.action) for e in entries] == [
            ("alice", "insert"),
            ("alice", "insert"),
            ("bob", "update"),
            ("carol", "delete"),
        ]
        upd = entries[2]
        assert upd.before == {"address": None} and upd.after == {"address": "江城区1号"}
        assert entries[3].before["name"] == "乙公司" and entries[3].after is None
        assert entries[0].after["name"] == "甲公司"
        assert audit.verify(s).ok


def test_rolled_back_write_leaves_no_entry(db):
    try:
        with db.session(actor="x") as s:
            s.add(Organization(name="丙", kind="lab"))
            s.flush()
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    with db.session() as s:
        assert s.scalar(select(AuditEntry.seq)) is None
        assert audit.verify(s).ok


def _tamper(db, sql: str) -> audit.VerifyResult:
    with db.engine.begin() as conn:
        conn.execute(text(sql))
    with db.session() as s:
        return audit.verify(s)


def test_altered_entry_is_named(db):
    _write_some(db)
    r = _tamper(db, "UPDATE audit_entry SET actor = 'mallory' WHERE seq = 3")
    assert not r.ok and r.first_bad_seq == 3 and "altered" in r.reason


def test_removed_entry_is_named(db):
    _write_some(db)
    r = _tamper(db, "DELETE FROM audit_entry WHERE seq = 2")
    assert not r.ok and r.first_bad_seq == 2 and "missing" in r.reason


def test_removed_tail_is_detected(db):
    _write_some(db)
    r = _tamper(db, "DELETE FROM audit_entry WHERE seq = 4")
    assert not r.ok and r.first_bad_seq == 4


def test_reordered_entries_are_detected(db):
    _write_some(db)
    with db.engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=-2))
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2))
        conn.execute(update(AuditEntry).where(AuditEntry.seq == -2).values(seq=3))
    with db.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.first_bad_seq == 2


def test_recomputed_forgery_is_caught_by_the_following_entry(db):
    """Rewriting an entry and its own hash still breaks the link to the next entry."""
    _write_some(db)
    with db.session() as s:
        e = s.get(AuditEntry, 2)
        forged = audit.entry_hash(
            e.prev_hash, e.seq, e.at, "mallory", e.action, e.entity, e.entity_id, e.before, e.after, e.note
        )
    with db.engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="mallory", hash=forged))
    with db.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.first_bad_seq == 3


def test_empty_log_verifies(db):
    with db.session() as s:
        assert audit.verify(s) == audit.VerifyResult(True, 0)
        s.execute(delete(AuditHead))
