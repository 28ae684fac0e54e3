"""The audit log page: entries in words, filters, pages and the CSV export of the filtered view."""

from __future__ import annotations

import csv
import io
import re

from jiliang.platform.audit import AuditChange, record

HTML = {"Accept": "text/html"}


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def _text(page: str) -> str:
    main = page.split('id="main"', 1)[1]
    main = main.split("<tbody>", 1)[-1]  # the entries, not the filter's lists
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_entries_read_as_sentences_without_tables_or_json(client, auth_headers):
    h = _h(auth_headers, "regulator")  # logging in is itself an entry
    page = client.get("/audit", headers=h)
    assert page.status_code == 200
    text = _text(page.text)
    assert re.search(r"用户「 市监局计量处 王处长 」于 \d{4}-\d\d-\d\d \d\d:\d\d 登录", text), text[:2000]
    changes = _text(client.get("/audit?entity=reg_instrument", headers=h).text)
    assert "状态：" in changes and " → " in changes  # a changed field, before and after, in words
    for raw in ("reg_instrument", "api_token", "app_user", "anonymous", "\\u", '{"', "insert"):
        assert raw not in text, raw
    english = _text(client.get("/audit?lang=en", headers=h).text)
    assert "logged in on" in english
    assert "instrument" in _text(client.get("/audit?lang=en&entity=reg_instrument", headers=h).text)


def test_filters_narrow_the_list_and_pages_follow_them(client, auth_headers, app):
    h = _h(auth_headers, "regulator")
    everything = client.get("/audit", headers=h).text
    total = int(re.search(r"共 (\d+) 条。", everything).group(1))
    logins = client.get("/audit?action=login&actor=regulator", headers=h).text
    n = int(re.search(r"共 (\d+) 条。", logins).group(1))
    assert 1 <= n < total
    assert "新建了" not in _text(logins)
    instruments = client.get("/audit?entity=reg_instrument", headers=h).text
    assert "计量器具" in _text(instruments) and "登录令牌" not in _text(instruments)
    older = re.search(r'href="\?([^"]*offset=50[^"]*)"', instruments)
    assert older and "entity=reg_instrument" in older.group(1)
    assert client.get("/audit?" + older.group(1).replace("&amp;", "&"), headers=h).status_code == 200
    empty = client.get("/audit?since=2001-01-01&until=2001-01-02", headers=h).text
    assert "没有符合条件的记录" in empty
    bad = client.get("/audit?since=yesterday", headers=h)
    assert bad.status_code == 200 and "日期格式" in bad.text


def test_the_export_holds_the_filtered_entries_and_is_formula_safe(client, auth_headers, app):
    h = auth_headers("regulator")
    with app.state.db.session() as session:
        change = AuditChange("update", "reg_instrument", "1", {"location": "A"}, {"location": "=1+2"})
        record(session, [change], actor='=HYPERLINK("x")')
    r = client.get("/audit/export.csv?entity=reg_instrument&action=update", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "时间", "操作人", "操作", "对象", "记录"]
    assert len(rows) > 2 and all(row[3] == "修改" for row in rows[1:])
    first = rows[1]
    assert first[2] == '\'=HYPERLINK("x")'
    assert "安装地点：A → =1+2" in first[5]
    page = client.get("/audit?entity=reg_instrument&action=update", headers={**h, **HTML}).text
    assert int(re.search(r"共 (\d+) 条。", page).group(1)) == len(rows) - 1


def test_only_the_regulator_reads_the_log(client, auth_headers):
    assert client.get("/audit", headers=_h(auth_headers, "lab")).status_code == 403
    assert client.get("/audit/export.csv", headers=auth_headers("power")).status_code == 403


def test_every_table_has_a_name_in_the_audit_words():
    """The audit page names an entry's table in words: every table of every capability has them."""
    import importlib
    import pkgutil

    import jiliang
    from jiliang.platform.db import Base
    from jiliang.web.i18n import LANGUAGES, catalog

    for info in pkgutil.iter_modules(jiliang.__path__):
        if info.ispkg and not info.name.startswith("_"):
            for sub in ("models", "lotmodels", "cheatmodels"):
                if importlib.util.find_spec(f"jiliang.{info.name}.{sub}") is not None:
                    importlib.import_module(f"jiliang.{info.name}.{sub}")
    for lang in LANGUAGES:
        words = catalog(lang)
        assert [t for t in sorted(Base.metadata.tables) if f"code.entity.{t}" not in words] == [], lang
