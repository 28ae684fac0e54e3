"""Meter lots in a real browser on a phone (390 px): the regulator forms a lot from the register,
draws its seeded sample and enters field results one-handed; a refused replacement is explained
in Chinese inside the page; no overflow, no console or CSP error."""

from __future__ import annotations

import pytest

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def _fits(pg) -> None:  # type: ignore[no-untyped-def]
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390


def test_regulator_forms_draws_and_enters_a_lot_on_a_phone(phone):
    errors: list[str] = []
    phone.on(
        "console", lambda m: errors.append(f"{m.text} {m.location.get('url')}") if m.type == "error" else None
    )
    login_as(phone, "regulator")
    phone.goto("/meters/lots")
    _fits(phone)
    shot(phone, "lots-form")
    phone.select_option("#lf-rule", "mc-s-s-06")
    utility = phone.locator("#lf-org option", has_text="滨江供电局").get_attribute("value")
    phone.select_option("#lf-org", utility)
    phone.select_option("#lf-kind", "electricity")
    with phone.expect_navigation():
        phone.get_by_role("button", name="组批", exact=True).click()
    assert phone.get_by_text("已组成 1 个批次").is_visible()
    with phone.expect_navigation():
        phone.locator("table.data tbody a").first.click()  # newest first: the lot just formed
    phone.fill("#l-seed", "13")
    with phone.expect_navigation():
        phone.get_by_role("button", name="抽取样本").click()
    _fits(phone)
    first = phone.locator("#l-meter option").first.get_attribute("value")
    phone.get_by_label("合格", exact=True).check()
    phone.fill("#l-error", "0.3")
    with phone.expect_navigation():
        phone.get_by_role("button", name="保存").click()
    assert phone.locator("#l-meter option", has_text=first).count() == 0  # entered: no longer open
    _fits(phone)
    shot(phone, "lots-entry")
    phone.get_by_label("无法到达（替换）").check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="保存").click()
    assert "不允许替换" in phone.locator("#lot-error").inner_text()
    _fits(phone)
    lot_page = phone.url.split("?")[0]
    for path in ("/meters/lots?lang=en", f"{lot_page}?lang=en", "/public/meter-lots?lang=en"):
        phone.goto(path)
        _fits(phone)
    phone.goto("/meters/lots?lang=zh")
    assert [e for e in errors if "favicon.ico" not in e and "422" not in e] == []
