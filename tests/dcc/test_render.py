"""PDF and HTML views: Chinese text survives (checked with pdftotext), QR code to the verify page."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import jiliang.dcc as dcc
from jiliang.units import unit_text

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


# --- print-ready PDF: embedded fonts, page x of y, signature block, page breaks ---------------

POPPLER = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdffonts, pdftotext) not installed",
)


def _pages(pdf: bytes, tmp_path) -> list[str]:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return text.stdout.split("\f")[:-1]


def _fonts(pdf: bytes, tmp_path) -> list[list[str]]:  # type: ignore[no-untyped-def]
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def _signed_golden():  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from jiliang.dcc.render import signature_info
    from tests.dcc.golden import make

    signed = make.SIGNED.read_bytes()
    report = dcc.verify(signed, (make.PKI_DIR / "trust.pem").read_bytes(), now=make.CLOCK + timedelta(days=1))
    return dcc.from_xml(signed), signature_info(report)


def _long(cert, n: int):  # type: ignore[no-untyped-def]
    """The certificate with its calibration table grown to ``n`` points (to force page breaks)."""
    from dataclasses import replace

    def grow(rl):  # type: ignore[no-untyped-def]
        pick = lambda xs: xs if len(xs) == 1 else tuple(xs[i % len(xs)] for i in range(n))  # noqa: E731
        u = rl.uncertainty
        u = replace(u, U=pick(u.U), k=pick(u.k), p=pick(u.p)) if u is not None else None
        return replace(rl, values=tuple(rl.values[i % len(rl.values)] for i in range(n)), uncertainty=u)

    mr = cert.measurement_results[0]
    table = mr.results[0]
    quantities = tuple(
        replace(q, value=dcc.Hybrid(tuple(grow(m) for m in q.value.members)))
        if isinstance(q.value, dcc.Hybrid)
        else replace(q, value=grow(q.value))
        for q in table.quantities
    )
    new_mr = replace(mr, results=(replace(table, quantities=quantities), *mr.results[1:]))
    return replace(cert, measurement_results=(new_mr,))


@POPPLER
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_embeds_every_font(tmp_path, lang):
    cert, signature = _signed_golden()
    fonts = _fonts(dcc.render_pdf(cert, lang=lang, base_url=BASE, signature=signature), tmp_path)
    assert fonts
    for row in fonts:  # name type encoding emb sub uni object id
        assert row[-5:-3] == ["yes", "yes"], f"font {row[0]} is not embedded as a subset"
    assert all("STSong" not in row[0] and "Helvetica" not in row[0] for row in fonts)


@POPPLER
def test_pdf_numbers_pages_and_names_who_signed(tmp_path):
    import re

    cert, signature = _signed_golden()
    pages = _pages(dcc.render_pdf(cert, lang="zh", base_url=BASE, signature=signature), tmp_path)
    for i, text in enumerate(pages, start=1):
        found = re.search(r"第\s*(\d+)\s*页\s*/\s*共\s*(\d+)\s*页", text)
        assert found and found.groups() == (str(i), str(len(pages))), text[-200:]
    whole = "".join(pages)
    assert "签名与核验" in whole and "滨江市计量检测研究院" in whole
    assert "CN=Binjiang Institute of Metrology" in whole
    assert "2026-03-05 08:00:00 UTC" in whole and "签名有效" in whole
    assert f"{BASE}/verify/GOLDEN-2026-000001" in whole and "上传本证书的签名" in " ".join(whole.split())
    english = "".join(_pages(dcc.render_pdf(cert, lang="en", base_url=BASE, signature=signature), tmp_path))
    assert "Page 1 of" in english and "Signature and verification" in english


@POPPLER
def test_pdf_headings_are_not_repeated(tmp_path):
    cert, signature = _signed_golden()
    whole = "".join(_pages(dcc.render_pdf(cert, lang="zh", base_url=BASE, signature=signature), tmp_path))
    for heading in ("被校对象", "校准方法", "计量标准器", "校准结果", "签名与核验"):
        assert whole.count(heading) == 1, heading
    assert whole.count("最大示值误差") == 1


@POPPLER
def test_long_tables_repeat_their_header_and_leave_no_orphan_row(tmp_path):
    cert, signature = _signed_golden()
    pages = _pages(dcc.render_pdf(_long(cert, 90), lang="zh", base_url=BASE, signature=signature), tmp_path)
    assert len(pages) >= 3
    with_rows = [p for p in pages if "273.150 K" in p or "373.150 K" in p]
    assert len(with_rows) >= 3
    for text in with_rows:
        rows = text.count("273.150 K") + text.count("373.150 K")
        assert rows >= 2, "a page holds a single row of the table"
        assert "示值误差" in text, "the table header is not repeated on the page"


def test_pdf_font_missing_is_a_clear_error(tmp_path, record):
    with pytest.raises(dcc.DccError, match="does not exist"):
        dcc.render_pdf(dcc.build_certificate(record), lang="zh", base_url=BASE, font=tmp_path / "none.ttf")


def test_html_has_the_signature_block(record):
    cert, signature = _signed_golden()
    page = dcc.render_html(cert, lang="en", base_url=BASE, signature=signature)
    assert "Signature and verification" in page and "CN=Binjiang Institute of Metrology" in page
    assert "2026-03-05 08:00:00 UTC" in page
    unsigned = dcc.render_html(dcc.build_certificate(record), lang="zh", base_url=BASE)
    assert "本视图未核验签名" in unsigned
