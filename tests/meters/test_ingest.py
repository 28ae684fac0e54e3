"""Streaming collection end to end: a real Mosquitto on a free port, the ingestor as a subprocess
(``python -m jiliang meters ingest``), publishers with paho; the store compared with what was sent.

Waits are bounded and fail with the ingestor's and the broker's logs; nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jiliang.meters.ingest import Store, read_jsonl
from jiliang.meters.io import readings_files
from jiliang.meters.stream import parse_message

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
MOSQUITTO = next((p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None)
SRC = str(Path(__file__).resolve().parents[2] / "src")
T0 = 1_793_491_200  # 2026-11-01T00:00:00Z
WAIT = 120  # seconds: the bound of every wait (a failure, never a measurement)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def broker(tmp_path: Path) -> Iterator[int]:
    """A Mosquitto of our own: loopback, a free port, persistence on, anonymous clients."""
    if MOSQUITTO is None:
        message = "mosquitto is not installed (Debian package mosquitto; scripts/services.sh installs it)"
        if IN_CI:
            pytest.fail(message + " — required when CI=true")
        pytest.skip(message)
    port = _free_port()
    data = tmp_path / "mosquitto"
    data.mkdir()
    conf = data / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {data}/\nmax_queued_messages 0\n"
    )
    log = open(data / "log", "w")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"mosquitto did not start on port {port}: {(data / 'log').read_text()[-2000:]}")
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


class Ingestor:
    """``jiliang meters ingest`` in a subprocess, its stderr collected."""

    def __init__(self, port: int, store: Path, *extra: str, client_id: str = "ingest-1") -> None:
        env = dict(os.environ, PYTHONPATH=SRC)
        cmd = [sys.executable, "-m", "jiliang", "meters", "ingest", "--broker", f"mqtt://127.0.0.1:{port}"]
        cmd += ["--topic", "jiliang/readings/#", "--store", str(store), "--client-id", client_id, "--json"]
        self.proc = subprocess.Popen(
            [*cmd, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.subscribed = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())
            if line.startswith("subscribed to"):
                self.subscribed.set()

    def wait_subscribed(self) -> None:
        if not self.subscribed.wait(WAIT):
            self.proc.kill()
            pytest.fail("ingestor did not subscribe:\n" + "\n".join(self.lines[-30:]))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT)
        self._close_pipes()

    def _close_pipes(self) -> None:
        """Once the process is gone: the stderr reader has seen EOF; close both pipes."""
        self.reader.join(timeout=WAIT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def finish(self) -> dict[str, int]:
        try:
            out, _ = self.proc.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("ingestor did not stop:\n" + "\n".join(self.lines[-30:]))
        self._close_pipes()
        assert self.proc.returncode == 0, "\n".join(self.lines[-30:])
        totals: dict[str, int] = json.loads(out)
        return totals


def publish(port: int, messages: list[tuple[str, bytes]], pause_every: int = 0) -> None:
    """Publish at QoS 1 and wait for every PUBACK from the broker."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = []
        for i, (topic, payload) in enumerate(messages):
            infos.append(client.publish(topic, payload, qos=1))
            if pause_every and i % pause_every == pause_every - 1:
                time.sleep(0.05)  # spread the stream so that kills land in the middle of it
        for info in infos:
            info.wait_for_publish(timeout=WAIT)
            assert info.is_published(), "the broker did not acknowledge a publish"
    finally:
        client.disconnect()
        client.loop_stop()


def readings(areas: int, meters: int, points: int) -> dict[str, list[dict[str, Any]]]:
    """Readings per area: register rising by meter and time."""
    out: dict[str, list[dict[str, Any]]] = {}
    for a in range(areas):
        rows = []
        for m in range(meters):
            for k in range(points):
                rows.append(
                    {
                        "meter_id": f"A{a}-M{m:03d}",
                        "ts": T0 + 900 * k,
                        "register_kwh": round(100 + m + 0.25 * k, 3),
                        "current_a": round(0.1 * (k % 7), 2),
                    }
                )
        out[f"A{a}"] = rows
    return out


def pack(by_area: dict[str, list[dict[str, Any]]], size: int, rng: random.Random) -> list[tuple[str, bytes]]:
    """Messages of ``size`` readings in shuffled order (across and inside messages)."""
    msgs = []
    for area, rows in by_area.items():
        rows = rows[:]
        rng.shuffle(rows)
        for i in range(0, len(rows), size):
            msgs.append((f"jiliang/readings/{area}", json.dumps({"readings": rows[i : i + size]}).encode()))
    rng.shuffle(msgs)
    return msgs


def stored(store: Path) -> Counter[tuple[str, str, int, float, float | None]]:
    """Every stored row as (area, meter, ts seconds, register, current), with its count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: Counter[tuple[str, str, int, float, float | None]] = Counter()
    if not any(store.glob("area_id=*")):
        return rows
    for f in readings_files(store):
        area = next(p for p in f.parts if p.startswith("area_id=")).split("=", 1)[1]
        t = pq.read_table(f)
        ts = t["ts"].cast(pa.int64()).to_pylist()
        for m, s, r, c in zip(
            t["meter_id"].cast(pa.string()).to_pylist(),
            ts,
            t["register_kwh"].to_pylist(),
            t["current_a"].to_pylist(),
            strict=True,
        ):
            rows[(area, m, s // 1_000_000, r, c)] += 1
    return rows


def expected(by_area: dict[str, list[dict[str, Any]]]) -> Counter[tuple[str, str, int, float, float | None]]:
    return Counter(
        (a, r["meter_id"], r["ts"], r["register_kwh"], r.get("current_a"))
        for a, rows in by_area.items()
        for r in rows
    )


def test_duplicates_reordering_conflicts_and_bad_messages(broker: int, tmp_path: Path) -> None:
    rng = random.Random(1)
    store = tmp_path / "store"
    data = readings(areas=3, meters=10, points=40)
    msgs = pack(data, 50, rng)
    msgs += rng.sample(msgs, 5)  # whole messages sent again
    a0 = data["A0"]
    msgs.append(("jiliang/readings/A0", json.dumps({"readings": a0[100:130]}).encode()))  # overlapping
    conflict = [dict(r, register_kwh=r["register_kwh"] + 9) for r in (a0[3], a0[50], a0[77])]
    msgs.append(("jiliang/readings/A0", json.dumps({"readings": conflict}).encode()))
    big = [{"meter_id": f"BIG{i}", "ts": T0, "register_kwh": 1.0} for i in range(600)]
    bad = {
        "not_json": b"{readings: nope",
        "missing_field": json.dumps({"readings": [{"meter_id": "X1", "ts": T0}]}).encode(),
        "negative_register": json.dumps(
            {"readings": [{"meter_id": "X2", "ts": T0, "register_kwh": -3}]}
        ).encode(),
        "future_ts": json.dumps(
            {"readings": [{"meter_id": "X3", "ts": int(time.time()) + 86400, "register_kwh": 1}]}
        ).encode(),
        "oversized": json.dumps({"readings": big}).encode(),
        "no_readings": b'{"rows": []}',
    }
    for payload in bad.values():
        msgs.insert(rng.randrange(len(msgs)), ("jiliang/readings/A1", payload))
    ing = Ingestor(broker, store, "--batch", "200", "--max-bytes", "20000", "--max-messages", str(len(msgs)))
    ing.wait_subscribed()
    publish(broker, msgs)
    totals = ing.finish()

    got = stored(store)
    assert got == expected(data), "the store differs from what was sent (lost, duplicated or altered rows)"
    assert totals["messages"] == len(msgs)
    assert totals["conflicts"] == 3
    kept = {
        (c["meter_id"], c["register_kwh"], c["stored_register_kwh"])
        for c in read_jsonl(store / "_ingest" / "conflicts")
    }
    assert kept == {(r["meter_id"], r["register_kwh"], r["register_kwh"] - 9) for r in conflict}
    quarantine = list(read_jsonl(store / "_ingest" / "quarantine"))
    assert sorted(q["reason"] for q in quarantine) == sorted(bad)
    for q in quarantine:
        assert q["topic"] == "jiliang/readings/A1" and q["detail"]
        assert q["payload_bytes"] == len(bad[q["reason"]])
        text = q.get("payload") or q.get("reading")
        assert text and len(text) <= 1000
    assert not any(k[1].startswith(("BIG", "X")) for k in got)


def test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing(broker: int, tmp_path: Path) -> None:
    rng = random.Random(2)
    store = tmp_path / "store"
    data = readings(areas=4, meters=20, points=96)  # 7,680 readings
    msgs = pack(data, 40, rng)
    msgs += rng.sample(msgs, 10)
    args = ("--batch", "120", "--flush-seconds", "0.2", "--max-inflight", "10")
    ing = Ingestor(broker, store, *args)
    ing.wait_subscribed()
    publisher = threading.Thread(target=publish, args=(broker, msgs, 5))
    publisher.start()
    manifest = store / "_ingest" / "manifest.jsonl"
    kills = 0
    for k in range(3):
        deadline = time.monotonic() + WAIT
        while sum(1 for _ in read_jsonl(manifest)) < 3 * (k + 1):
            if time.monotonic() > deadline:
                ing.proc.kill()
                pytest.fail("the ingestor made no progress:\n" + "\n".join(ing.lines[-30:]))
            time.sleep(0.02)
        ing.kill()
        kills += 1
        ing = Ingestor(broker, store, *args)
        ing.wait_subscribed()
    publisher.join(WAIT)
    assert not publisher.is_alive(), "the publisher did not finish"
    ing.proc.send_signal(signal.SIGTERM)  # a clean stop: the pending batch is made durable
    ing.finish()
    for _ in range(3):  # what the broker still holds for the session is delivered on the next run
        Ingestor(broker, store, *args, "--until-idle", "3").finish()
        if stored(store) == expected(data):
            break
    got = stored(store)
    assert kills == 3
    assert got == expected(data), (
        f"{sum((expected(data) - got).values())} rows lost, {sum((got - expected(data)).values())} extra"
    )
    assert not list((store / "_ingest" / "staging").iterdir())


def test_shared_subscription_splits_the_load_exactly_once(broker: int, tmp_path: Path) -> None:
    rng = random.Random(3)
    store = tmp_path / "store"
    data = readings(areas=3, meters=10, points=60)
    msgs = pack(data, 10, rng)
    a = Ingestor(broker, store, "--shared-group", "g", "--until-idle", "4", client_id="ingest-a")
    b = Ingestor(broker, store, "--shared-group", "g", "--until-idle", "4", client_id="ingest-b")
    a.wait_subscribed()
    b.wait_subscribed()
    publish(broker, msgs)
    ta, tb = a.finish(), b.finish()
    assert ta["messages"] > 0 and tb["messages"] > 0, (ta, tb)
    assert ta["messages"] + tb["messages"] == len(msgs)
    assert stored(store) == expected(data)


def test_a_crash_after_the_commit_record_is_finished_and_the_redelivery_is_a_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = float(T0 + 86400)
    payload = json.dumps(
        {"readings": [{"meter_id": "M1", "ts": T0, "register_kwh": 1.0}, {"meter_id": "M2", "ts": T0}]}
    ).encode()
    msg = (
        "jiliang/readings/A1",
        payload,
        parse_message("jiliang/readings/A1", payload, now, 1 << 20, "jiliang/readings"),
    )
    store = Store(tmp_path)
    store.open()

    def crash(self: Store, staged: Path, files: list[str]) -> None:
        raise KeyboardInterrupt  # the process dies between the commit record and the renames

    monkeypatch.setattr(Store, "_publish", crash)
    with pytest.raises(KeyboardInterrupt):
        store.commit([msg], now)
    monkeypatch.undo()
    assert not list(tmp_path.glob("area_id=*")) and list((tmp_path / "_ingest" / "staging").iterdir())
    again = Store(tmp_path)
    again.open()  # recovery finishes the committed batch
    assert len(stored(tmp_path)) == 1
    report = again.commit([msg], now)  # the broker redelivers the unacknowledged message
    assert (report.stored, report.duplicates, report.quarantined) == (0, 1, 0)
    assert len(list(read_jsonl(tmp_path / "_ingest" / "quarantine"))) == 1


def test_a_crash_before_the_commit_record_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = float(T0 + 86400)
    payload = json.dumps({"readings": [{"meter_id": "M1", "ts": T0, "register_kwh": 1.0}]}).encode()
    msg = (
        "jiliang/readings/A1",
        payload,
        parse_message("jiliang/readings/A1", payload, now, 1 << 20, "jiliang/readings"),
    )
    store = Store(tmp_path)
    store.open()

    def crash(self: Store, record: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "_append_manifest", crash)
    with pytest.raises(KeyboardInterrupt):
        store.commit([msg], now)
    monkeypatch.undo()
    again = Store(tmp_path)
    again.open()
    assert not list((tmp_path / "_ingest" / "staging").iterdir()) and not stored(tmp_path)
    assert again.commit([msg], now).stored == 1
    assert len(stored(tmp_path)) == 1


def test_the_estimator_reads_the_store_as_the_files(broker: int, tmp_path: Path, city: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    msgs = []
    for part in sorted((city / "readings").glob("area_id=*/*.parquet")):
        area = part.parent.name.split("=", 1)[1]
        t = pq.read_table(part)
        cols = {
            "meter_id": t["meter_id"].cast(pa.string()).to_pylist(),
            "ts": [v // 1_000_000 for v in t["ts"].cast(pa.int64()).to_pylist()],
            "register_kwh": t["register_kwh"].to_pylist(),
            "current_a": t["current_a"].to_pylist() if "current_a" in t.column_names else [None] * t.num_rows,
        }
        rows = [dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]
        rows = [{k: v for k, v in r.items() if v is not None and v == v} for r in rows]  # no NaN in JSON
        for i in range(0, len(rows), 1000):
            msgs.append((f"jiliang/readings/{area}", json.dumps({"readings": rows[i : i + 1000]}).encode()))
    store = tmp_path / "store"
    ing = Ingestor(broker, store, "--max-messages", str(len(msgs)))
    ing.wait_subscribed()
    publish(broker, msgs)
    totals = ing.finish()
    assert totals["quarantined"] == 0 and totals["conflicts"] == 0
    env = dict(os.environ, PYTHONPATH=SRC)
    results = {}
    for name, source in (("files", city / "readings"), ("store", store)):
        out = tmp_path / f"{name}.csv"
        cmd = [sys.executable, "-m", "jiliang", "meters", "estimate", "--meters", str(city / "meters.csv")]
        cmd += ["--readings", str(source), "--out", str(out), "--min-periods", "50"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=WAIT)
        assert done.returncode == 0, done.stderr
        assert "several files" not in done.stderr, done.stderr
        results[name] = (_without_duplicates(out), out.with_name(f"{name}.areas.csv").read_text())
    assert results["store"] == results["files"]
    assert sum(1 for r in results["store"][0] if r["status"] not in ("insufficient_data", "")) > 50


def _without_duplicates(result: Path) -> list[dict[str, Any]]:
    """Result rows; the evidence's count of identical duplicates is left out (the store has none:
    the ingestor dropped them)."""
    import csv

    with result.open() as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        evidence = json.loads(r["evidence"] or "{}")
        evidence.pop("duplicates", None)
        r["evidence"] = evidence
    return rows


def test_a_batch_staged_by_an_earlier_version_in_a_folder_is_finished(tmp_path: Path) -> None:
    now = float(T0 + 86400)
    payload = json.dumps({"readings": [{"meter_id": "M1", "ts": T0, "register_kwh": 1.0}]}).encode()
    msg = (
        "jiliang/readings/A1",
        payload,
        parse_message("jiliang/readings/A1", payload, now, 1 << 20, "jiliang/readings"),
    )
    first = Store(tmp_path / "first")
    first.open()
    first.commit([msg], now)
    first.close()
    part = next((tmp_path / "first").glob("area_id=A1/date=*/part-*.parquet"))
    store = tmp_path / "store"
    staged = store / "_ingest" / "staging" / "B1"  # staging/<batch>/<i>: the earlier layout
    staged.mkdir(parents=True)
    (staged / "0").write_bytes(part.read_bytes())
    (staged.parent / "B2").mkdir()  # a batch without a commit record
    (staged.parent / "B2" / "0").write_bytes(part.read_bytes())
    rel = f"area_id=A1/{part.parent.name}/part-B1.parquet"
    (store / "_ingest" / "manifest.jsonl").write_text(json.dumps({"batch": "B1", "files": [rel]}) + "\n")
    again = Store(store)
    again.open()
    assert (store / rel).exists() and not list((store / "_ingest" / "staging").iterdir())
    assert again.commit([msg], now).duplicates == 1
    again.close()
