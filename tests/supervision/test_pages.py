"""Console and public pages of random inspections: regulator workflow, phone-width task form,
enterprise view, public pages without login, errors inside the page, both languages."""

from __future__ import annotations

import re

HTML = {"Accept": "text/html"}


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def test_public_pages_need_no_login(client, seeded):
    r = client.get("/public/inspections", headers=HTML)
    assert r.status_code == 200 and "双随机、一公开" in r.text and "失信黑榜" in r.text
    assert 'href="/public/inspections/1"' in r.text and 'href="/public/inspections/2"' in r.text
    plan = "1"  # the demo's published fuel-dispenser plan
    p = client.get(f"/public/inspections/{plan}", headers=HTML)
    assert p.status_code == 200
    assert "自己验证这次抽取" in p.text and "record.json" in p.text and "种子（抽取后公开）" in p.text
    assert 'name="action"' not in p.text  # no buttons for the public
    en = client.get(f"/public/inspections/{plan}?lang=en", headers=HTML)
    assert "Re-run it yourself" in en.text and "Seed commitment SHA-256(seed)" in en.text
    assert client.get("/inspections", headers=HTML).status_code == 200  # a visitor sees the public page
    # the market plan is drawn but not published: its commitment is public, its seed and draw not yet
    early = client.get("/public/inspections/2?lang=zh", headers=HTML)
    assert early.status_code == 200 and "种子承诺值" in early.text
    assert (
        "种子（抽取后公开）" not in early.text
        and "plans/2/record.json" not in early.text
        and "检查结果" not in early.text
    )


def test_regulator_creates_commits_draws_and_records(client, auth_headers):
    h = _h(auth_headers, "regulator")
    r = client.get("/inspections", headers=h)
    assert r.status_code == 200 and "新建抽查计划" in r.text
    bad = client.post(
        "/inspections",
        headers=h,
        data={
            "action": "create",
            "title": "x",
            "scope": "market_scales",
            "year": "2026",
            "edition": "e",
            "ratio_a": "2",
            "ratio_b": "0.5",
            "ratio_c": "1",
            "ratio_d": "1",
        },
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "[0, 1]" in bad.text
    made = client.post(
        "/inspections",
        headers=h,
        follow_redirects=False,
        data={
            "action": "create",
            "title": "市场抽查",
            "scope": "market_scales",
            "year": "2026",
            "edition": "e",
            "ratio_a": "1",
            "ratio_b": "1",
            "ratio_c": "1",
            "ratio_d": "1",
            "team_size": "2",
        },
    )
    assert made.status_code == 303
    url = made.headers["location"]
    assert client.post(url, headers=h, data={"action": "commit"}, follow_redirects=False).status_code == 303
    wrong = client.post(url, headers=h, data={"action": "draw", "seed": "ab" * 16})
    assert wrong.status_code == 422 and "does not match the published commitment" in wrong.text
    assert client.post(url, headers=h, data={"action": "draw"}, follow_redirects=False).status_code == 303
    page = client.get(url, headers=h)
    assert "已抽取" in page.text and "作废本次抽取" in page.text
    task = re.search(r'href="/inspections/tasks/(\d+)"', page.text).group(1)
    form = client.get(f"/inspections/tasks/{task}", headers=h)
    assert form.status_code == 200 and 'class="narrow"' in form.text and 'type="date"' in form.text
    no_deadline = client.post(
        f"/inspections/tasks/{task}",
        headers=h,
        data={
            "outcome": "rectify",
            "inspected_on": "2026-06-01",
            "kind": ["seal_broken", "", ""],
            "instrument": ["SN9", "", ""],
            "finding_note": ["", "", ""],
        },
    )
    assert no_deadline.status_code == 422 and "deadline" in no_deadline.text
    done = client.post(
        f"/inspections/tasks/{task}",
        headers=h,
        follow_redirects=False,
        data={
            "outcome": "rectify",
            "inspected_on": "2026-06-01",
            "rectify_by": "2026-07-01",
            "kind": ["seal_broken", "", ""],
            "instrument": ["SN9", "", ""],
            "finding_note": ["", "", ""],
        },
    )
    assert done.status_code == 303
    assert "封印破坏" in client.get(url, headers=h).text


def test_enterprise_sees_its_class_why_and_submits_a_commitment(client, auth_headers):
    h = _h(auth_headers, "fuel")
    r = client.get("/inspections", headers=h)
    assert r.status_code == 200 and "本单位信用等级" in r.text and "评定依据" in r.text
    assert "新建抽查计划" not in r.text
    sent = client.post(
        "/inspections", headers=h, data={"action": "commitment", "year": "2030"}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert "待审核" in client.get("/inspections", headers=h).text
    again = client.post("/inspections", headers=h, data={"action": "commitment", "year": "2030"})
    assert again.status_code == 409 and 'role="alert"' in again.text
    assert client.post("/inspections", headers=h, data={"action": "recompute"}).status_code == 403
    assert client.get("/inspections/plans/1", headers=h).status_code == 200  # published plan
    unpublished = client.get("/inspections/plans/2", headers=h)
    assert unpublished.status_code == 200 and "检查结果" not in unpublished.text
