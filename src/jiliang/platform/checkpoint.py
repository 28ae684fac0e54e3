"""Signed checkpoints that anchor the audit chain outside its own tables.

The hash chain (:mod:`jiliang.platform.audit`) shows that entries were altered, removed or moved,
but whoever can write the tables can also delete the newest entries and rewind the stored head, or
empty the whole log. A checkpoint fixes the chain's length and head hash at a moment:

* it holds ``entries`` (the count), ``head`` (the hash of entry number ``entries``) and ``at``
  (wall-clock time, UTC), signed with an Ed25519 key kept in ``<data_dir>/audit/`` (created on
  first use, private key readable by the owner only; its public key is written beside it and in
  every checkpoint);
* it is stored in the ``audit_checkpoint`` table *and* appended as one JSON line to
  ``<data_dir>/audit/checkpoints.jsonl``; ``jiliang audit checkpoint --export FILE`` copies the
  newest one to a file that can be kept elsewhere (on paper, in another system).

:func:`verify_anchored` fails when the chain is broken, when a checkpoint's signature does not
verify with the data folder's key, when the log has fewer entries than a checkpoint or the entry a
checkpoint names has another hash (a removed tail, a rewound head), when checkpoints were written
but none is found any more, and when the log is empty while audited tables hold rows.

Not a trusted timestamp: the time is the server's clock. Entries written after the newest
checkpoint are protected by the chain only until the next checkpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError
from jiliang.platform.audit import GENESIS, VerifyResult, verify, verify_from
from jiliang.platform.db import Base
from jiliang.platform.models import AuditCheckpoint, Audited, AuditEntry, AuditHead

__all__ = [
    "Checkpoint",
    "CheckpointKey",
    "audited_tables_with_rows",
    "last_checkpoint",
    "read_checkpoint_file",
    "signature_ok",
    "verify_anchored",
    "write_checkpoint",
]

FOLDER = "audit"
KEY_FILE = "checkpoint-ed25519.key"
PUBLIC_FILE = "checkpoint-ed25519.pub"
LOG_FILE = "checkpoints.jsonl"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: the audit log had ``entries`` entries ending in ``head`` at ``at``."""

    entries: int
    head: str
    at: dt.datetime
    public_key: str
    signature: str

    def body(self) -> bytes:
        """The signed bytes (canonical JSON without the signature)."""
        data = {
            "version": _VERSION,
            "entries": self.entries,
            "head": self.head,
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "public_key": self.public_key,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": _VERSION,
            "entries": self.entries,
            "head": self.head,
            "at": self.at.astimezone(dt.UTC).isoformat(),
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        """Read a checkpoint from its JSON form; :class:`InputError` when it is malformed."""
        if not isinstance(data, dict):
            raise InputError("a checkpoint is a JSON object")
        try:
            entries, head, at = data["entries"], data["head"], data["at"]
            public_key, signature = data["public_key"], data["signature"]
        except KeyError as exc:
            raise InputError(f"the checkpoint lacks the field {exc.args[0]!r}") from None
        if not isinstance(entries, int) or isinstance(entries, bool) or entries < 0:
            raise InputError(f"checkpoint entries must be a count, got {entries!r}")
        for name, value, size in (
            ("head", head, 64),
            ("public_key", public_key, 64),
            ("signature", signature, 128),
        ):
            if not isinstance(value, str) or len(value) != size or not _is_hex(value):
                raise InputError(f"checkpoint {name} must be {size} hex digits")
        try:
            when = dt.datetime.fromisoformat(str(at))
        except ValueError:
            raise InputError(f"checkpoint time {at!r} is not ISO 8601") from None
        if when.tzinfo is None:
            raise InputError(f"checkpoint time {at!r} has no UTC offset")
        return cls(entries, head, when.astimezone(dt.UTC), public_key, signature)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


class CheckpointKey:
    """The Ed25519 key of the checkpoints in ``<data_dir>/audit/`` (created on first use)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / FOLDER

    @property
    def log_path(self) -> Path:
        return self.folder / LOG_FILE

    def public_key(self) -> str | None:
        """The public key (64 hex digits), or None when no checkpoint key was ever created."""
        path = self.folder / PUBLIC_FILE
        if not path.is_file():
            return None
        return path.read_text(encoding="ascii").strip()

    def _private(self) -> Any:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
            load_pem_private_key,
        )

        path = self.folder / KEY_FILE
        self.folder.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # created meanwhile by another process: use that one
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem)
                (self.folder / PUBLIC_FILE).write_text(_public_hex(key.public_key()) + "\n", encoding="ascii")
                return key
        loaded = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ConflictError(f"{path} is not an Ed25519 private key")
        public = self.folder / PUBLIC_FILE
        if not public.is_file():
            public.write_text(_public_hex(loaded.public_key()) + "\n", encoding="ascii")
        return loaded

    def sign(self, entries: int, head: str, at: dt.datetime) -> Checkpoint:
        key = self._private()
        unsigned = Checkpoint(entries, head, at.astimezone(dt.UTC), _public_hex(key.public_key()), "0" * 128)
        return replace(unsigned, signature=key.sign(unsigned.body()).hex())

    def append(self, checkpoint: Checkpoint) -> None:
        """Append one JSON line to the checkpoint file (flushed to disk)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(checkpoint.as_dict(), sort_keys=True) + "\n"
        with self.log_path.open("a", encoding="ascii") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


def _public_hex(public: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return bytes(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hex()


def signature_ok(checkpoint: Checkpoint, public_key: str) -> bool:
    """Whether ``checkpoint`` is signed by ``public_key`` (hex) and names that key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if checkpoint.public_key != public_key:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(checkpoint.signature), checkpoint.body()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def read_checkpoint_file(path: Path) -> list[Checkpoint]:
    """Checkpoints from a JSON-lines file, or from an exported JSON file (one object)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the checkpoint file {path}: {exc}") from None
    stripped = text.strip()
    if not stripped:
        return []
    try:
        return [Checkpoint.from_dict(json.loads(stripped))]  # an exported file: one object
    except json.JSONDecodeError:
        pass
    try:
        return [Checkpoint.from_dict(json.loads(line)) for line in stripped.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{Path(path).name}: not JSON ({exc.msg}, line {exc.lineno})") from None


def _stored(session: Session) -> list[Checkpoint]:
    return [
        Checkpoint(c.entries, c.head, c.at, c.public_key, c.signature)
        for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    ]


def last_checkpoint(session: Session) -> Checkpoint | None:
    """The newest checkpoint stored in the table."""
    c = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    return None if c is None else Checkpoint(c.entries, c.head, c.at, c.public_key, c.signature)


def write_checkpoint(session: Session, data_dir: Path, at: dt.datetime) -> Checkpoint:
    """Sign the chain's current length and head, store it in the table and append it to the file.

    The entries since the previous checkpoint are checked first, so a broken chain is never signed
    (:class:`~jiliang.errors.ConflictError`).
    """
    previous = last_checkpoint(session)
    start = (previous.entries, previous.head) if previous is not None else (0, GENESIS)
    check = verify_from(session, *start)
    if not check.ok:
        raise ConflictError(f"the audit chain is broken, no checkpoint written: {check.reason}")
    head = session.get(AuditHead, 1)
    entries, digest = (head.seq, head.hash) if head is not None else (0, GENESIS)
    key = CheckpointKey(data_dir)
    checkpoint = key.sign(entries, digest, at)
    session.add(
        AuditCheckpoint(
            entries=checkpoint.entries,
            head=checkpoint.head,
            at=checkpoint.at,
            public_key=checkpoint.public_key,
            signature=checkpoint.signature,
        )
    )
    session.flush()
    key.append(checkpoint)
    return checkpoint


def audited_tables_with_rows(session: Session) -> list[str]:
    """Tables of audited rows (every loaded :class:`Audited` model) that hold at least one row."""
    found = []
    for mapper in Base.registry.mappers:
        if not issubclass(mapper.class_, Audited):
            continue
        table = mapper.local_table
        if session.execute(
            select(func.count()).select_from(select(1).select_from(table).limit(1).subquery())
        ).scalar():
            found.append(str(getattr(table, "name", table)))
    return sorted(found)


def _dedupe(items: Iterable[Checkpoint]) -> list[Checkpoint]:
    seen: dict[tuple[int, str, str], Checkpoint] = {}
    for c in items:
        seen.setdefault((c.entries, c.head, c.signature), c)
    return sorted(seen.values(), key=lambda c: (c.entries, c.at))


def _hashes(session: Session, seqs: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    wanted = sorted({s for s in seqs if s > 0})
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        rows = session.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(chunk)))
        out.update((int(seq), str(digest)) for seq, digest in rows)
    return out


def verify_anchored(session: Session, data_dir: Path, exported: Sequence[Checkpoint] = ()) -> VerifyResult:
    """Verify the chain and every checkpoint (table, file, ``exported``); see the module docstring."""
    result = verify(session)
    if not result.ok:
        return result
    n = result.entries
    if n == 0:
        filled = audited_tables_with_rows(session)
        if filled:
            return VerifyResult(
                False, 0, 1, f"the audit log is empty but these tables hold rows: {', '.join(filled)}"
            )
    key = CheckpointKey(data_dir)
    file_items = read_checkpoint_file(key.log_path) if key.log_path.is_file() else []
    checkpoints = _dedupe([*_stored(session), *file_items, *exported])
    # the data folder's key; without it, the key named by an exported checkpoint kept elsewhere
    public = key.public_key() or (exported[0].public_key if exported else None)
    if public is None:
        if checkpoints:
            return VerifyResult(False, n, None, f"checkpoints exist but the key {PUBLIC_FILE} is missing")
        return replace(result, reason="no checkpoint written yet")
    if not checkpoints:
        return VerifyResult(False, n, None, "checkpoints were written (the key exists) but none is left")
    for c in checkpoints:
        if not signature_ok(c, public):
            return VerifyResult(False, n, None, f"checkpoint of {c.at.isoformat()} has a bad signature")
    hashes = _hashes(session, [c.entries for c in checkpoints])
    for c in checkpoints:
        when = c.at.isoformat()
        if c.entries > n:
            return VerifyResult(
                False, n, n + 1, f"entries after {n} were removed (checkpoint of {when} counts {c.entries})"
            )
        if (hashes.get(c.entries) if c.entries else GENESIS) != c.head:
            return VerifyResult(
                False,
                n,
                c.entries,
                f"entry {c.entries} differs from the checkpoint of {when} (head rewritten)",
            )
    return replace(result, checkpoints=len(checkpoints))
