"""The verification loop's server time at city scale, and p95 of the booking inbox and certificate lists.

    .venv/bin/python -m bench.verification [--size city] [--data DIR] [--loops 10] [--repeat 30]

Seeds the demo city (or reuses ``--data DIR``, as :mod:`bench.web` does), starts ``jiliang serve``
and, through the HTTP API on loopback, runs the whole loop ``--loops`` times: the market books one
of its instruments with the lab, the lab accepts and records a passing result, which signs the
certificate; the certificate's public check closes the loop. It reports the server time of each
step and of the whole loop (sum of the requests' times, p50/max), then the p50/p95/max of the
booking inbox, the booking list and the certificate list (API and console pages) over ``--repeat``
requests each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench.web.__main__ import Client, served_city

PY = sys.executable


class Api:
    def __init__(self, port: int, user: str) -> None:
        self.client = Client(port)
        self.client.headers = {"Accept": "application/json"}
        status, body, _ = self.call("POST", "/api/auth/login", {"username": user, "password": "jiliang-demo"})
        if status != 200:
            raise RuntimeError(f"login {user}: {status} {body[:200]}")
        self.client.headers["Authorization"] = "Bearer " + json.loads(body)["token"]

    def call(self, method: str, path: str, body: object = None) -> tuple[int, str, float]:
        conn = self.client.conn
        headers = dict(self.client.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        return r.status, text, time.perf_counter() - t0

    def ok(self, method: str, path: str, body: object = None) -> tuple[object, float]:
        status, text, dt = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {text[:300]}")
        return json.loads(text), dt


def one_loop(
    market: Api, lab: Api, anon: Api | None, lab_id: int, standards: dict[str, list[int]]
) -> dict[str, float]:
    page, _ = market.ok("GET", "/api/registry/instruments?status=in_use&limit=200")
    items = page["items"]  # type: ignore[index]
    verifiers = None
    chosen = None
    for item in items:
        got, _ = market.ok("GET", f"/api/verification/verifiers?instrument_id={item['id']}")
        verifiers = [v["id"] for v in got]  # type: ignore[union-attr]
        if lab_id in verifiers:
            chosen = item
            break
    if chosen is None:
        raise RuntimeError("no in-use instrument of the market that the lab may verify")
    times: dict[str, float] = {}
    on = (date.today() + timedelta(days=3)).isoformat()
    booking, times["book"] = market.ok(
        "POST",
        "/api/verification/bookings",
        {"instrument_ids": [chosen["id"]], "lab_id": lab_id, "mode": "send_in", "preferred_on": on},
    )
    bid = booking["id"]  # type: ignore[index]
    type_code = booking["items"][0]["type_code"]  # type: ignore[index]
    _, times["accept"] = lab.ok("POST", f"/api/verification/bookings/{bid}/accept", {})
    result = {
        "instrument_id": chosen["id"],
        "verified_on": date.today().isoformat(),
        "points": [
            {"point": 10, "error": 0.1, "mpe": 1.0, "U": 0.25},
            {"point": 100, "error": -0.1, "mpe": 1.0, "U": 0.25},
        ],
        "standard_ids": standards.get(type_code, [])[:1],
        "performer": "陈工",
        "approver": "周主任",
        "temperature_c": 20.5,
        "humidity_percent": 50,
        "acknowledge_warnings": True,
    }
    done, times["result_and_certificate"] = lab.ok(
        "POST", f"/api/verification/bookings/{bid}/results", result
    )
    number = done["items"][0]["certificate_no"]  # type: ignore[index]
    if anon is not None and number:
        _, times["public_check"] = anon.ok("GET", f"/api/certificates/verify/{number}")
    times["loop"] = sum(times.values())
    return times


def timed(fn: object, repeat: int) -> tuple[float, float, float]:
    values = []
    for _ in range(repeat):
        status, _, dt = fn()  # type: ignore[operator]
        if status != 200:
            raise RuntimeError(f"status {status}")
        values.append(dt * 1000)
    values.sort()
    return statistics.median(values), values[max(0, round(0.95 * len(values)) - 1)], values[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="city", choices=["small", "city"])
    ap.add_argument("--data", type=Path, default=None, help="reuse (or create) the demo city here")
    ap.add_argument("--loops", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--lab-id", type=int, default=5, help="the verifier of the loop (demo user lab)")
    args = ap.parse_args()
    # the demo city signs with its demo CA
    with served_city(args.size, args.data, {"JILIANG_DEMO_MODE": "true"}) as port:
        market, lab = Api(port, "market"), Api(port, "lab")
        anon = Api.__new__(Api)
        anon.client = Client(port)
        anon.client.headers = {"Accept": "application/json"}
        own, _ = lab.ok("GET", "/api/verification/standards")
        standards: dict[str, list[int]] = {}
        for s in own:  # type: ignore[union-attr]
            for code in s["covers"]:
                standards.setdefault(code, []).append(s["id"])
        loops = [one_loop(market, lab, anon, args.lab_id, standards) for _ in range(args.loops)]
        print(f"whole loop, {args.loops} times (server time of each request on loopback, ms):")
        print(f"{'step':26} {'p50':>8} {'max':>8}")
        for step in loops[0]:
            values = sorted(loop[step] * 1000 for loop in loops)
            print(f"{step:26} {statistics.median(values):8.1f} {values[-1]:8.1f}")
        lab_page = Client(port)
        lab_page.login("lab")
        market_page = Client(port)
        market_page.login("market")
        regulator_page = Client(port)
        regulator_page.login("regulator")
        cases = {
            "API inbox (lab)": lambda: lab.call("GET", "/api/verification/inbox"),
            "API bookings (lab)": lambda: lab.call("GET", "/api/verification/bookings"),
            "API certificates (lab)": lambda: lab.call("GET", "/api/certificates"),
            "API certificates (market)": lambda: market.call("GET", "/api/certificates"),
            "page /verification (lab)": lambda: lab_page.get("/verification"),
            "page /certificates (lab)": lambda: lab_page.get("/certificates"),
            "page /certificates (market)": lambda: market_page.get("/certificates"),
            "page /verification/flow (regulator)": lambda: regulator_page.get("/verification/flow"),
        }
        print(f"\n{args.repeat} requests each (ms):")
        print(f"{'request':38} {'p50':>8} {'p95':>8} {'max':>8}")
        for name, fn in cases.items():
            p50, p95, worst = timed(fn, args.repeat)
            print(f"{name:38} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
