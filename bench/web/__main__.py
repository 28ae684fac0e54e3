"""Console speed: server time per page (p95) and first contentful paint in Chromium.

    .venv/bin/python -m bench.web [--size city] [--data DIR] [--repeat 30]

Seeds the demo city (``--size city`` by default: the scale the figures are stated for) in a
temporary folder, or reuses ``--data DIR`` when it already holds one, starts ``jiliang serve``,
logs in as the regulator, discovers the console's pages by following the links from the home page
(one representative URL per page pattern, ids replaced by ``{id}``), then requests each page
``--repeat`` times one after the other and reports the p50 / p95 / max server time (time to the
whole response on loopback). Finally it opens each page in Debian's Chromium and reads the first
contentful paint from the Paint Timing API.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

PY = sys.executable
SKIP = re.compile(
    r"^/(logout|static/|api/|openapi)|\.(xml|pdf|csv|xlsx|png|json)(\?|$)|download|export|template"
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def pattern(path: str) -> str:
    path = urllib.parse.urlsplit(path).path
    return re.sub(r"/(\d+|[A-Z0-9][A-Z0-9-]{5,})(?=/|$)", "/{id}", path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers: dict[str, str] = {"Accept": "text/html"}

    def get(self, path: str) -> tuple[int, str, float]:
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        return r.status, body.decode("utf-8", "replace"), time.perf_counter() - t0

    def login(self, user: str) -> None:
        # the login form carries a CSRF token tied to the jiliang_csrf cookie set with the form
        self.conn.request("GET", "/login", headers=self.headers)
        r = self.conn.getresponse()
        form = r.read().decode("utf-8", "replace")
        csrf_cookie = (r.getheader("set-cookie") or "").split(";")[0]
        found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
        fields = {"username": user, "password": "jiliang-demo", "next": "/"}
        fields["csrf_token"] = found.group(1) if found else ""
        body = urllib.parse.urlencode(fields)
        self.conn.request(
            "POST",
            "/login",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie},
        )
        r = self.conn.getresponse()
        r.read()
        cookie = r.getheader("set-cookie") or ""
        token = cookie.split(";")[0]
        if not token.startswith("jiliang_token="):
            raise RuntimeError(f"login failed: {r.status}")
        self.headers["Cookie"] = f"{token}; {csrf_cookie}"


def crawl(client: Client, limit: int = 80) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = ["/"]
    visited: set[str] = set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        status, html, _ = client.get(path)
        if status != 200:
            continue
        seen.setdefault(pattern(path), path)
        parser = _Links()
        parser.feed(html)
        for href in parser.links:
            if not href.startswith("/") or href.startswith("//") or SKIP.search(href) or "lang=" in href:
                continue
            if pattern(href) not in seen and href not in visited:
                queue.append(href)
    return seen


def fcp(base: str, cookie: str, paths: list[str]) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(base_url=base)
        pairs = (part.strip().partition("=") for part in cookie.split(";") if part.strip())
        context.add_cookies([{"name": name, "value": value, "url": base} for name, _, value in pairs])
        page = context.new_page()
        for path in paths:
            page.goto(path, wait_until="load")
            value_ms = page.evaluate(
                """() => new Promise(done => {
                    const seen = performance.getEntriesByName('first-contentful-paint')[0];
                    if (seen) { done(seen.startTime); return; }
                    new PerformanceObserver(list => {
                        const e = list.getEntriesByName('first-contentful-paint')[0];
                        if (e) done(e.startTime);
                    }).observe({type: 'paint', buffered: true});
                    setTimeout(() => done(null), 5000);
                })"""
            )
            if value_ms is not None:
                out[path] = float(value_ms)
        browser.close()
    return out


@contextmanager
def served_city(
    size: str, data: Path | None, env_extra: dict[str, str], wait_s: float = 120
) -> Iterator[int]:
    """A demo city of ``size`` in ``data`` (a temporary folder when None) served by ``jiliang serve``;
    yields the port once /healthz answers, stops the server and removes the temporary folder."""
    tmp = Path(tempfile.mkdtemp(prefix="jiliang-bench-")) if data is None else None
    folder = tmp / "data" if tmp is not None else data
    env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")}
    env["JILIANG_DATA_DIR"] = str(folder)
    env.update(env_extra)
    try:
        subprocess.run([PY, "-m", "jiliang", "db", "upgrade"], env=env, check=True, capture_output=True)
        t0 = time.perf_counter()
        subprocess.run(
            [PY, "-m", "jiliang", "demo", "seed", "--size", size, "--if-empty"], env=env, check=True
        )
        print(f"demo city ({size}) ready in {time.perf_counter() - t0:.0f} s")
        port = free_port()
        server = subprocess.Popen(
            [PY, "-m", "jiliang", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.time() + wait_s
            while True:
                try:
                    Client(port).get("/healthz")
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            server.wait(10)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="city", choices=["small", "city"])
    ap.add_argument("--data", type=Path, default=None, help="reuse (or create) the demo city here")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--user", default="regulator")
    ap.add_argument(
        "--no-cache",
        action="store_true",
        help="recompute the dashboard figures on every request (JILIANG_FIGURES_CACHE_SECONDS=0)",
    )
    args = ap.parse_args()
    extra = {"JILIANG_FIGURES_CACHE_SECONDS": "0"} if args.no_cache else {}
    with served_city(args.size, args.data, extra, wait_s=60) as port:
        client = Client(port)
        client.login(args.user)
        pages = crawl(client)
        print(f"{len(pages)} page patterns found as {args.user}; {args.repeat} requests each")
        print(f"{'page':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        worst = 0.0
        for pat, path in sorted(pages.items()):
            times = []
            for _ in range(args.repeat):
                status, _, dt = client.get(path)
                if status != 200:
                    raise RuntimeError(f"{path}: {status}")
                times.append(dt * 1000)
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            worst = max(worst, p95)
            print(f"{pat:45} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
        print(f"worst page p95: {worst:.1f} ms (target ≤ 150 ms)")
        paints = fcp(f"http://127.0.0.1:{port}", client.headers["Cookie"], list(pages.values()))
        if paints:
            print(
                f"first contentful paint in Chromium: median {statistics.median(paints.values()):.0f} ms, "
                f"max {max(paints.values()):.0f} ms over {len(paints)} pages (target ≤ 1000 ms)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
