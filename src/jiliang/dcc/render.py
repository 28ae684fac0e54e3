"""Human-readable views of a certificate: PDF (reportlab) and HTML, in Chinese or English.

Both carry a QR code to the public verification page ``{base_url}/verify/{number}``. Chinese text
in the PDF uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1), so no font file is
needed; the PDF viewer supplies the glyphs.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote

from jiliang.dcc.errors import DccError
from jiliang.dcc.model import Certificate, Hybrid, Quantity, Real, RealList, Result, Statement, Text

__all__ = [
    "LABELS",
    "limits_text",
    "render_html",
    "render_pdf",
    "result_rows",
    "unit_text",
    "verify_url",
]

Lang = Literal["zh", "en"]

LABELS: dict[str, dict[str, str]] = {
    "title": {"zh": "数字校准证书", "en": "Digital Calibration Certificate"},
    "number": {"zh": "证书编号", "en": "Certificate number"},
    "laboratory": {"zh": "校准机构", "en": "Calibration laboratory"},
    "accreditation": {"zh": "认可编号", "en": "Accreditation"},
    "customer": {"zh": "委托方", "en": "Customer"},
    "item": {"zh": "被校对象", "en": "Calibration item"},
    "manufacturer": {"zh": "制造商", "en": "Manufacturer"},
    "model": {"zh": "型号", "en": "Model"},
    "identifications": {"zh": "标识", "en": "Identifications"},
    "received": {"zh": "收样日期", "en": "Date of receipt"},
    "performed": {"zh": "校准日期", "en": "Date of calibration"},
    "issued": {"zh": "签发日期", "en": "Date of issue"},
    "methods": {"zh": "校准方法", "en": "Methods"},
    "equipment": {"zh": "计量标准器", "en": "Measuring equipment"},
    "certificate_of": {"zh": "证书", "en": "certificate"},
    "conditions": {"zh": "环境条件", "en": "Influence conditions"},
    "results": {"zh": "校准结果", "en": "Results"},
    "statements": {"zh": "声明", "en": "Statements"},
    "conformity": {"zh": "符合性", "en": "Conformity"},
    "decision_rule": {"zh": "判定规则", "en": "Decision rule"},
    "persons": {"zh": "责任人", "en": "Responsible persons"},
    "uncertainty": {"zh": "扩展不确定度", "en": "Expanded uncertainty"},
    "verify": {"zh": "扫码核验证书真伪", "en": "Scan to verify this certificate"},
    "pass": {"zh": "合格", "en": "pass"},
    "fail": {"zh": "不合格", "en": "fail"},
    "conditionalPass": {"zh": "有条件合格", "en": "conditional pass"},
    "conditionalFail": {"zh": "有条件不合格", "en": "conditional fail"},
    "noPass": {"zh": "未判定合格", "en": "no pass"},
    "noFail": {"zh": "未判定不合格", "en": "no fail"},
    "traceable": {"zh": "可溯源", "en": "traceable"},
    "limits": {"zh": "允许范围", "en": "Limits"},
}


def _l(key: str, lang: Lang) -> str:
    return LABELS[key][lang]


def verify_url(base_url: str, number: str) -> str:
    """``{base_url}/verify/{number}`` with the number URL-quoted."""
    return f"{base_url.rstrip('/')}/verify/{quote(number, safe='')}"


@lru_cache(maxsize=1024)
def unit_text(unit: str) -> str:
    """A D-SI unit string as readable text (``\\degreecelsius`` → ``℃``), via ``dsiUnits``."""
    import warnings

    from dsi_unit import DsiUnit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            u = DsiUnit(unit)
            return str(u.to_utf8()) if u.valid else unit
        except Exception:  # a foreign unit string must never break rendering
            return unit


def _num(d: Decimal) -> str:
    return format(d, "f") if -7 < d.adjusted() < 15 else str(d)


def _t(text: Text | None, lang: Lang) -> str:
    return text.get(lang) if text is not None else ""


def _value(v: Real | RealList | Hybrid, i: int | None = None) -> str:
    if isinstance(v, Hybrid):
        return " = ".join(_value(m, i) for m in v.members)
    if isinstance(v, Real):
        s = f"{_num(v.value)} {unit_text(v.unit)}"
        if v.uncertainty is not None:
            u = v.uncertainty
            s += f" (U = {_num(u.U)} {unit_text(v.unit)}, k = {_num(u.k)}, p = {_num(u.p)})"
        return s
    idx = i or 0
    unit = v.units[idx] if len(v.units) > 1 else v.units[0]
    s = f"{_num(v.values[idx])} {unit_text(unit)}"
    return s


def result_rows(result: Result, lang: Lang) -> tuple[list[str], list[list[str]]]:
    """A result as a table: header and rows (columns of lists side by side; singles one per row)."""
    lists = [
        q
        for q in result.quantities
        if isinstance(q.value, RealList)
        or (isinstance(q.value, Hybrid) and isinstance(q.value.members[0], RealList))
    ]
    n = {len(_first_list(q).values) for q in lists}
    if lists and len(n) == 1 and len(lists) == len(result.quantities):
        header: list[str] = []
        cols: list[list[str]] = []
        for q in lists:
            header.append(_t(q.name, lang) or (q.ref_type or ""))
            rl = _first_list(q)
            cols.append([_value(q.value, i) for i in range(len(rl.values))])
            if rl.uncertainty is not None:
                u = rl.uncertainty
                header.append(f"{_l('uncertainty', lang)} U (k)")
                cols.append(
                    [
                        f"{_num(u.U[i] if len(u.U) > 1 else u.U[0])} {unit_text(rl.units[0])} "
                        f"(k = {_num(u.k[i] if len(u.k) > 1 else u.k[0])})"
                        for i in range(len(rl.values))
                    ]
                )
            if q.conformity is not None:
                header += [_l("conformity", lang), _l("limits", lang)]
                cols += _conformity_columns(q.conformity, len(rl.values), lang)
        rows = [list(r) for r in zip(*cols, strict=True)]
        return header, rows
    rows = []
    for q in result.quantities:
        rows.append([_t(q.name, lang) or (q.ref_type or ""), _quantity_text(q, lang)])
    return ["", ""], rows


def limits_text(st: Statement, index: int) -> str:
    """The limits of point ``index`` as text: ``lower … upper unit``, ``≥ lower``, ``≤ upper``."""
    found: dict[str, tuple[Decimal, str]] = {}
    for limit in st.limits:
        value = limit.at(index)
        if value is not None:
            found.setdefault(limit.kind, value)
    lo, hi = found.get("lower"), found.get("upper")
    if lo and hi:
        return f"{_num(lo[0])} … {_num(hi[0])} {unit_text(hi[1])}"
    if lo:
        return f"≥ {_num(lo[0])} {unit_text(lo[1])}"
    if hi:
        return f"≤ {_num(hi[0])} {unit_text(hi[1])}"
    other = found.get("limit")
    return f"{_num(other[0])} {unit_text(other[1])}" if other else "—"


def _conformity_columns(st: Statement, n: int, lang: Lang) -> list[list[str]]:
    verdicts = [st.point_conformity(i) for i in range(n)]
    return [[_l(v, lang) if v else "—" for v in verdicts], [limits_text(st, i) for i in range(n)]]


def _first_list(q: Quantity) -> RealList:
    v = q.value
    if isinstance(v, Hybrid):
        m = v.members[0]
        assert isinstance(m, RealList)
        return m
    assert isinstance(v, RealList)
    return v


def _quantity_text(q: Quantity, lang: Lang) -> str:
    v = q.value
    if isinstance(v, RealList):
        s = "; ".join(_value(v, i) for i in range(len(v.values)))
    else:
        s = _value(v)
    st = q.conformity
    if st is not None and (st.conformity or st.conformity_list):
        n = len(v.values) if isinstance(v, RealList) else 1
        verdicts = [st.point_conformity(i) for i in range(n)]
        words = "; ".join(_l(x, lang) if x else "—" for x in verdicts)
        limits = f", {_l('limits', lang)}: {limits_text(st, 0)}" if st.limits and n == 1 else ""
        s += f" [{_l('conformity', lang)}: {words}{limits}]"
    return s


def _statement_text(st: Statement, lang: Lang) -> str:
    parts = []
    if st.name is not None:
        parts.append(_t(st.name, lang))
    if st.declaration is not None:
        parts.append(_t(st.declaration, lang))
    if st.norms:
        parts.append(", ".join(st.norms))
    if st.conformity:
        parts.append(f"{_l('conformity', lang)}: {_l(st.conformity, lang)}")
    if st.decision_rule:
        parts.append(f"{_l('decision_rule', lang)}: {st.decision_rule}")
    if st.traceable:
        parts.append(_l("traceable", lang))
    return " — ".join(p for p in parts if p)


def _sections(cert: Certificate, lang: Lang) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    core = cert.core
    lab = cert.laboratory
    yield (
        "",
        [
            (_l("number", lang), core.unique_identifier),
            (_l("laboratory", lang), _t(lab.contact.name, lang)),
            (_l("accreditation", lang), lab.code or "—"),
            (_l("customer", lang), _t(cert.customer.name, lang)),
            (_l("received", lang), core.receipt_date.isoformat() if core.receipt_date else "—"),
            (
                _l("performed", lang),
                core.begin_performance_date.isoformat()
                + (
                    ""
                    if core.end_performance_date == core.begin_performance_date
                    else f" – {core.end_performance_date}"
                ),
            ),
            (_l("issued", lang), core.issue_date.isoformat() if core.issue_date else "—"),
        ],
    )
    for it in cert.items:
        rows = [(_l("item", lang), _t(it.name, lang))]
        if it.manufacturer:
            rows.append((_l("manufacturer", lang), it.manufacturer))
        if it.model:
            rows.append((_l("model", lang), it.model))
        for ident in it.identifications:
            rows.append((_t(ident.name, lang) or ident.issuer, ident.value))
        yield _l("item", lang), rows
    for mr in cert.measurement_results:
        if mr.methods:
            yield _l("methods", lang), [(_t(m.name, lang), ", ".join(m.norms)) for m in mr.methods]
        if mr.equipment:
            rows = []
            for e in mr.equipment:
                detail = ", ".join(i.value for i in e.identifications)
                if e.certificate is not None:
                    c = e.certificate
                    detail += f"; {_l('certificate_of', lang)} {c.referral_id} ({c.referral.get(lang)}), {c.procedure} {c.value[:16]}…"
                rows.append((_t(e.name, lang), detail))
            yield _l("equipment", lang), rows
        if mr.influence_conditions:
            yield (
                _l("conditions", lang),
                [
                    (_t(ic.name, lang), "; ".join(_quantity_text(q, lang) for q in ic.quantities))
                    for ic in mr.influence_conditions
                ],
            )
    if cert.statements:
        yield _l("statements", lang), [("", _statement_text(s, lang)) for s in cert.statements]
    yield _l("persons", lang), [(p.role or "", _t(p.name, lang)) for p in cert.resp_persons]


def _qr_matrix(data: str) -> list[list[bool]]:
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def _qr_svg(data: str, size: int = 140) -> str:
    m = _qr_matrix(data)
    n = len(m)
    cells = "".join(
        f'<rect x="{x}" y="{y}" width="1" height="1"/>'
        for y, row in enumerate(m)
        for x, on in enumerate(row)
        if on
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{size}" height="{size}" '
        f'shape-rendering="crispEdges" role="img" aria-label="QR"><rect width="{n}" height="{n}" fill="#fff"/>'
        f'<g fill="#000">{cells}</g></svg>'
    )


def render_html(cert: Certificate, *, lang: Lang = "zh", base_url: str) -> str:
    """A self-contained HTML page (inline SVG QR code, no script)."""
    if lang not in ("zh", "en"):
        raise DccError(f"language {lang!r} is not zh or en")
    e = html.escape
    url = verify_url(base_url, cert.number)
    out = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{e(_l("title", lang))} {e(cert.number)}</title>',
        "<style>body{font-family:'Noto Sans CJK SC','Source Han Sans SC',sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}"
        "th{background:#f2f2f2}.qr{float:right;text-align:center;font-size:.8rem}</style></head><body>",
        f'<div class="qr"><a href="{e(url)}">{_qr_svg(url)}</a><br>{e(_l("verify", lang))}</div>',
        f"<h1>{e(_l('title', lang))}</h1>",
    ]
    for title, rows in _sections(cert, lang):
        if title:
            out.append(f"<h2>{e(title)}</h2>")
        out.append(
            "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>"
        )
    out.append(f"<h2>{e(_l('results', lang))}</h2>")
    for mr in cert.measurement_results:
        for r in mr.results:
            header, table_rows = result_rows(r, lang)
            out.append(f"<h3>{e(_t(r.name, lang))}</h3><table>")
            if any(header):
                out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in table_rows)
            out.append("</table>")
    out.append(f'<p><a href="{e(url)}">{e(url)}</a></p></body></html>')
    return "".join(out)


_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _pdf_text(s: str) -> str:
    """Escape for reportlab's mini-markup; superscripts (absent from STSong) become <super>."""
    out = []
    buf = ""
    for ch in s:
        if ch in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻":
            buf += ch.translate(_SUPER)
            continue
        if buf:
            out.append(f"<super>{buf}</super>")
            buf = ""
        out.append(html.escape(ch, quote=False))
    if buf:
        out.append(f"<super>{buf}</super>")
    return "".join(out)


def render_pdf(cert: Certificate, *, lang: Lang = "zh", base_url: str) -> bytes:
    """A PDF (A4) with every section, the results tables and the QR code to the verification page."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if lang not in ("zh", "en"):
        raise DccError(f"language {lang!r} is not zh or en")
    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11, leading=15, spaceBefore=6, spaceAfter=3)
    small = ParagraphStyle("s", parent=body, fontSize=7, leading=9)
    url = verify_url(base_url, cert.number)

    def P(s: str, style: Any = body) -> Any:
        return Paragraph(_pdf_text(s), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ]
    )
    width = A4[0] - 36 * mm
    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    side = 32 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(qr)
    head = Table(
        [
            [
                [P(_l("title", lang), h1), P(f"{_l('number', lang)}: {cert.number}"), P(url, small)],
                [drawing, P(_l("verify", lang), small)],
            ]
        ],
        colWidths=[width - 40 * mm, 40 * mm],
    )
    story: list[Any] = [head, Spacer(1, 4 * mm)]
    for title, rows in _sections(cert, lang):
        if title:
            story.append(P(title, h2))
        t = Table([[P(k), P(v)] for k, v in rows], colWidths=[width * 0.3, width * 0.7])
        t.setStyle(grid)
        story.append(t)
    story.append(P(_l("results", lang), h2))
    for mr in cert.measurement_results:
        for r in mr.results:
            story.append(
                P(
                    _t(r.name, lang),
                    ParagraphStyle("h3", parent=body, fontSize=10, spaceBefore=4, spaceAfter=2),
                )
            )
            header, table_rows = result_rows(r, lang)
            data = ([[P(h) for h in header]] if any(header) else []) + [
                [P(c) for c in row] for row in table_rows
            ]
            ncol = max(len(x) for x in data)
            t = Table(data, colWidths=[width / ncol] * ncol, repeatRows=1 if any(header) else 0)
            t.setStyle(
                TableStyle(
                    [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
                )
            )
            story.append(t)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{_l('title', lang)} {cert.number}",
        author=cert.laboratory.contact.name.get(lang),
        invariant=1,
    )
    doc.build(story)
    return buf.getvalue()
