"""Benchmark of streaming collection: ``python -m bench.ingest``.

A Mosquitto of its own (loopback, free port, persistence on); publishers send QoS 1 messages of
1,000 readings (one area: 100 meters × 10 intervals, epoch-second timestamps) to
``jiliang/readings/<area>``; ``jiliang meters ingest`` runs as a subprocess (one, or two in a shared
subscription). Three measurements:

* **sustained**: everything published as fast as the broker takes it; readings stored per second
  from the first publish to the last commit record;
* **latency**: a paced stream (``--paced`` readings/s); publish-to-durable per message = time of the
  commit record of the batch holding it − time of its publish; p50 / p99 / max;
* **backlog**: ``--backlog`` readings queued for an offline persistent session, then drained by one
  ingestor; its peak resident memory (``ru_maxrss`` of the process), and the broker's.

Results: JSON on stdout and in ``bench/meters/results/ingest-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_793_491_200  # 2026-11-01T00:00:00Z
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = work / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {work}/\nautosave_interval 3600\nmax_queued_messages 0\n"
    )
    proc = subprocess.Popen(
        [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mosquitto did not start")


def messages(n: int, areas: int = 200, start: int = 0) -> list[tuple[str, bytes]]:
    """``n`` messages of 1,000 readings; message k is area k % areas, intervals advancing."""
    out = []
    for k in range(start, start + n):
        area, step = k % areas, (k // areas) * 10
        rows = [
            {
                "meter_id": f"A{area:04d}-M{m:03d}",
                "ts": T0 + 900 * (step + j),
                "register_kwh": round(100.0 + m + 0.25 * (step + j), 3),
                "current_a": 1.5,
            }
            for m in range(100)
            for j in range(10)
        ]
        out.append((f"jiliang/readings/A{area:04d}", json.dumps({"readings": rows}).encode()))
    return out


class Ingestor:
    def __init__(self, port: int, store: Path, client_id: str, *extra: str) -> None:
        cmd = [sys.executable, "-m", "jiliang", "meters", "ingest", "--broker", f"mqtt://127.0.0.1:{port}"]
        cmd += ["--store", str(store), "--client-id", client_id, "--json", *extra]
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = threading.Event()
        self.out = ""
        self.maxrss_mb = 0.0
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.startswith("subscribed"):
                self.ready.set()

    def finish(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.read()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.maxrss_mb = usage.ru_maxrss / 1024
        totals: dict[str, Any] = json.loads(self.out) if self.out.strip() else {}
        return totals


def publish(port: int, msgs: list[tuple[str, bytes]], rate: float | None = None) -> list[float]:
    """Publish at QoS 1 (paced at ``rate`` messages/s when given); the publish time of each, then
    the time of the last PUBACK."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(200)
    c.connect("127.0.0.1", port)
    c.loop_start()
    sent, infos = [], []
    start = time.time()
    for i, (topic, payload) in enumerate(msgs):
        if rate:
            delay = start + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        sent.append(time.time())
        infos.append(c.publish(topic, payload, qos=1))
    for info in infos:
        info.wait_for_publish(timeout=600)
    sent.append(time.time())  # the last PUBACK: the broker holds everything
    c.disconnect()
    c.loop_stop()
    return sent


def manifest(store: Path) -> list[dict[str, Any]]:
    path = store / "_ingest" / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def at(record: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(record["at"]).timestamp()


def durable_times(store: Path, msgs: list[tuple[str, bytes]], sent: list[float]) -> list[float]:
    """Publish-to-durable (s) of each message: found by its first reading in the store's files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = {}
    for i, (_, payload) in enumerate(msgs):
        r = json.loads(payload)["readings"][0]
        first[(r["meter_id"], r["ts"] * 1_000_000)] = i
    commit = {rec["batch"]: at(rec) for rec in manifest(store)}
    lat = [float("nan")] * len(msgs)
    for f in store.glob("area_id=*/date=*/part-*.parquet"):
        batch = f.stem.removeprefix("part-")
        t = pq.read_table(f, columns=["meter_id", "ts"])
        for m, s in zip(
            t["meter_id"].cast(pa.string()).to_pylist(), t["ts"].cast(pa.int64()).to_pylist(), strict=True
        ):
            idx = first.get((m, s))
            if idx is not None:
                lat[idx] = commit[batch] - sent[idx]
    return lat


def run_stream(
    port: int, work: Path, name: str, n_ingestors: int, msgs: list[Any], rate: float | None
) -> dict[str, Any]:
    store = work / name
    group = (
        ("--shared-group", name) if n_ingestors > 1 else ()
    )  # a group per run: offline members keep their share
    args = (
        "--batch",
        "20000",
        "--flush-seconds",
        "0.5",
        "--until-idle",
        "5",
        "--max-inflight",
        "100",
        *group,
    )
    ings = [Ingestor(port, store, f"{name}-{k}", *args) for k in range(n_ingestors)]
    for ing in ings:
        if not ing.ready.wait(60):
            raise SystemExit("ingestor did not subscribe")
    sent = publish(port, msgs, rate)
    acked = sent.pop()
    totals = [ing.finish() for ing in ings]
    recs = manifest(store)
    stored = sum(r["stored"] for r in recs)
    span = max(at(r) for r in recs) - sent[0]
    out: dict[str, Any] = {
        "ingestors": n_ingestors,
        "messages": len(msgs),
        "readings_stored": stored,
        "readings_per_s": round(stored / span),
        "published_per_s": round(1000 * len(msgs) / (acked - sent[0])),
        "batches": len(recs),
        "peak_rss_mb": [round(i.maxrss_mb) for i in ings],
        "per_ingestor_messages": [t.get("messages") for t in totals],
    }
    if rate:
        lat = sorted(x for x in durable_times(store, msgs, sent) if x == x)
        out["paced_readings_per_s"] = rate * 1000
        out["latency_s"] = {
            "p50": round(lat[len(lat) // 2], 3),
            "p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3),
            "max": round(lat[-1], 3),
            "messages_measured": len(lat),
        }
    shutil.rmtree(store, ignore_errors=True)
    return out


def run_backlog(port: int, work: Path, backlog_msgs: int, broker_pid: int) -> dict[str, Any]:
    store = work / "backlog"
    args = ("--batch", "20000", "--flush-seconds", "0.5", "--max-inflight", "100")
    first = Ingestor(port, store, "backlog", *args, "--until-idle", "0.5")
    first.ready.wait(60)
    first.finish()  # the session and its subscription now exist; the ingestor is offline
    chunk = 1000
    for start in range(0, backlog_msgs, chunk):
        publish(port, messages(min(chunk, backlog_msgs - start), start=start)).pop()
    broker_rss = _rss_mb(broker_pid)
    t = time.time()
    ing = Ingestor(port, store, "backlog", *args, "--until-idle", "5")
    totals = ing.finish()
    recs = manifest(store)
    stored = sum(r["stored"] for r in recs)
    span = max(at(r) for r in recs) - t
    shutil.rmtree(store, ignore_errors=True)
    return {
        "backlog_readings": backlog_msgs * 1000,
        "readings_stored": stored,
        "drain_readings_per_s": round(stored / span),
        "ingestor_peak_rss_mb": round(ing.maxrss_mb),
        "broker_rss_mb_with_backlog": broker_rss,
        "messages": totals.get("messages"),
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024)
    return float("nan")


def versions() -> dict[str, str]:
    import paho.mqtt
    import pyarrow

    mosq = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"paho-mqtt": paho.mqtt.__version__, "pyarrow": pyarrow.__version__, "mosquitto": mosq.split()[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=400, help="Messages (×1,000 readings) per sustained run.")
    ap.add_argument(
        "--paced", type=float, default=25, help="Messages/s of the latency run (×1,000 readings)."
    )
    ap.add_argument("--paced-messages", type=int, default=300)
    ap.add_argument(
        "--backlog", type=int, default=2000, help="Messages (×1,000 readings) of the backlog run."
    )
    ap.add_argument(
        "--only", choices=["sustained", "latency", "backlog"], action="append", help="Run only these."
    )
    opts = ap.parse_args()
    only = set(opts.only or ["sustained", "latency", "backlog"])
    work = Path(tempfile.mkdtemp(prefix="jiliang-bench-ingest-"))
    broker, port = start_broker(work)
    results: dict[str, Any] = {
        "versions": versions(),
        "cores": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    try:
        for n in (1, 2) if "sustained" in only else ():
            results[f"sustained_{n}"] = run_stream(port, work, f"s{n}", n, messages(opts.messages), None)
            print(json.dumps(results[f"sustained_{n}"]), file=sys.stderr)
        for n in (1, 2) if "latency" in only else ():
            paced = messages(opts.paced_messages)
            results[f"latency_{n}"] = run_stream(port, work, f"l{n}", n, paced, opts.paced)
            print(json.dumps(results[f"latency_{n}"]), file=sys.stderr)
        if "backlog" in only:
            results["backlog"] = run_backlog(port, work, opts.backlog, broker.pid)
        results["load_after"] = os.getloadavg()
    finally:
        broker.terminate()
        broker.wait()
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(results, indent=2)
    print(text)
    out = (
        ROOT
        / "bench"
        / "meters"
        / "results"
        / f"ingest-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
