"""The sampling-plan page: the plan, the decision, the OC curve; bad input answered on the form."""

from __future__ import annotations

import pytest

from tests.web.test_language import english_words, visible_text


def test_empty_form(client):
    r = client.get("/sampling?lang=zh")
    assert r.status_code == 200
    assert "抽样方案查询" in r.text and 'name="lot_size"' in r.text and "<svg" not in r.text


def test_plan_decision_and_oc_in_chinese(client):
    r = client.get("/sampling", params={"lot_size": "2000", "aql": "1.0", "d": "4", "lang": "zh"})
    assert r.status_code == 200, r.text
    text = visible_text(r.text)
    assert "样本量字码" in text and "125" in text and "不接收该批" in text
    assert "<svg" in r.text and "<polyline" in r.text and "style=" not in r.text and "<script" not in r.text
    assert english_words(text) == []


def test_arrow_and_hundred_percent(client):
    r = client.get("/sampling", params={"lot_size": "10", "aql": "0.65", "lang": "zh"})
    assert r.status_code == 200
    assert "向下箭头" in r.text and "字码 F" in r.text and "全数检验" in r.text
    r = client.get("/sampling", params={"lot_size": "2000", "aql": "1.0", "d": "3", "lang": "en"})
    assert "accept the lot" in r.text and "do not accept" not in r.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lot_size": "0"}, "批量须为"),
        ({"lot_size": "abc"}, "批量须为"),
        ({"lot_size": "9" * 20}, "批量须为"),
        ({"lot_size": "100", "aql": "1.1"}, "接收质量限须取"),
        ({"lot_size": "100", "level": "IV"}, "未知的检验水平"),
        ({"lot_size": "100", "severity": "x"}, "未知的检验严格度"),
        ({"lot_size": "100", "d": "-1"}, "不合格品数须为"),
        ({"lot_size": "100", "d": "<script>"}, "不合格品数须为"),
    ],
)
def test_bad_input_on_the_form(client, params, message):
    r = client.get("/sampling", params={**params, "lang": "zh"})
    assert r.status_code == 422 and message in r.text and "<svg" not in r.text
    assert "<script>" not in r.text.split("<body", 1)[-1]


def test_per_hundred_aql_draws_a_poisson_oc(client):
    """AQL 1000 (nonconformities per 100 items): A, n 2, Ac 30 — the OC runs over p per item."""
    r = client.get("/sampling", params={"lot_size": "5", "aql": "1000", "lang": "zh"})
    assert r.status_code == 200 and "<polyline" in r.text and "每百单位不合格数" in r.text
    assert english_words(visible_text(r.text)) == []
