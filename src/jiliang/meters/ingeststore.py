"""The readings store of streaming collection: date-partitioned Parquet with a write-ahead commit.

Store layout (what :func:`jiliang.meters.engine.run_local` and the Spark engine read as they are)::

    STORE/area_id=<area>/date=<YYYY-MM-DD>/part-<batch>.parquet   readings (meter_id, ts, register_kwh, current_a)
    STORE/_ingest/manifest.jsonl       one line per committed batch: the commit record
    STORE/_ingest/staging/<batch>.<i>  file i of a batch (in the order of the commit record's ``files``)
                                       before it is moved into place (write-ahead)
    STORE/_ingest/quarantine/<batch>.jsonl   refused messages and readings, with the reason
    STORE/_ingest/conflicts/<batch>.jsonl    readings that conflict with the one stored for (meter_id, ts)

A batch is made durable in this order, under an exclusive lock on ``_ingest/commit.lock`` (several
ingestors may share one store on one machine): files written to staging and fsynced (in parallel)
and the staging folder fsynced; the commit record appended to the manifest and fsynced; files
renamed into place and their folders fsynced; only then does :meth:`Store.commit` return and the
caller acknowledge the batch's messages. A crash before the commit record leaves staging files
that the next start deletes (the broker redelivers the unacknowledged messages); a crash after it
is finished by the next start (renames are redone) and the redelivered messages are then
recognised as duplicates: their readings are already stored, their quarantine and conflict entries
already recorded (kept once, by digest).

De-duplication on (meter_id, ts) uses a :class:`~jiliang.meters.keyindex.PartitionIndex` per
partition, loaded from the partition's files when first needed and refreshed with the files other
ingestors added; the least recently used partitions are dropped beyond ``index_entries`` keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from jiliang.meters.keyindex import DAY_US, PartitionIndex
from jiliang.meters.stream import Columns, Parsed, Reading, Rejected, utc_day

__all__ = ["BatchReport", "Store", "read_jsonl"]

PAYLOAD_KEPT = 1000  # characters of a refused payload kept in the quarantine
IO_THREADS = 8  # parallel fsyncs (and Parquet encodings) of one batch
_EPOCH_DAY = date(1970, 1, 1)

_Side = dict[str, list[dict[str, Any]]]


@dataclass(slots=True)
class BatchReport:
    batch: str
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    areas: dict[str, int] = field(default_factory=dict)


def _now_iso(now: float) -> str:
    return datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="milliseconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durable(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSON-lines file or of every ``*.jsonl`` file of a folder (a torn last line of
    a crashed write is skipped)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path] if path.is_file() else []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                with contextlib.suppress(ValueError):
                    rec = json.loads(line)
                    if isinstance(rec, dict):
                        yield rec


@dataclass(slots=True)
class _Partition:
    """The index of one area-day and the names of the files it holds."""

    index: PartitionIndex
    files: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Fresh:
    """The new rows of one partition in a batch: the table to write and their index entries."""

    table: pa.Table
    keys: np.ndarray[Any, np.dtype[np.int64]]
    register: np.ndarray[Any, np.dtype[np.float64]]
    current: np.ndarray[Any, np.dtype[np.float64]]


class Store:
    """The readings store with its write-ahead commit protocol and a bounded (meter_id, ts) index."""

    def __init__(self, root: Path, index_entries: int = 4_000_000) -> None:
        self.root = Path(root)
        self.meta = self.root / "_ingest"
        self.staging = self.meta / "staging"
        self.index_entries = index_entries
        self._parts: OrderedDict[tuple[str, str], _Partition] = OrderedDict()
        self._entries = 0
        self._side_files: set[str] = set()
        self._side_keys: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None

    def _io(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="jiliang-store-io")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # --- opening and recovery ------------------------------------------------------------------
    def open(self) -> None:
        for d in (self.staging, self.meta / "quarantine", self.meta / "conflicts"):
            d.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._repair_manifest()
            committed = {r.get("batch"): r.get("files", []) for r in read_jsonl(self.meta / "manifest.jsonl")}
            for old in [d for d in self.staging.iterdir() if d.is_dir()]:  # staging/<batch>/<i> (earlier)
                for f in old.iterdir():
                    os.replace(f, self.staging / f"{old.name}.{f.name}")
                old.rmdir()
            for batch in sorted({f.name.rsplit(".", 1)[0] for f in self.staging.iterdir()}):
                if batch in committed:
                    self._publish(batch, committed[batch])
            for f in self.staging.iterdir():  # what is left belongs to batches never committed
                f.unlink()
            _fsync_dir(self.staging)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.meta / "commit.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _repair_manifest(self) -> None:
        """Cut a torn last line (a crash in the middle of appending a commit record)."""
        path = self.meta / "manifest.jsonl"
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(path, "r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)
                os.fsync(f.fileno())

    def _publish(self, batch: str, files: list[str]) -> None:
        """Move a committed batch's files (staged as ``<batch>.0``, ``<batch>.1``, … in the order of
        ``files``) into place, then make the renames durable. Idempotent: redone after a crash."""
        dirs: set[Path] = set()
        for i, rel in enumerate(files):
            source, target = self.staging / f"{batch}.{i}", self.root / rel
            if not source.exists():
                continue  # moved before the crash
            if not target.parent.exists():
                target.parent.mkdir(parents=True)
                dirs.update(list(target.parents)[1:3])
            os.replace(source, target)
            dirs.add(target.parent)
        list(self._io().map(_fsync_dir, dirs))

    # --- the index -----------------------------------------------------------------------------
    def _partition(self, key: tuple[str, str]) -> _Partition:
        part = self._parts.pop(key, None)
        if part is None:
            day = (date.fromisoformat(key[1]) - _EPOCH_DAY).days
            part = _Partition(PartitionIndex(day * DAY_US))
        self._parts[key] = part
        folder = self.root / f"area_id={key[0]}" / f"date={key[1]}"
        with contextlib.suppress(FileNotFoundError):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".parquet") and name not in part.files:
                    self._entries += _load(part.index, folder / name)
                    part.files.add(name)
        return part

    def _evict(self, keep: set[tuple[str, str]]) -> None:
        for key in list(self._parts):
            if self._entries <= self.index_entries:
                return
            if key not in keep:
                self._entries -= self._parts.pop(key).index.entries

    def _refresh_side(self) -> None:
        for sub in ("quarantine", "conflicts"):
            for f in (self.meta / sub).glob("*.jsonl"):
                if f.name not in self._side_files:
                    self._side_files.add(f.name)
                    self._side_keys.update(str(r.get("key")) for r in read_jsonl(f))

    # --- one batch -----------------------------------------------------------------------------
    def commit(self, messages: list[tuple[str, bytes, Parsed]], now: float, client: str = "") -> BatchReport:
        """Make a batch of parsed messages durable (see the module doc); the report counts it."""
        report = BatchReport(
            batch=f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}-{uuid.uuid4().hex[:12]}"
        )
        report.messages = len(messages)
        with self._locked():
            self._refresh_side()
            side: _Side = {"quarantine": [], "conflicts": []}
            groups = self._group(messages, side, now)
            fresh: dict[tuple[str, str], _Fresh] = {}
            for key in sorted(groups):
                rows = self._classify(key, Columns.concat(groups[key]), side, report, now)
                if rows is not None:
                    fresh[key] = rows
                    report.areas[key[0]] = report.areas.get(key[0], 0) + rows.table.num_rows
            report.quarantined = len(side["quarantine"])
            report.conflicts = len(side["conflicts"])
            report.stored = sum(report.areas.values())
            files = self._stage(report.batch, fresh, side)
            if files:
                self._append_manifest(_record(report, now, client, files))
                self._publish(report.batch, files)
            self._remember(report.batch, fresh, side)
            self._evict(set(fresh))
        return report

    def _group(
        self, messages: list[tuple[str, bytes, Parsed]], side: _Side, now: float
    ) -> dict[tuple[str, str], list[Columns]]:
        """Refused items to the quarantine; readings by partition (area, day), in arrival order."""
        groups: dict[tuple[str, str], list[Columns]] = {}
        for topic, payload, parsed in messages:
            for rej in parsed.rejected:
                self._quarantine(side, topic, payload, rej, now)
            if parsed.area_id is not None and parsed.count:
                for day, cols in _by_day(parsed.columns):
                    groups.setdefault((parsed.area_id, day), []).append(cols)
        return groups

    def _classify(
        self, key: tuple[str, str], cols: Columns, side: _Side, report: BatchReport, now: float
    ) -> _Fresh | None:
        """The rows of one partition that are new; duplicates counted, conflicts set aside."""
        index = self._partition(key).index
        names = pa.array(cols.meter_id, pa.string()).dictionary_encode()
        keys = index.keys_of(names.dictionary.to_pylist(), names.indices.to_numpy(), cols.ts_us)
        v = index.classify(keys, cols.register_kwh, cols.current_a)
        report.duplicates += v.duplicates
        for i, kept_reg, kept_cur in zip(
            v.conflicts.tolist(), v.kept_register.tolist(), v.kept_current.tolist(), strict=True
        ):
            sent_cur = _opt(float(cols.current_a[i]))
            sent = Reading(cols.meter_id[i], int(cols.ts_us[i]), float(cols.register_kwh[i]), sent_cur)
            self._conflict(side, key[0], sent, (kept_reg, _opt(kept_cur)), now)
        if not v.new.any():
            return None
        if not v.new.all():
            names = names.filter(pa.array(v.new)).cast(pa.string()).dictionary_encode()
        ts, reg, cur = cols.ts_us[v.new], cols.register_kwh[v.new], cols.current_a[v.new]
        table = pa.table(
            {
                "meter_id": names,
                "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
                "register_kwh": pa.array(reg, pa.float64()),
                "current_a": pa.array(cur, pa.float64(), mask=np.isnan(cur)),
            }
        )
        return _Fresh(table, keys[v.new], reg, cur)

    def _remember(self, batch: str, fresh: dict[tuple[str, str], _Fresh], side: _Side) -> None:
        """The committed batch into the index and the set of side keys."""
        for key, rows in fresh.items():
            part = self._parts[key]
            part.files.add(f"part-{batch}.parquet")
            self._entries += part.index.add(rows.keys, rows.register, rows.current)
        for kind in ("quarantine", "conflicts"):
            if side[kind]:
                self._side_files.add(f"{batch}.jsonl")
                self._side_keys.update(r["key"] for r in side[kind])

    def _quarantine(self, side: _Side, topic: str, payload: bytes, rej: Rejected, now: float) -> None:
        digest = hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()
        key = f"q:{digest}:{'' if rej.index is None else rej.index}"
        if key in self._side_keys or any(e["key"] == key for e in side["quarantine"]):
            return
        entry: dict[str, Any] = {
            "key": key,
            "at": _now_iso(now),
            "topic": topic,
            "reason": rej.reason,
            "detail": rej.detail,
            "index": rej.index,
            "payload_bytes": len(payload),
        }
        if rej.index is None:
            entry["payload"] = payload[: PAYLOAD_KEPT * 4].decode("utf-8", "replace")[:PAYLOAD_KEPT]
        else:
            entry["reading"] = json.dumps(rej.item, default=str)[:PAYLOAD_KEPT]
        side["quarantine"].append(entry)

    def _conflict(
        self, side: _Side, area: str, sent: Reading, kept: tuple[float, float | None], now: float
    ) -> None:
        key = f"c:{sent.meter_id}:{sent.ts_us}:{sent.register_kwh!r}:{sent.current_a!r}"
        if key in self._side_keys or any(e["key"] == key for e in side["conflicts"]):
            return
        side["conflicts"].append(
            {
                "key": key,
                "at": _now_iso(now),
                "area_id": area,
                "meter_id": sent.meter_id,
                "ts": datetime.fromtimestamp(sent.ts_us / 1e6, tz=UTC).isoformat(),
                "register_kwh": sent.register_kwh,
                "current_a": sent.current_a,
                "stored_register_kwh": kept[0],
                "stored_current_a": kept[1],
            }
        )

    def _stage(self, batch: str, fresh: dict[tuple[str, str], _Fresh], side: _Side) -> list[str]:
        """Write the batch's files to staging, durably (encoded and fsynced in parallel)."""
        files: list[str] = []
        jobs: list[tuple[Path, pa.Table | bytes]] = []
        for (area, day), rows in fresh.items():
            jobs.append((self.staging / f"{batch}.{len(files)}", rows.table))
            files.append(f"area_id={area}/date={day}/part-{batch}.parquet")
        for kind in ("quarantine", "conflicts"):
            if side[kind]:
                body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in side[kind])
                jobs.append((self.staging / f"{batch}.{len(files)}", body.encode("utf-8")))
                files.append(f"_ingest/{kind}/{batch}.jsonl")
        if jobs:
            list(self._io().map(_write_staged, jobs))
            _fsync_dir(self.staging)
        return files

    def _append_manifest(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.meta / "manifest.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def _opt(x: float) -> float | None:
    return None if x != x else x


def _record(report: BatchReport, now: float, client: str, files: list[str]) -> dict[str, Any]:
    return {
        "batch": report.batch,
        "at": _now_iso(now),
        "client": client,
        "messages": report.messages,
        "stored": report.stored,
        "areas": report.areas,
        "duplicates": report.duplicates,
        "conflicts": report.conflicts,
        "quarantined": report.quarantined,
        "files": files,
    }


def _by_day(cols: Columns) -> list[tuple[str, Columns]]:
    """A message's readings by UTC day (nearly always one)."""
    days = cols.ts_us // DAY_US
    first, last = int(days.min()), int(days.max())
    if first == last:
        return [(utc_day(first * DAY_US), cols)]
    return [(utc_day(d * DAY_US), cols.take(np.flatnonzero(days == d))) for d in np.unique(days).tolist()]


def _write_staged(job: tuple[Path, pa.Table | bytes]) -> None:
    path, content = job
    if isinstance(content, pa.Table):
        sink = pa.BufferOutputStream()
        pq.write_table(content, sink, compression="zstd")
        content = sink.getvalue().to_pybytes()
    _write_durable(path, content)


def _load(index: PartitionIndex, path: Path) -> int:
    """A stored file's keys into the index; how many were added."""
    t = pq.ParquetFile(path).read(columns=["meter_id", "ts", "register_kwh", "current_a"])
    names = t["meter_id"].cast(pa.string()).combine_chunks().dictionary_encode()
    ts = np.asarray(t["ts"].cast(pa.int64()).to_numpy(), dtype=np.int64)
    keys = index.keys_of(names.dictionary.to_pylist(), names.indices.to_numpy(), ts)
    reg = np.asarray(t["register_kwh"].to_numpy(), dtype=np.float64)
    cur = np.asarray(t["current_a"].to_numpy(), dtype=np.float64)  # null → NaN
    return index.add(keys, reg, cur)
