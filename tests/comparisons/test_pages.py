"""The comparison pages: a pilot creates a round, a lab submits, the pilot closes, previews and publishes;
bad input is a message inside the page."""

from __future__ import annotations

import re

from sqlalchemy import select

from jiliang.platform.models import Organization


def _login(client, username):
    r = client.post("/api/auth/login", json={"username": username, "password": "jiliang-demo"})
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_round_in_the_console(client, app, seeded):
    inst, lab = _login(client, "institute"), _login(client, "lab")
    with app.state.db.session() as s:
        labs = [
            o.id for o in s.scalars(select(Organization).where(Organization.kind.in_(["lab", "institute"])))
        ]
    r = client.get("/comparisons", headers=inst)
    assert r.status_code == 200 and "BD-2026-01" in r.text
    r = client.post(
        "/comparisons",
        data={"code": "W-1", "measurand": "质量 1 kg", "unit": "mg", "participants": [str(i) for i in labs]},
        headers=inst,
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    rid = int(re.search(r"/comparisons/(\d+)", url).group(1))
    r = client.post(f"/comparisons/{rid}/submit", data={"value": "abc", "U": "0.1"}, headers=lab)
    assert r.status_code == 422 and "must be numbers" in r.text
    assert (
        client.post(
            f"/comparisons/{rid}/submit",
            data={"value": "1.2", "U": "0.4"},
            headers=lab,
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/comparisons/{rid}/submit",
            data={"value": "1.0", "U": "0.2"},
            headers=inst,
            follow_redirects=False,
        ).status_code
        == 303
    )
    page = client.get(url, headers=lab).text
    assert "1.2" in page and "比对截止前" in page
    assert client.post(f"/comparisons/{rid}/close", headers=inst, follow_redirects=False).status_code == 303
    r = client.post(
        f"/comparisons/{rid}/evaluate", data={"estimator": "paule_mandel", "action": "preview"}, headers=inst
    )
    assert r.status_code == 200 and "<svg" in r.text and "试算结果" in r.text
    r = client.post(
        f"/comparisons/{rid}/evaluate", data={"estimator": "nope", "action": "preview"}, headers=inst
    )
    assert r.status_code == 422 and "unknown estimator" in r.text
    assert (
        client.post(
            f"/comparisons/{rid}/evaluate",
            data={"estimator": "weighted_mean", "action": "publish"},
            headers=inst,
            follow_redirects=False,
        ).status_code
        == 303
    )
    page = client.get(url + "?lang=en", headers=lab).text
    assert "Report" in page and "weighted_mean" in page and "<svg" in page


def test_enterprise_does_not_see_the_create_form(client, seeded):
    r = client.get("/comparisons", headers=_login(client, "fuel"))
    assert r.status_code == 200 and 'action="/comparisons"' not in r.text
