"""Human-readable views of a certificate: PDF (reportlab) and HTML, in Chinese or English.

Both carry a QR code to the public verification page ``{base_url}/verify/{number}`` and a
signature block: who signed (the laboratory and its signing certificate), when (the trusted
timestamp) and how to verify. The PDF embeds its CJK font as a subset (:mod:`jiliang.dcc.pdffont`),
so it prints and displays the same everywhere.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from jiliang.dcc.errors import DccError
from jiliang.dcc.model import Certificate, Hybrid, Quantity, Real, RealList, Result, Statement, Text
from jiliang.units import unit_text

__all__ = [
    "LABELS",
    "SignatureInfo",
    "limits_text",
    "render_html",
    "render_pdf",
    "result_rows",
    "signature_info",
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
    "name": {"zh": "名称", "en": "Name"},
    "signature": {"zh": "签名与核验", "en": "Signature and verification"},
    "signed_by": {"zh": "签名机构", "en": "Signed by"},
    "signer_certificate": {"zh": "签名证书", "en": "Signing certificate"},
    "signed_at": {"zh": "签名时间（可信时间戳）", "en": "Signed at (trusted timestamp)"},
    "signature_status": {"zh": "签名核验", "en": "Signature check"},
    "signature_ok": {"zh": "签名有效", "en": "valid signature"},
    "signature_not_ok": {"zh": "签名未通过核验：", "en": "signature not verified: "},
    "no_timestamp": {"zh": "无可信时间戳", "en": "no trusted timestamp"},
    "not_signed": {"zh": "本视图未核验签名", "en": "signature not checked in this view"},
    "how_to_verify": {"zh": "如何核验", "en": "How to verify"},
    "how_to_verify_text": {
        "zh": "扫描二维码或打开 {url} 查看证书状态；在该页面还可上传本证书的签名 XML 文件，核验签名与内容。"
        "本 PDF 是签名 XML 文件的可读视图，以签名文件为准。",
        "en": "Scan the QR code or open {url} to see the certificate's status; on that page you can also "
        "upload the signed XML file of this certificate to check its signature and content. This PDF "
        "is a readable view of the signed XML file, which prevails.",
    },
}


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What the signature block says: the signing certificate's subject, the trusted time, and
    whether the signature verified (``problem`` says why not)."""

    signer_subject: str | None
    timestamp: datetime | None
    valid: bool
    problem: str | None = None


def signature_info(report: Any) -> SignatureInfo:
    """The signature block's facts from a :class:`~jiliang.dcc.verify.VerificationReport`."""
    failures = getattr(report, "failures", ())
    return SignatureInfo(
        report.signer_subject,
        report.timestamp_time,
        bool(report.valid),
        failures[0].detail if failures else None,
    )


def _signature_rows(
    cert: Certificate, lang: Lang, url: str, signature: SignatureInfo | None
) -> list[tuple[str, str]]:
    rows = [(_l("signed_by", lang), _t(cert.laboratory.contact.name, lang))]
    if signature is None:
        rows.append((_l("signature_status", lang), _l("not_signed", lang)))
    else:
        rows.append((_l("signer_certificate", lang), signature.signer_subject or "—"))
        when = signature.timestamp
        rows.append(
            (
                _l("signed_at", lang),
                when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else _l("no_timestamp", lang),
            )
        )
        status = (
            _l("signature_ok", lang)
            if signature.valid
            else _l("signature_not_ok", lang) + (signature.problem or "")[:200]
        )
        rows.append((_l("signature_status", lang), status))
    rows.append((_l("how_to_verify", lang), _l("how_to_verify_text", lang).format(url=url)))
    return rows


def _l(key: str, lang: Lang) -> str:
    return LABELS[key][lang]


def verify_url(base_url: str, number: str) -> str:
    """``{base_url}/verify/{number}`` with the number URL-quoted."""
    return f"{base_url.rstrip('/')}/verify/{quote(number, safe='')}"


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
    """The limits of point ``index`` as text: ``lower ~ upper unit``, ``≥ lower``, ``≤ upper``."""
    found: dict[str, tuple[Decimal, str]] = {}
    for limit in st.limits:
        value = limit.at(index)
        if value is not None:
            found.setdefault(limit.kind, value)
    lo, hi = found.get("lower"), found.get("upper")
    if lo and hi:
        return f"{_num(lo[0])} ~ {_num(hi[0])} {unit_text(hi[1])}"
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
        rows = [(_l("name", lang), _t(it.name, lang))]
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


def render_html(
    cert: Certificate, *, lang: Lang = "zh", base_url: str, signature: SignatureInfo | None = None
) -> str:
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
    out.append(f"<h2>{e(_l('signature', lang))}</h2><table>")
    out.extend(
        f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _signature_rows(cert, lang, url, signature)
    )
    out.append(f'</table><p><a href="{e(url)}">{e(url)}</a></p></body></html>')
    return "".join(out)


_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _pdf_text(s: str) -> str:
    """Escape for reportlab's mini-markup; superscripts become <super> (sharper in small type)."""
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


# Blocks: what the PDF shows, as plain data, so the font can be built from every character first.
Block = tuple[str, Any]


def _blocks(cert: Certificate, lang: Lang, url: str, signature: SignatureInfo | None) -> list[Block]:
    blocks: list[Block] = []
    for title, pairs in _sections(cert, lang):
        blocks.append(("kv", (title, pairs)))
    results_title = _l("results", lang)
    first = True
    for mr in cert.measurement_results:
        for r in mr.results:
            header, rows = result_rows(r, lang)
            name = _t(r.name, lang)
            # one heading when the result is named like the section: never the same words twice
            sub = "" if name in ("", results_title) else name
            if not any(header) and len(rows) == 1 and rows[0][0] == name:
                sub = ""  # the single row already carries the result's name
            blocks.append(("table", (results_title if first else "", sub, header, rows)))
            first = False
    blocks.append(("signature", _signature_rows(cert, lang, url, signature)))
    return blocks


def _block_text(blocks: list[Block]) -> str:
    parts: list[str] = []
    for kind, body in blocks:
        if kind == "kv":
            parts += [body[0], *(k + v for k, v in body[1])]
        elif kind == "table":
            parts += [body[0], body[1], *body[2], *("".join(r) for r in body[3])]
        else:
            parts += [k + v for k, v in body]
    return "".join(parts)


def _page_canvas(font: str, footer: str, lang: Lang) -> Any:
    """A canvas class that writes "page x of y" once the number of pages is known."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class _Numbered(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            number = self._pageNumber
            text = f"第 {number} 页 / 共 {total} 页" if lang == "zh" else f"Page {number} of {total}"
            width = self._pagesize[0]
            self.setFont(font, 8)
            self.setFillGray(0.35)
            self.drawString(18 * mm, 10 * mm, footer)
            self.drawRightString(width - 18 * mm, 10 * mm, text)

    return _Numbered


def _qr_drawing(url: str, side: float, font: str) -> Any:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    # the drawing's font is the document's, so no unembedded standard font is referenced
    drawing = Drawing(
        side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0], initialFontName=font
    )
    drawing.add(qr)
    return drawing


def _styles(font: str) -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12.5, wordWrap="CJK")
    return {
        "body": body,
        "h1": ParagraphStyle("h1", parent=body, fontSize=17, leading=22, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", parent=body, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=3, keepWithNext=1
        ),
        "h3": ParagraphStyle("h3", parent=body, fontSize=10, leading=13, spaceBefore=4, spaceAfter=2),
        "h2_table": ParagraphStyle(
            "h2t", parent=body, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=3
        ),
        "small": ParagraphStyle("s", parent=body, fontSize=7.5, leading=9.5),
        "head": ParagraphStyle("th", parent=body, textColor="#1f2d3d"),
    }


def _grid(first_column: bool, font: str) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),  # cells name a font even when they hold paragraphs
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if first_column:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f4f7")))
    return TableStyle(style)


def _kv_flowables(title: str, rows: list[tuple[str, str]], st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph, Table

    table = Table(
        [[Paragraph(_pdf_text(k), st["body"]), Paragraph(_pdf_text(v), st["body"])] for k, v in rows],
        colWidths=[width * 0.28, width * 0.72],
    )
    table.setStyle(_grid(True, st["body"].fontName))
    head = [Paragraph(_pdf_text(title), st["h2"])] if title else []
    return [KeepTogether([*head, table])]


def _result_flowables(body: Any, st: dict[str, Any], width: float) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, Paragraph, Table

    title, sub, header, rows = body
    # headings stay with the table's first rows: a new page unless ~4 rows fit below them (a
    # keep-with-next would move a long table, heading and all, to the next page)
    out: list[Any] = [CondPageBreak(45 * mm)]
    if title:
        out.append(Paragraph(_pdf_text(title), st["h2_table"]))
    if sub:
        out.append(Paragraph(_pdf_text(sub), st["h3"]))
    has_header = any(header)
    data = ([[Paragraph(_pdf_text(h), st["head"]) for h in header]] if has_header else []) + [
        [Paragraph(_pdf_text(c), st["body"]) for c in row] for row in rows
    ]
    ncol = max(len(x) for x in data)
    table = Table(data, colWidths=[width / ncol] * ncol, repeatRows=1 if has_header else 0)
    style = _grid(not has_header, st["body"].fontName)
    if has_header:
        style.add("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e9ef"))
    # no orphan or widow row: the header keeps two rows with it and the last two rows stay together
    last = len(data) - 1
    style.add("NOSPLIT", (0, 0), (-1, min(2 if has_header else 1, last)))
    style.add("NOSPLIT", (0, max(0, last - 1)), (-1, last))
    table.setStyle(style)
    out.append(table)
    return out


def _signature_flowables(
    rows: list[tuple[str, str]], url: str, st: dict[str, Any], width: float, lang: Lang
) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Table

    table = Table(
        [[Paragraph(_pdf_text(k), st["body"]), Paragraph(_pdf_text(v), st["body"])] for k, v in rows],
        colWidths=[width * 0.22, width * 0.78 - 34 * mm],
    )
    table.setStyle(_grid(True, st["body"].fontName))
    qr = [
        _qr_drawing(url, 28 * mm, st["body"].fontName),
        Paragraph(_pdf_text(_l("verify", lang)), st["small"]),
    ]
    frame = Table([[table, qr]], colWidths=[width - 34 * mm, 34 * mm])
    frame.setStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), st["body"].fontName),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ]
    )
    return [KeepTogether([Paragraph(_pdf_text(_l("signature", lang)), st["h2"]), frame])]


def _head_flowable(head_text: list[str], lab: str, url: str, st: dict[str, Any], width: float) -> Any:
    """The first page's head: title, number, laboratory and verification address, beside the QR code."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table

    font_name = st["body"].fontName
    head = Table(
        [
            [
                [
                    Paragraph(_pdf_text(head_text[0]), st["h1"]),
                    Paragraph(_pdf_text(head_text[1]), st["body"]),
                    Paragraph(_pdf_text(lab), st["body"]),
                    Paragraph(_pdf_text(url), st["small"]),
                ],
                [_qr_drawing(url, 30 * mm, font_name), Paragraph(_pdf_text(head_text[3]), st["small"])],
            ]
        ],
        colWidths=[width - 36 * mm, 36 * mm],
    )
    head.setStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font_name),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
        ]
    )
    return head


def _block_flowables(
    blocks: list[Block], url: str, st: dict[str, Any], width: float, lang: Lang
) -> list[Any]:
    """The flowables of the sections, result tables and signature block, in order."""
    story: list[Any] = []
    for kind, body in blocks:
        if kind == "kv":
            story += _kv_flowables(body[0], body[1], st, width)
        elif kind == "table":
            story += _result_flowables(body, st, width)
        else:
            story += _signature_flowables(body, url, st, width, lang)
    return story


def render_pdf(
    cert: Certificate,
    *,
    lang: Lang = "zh",
    base_url: str,
    signature: SignatureInfo | None = None,
    font: Path | None = None,
) -> bytes:
    """A print-ready PDF (A4): every section, the results tables, a signature block and the QR code.

    The CJK font is embedded as a subset (:mod:`jiliang.dcc.pdffont`; ``font`` names the file,
    else a known system font is used). Pages are numbered "page x of y"; headings stay with what
    follows; tables repeat their header and never leave a single row on a page. ``signature``
    (from :func:`signature_info`) names who signed and when; without it the block says the PDF
    is a view and where to verify the signed file.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    from jiliang.dcc.pdffont import register_font

    if lang not in ("zh", "en"):
        raise DccError(f"language {lang!r} is not zh or en")
    url = verify_url(base_url, cert.number)
    blocks = _blocks(cert, lang, url, signature)
    lab = _t(cert.laboratory.contact.name, lang)
    footer = f"{_l('title', lang)} {cert.number} · {lab}"
    head_text = [_l("title", lang), f"{_l('number', lang)}: {cert.number}", url, _l("verify", lang)]
    page_words = "第页共 Page of 0123456789/"
    font_name = register_font(_block_text(blocks) + "".join(head_text) + footer + page_words, font)
    st = _styles(font_name)
    width = A4[0] - 36 * mm
    story: list[Any] = [_head_flowable(head_text, lab, url, st, width), Spacer(1, 3 * mm)]
    story += _block_flowables(blocks, url, st, width, lang)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{_l('title', lang)} {cert.number}",
        author=lab,
        invariant=1,
        initialFontName=font_name,
        initialFontSize=8,
    )
    doc.build(story, canvasmaker=_page_canvas(font_name, footer, lang))
    return buf.getvalue()
