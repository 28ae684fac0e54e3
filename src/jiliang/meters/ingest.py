"""Streaming collection: an MQTT 5 subscriber writing readings to a date-partitioned Parquet store.

Store layout (what :func:`jiliang.meters.engine.run_local` and the Spark engine read as they are)::

    STORE/area_id=<area>/date=<YYYY-MM-DD>/part-<batch>.parquet   readings (meter_id, ts, register_kwh, current_a)
    STORE/_ingest/manifest.jsonl       one line per committed batch: the commit record
    STORE/_ingest/staging/<batch>/     files of a batch (0, 1, … in the order of the commit record's
                                       ``files``) before they are moved into place (write-ahead)
    STORE/_ingest/quarantine/<batch>.jsonl   refused messages and readings, with the reason
    STORE/_ingest/conflicts/<batch>.jsonl    readings that conflict with the one stored for (meter_id, ts)

A batch is made durable in this order, under an exclusive lock on ``_ingest/commit.lock`` (several
ingestors may share one store on one machine): files written to staging and fsynced; the commit
record appended to the manifest and fsynced; files renamed into place; only then are the batch's
messages acknowledged to the broker. A crash before the commit record leaves staging files that
the next start deletes (the broker redelivers the unacknowledged messages); a crash after it is
finished by the next start (renames are redone) and the redelivered messages are then recognised
as duplicates: their readings are already stored, their quarantine and conflict entries already
recorded (kept once, by digest).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jiliang.meters.stream import Parsed, Reading, Rejected, by_partition, classify, parse_message
from jiliang.meters.types import MeterError

__all__ = ["BatchReport", "IngestConfig", "Store", "broker_address", "read_jsonl", "run_ingest"]

PAYLOAD_KEPT = 1000  # characters of a refused payload kept in the quarantine


@dataclass(frozen=True, slots=True)
class IngestConfig:
    broker: str
    topic: str
    store: Path
    client_id: str = "jiliang-ingest"
    shared_group: str | None = None
    batch: int = 20_000
    flush_seconds: float = 1.0
    max_messages: int | None = None
    until_idle: float | None = None
    max_bytes: int = 1 << 20
    session_expiry: int = 86_400
    max_inflight: int = 100
    topic_prefix: str = "jiliang/readings"
    index_entries: int = 1_000_000


@dataclass(slots=True)
class BatchReport:
    batch: str
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    areas: dict[str, int] = field(default_factory=dict)


def broker_address(url: str) -> tuple[str, int]:
    """``mqtt://HOST:PORT`` (port 1883 by default) as (host, port); a clear error otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise MeterError(f"--broker must be mqtt://HOST:PORT, got {url!r}")
    try:
        port = parts.port or 1883
    except ValueError:
        raise MeterError(f"--broker has a bad port: {url!r}") from None
    return parts.hostname, port


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
    """The stored keys of one area-day: meter id (interned) → ts → (register, current)."""

    files: set[str] = field(default_factory=set)
    known: dict[str, dict[int, tuple[float, float | None]]] = field(default_factory=dict)
    entries: int = 0

    def add(self, rows: Iterable[tuple[str, int, float, float | None]]) -> int:
        before = self.entries
        known = self.known
        for mid, ts, reg, cur in rows:
            per_meter = known.get(mid)
            if per_meter is None:
                per_meter = known[sys.intern(mid)] = {}
            if ts not in per_meter:
                per_meter[ts] = (reg, cur)
                self.entries += 1
        return self.entries - before


class Store:
    """The readings store with its write-ahead commit protocol and a bounded (meter_id, ts) index."""

    def __init__(self, root: Path, index_entries: int = 1_000_000) -> None:
        self.root = Path(root)
        self.meta = self.root / "_ingest"
        self.index_entries = index_entries
        self._parts: OrderedDict[tuple[str, str], _Partition] = OrderedDict()
        self._entries = 0
        self._side_files: set[str] = set()
        self._side_keys: set[str] = set()

    # --- opening and recovery ------------------------------------------------------------------
    def open(self) -> None:
        for d in (self.meta / "staging", self.meta / "quarantine", self.meta / "conflicts"):
            d.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._repair_manifest()
            committed = {r.get("batch"): r.get("files", []) for r in read_jsonl(self.meta / "manifest.jsonl")}
            for staged in sorted((self.meta / "staging").iterdir()):
                if staged.name in committed:
                    self._publish(staged, committed[staged.name])
                shutil.rmtree(staged, ignore_errors=True)
            _fsync_dir(self.meta / "staging")

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

    def _publish(self, staged: Path, files: list[str]) -> None:
        """Move a committed batch's files (staged as ``0``, ``1``, … in the order of ``files``) into
        place, then make the renames durable. Idempotent: redone after a crash."""
        dirs: set[Path] = set()
        for i, rel in enumerate(files):
            source, target = staged / str(i), self.root / rel
            if not source.exists():
                continue  # moved before the crash
            if not target.parent.exists():
                target.parent.mkdir(parents=True)
                dirs.update(list(target.parents)[1:3])
            os.replace(source, target)
            dirs.add(target.parent)
        for d in sorted(dirs, key=lambda p: -len(p.parts)):
            _fsync_dir(d)

    # --- the index -----------------------------------------------------------------------------
    def _partition(self, key: tuple[str, str]) -> _Partition:
        part = self._parts.pop(key, None) or _Partition()
        self._parts[key] = part
        folder = self.root / f"area_id={key[0]}" / f"date={key[1]}"
        if folder.is_dir():
            for f in sorted(folder.glob("*.parquet")):
                if f.name not in part.files:
                    self._entries += part.add(_stored_values(f))
                    part.files.add(f.name)
        return part

    def _evict(self, keep: set[tuple[str, str]]) -> None:
        for key in list(self._parts):
            if self._entries <= self.index_entries:
                return
            if key not in keep:
                self._entries -= self._parts.pop(key).entries

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
        staging = self.meta / "staging" / report.batch
        with self._locked():
            self._refresh_side()
            side: dict[str, list[dict[str, Any]]] = {"quarantine": [], "conflicts": []}
            groups: dict[tuple[str, str], list[Reading]] = {}
            for topic, payload, parsed in messages:
                for rej in parsed.rejected:
                    self._quarantine(side, topic, payload, rej, now)
                if parsed.area_id is not None:
                    for key, rows in by_partition(parsed.area_id, parsed.readings).items():
                        groups.setdefault(key, []).extend(rows)
            tables: dict[tuple[str, str], list[Reading]] = {}
            for key in sorted(groups):
                part = self._partition(key)
                c = classify(groups[key], part.known)
                report.duplicates += c.duplicates
                for sent, kept in c.conflicts:
                    self._conflict(side, key[0], sent, kept, now)
                if c.new:
                    tables[key] = list(c.new)
            report.quarantined = len(side["quarantine"])
            report.conflicts = len(side["conflicts"])
            files = self._stage(staging, report.batch, tables, side)
            for (area, _day), rows in tables.items():
                report.areas[area] = report.areas.get(area, 0) + len(rows)
            report.stored = sum(report.areas.values())
            record: dict[str, Any] = {
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
            if files:
                self._append_manifest(record)
                self._publish(staging, files)
            shutil.rmtree(staging, ignore_errors=True)
            for key, rows in tables.items():
                part = self._parts[key]
                part.files.add(f"part-{report.batch}.parquet")
                self._entries += part.add(rows)
            for kind in ("quarantine", "conflicts"):
                if side[kind]:
                    self._side_files.add(f"{report.batch}.jsonl")
                    self._side_keys.update(r["key"] for r in side[kind])
            self._evict(set(tables))
        return report

    def _quarantine(
        self, side: dict[str, list[dict[str, Any]]], topic: str, payload: bytes, rej: Rejected, now: float
    ) -> None:
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
        self,
        side: dict[str, list[dict[str, Any]]],
        area: str,
        sent: Reading,
        kept: tuple[float, float | None],
        now: float,
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

    def _stage(
        self,
        staging: Path,
        batch: str,
        tables: dict[tuple[str, str], list[Reading]],
        side: dict[str, list[dict[str, Any]]],
    ) -> list[str]:
        files: list[str] = []
        staging.mkdir(parents=True)
        for (area, day), rows in tables.items():
            _write_durable(staging / str(len(files)), _parquet_bytes(rows))
            files.append(f"area_id={area}/date={day}/part-{batch}.parquet")
        for kind in ("quarantine", "conflicts"):
            if side[kind]:
                body = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in side[kind])
                _write_durable(staging / str(len(files)), body.encode("utf-8"))
                files.append(f"_ingest/{kind}/{batch}.jsonl")
        _fsync_dir(staging)
        _fsync_dir(staging.parent)
        return files

    def _append_manifest(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.meta / "manifest.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def _parquet_bytes(rows: list[Reading]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    mids, ts, reg, cur = zip(*rows, strict=True)  # columns in one pass (readings are tuples)
    table = pa.table(
        {
            "meter_id": pa.array(mids, pa.string()).dictionary_encode(),
            "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "register_kwh": pa.array(reg, pa.float64()),
            "current_a": pa.array(cur, pa.float64()),
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _stored_values(path: Path) -> Iterator[tuple[str, int, float, float | None]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["meter_id", "ts", "register_kwh", "current_a"])
    mids = t["meter_id"].cast(pa.string()).to_pylist()
    ts = t["ts"].cast(pa.int64()).to_pylist()
    reg = t["register_kwh"].to_pylist()
    cur = t["current_a"].to_pylist()
    yield from zip(mids, ts, reg, cur, strict=True)


# --- the MQTT loop -------------------------------------------------------------------------------
@dataclass(slots=True)
class _Totals:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    batches: int = 0

    def add(self, r: BatchReport) -> None:
        self.messages += r.messages
        self.stored += r.stored
        self.duplicates += r.duplicates
        self.conflicts += r.conflicts
        self.quarantined += r.quarantined
        self.batches += 1


def run_ingest(
    config: IngestConfig,
    log: Callable[[str], None] = print,
    clock: Callable[[], float] = time.time,
) -> dict[str, int]:
    """Subscribe and ingest until ``max_messages`` or ``until_idle`` (or SIGTERM/SIGINT); totals."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    from paho.mqtt.subscribeoptions import SubscribeOptions

    host, port = broker_address(config.broker)
    if config.batch < 1 or config.flush_seconds <= 0 or config.max_inflight < 1:
        raise MeterError("--batch and --max-inflight must be ≥ 1, --flush-seconds > 0")
    import pyarrow.parquet  # noqa: F401  (loaded now, not inside the first batch's latency)

    store = Store(config.store, config.index_entries)
    store.open()
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    subscribed = threading.Event()
    stop = threading.Event()
    topic = f"$share/{config.shared_group}/{config.topic}" if config.shared_group else config.topic
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=config.client_id, protocol=mqtt.MQTTv5, manual_ack=True
    )

    def on_connect(c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        if rc.is_failure:
            log(f"broker refused the connection: {rc}")
            return
        c.subscribe(topic, options=SubscribeOptions(qos=1))

    def on_subscribe(_c: Any, _u: Any, _mid: Any, codes: Any, _p: Any) -> None:
        if all(not code.is_failure for code in codes):
            log(f"subscribed to {topic} as {config.client_id}")
            subscribed.set()
        else:
            log(f"subscription to {topic} refused: {codes}")

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = lambda _c, _u, msg: inbox.put(msg)
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = config.session_expiry
    props.ReceiveMaximum = config.max_inflight
    try:
        client.connect(host, port, keepalive=30, clean_start=False, properties=props)
    except OSError as exc:
        raise MeterError(f"cannot reach the broker at {host}:{port}: {exc}") from None
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    client.loop_start()
    try:
        return _consume(config, store, client, inbox, stop, log, clock)
    finally:
        client.disconnect()
        client.loop_stop()


_Batch = list[tuple[Any, tuple[str, bytes, Parsed]]]


def _consume(
    config: IngestConfig,
    store: Store,
    client: Any,
    inbox: queue.SimpleQueue[Any],
    stop: threading.Event,
    log: Callable[[str], None],
    clock: Callable[[], float],
) -> dict[str, int]:
    """Parse messages as they come; a writer thread makes each batch durable, then acknowledges
    it (so parsing the next batch overlaps the fsyncs of the previous one)."""
    totals = _Totals()
    batches: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
    failed: list[BaseException] = []

    def writer() -> None:
        _write_batches(config, store, client, batches, totals, failed, stop, log, clock)

    thread = threading.Thread(target=writer, name="jiliang-ingest-writer", daemon=True)
    thread.start()
    _parse_into_batches(config, inbox, stop, clock, batches, thread)
    _hand_over(batches, None, thread)
    thread.join()
    if failed:
        raise MeterError(f"cannot write to the store: {type(failed[0]).__name__}: {failed[0]}") from failed[0]
    return {
        "messages": totals.messages,
        "stored": totals.stored,
        "duplicates": totals.duplicates,
        "conflicts": totals.conflicts,
        "quarantined": totals.quarantined,
        "batches": totals.batches,
    }


def _write_batches(
    config: IngestConfig,
    store: Store,
    client: Any,
    batches: queue.Queue[_Batch | None],
    totals: _Totals,
    failed: list[BaseException],
    stop: threading.Event,
    log: Callable[[str], None],
    clock: Callable[[], float],
) -> None:
    """The writer thread: commit each batch, then acknowledge its messages; stop on a failure."""
    while (batch := batches.get()) is not None:
        try:
            report = store.commit([p for _, p in batch], clock(), config.client_id)
        except BaseException as exc:  # e.g. disk full: stop; nothing of this batch is acknowledged
            failed.append(exc)
            stop.set()
            return
        for msg, _ in batch:  # acknowledged only now that the batch is durable, in arrival order
            client.ack(msg.mid, msg.qos)
        totals.add(report)
        log(
            f"batch {report.batch}: {report.messages} messages, {report.stored} stored, "
            f"{report.duplicates} duplicates, {report.conflicts} conflicts, {report.quarantined} quarantined"
        )


def _parse_into_batches(
    config: IngestConfig,
    inbox: queue.SimpleQueue[Any],
    stop: threading.Event,
    clock: Callable[[], float],
    batches: queue.Queue[_Batch | None],
    writer: threading.Thread,
) -> None:
    """Parse arriving messages and hand them to the writer in batches, until done, idle or stopped."""
    pending: _Batch = []
    readings = handed = 0
    first_at = 0.0
    last_message = time.monotonic()
    while not stop.is_set():
        try:
            msg = inbox.get(timeout=0.05)
        except queue.Empty:
            msg = None
        now = time.monotonic()
        if msg is not None:
            last_message = now
            if not pending:
                first_at = now
            parsed = parse_message(msg.topic, msg.payload, clock(), config.max_bytes, config.topic_prefix)
            pending.append((msg, (msg.topic, bytes(msg.payload), parsed)))
            readings += len(parsed.readings)
        done = config.max_messages is not None and handed + len(pending) >= config.max_messages
        if pending and (
            done
            or readings >= config.batch
            or len(pending) >= max(1, config.max_inflight // 2)
            or now - first_at >= config.flush_seconds
        ):
            _hand_over(batches, pending, writer)
            handed += len(pending)
            pending, readings = [], 0
        if done:
            break
        idle = config.until_idle is not None and now - last_message >= config.until_idle
        if idle and not pending and batches.empty():
            break
    if pending:
        _hand_over(batches, pending, writer)


def _hand_over(
    batches: queue.Queue[_Batch | None],
    batch: _Batch | None,
    writer: threading.Thread,
) -> None:
    """Queue a batch for the writer (waits while it is busy); gives up if the writer has stopped."""
    while writer.is_alive():
        try:
            batches.put(batch, timeout=0.1)
            return
        except queue.Full:
            continue
