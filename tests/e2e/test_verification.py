"""The verification loop in a real browser across three logins: the market books, the lab accepts
and records a passing two-point result, the certificate is signed, the market finds it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="退出", exact=True).click()
    page.wait_for_url(re.compile(r"/$|/login"))


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing sticks out sideways at phone width (wide tables scroll inside their own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _book(page) -> str:  # type: ignore[no-untyped-def]
    login_as(page, "market")
    page.goto("/verification/bookings/new")
    page.locator("input[name=instrument_id]:not([disabled])").first.check()
    page.get_by_role("button", name="下一步：选择检定机构").click()
    page.get_by_label("检定机构").select_option("5")
    page.get_by_label("联系人及电话").fill("农贸市场 张经理")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    assert "申请已提交" in page.locator("main").inner_text()
    booking = re.search(r"/verification/bookings/\d+", page.url)
    assert booking is not None
    _logout(page)
    return booking.group(0)


def _accept_and_record(page, booking: str) -> str:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 844})  # the lab works on a phone
    login_as(page, "lab")
    page.goto("/verification")
    page.locator(f"a[href='{booking}']").click()
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("main")).to_contain_text("受理回执")
    _fits(page)
    page.get_by_role("link", name="录入检定结果").click()
    _fits(page)
    shot(page, "verification-result-form-phone")
    page.fill("#r-on", "2026-11-01")  # the demo city's date: its standards are in calibration
    for i, (point, error) in enumerate((("10", "0.12"), ("100", "-0.08"))):
        page.fill(f"#p{i}_point", point)
        page.fill(f"#p{i}_error", error)
        page.fill(f"#p{i}_mpe", "1")
        page.fill(f"#p{i}_U", "0.2")
    page.locator("input[name=standard_ids]").first.check()  # the standard covering this type
    page.get_by_label("检定员", exact=True).fill("陈工")
    page.get_by_label("批准人", exact=True).fill("周主任")
    with page.expect_navigation():
        page.get_by_role("button", name="保存结果").click()
    text = page.locator("main").inner_text()
    assert "检定结果已保存" in text and "已完成" in text
    number = re.search(r"JD\d{4}-\d{6}-\d+", text)
    assert number is not None
    shot(page, "verification-booking-completed")
    _logout(page)
    page.set_viewport_size({"width": 1280, "height": 860})
    return number.group(0)


def test_book_accept_record_certificate(page):
    booking = _book(page)
    number = _accept_and_record(page, booking)
    login_as(page, "market")
    page.goto(booking)
    assert number in page.locator("main").inner_text()
    page.goto("/certificates")
    assert number in page.locator("main").inner_text()
    page.goto(f"/verify/{number}")
    assert number in page.locator("main").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/verification")
    _fits(page)
    shot(page, "verification-inbox-phone")
