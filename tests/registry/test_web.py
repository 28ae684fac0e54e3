"""Registry pages of the console: search, details with the chain graph, import preview, due list
bulk actions, role isolation, both languages."""

from __future__ import annotations

import re

from tests.conftest import csrf

from .conftest import row, to_csv

HTML = {"Accept": "text/html"}


def tok(client) -> dict[str, str]:
    return {"csrf_token": csrf(client)}


def login(client, username: str) -> None:
    r = client.post(
        "/login",
        data={"username": username, "password": "jiliang-demo", "next": "/", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_anonymous_is_sent_to_login_but_sees_published_standards(client, seeded):
    r = client.get("/registry", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = client.get("/registry/standards", headers=HTML)
    assert r.status_code == 200 and "计量标准" in r.text and "QY-" not in r.text


def test_home_has_registry_figures_and_charts(client, seeded):
    login(client, "regulator")
    r = client.get("/", headers=HTML)
    for text in ("登记的强检器具", "受检率（按期检定）", "建标覆盖率", "各区县受检率", "计量标准（按等级）"):
        assert text in r.text
    login(client, "power")
    assert "本单位强检器具" in client.get("/", headers=HTML).text


def test_search_filter_and_detail_with_graph(client, seeded):
    login(client, "regulator")
    r = client.get("/registry?status=blocked", headers=HTML)
    assert r.status_code == 200 and "停用" in r.text
    first = re.search(r'href="/registry/instruments/(\d+)"', r.text)
    assert first
    d = client.get(f"/registry/instruments/{first[1]}", headers=HTML)
    assert d.status_code == 200 and "<svg" in d.text and "量值溯源链" in d.text and "检定历史" in d.text
    en = client.get(f"/registry/instruments/{first[1]}?lang=en", headers=HTML)
    assert "Traceability chain" in en.text and "Verification history" in en.text


def test_broken_link_is_drawn_in_red_with_its_reason(client, seeded):
    login(client, "regulator")
    listing = client.get("/registry/standards?level=public&lang=en", headers=HTML).text
    ids = re.findall(r'href="/registry/standards/(\d+)"', listing)
    pages = [client.get(f"/registry/standards/{i}", headers=HTML).text for i in ids]
    broken = [p for p in pages if 'class="edge broken"' in p]
    assert broken
    assert any(
        "link missing" in p
        or "certificate expired" in p
        or "uncertainty ratio too small" in p
        or "scope or range not covered" in p
        for p in broken
    )


def test_enterprise_never_sees_another_owners_instrument(client, seeded):
    login(client, "regulator")
    text = client.get("/registry?q=ELE", headers=HTML).text  # electricity meters belong to the power bureau
    other = re.search(r'href="/registry/instruments/(\d+)"', text)[1]
    login(client, "fuel")
    r = client.get(f"/registry/instruments/{other}", headers=HTML)
    assert r.status_code == 404
    assert "ELE" not in client.get("/registry", headers=HTML).text
    assert client.get("/registry/coverage", headers=HTML).status_code == 404


def test_import_preview_shows_rejected_rows_then_commits(client, seeded):
    login(client, "regulator")
    data = to_csv([row("WEB1"), row("WEB2", type_="量子秤")])
    r = client.post(
        "/registry/import", files={"file": ("r.csv", data, "text/csv")}, data=tok(client), headers=HTML
    )
    assert r.status_code == 200 and "预检结果" in r.text and "unknown instrument type" in r.text
    token = re.search(r'name="token" value="([0-9a-f]{32})"', r.text)[1]
    assert 'href="/registry/instruments/' not in client.get("/registry?q=WEB1", headers=HTML).text
    done = client.post("/registry/import/commit", data={"token": token, **tok(client)}, headers=HTML)
    assert done.status_code == 200 and "已导入" in done.text
    assert 'href="/registry/instruments/' in client.get("/registry?q=WEB1", headers=HTML).text
    again = client.post("/registry/import/commit", data={"token": token, **tok(client)}, headers=HTML)
    assert again.status_code == 404
    bad = client.post(
        "/registry/import", files={"file": ("r.xlsm", b"PK\x03\x04", "x")}, data=tok(client), headers=HTML
    )
    assert bad.status_code == 422 and "xlsx" in bad.text


def test_import_is_refused_to_others(client, seeded):
    login(client, "lab")
    r = client.post(
        "/registry/import",
        files={"file": ("r.csv", to_csv([row("X")]), "text/csv")},
        data=tok(client),
        headers=HTML,
    )
    assert r.status_code == 403 and "只有市场监管部门和器具使用单位" in r.text


def test_due_list_bulk_book_and_notify(client, seeded):
    login(client, "market")
    page = client.get("/registry/due?within=90", headers=HTML)
    assert page.status_code == 200
    ids = re.findall(r'name="ids" value="(\d+)"', page.text)[:2]
    assert ids
    import datetime as dt

    on = (client.app.state.clock.today() + dt.timedelta(days=3)).isoformat()
    r = client.post(
        "/registry/due",
        data={"action": "book", "ids": ids, "on": on, "within": "90", **tok(client)},
        follow_redirects=False,
    )
    # an owner is taken to the booking form with the selected instruments
    assert r.status_code == 303 and r.headers["location"].startswith("/verification/bookings/new?")
    assert all(f"instrument_id={i}" in r.headers["location"] for i in ids)
    assert client.get(r.headers["location"], headers=HTML).status_code == 200
    r = client.post(
        "/registry/due", data={"action": "notify", "ids": ids, "within": "90", **tok(client)}, headers=HTML
    )
    assert r.status_code == 403  # owners book; the regulator and labs send notices
    r = client.post(
        "/registry/due", data={"action": "book", "within": "90", "on": on, **tok(client)}, headers=HTML
    )
    assert r.status_code == 422
    login(client, "regulator")
    r = client.post(
        "/registry/due",
        data={"action": "notify", "ids": ids, "within": "90", **tok(client)},
        follow_redirects=False,
    )
    assert "done=notify-" in r.headers["location"]


def test_other_registry_pages_in_both_languages(client, seeded):
    login(client, "regulator")
    for path in (
        "/registry/reference-materials",
        "/registry/organizations",
        "/registry/coverage",
        "/registry/import",
        "/registry/due",
    ):
        zh = client.get(path, headers=HTML)
        en = client.get(path + "?lang=en", headers=HTML)
        assert zh.status_code == en.status_code == 200, path
        assert not re.search(r">reg\.[a-z_.]+<", zh.text + en.text)
    assert "Compulsory items not covered" in client.get("/registry/coverage?lang=en", headers=HTML).text


def test_form_controls_have_labels(client, seeded):
    login(client, "regulator")
    for path in (
        "/registry",
        "/registry/standards",
        "/registry/due",
        "/registry/import",
        "/registry/organizations",
    ):
        text = client.get(path, headers=HTML).text
        for ident in re.findall(r'<(?:input|select)[^>]*\sid="([^"]+)"', text):
            if ident.startswith("sel-"):
                continue  # row checkboxes carry aria-label
            assert f'for="{ident}"' in text, (path, ident)
