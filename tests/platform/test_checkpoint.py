"""Signed checkpoints anchor the audit chain: a shortened, rewound or emptied log fails verification
(contract: SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from jiliang.errors import ConflictError, InputError
from jiliang.platform.checkpoint import (
    Checkpoint,
    CheckpointKey,
    last_checkpoint,
    read_checkpoint_file,
    signature_ok,
    verify_anchored,
    write_checkpoint,
)
from jiliang.platform.models import AuditEntry, Organization

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def _write_orgs(db, *names: str) -> None:
    for name in names:
        with db.session(actor="alice") as s:
            s.add(Organization(name=name, kind="factory"))


def _checkpoint(db, data_dir, at=T0) -> Checkpoint:
    with db.session(actor="test") as s:
        return write_checkpoint(s, data_dir, at)


def _verify(db, data_dir, exported=()):
    with db.session() as s:
        return verify_anchored(s, data_dir, exported)


def _sql(db, *statements: str) -> None:
    with db.engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


def _rewind_one(db) -> None:
    """Delete the newest entry and set the stored head to the one before: the chain alone agrees."""
    with db.session() as s:
        last = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        prev = s.get(AuditEntry, last - 1)
        seq, digest = prev.seq, prev.hash
    _sql(
        db,
        f"DELETE FROM audit_entry WHERE seq = {last}",
        f"UPDATE audit_head SET seq = {seq}, hash = '{digest}'",
    )


def test_checkpoint_is_signed_stored_in_table_and_file(db, tmp_path):
    _write_orgs(db, "甲", "乙")
    cp = _checkpoint(db, tmp_path)
    assert (cp.entries, cp.at) == (2, T0)
    key = CheckpointKey(tmp_path)
    assert key.public_key() == cp.public_key and signature_ok(cp, cp.public_key)
    assert oct((tmp_path / "audit" / "checkpoint-ed25519.key").stat().st_mode & 0o777) == "0o600"
    assert read_checkpoint_file(key.log_path) == [cp]
    with db.session() as s:
        assert last_checkpoint(s) == cp
    r = _verify(db, tmp_path)
    assert r.ok and r.entries == 2 and r.checkpoints == 1


def test_file_is_append_only_json_lines(db, tmp_path):
    _write_orgs(db, "甲")
    _checkpoint(db, tmp_path)
    _write_orgs(db, "乙")
    _checkpoint(db, tmp_path, T0 + dt.timedelta(minutes=60))
    lines = CheckpointKey(tmp_path).log_path.read_text().splitlines()
    assert [json.loads(x)["entries"] for x in lines] == [1, 2]
    assert _verify(db, tmp_path).checkpoints == 2


def test_rewound_head_fails(db, tmp_path):
    """The probe's case: newest entry deleted and the head rewound passes the chain check alone."""
    from jiliang.platform import audit

    _write_orgs(db, "甲", "乙", "丙")
    _checkpoint(db, tmp_path)
    _rewind_one(db)
    with db.session() as s:
        assert audit.verify(s).ok  # the chain alone cannot tell
    r = _verify(db, tmp_path)
    assert not r.ok and "entries after 2 were removed" in r.reason and "counts 3" in r.reason


def test_deleted_log_fails(db, tmp_path):
    _write_orgs(db, "甲", "乙")
    _checkpoint(db, tmp_path)
    _sql(db, "DELETE FROM audit_entry", "DELETE FROM audit_head")
    r = _verify(db, tmp_path)
    assert not r.ok and "the audit log is empty but these tables hold rows: organization" in r.reason
    _sql(db, "DELETE FROM organization")  # the rows go too: the checkpoint still knows
    r = _verify(db, tmp_path)
    assert not r.ok and "entries after 0 were removed" in r.reason


def test_empty_log_beside_filled_tables_fails_without_any_checkpoint(db, tmp_path):
    _write_orgs(db, "甲")
    _sql(db, "DELETE FROM audit_entry", "DELETE FROM audit_head")
    r = _verify(db, tmp_path)
    assert not r.ok and "tables hold rows: organization" in r.reason


def test_empty_database_verifies(db, tmp_path):
    r = _verify(db, tmp_path)
    assert r.ok and r.entries == 0 and r.reason == "no checkpoint written yet"


def test_rewritten_head_after_checkpoint_fails(db, tmp_path):
    """The tail is cut and new entries are written on top: the count is back, the head differs."""
    _write_orgs(db, "甲", "乙")
    _checkpoint(db, tmp_path)
    _rewind_one(db)
    _write_orgs(db, "丁")
    r = _verify(db, tmp_path)
    assert not r.ok and r.first_bad_seq == 2 and "head rewritten" in r.reason


def test_tampered_checkpoint_signature_fails(db, tmp_path):
    _write_orgs(db, "甲", "乙")
    _checkpoint(db, tmp_path)
    _sql(db, "UPDATE audit_checkpoint SET entries = 1")
    r = _verify(db, tmp_path)
    assert not r.ok and "bad signature" in r.reason


def test_checkpoint_signed_by_another_key_fails(db, tmp_path):
    _write_orgs(db, "甲")
    _checkpoint(db, tmp_path / "other")
    r = _verify(db, tmp_path / "other")
    assert r.ok
    # the data folder's key was replaced: the stored checkpoint no longer verifies
    (tmp_path / "other" / "audit" / "checkpoint-ed25519.pub").write_text("ab" * 32 + "\n")
    r = _verify(db, tmp_path / "other")
    assert not r.ok and "bad signature" in r.reason


def test_removed_checkpoints_fail(db, tmp_path):
    _write_orgs(db, "甲")
    _checkpoint(db, tmp_path)
    _sql(db, "DELETE FROM audit_checkpoint")
    CheckpointKey(tmp_path).log_path.unlink()
    r = _verify(db, tmp_path)
    assert not r.ok and "none is left" in r.reason


def test_checkpoint_file_outlives_the_table(db, tmp_path):
    _write_orgs(db, "甲", "乙")
    _checkpoint(db, tmp_path)
    _sql(db, "DELETE FROM audit_checkpoint")
    _rewind_one(db)
    r = _verify(db, tmp_path)
    assert not r.ok and "were removed" in r.reason


def test_exported_checkpoint_catches_what_the_data_folder_lost(db, tmp_path):
    _write_orgs(db, "甲", "乙")
    exported = _checkpoint(db, tmp_path)
    path = tmp_path / "kept-elsewhere.json"
    path.write_text(json.dumps(exported.as_dict(), indent=2))
    _sql(db, "DELETE FROM audit_checkpoint")
    CheckpointKey(tmp_path).log_path.unlink()
    _rewind_one(db)
    (loaded,) = read_checkpoint_file(path)
    r = _verify(db, tmp_path, [loaded])
    assert not r.ok and "were removed" in r.reason
    forged = replace(loaded, entries=1)
    r = _verify(db, tmp_path, [forged])
    assert not r.ok and "bad signature" in r.reason


def test_broken_chain_is_never_signed(db, tmp_path):
    _write_orgs(db, "甲", "乙")
    _sql(db, "UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(ConflictError, match="entry 2 was altered"), db.session() as s:
        write_checkpoint(s, tmp_path, T0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "JSON object"),
        ('{"entries": 1}', "lacks the field"),
        ("not json", "not JSON"),
        (
            json.dumps(
                {
                    "entries": -1,
                    "head": "0" * 64,
                    "at": T0.isoformat(),
                    "public_key": "0" * 64,
                    "signature": "0" * 128,
                }
            ),
            "must be a count",
        ),
        (
            json.dumps(
                {
                    "entries": 1,
                    "head": "xyz",
                    "at": T0.isoformat(),
                    "public_key": "0" * 64,
                    "signature": "0" * 128,
                }
            ),
            "64 hex digits",
        ),
        (
            json.dumps(
                {
                    "entries": 1,
                    "head": "0" * 64,
                    "at": "2026-11-30T08:00",
                    "public_key": "0" * 64,
                    "signature": "0" * 128,
                }
            ),
            "no UTC offset",
        ),
    ],
)
def test_malformed_checkpoint_file_is_refused(tmp_path, content, message):
    path = tmp_path / "cp.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_checkpoint_file(path)


def test_served_app_writes_checkpoints_at_start_and_stop(tmp_path, monkeypatch):
    """``jiliang serve`` builds the app with create_app_from_env: its lifespan anchors the log."""
    from fastapi.testclient import TestClient

    from jiliang.app import create_app_from_env
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade

    for name in [k for k in os.environ if k.startswith("JILIANG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JILIANG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JILIANG_SECRET_KEY", "test-secret-key-0123456789")
    db = Database(f"sqlite:///{tmp_path / 'jiliang.sqlite3'}")
    upgrade(db)
    _write_orgs(db, "甲")
    db.dispose()
    app = create_app_from_env()
    with TestClient(app):
        assert len(read_checkpoint_file(CheckpointKey(tmp_path).log_path)) == 1
    app.state.db.dispose()
    written = read_checkpoint_file(CheckpointKey(tmp_path).log_path)
    assert [c.entries for c in written] == [1, 1]
