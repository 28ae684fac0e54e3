"""End to end in headless Chromium: login, search, import with a bad row, trace view, role isolation.

Screenshots of each page are kept in ``test-artifacts/registry/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import row, to_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "registry"


@pytest.fixture(scope="module")
def server(tmp_path_factory, _seeded_template):
    pytest.importorskip("playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    data = tmp_path_factory.mktemp("browser") / "data"
    data.mkdir()
    shutil.copy(_seeded_template[0], data / "jiliang.sqlite3")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")} | {
        "JILIANG_DATA_DIR": str(data)
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "jiliang.app:create_app_from_env",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _login(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", "jiliang-demo")
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_url(f"{base}/")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_trace_import_and_isolation(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    _login(page, server, "regulator")
    _shot(page, "home")
    page.goto(f"{server}/registry")
    page.select_option("#f-status", "blocked")
    page.click("form.filters button[type=submit]")
    assert "status=blocked" in page.url
    _shot(page, "search")
    page.click("table.data tbody a >> nth=0")
    assert page.locator("figure.trace svg").count() == 1
    _shot(page, "instrument")
    page.goto(f"{server}/registry/standards?level=public")
    links = page.locator("table.data tbody a").evaluate_all("els => els.map(e => e.href)")
    for href in links:
        page.goto(href)
        if page.locator("line.edge.broken").count():
            assert page.locator(".breaks li").count() >= 1
            _shot(page, "broken-chain")
            break
    else:
        pytest.fail("no broken chain drawn")
    register = tmp_path / "register.csv"
    register.write_bytes(to_csv([row("BR1"), row("BR2", use="自用")]))
    page.goto(f"{server}/registry/import")
    page.set_input_files("#i-file", str(register))
    page.click("form.card button[type=submit]")
    assert "unknown use" in page.locator("table.data").inner_text()
    _shot(page, "import-preview")
    page.click("form[action='/registry/import/commit'] button")
    assert "已导入" in page.content()
    page.goto(f"{server}/registry/due")
    _shot(page, "due")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "due-phone")
    other = browser.new_page(locale="zh-CN")
    _login(other, server, "fuel")
    other.goto(f"{server}/registry?q=BR1")
    assert "BR1" not in other.locator("table.data").inner_text()
    other.goto(f"{server}/registry/coverage")
    assert other.locator("h1").inner_text() != "受检率与建标覆盖"
    _shot(other, "enterprise-view")
