"""Meter lot pages: the list with decisions and pass probability, the lot with its sample and
result entry, the public lookup; access; hostile form input stores nothing."""

from __future__ import annotations

import re

from tests.conftest import forms_carry_csrf

HTML = {"Accept": "text/html"}
CSV = "meter_no,kind,maker,model,batch,install_year\n" + "".join(
    f"77{i:06},electricity,华立科技,DDZY285,2019-01,2019\n" for i in range(520)
)


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def test_demo_lots_listed_and_public_lookup(client, auth_headers):
    text = client.get("/meters/lots", headers=_h(auth_headers, "power")).text
    assert "延长检定周期 4 年" in text and "整批更换" in text and "抽样前通过概率" in text
    lot = re.search(r'href="/meters/lots/(\d+)"', text).group(1)
    page = client.get(f"/meters/lots/{lot}", headers=_h(auth_headers, "power")).text
    meter = re.search(r'<span translate="no">(\d{6,})</span>', page).group(1)
    assert "样本名单" in page and "随机种子" in page
    assert client.get(f"/meters/lots/{lot}", headers=_h(auth_headers, "fuel")).status_code == 404
    assert "/meters/lots/" not in client.get("/meters/lots", headers=_h(auth_headers, "fuel")).text
    anon = client.get("/meters/lots", headers=HTML, follow_redirects=False)
    assert anon.status_code == 303
    public = client.get("/public/meter-lots", params={"meter_no": meter}, headers=HTML)
    assert public.status_code == 200 and "公布于" in public.text
    bad = client.get("/public/meter-lots", params={"meter_no": "<script>x</script>"}, headers=HTML)
    assert bad.status_code == 422 and "<script>x" not in bad.text and "表号格式不正确" in bad.text


def test_draw_record_and_hostile_entry(client, auth_headers, monkeypatch):
    forms_carry_csrf(client, monkeypatch)
    org = client.get("/api/auth/me", headers=auth_headers("power")).json()["org_id"]
    r = client.post(
        "/api/meters/lots",
        headers=auth_headers("regulator"),
        json={"rule": "hu57-2018", "meters_csv": CSV, "org_id": org},
    )
    assert r.status_code == 201, r.text
    lot = r.json()[0]["id"]
    url = f"/meters/lots/{lot}"
    assert client.post(url, headers=_h(auth_headers, "power"), data={"action": "draw"}).status_code == 403
    r = client.post(
        url, headers=_h(auth_headers, "regulator"), data={"action": "draw"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get(url, headers=_h(auth_headers, "power")).text
    first = re.search(r'<option value="(77\d{6})">', page).group(1)
    for data in (
        {"action": "record", "meter_no": "<b>1</b>", "outcome": "conforming"},
        {"action": "record", "meter_no": first, "outcome": "maybe"},
        {"action": "record", "meter_no": first, "outcome": "conforming", "error_pct": "abc"},
        {"action": "record", "meter_no": "77999999", "outcome": "conforming"},
    ):
        bad = client.post(url, headers=_h(auth_headers, "power"), data=data)
        assert bad.status_code == 422, data
        assert "<b>1</b>" not in bad.text
    ok = client.post(
        url, headers=_h(auth_headers, "power"), data={"action": "record", "meter_no": first, "outcome": "conforming", "error_pct": "0.4"},
        follow_redirects=False,
    )  # fmt: skip
    assert ok.status_code == 303
    detail = client.get(f"/api/meters/lots/{lot}", headers=auth_headers("power")).json()
    assert detail["tested"] == 1 and detail["rows"][0]["error_pct"] == 0.4
    early = client.post(url, headers=_h(auth_headers, "regulator"), data={"action": "decide"})
    assert (
        early.status_code == 422
        and client.get(f"/api/meters/lots/{lot}", headers=auth_headers("power")).json()["status"] == "sampled"
    )
