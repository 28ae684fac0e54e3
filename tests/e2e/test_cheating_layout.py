"""The cheating-check pages fit a phone (390 px) and a laptop, in both languages, without clipped
chart text or console errors (the same measure as the whole-console layout walk), as the regulator
and as the fuel station."""

from __future__ import annotations

import re

from tests.e2e.test_layout import MEASURE, WATCH_CSP, WIDTHS

from .conftest import ARTIFACTS, login_as


def _paths(seeded_path) -> list[str]:  # type: ignore[no-untyped-def]
    from jiliang.platform.db import Database
    from tests.web.test_language import _cheating_ids

    database = Database(f"sqlite:///{seeded_path}")
    try:
        with database.sessionmaker() as session:
            ids = _cheating_ids(session)
    finally:
        database.dispose()
    site, nozzle = ids["site_id"], ids["nozzle_id"][0]
    return [
        "/cheating",
        "/cheating/keysites",
        *(f"/cheating/sites/{s}" for s in site),
        f"/cheating/sites/{site[0]}/nozzles/{nozzle}",
    ]


def test_cheating_pages_fit_and_log_no_errors(browser, live_server, _seeded_template):  # type: ignore[no-untyped-def]
    problems: list[str] = []
    seen = 0
    for width, height in WIDTHS.values():
        for user in ("regulator", "fuel"):
            context = browser.new_context(
                base_url=live_server, locale="zh-CN", viewport={"width": width, "height": height}
            )
            context.add_init_script(WATCH_CSP)
            pg = context.new_page()
            errors: list[str] = []
            pg.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            login_as(pg, user)
            for lang in ("zh", "en"):
                for path in _paths(_seeded_template[0]):
                    errors.clear()
                    response = pg.goto(f"{path}?lang={lang}")
                    if response is None or response.status >= 400:
                        continue
                    seen += 1
                    found = pg.evaluate(MEASURE)
                    where = f"{user} {width}px {lang} {path}"
                    if found["overflow"] > 1:
                        problems.append(f"{where}: {found['overflow']} px wider than the window")
                    problems += [f"{where}: chart text clipped: {c}" for c in found["clipped"]]
                    problems += [f"{where}: CSP: {c}" for c in found["csp"]]
                    problems += [f"{where}: console: {e}" for e in errors if not re.search(r"favicon", e)]
                    if lang == "zh":  # kept for a look: test-artifacts/screens/cheating/
                        folder = ARTIFACTS / "cheating"
                        folder.mkdir(parents=True, exist_ok=True)
                        name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
                        pg.screenshot(path=str(folder / f"{name}-{user}-{width}.png"), full_page=True)
            context.close()
    assert seen >= 20
    assert problems == [], "\n".join(problems)
