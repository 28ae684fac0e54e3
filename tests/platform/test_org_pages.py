"""Console pages of change requests: an organization asks, the regulator approves or rejects."""

from __future__ import annotations

import re

import pytest

HTML = {"Accept": "text/html"}

pytestmark = pytest.mark.usefixtures("csrf_forms")


def login(client, username: str) -> None:
    r = client.post(
        "/login", data={"username": username, "password": "jiliang-demo", "next": "/"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_an_enterprise_requests_and_the_regulator_approves_in_the_console(client, seeded):
    login(client, "power")
    r = client.get("/organization", headers=HTML)
    assert r.status_code == 200 and "申请变更" in r.text and "滨江供电局" in r.text
    # a bad credit code is reported inside the page; nothing is stored
    r = client.post("/organization", data={"credit_code": "123", "reason": "变更"}, headers=HTML)
    assert r.status_code == 422 and 'role="alert"' in r.text and "credit code" in r.text
    assert "暂无申请" in r.text
    r = client.post("/organization", data={"name": "滨江供电公司", "reason": "更名"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.get("/organization?done=submitted", headers=HTML)
    assert "等待市场监管部门审核" in r.text and "待审核" in r.text and "滨江供电公司" in r.text
    # the enterprise cannot reach the review list nor decide
    assert client.get("/organization/requests", headers=HTML).status_code == 403

    login(client, "regulator")
    r = client.get("/organization/requests", headers=HTML)
    assert r.status_code == 200 and "核准" in r.text and "驳回" in r.text
    rid = re.search(r'action="/organization/requests/(\d+)"', r.text).group(1)
    r = client.post(
        f"/organization/requests/{rid}", data={"action": "approve", "note": "同意"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=approved")
    r = client.get("/organization/requests?status=approved&lang=en", headers=HTML)
    assert "Approved" in r.text and "同意" in r.text
    # deciding again is refused inside the page
    r = client.post(f"/organization/requests/{rid}", data={"action": "reject"}, headers=HTML)
    assert r.status_code == 409 and 'role="alert"' in r.text

    login(client, "power")
    r = client.get("/organization?lang=en", headers=HTML)
    assert "滨江供电公司" in r.text and "Approved" in r.text and "Request a change" in r.text
