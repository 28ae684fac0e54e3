"""Net-content console pages: the inspector's lot on a phone-width form, the CSV upload, the verdict
with its clauses, the packer's self-check, the public list; errors inside the page, nothing stored."""

from __future__ import annotations

import re

HTML = {"Accept": "text/html"}


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def _new_lot(client, h, **form) -> int:
    page = client.get("/netcontent", headers=h).text
    org = re.search(r'<option value="(\d+)">', page).group(1)
    data = {
        "org_id": org,
        "product": "挂面",
        "nominal": "500",
        "unit": "g",
        "lot_size": "40",
        "batch": "P1",
    } | form
    r = client.post("/netcontent", data=data, headers=h, follow_redirects=False)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_public_list_needs_no_login(client, seeded):
    r = client.get("/public/netcontent", headers=HTML)
    assert r.status_code == 200 and "净含量抽查结果" in r.text and "不合格" in r.text and "合格" in r.text
    rid = re.search(r'href="/netcontent/(\d+)"', r.text).group(1)
    lot = client.get(f"/netcontent/{rid}", headers=HTML)
    assert lot.status_code == 200 and "判定结果" in lot.text and 'name="action"' not in lot.text
    assert "Net-content inspection results" in client.get("/public/netcontent?lang=en", headers=HTML).text
    assert client.get("/netcontent", headers=HTML, follow_redirects=False).status_code == 303


def test_inspector_draws_enters_and_publishes(csrf_forms, auth_headers):
    client, h = csrf_forms, _h(auth_headers, "regulator")
    rid = _new_lot(client, h)
    r = client.post(f"/netcontent/{rid}", data={"action": "draw", "seed": "beef" * 8}, headers=h)
    assert r.status_code == 200 and r.text.count('name="value"') == 10 and 'inputmode="decimal"' in r.text
    bad = client.post(
        f"/netcontent/{rid}", data={"action": "record", "value": ["500"] * 9 + ["abc"]}, headers=h
    )
    assert bad.status_code == 422 and "输入有误" in bad.text and "item 10" in bad.text
    r = client.post(
        f"/netcontent/{rid}", data={"action": "record", "value": ["501"] * 9 + ["480"]}, headers=h
    )
    assert r.status_code == 200 and "不合格" in r.text and "T1 类短缺" in r.text and "第 4.3.1 条" in r.text
    assert f"/api/netcontent/{rid}/report.pdf" in r.text
    r = client.post(f"/netcontent/{rid}", data={"action": "publish"}, headers=h)
    assert r.status_code == 200 and "已公开" in r.text


def test_csv_upload_and_refusals(csrf_forms, auth_headers):
    from tests.conftest import csrf

    client, h = csrf_forms, _h(auth_headers, "regulator")
    rid = _new_lot(client, h, lot_size="300")
    client.post(f"/netcontent/{rid}", data={"action": "draw"}, headers=h)
    token = csrf(client)
    for body in (b"net\n=cmd|' /C calc'!A0\n", b"net\n" + b"500\n" * 10, b"\x00\x01", b"x" * 300_000):
        r = client.post(f"/netcontent/{rid}/csv", files={"file": ("b.csv", body, "text/csv")},
                        data={"csrf_token": token}, headers=h)  # fmt: skip
        assert r.status_code in (413, 422) and "输入有误" in r.text
    good = b"gross,tare\n" + b"515.5,12.0\n" * 50
    r = client.post(f"/netcontent/{rid}/csv", files={"file": ("b.csv", good, "text/csv")},
                    data={"csrf_token": token, "inspected_on": "2026-04-09"}, headers=h)  # fmt: skip
    assert r.status_code == 200 and "合格" in r.text and "已判定" in r.text


def test_bad_lot_form_stores_nothing(csrf_forms, auth_headers):
    client, h = csrf_forms, _h(auth_headers, "regulator")
    before = client.get("/netcontent", headers=h).text.count('href="/netcontent/')
    page = client.get("/netcontent", headers=h).text
    org = re.search(r'<option value="(\d+)">', page).group(1)
    for form in ({"nominal": "1500", "unit": "g"}, {"lot_size": "-3"}, {"lot_size": "abc"}, {"nominal": "x"},
                 {"unit": "lb"}, {"product": ""}):  # fmt: skip
        data = {"org_id": org, "product": "盐", "nominal": "400", "unit": "g", "lot_size": "20"} | form
        r = client.post("/netcontent", data=data, headers=h)
        assert r.status_code == 422 and "输入有误" in r.text, form
    assert client.get("/netcontent", headers=h).text.count('href="/netcontent/') == before


def test_packer_self_check(csrf_forms, auth_headers):
    client, h = csrf_forms, _h(auth_headers, "packer")
    page = client.get("/netcontent", headers=h)
    assert page.status_code == 200 and "企业自检" in page.text and "新建企业自检" in page.text
    r = client.post("/netcontent", data={"product": "大米", "nominal": "5", "unit": "kg", "lot_size": "8"},
                    headers=h, follow_redirects=False)  # fmt: skip
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    client.post(f"/netcontent/{rid}", data={"action": "draw"}, headers=h)
    r = client.post(f"/netcontent/{rid}", data={"action": "record", "value": ["5.01"] * 8}, headers=h)
    assert r.status_code == 200 and "合格" in r.text and "只检验单件" in r.text
    assert 'value="publish"' not in r.text
    assert client.get(f"/netcontent/{rid}", headers=_h(auth_headers, "regulator")).status_code == 404
