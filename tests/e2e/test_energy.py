"""The energy pages in Chromium: they fit 390 px and 1366 px in both languages without console or
CSP errors, and a regulator carries a review from draft to its report with the buttons shown."""

from __future__ import annotations

import re

from tests.web.test_language import _ids

from .conftest import ARTIFACTS, login_as
from .test_layout import MEASURE, WATCH_CSP, WIDTHS


def _pages(seeded_path) -> list[str]:  # type: ignore[no-untyped-def]
    from jiliang.platform.db import Database

    database = Database(f"sqlite:///{seeded_path}")
    try:
        with database.sessionmaker() as session:
            ids = _ids(session)
    finally:
        database.dispose()
    return [
        "/energy",
        f"/energy/units/{ids['unit_id'][0]}",
        f"/energy/reviews/{ids['review_id'][0]}",
        "/carbon?period=2025",
    ]


def test_energy_pages_fit_and_log_nothing(browser, live_server, _seeded_template):  # type: ignore[no-untyped-def]
    problems: list[str] = []
    folder = ARTIFACTS / "energy"
    folder.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(
            base_url=live_server, locale="zh-CN", viewport={"width": width, "height": height}
        )
        context.add_init_script(WATCH_CSP)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        login_as(pg, "regulator")
        for lang in ("zh", "en"):
            for path in _pages(_seeded_template[0]):
                errors.clear()
                sep = "&" if "?" in path else "?"
                response = pg.goto(f"{path}{sep}lang={lang}")
                assert response is not None and response.status == 200, path
                found = pg.evaluate(MEASURE)
                where = f"{width}px {lang} {path}"
                if found["overflow"] > 1:
                    problems.append(f"{where}: {found['overflow']} px wider than the window")
                problems += [f"{where}: CSP: {c}" for c in found["csp"]]
                problems += [f"{where}: console: {e}" for e in errors]
                name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
                pg.screenshot(path=str(folder / f"{name}-{width_name}-{lang}.png"), full_page=True)
        context.close()
    assert problems == [], "\n".join(problems)


def test_review_from_draft_to_report_in_the_browser(browser, live_server, _seeded_template):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    pg = context.new_page()
    login_as(pg, "regulator")
    unit = _pages(_seeded_template[0])[1]
    pg.goto(f"{unit}?lang=zh")
    pg.fill("#r-code", "E2E-1")
    pg.fill("#r-date", "2026-03-01")
    with pg.expect_navigation():
        pg.locator("form[action$='/reviews'] button[type=submit]").click()
    assert "草稿" in pg.content()
    with pg.expect_navigation():
        pg.get_by_role("button", name="开始核查（自动生成问题）").click()
    assert "主要问题" in pg.content()
    with pg.expect_navigation():
        pg.get_by_role("button", name="出具审查报告").click()
    text = pg.content()
    assert "已出报告" in text and "审查报告（PDF）" in text
    context.close()
