"""Meter supervision in a real browser: the utility opens its run, an area and the worklist."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def test_utility_reads_its_run_and_an_area(page):
    login_as(page, "power")
    page.goto("/meters")
    page.locator("table.data tbody a").first.click()
    expect(page.get_by_role("heading", name="现场核查工单（按优先级）")).to_be_visible()
    shot(page, "meters-run")
    page.locator("table.data tbody th a").first.click()
    expect(page.locator("svg.errs")).to_be_visible()
    assert page.locator("svg.errs circle").count() > 10
    shot(page, "meters-area")
    page.goto(page.url + "?lang=en")
    assert "Estimated error of each meter" in page.locator("main").inner_text()
