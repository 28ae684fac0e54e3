"""Web hygiene: CSRF on console forms and cookie-authenticated API calls, security headers, the
login throttle (spraying, a stranger cannot keep a user out), trusted proxies, logout, passwords."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from jiliang.errors import InputError
from jiliang.platform.passwords import check_password
from jiliang.platform.throttle import LoginThrottle, RateLimitedError
from tests.conftest import csrf, login

HTML = {"Accept": "text/html"}
DEMO = "jiliang-demo"


def _client(app, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def _form_login(client, username: str, password: str = DEMO):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "next": "/", "csrf_token": csrf(client)}
    return client.post("/login", data=data, headers=HTML, follow_redirects=False)


def _frozen_clock(app) -> None:  # type: ignore[no-untyped-def]
    """Stop the login throttle's clock, so the waits it imposes never run out during a test."""
    from jiliang.app import login_throttle

    throttle = login_throttle(app.state.settings)
    throttle.clock = lambda: 1000.0
    app.state.login_throttle = throttle


def _due_ids(client) -> list[str]:  # type: ignore[no-untyped-def]
    return re.findall(r'name="ids" value="(\d+)"', client.get("/registry/due?within=90", headers=HTML).text)


# --- CSRF -------------------------------------------------------------------------------------


def test_cross_site_form_post_is_refused_with_a_console_page(client, seeded):
    assert _form_login(client, "market").status_code == 303
    ids = _due_ids(client)[:1]
    assert ids
    import datetime as dt

    on = (client.app.state.clock.today() + dt.timedelta(days=3)).isoformat()
    booking = {"action": "book", "ids": ids, "on": on, "within": "90"}
    booked_before = client.get("/registry/due?within=90", headers=HTML).text.count("已预约")
    # what a page on another site can make the browser send: the cookies, no token
    forged = client.post("/registry/due", data=booking, headers=HTML, follow_redirects=False)
    assert forged.status_code == 403 and forged.headers["content-type"].startswith("text/html")
    assert "安全令牌" in forged.text
    wrong_token = client.post(
        "/registry/due", data={**booking, "csrf_token": "0" * 64}, headers=HTML, follow_redirects=False
    )
    assert wrong_token.status_code == 403
    token = csrf(client, "/registry/due")
    elsewhere = client.post(
        "/registry/due",
        data={**booking, "csrf_token": token},
        headers={**HTML, "Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 403 and "来自其他网站" in elsewhere.text
    assert client.get("/registry/due?within=90", headers=HTML).text.count("已预约") == booked_before
    ok = client.post(
        "/registry/due",
        data={**booking, "csrf_token": token},
        headers={**HTML, "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text[-300:]


def test_every_post_form_carries_the_token(client, seeded):
    assert _form_login(client, "regulator").status_code == 303
    for path in ["/", "/login", "/uncertainty", "/registry/due", "/registry/import", "/audit"]:
        html = client.get(path, headers=HTML).text
        forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>(.{0,200})", html, flags=re.S)
        assert forms, path
        assert all(f.startswith('<input type="hidden" name="csrf_token"') for f in forms), path


def test_login_form_needs_the_token(client, seeded):
    r = client.post(
        "/login", data={"username": "regulator", "password": DEMO}, headers=HTML, follow_redirects=False
    )
    assert r.status_code == 403 and not client.cookies.get("jiliang_token")


def test_cookie_authenticated_api_writes_need_the_header(client, seeded):
    assert _form_login(client, "regulator").status_code == 303
    refused = client.post("/api/auth/tokens", json={"name": "from the console"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    token = csrf(client, "/")
    made = client.post("/api/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 201
    bearer = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.post("/api/auth/tokens", json={"name": "y"}, headers=bearer).status_code == 201
    assert client.get("/api/auth/me").json()["username"] == "regulator"  # reads need no token
    cross = client.post(
        "/api/auth/tokens", json={"name": "z"}, headers={**bearer, "Origin": "http://evil.example"}
    )
    assert cross.status_code == 403


# --- headers and cookies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/auth/me", "/no-such-page", "/static/app.css", "/healthz"]
)
def test_security_headers_on_every_response(client, path):
    r = client.get(path, headers=HTML)
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_pages_satisfy_the_policy(client, seeded):
    """No inline script, style element or style attribute: the CSP would block them."""
    assert _form_login(client, "regulator").status_code == 303
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    for path in ["/", "/login", "/uncertainty", "/registry", "/registry/due", "/audit", "/verify", "/meters"]:
        r = client.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert not inline.search(r.text), (path, inline.search(r.text))


def test_secure_cookies_behind_tls(app, settings, seeded):
    from jiliang.app import create_app

    plain = _client(app, "127.0.0.1")
    assert "secure" not in _form_login(plain, "regulator").headers["set-cookie"].lower()
    proxied_app = create_app(settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"}), db=app.state.db)
    https = {**HTML, "X-Forwarded-Proto": "https"}
    trusted = _client(proxied_app, "10.1.1.1").get("/login", headers=https)
    assert "secure" in trusted.headers["set-cookie"].lower()
    assert "strict-transport-security" in trusted.headers
    untrusted = _client(proxied_app, "192.0.2.1").get("/login", headers=https)
    assert "secure" not in untrusted.headers["set-cookie"].lower()
    tls = TestClient(proxied_app, base_url="https://testserver", client=("10.1.1.1", 4000))
    r = _form_login(tls, "regulator")
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


# --- login throttle ---------------------------------------------------------------------------


def test_spraying_many_user_names_from_one_address_is_slowed(app, seeded):
    _frozen_clock(app)
    sprayer = _client(app, "10.9.9.9")
    statuses = [
        sprayer.post("/api/auth/login", json={"username": f"user{i}", "password": "Summer2026!"}).status_code
        for i in range(30)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 20
    r = sprayer.post("/api/auth/login", json={"username": "regulator", "password": DEMO})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # another address is not affected
    assert (
        _client(app, "10.0.0.1")
        .post("/api/auth/login", json={"username": "regulator", "password": DEMO})
        .status_code
        == 200
    )


def test_a_stranger_cannot_keep_the_user_out(app, seeded):
    _frozen_clock(app)
    user = _client(app, "10.0.0.1")
    assert user.post("/api/auth/login", json={"username": "regulator", "password": DEMO}).status_code == 200
    stranger = _client(app, "10.6.6.6")
    statuses = [
        stranger.post("/api/auth/login", json={"username": "regulator", "password": f"guess-{i}"}).status_code
        for i in range(20)
    ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert user.post("/api/auth/login", json={"username": "regulator", "password": DEMO}).status_code == 200
    # the console form tells the stranger how long to wait
    page = _form_login(stranger, "regulator", "guess-x")
    assert page.status_code == 429 and "秒后再试" in page.text and "retry-after" in page.headers


def test_throttle_waits_grow_and_spare_the_usual_address():
    now = [1000.0]
    throttle = LoginThrottle(
        account_attempts=5, address_attempts=10, window=300, max_delay=60, clock=lambda: now[0]
    )
    throttle.succeeded("wang", "10.0.0.1")  # the user's usual address
    for i in range(12):  # a botnet: one guess from each of twelve addresses
        throttle.failed("wang", f"192.0.2.{i}")
    assert throttle.wait("wang", "10.0.0.1") == 0  # usual address: straight in
    first = throttle.wait("wang", "198.51.100.7")  # a new address waits 2**(12-10) s
    assert first == pytest.approx(4.0)
    with pytest.raises(RateLimitedError) as caught:
        throttle.check("wang", "198.51.100.7")
    assert caught.value.retry_after == 4
    now[0] += first  # after the wait the right password may be tried again
    throttle.check("wang", "198.51.100.7")
    for _ in range(20):  # the waits grow, but never beyond max_delay
        throttle.failed("wang", "192.0.2.200")
    assert throttle.wait("wang", "192.0.2.200") == pytest.approx(60.0)
    now[0] += 301  # failures older than the window are forgotten
    assert throttle.wait("wang", "198.51.100.7") == 0


def test_forwarded_for_is_ignored_from_an_untrusted_peer(app, seeded):
    _frozen_clock(app)
    peer = _client(app, "10.7.7.7")
    statuses = [
        peer.post(
            "/api/auth/login",
            json={"username": "regulator", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(7)
    ]
    assert statuses == [401] * 5 + [429] * 2  # all counted against the peer, whatever the header says


def test_forwarded_for_is_used_from_a_trusted_proxy(settings, app, seeded):
    from jiliang.app import create_app

    proxied_app = create_app(settings.model_copy(update={"trusted_proxies": "10.0.0.5"}), db=app.state.db)
    proxy = _client(proxied_app, "10.0.0.5")
    statuses = [
        proxy.post(
            "/api/auth/login",
            json={"username": "regulator", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"198.51.100.1, 203.0.113.{i % 2}"},
        ).status_code
        for i in range(8)
    ]
    assert statuses == [401] * 8  # two clients behind the proxy, four failures each


# --- logout -----------------------------------------------------------------------------------


def test_logout_revokes_the_token_and_everywhere_revokes_all(client, seeded):
    one, two = login(client, "power"), login(client, "power")
    assert client.post("/api/auth/logout", headers=one).status_code == 200
    assert client.get("/api/auth/me", headers=one).status_code == 401
    assert client.get("/api/auth/me", headers=two).status_code == 200
    three = login(client, "power")
    r = client.post("/api/auth/logout-everywhere", headers=three)
    assert r.status_code == 200 and r.json()["revoked"] == 2
    assert client.get("/api/auth/me", headers=two).status_code == 401
    assert client.get("/api/auth/me", headers=three).status_code == 401


def test_console_logout_and_log_out_everywhere(client, seeded):
    api = login(client, "regulator")
    assert _form_login(client, "regulator").status_code == 303
    cookie = client.cookies.get("jiliang_token")
    assert "全部退出" in client.get("/", headers=HTML).text
    r = client.post("/logout/everywhere", data={"csrf_token": csrf(client, "/")}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/auth/me", headers=api).status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401
    assert _form_login(client, "regulator").status_code == 303
    cookie = client.cookies.get("jiliang_token")
    client.post("/logout", data={"csrf_token": csrf(client, "/")}, follow_redirects=False)
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw", "at least 10"),
        (" " * 12, "only spaces"),
        ("password123", "commonly used"),
        ("QWERTYUIOP", "commonly used"),
        ("Inspector7", "user name"),
        ("x" * 1025, "longer than"),
    ],
)
def test_password_policy(password, reason):
    with pytest.raises(InputError, match=reason):
        check_password(password, "inspector7")


def test_policy_applies_to_api_users_and_password_changes(client, auth_headers):
    reg = auth_headers("regulator")
    for bad in ["        ", "1234567890", "newcomer01"]:
        r = client.post(
            "/api/users", json={"username": "newcomer01", "password": bad, "role": "regulator"}, headers=reg
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "password", bad
    r = client.post(
        "/api/users",
        json={"username": "newcomer01", "password": "tidal-lantern-42", "role": "regulator"},
        headers=reg,
    )
    assert r.status_code == 201
    me = login(client, "newcomer01", "tidal-lantern-42")
    other = login(client, "newcomer01", "tidal-lantern-42")
    weak = client.post(
        "/api/auth/password",
        json={"current_password": "tidal-lantern-42", "new_password": "qwertyuiop"},
        headers=me,
    )
    assert weak.status_code == 422
    wrong = client.post(
        "/api/auth/password",
        json={"current_password": "not-the-one", "new_password": "amber-quarry-93"},
        headers=me,
    )
    assert wrong.status_code == 401
    ok = client.post(
        "/api/auth/password",
        json={"current_password": "tidal-lantern-42", "new_password": "amber-quarry-93"},
        headers=me,
    )
    assert ok.status_code == 200 and ok.json()["revoked"] == 1
    assert client.get("/api/auth/me", headers=other).status_code == 401
    assert client.get("/api/auth/me", headers=me).status_code == 200
    login(client, "newcomer01", "amber-quarry-93")


def test_demo_password_meets_the_policy():
    from jiliang.demo.seed import DEMO_PASSWORD

    check_password(DEMO_PASSWORD, "regulator")
