"""Words of the evaluation report (PDF, Word and the drafted narrative), in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from jiliang.indicators.catalog import Plan

__all__ = ["LABELS", "REASONS", "STATUS", "label", "narrative"]

STATUS = {
    "met": ("已达标", "target met"),
    "on_track": ("进度正常", "on track"),
    "at_risk": ("存在风险", "at risk"),
    "off_track": ("进度滞后", "off track"),
    "no_target": ("监测指标", "monitoring only"),
    "no_data": ("无数据", "no data"),
}
REASONS = {
    "already_met": ("当前值已达到目标值", "the current value already meets the target"),
    "deadline_passed": ("目标年份已过而未达标", "the target year has passed without the target met"),
    "projection_meets": ("线性趋势外推至目标年份可达标", "the linear trend reaches the target by its year"),
    "interval_reaches": (
        "趋势外推未达标，但 90% 预测区间覆盖目标值",
        "the trend falls short but its 90 % prediction interval reaches the target",
    ),
    "interval_below": (
        "趋势外推及其 90% 预测区间均未达到目标值",
        "the trend and its whole 90 % prediction interval fall short of the target",
    ),
    "too_few_points": (
        "数据点不足三个且规划未给出基期值，无法判断进度",
        "fewer than three values and no baseline in the plan: progress cannot be judged",
    ),
    "ahead_of_path": (
        "当前值不低于由基期到目标的均衡进度",
        "the value is at or ahead of the even path from baseline",
    ),
    "slightly_behind_path": (
        "当前值略低于均衡进度（差距不超过总增量的 10%）",
        "the value is slightly behind the even path (within 10 % of the planned change)",
    ),
    "behind_path": ("当前值明显低于均衡进度", "the value is well behind the even path from baseline"),
    "monitoring_only": ("规划未设定量化目标，仅作监测", "the plan sets no quantified target; monitored only"),
    "no_value": ("平台尚无数据来源，也未录入数值", "no data source in the platform and no value entered"),
    "no_records": ("平台中尚无可计算该比率的记录", "no records in the platform to compute the rate from yet"),
    "query_failed": ("查询失败，未得到数值", "the query failed and gave no value"),
}
LABELS = {
    "midterm": ("中期评估报告", "Mid-term evaluation report"),
    "final": ("总结评估报告", "Final evaluation report"),
    "draft": ("草稿", "draft"),
    "indicator": ("指标", "Indicator"),
    "baseline": ("基期值", "Baseline"),
    "target": ("目标值", "Target"),
    "current": ("当前值", "Current"),
    "projection": ("预测值（90% 区间）", "Projection (90 % interval)"),
    "status": ("状态", "Status"),
    "type": ("指标属性", "Type"),
    "as_of": ("评估日期", "As of"),
    "narrative": ("评估意见", "Assessment"),
    "table": ("指标完成情况", "Indicators"),
    "charts": ("趋势图", "Trends"),
    "moved": ("变化情况", "What moved"),
    "off": ("滞后与风险", "Off track and at risk"),
    "source": ("出处", "Source"),
    "no_source": ("无数据来源", "no data source"),
    "manual": ("人工录入", "entered manually"),
    "none": ("无", "none"),
    "unstated": ("未标明", "not stated"),
}


def label(key: str, lang: str) -> str:
    return LABELS[key][0 if lang == "zh" else 1]


def _name(row: dict[str, Any], lang: str) -> str:
    return str(row["name"] if lang == "zh" else row["name_en"])


def narrative(
    plan: Plan, kind: str, rows: list[dict[str, Any]], on: date, lang: str, fmt: Callable[[float | None], str]
) -> str:
    """The drafted assessment: counts by status, what moved, what is off track and why."""
    i = 0 if lang == "zh" else 1
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    title = plan.title if lang == "zh" else plan.title_en
    parts = [f"{title} — {LABELS[kind][i]} ({on.isoformat()})"]
    parts.append(
        ("；" if lang == "zh" else "; ").join(f"{STATUS[s][i]} {n}" for s, n in sorted(counts.items()))
    )
    moved = [r for r in rows if r["first"] and r["value"] is not None and r["first"]["value"] != r["value"]]
    for r in moved:
        unit = r["unit"] if lang == "zh" else r["unit_en"]
        since = r["first"]["period"]
        if lang == "zh":
            parts.append(
                f"{_name(r, lang)}：自 {since} 的 {fmt(r['first']['value'])} 变为 {fmt(r['value'])} {unit}。"
            )
        else:
            parts.append(
                f"{_name(r, lang)}: from {fmt(r['first']['value'])} in {since} to {fmt(r['value'])} {unit}."
            )
    for r in rows:
        if r["status"] in ("off_track", "at_risk", "no_data"):
            why = REASONS[r["reason"]][i]
            sep = "：" if lang == "zh" else ": "
            parts.append(
                f"{_name(r, lang)}{sep}{STATUS[r['status']][i]}，{why}。"
                if lang == "zh"
                else f"{_name(r, lang)}{sep}{STATUS[r['status']][i]}, {why}."
            )
    return "\n".join(parts)
