"""End-to-end fixtures: a real ``jiliang serve`` process on the demo city and Debian's Chromium.

The server runs as its own process on a free loopback port over a copy of the seeded demo
database; Chromium is driven by Playwright with ``executable_path=/usr/bin/chromium``. Screenshots
of each page go to ``test-artifacts/screens/``. With ``CI=true`` a missing Chromium fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from jiliang.dcc.trust import DEMO_CA_DIR

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Every browser step waits for a condition (an element, a navigation), never for a fixed time; this is
# only the ceiling after which a wait is a failure. Generous, so a loaded CI machine is not a failure.
WAIT_MS = int(os.environ.get("E2E_WAIT_MS", "90000"))
# An assertion on what a click brings retries until it holds (expect), with the same ceiling: a
# plain count() or is_visible() right after a click reads the page the click is leaving.
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def live_server(_seeded_template, tmp_path_factory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("e2e") / "data"
    data.mkdir()
    shutil.copy(_seeded_template[0], data / "jiliang.sqlite3")
    shutil.copytree(_seeded_template[0].parent / DEMO_CA_DIR, data / DEMO_CA_DIR)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")}
    env["JILIANG_DATA_DIR"] = str(data)
    env["JILIANG_DEMO_MODE"] = "true"  # as the quick start runs the demo city
    log = open(data / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jiliang", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + WAIT_MS / 1000
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                log.close()
                pytest.fail("server did not start: " + (data / "server.log").read_text()[-2000:])
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM} (required when CI=true)")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Keep a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login_as(page, username: str, password: str = "jiliang-demo") -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.locator("header form[action='/logout']").wait_for()
