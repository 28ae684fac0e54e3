"""Every router answers every error with the one JSON error body.

Walks the OpenAPI description, so a capability's new routes are covered as soon as they exist:
each operation is called anonymously, with a malformed path parameter and with a malformed body,
as the public and as an enterprise user; every 4xx/5xx answer must have the error body.
"""

from __future__ import annotations

import re

import pytest

ERROR_KEYS = {"status", "code", "message", "errors"}


def _calls(spec: dict) -> list[tuple[str, str, str]]:
    calls = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            calls.append((method.upper(), path, op["operationId"]))
    return calls


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _check(r, where: str) -> None:
    if r.status_code < 400:
        return
    assert r.headers["content-type"].startswith("application/json"), where
    body = r.json()
    assert set(body) >= ERROR_KEYS, (where, body)
    assert body["status"] == r.status_code, where
    assert isinstance(body["message"], str) and body["message"], where
    assert isinstance(body["errors"], list), where
    assert r.status_code != 500, (where, body)


def test_every_operation_answers_errors_with_the_error_body(client, auth_headers):
    spec = client.get("/openapi.json").json()
    calls = _calls(spec)
    assert len(calls) >= 10
    headers = {"anonymous": {}, "enterprise": auth_headers("fuel")}
    for who, h in headers.items():
        for method, path, op_id in calls:
            if op_id in {"auth-logout"} and who != "anonymous":
                continue  # would revoke the shared token of the run
            for value in ("not-a-number", "999999999"):
                url = _fill(path, value)
                where = f"{who} {method} {url} ({op_id})"
                if method in {"POST", "PUT", "PATCH"}:
                    for body in (b"{broken json", b"[]", b'{"unexpected": true}'):
                        r = client.request(
                            method, url, content=body, headers={**h, "content-type": "application/json"}
                        )
                        _check(r, where)
                else:
                    _check(client.request(method, url, headers=h), where)


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/%00", "/api/../../etc/passwd", "/" + "a" * 3000])
def test_odd_paths(client, path):
    r = client.get(path)
    assert r.status_code in (404, 405)
    _check(r, path)
