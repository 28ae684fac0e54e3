"""HTTP API and public pages of the certificate register (demo city seeded)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from tests.dcc.conftest import NOW, SIGNED_PTB, make_record


def assert_error(r, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    """The one JSON error body of the platform, with ``status`` (and ``code``)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"status", "code", "message", "errors"} and body["status"] == status
    assert isinstance(body["message"], str) and body["message"] and "\n" not in body["message"]
    if code:
        assert body["code"] == code
    return body


def _record_json(number: str) -> dict:
    rec = make_record(number)
    return {
        "number": number,
        "customer": {"name_zh": rec.customer.name_zh, "name_en": rec.customer.name_en, "city": "滨江市"},
        "instrument_name_zh": rec.instrument_name_zh,
        "instrument_name_en": rec.instrument_name_en,
        "serial_number": rec.serial_number,
        "received": "2026-03-02",
        "calibrated_from": "2026-03-03",
        "calibrated_to": "2026-03-03",
        "issued": "2026-03-05",
        "quantity_zh": "温度",
        "quantity_en": "temperature",
        "unit": "\\degreecelsius",
        "points": [
            {"reference": "0", "indication": "0.012", "U": "0.02"},
            {"reference": "100", "indication": "100.07", "U": "0.06"},
        ],
        "method_zh": rec.method_zh,
        "method_en": rec.method_en,
        "method_norm": rec.method_norm,
        "performer": "陈工",
        "approver": "李工",
        "standards": [
            {
                "name_zh": "标准铂电阻温度计",
                "name_en": "SPRT",
                "serial_number": "INV-1",
                "certificate_number": "NIM-1",
                "certificate_issuer": "NIM",
                "certificate_sha256": "cd" * 32,
            }
        ],
        "conformity": {
            "specification": "JJG 229-2010 A级",
            "decision_rule": "simple acceptance",
            "result": "pass",
            "declaration_zh": "合格",
            "declaration_en": "Pass",
        },
    }


def test_demo_city_has_certificates(client, auth_headers):
    r = client.get("/api/certificates", headers=auth_headers("regulator"))
    assert r.status_code == 200 and r.json()["total"] >= 8
    statuses = {c["status"] for c in r.json()["items"]}
    assert statuses == {"valid", "revoked", "superseded"}


def test_issue_download_verify_revoke(client, auth_headers):
    lab = auth_headers("institute")
    r = client.post("/api/certificates", json={"record": _record_json("T-2026-0001")}, headers=lab)
    assert r.status_code == 201, r.text
    cert = r.json()
    xml = client.get("/api/certificates/T-2026-0001/xml", headers=lab)
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    import hashlib

    assert hashlib.sha256(xml.content).hexdigest() == cert["sha256"]  # the exact bytes as signed
    pdf = client.get("/api/certificates/T-2026-0001/pdf?lang=en", headers=lab)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = client.get("/api/certificates/T-2026-0001/html?lang=zh", headers=lab)
    assert page.status_code == 200 and "工业铂电阻温度计" in page.text and "<svg" in page.text
    # Public, no login: status and an upload verification of the very bytes.
    pub = client.get("/api/certificates/verify/T-2026-0001")
    assert pub.status_code == 200 and pub.json()["status"] == "valid" and "signer" in pub.json()
    ver = client.post(
        "/api/certificates/verify", content=xml.content, headers={"content-type": "application/xml"}
    )
    body = ver.json()
    assert ver.status_code == 200 and body["valid"], body
    assert body["register"] == {"status": "valid", "same_bytes": True, "superseded_by": None}
    # Revoke with a reason; the public page says so.
    r = client.post(
        "/api/certificates/T-2026-0001/revoke", json={"reason": "wrong standard used"}, headers=lab
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    pub = client.get("/api/certificates/verify/T-2026-0001").json()
    assert pub["status"] == "revoked" and pub["reason"] == "wrong standard used"
    assert_error(
        client.post("/api/certificates/T-2026-0001/revoke", json={"reason": "again"}, headers=lab), 409
    )


def test_supersede(client, auth_headers):
    lab = auth_headers("institute")
    for n in ("S-1", "S-2"):
        assert (
            client.post("/api/certificates", json={"record": _record_json(n)}, headers=lab).status_code == 201
        )
    r = client.post(
        "/api/certificates/S-1/supersede",
        json={"by": "S-2", "reason": "corrected serial number"},
        headers=lab,
    )
    assert r.status_code == 200 and r.json()["status"] == "superseded"
    pub = client.get("/api/certificates/verify/S-1").json()
    assert pub["status"] == "superseded" and pub["superseded_by"] == "S-2"
    assert_error(
        client.post("/api/certificates/S-2/supersede", json={"by": "S-2", "reason": "self"}, headers=lab), 422
    )


def test_permissions(client, auth_headers):
    assert_error(client.post("/api/certificates", json={"record": _record_json("P-1")}), 401)
    assert_error(
        client.post(
            "/api/certificates", json={"record": _record_json("P-1")}, headers=auth_headers("regulator")
        ),
        403,
    )
    assert (
        client.post(
            "/api/certificates", json={"record": _record_json("P-1")}, headers=auth_headers("institute")
        ).status_code
        == 201
    )
    assert_error(client.get("/api/certificates/P-1/xml", headers=auth_headers("lab")), 403)
    assert_error(
        client.post("/api/certificates/P-1/revoke", json={"reason": "not mine"}, headers=auth_headers("lab")),
        403,
    )
    assert_error(client.get("/api/certificates/P-1/xml"), 401)


def test_bad_issue_input_changes_nothing(client, auth_headers):
    lab = auth_headers("institute")
    before = client.get("/api/certificates", headers=lab).json()["total"]
    bad = _record_json("B-1")
    bad["points"][0]["U"] = "-1"
    assert_error(client.post("/api/certificates", json={"record": bad}, headers=lab), 422)
    bad = _record_json("B-1")
    bad["unit"] = "\\furlong"
    body = assert_error(client.post("/api/certificates", json={"record": bad}, headers=lab), 422)
    assert "furlong" in body["message"]
    bad = _record_json("B 1/..")
    assert_error(client.post("/api/certificates", json={"record": bad}, headers=lab), 422)
    dup = _record_json("B-2")
    assert client.post("/api/certificates", json={"record": dup}, headers=lab).status_code == 201
    assert_error(client.post("/api/certificates", json={"record": dup}, headers=lab), 409)
    assert client.get("/api/certificates", headers=lab).json()["total"] == before + 1


def test_public_status_unknown_and_malformed(client):
    assert_error(client.get("/api/certificates/verify/NOPE-1"), 404)
    assert_error(client.get("/api/certificates/verify/..%2F..%2Fetc"), 404)
    assert_error(client.get("/api/certificates/verify/" + "A" * 65), 422)


def test_upload_validate_hostile(client):
    r = client.post(
        "/api/certificates/validate",
        content=b'<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>',
    )
    assert (
        r.status_code == 200
        and not r.json()["valid"]
        and "document type" in r.json()["problems"][0]["message"]
    )
    assert_error(client.post("/api/certificates/validate", content=b""), 422)
    assert_error(
        client.post("/api/certificates/validate", content=b"<a>" + b"x" * (5 * 1024 * 1024) + b"</a>"), 413
    )


def test_upload_verify_ptb_example(client):
    r = client.post("/api/certificates/verify?at=2023-03-28", content=SIGNED_PTB.read_bytes())
    body = r.json()
    assert r.status_code == 200 and not body["valid"]  # not signed by a CA this platform trusts
    assert next(c for c in body["checks"] if c["name"] == "signature")["status"] == "ok"
    assert body["register"] is None


def test_web_verify_pages(client, seeded):
    assert client.get("/verify").status_code == 200
    r = client.get("/verify?number=BJJL-2026-00001", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/verify/BJJL-2026-00001"
    page = client.get("/verify/BJJL-2026-00001")
    assert page.status_code == 200 and "有效" in page.text
    page = client.get("/verify/BJJL-2026-00004?lang=en")
    assert page.status_code == 200 and "Revoked" in page.text
    assert client.get("/verify/NOPE").status_code == 404
    assert client.get("/verify?number=%3Cscript%3E").status_code == 422
    assert "<script>" not in client.get("/verify?number=%3Cscript%3E").text


def test_web_list_requires_login(client, seeded):
    r = client.get("/certificates", follow_redirects=False)
    assert r.status_code in (302, 303, 307)


def test_dates_in_demo_follow_as_of(client, auth_headers):
    items = client.get("/api/certificates?limit=100", headers=auth_headers("regulator")).json()["items"]
    assert all(date.fromisoformat(i["issued_at"][:10]) <= date(2026, 11, 1) for i in items)
    assert NOW.year == 2026


@pytest.mark.usefixtures("csrf_forms")
def test_web_list_for_the_lab(client, seeded):
    r = client.post(
        "/login", data={"username": "institute", "password": "jiliang-demo"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get("/certificates")
    assert (
        page.status_code == 200
        and "BJJL-2026-00001" in page.text
        and "/api/certificates/BJJL-2026-00001/pdf" in page.text
    )
    pdf = client.get("/api/certificates/BJJL-2026-00001/pdf")  # the console cookie authenticates the download
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def _pdf_text(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    import subprocess

    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_links_follow_the_served_address_and_name_the_signer(client, auth_headers, tmp_path):
    lab = auth_headers("institute")
    assert (
        client.post("/api/certificates", json={"record": _record_json("URL-1")}, headers=lab).status_code
        == 201
    )
    text = _pdf_text(client.get("/api/certificates/URL-1/pdf", headers=lab).content, tmp_path)
    assert "http://testserver/verify/URL-1" in text and "127.0.0.1:8000" not in text
    assert "签名有效" in text and "签名证书" in text
    html = client.get("/api/certificates/URL-1/html?lang=en", headers=lab).text
    assert 'href="http://testserver/verify/URL-1"' in html and "valid signature" in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_links_use_the_configured_public_base_url(client, auth_headers, app, tmp_path):
    app.state.settings = app.state.settings.model_copy(update={"public_base_url": "https://jl.example.cn/"})
    lab = auth_headers("institute")
    assert (
        client.post("/api/certificates", json={"record": _record_json("URL-2")}, headers=lab).status_code
        == 201
    )
    text = _pdf_text(client.get("/api/certificates/URL-2/pdf", headers=lab).content, tmp_path)
    assert "https://jl.example.cn/verify/URL-2" in text and "testserver" not in text


def test_public_number_search_tolerates_case_and_spaces(client, seeded):
    for typed in ("bjjl-2026-00001", " BJJL - 2026 - 00001 ", "ｂｊｊｌ－２０２６－００００１"):
        r = client.get("/verify", params={"number": typed}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/verify/BJJL-2026-00001", typed
    r = client.get("/verify/bjjl-2026-00001", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/verify/BJJL-2026-00001"
    assert client.get("/api/certificates/verify/bjjl-2026-00001").json()["number"] == "BJJL-2026-00001"
    missing = client.get("/verify", params={"number": "bjjl-2026-99999"})
    assert missing.status_code == 404 and "未找到" in missing.text and "verdict-not_found" in missing.text


def test_public_status_shows_a_verdict_and_the_instrument(client, seeded):
    page = client.get("/verify/BJJL-2026-00001").text
    assert "verdict verdict-valid" in page
    info = client.get("/api/certificates/verify/BJJL-2026-00001").json()["instrument"]
    assert info["name_zh"] and info["serial_number"] and info["owner_zh"]
    assert info["name_zh"] in page and info["serial_number"] in page and info["owner_zh"] in page
    assert "jiliang dcc verify" not in page and "/api/certificates/verify" not in page
    english = client.get("/verify/BJJL-2026-00004?lang=en").text
    assert "verdict-revoked" in english and "Revoked" in english and "Calibrated instrument" in english


@pytest.mark.usefixtures("csrf_forms")
def test_public_file_check_uses_the_verify_service(client, auth_headers):
    lab = auth_headers("institute")
    assert (
        client.post("/api/certificates", json={"record": _record_json("UP-1")}, headers=lab).status_code
        == 201
    )
    xml = client.get("/api/certificates/UP-1/xml", headers=lab).content
    ok = client.post("/verify/file", files={"file": ("UP-1.xml", xml, "application/xml")})
    assert ok.status_code == 200 and "verdict-valid" in ok.text and "签名有效，证书有效" in ok.text
    changed = client.post(
        "/verify/file",
        files={
            "file": (
                "x.xml",
                xml.replace(b'<dcc:content lang="en">', b'<dcc:content lang="en">X', 1),
                "text/xml",
            )
        },
    )
    assert changed.status_code == 200 and "verdict-invalid" in changed.text and "签名无效" in changed.text
    api = client.post("/api/certificates/verify", content=xml).json()
    assert api["valid"] and api["register"] == {"status": "valid", "same_bytes": True, "superseded_by": None}
    assert client.post("/verify/file", files={"file": ("e.xml", b"", "text/xml")}).status_code == 422
    big = client.post(
        "/verify/file", files={"file": ("b.xml", b"<a>" + b"x" * (5 * 1024 * 1024) + b"</a>", "text/xml")}
    )
    assert big.status_code == 413 and "5 MB" in big.text
    english = client.post(
        "/verify/file?lang=en", files={"file": ("p.xml", SIGNED_PTB.read_bytes(), "text/xml")}
    )
    assert english.status_code == 200 and "Signature not valid" in english.text
