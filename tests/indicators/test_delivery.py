"""Indicators over HTTP, in the console and on the command line, with hostile input."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.cli_helpers import one_line_error, run_cli

HTML = {"Accept": "text/html"}


def _h(auth_headers, user):
    return {**auth_headers(user), **HTML}


def test_api_dashboard_indicator_and_definitions(client, auth_headers):
    h = auth_headers("regulator")
    plans = client.get("/api/indicators/plans", headers=h).json()
    assert [p["code"] for p in plans] == ["guangzhou", "changzhou", "jieyang", "tianjin", "chuzhou"]
    defs = {i["code"]: i for p in plans for i in p["indicators"]}
    assert "not recorded" in defs["jy.certified_enterprises"]["no_data_source"]
    assert defs["jy.net_content"]["no_data_source"] is None and defs["jy.net_content"]["history_rebuilt"]
    assert defs["jy.verification_rate"]["history_rebuilt"] and not defs["chz.coverage"]["history_rebuilt"]
    board = {r["code"]: r for r in client.get("/api/indicators/plans/jieyang", headers=h).json()}
    net = board["jy.net_content"]  # the demo's judged net-content lots
    assert (
        net["value"] == pytest.approx(100 * net["numerator"] / net["denominator"]) and net["denominator"] >= 3
    )
    assert net["drill"] == "/netcontent" and net["no_data_source"] is None
    # lots measured five (pass), three (fail) and one (pass) month before the demo's date, rebuilt
    assert [round(h["value"], 1) for h in net["history"]] == [100, 100, 50, 50, 66.7, 66.7]
    assert "not recorded" in board["jy.certified_enterprises"]["no_data_source"]
    rate = board["jy.verification_rate"]
    assert rate["value"] == pytest.approx(100 * rate["numerator"] / rate["denominator"])
    assert rate["drill"] == "/registry/due" and rate["status"] in ("met", "off_track")
    one = client.get("/api/indicators/values/chz.coverage", headers=h).json()
    assert len(one["history"]) >= 6
    # the demo's targets are for 2025: no projection into the past, the status says the year has passed
    assert one["projection"] is None and one["reason"] in ("deadline_passed", "already_met")
    assert client.get("/api/indicators/values/nope", headers=h).status_code == 404
    assert client.get("/api/indicators/plans/atlantis", headers=h).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"period": "2026-10", "value": 1},  # no evidence
        {"period": "26-10", "value": 1, "evidence": "doc 1"},
        {"period": "2026-10", "value": "ten", "evidence": "doc 1"},
        {"period": "2026-10", "value": 1, "evidence": "x" * 5000},
        {"period": "2099-10", "value": 1, "evidence": "doc 1"},
    ],
)
def test_api_manual_value_bad_input_stores_nothing(client, auth_headers, body):
    h = auth_headers("regulator")
    before = client.get("/api/indicators/values/gz.industry_centres", headers=h).json()["history"]
    r = client.post("/api/indicators/values/gz.industry_centres/manual", headers=h, json=body)
    assert r.status_code == 422 and "\n" not in r.json()["message"]
    assert client.get("/api/indicators/values/gz.industry_centres", headers=h).json()["history"] == before


def test_api_manual_value_and_roles(client, auth_headers):
    body = {"period": "2026-10", "value": 4, "evidence": "省局批复文件（示例）"}
    assert (
        client.post(
            "/api/indicators/values/gz.industry_centres/manual", headers=auth_headers("fuel"), json=body
        ).status_code
        == 403
    )
    r = client.post(
        "/api/indicators/values/gz.industry_centres/manual", headers=auth_headers("regulator"), json=body
    )
    assert r.status_code == 201 and r.json()["entered_by"]
    again = client.post(
        "/api/indicators/values/gz.industry_centres/manual", headers=auth_headers("regulator"), json=body
    )
    assert again.status_code == 409
    got = client.get("/api/indicators/values/gz.industry_centres", headers=auth_headers("regulator")).json()
    assert (got["value"], got["source"], got["evidence"]) == (4, "manual", "省局批复文件（示例）")


def test_api_report_workflow_and_files(client, auth_headers):
    h = auth_headers("regulator")
    rep = client.post(
        "/api/indicators/reports", headers=h, json={"plan": "guangzhou", "kind": "final"}
    ).json()
    rid = rep["id"]
    assert rep["status"] == "draft" and len(rep["body"]["rows"]) == 6
    assert client.get(f"/api/indicators/reports/{rid}").status_code in (401, 404)
    assert (
        client.put(
            f"/api/indicators/reports/{rid}", headers=h, json={"narrative_zh": "", "narrative_en": "x"}
        ).status_code
        == 422
    )
    assert (
        client.put(
            f"/api/indicators/reports/{rid}",
            headers=h,
            json={"narrative_zh": "意见", "narrative_en": "Assessment"},
        ).status_code
        == 200
    )
    assert client.post(f"/api/indicators/reports/{rid}/publish", headers=h).status_code == 200
    assert client.post(f"/api/indicators/reports/{rid}/publish", headers=h).status_code == 409
    pdf = client.get(f"/api/indicators/reports/{rid}/file?format=pdf&lang=zh", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    docx = client.get(f"/api/indicators/reports/{rid}/file?format=docx&lang=en", headers=h)
    with zipfile.ZipFile(io.BytesIO(docx.content)) as z:
        doc = z.read("word/document.xml").decode()
    assert "Final evaluation report" in doc and "Assessment" in doc and "<w:tbl>" in doc
    assert client.get(f"/api/indicators/reports/{rid}/file?format=exe", headers=h).status_code == 422


def test_pages_dashboard_detail_manual_form_and_public(client, auth_headers, csrf_forms):
    h = _h(auth_headers, "regulator")
    r = client.get("/indicators?plan=guangzhou&lang=zh", headers=h)
    assert r.status_code == 200 and "规划指标跟踪" in r.text and "无数据来源" in r.text
    assert 'href="/registry/coverage"' in r.text  # drill-down from the number
    d = client.get("/indicators/values/gz.coverage", headers=h)
    assert d.status_code == 200 and "<svg" in d.text and "style=" not in d.text.split("<main", 1)[1]
    assert "专栏1" in d.text
    bad = client.post(
        "/indicators/values/gz.industry_centres",
        headers=h,
        data={"period": "2026-10", "value": "abc", "evidence": "文件"},
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    ok = client.post(
        "/indicators/values/gz.industry_centres",
        headers=h,
        follow_redirects=False,
        data={"period": "2026-10", "value": "3", "evidence": "省局文件（示例）"},
    )
    assert ok.status_code == 303
    assert "省局文件（示例）" in client.get("/indicators/values/gz.industry_centres", headers=h).text
    assert (
        client.get("/indicators", headers=_h(auth_headers, "fuel"), follow_redirects=False).status_code == 303
    )
    pub = client.get("/public/indicators", headers=HTML)
    assert pub.status_code == 200 and "计量发展规划指标公开" in pub.text


def test_pages_report_edit_and_publish(client, auth_headers, csrf_forms):
    h = _h(auth_headers, "regulator")
    made = client.post(
        "/indicators",
        headers=h,
        follow_redirects=False,
        data={"action": "draft", "plan": "jieyang", "kind": "final"},
    )
    assert made.status_code == 303
    url = made.headers["location"]
    rid = url.rsplit("/", 1)[1]
    assert client.get(f"/public/indicators/reports/{rid}", headers=HTML).status_code == 404
    client.post(
        url, headers=h, data={"action": "edit", "narrative_zh": "评估意见（修改）", "narrative_en": "Edited"}
    )
    client.post(url, headers=h, data={"action": "publish"})
    pub = client.get(f"/public/indicators/reports/{rid}", headers=HTML)
    assert pub.status_code == 200 and "评估意见（修改）" in pub.text and 'name="action"' not in pub.text


@pytest.fixture
def data(seeded, settings, tmp_path):
    return settings.data_dir


def test_cli_list_compute_report(data, tmp_path):
    r = run_cli(["indicators", "list", "--plan", "guangzhou", "--json"], data)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["code"] for x in rows][:2] == ["gz.platforms", "gz.highest_standards"]
    assert not rows[0]["data_source"] and "innovation platforms" in rows[0]["no_data_source"]
    assert rows[1]["data_source"] and rows[1]["no_data_source"] is None
    c = run_cli(["indicators", "compute", "--plan", "jieyang", "--on", "2026-11-01", "--json"], data)
    got = {x["code"]: x for x in json.loads(c.stdout)["indicators"]}
    assert got["jy.net_content"]["value"] is not None and got["jy.net_content"]["missing"] is None
    assert got["jy.certified_enterprises"]["value"] is None and got["jy.certified_enterprises"]["missing"]
    out = tmp_path / "r.pdf"
    rep = run_cli(
        ["indicators", "report", "--plan", "changzhou", "--on", "2026-11-01", "--out", str(out), "--json"],
        data,
    )
    assert rep.returncode == 0, rep.stderr and out.read_bytes().startswith(b"%PDF")
    assert json.loads(rep.stdout)["status"] == "draft"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["list", "--plan", "atlantis"], "no plan"),
        (["compute", "--on", "2026-13-01"], "not a date"),
        (["report", "--plan", "guangzhou", "--kind", "annual"], "not midterm or final"),
        (["report", "--plan", "guangzhou", "--out", "x.exe"], "write .pdf or .docx"),
        (["report", "--plan", "guangzhou", "--lang", "fr"], "not zh or en"),
    ],
)
def test_cli_bad_input_one_line(data, args, reason):
    assert reason in one_line_error(run_cli(["indicators", *args], data))
