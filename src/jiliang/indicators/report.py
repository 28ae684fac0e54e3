"""An evaluation report as PDF (reportlab, A4, the CID font STSong-Light for Chinese as the
comparison reports use) and as Word (.docx, written as WordprocessingML with :mod:`zipfile`:
python-docx is not installed; the docx holds the narrative and the indicator table, not charts)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from jiliang.errors import InputError
from jiliang.indicators.catalog import Plan
from jiliang.indicators.texts import REASONS, STATUS, label
from jiliang.platform.pdf import report_styles

__all__ = ["report_docx", "report_pdf", "table_rows"]


def _fmt(v: float | None) -> str:
    return "—" if v is None else (f"{v:.1f}" if abs(v - round(v)) > 1e-9 else f"{v:.0f}")


def table_rows(body: dict[str, Any], lang: str) -> list[list[str]]:
    """The indicator table: header then one row per indicator."""
    i = 0 if lang == "zh" else 1
    head = [
        label(k, lang) for k in ("indicator", "type", "baseline", "target", "current", "projection", "status")
    ]
    rows = [head]
    for r in body["rows"]:
        unit = r["unit"] if lang == "zh" else r["unit_en"]
        base = f"{_fmt(r['baseline']['value'])} ({r['baseline']['year']})" if r["baseline"] else "—"
        tgt = (
            f"{r['target']['cmp']} {_fmt(r['target']['value'])} ({r['target']['year']})"
            if r["target"]
            else "—"
        )
        cur = _fmt(r["value"]) if r["value"] is not None else label("no_source", lang)
        if r["source"] == "manual":
            cur += f" ({label('manual', lang)})"
        pj = r["projection"]
        proj = f"{_fmt(pj['y'])} [{_fmt(pj['low'])}, {_fmt(pj['high'])}]" if pj else "—"
        status = (
            STATUS[r["status"]][i] + "：" + REASONS[r["reason"]][i]
            if lang == "zh"
            else (STATUS[r["status"]][i] + ": " + REASONS[r["reason"]][i])
        )
        typ = r["type"] or label("unstated", lang)
        if lang == "en":
            typ = {"预期性": "expected", "约束性": "binding"}.get(r["type"] or "", label("unstated", lang))
        rows.append(
            [f"{r['name'] if lang == 'zh' else r['name_en']} ({unit})", typ, base, tgt, cur, proj, status]
        )
    return rows


def _check(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise InputError(f"language {lang!r} is not zh or en")


def _chart(r: dict[str, Any], width: float, height: float) -> Any:
    from reportlab.graphics.shapes import Drawing, Line, PolyLine, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    vals = [v for _, v in r["series"]] + ([r["target"]["value"]] if r["target"] else [])
    if not r["series"]:
        return d
    lo, hi = float(min(vals)), float(max(vals))
    pad = (hi - lo) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    n = len(r["series"])

    def y(v: float) -> float:
        return 12 + (height - 24) * (v - lo) / (hi - lo)

    xs = [40 + (width - 50) * k / max(n - 1, 1) for k in range(n)]
    d.add(
        PolyLine([c for k, (_, v) in enumerate(r["series"]) for c in (xs[k], y(v))], strokeColor=colors.navy)
    )
    if r["target"]:
        d.add(
            Line(
                40,
                y(r["target"]["value"]),
                width - 10,
                y(r["target"]["value"]),
                strokeColor=colors.red,
                strokeDashArray=[4, 3],
            )
        )
    d.add(String(2, y(lo + pad) - 3, _fmt(lo + pad), fontSize=6))
    d.add(String(2, y(hi - pad) - 3, _fmt(hi - pad), fontSize=6))
    d.add(String(40, 1, str(r["series"][0][0]), fontSize=6))
    d.add(String(width - 40, 1, str(r["series"][-1][0]), fontSize=6))
    return d


def report_pdf(
    plan: Plan, kind: str, as_of: date, body: dict[str, Any], narrative: str, status: str, lang: str = "zh"
) -> bytes:
    """The report as PDF: title, narrative, indicator table and a trend chart per indicator."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    _check(lang)
    body_s, h1, h2 = report_styles(size=8, leading=11, title_size=15)

    def p(s: str, style: Any = body_s) -> Any:
        return Paragraph(escape(s.replace("−", "-").replace("—", "-") if lang == "zh" else s), style)

    title = plan.title if lang == "zh" else plan.title_en
    head = f"{label(kind, lang)}" + ("" if status == "published" else f" ({label('draft', lang)})")
    width = landscape(A4)[0] - 30 * mm
    rows = table_rows(body, lang)
    table = Table(
        [[p(c) for c in row] for row in rows],
        colWidths=[width * w for w in (0.24, 0.07, 0.1, 0.12, 0.1, 0.13, 0.24)],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story: list[Any] = [
        p(head, h1),
        p(title, h2),
        p(f"{label('as_of', lang)}: {as_of.isoformat()}"),
        p(label("narrative", lang), h2),
    ]
    story += [p(line) for line in narrative.splitlines() if line.strip()]
    story += [p(label("table", lang), h2), table, p(label("charts", lang), h2)]
    for r in body["rows"]:
        if r["series"]:
            story += [p(r["name"] if lang == "zh" else r["name_en"]), _chart(r, 160 * mm, 35 * mm)]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{head} {plan.code}",
    ).build(story)
    return out.getvalue()


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _para(text: str, size: int = 21, bold: bool = False) -> str:
    rpr = f'<w:rPr><w:rFonts w:eastAsia="SimSun"/>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
    return f'<w:p><w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def report_docx(
    plan: Plan, kind: str, as_of: date, body: dict[str, Any], narrative: str, status: str, lang: str = "zh"
) -> bytes:
    """The report as a Word document: title, narrative and the indicator table."""
    _check(lang)
    head = label(kind, lang) + ("" if status == "published" else f" ({label('draft', lang)})")
    parts = [
        _para(head, 32, True),
        _para(plan.title if lang == "zh" else plan.title_en, 24, True),
        _para(f"{label('as_of', lang)}: {as_of.isoformat()}"),
        _para(label("narrative", lang), 24, True),
    ]
    parts += [_para(line) for line in narrative.splitlines() if line.strip()]
    parts.append(_para(label("table", lang), 24, True))
    border = "".join(
        f'<w:{s} w:val="single" w:sz="4" w:color="999999"/>'
        for s in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    cells = "".join(
        "<w:tr>" + "".join(f"<w:tc>{_para(c, 18, n == 0)}</w:tc>" for c in row) + "</w:tr>"
        for n, row in enumerate(table_rows(body, lang))
    )
    parts.append(f"<w:tbl><w:tblPr><w:tblBorders>{border}</w:tblBorders></w:tblPr>{cells}</w:tbl>")
    doc = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
        + "".join(parts)
        + '<w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/></w:sectPr>'
        "</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", doc)
    return out.getvalue()
