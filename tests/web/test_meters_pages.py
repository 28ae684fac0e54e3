"""Meter supervision pages: runs, areas with balance and fit, evidence chart, worklist, isolation."""

from __future__ import annotations

import re

HTML = {"Accept": "text/html"}


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def test_utility_sees_its_run_areas_and_worklist(client, auth_headers):
    h = _h(auth_headers, "power")
    r = client.get("/meters", headers=h)
    assert r.status_code == 200
    run = re.search(r'href="/meters/runs/(\d+)"', r.text)
    assert run, r.text[-500:]
    page = client.get(f"/meters/runs/{run.group(1)}", headers=h)
    assert page.status_code == 200 and "线损率" in page.text and "现场核查工单" in page.text
    area = re.search(r'href="(/meters/runs/\d+/areas/[^"]+)"', page.text).group(1)
    detail = client.get(area, headers=h)
    assert detail.status_code == 200
    assert 'class="errs"' in detail.text and 'class="limit"' in detail.text
    english = client.get(area + "?lang=en", headers=h)
    assert "Estimated error of each meter" in english.text


def test_other_organizations_and_roles_are_kept_out(client, auth_headers):
    r = client.get("/meters", headers=_h(auth_headers, "power"))
    run = re.search(r'href="/meters/runs/(\d+)"', r.text).group(1)
    assert client.get(f"/meters/runs/{run}", headers=_h(auth_headers, "fuel")).status_code == 404
    assert "/meters/runs/" not in client.get("/meters", headers=_h(auth_headers, "fuel")).text
    assert client.get(f"/meters/runs/{run}", headers=_h(auth_headers, "regulator")).status_code == 200
    assert client.get("/meters", headers=_h(auth_headers, "institute")).status_code == 403
    anon = client.get("/meters", headers=HTML, follow_redirects=False)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
    assert client.get(f"/meters/runs/{run}/areas/nope", headers=_h(auth_headers, "power")).status_code == 404
    assert client.get("/meters/runs/abc", headers=_h(auth_headers, "power")).status_code == 422


def test_home_shows_flagged_meters_to_the_regulator_and_the_utility(client, auth_headers):
    for user in ("regulator", "power"):
        text = client.get("/", headers=_h(auth_headers, user)).text
        assert "待现场核查的智能表" in text
    assert "待现场核查的智能表" not in client.get("/", headers=_h(auth_headers, "institute")).text
