"""Uncertainty calculator in a real browser: run the default model, read the result."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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
    expect(page.get_by_role("status")).to_have_text("已保存。")
    expect(page.get_by_role("link", name="100 g 砝码校准")).to_be_visible()


KINK = """name: kink
model: {y: "abs(x)"}
inputs:
  x: {dist: normal, mean: 0, sd: 1}
method: {montecarlo: {trials: 20000}, seed: 1}
"""


def test_gum_warnings_shown_on_a_phone(page):
    """abs(x) at 0: the warning box with its recommendation, fitting 390 px (no overflow)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/uncertainty")
    page.locator("#source").fill(KINK)
    page.get_by_role("button", name="计算").first.click()
    box = page.locator(".gum-warnings")
    box.wait_for()
    text = box.inner_text()
    assert "绝对值函数的自变量接近 0" in text and "蒙特卡洛法" in text
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    shot(page, "uncertainty-warnings-phone-zh")
