"""The report of a net-content inspection (定量包装商品净含量计量检验报告) as a PDF, in Chinese.

It names the packer and the lot, the seed and the items drawn, every step of the decision with
its clause (T, the plan, the mean, T1 and T2 errors), the measured net contents and the
conclusion. Rendering is pure: it takes the stored row and the packer's name.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from jiliang.supervision.models import NetContentInspection

__all__ = ["render_report"]

FONT = "STSong-Light"
STEP_NAMES = {
    "T": "允许短缺量 T",
    "plan": "抽样方案",
    "mean": "样本平均实际含量",
    "t1": "T1 类短缺件数",
    "t2": "T2 类短缺件数",
}
UNIT_NAMES = {"g": "g", "kg": "kg", "mL": "mL", "L": "L", "m": "m", "m2": "m2", "count": "件"}
#: Characters the CID font may lack, and what stands for them.
_PLAIN = {"q̄": "q", "−": "-", "–": "~", "²": "2", "ᵢ": "i", "·": "×"}


def _plain(text: Any) -> str:
    out = str(text)
    for a, b in _PLAIN.items():
        out = out.replace(a, b)
    return escape(out)


def _step_text(v: dict[str, Any], name: str, unit: str) -> str:
    if name == "T":
        return f"T = {v['T']:g} {unit}，2T = {2 * v['T']:g} {unit}"
    if name == "plan":
        lam = "—" if v["lambda"] is None else f"{v['lambda']:g}"
        return f"样本量 n = {v['n']}，允许 T1 类短缺件数 c = {v['c']}，修正因子 λ = {lam}"
    if name == "mean":
        if v["limit"] is None:
            return "批量 1~10 件：只检验单件，不计算平均实际含量"
        return f"平均实际含量 {v['mean']:.6g} {unit}，s = {v['s']:.4g}，Qn - λ·s = {v['limit']:.6g} {unit}"
    if name == "t1":
        return f"T1 类短缺 {v['t1']} 件（允许 {v['c']} 件）"
    return f"T2 类短缺 {v['t2']} 件（不允许）"


def _facts(row: NetContentInspection, packer: str) -> list[tuple[str, str]]:
    unit = UNIT_NAMES.get(row.unit, row.unit)
    return [
        ("编号", f"NC-{row.id}"),
        ("类别", "监督检验" if row.kind == "inspection" else "企业自检（不公开）"),
        ("受检单位（生产者）", packer),
        ("商品名称", row.product),
        ("生产批号", row.batch or "—"),
        ("标注净含量 Qn", f"{row.nominal} {unit}"),
        ("检验批量 N", str(row.lot_size)),
        ("样本量 n", str(row.sample_size)),
        ("检验日期", row.inspected_on.isoformat() if row.inspected_on else "—"),
        ("抽样随机数种子", row.seed or "—"),
        ("抽取的样本（批内序号）", ", ".join(map(str, row.sample_items or [])) or "—"),
        ("检验依据", "JJF 1070《定量包装商品净含量计量检验规则》；《定量包装商品计量监督管理办法》"),
    ]


def render_report(row: NetContentInspection, packer: str) -> bytes:
    """A PDF of the judged inspection (plain rendering of the stored row)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("t", fontName=FONT, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")

    def p(text: Any) -> Any:
        return Paragraph(_plain(text), body)

    v = row.verdict or {}
    unit = UNIT_NAMES.get(row.unit, row.unit)
    steps = [[p("步骤"), p("结果"), p("依据条款"), p("判定")]]
    for st in v.get("steps", []):
        ok = "符合" if st["ok"] else "不符合"
        steps.append([p(STEP_NAMES.get(st["name"], st["name"])), p(_step_text(v, st["name"], unit)),
                      p(st["clause"]), p(ok)])  # fmt: skip
    values = row.net_values or []
    items = row.sample_items or list(range(1, len(values) + 1))
    grid = [[p(f"{i}: {x:g}") for i, x in zip(items[k : k + 5], values[k : k + 5], strict=False)]
            for k in range(0, len(values), 5)]  # fmt: skip
    conclusion = {"pass": "合格", "fail": "不合格"}.get(row.decision or "", "未判定")
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"定量包装商品净含量计量检验报告 NC-{row.id}")
    story: list[Any] = [
        Paragraph("定量包装商品净含量计量检验报告", title),
        Spacer(1, 10),
        Table([[p(a), p(b)] for a, b in _facts(row, packer)], colWidths=[130, 350]),
        Spacer(1, 10),
        Table(steps, colWidths=[85, 190, 150, 50]),
        Spacer(1, 10),
        p(f"单件实际含量（{unit}，批内序号: 净含量）"),
    ]
    if grid:
        story.append(Table(grid, colWidths=[96] * 5))
    reasons = "；".join(_reason_zh(v)) or "无"
    story += [
        Spacer(1, 10),
        p(f"不合格原因：{reasons}"),
        Spacer(1, 6),
        p(f"结论：该批定量包装商品净含量{conclusion}。"),
    ]
    doc.build(story)
    return out.getvalue()


def _reason_zh(v: dict[str, Any]) -> list[str]:
    out = []
    for st in v.get("steps", []):
        if not st["ok"]:
            out.append(f"{STEP_NAMES.get(st['name'], st['name'])}不符合（{st['clause']}）")
    return out
