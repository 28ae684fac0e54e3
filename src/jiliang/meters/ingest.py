"""Streaming collection: an MQTT 5 subscriber writing readings to a date-partitioned Parquet store.

Messages are parsed as they arrive (:func:`jiliang.meters.stream.parse_message`) and handed in
batches to a writer thread, which makes each batch durable in the store
(:class:`jiliang.meters.ingeststore.Store`, whose module doc gives the layout and the commit
protocol) and only then acknowledges the batch's messages to the broker (group commit). A batch
closes at ``batch`` readings, half the receive maximum in messages, or ``flush_seconds``. At most
``max_inflight`` received messages wait to be parsed; beyond that the socket is not read, so a
backlog stays in the broker and the ingestor's memory does not depend on it.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jiliang.meters.ingeststore import BatchReport, Store, read_jsonl
from jiliang.meters.stream import Parsed, parse_message
from jiliang.meters.types import MeterError

__all__ = ["BatchReport", "IngestConfig", "Store", "broker_address", "read_jsonl", "run_ingest"]


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
    index_entries: int = 4_000_000


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
    store = Store(config.store, config.index_entries)
    store.open()
    inbox: queue.Queue[Any] = queue.Queue(maxsize=config.max_inflight)
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
    client.on_message = lambda _c, _u, msg: _receive(inbox, msg, stop)
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
        stop.set()  # frees paho's thread if it waits for room in the inbox
        client.disconnect()
        client.loop_stop()
        store.close()


_Batch = list[tuple[Any, tuple[str, bytes, Parsed]]]


def _receive(inbox: queue.Queue[Any], msg: Any, stop: threading.Event) -> None:
    """paho's network thread: queue a message, waiting while ``max_inflight`` are queued (the
    socket is then not read, so the broker holds the rest — Mosquitto 2.0 was seen sending far
    beyond the receive maximum once acknowledgements flow). Once stopping, the message is left
    unacknowledged: the broker delivers it again."""
    while not stop.is_set():
        try:
            inbox.put(msg, timeout=0.1)
            return
        except queue.Full:
            continue


def _consume(
    config: IngestConfig,
    store: Store,
    client: Any,
    inbox: queue.Queue[Any],
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
    inbox: queue.Queue[Any],
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
            readings += parsed.count
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
