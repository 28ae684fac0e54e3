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
    fuel = client.get("/meters/lots", headers=_h(auth_headers, "fuel")).text
    assert not re.search(r'href="/meters/lots/\d', fuel)
    assert 'action="/meters/lots' not in fuel  # a fuel station has no meter lots to form
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


# ------------------------------------------------------------------ forming and the whole cycle in the console

ALERT = re.compile(r'role="alert"[^>]*>\s*<p>([^<]*)</p>')


def _lots(client, auth_headers) -> list[dict]:
    return client.get("/api/meters/lots", headers=auth_headers("regulator")).json()


def _chinese_only(text: str) -> None:
    from tests.web.test_language import english_words, visible_text

    assert english_words(visible_text(text)) == []


def _utility(page: str, name: str) -> str:
    return re.search(rf'<option value="(\d+)">{name}', page).group(1)


def _audit(app, entity: str, entity_id: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from jiliang.platform.models import AuditEntry

    with app.state.db.sessionmaker() as s:
        q = select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == entity_id
        )
        return [(a, b) for a, b in s.execute(q)]


def test_regulator_forms_lots_from_the_register_errors_in_the_readers_language(client, auth_headers, app):
    h = _h(auth_headers, "regulator")
    index = client.get("/meters/lots", headers=h).text
    assert "组批" in index and 'action="/meters/lots"' in index and "电能表 270" in index
    _chinese_only(index)
    utility = _utility(index, "滨江供电局")
    before = len(_lots(client, auth_headers))
    cases = [
        ({"rule": "mc-s-s-06", "kind": "electricity", "org_id": "0"}, 422, "请选择表计所属的单位"),
        ({"rule": "hu57-2018", "kind": "electricity", "org_id": utility}, 422, "最小批量 500 只"),
        ({"rule": "<x>", "kind": "electricity", "org_id": utility}, 422, "请选择依据规范"),
        ({"rule": "mc-s-s-06", "kind": "water", "org_id": utility}, 422, "登记册中没有"),
        ({"rule": "mc-s-s-06", "kind": "electricity", "org_id": utility, "run_id": "x1"}, 422, "正整数"),
        (
            {"rule": "mc-s-s-06", "kind": "electricity", "org_id": utility, "run_id": "99999"},
            404,
            "没有编号为 99999",
        ),
    ]
    for data, status, words in cases:
        r = client.post("/meters/lots", headers=h, data=data)
        assert r.status_code == status, (data, r.text[:300])
        assert words in ALERT.search(r.text).group(1), data
        _chinese_only(r.text)
    assert len(_lots(client, auth_headers)) == before  # nothing stored
    ok = client.post("/meters/lots", headers=h, data={"rule": "mc-s-s-06", "kind": "electricity", "org_id": utility},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/meters/lots?formed=1"
    assert "已组成 1 个批次" in client.get(ok.headers["location"], headers=h).text
    lot = _lots(client, auth_headers)[0]
    assert len(_lots(client, auth_headers)) == before + 1 and lot["status"] == "formed" and lot["N"] == 120
    assert ("insert", "regulator") in _audit(app, "meter_lot", str(lot["id"]))
    again = client.post(
        "/meters/lots", headers=h, data={"rule": "mc-s-s-06", "kind": "electricity", "org_id": utility}
    )
    assert (
        again.status_code == 409
        and "已经组过" in again.text
        and len(_lots(client, auth_headers)) == before + 1
    )
    en = client.post("/meters/lots?lang=en", headers=h, data=cases[0][0])
    assert "Choose the utility that owns the meters." in en.text and "请选择" not in ALERT.search(
        en.text
    ).group(1)


def test_utility_forms_its_own_lots_and_a_meter_list(client, auth_headers):
    h = _h(auth_headers, "power")
    index = client.get("/meters/lots", headers=h).text
    assert "本单位登记在用的表计" in index and "电能表 270" in index and 'name="org_id"' not in index
    r = client.post(
        "/meters/lots", headers=h, data={"rule": "mc-s-s-06", "kind": "electricity"}, follow_redirects=False
    )
    assert r.status_code == 303
    other = client.get("/api/auth/me", headers=auth_headers("fuel")).json()["org_id"]
    denied = client.post(
        "/meters/lots", headers=h, data={"rule": "mc-s-s-06", "kind": "electricity", "org_id": other}
    )
    assert denied.status_code == 403
    bad = CSV.replace("2019-01,2019", "2019-01,19x9", 1)
    for text, words in (
        (bad, "第 2 行"),
        ("meter_no,kind\n1,electricity\n", "缺少必需的列"),
        ("\xff\xfe", "UTF-8"),
    ):
        raw = text.encode("latin-1") if text == "\xff\xfe" else text.encode()
        r = client.post(
            "/meters/lots/import",
            headers=h,
            data={"rule": "hu57-2018"},
            files={"file": ("m.csv", raw, "text/csv")},
        )
        assert r.status_code == 422 and words in ALERT.search(r.text).group(1), words
        _chinese_only(r.text)
    r = client.post("/meters/lots/import", headers=h, data={"rule": "hu57-2018"},
                    files={"file": ("m.csv", CSV.encode(), "text/csv")}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/meters/lots?formed=1"
    r = client.post("/meters/lots/import", headers=_h(auth_headers, "fuel"), data={"rule": "hu57-2018"},
                    files={"file": ("m.csv", CSV.encode(), "text/csv")}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403 and "该单位不是供电、供水或燃气企业" in ALERT.search(r.text).group(1)


def test_whole_cycle_in_the_console_with_csrf(client, auth_headers, app, monkeypatch):
    forms_carry_csrf(client, monkeypatch)
    reg, power = _h(auth_headers, "regulator"), _h(auth_headers, "power")
    client.post("/meters/lots", headers=power, data={"rule": "mc-s-s-06", "kind": "electricity"})
    mc = _lots(client, auth_headers)[0]
    client.post(f"/meters/lots/{mc['id']}", headers=reg, data={"action": "draw"})
    sample = client.get(f"/api/meters/lots/{mc['id']}", headers=auth_headers("power")).json()["sample"]
    no = client.post(f"/meters/lots/{mc['id']}", headers=power,
                     data={"action": "record", "meter_no": sample[0], "outcome": "inaccessible"})  # fmt: skip
    assert no.status_code == 422 and "不允许替换" in ALERT.search(no.text).group(1)
    client.post("/meters/lots/import", headers=power, data={"rule": "hu57-2018"},
                files={"file": ("m.csv", CSV.encode(), "text/csv")})  # fmt: skip
    lot = _lots(client, auth_headers)[0]
    assert lot["rule"] == "hu57-2018"
    url = f"/meters/lots/{lot['id']}"
    page = client.get(url, headers=reg).text
    assert 'name="seed"' in page and "随机种子（可不填）" in page
    bad = client.post(url, headers=reg, data={"action": "draw", "seed": "-3"})
    assert bad.status_code == 422 and "随机种子须为非负整数" in bad.text
    r = client.post(url, headers=reg, data={"action": "draw", "seed": "20260113"}, follow_redirects=False)
    assert r.status_code == 303
    drawn = client.get(f"/api/meters/lots/{lot['id']}", headers=auth_headers("regulator")).json()
    assert drawn["seed"] == "20260113" and len(drawn["sample"]) == drawn["n"]
    entry = client.get(url, headers=power).text
    assert 'type="radio" name="outcome" value="inaccessible"' in entry and "下一只可到达的表递补" in entry
    _chinese_only(entry)
    first = drawn["sample"][0]
    r = client.post(url, headers=power, data={"action": "record", "meter_no": first, "outcome": "inaccessible"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    after = client.get(f"/api/meters/lots/{lot['id']}", headers=auth_headers("power")).json()
    assert first not in after["sample"] and after["replacements"][0]["out"] == first
    assert "替换记录" in client.get(url, headers=power).text
    early = client.post(url, headers=reg, data={"action": "decide"})
    assert early.status_code == 422 and "样本尚未检完" in ALERT.search(early.text).group(1)
    _chinese_only(early.text)
    dup = client.post(
        url, headers=power, data={"action": "record", "meter_no": first, "outcome": "conforming"}
    )
    assert dup.status_code == 422 and "不在本批样本中" in dup.text
    todo = [m for m in after["sample"] if m != first]
    body = "meter_no,outcome,error_pct\n" + "".join(f"{m},conforming,0.1\n" for m in todo)
    r = client.post(f"{url}/results", headers=power, files={"file": ("r.csv", body.encode(), "text/csv")},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert client.post(url, headers=power, data={"action": "decide"}).status_code == 403
    for action in ("decide", "publish"):
        r = client.post(url, headers=reg, data={"action": action}, follow_redirects=False)
        assert r.status_code == 303, action
    done = client.get(f"/api/meters/lots/{lot['id']}", headers=auth_headers("regulator")).json()
    assert done["status"] == "published" and done["decision"] == "extend"
    again = client.post(url, headers=reg, data={"action": "publish"})
    assert again.status_code == 409 and "当前的状态不允许" in again.text
    actions = _audit(app, "meter_lot", str(lot["id"]))
    assert actions.count(("update", "regulator")) >= 3  # draw, decide, publish
    public = client.get("/public/meter-lots", params={"meter_no": todo[0]}, headers=HTML)
    assert "延长检定周期" in public.text


def test_console_forms_carry_the_csrf_token_and_refuse_without_it(client, seeded):
    from tests.conftest import csrf

    client.post(
        "/login",
        data={"username": "regulator", "password": "jiliang-demo", "next": "/", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    index = client.get("/meters/lots", headers=HTML).text
    forms = re.findall(r'<form method="post".*?</form>', index, re.S)
    assert len(forms) >= 2 and all('name="csrf_token"' in f for f in forms)
    lot = re.search(r'href="/meters/lots/(\d+)"', index).group(1)
    page = client.get(f"/meters/lots/{lot}", headers=HTML).text
    assert all('name="csrf_token"' in f for f in re.findall(r'<form method="post".*?</form>', page, re.S))
    r = client.post(
        "/meters/lots", headers=HTML, data={"rule": "mc-s-s-06", "kind": "electricity", "org_id": "6"}
    )
    assert r.status_code == 403
