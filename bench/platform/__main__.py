"""Platform figures: cold start of ``jiliang serve`` and /healthz throughput on loopback.

    .venv/bin/python -m bench.platform [--runs 5] [--seconds 5] [--connections 32]

The throughput is measured side by side with a bare uvicorn app that answers the same JSON
(the floor set by the server itself), by a small keep-alive HTTP/1.1 load generator in one
process, so the numbers are comparable within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b'{"status":"ok","version":"0.1.0"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")}
    env["JILIANG_DATA_DIR"] = str(data)
    return env


def wait_ok(url: str, deadline: float) -> bool:
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=0.5) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.01)
    return False


def cold_start(data: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [PY, "-m", "jiliang", "serve", "--port", str(port)],
            env=env_for(data),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            if not wait_ok(f"http://127.0.0.1:{port}/healthz", t0 + 30):
                raise RuntimeError("server did not answer within 30 s")
            times.append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(10)
    return times


async def _client(port: int, path: str, stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    n = 0
    while time.perf_counter() < stop:
        writer.write(request)
        await writer.drain()
        header = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if not header.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(header[:40])
        n += 1
    counts.append(n)
    writer.close()


def throughput(port: int, seconds: float, connections: int, path: str = "/healthz") -> float:
    counts: list[int] = []

    async def run() -> None:
        stop = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, path, stop, counts) for _ in range(connections)))

    t0 = time.perf_counter()
    asyncio.run(run())
    return sum(counts) / (time.perf_counter() - t0)


def serve_and_measure(
    cmd: list[str], env: dict[str, str], port: int, seconds: float, connections: int
) -> float:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_ok(f"http://127.0.0.1:{port}/healthz", time.perf_counter() + 30):
            raise RuntimeError(f"{cmd[:4]} did not start")
        throughput(port, 1.0, connections)  # warm up
        return throughput(port, seconds, connections)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jiliang-bench-"))
    try:
        data = tmp / "data"
        env = env_for(data)
        subprocess.run([PY, "-m", "jiliang", "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([PY, "-m", "jiliang", "demo", "seed"], env=env, check=True, capture_output=True)
        starts = cold_start(data, args.runs)
        print(
            f"cold start to first 200 on /healthz: median {statistics.median(starts):.2f} s, "
            f"max {max(starts):.2f} s over {len(starts)} runs (target ≤ 3 s)"
        )
        port = free_port()
        ours = serve_and_measure(
            [PY, "-m", "jiliang", "serve", "--port", str(port)], env, port, args.seconds, args.connections
        )
        (tmp / "bare.py").write_text(BARE_APP)
        port = free_port()
        bare = serve_and_measure(
            [
                PY,
                "-m",
                "uvicorn",
                "bare:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--app-dir",
                str(tmp),
            ],
            env,
            port,
            args.seconds,
            args.connections,
        )
        print(f"/healthz, 1 worker, {args.connections} keep-alive connections, {args.seconds:.0f} s:")
        print(f"  jiliang serve       {ours:8.0f} requests/s (target ≥ 1,000)")
        print(f"  bare uvicorn app    {bare:8.0f} requests/s (same server, no framework: the ceiling)")
        print(f"  ratio               {ours / bare:8.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
