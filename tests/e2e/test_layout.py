"""Every console page fits a phone (390 px) and a laptop (1366 px), in Chinese and in English.

For the regulator and one enterprise user, each page of the language walk (tests/web/test_language.py,
one representative id per parameter) is loaded at both widths in both languages, and fails on:
horizontal overflow (the document wider than the window), chart text clipped by its drawing (an
SVG ``<text>`` whose box lies outside its SVG's viewBox) and console errors, Content-Security-Policy
violations included. A full-page screenshot of each page, as the regulator, is kept under
test-artifacts/screens/layout/.
One browser serves the whole walk, one context per width and user.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import WAIT_MS
from tests.web.test_language import _ids, _page_ids

from .conftest import ARTIFACTS, login_as

WIDTHS = {"phone": (390, 844), "laptop": (1366, 900)}
USERS = ("regulator", "power")
CALCULATOR_RESULT = "/uncertainty#result"
LANGS = ("zh", "en")

# Collects CSP violations from the page itself (Chromium also logs them to the console).
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
"""

# Overflow and clipped SVG text, measured in each SVG's own viewBox coordinates.
MEASURE = """() => {
  const out = {overflow: document.documentElement.scrollWidth - window.innerWidth, clipped: [],
               csp: window.__csp || []};
  const box = (el, toSvg) => {  // the element's box in its SVG's user (viewBox) coordinates
    const b = el.getBBox(), m = toSvg.multiply(el.getScreenCTM());
    const ps = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]
      .map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
    const xs = ps.map(p => p.x), ys = ps.map(p => p.y);
    return {x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys), w: b.width};
  };
  const fmt = r => [r.x0, r.y0, r.x1, r.y1].map(Math.round).join(',');
  for (const svg of document.querySelectorAll('svg[viewBox]')) {
    const vb = svg.viewBox.baseVal;
    if (!vb || !vb.width || !svg.getScreenCTM()) continue;
    const toSvg = svg.getScreenCTM().inverse();
    const bars = [...svg.querySelectorAll('rect')].map(r => box(r, toSvg)).filter(r => r.w > 0);
    for (const t of svg.querySelectorAll('text')) {
      const label = [...t.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
      if (!label || !t.getScreenCTM()) continue;
      const b = box(t, toSvg);
      if (!b.w) continue;
      const tol = 0.5;
      if (b.x0 < vb.x - tol || b.x1 > vb.x + vb.width + tol || b.y0 < vb.y - tol || b.y1 > vb.y + vb.height + tol) {
        out.clipped.push(label.slice(0, 40) + ' [' + fmt(b) + '] outside [' + [vb.x, vb.y, vb.width, vb.height] + ']');
        continue;
      }
      // a label drawn under a bar: a rect crossing the text's box without holding it whole
      for (const r of bars) {
        const ix = Math.min(b.x1, r.x1) - Math.max(b.x0, r.x0), iy = Math.min(b.y1, r.y1) - Math.max(b.y0, r.y0);
        const holds = r.x0 <= b.x0 && r.x1 >= b.x1 && r.y0 <= b.y0 && r.y1 >= b.y1;
        if (ix > 1 && iy > 1 && !holds) {
          out.clipped.push(label.slice(0, 40) + ' [' + fmt(b) + '] under a bar [' + fmt(r) + ']');
          break;
        }
      }
    }
  }
  return out;
}"""


def _paths(seeded_path: Any) -> list[str]:
    """The language walk's pages, each parameter filled with one representative id."""
    from jiliang.platform.db import Database

    database = Database(f"sqlite:///{seeded_path}")
    try:
        with database.sessionmaker() as session:
            ids = _ids(session)
    finally:
        database.dispose()
    paths = []
    for route in _page_ids():
        for name in re.findall(r"\{(\w+)\}", route):
            route = route.replace("{" + name + "}", ids[name][0])
        paths.append(route)
    return [
        *paths,
        "/registry?status=overdue",
        "/registry/due?within=90",
        "/sampling?lot_size=2000&aql=1.0&d=4",
    ]


@pytest.fixture(scope="module")
def walk(browser, live_server, _seeded_template) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Visit every page as each user, at each width, in each language; the problems found."""
    problems: list[str] = []
    folder = ARTIFACTS / "layout"
    folder.mkdir(parents=True, exist_ok=True)
    paths = _paths(_seeded_template[0])
    for width_name, (width, height) in WIDTHS.items():
        for user in USERS:
            context = browser.new_context(
                base_url=live_server, locale="zh-CN", viewport={"width": width, "height": height}
            )
            context.set_default_timeout(WAIT_MS)
            context.add_init_script(WATCH_CSP)
            pg = context.new_page()
            errors: list[str] = []
            pg.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            login_as(pg, user)
            for lang in LANGS:
                for path in [*paths, CALCULATOR_RESULT]:
                    errors.clear()
                    if path == CALCULATOR_RESULT:  # the calculator's result, with its histograms
                        pg.goto(f"/uncertainty?lang={lang}")
                        with pg.expect_navigation():
                            pg.locator("#model-form button[value=run]").click()
                        status = 200
                    else:
                        sep = "&" if "?" in path else "?"
                        response = pg.goto(f"{path}{sep}lang={lang}")
                        status = response.status if response else 0
                    if status >= 400:  # not this user's page, or a form's missing id: tested elsewhere
                        continue
                    found = pg.evaluate(MEASURE)
                    where = f"{user} {width}px {lang} {path}"
                    if found["overflow"] > 1:
                        problems.append(f"{where}: {found['overflow']} px wider than the window")
                    problems += [f"{where}: chart text clipped: {c}" for c in found["clipped"]]
                    problems += [f"{where}: CSP: {c}" for c in found["csp"]]
                    problems += [f"{where}: console: {e}" for e in errors]
                    if user != USERS[0]:  # the regulator sees every page: its screenshots suffice
                        continue
                    name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"
                    pg.screenshot(path=str(folder / f"{name}-{user}-{width_name}-{lang}.png"), full_page=True)
            context.close()
    yield problems


def test_no_page_overflows_clips_chart_text_or_logs_errors(walk):
    assert walk == [], "\n".join(walk)
