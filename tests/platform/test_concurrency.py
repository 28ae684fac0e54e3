"""Fifty simultaneous logins, then fifty simultaneous writes, against a real ``jiliang serve``.

Functional, not a speed test: every request must succeed (no 500 from an exhausted pool, no 503
from SQLite's lock upgrade). Runs on SQLite and, when reachable, on PostgreSQL (required with
``CI=true``). Timings live in ``bench/load`` and docs/benchmarks.md.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CLIENTS = 50
LOGS: dict[str, Path] = {}
PASSWORD = "quiet-harbour-58"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _add_user(url: str) -> None:
    from jiliang.platform.auth import create_user
    from jiliang.platform.db import Database

    db = Database(url)
    with db.session(actor="test") as s:
        create_user(s, "crowd", PASSWORD, "regulator")
    db.dispose()


def _serve(env_extra: dict[str, str], folder: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")}
    env.update(env_extra)
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jiliang", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("server did not start: " + (folder / "server.log").read_text()[-2000:])
                time.sleep(0.1)
        LOGS[base] = folder / "server.log"
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path, _migrated_template) -> Iterator[str]:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    data.mkdir()
    if request.param == "sqlite":
        shutil.copy(_migrated_template, data / "jiliang.sqlite3")
        _add_user(f"sqlite:///{data / 'jiliang.sqlite3'}")
        env = {"JILIANG_DATA_DIR": str(data)}
    else:
        from jiliang.platform.db import Database
        from tests.conftest import _truncate_all

        url = request.getfixturevalue("pg_migrated")
        db = Database(url)
        _truncate_all(db)
        db.dispose()
        _add_user(url)
        env = {"JILIANG_DATA_DIR": str(data), "JILIANG_DATABASE_URL": url}
    yield from _serve(env, tmp_path)


def _all_at_once(work) -> list[int]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(CLIENTS)
    statuses: list[int] = [0] * CLIENTS

    def run(i: int) -> None:
        start.wait()
        try:
            statuses[i] = work(i)
        except httpx.HTTPError:
            statuses[i] = -1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return statuses


def _log(server: str) -> str:
    return LOGS.get(server, Path("/nonexistent")).read_text()[-3000:] if server in LOGS else ""


def test_fifty_simultaneous_logins_and_writes(server):
    tokens: list[str] = [""] * CLIENTS

    def log_in(i: int) -> int:
        r = httpx.post(
            server + "/api/auth/login", json={"username": "crowd", "password": PASSWORD}, timeout=240
        )
        if r.status_code == 200:
            tokens[i] = r.json()["token"]
        return r.status_code

    statuses = _all_at_once(log_in)
    assert statuses == [200] * CLIENTS, (sorted(set(statuses)), _log(server))

    def write(i: int) -> int:
        r = httpx.post(
            server + "/api/auth/tokens",
            json={"name": f"crowd-{i}"},
            headers={"Authorization": f"Bearer {tokens[i]}"},
            timeout=240,
        )
        return r.status_code

    statuses = _all_at_once(write)
    assert statuses == [201] * CLIENTS, (sorted(set(statuses)), _log(server))
    me = httpx.get(server + "/api/auth/tokens", headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=60)
    assert len(me.json()) == 2 * CLIENTS
