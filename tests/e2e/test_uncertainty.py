"""Uncertainty calculator in a real browser: run the default model, read the result."""

from __future__ import annotations

import pytest

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def test_run_the_mass_calibration_and_save_it(page):
    login_as(page, "institute")
    page.goto("/uncertainty")
    page.get_by_role("button", name="计算").click()
    result = page.locator("#result")
    result.wait_for()
    assert "GUM" in result.inner_text() and "蒙特卡洛" in result.inner_text()
    assert page.locator("svg.hist rect").count() >= 50
    shot(page, "uncertainty-result-zh")
    page.get_by_label("预算名称").fill("100 g 砝码校准")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_role("status").inner_text() == "已保存。"
    assert page.get_by_role("link", name="100 g 砝码校准").is_visible()
