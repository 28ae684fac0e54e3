"""The data behind a cheating check: the files a person submitted for a site, kept as received.

A submission records who submitted the files and when, the SHA-256 of each file and of the whole
set, and the choices made with them (approved software identifications, the chargers' accuracy
class). The bytes are stored compressed and checked against their SHA-256 whenever they are read
back, so an analysis can be traced to its data, downloaded and run again.

Examples
--------
>>> files_digest({"tank": b"ts\\n", "events": None}) == files_digest({"tank": b"ts\\n"})
True
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import JiliangError, NotFoundError
from jiliang.meters.cheatmodels import CheatSubmission, CheatSubmissionFile
from jiliang.platform.audit import AuditChange, record

__all__ = [
    "FILE_NAMES",
    "DataIntegrityError",
    "FileView",
    "SubmissionView",
    "file_row",
    "files_digest",
    "load_files",
    "store_submission",
    "submission_view",
]

FILE_NAMES = {
    "fuel_station": ("totalisers", "tank", "events"),
    "charging_site": ("registers", "sessions"),
}


class DataIntegrityError(JiliangError):
    """Stored bytes no longer match the SHA-256 taken when they were received."""

    code = "cheat_data_corrupt"
    status = 500


@dataclass(frozen=True, slots=True)
class FileView:
    """One stored file: ``size`` in bytes as received, ``sha256`` of those bytes."""

    id: int
    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class SubmissionView:
    """A submission: who sent which files when, the digest of the set, the choices made with it."""

    id: int
    site_id: int
    submitted_at: datetime
    submitted_by: str
    data_digest: str
    params: dict[str, Any]
    files: tuple[FileView, ...]


def files_digest(files: Mapping[str, bytes | None]) -> str:
    """SHA-256 over the names and SHA-256 of the files given (absent files do not count)."""
    h = hashlib.sha256()
    for name in sorted(n for n, v in files.items() if v is not None):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name] or b"").digest())
    return h.hexdigest()


def store_submission(
    session: Session,
    site_id: int,
    actor: str,
    now: datetime,
    files: Mapping[str, bytes | None],
    params: dict[str, Any],
) -> CheatSubmission:
    """Keep the files (compressed) with who and when; audited with the digests, not the bytes."""
    sub = CheatSubmission(
        site_id=site_id,
        submitted_at=now,
        submitted_by=actor[:64],
        data_digest=files_digest(files),
        params=params,
    )
    session.add(sub)
    session.flush()
    kept: dict[str, dict[str, Any]] = {}
    for name in sorted(files):
        data = files[name]
        if data is None:
            continue
        sha = hashlib.sha256(data).hexdigest()
        session.add(
            CheatSubmissionFile(
                submission_id=sub.id, name=name, sha256=sha, size=len(data), content=zlib.compress(data, 6)
            )
        )
        kept[name] = {"sha256": sha, "size": len(data)}
    session.flush()
    after = {"site_id": site_id, "digest": sub.data_digest, "files": kept, "params": params}
    record(session, [AuditChange("insert", "cheat_submission", str(sub.id), after=after,
                                 note="data submitted for a cheating check")])  # fmt: skip
    return sub


def _unpack(row: CheatSubmissionFile) -> bytes:
    try:
        data = zlib.decompress(row.content)
    except zlib.error:
        data = b""
    if len(data) != row.size or hashlib.sha256(data).hexdigest() != row.sha256:
        raise DataIntegrityError(
            f"stored file {row.name} of submission {row.submission_id} does not match its SHA-256"
        )
    return data


def load_files(session: Session, submission_id: int) -> dict[str, bytes]:
    """The files of a submission, each checked against its SHA-256."""
    rows = session.scalars(
        select(CheatSubmissionFile).where(CheatSubmissionFile.submission_id == submission_id)
    )
    return {r.name: _unpack(r) for r in rows}


def submission_view(session: Session, submission_id: int) -> SubmissionView | None:
    """The submission with its files (names, sizes, digests; not the bytes)."""
    sub = session.get(CheatSubmission, submission_id)
    if sub is None:
        return None
    q = (
        select(
            CheatSubmissionFile.id,
            CheatSubmissionFile.name,
            CheatSubmissionFile.size,
            CheatSubmissionFile.sha256,
        )
        .where(CheatSubmissionFile.submission_id == sub.id)
        .order_by(CheatSubmissionFile.id)
    )
    files = tuple(FileView(int(i), str(n), int(s), str(h)) for i, n, s, h in session.execute(q))
    return SubmissionView(
        sub.id, sub.site_id, sub.submitted_at, sub.submitted_by, sub.data_digest, dict(sub.params), files
    )


def file_row(session: Session, file_id: int) -> tuple[CheatSubmission, str, bytes]:
    """A stored file's submission, name and bytes (checked); the caller checks who may read it."""
    row = session.get(CheatSubmissionFile, file_id)
    sub = session.get(CheatSubmission, row.submission_id) if row is not None else None
    if row is None or sub is None:
        raise NotFoundError(f"no submitted file {file_id}")
    return sub, row.name, _unpack(row)
