"""Net content in a real browser on a phone: the public list, the inspector's entry of a drawn lot,
the verdict, and the packer's pages; no overflow at 390 px, no console or CSP error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def _fits(pg) -> None:  # type: ignore[no-untyped-def]
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390


def test_inspector_enters_a_drawn_lot_on_a_phone(phone):
    errors: list[str] = []
    phone.on(
        "console", lambda m: errors.append(f"{m.text} {m.location.get('url')}") if m.type == "error" else None
    )
    phone.goto("/public/netcontent")
    assert phone.get_by_text("不合格").first.is_visible()
    _fits(phone)
    shot(phone, "netcontent-public")
    login_as(phone, "regulator")
    phone.goto("/netcontent")
    _fits(phone)
    phone.get_by_role("link", name="面粉").click()  # the demo's lot drawn but not yet weighed
    fields = phone.locator("input[name=value]")
    expect(fields).to_have_count(13)
    _fits(phone)
    shot(phone, "netcontent-entry")
    for i in range(fields.count()):
        fields.nth(i).fill("10.02")
    with phone.expect_navigation():
        phone.get_by_role("button", name="判定", exact=True).click()
    assert phone.get_by_text("判定结果").is_visible() and phone.get_by_text("检验报告（PDF）").is_visible()
    _fits(phone)
    shot(phone, "netcontent-verdict")
    for path in ("/netcontent?lang=en", "/public/netcontent?lang=en"):
        phone.goto(path)
        _fits(phone)
    assert [e for e in errors if not e.endswith("/favicon.ico")] == []  # the browser's own favicon probe


def test_packer_self_check_page_fits(phone):
    login_as(phone, "packer")
    phone.goto("/netcontent")
    assert phone.get_by_text("企业自检").first.is_visible()
    _fits(phone)
    phone.locator("table.data tbody a").first.click()
    _fits(phone)
    shot(phone, "netcontent-self-check")
