"""The report PDF renders for passing, failing and small lots (no database needed)."""

from __future__ import annotations

from datetime import date

import pytest

from jiliang.stats.netcontent import Nominal, judge
from jiliang.supervision.models import NetContentInspection
from jiliang.supervision.netcontent import _verdict_json
from jiliang.supervision.netcontent_report import _step_text, render_report


@pytest.mark.parametrize(
    ("lot", "values", "decision"),
    [(300, [501.0] * 50, "pass"), (40, [501.0] * 9 + [470.0], "fail"), (5, [499.0] * 5, "pass")],
)
def test_report_renders(lot, values, decision):
    v = judge(Nominal(500, "g"), values, lot_size=lot)
    row = NetContentInspection(
        id=7, kind="inspection", org_id=1, product="白砂糖", batch="B1", nominal="500", unit="g", lot_size=lot,
        sample_size=len(values), status="judged", seed="ab" * 16, sample_items=list(range(1, len(values) + 1)),
        net_values=values, verdict=_verdict_json(v), decision=v.decision, inspected_on=date(2026, 4, 8),
    )  # fmt: skip
    pdf = render_report(row, "甲食品厂")
    assert v.decision == decision
    assert pdf.startswith(b"%PDF") and len(pdf) > 1500


def test_step_text_in_chinese():
    v = _verdict_json(judge(Nominal(500, "g"), [501.0] * 9 + [480.0], lot_size=40))
    assert _step_text(v, "t1", "g") == "T1 类短缺 1 件（允许 0 件）"
    assert "Qn - λ·s" in _step_text(v, "mean", "g")  # "·" drawn as "×" in the PDF (see _PLAIN)
