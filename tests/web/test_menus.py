"""Menus by role, and pages behind the login are never kept by the browser."""

from __future__ import annotations

import re

HTML = {"Accept": "text/html"}
NAV = re.compile(r'<nav aria-label="[^"]*">\s*<ul>(.*?)</ul>', re.S)


def _menu(client, headers) -> set[str]:
    text = client.get("/", headers={**headers, **HTML}).text
    block = NAV.search(text)
    assert block, text[:500]
    return set(re.findall(r'href="([^"]+)"', block.group(1)))


def test_each_role_sees_only_the_pages_it_can_use(client, auth_headers):
    regulator = _menu(client, auth_headers("regulator"))
    assert {"/meters", "/audit", "/registry", "/certificates"} <= regulator
    power = _menu(client, auth_headers("power"))
    assert "/meters" in power and "/audit" not in power
    for user in ("market", "fuel", "institute", "lab"):
        menu = _menu(client, auth_headers(user))
        assert "/meters" not in menu and "/audit" not in menu, user
    anonymous = _menu(client, {})
    # 一公开: published inspections; the sampling-plan look-up is a public calculator
    assert anonymous == {"/", "/uncertainty", "/verify", "/inspections", "/sampling"}


def test_import_is_offered_only_to_who_may_import(client, auth_headers):
    # owners import their own register; labs keep none
    for user, offered in (("regulator", True), ("market", True), ("institute", False)):
        r = client.get("/registry", headers={**auth_headers(user), **HTML})
        assert ('href="/registry/import"' in r.text) is offered, user
    r = client.get("/registry/import", headers={**auth_headers("institute"), **HTML})
    assert r.status_code == 403 and 'type="file"' not in r.text


def test_pages_and_api_answers_to_a_logged_in_caller_are_not_stored(client, auth_headers):
    h = auth_headers("regulator")
    for path in ("/", "/registry", "/meters", "/api/registry/instruments"):
        r = client.get(path, headers={**h, **HTML})
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
    anonymous = client.get("/verify", headers=HTML)
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    assert "no-store" not in client.get("/static/app.css", headers=h).headers.get("cache-control", "")
