"""The console shell: home figures, language switch, login and logout through forms."""

from __future__ import annotations

from tests.conftest import csrf

HTML = {"Accept": "text/html"}


def test_home_is_chinese_by_default_with_real_figures(client, seeded):
    r = client.get("/", headers=HTML)
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    assert "城市计量总览" in r.text
    assert f">{seeded['organizations']}<" in r.text


def test_english_by_query_and_accept_language(client, seeded):
    r = client.get("/?lang=en", headers=HTML)
    assert 'lang="en"' in r.text and "City metrology overview" in r.text
    assert r.cookies.get("jiliang_lang") == "en"
    r = client.get("/", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert "City metrology overview" in r.text


def test_login_logout_through_the_form(client, seeded):
    r = client.post(
        "/login",
        data={"username": "regulator", "password": "jiliang-demo", "next": "/", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.cookies.get("jiliang_token")
    page = client.get("/", headers=HTML)
    assert "王处长" in page.text and "审计日志条目" in page.text
    client.post("/logout", data={"csrf_token": csrf(client, "/")}, follow_redirects=False)
    assert "王处长" not in client.get("/", headers=HTML).text


def test_failed_login_shows_a_message_not_a_trace(client, seeded):
    r = client.post(
        "/login",
        data={"username": "regulator", "password": "wrong", "csrf_token": csrf(client)},
        headers=HTML,
    )
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_open_redirect_is_refused(client, seeded):
    r = client.post(
        "/login",
        data={
            "username": "regulator",
            "password": "jiliang-demo",
            "next": "//evil.example/",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_unknown_page_for_a_browser_is_a_page(client):
    r = client.get("/no-such-page", headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


def test_audit_page_is_for_the_regulator_only(client, auth_headers):
    r = client.get("/audit", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = client.get("/audit", headers={**auth_headers("regulator"), "Accept": "text/html"})
    assert r.status_code == 200 and "校验哈希链" in r.text
    r = client.post("/audit/verify", headers={**auth_headers("regulator"), "Accept": "text/html"})
    assert r.status_code == 200 and "哈希链完整" in r.text
    assert (
        client.post("/audit/verify", headers={**auth_headers("power"), "Accept": "text/html"}).status_code
        == 403
    )
    r = client.get("/audit", headers={**auth_headers("power"), "Accept": "text/html"})
    assert r.status_code == 403


def test_audit_page_shows_the_last_checkpoint_and_the_anchored_check(client, auth_headers, app):
    from jiliang.platform.checkpoint import write_checkpoint
    from jiliang.platform.db import utcnow

    page = {**auth_headers("regulator"), "Accept": "text/html"}
    assert "尚未写入签名检查点" in client.get("/audit", headers=page).text
    with app.state.db.session() as s:
        cp = write_checkpoint(s, app.state.settings.data_dir, utcnow())
    r = client.get("/audit", headers=page)
    assert f"最近一次签名检查点：{cp.entries} 条记录" in r.text and cp.head[:16] in r.text
    r = client.post("/audit/verify", headers=page)
    assert "哈希链完整" in r.text and "已与 1 个签名检查点核对" in r.text
    with app.state.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_checkpoint SET entries = entries - 1")
    r = client.post("/audit/verify", headers=page)
    assert r.status_code == 200 and "bad signature" in r.text
