"""The GUM result's warnings reach people: the calculator page (both languages), the CLI text and
JSON output, and the API response, each with its recommendation."""

from __future__ import annotations

import json

import pytest

from tests.conftest import csrf

HTML = {"Accept": "text/html"}
# abs at its kink: the first-order u is 0 (GUM §5.1.2 does not hold there)
KINK = """name: kink
model: {y: "abs(x)"}
inputs:
  x: {dist: normal, mean: 0, sd: 1}
method: {montecarlo: false, validate_warnings: false}
"""
# a vanishing sensitivity: y = x² at x = 0 (GUM §5.1.2 note: second order needed)
SQUARE = """name: square
model: {y: "x**2"}
inputs:
  x: {dist: normal, mean: 0, sd: 0.5}
method: {montecarlo: false, validate_warnings: false}
"""
SMOOTH = """name: smooth
model: {y: "2 * x"}
inputs:
  x: {dist: normal, mean: 1, sd: 0.1}
method: {montecarlo: false}
"""

pytestmark = pytest.mark.usefixtures("csrf_forms")


def _run(client, source: str, lang: str) -> str:
    r = client.post(
        f"/uncertainty?lang={lang}",
        data={"source": source, "action": "run", "csrf_token": csrf(client)},
        headers=HTML,
    )
    assert r.status_code == 200, r.text[-500:]
    return r.text


def test_page_shows_each_warning_with_its_recommendation_in_chinese(client):
    text = _run(client, KINK, "zh")
    assert "GUM 一阶方法的适用性警告" in text
    assert 'data-code="abs_at_kink"' in text and "绝对值函数的自变量接近 0" in text
    assert 'data-code="zero_uncertainty"' in text
    assert "用蒙特卡洛法 (MC) 评定或验证" in text
    # the English message (with its numbers) is for the English page only
    assert "is not differentiable at 0" not in text


def test_page_names_the_input_and_the_second_order_advice(client):
    zh = _run(client, SQUARE, "zh")
    assert 'data-code="zero_sensitivity"' in zh and '<span translate="no">x</span>' in zh
    assert "采用二阶 GUM 或蒙特卡洛法 (MC)" in zh
    en = _run(client, SQUARE, "en")
    assert "Warnings on the first-order GUM" in en
    assert "use the second-order GUM" in en and "the first order ignores this input" in en


def test_page_without_warnings_has_no_warning_box(client):
    text = _run(client, SMOOTH, "zh")
    assert "gum-warnings" not in text and "适用性警告" not in text


def test_page_warnings_speak_one_language(client):
    from tests.web.test_language import english_words, visible_text

    for source in (KINK, SQUARE):
        text = visible_text(_run(client, source, "zh")).replace(source, " ")
        box = text.split("GUM 一阶方法的适用性警告", 1)[1].split("不确定度预算", 1)[0]
        assert english_words(box) == [], box


def _cli(argv, capsys):
    from jiliang.cli.main import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_text_and_json_carry_the_warnings(tmp_path, capsys):
    f = tmp_path / "square.yaml"
    f.write_text(SQUARE)
    code, out, err = _cli(["uncertainty", "run", str(f)], capsys)
    assert code == 0, err
    line = next(x for x in out.splitlines() if "warning zero_sensitivity" in x)
    assert "[x]" in line and "recommended: the second-order GUM" in line
    code, out, err = _cli(["uncertainty", "run", str(f), "--json"], capsys)
    assert code == 0, err
    warnings = json.loads(out)["outputs"]["y"]["gum"]["warnings"]
    w = next(w for w in warnings if w["code"] == "zero_sensitivity")
    assert w["code"] == "zero_sensitivity" and w["input"] == "x" and w["recommendation"] == "second_order"
    f.write_text(SMOOTH)
    code, out, err = _cli(["uncertainty", "run", str(f)], capsys)
    assert code == 0 and "warning" not in out


def test_api_response_carries_the_warnings(client):
    import yaml

    r = client.post("/api/uncertainty/evaluate", json=yaml.safe_load(KINK))
    assert r.status_code == 200, r.text
    warnings = r.json()["outputs"]["y"]["gum"]["warnings"]
    assert {w["code"] for w in warnings} == {"abs_at_kink", "zero_uncertainty"}
    assert all(w["recommendation"] == "montecarlo" and w["message"] for w in warnings)


IMPLICIT_COMPLEX = """name: implicit and complex
model:
  r: {implicit: "r**3 + a*r - b", bracket: [0, 10]}
  W: {complex: "Z * r", polar: true}
inputs:
  a: {dist: normal, mean: 2, sd: 0.05}
  b: {dist: normal, mean: 12, sd: 0.1}
  Z: {complex: {re: 3, im: 4, u_re: 0.1, u_im: 0.1}}
method: {montecarlo: {trials: 20000}, seed: 1}
"""


def test_page_runs_implicit_and_complex_models(client):
    text = _run(client, IMPLICIT_COMPLEX, "zh")
    for name in ("r", "W_re", "W_im", "W_mag", "W_phase"):
        assert f'<span translate="no">{name}</span>' in text
    # the table form does not pretend to hold such a model
    assert 'name="out_expr" value="{' not in text
