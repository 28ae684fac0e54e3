"""HTTP API of the platform: health, auth, tokens, roles, organizations, audit, limits."""

from __future__ import annotations

import pytest

ERROR_KEYS = {"status", "code", "message", "errors"}


def assert_error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= ERROR_KEYS and body["status"] == status
    assert isinstance(body["message"], str) and body["message"] and "\n" not in body["message"]
    if code:
        assert body["code"] == code
    return body


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert client.get("/readyz").json()["database"] == "sqlite"


def test_unknown_path_and_method_get_the_error_body(client):
    assert_error(client.get("/api/no/such/thing"), 404, "not_found")
    assert_error(client.get("/definitely-missing"), 404, "not_found")
    assert_error(client.delete("/healthz"), 405, "method_not_allowed")


def test_operation_ids_are_stable_and_unique(client):
    spec = client.get("/openapi.json").json()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert "health-live" in ids and "auth-login" in ids and "organizations-list" in ids
    for op_id in ids:
        tag, _, name = op_id.partition("-")
        assert tag and name, op_id


def test_login_token_me_logout(client, seeded):
    r = client.post("/api/auth/login", json={"username": "regulator", "password": "jiliang-demo"})
    assert r.status_code == 200
    token = r.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=h).json()["role"] == "regulator"
    assert client.post("/api/auth/logout", headers=h).json() == {"revoked": True}
    assert_error(client.get("/api/auth/me", headers=h), 401, "unauthenticated")


def test_wrong_password_and_rate_limit(client, seeded):
    for _ in range(5):
        assert_error(client.post("/api/auth/login", json={"username": "power", "password": "nope-nope"}), 401)
    body = assert_error(
        client.post("/api/auth/login", json={"username": "power", "password": "jiliang-demo"}),
        429,
        "rate_limited",
    )
    assert "try again" in body["message"]
    # another user is not affected
    assert (
        client.post("/api/auth/login", json={"username": "fuel", "password": "jiliang-demo"}).status_code
        == 200
    )


def test_api_tokens_are_revocable(client, auth_headers):
    h = auth_headers("power")
    r = client.post("/api/auth/tokens", json={"name": "meter upload", "ttl_days": 30}, headers=h)
    assert r.status_code == 201
    new = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/api/auth/me", headers=new).status_code == 200
    listed = client.get("/api/auth/tokens", headers=h).json()
    assert any(t["name"] == "meter upload" for t in listed)
    assert client.delete(f"/api/auth/tokens/{r.json()['token_id']}", headers=h).status_code == 200
    assert_error(client.get("/api/auth/me", headers=new), 401)


def test_other_users_tokens_cannot_be_revoked(client, auth_headers):
    r = client.post("/api/auth/tokens", json={"name": "x"}, headers=auth_headers("power"))
    assert_error(client.delete(f"/api/auth/tokens/{r.json()['token_id']}", headers=auth_headers("fuel")), 404)


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer jl_" + "a" * 43, "Basic Zm9vOmJhcg==", "Bearer " + "x" * 5000]
)
def test_bad_tokens(client, header):
    r = client.get("/api/auth/me", headers={"Authorization": header})
    if header.startswith("Basic"):
        assert r.json()["role"] == "public"  # not a bearer token: the caller is anonymous
    else:
        assert_error(r, 401)


def test_enterprise_sees_its_own_organization_and_the_public_labs(client, auth_headers, seeded):
    reg = client.get("/api/organizations?limit=1000", headers=auth_headers("regulator")).json()
    assert reg["total"] == seeded["organizations"]
    mine = client.get("/api/organizations?limit=1000", headers=auth_headers("power")).json()
    me = client.get("/api/auth/me", headers=auth_headers("power")).json()
    public = {o["id"] for o in reg["items"] if o["kind"] in ("institute", "lab")}
    # the list and the single look-up follow one rule: one's own and the labs named on certificates
    assert {o["id"] for o in mine["items"]} == public | {me["org_id"]}
    for org_id in public:
        assert client.get(f"/api/organizations/{org_id}", headers=auth_headers("power")).status_code == 200
    anonymous = client.get("/api/organizations?limit=1000").json()
    assert {o["id"] for o in anonymous["items"]} == public
    other = next(o for o in reg["items"] if o["kind"] == "factory")
    assert_error(client.get(f"/api/organizations/{other['id']}", headers=auth_headers("power")), 404)
    assert_error(
        client.patch(
            f"/api/organizations/{other['id']}", json={"address": "x"}, headers=auth_headers("power")
        ),
        404,
    )
    r = client.patch(
        f"/api/organizations/{me['org_id']}", json={"address": "新地址"}, headers=auth_headers("power")
    )
    assert r.status_code == 200 and r.json()["address"] == "新地址"


def test_public_sees_only_labs(client, seeded):
    r = client.get("/api/organizations?limit=1000").json()
    assert r["total"] > 0 and {o["kind"] for o in r["items"]} <= {"institute", "lab"}


def test_only_the_regulator_creates_organizations_and_users(client, auth_headers):
    body = {"name": "新厂", "kind": "factory", "credit_code": "91350100M000100Y43"}
    assert_error(client.post("/api/organizations", json=body), 401)
    assert_error(
        client.post("/api/organizations", json=body, headers=auth_headers("power")), 403, "forbidden"
    )
    r = client.post("/api/organizations", json=body, headers=auth_headers("regulator"))
    assert r.status_code == 201
    assert_error(
        client.post("/api/organizations", json=body, headers=auth_headers("regulator")), 409, "conflict"
    )
    user = {"username": "neo", "password": "long-password", "role": "enterprise", "org_id": r.json()["id"]}
    assert client.post("/api/users", json=user, headers=auth_headers("regulator")).status_code == 201
    assert_error(client.post("/api/users", json=user, headers=auth_headers("regulator")), 409)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "kind": "spaceship"},
        {"name": "x", "kind": "factory", "credit_code": "91350100M000100Y44"},
        {"name": "", "kind": "factory"},
        {"name": "x" * 5000, "kind": "factory"},
        [1, 2, 3],
    ],
)
def test_malformed_organization_is_refused_and_nothing_changes(client, auth_headers, body):
    h = auth_headers("regulator")
    before = client.get("/api/organizations?limit=1", headers=h).json()["total"]
    err = assert_error(client.post("/api/organizations", json=body, headers=h), 422, "invalid_input")
    assert err["errors"] and all({"field", "message"} <= set(e) for e in err["errors"])
    assert client.get("/api/organizations?limit=1", headers=h).json()["total"] == before


def test_broken_json_gets_the_error_body(client, auth_headers):
    r = client.post(
        "/api/organizations",
        content=b'{"name": "x", "kind": ',
        headers={**auth_headers("regulator"), "content-type": "application/json"},
    )
    assert_error(r, 422)


def test_oversized_body_is_refused(app, client):
    limit = app.state.settings.max_body_bytes
    r = client.post(
        "/api/auth/login", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert_error(r, 413, "too_large")


def test_oversized_chunked_body_is_refused(app, client):
    limit = app.state.settings.max_body_bytes

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    r = client.post("/api/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "too_large")


def test_paging_bounds(client, auth_headers):
    assert_error(client.get("/api/organizations?limit=0", headers=auth_headers("regulator")), 422)
    assert_error(client.get("/api/organizations?limit=100000", headers=auth_headers("regulator")), 422)


def test_audit_api(client, auth_headers):
    h = auth_headers("regulator")
    client.post("/api/organizations", json={"name": "审计测试", "kind": "market"}, headers=h)
    entries = client.get("/api/audit?entity=organization&limit=5", headers=h).json()
    assert entries[0]["actor"] == "regulator" and entries[0]["after"]["name"] == "审计测试"
    assert client.get("/api/audit/verify", headers=h).json()["ok"] is True
    assert_error(client.get("/api/audit", headers=auth_headers("power")), 403)


def test_audit_checkpoint_api_and_anchored_verify(client, auth_headers, app):
    from jiliang.platform.checkpoint import write_checkpoint
    from jiliang.platform.db import utcnow

    h = auth_headers("regulator")
    assert_error(client.get("/api/audit/checkpoint", headers=h), 404)
    with app.state.db.session() as s:
        write_checkpoint(s, app.state.settings.data_dir, utcnow())
    cp = client.get("/api/audit/checkpoint", headers=h).json()
    assert cp["entries"] > 0 and len(cp["signature"]) == 128
    assert client.get("/api/audit/verify", headers=h).json() | {"entries": 0} == {
        "ok": True,
        "entries": 0,
        "first_bad_seq": None,
        "reason": None,
        "checkpoints": 1,
    }
    with app.state.db.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM audit_entry WHERE seq = {cp['entries']}")
        conn.exec_driver_sql(
            "UPDATE audit_head SET seq = seq - 1, hash = "
            f"(SELECT hash FROM audit_entry WHERE seq = {cp['entries'] - 1})"
        )
    body = client.get("/api/audit/verify", headers=h).json()
    assert body["ok"] is False and "were removed" in body["reason"]
    assert_error(client.get("/api/audit/checkpoint", headers=auth_headers("power")), 403)
