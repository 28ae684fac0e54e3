"""The published report of a round as PDF (A4, Chinese or English): round, reference value, the
degrees-of-equivalence plot and table, the model choice and the convention (JJF 1117 layout)."""

from __future__ import annotations

import html
import io
from typing import Any

from jiliang.comparisons.service import RoundView
from jiliang.errors import InputError, NotFoundError
from jiliang.platform.pdf import report_styles

__all__ = ["report_pdf"]

_L = {
    "title": ("计量比对报告", "Comparison report"),
    "code": ("比对编号", "Round"),
    "measurand": ("被测量", "Measurand"),
    "pilot": ("主导实验室", "Pilot lab"),
    "participants": ("参加实验室数", "Participants"),
    "reference": ("参考值", "Reference value"),
    "estimator": ("估计方法", "Estimator"),
    "consistency": ("一致性检验", "Consistency check"),
    "doe": ("等效度", "Degrees of equivalence"),
    "lab": ("实验室", "Lab"),
    "in_ref": ("参与参考值", "In reference"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "tree": ("NIST 决策树建议", "NIST Decision Tree suggests"),
    "convention": ("约定", "Convention"),
    "note": (
        "En = d/U(d)，|En| ≤ 1 为满意（JJF 1117，k = 2）。",
        "En = d/U(d); |En| ≤ 1 is satisfactory (JJF 1117, k = 2).",
    ),
}


_SUP = dict(
    zip(
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁻²³½",
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "2", "3", "1/2"],
        strict=True,
    )
)
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789", strict=True))
#: Characters STSong-Light lacks, written in plain ASCII instead.
_PLAIN = {"−": "-", "√": "sqrt", "∓": "-/+", "′": "'", "∞": "inf", "→": "->", "–": "-"}


def _pdf_text(s: str) -> str:
    """Escape for reportlab's mini-markup; super/subscripts and a few symbols the CID font lacks."""
    out = []
    for ch in s:
        if ch in _SUP:
            out.append(f"<super>{_SUP[ch]}</super>")
        elif ch in _SUB:
            out.append(f"<sub>{_SUB[ch]}</sub>")
        else:
            out.append(html.escape(_PLAIN.get(ch, ch), quote=False))
    return "".join(out)


def _l(key: str, lang: str) -> str:
    return _L[key][0 if lang == "zh" else 1]


def _plot(labs: list[dict[str, Any]], width: float, height: float) -> Any:
    from reportlab.graphics.shapes import Circle, Drawing, Line, String
    from reportlab.lib import colors

    d = Drawing(width, height)
    left, bottom, top = 40.0, 40.0, 10.0
    lo = min([0.0, *(x["d"] - x["U_d"] for x in labs)])
    hi = max([0.0, *(x["d"] + x["U_d"] for x in labs)])
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad

    def y(v: float) -> float:
        return float(bottom + (height - bottom - top) * (v - lo) / (hi - lo))

    d.add(Line(left, y(0), width, y(0), strokeColor=colors.grey, strokeDashArray=[3, 2]))
    for v in (lo, 0.0, hi):
        d.add(String(left - 4, y(v) - 3, f"{v:.3g}", fontSize=7, textAnchor="end"))
    step = (width - left) / max(len(labs), 1)
    blue = colors.HexColor("#1f5fa8")
    for i, x in enumerate(labs):
        cx = left + step * (i + 0.5)
        d.add(Line(cx, y(x["d"] - x["U_d"]), cx, y(x["d"] + x["U_d"]), strokeColor=blue, strokeWidth=1.5))
        d.add(Circle(cx, y(x["d"]), 3, fillColor=blue if x["included"] else colors.white, strokeColor=blue))
        d.add(
            String(
                cx,
                bottom - 12 - 8 * (i % 2),
                str(x["lab"])[:14],
                fontSize=6,
                textAnchor="middle",
                fontName="STSong-Light",
            )
        )
    return d


def report_pdf(view: RoundView, lang: str = "zh") -> bytes:
    """The PDF of a published round (``view.report`` must exist)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    if lang not in ("zh", "en"):
        raise InputError(f"language {lang!r} is not zh or en")
    doc = view.report
    if doc is None:
        raise NotFoundError(f"round {view.round.code} has no published report")
    body, h1, h2 = report_styles()

    def p(s: str, style: Any = body) -> Any:
        return _para(s, style)

    width = A4[0] - 36 * mm
    story: list[Any] = [
        p(_l("title", lang), h1),
        _head_table(view, doc, lang, body, width),
        p(_l("doe", lang), h2),
        _plot(doc["labs"], width, 70 * mm),
        Spacer(1, 3 * mm),
        _doe_table(doc["labs"], lang, body, width),
        p(_l("note", lang)),
    ]
    if doc.get("model_choice"):
        mc = doc["model_choice"]
        story.append(p(f"{_l('tree', lang)}: {mc['nist_model']} → {mc['estimator']}"))
    story += [p(_l("convention", lang), h2), p(doc["convention"])]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{_l('title', lang)} {view.round.code}",
    ).build(story)
    return out.getvalue()


def _para(s: str, style: Any) -> Any:
    """A paragraph of plain text (escaped, super/subscripts marked up)."""
    from reportlab.platypus import Paragraph

    return Paragraph(_pdf_text(s), style)


def _grid() -> Any:
    """The tables' style: a thin grey grid, cells aligned at the top."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    return TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])


def _head_table(view: RoundView, doc: dict[str, Any], lang: str, body: Any, width: float) -> Any:
    """The round's particulars: code, measurand, pilot, participants, estimator, reference value, χ² check."""
    from reportlab.platypus import Table

    ref = doc["reference"]
    rnd = view.round
    head = Table(
        [
            [_para(_l(k, lang), body), _para(v, body)]
            for k, v in (
                ("code", rnd.code),
                ("measurand", f"{rnd.measurand} ({rnd.unit})"),
                ("pilot", view.pilot),
                ("participants", str(len(view.participants))),
                ("estimator", doc["estimator"]),
                (
                    "reference",
                    f"y = {ref['value']:.8g} {rnd.unit}, u(y) = {ref['u']:.3g}, U = {ref['U']:.3g} "
                    f"(k = {ref['k']:.3g}), τ = {ref['tau']:.3g}",
                ),
                ("consistency", f"χ² = {ref['chi2']:.4g}, ν = {ref['dof']}, p = {ref['p_value']:.3g}"),
            )
        ],
        colWidths=[width * 0.25, width * 0.75],
    )
    head.setStyle(_grid())
    return head


def _doe_table(labs: list[dict[str, Any]], lang: str, body: Any, width: float) -> Any:
    """The degrees of equivalence: d, u(d), U(d), En and ζ of each lab, and whether it made the reference."""
    from reportlab.platypus import Table

    def p(s: str) -> Any:
        return _para(s, body)

    rows = [[p(h) for h in (_l("lab", lang), "d", "u(d)", "U(d)", "En", "ζ", _l("in_ref", lang))]]
    rows += [
        [
            p(str(x["lab"])),
            p(f"{x['d']:.4g}"),
            p(f"{x['u_d']:.3g}"),
            p(f"{x['U_d']:.3g}"),
            p(f"{x['En']:.2f}"),
            p(f"{x['zeta']:.2f}"),
            p(_l("yes" if x["included"] else "no", lang)),
        ]
        for x in labs
    ]
    table = Table(rows, colWidths=[width * 0.28] + [width * 0.12] * 6)
    table.setStyle(_grid())
    return table
