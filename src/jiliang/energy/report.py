"""The report of an energy metering review as PDF (A4, Chinese): the unit, the edition of
GB 17167 in force on the review date, the configuration-rate table, the meters not valid on that
date, the findings and the conclusion. Drawn from the snapshot frozen when the report was made."""

from __future__ import annotations

import html
import io
from typing import Any

from jiliang.energy.review import ReviewView, et_zh
from jiliang.errors import ConflictError
from jiliang.platform.pdf import report_styles

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
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    snap = view.report
    if snap is None:
        raise ConflictError(f"review {view.review.code} has no report yet (state {view.review.state})")
    body, h1, h2 = report_styles()
    width = A4[0] - 36 * mm
    late = [m for m in snap["meters"] if m["status"] != "valid"]
    story: list[Any] = [
        _p("能源计量审查报告", h1),
        _head_table(view, snap, body, width),
        _p("能源计量器具配备率（GB 17167 表3）", h2),
        _rate_table(snap["rates"], body, width),
        _p(f"检定/校准状态异常的计量器具（{len(late)} 台）", h2),
        _meter_table(late, body, width),
        _p("审查发现", h2),
        _finding_table(snap["findings"], body, width),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"能源计量审查报告 {view.review.code}",
    ).build(story)
    return out.getvalue()


def _p(s: str, style: Any) -> Any:
    """A paragraph of escaped text."""
    from reportlab.platypus import Paragraph

    return Paragraph(_text(s), style)


def _table(rows: list[list[Any]], widths: list[float]) -> Any:
    """A gridded table, cells aligned to the top."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _head_table(view: ReviewView, snap: dict[str, Any], body: Any, width: float) -> Any:
    """The review's code, unit, date, basis and conclusion (and a note on an unverified edition)."""
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
    return _table([[_p(k, body), _p(v, body)] for k, v in head_rows], [width * 0.22, width * 0.78])


def _rate_table(rates: list[dict[str, Any]], body: Any, width: float) -> Any:
    """The configuration rates by energy type and level, against the required rates (GB 17167 表3)."""
    verdict = {True: "符合", False: "不符合", None: "—"}
    rows = [[_p(h, body) for h in ("能源种类", "级别", "应配", "已配", "配备率", "要求", "判定")]]
    rows += [
        [
            _p(et_zh(x["energy_type"]), body),
            _p(f"{x['level']} 级", body),
            _p(str(x["required"]), body),
            _p(str(x["installed"]), body),
            _p(_rate(x["rate"]), body),
            _p(_rate(x["required_rate"]), body),
            _p(verdict[x["ok"]], body),
        ]
        for x in rates
    ]
    return _table(rows, [width * 0.2] + [width * 0.8 / 6] * 6)


def _meter_table(late: list[dict[str, Any]], body: Any, width: float) -> Any:
    """The meters not valid on the review date."""
    rows = [[_p(h, body) for h in ("出厂编号", "计量点", "能源种类", "级别", "状态", "有效期至")]]
    rows += [
        [
            _p(m["serial"], body),
            _p(m["point"], body),
            _p(et_zh(m["energy_type"]), body),
            _p(f"{m['level']} 级", body),
            _p(_STATUS.get(m["status"], m["status"]), body),
            _p(m["due"] or "—", body),
        ]
        for m in late
    ]
    return _table(rows, [width * 0.2, width * 0.26, width * 0.14, width * 0.1, width * 0.12, width * 0.18])


def _finding_table(findings: list[dict[str, Any]], body: Any, width: float) -> Any:
    """The findings: severity, clause, text."""
    rows = [[_p(h, body) for h in ("类别", "条款", "内容")]]
    rows += [
        [_p(_SEVERITY.get(f["severity"], f["severity"]), body), _p(f["clause"], body), _p(f["text"], body)]
        for f in findings
    ]
    return _table(rows, [width * 0.12, width * 0.25, width * 0.63])
