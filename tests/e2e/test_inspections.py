"""Random inspections in a real browser: the public plan page on a phone, the inspector's form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def test_public_plan_fits_a_phone_and_the_inspector_records_a_result(phone):
    phone.goto("/public/inspections")
    phone.locator("main ul li a").first.click()
    expect(phone.get_by_text("自己验证这次抽取")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "inspections-public-plan")
    login_as(phone, "regulator")
    phone.goto("/inspections/plans/2")
    phone.locator("table.data tbody a").last.click()
    phone.get_by_label("结论").select_option("passed")
    with phone.expect_navigation():
        phone.get_by_role("button", name="保存").click()
    assert "/inspections/plans/2" in phone.url
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "inspections-plan-after-result")
