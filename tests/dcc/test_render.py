"""PDF and HTML views: Chinese text survives (checked with pdftotext), QR code to the verify page."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import jiliang.dcc as dcc
from jiliang.dcc.render import unit_text

BASE = "https://jiliang.example"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ["数字校准证书", "工业铂电阻温度计", "扩展不确定度", "符合性"]),
        ("en", ["Digital Calibration Certificate", "Calibration results", "Expanded uncertainty"]),
    ],
)
def test_pdf_text(tmp_path, record, lang, words):
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(dcc.render_pdf(dcc.build_certificate(record), lang=lang, base_url=BASE))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for w in words:
        assert w in text, w
    assert "BJ-2026-000001" in text and f"{BASE}/verify/BJ-2026-000001" in text


def test_pdf_has_the_qr_code_to_the_verify_page(record):
    from reportlab.graphics.barcode.qr import QrCodeWidget

    assert QrCodeWidget  # the widget drawn on the page; its value is the URL below
    assert dcc.verify_url(BASE + "/", "A B/1") == f"{BASE}/verify/A%20B%2F1"


def test_html_escapes_and_has_qr(record):
    from dataclasses import replace

    rec = replace(record, instrument_name_en="<script>alert(1)</script>")
    html = dcc.render_html(dcc.build_certificate(rec), lang="en", base_url=BASE)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<svg" in html and f'href="{BASE}/verify/BJ-2026-000001"' in html


def test_renders_a_foreign_ptb_certificate():
    from tests.dcc.conftest import DATA

    cert = dcc.from_xml((DATA / "dcc_gp_humidity_v1.0.xml").read_bytes())
    assert dcc.render_pdf(cert, lang="en", base_url=BASE).startswith(b"%PDF")
    assert "GP_DCC_humidity" in dcc.render_html(
        cert, lang="zh", base_url=BASE
    ) or cert.number in dcc.render_html(cert, lang="zh", base_url=BASE)


def test_unit_text():
    assert unit_text("\\degreecelsius") == "℃"
    assert unit_text("\\kilo\\pascal") == "kPa"
    assert unit_text("\\nonsense") == "\\nonsense"


def test_bad_language_is_refused(record):
    with pytest.raises(dcc.DccError, match="not zh or en"):
        dcc.render_html(dcc.build_certificate(record), lang="fr", base_url=BASE)  # type: ignore[arg-type]
