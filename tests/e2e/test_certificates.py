"""The public certificate check in a real browser: by number, no login; revoked ones say so."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import WAIT_MS

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


def _signed_file(page, number: str) -> bytes:  # type: ignore[no-untyped-def]
    login_as(page, "institute")
    data = page.request.get(f"/api/certificates/{number}/xml").body()
    page.get_by_role("button", name="退出", exact=True).click()
    return data


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How far the page is wider than the window (0: no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_upload_a_certificate_file_and_see_the_verdict(page):
    number = _numbers(page)[0]
    data = _signed_file(page, number)
    page.goto("/verify")
    page.get_by_label("上传证书文件核验").set_input_files(
        {"name": f"{number}.xml", "mimeType": "application/xml", "buffer": data}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="核验文件").click()
    assert page.url.endswith("/verify/file")
    verdict = page.locator(".verdict")
    assert verdict.is_visible()
    # the e2e server runs without trust anchors (no demo mode, no platform CA): it says so plainly;
    # the valid path is covered in-process by tests/dcc/test_api.py
    kind = re.search(r"verdict-(\w+)", verdict.get_attribute("class") or "")
    assert kind and kind.group(1) in {"valid", "revoked", "superseded", "unregistered", "unchecked"}
    body = page.locator("main").inner_text()
    assert f"{number}.xml" in body and ("信任设置" in body or "证书链" in body)
    shot(page, "certificate-file-check-1366")
    # a changed file is not valid
    page.goto("/verify")
    changed = data.replace(b'<dcc:content lang="en">', b'<dcc:content lang="en">X', 1)
    page.get_by_label("上传证书文件核验").set_input_files(
        {"name": "changed.xml", "mimeType": "application/xml", "buffer": changed}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="核验文件").click()
    assert re.search(r"verdict-(invalid|unchecked)", page.locator(".verdict").get_attribute("class") or "")


def test_number_search_tolerates_case_and_spaces(page, phone):
    number = _numbers(page)[0]
    typed = "  " + " - ".join(number.lower().split("-")) + " "
    phone.goto("/verify")
    phone.get_by_label("按证书编号查询").fill(typed)
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(rf"/verify/{re.escape(number)}$"))
    verdict = phone.locator(".verdict")
    assert verdict.is_visible() and re.search(r"有效|已撤销|已被替代", verdict.inner_text())
    assert "出厂编号" in phone.locator("main").inner_text()


@pytest.mark.parametrize("width", [390, 1366])
def test_public_pages_fit_the_screen(browser, live_server, page, width):
    number = _numbers(page)[0]
    data = _signed_file(page, number)
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": width, "height": 844},
        is_mobile=width < 800,
        has_touch=width < 800,
    )
    context.set_default_timeout(WAIT_MS)
    view = context.new_page()
    try:
        for lang in ("zh", "en"):
            view.goto(f"/verify?lang={lang}")
            assert _overflow(view) <= 0, f"/verify ({lang}) overflows at {width}px"
            shot(view, f"certificate-check-form-{lang}-{width}")
            view.goto(f"/verify/{number}?lang={lang}")
            sha = view.locator("td.hash").first
            assert sha.is_visible()
            assert _overflow(view) <= 0, f"status page ({lang}) overflows at {width}px"
            box = sha.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, "the SHA-256 does not wrap"
            shot(view, f"certificate-status-{lang}-{width}")
            view.goto(f"/verify?lang={lang}")
            view.locator("#file").set_input_files(
                {"name": f"{number}.xml", "mimeType": "application/xml", "buffer": data}
            )
            with view.expect_navigation():
                view.locator("form[action='/verify/file'] button").click()
            assert _overflow(view) <= 0, f"file check ({lang}) overflows at {width}px"
            shot(view, f"certificate-file-check-{lang}-{width}")
            view.goto(f"/verify/NO-SUCH-0000?lang={lang}")
            assert _overflow(view) <= 0
    finally:
        context.close()
