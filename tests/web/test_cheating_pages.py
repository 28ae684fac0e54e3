"""Cheating-check pages: station list with flags, nozzle residual chart, charging sites, the key
supervision list with the hit rate, the outcome form, and who sees what (demo city)."""

from __future__ import annotations

import re

from tests.conftest import csrf

HTML = {"Accept": "text/html"}


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def test_the_fuel_station_sees_its_own_cheating_nozzle_with_the_chart(client, auth_headers):
    h = _h(auth_headers, "fuel")
    r = client.get("/cheating", headers=h)
    assert r.status_code == 200 and "疑似" not in r.text  # the list shows counts, not reasons
    sites = re.findall(r'href="/cheating/sites/(\d+)"', r.text)
    assert len(sites) == 1 and "异常" in r.text
    page = client.get(f"/cheating/sites/{sites[0]}", headers=h)
    assert page.status_code == 200 and "疑似作弊" in page.text and "自锁后被重新初始化" in page.text
    nozzle = re.search(
        r'href="(/cheating/sites/\d+/nozzles/[^"]+)"[^>]*>[^<]+</a></th><td[^>]*>[^<]+</td><td[^>]*>[^<]+</td>\s*<td[^>]*>-',
        page.text,
    )
    assert nozzle, "a nozzle with a negative δ"
    detail = client.get(nozzle.group(1), headers=h)
    assert detail.status_code == 200 and 'class="errs"' in detail.text and 'class="limit"' in detail.text
    assert "Residual chart" in client.get(nozzle.group(1) + "?lang=en", headers=h).text
    assert client.get("/cheating/keysites", headers=h).status_code == 403
    assert '/outcome"' not in page.text  # only the regulator records outcomes


def test_the_regulator_sees_all_and_the_ranked_list(client, auth_headers):
    h = _h(auth_headers, "regulator")
    r = client.get("/cheating", headers=h)
    assert len(set(re.findall(r'href="/cheating/sites/(\d+)"', r.text))) == 5  # 3 stations, 2 charging sites
    assert (
        "超差漂移" in client.get("/cheating/sites/4", headers=h).text
        or "超差漂移" in client.get("/cheating/sites/5", headers=h).text
    )
    ks = client.get("/cheating/keysites", headers=h)
    assert ks.status_code == 200 and "疑似脉冲当量作弊" in ks.text and "命中率" in ks.text
    first = re.search(
        r'<td data-label="排名">1</td>\s*<th scope="row"><a href="/cheating/sites/(\d+)"', ks.text
    )
    assert first, "a fuel station heads the list"
    csv = client.get("/cheating/keysites.csv", headers=h)
    assert csv.status_code == 200 and csv.text.startswith("id,name,credit_class,district,category,owner_id")
    assert client.get("/cheating", headers=_h(auth_headers, "institute")).status_code == 403
    assert client.get("/cheating/sites/1", headers=_h(auth_headers, "power")).status_code == 404
    assert client.get("/cheating/sites/1/nozzles/nope", headers=h).status_code == 404


def test_outcome_form(client, auth_headers):
    h = _h(auth_headers, "regulator")
    token = csrf(client, "/cheating")
    before = client.get("/api/cheating/hit-rate", headers=auth_headers("regulator")).json()["outcomes"]
    r = client.post("/cheating/sites/2/outcome", headers=h, follow_redirects=False,
                    data={"csrf_token": token, "checked_on": "2026-11-02", "source": "inspection", "confirmed": "no"})  # fmt: skip
    assert r.status_code == 303, r.text
    assert (
        client.get("/api/cheating/hit-rate", headers=auth_headers("regulator")).json()["outcomes"]
        == before + 1
    )
    bad = client.post("/cheating/sites/2/outcome", headers=h,
                      data={"csrf_token": token, "checked_on": "yesterday", "source": "inspection", "confirmed": "no"})  # fmt: skip
    assert bad.status_code in (400, 422)
    assert (
        client.get("/api/cheating/hit-rate", headers=auth_headers("regulator")).json()["outcomes"]
        == before + 1
    )


def test_the_menu_offers_the_checks_to_stations_and_the_regulator_only(client, auth_headers):
    def menu(user: str) -> str:
        text = client.get("/", headers=_h(auth_headers, user)).text
        return text.split("</nav>", 1)[0]

    assert 'href="/cheating"' in menu("regulator") and 'href="/cheating"' in menu("fuel")
    assert all('href="/cheating"' not in menu(u) for u in ("market", "power", "institute"))
