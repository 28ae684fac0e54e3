"""Load test: many simultaneous clients with a realistic mix against a real ``jiliang serve``.

    .venv/bin/python -m bench.load --store sqlite|postgresql --clients 50 --seconds 60

Seeds the small demo city in a temporary folder (on PostgreSQL: in the database
``jiliang_bench_web_auth`` on 127.0.0.1:5432, dropped and created anew; ``--pg`` overrides the
server URL), starts ``jiliang serve`` on a free loopback port and runs ``--clients`` threads for
``--seconds``. Each client logs in through the console form (with its CSRF token) and the API as
one of the demo users (all at once: 100 simultaneous logins); when all are in, each loops for
``--seconds`` over a weighted mix: API logins, registry list and detail pages, API
reads, public certificate checks, and writes (saving an uncertainty budget; notices to owners by
the regulator). Reports, per kind and in all, the request count, errors (HTTP ≥ 400 other than
the expected, or no answer) and p50 / p95 latency. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

PY = sys.executable
USERS = ["regulator", "market", "institute", "lab", "power", "fuel"]
PASSWORD = "jiliang-demo"
MODEL = Path(__file__).resolve().parents[2] / "examples" / "uncertainty" / "jcgm101_9_3_mass.yaml"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "jiliang_bench_web_auth"
# kind: weight
MIX = {
    "api_login": 8,
    "page_registry": 14,
    "page_instrument": 10,
    "api_instruments": 16,
    "api_instrument": 12,
    "verify_certificate": 14,
    "page_home": 10,
    "write_budget": 8,
    "write_notify": 8,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(store: str, folder: Path, pg: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")}
    env["JILIANG_DATA_DIR"] = str(folder)
    if store == "postgresql":
        from sqlalchemy import create_engine, text

        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
        admin.dispose()
        env["JILIANG_DATABASE_URL"] = pg.rsplit("/", 1)[0] + "/" + PG_DB
    subprocess.run([PY, "-m", "jiliang", "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [PY, "-m", "jiliang", "demo", "seed", "--size", "small"], env=env, check=True, capture_output=True
    )
    return env


def start(env: dict[str, str], folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen(
        [PY, "-m", "jiliang", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start: " + (folder / "server.log").read_text()[-2000:])


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if error:
                self.errors[kind].append(error)


def console_login(http: httpx.Client, user: str) -> str:
    """Log in through the form; return the CSRF token for later console forms."""
    form = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
    assert token, "no CSRF field on the login form"
    r = http.post(
        "/login", data={"username": user, "password": PASSWORD, "next": "/", "csrf_token": token.group(1)}
    )
    if r.status_code != 303:
        raise RuntimeError(f"console login of {user} failed: {r.status_code}")
    return token.group(1)


def discover(base: str) -> dict[str, list[str]]:
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post("/api/auth/login", json={"username": "regulator", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        items = http.get("/api/registry/instruments?limit=200", headers=auth).json()["items"]
        certs = http.get("/api/certificates?limit=100", headers=auth).json()
        rows = certs["items"] if isinstance(certs, dict) else certs
    return {
        "instruments": [str(i["id"]) for i in items],
        "certificates": [str(c["number"]) for c in rows],
    }


def one(
    kind: str,
    http: httpx.Client,
    api_http: httpx.Client,
    api: dict[str, str],
    user: str,
    ids: dict[str, list[str]],
    rng: random.Random,
) -> httpx.Response:
    instrument = rng.choice(ids["instruments"])
    if kind == "api_login":
        return api_http.post("/api/auth/login", json={"username": user, "password": PASSWORD})
    if kind == "page_registry":
        return http.get("/registry")
    if kind == "page_instrument":
        return http.get(f"/registry/instruments/{instrument}")
    if kind == "api_instruments":
        return api_http.get("/api/registry/instruments?limit=20", headers=api)
    if kind == "api_instrument":
        return api_http.get(f"/api/registry/instruments/{instrument}", headers=api)
    if kind == "verify_certificate":
        return http.get(f"/verify/{rng.choice(ids['certificates'])}")
    if kind == "page_home":
        return http.get("/")
    if kind == "write_budget":
        body = {"name": f"load {rng.randrange(10**9)}", "source": MODEL.read_text("utf-8")}
        return api_http.post("/api/uncertainty/budgets", json=body, headers=api)
    body = {"ids": [int(instrument)], "note": "load test"}
    return api_http.post("/api/registry/notify", json=body, headers=api)


EXPECTED = {"page_instrument": {404}, "api_instrument": {404}, "write_notify": {403, 404, 409, 422}}


def client(
    n: int, base: str, ids: dict[str, list[str]], go: threading.Barrier, seconds: float, stats: Stats
) -> None:
    rng = random.Random(n)
    user = USERS[n % len(USERS)]
    kinds, weights = list(MIX), list(MIX.values())
    # the browser (console pages, with cookies) and an API client (bearer token, no cookies)
    with (
        httpx.Client(base_url=base, timeout=120, headers={"Accept": "text/html"}) as http,
        httpx.Client(base_url=base, timeout=120) as api_http,
    ):
        try:
            t0 = time.perf_counter()
            console_login(http, user)
            r = api_http.post("/api/auth/login", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            stats.add("console_login", time.perf_counter() - t0, None)
        except (httpx.HTTPError, RuntimeError) as exc:
            stats.add("console_login", 0.0, repr(exc)[:120])
            go.abort()
            return
        api = {"Authorization": f"Bearer {r.json()['token']}", "Accept": "application/json"}
        go.wait()  # the mix starts when every client is logged in
        until = time.time() + seconds
        while time.time() < until:
            kind = rng.choices(kinds, weights)[0]
            t0 = time.perf_counter()
            try:
                resp = one(kind, http, api_http, api, user, ids, rng)
                ok = resp.status_code < 400 or resp.status_code in EXPECTED.get(kind, ())
                error = None if ok else f"{resp.status_code} {resp.text[:100]}"
            except httpx.HTTPError as exc:
                error = repr(exc)[:120]
            stats.add(kind, time.perf_counter() - t0, error)


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(stats: Stats, seconds: float) -> int:
    rows = []
    every: list[float] = []
    errors = 0
    for kind in sorted(stats.times):
        t = stats.times[kind]
        every += t
        errors += len(stats.errors[kind])
        rows.append((kind, len(t), len(stats.errors[kind]), pct(t, 50), pct(t, 95)))
    rows.append(("all", len(every), errors, pct(every, 50), pct(every, 95)))
    print(f"{'kind':20} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, n, e, p50, p95 in rows:
        print(f"{kind:20} {n:8d} {e:6d} {p50 * 1000:8.0f} {p95 * 1000:8.0f}")
    mixed = len(every) - len(stats.times.get("console_login", []))
    print(f"throughput of the mix: {mixed / seconds:.1f} requests/s")
    for kind, errs in stats.errors.items():
        for e in errs[:3]:
            print(f"  error {kind}: {e}")
    return 1 if errors or not every else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--pg", default=os.environ.get("JILIANG_TEST_PG", PG_SERVER))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="jiliang-load-") as tmp:
        folder = Path(tmp)
        print(f"seeding the small demo city on {args.store} …", flush=True)
        env = prepare(args.store, folder, args.pg)
        proc, base = start(env, folder)
        try:
            ids = discover(base)
            stats = Stats()
            go = threading.Barrier(args.clients)
            threads = [
                threading.Thread(target=client, args=(n, base, ids, go, args.seconds, stats))
                for n in range(args.clients)
            ]
            print(f"{args.clients} clients for {args.seconds:.0f} s against {base}", flush=True)
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return report(stats, args.seconds)
        finally:
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    raise SystemExit(main())
