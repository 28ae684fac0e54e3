"""The console shell in a real browser: language, login, keyboard, phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login_as, shot

pytestmark = pytest.mark.browser


def test_home_in_chinese_then_english(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "城市计量总览"
    shot(page, "home-zh-anonymous")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("City metrology overview")
    page.goto("/")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "en"


def test_login_with_the_keyboard_and_logout(page):
    page.goto("/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type("regulator")  # the user name field has focus
    page.keyboard.press("Tab")
    page.keyboard.type("jiliang-demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("header").get_by_text("王处长").wait_for()
    assert page.url.endswith("/")
    shot(page, "home-zh-regulator")
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page.locator("header")).not_to_contain_text("王处长")


def test_wrong_password_is_said_plainly(page):
    page.goto("/login")
    page.get_by_label("用户名").fill("regulator")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")


def test_phone_width_has_no_horizontal_scroll(phone):
    login_as(phone, "power")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    shot(phone, "home-phone-enterprise")
