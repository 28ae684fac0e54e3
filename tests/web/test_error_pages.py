"""Errors on console pages render inside the console layout, in the caller's language."""

from __future__ import annotations

import pytest

HTML = {"Accept": "text/html"}

pytestmark = pytest.mark.usefixtures("csrf_forms")


@pytest.mark.parametrize(
    ("path", "status", "zh", "en"),
    [
        ("/no-such-page", 404, "未找到", "Not found"),
        ("/meters/runs/abc", 422, "输入无效", "Invalid input"),
        ("/meters/runs/999999", 404, "未找到", "Not found"),
        ("/audit", 403, "无权访问", "Not allowed"),
        ("/meters/runs/1/areas/" + "x" * 70, 422, "输入无效", "Invalid input"),
    ],
)
def test_error_pages_keep_the_navigation_and_the_language(client, auth_headers, path, status, zh, en):
    h = {**auth_headers("power"), **HTML}
    r = client.get(path, headers=h)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert 'class="top"' in r.text and 'href="/meters"' in r.text  # the console's header and menu
    assert zh in r.text and 'lang="zh-CN"' in r.text
    assert "no such path" not in r.text and "may not do this" not in r.text
    english = client.get(path + ("&" if "?" in path else "?") + "lang=en", headers=h)
    assert english.status_code == status and en in english.text and 'lang="en"' in english.text


def test_api_errors_stay_json(client, auth_headers):
    r = client.get("/api/meters/runs/999999", headers={**auth_headers("power"), **HTML})
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_a_model_error_is_shown_next_to_the_form(client, seeded):
    r = client.post(
        "/uncertainty", data={"source": "model: {y: 'x +'}\ninputs: {}", "action": "run"}, headers=HTML
    )
    assert r.status_code == 422
    form = r.text.split('id="model-form"', 1)[1].split("</form>", 1)[0]
    assert 'id="source-error"' in form and "测量模型" in form
