"""The public certificate check in a real browser: by number, no login; revoked ones say so."""

from __future__ import annotations

import re

import pytest

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def _numbers(page) -> list[str]:
    login_as(page, "institute")
    page.goto("/certificates")
    text = page.locator("main").inner_text()
    page.get_by_role("button", name="退出", exact=True).click()
    return re.findall(r"\b[A-Z]{2,}[A-Z0-9]*-\d{4}-\d{5,}\b", text)


def test_public_check_by_number(page):
    numbers = _numbers(page)
    assert numbers, "the institute lists its certificates"
    page.goto("/verify")
    page.get_by_role("textbox").first.fill(numbers[0])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/verify/"))
    body = page.locator("main").inner_text()
    assert numbers[0] in body
    shot(page, "certificate-public-check")


def test_unknown_number_is_said_plainly(page):
    page.goto("/verify/NO-SUCH-0000")
    assert page.locator("main").inner_text().strip()
    assert "Traceback" not in page.content()
