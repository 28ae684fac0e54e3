"""The report of an energy metering review as PDF (A4, Chinese): the unit, the edition of
GB 17167 in force on the review date, the configuration-rate table, the meters not valid on that
date, the findings and the conclusion. Drawn from the snapshot frozen when the report was made."""

from __future__ import annotations

import html
import io
from typing import Any

from jiliang.energy.review import ReviewView, et_zh
from jiliang.errors import ConflictError

__all__ = ["review_pdf"]

_PLAIN = {"−": "-", "≥": ">=", "≤": "<=", "–": "-", "₂": "2"}
_SEVERITY = {"major": "主要", "minor": "一般", "note": "提示"}
_STATUS = {"valid": "有效", "out_of_date": "超期", "failed": "不合格", "unknown": "无记录"}


def _text(s: str) -> str:
    return html.escape("".join(_PLAIN.get(c, c) for c in s), quote=False)


def _rate(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f} %"


def review_pdf(view: ReviewView) -> bytes:
    """The PDF of a review that has reached its report (state ``report`` or ``closed``)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    snap = view.report
    if snap is None:
        raise ConflictError(f"review {view.review.code} has no report yet (state {view.review.state})")
    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11, leading=15, spaceBefore=6, spaceAfter=3)

    def p(s: str, style: Any = body) -> Any:
        return Paragraph(_text(s), style)

    width = A4[0] - 36 * mm
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    r = view.review
    head_rows = [
        ("审查编号", r.code),
        ("重点用能单位", f"{snap['unit']['name']}（{snap['unit']['code']}）"),
        ("审查日期", snap["on"]),
        ("依据", f"{snap['edition']}；GB/T 43866-2024 配备率检查方法"),
        ("结论", r.conclusion or ""),
    ]
    if not snap["edition_verified"]:
        head_rows.append(("说明", f"{snap['edition']} 表格数值尚未与正式文本逐格核对"))
    head = Table([[p(k), p(v)] for k, v in head_rows], colWidths=[width * 0.22, width * 0.78])
    head.setStyle(grid)
    rates = [[p(h) for h in ("能源种类", "级别", "应配", "已配", "配备率", "要求", "判定")]]
    verdict = {True: "符合", False: "不符合", None: "—"}
    rates += [
        [
            p(et_zh(x["energy_type"])),
            p(f"{x['level']} 级"),
            p(str(x["required"])),
            p(str(x["installed"])),
            p(_rate(x["rate"])),
            p(_rate(x["required_rate"])),
            p(verdict[x["ok"]]),
        ]
        for x in snap["rates"]
    ]
    rate_table = Table(rates, colWidths=[width * 0.2] + [width * 0.8 / 6] * 6)
    rate_table.setStyle(grid)
    late = [m for m in snap["meters"] if m["status"] != "valid"]
    meters = [[p(h) for h in ("出厂编号", "计量点", "能源种类", "级别", "状态", "有效期至")]]
    meters += [
        [
            p(m["serial"]),
            p(m["point"]),
            p(et_zh(m["energy_type"])),
            p(f"{m['level']} 级"),
            p(_STATUS.get(m["status"], m["status"])),
            p(m["due"] or "—"),
        ]
        for m in late
    ]
    meter_table = Table(
        meters, colWidths=[width * 0.2, width * 0.26, width * 0.14, width * 0.1, width * 0.12, width * 0.18]
    )
    meter_table.setStyle(grid)
    finds = [[p(h) for h in ("类别", "条款", "内容")]]
    finds += [
        [p(_SEVERITY.get(f["severity"], f["severity"])), p(f["clause"]), p(f["text"])]
        for f in snap["findings"]
    ]
    find_table = Table(finds, colWidths=[width * 0.12, width * 0.25, width * 0.63])
    find_table.setStyle(grid)
    story: list[Any] = [
        p("能源计量审查报告", h1),
        head,
        p("能源计量器具配备率（GB 17167 表3）", h2),
        rate_table,
        p(f"检定/校准状态异常的计量器具（{len(late)} 台）", h2),
        meter_table,
        p("审查发现", h2),
        find_table,
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"能源计量审查报告 {r.code}",
    ).build(story)
    return out.getvalue()
