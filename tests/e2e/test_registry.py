"""Registry in a real browser: search, the trace view with a broken chain, import with a bad row,
the due list at phone width, and what an enterprise may not see."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.registry.conftest import row, to_csv

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def test_search_and_trace_view(page):
    login_as(page, "regulator")
    page.goto("/registry")
    page.select_option("#f-status", "blocked")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**status=blocked**")
    shot(page, "registry-search")
    page.click("table.data tbody a >> nth=0")
    expect(page.locator("figure.trace svg")).to_have_count(1)
    shot(page, "registry-instrument")
    page.goto("/registry/standards?level=public")
    links = page.locator("table.data tbody a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    for href in links:
        page.goto(href)
        if page.locator("line.edge.broken").count():
            assert page.locator(".breaks li").count() >= 1
            shot(page, "registry-broken-chain")
            break
    else:
        pytest.fail("no broken chain drawn")


def test_import_with_a_bad_row_then_isolation(page, browser, live_server, tmp_path):
    login_as(page, "regulator")
    register = tmp_path / "register.csv"
    register.write_bytes(to_csv([row("E2E-BR1"), row("E2E-BR2", use="自用")]))
    page.goto("/registry/import")
    page.set_input_files("#i-file", str(register))
    page.click("form.card button[type=submit]")
    expect(page.locator("table.data")).to_contain_text("unknown use")
    shot(page, "registry-import-preview")
    page.click("form[action='/registry/import/commit'] button")
    assert "已导入" in page.content()
    page.goto("/registry/due")
    shot(page, "registry-due")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "registry-due-phone")
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    other = context.new_page()
    login_as(other, "fuel")
    other.goto("/registry?q=E2E-BR1")
    assert "E2E-BR1" not in other.locator("main").inner_text()
    other.goto("/registry/coverage")
    assert other.locator("h1").inner_text() != "受检率与建标覆盖"
    shot(other, "registry-enterprise-view")
    context.close()
