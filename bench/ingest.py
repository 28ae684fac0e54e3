"""Benchmark of streaming collection: ``python -m bench.ingest``.

A Mosquitto of its own (loopback, free port, persistence on); publishers send QoS 1 messages of
1,000 readings (one area: 100 meters × 10 intervals, epoch-second timestamps) to
``jiliang/readings/<area>``; ``jiliang meters ingest`` runs as a subprocess (one, or two in a shared
subscription). Four measurements:

* **publisher**: the publisher alone (no subscriber): readings/s to the last PUBACK, CPU — to show
  that the publishing side is not what limits the other figures;
* **sustained**: everything published as fast as the broker takes it; readings stored per second
  from the first publish to the last batch acknowledged;
* **latency**: a paced stream (``--paced`` messages/s); publish-to-durable per message = time the
  batch holding it was reported durable and acknowledged (the ingestor's log line, read as it
  comes) − time of its publish; p50 / p99 / max;
* **backlog**: ``--backlog`` messages queued for an offline persistent session, then drained by one
  ingestor; its peak resident memory (``ru_maxrss`` of the process), and the broker's.

With every figure: the load average before and after, and CPU-seconds per million readings of the
ingestors (user + system, from ``wait4``), of the broker and of the publisher — the machine is
shared, so CPU time is the figure that does not depend on the neighbours.

Results: JSON on stdout and in ``bench/meters/results/ingest-<time>.json`` (command, machine and
versions as :mod:`bench.record` records them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
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
    """``jiliang meters ingest`` in a subprocess; the time each batch's log line arrives (the
    batch is then durable and acknowledged), its CPU time and peak memory when it ends."""

    def __init__(self, port: int, store: Path, client_id: str, *extra: str) -> None:
        cmd = [sys.executable, "-m", "jiliang", "meters", "ingest", "--broker", f"mqtt://127.0.0.1:{port}"]
        cmd += ["--store", str(store), "--client-id", client_id, "--json", *extra]
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = threading.Event()
        self.out = ""
        self.maxrss_mb = 0.0
        self.wait4_maxrss_mb = 0.0
        self.ended = threading.Event()
        self.cpu_s = 0.0
        self.startup_cpu_s = 0.0
        self.durable: dict[str, float] = {}  # batch → when its line arrived
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()
        threading.Thread(target=self._peak, daemon=True).start()

    def _peak(self) -> None:
        """The process's own peak RSS (VmHWM), read until it ends. Not ``ru_maxrss`` from
        ``wait4``: Linux carries the parent's peak into a child across fork and exec, so that
        figure was at least this benchmark's own size."""
        status = Path(f"/proc/{self.proc.pid}/status")
        while not self.ended.is_set():  # not proc.poll(): it would reap the child before wait4
            with contextlib.suppress(OSError, ValueError, IndexError):
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.maxrss_mb = max(self.maxrss_mb, int(line.split()[1]) / 1024)
            time.sleep(0.1)

    def _watch(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.startswith("batch "):
                self.durable[line.split()[1].rstrip(":")] = time.time()
            elif line.startswith("subscribed"):
                self.startup_cpu_s = proc_cpu_s(self.proc.pid)  # imports, opening the store
                self.ready.set()

    def finish(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        self.out = self.proc.stdout.read()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.ended.set()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.wait4_maxrss_mb = usage.ru_maxrss / 1024
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.watcher.join(timeout=60)
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


def durable_times(
    store: Path, msgs: list[tuple[str, bytes]], sent: list[float], durable: dict[str, float]
) -> list[float]:
    """Publish-to-durable (s) of each message: found by its first reading in the store's files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = {}
    for i, (_, payload) in enumerate(msgs):
        r = json.loads(payload)["readings"][0]
        first[(r["meter_id"], r["ts"] * 1_000_000)] = i
    lat = [float("nan")] * len(msgs)
    for f in store.glob("area_id=*/date=*/part-*.parquet"):
        batch = f.stem.removeprefix("part-")
        t = pq.read_table(f, columns=["meter_id", "ts"])
        for m, s in zip(
            t["meter_id"].cast(pa.string()).to_pylist(), t["ts"].cast(pa.int64()).to_pylist(), strict=True
        ):
            idx = first.get((m, s))
            if idx is not None:
                lat[idx] = durable[batch] - sent[idx]
    return lat


def proc_cpu_s(pid: int) -> float:
    """User + system CPU-seconds of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cpu:
    """CPU-seconds (user + system) of the broker and of this process (the publisher) over a run."""

    def __init__(self, broker_pid: int) -> None:
        self.pid = broker_pid
        self.broker0, self.self0, self.load0 = proc_cpu_s(broker_pid), self._self(), os.getloadavg()

    @staticmethod
    def _self() -> float:
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    def report(self, readings: int, ingestors: list[Ingestor]) -> dict[str, Any]:
        per_m = 1e6 / max(readings, 1)
        ing = sum(i.cpu_s - i.startup_cpu_s for i in ingestors)
        return {
            "cpu_s_per_million_readings": {
                "ingestors": round(ing * per_m, 2),  # from subscribed to the end (start-up apart)
                "broker": round((proc_cpu_s(self.pid) - self.broker0) * per_m, 2),
                "publisher": round((self._self() - self.self0) * per_m, 2),
            },
            "ingestor_startup_cpu_s": [round(i.startup_cpu_s, 2) for i in ingestors],
            "load_before": [round(x, 2) for x in self.load0],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }


INGEST_ARGS = ("--batch", "20000", "--flush-seconds", "0.5", "--max-inflight", "100")


def run_publisher(port: int, msgs: list[tuple[str, bytes]], broker_pid: int) -> dict[str, Any]:
    """The publisher alone: nobody subscribes, the broker acknowledges and drops."""
    cpu = Cpu(broker_pid)
    sent = publish(port, msgs)
    return {
        "messages": len(msgs),
        "published_readings_per_s": round(1000 * len(msgs) / (sent[-1] - sent[0])),
        **cpu.report(1000 * len(msgs), []),
    }


def run_stream(
    port: int, work: Path, name: str, n_ingestors: int, msgs: list[Any], rate: float | None, broker_pid: int
) -> dict[str, Any]:
    store = work / name
    group = (
        ("--shared-group", name) if n_ingestors > 1 else ()
    )  # a group per run: offline members keep their share
    args = (*INGEST_ARGS, "--until-idle", "5", *group)
    ings = [Ingestor(port, store, f"{name}-{k}", *args) for k in range(n_ingestors)]
    for ing in ings:
        if not ing.ready.wait(60):
            raise SystemExit("ingestor did not subscribe")
    cpu = Cpu(broker_pid)
    sent = publish(port, msgs, rate)
    acked = sent.pop()
    totals = [ing.finish() for ing in ings]
    durable = {b: t for ing in ings for b, t in ing.durable.items()}
    recs = manifest(store)
    stored = sum(r["stored"] for r in recs)
    span = max(durable.values()) - sent[0]
    out: dict[str, Any] = {
        "ingestors": n_ingestors,
        "messages": len(msgs),
        "readings_stored": stored,
        "seconds": round(span, 2),
        "readings_per_s": round(stored / span),
        "published_per_s": round(1000 * len(msgs) / (acked - sent[0])),
        "batches": len(recs),
        "peak_rss_mb": [round(i.maxrss_mb) for i in ings],
        "wait4_maxrss_mb": [round(i.wait4_maxrss_mb) for i in ings],  # inflated by fork (see _peak)
        "per_ingestor_messages": [t.get("messages") for t in totals],
        **cpu.report(stored, ings),
    }
    if rate:
        lat = sorted(x for x in durable_times(store, msgs, sent, durable) if x == x)
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
    first = Ingestor(port, store, "backlog", *INGEST_ARGS, "--until-idle", "0.5")
    first.ready.wait(60)
    first.finish()  # the session and its subscription now exist; the ingestor is offline
    chunk = 1000
    for start in range(0, backlog_msgs, chunk):
        publish(port, messages(min(chunk, backlog_msgs - start), start=start)).pop()
    broker_rss = _rss_mb(broker_pid)
    cpu = Cpu(broker_pid)
    t = time.time()
    ing = Ingestor(port, store, "backlog", *INGEST_ARGS, "--until-idle", "5")
    totals = ing.finish()
    recs = manifest(store)
    stored = sum(r["stored"] for r in recs)
    span = max(ing.durable.values()) - t
    shutil.rmtree(store, ignore_errors=True)
    return {
        "backlog_readings": backlog_msgs * 1000,
        "readings_stored": stored,
        "seconds": round(span, 1),
        "drain_readings_per_s": round(stored / span),
        "ingestor_peak_rss_mb": round(ing.maxrss_mb),
        "wait4_maxrss_mb": round(ing.wait4_maxrss_mb),
        "broker_rss_mb_with_backlog": broker_rss,
        "messages": totals.get("messages"),
        **cpu.report(stored, [ing]),
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024)
    return float("nan")


def versions() -> dict[str, str]:
    from bench.record import versions as installed

    mosq = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True).stdout.splitlines()[0]
    return {
        **installed(["jiliang", "paho-mqtt", "pyarrow", "msgspec", "numpy"]),
        "mosquitto": mosq.split()[-1],
    }


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows the docs show: each figure with its load average and CPU-seconds per million."""
    rows = []
    for name, r in results.items():
        if not isinstance(r, dict) or "load_before" not in r:
            continue
        cpu = r["cpu_s_per_million_readings"]
        note = (
            f"load {r['load_before'][0]:.1f}→{r['load_after'][0]:.1f}; CPU-s per 10⁶ readings: "
            f"ingestors {cpu['ingestors']}, broker {cpu['broker']}, publisher {cpu['publisher']}"
        )
        if "latency_s" in r:
            lat = r["latency_s"]
            value, unit = f"p50 {lat['p50']} s, p99 {lat['p99']} s, max {lat['max']} s", ""
            name = f"{name} at {r['paced_readings_per_s']:.0f} readings/s"
        elif "drain_readings_per_s" in r:
            value, unit = r["drain_readings_per_s"], f"readings/s, peak RSS {r['ingestor_peak_rss_mb']} MB"
        elif "readings_per_s" in r:
            value, unit = r["readings_per_s"], f"readings/s, peak RSS {r['peak_rss_mb']} MB"
        else:
            value, unit = r["published_readings_per_s"], "readings/s"
        rows.append({"metric": name, "value": value, "unit": f"{unit} ({note})"})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--messages", type=int, default=2000, help="Messages (×1,000 readings) per sustained run."
    )
    ap.add_argument(
        "--paced", type=float, default=50, help="Messages/s of the latency run (×1,000 readings)."
    )
    ap.add_argument("--paced-messages", type=int, default=1500)
    ap.add_argument(
        "--backlog", type=int, default=10_000, help="Messages (×1,000 readings) of the backlog run."
    )
    ap.add_argument(
        "--ingestors", type=int, action="append", help="Ingestors side by side (default: 1 and 2)."
    )
    runs = ["publisher", "sustained", "latency", "backlog"]
    ap.add_argument("--only", choices=runs, action="append", help="Run only these.")
    opts = ap.parse_args()
    only = set(opts.only or runs)
    counts = opts.ingestors or [1, 2]
    work = Path(tempfile.mkdtemp(prefix="jiliang-bench-ingest-"))
    broker, port = start_broker(work)
    results: dict[str, Any] = {}
    try:
        if "publisher" in only:
            results["publisher"] = run_publisher(port, messages(opts.messages), broker.pid)
        for n in counts if "sustained" in only else ():
            msgs = messages(opts.messages)
            results[f"sustained_{n}"] = run_stream(port, work, f"s{n}", n, msgs, None, broker.pid)
            print(json.dumps(results[f"sustained_{n}"]), file=sys.stderr)
        for n in counts if "latency" in only else ():
            paced = messages(opts.paced_messages)
            results[f"latency_{n}"] = run_stream(port, work, f"l{n}", n, paced, opts.paced, broker.pid)
            print(json.dumps(results[f"latency_{n}"]), file=sys.stderr)
        if "backlog" in only:
            results["backlog"] = run_backlog(port, work, opts.backlog, broker.pid)
    finally:
        broker.terminate()
        broker.wait()
        shutil.rmtree(work, ignore_errors=True)
    save(results)


def save(results: dict[str, Any]) -> None:
    from bench.record import machine

    doc = {
        "bench": "ingest",
        "command": " ".join(["python -m bench.ingest", *sys.argv[1:]]),
        "ran_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "versions": versions(),
        "summary": summary(results),
        "results": results,
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    print(text)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = ROOT / "bench" / "meters" / "results" / f"ingest-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
