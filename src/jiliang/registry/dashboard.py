"""The registry's figures and charts on the home page."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.registry import metrics
from jiliang.registry.models import Instrument, InstrumentStatus, InstrumentType

__all__ = ["LEVEL_NAMES", "home_charts", "home_figures"]

LEVEL_NAMES = {
    "national": ("计量基准", "National primary"),
    "public": ("社会公用", "Public"),
    "departmental": ("部门最高", "Departmental"),
    "enterprise": ("企事业最高", "Enterprise-highest"),
}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def home_figures(session: Session, principal: Principal, on: date) -> list[dict[str, Any]]:
    if principal.role is Role.ENTERPRISE:
        own = metrics.overall_rate(session, on, principal.org_id)
        overdue = (
            session.scalar(
                select(func.count())
                .select_from(Instrument)
                .where(
                    Instrument.owner_id == principal.org_id,
                    Instrument.status.in_([InstrumentStatus.OVERDUE.value, InstrumentStatus.BLOCKED.value]),
                )
            )
            or 0
        )
        return [
            {"label": "reg.home.my_instruments", "value": own.total, "href": "/registry"},
            {
                "label": "reg.home.rate",
                "value": own.rate,
                "display": _pct(own.rate),
                "cls": "ok" if (own.rate or 0) >= 0.95 else "warn",
            },
            {
                "label": "reg.home.overdue",
                "value": overdue,
                "href": "/registry/due",
                "cls": "bad" if overdue else "ok",
            },
        ]
    if principal.role is not Role.REGULATOR:
        lv = metrics.standards_by_level(session)
        return [{"label": "reg.home.standards", "value": sum(lv.values()), "href": "/registry/standards"}]
    rate = metrics.overall_rate(session, on)
    cov = metrics.coverage(session, on)
    overdue = (
        session.scalar(
            select(func.count())
            .select_from(Instrument)
            .where(Instrument.status.in_([InstrumentStatus.OVERDUE.value, InstrumentStatus.BLOCKED.value]))
        )
        or 0
    )
    lv = metrics.standards_by_level(session)
    return [
        {"label": "reg.home.instruments", "value": rate.total, "href": "/registry"},
        {
            "label": "reg.home.rate",
            "value": rate.rate,
            "display": _pct(rate.rate),
            "cls": "ok" if (rate.rate or 0) >= 0.95 else "warn",
        },
        {
            "label": "reg.home.overdue",
            "value": overdue,
            "href": "/registry/due",
            "cls": "bad" if overdue else "ok",
        },
        {
            "label": "reg.home.coverage",
            "value": cov.rate,
            "display": f"{_pct(cov.rate)} ({cov.covered}/{cov.total})",
            "href": "/registry/coverage",
        },
        {"label": "reg.home.standards", "value": sum(lv.values()), "href": "/registry/standards"},
    ]


def home_charts(session: Session, principal: Principal, lang: str, on: date) -> list[dict[str, Any]]:
    if principal.role is not Role.REGULATOR:
        return []
    rows = metrics.verification_rate(session, on, "district")
    rate_chart = {
        "title": "reg.home.rate_by_district",
        "bars": [
            {
                "label": r.label if lang == "zh" else r.label_en,
                "value": round(100 * (r.rate or 0), 1),
                "display": _pct(r.rate),
                "cls": "ok" if (r.rate or 0) >= 0.95 else "warn",
            }
            for r in rows
        ],
    }
    lv = metrics.standards_by_level(session)
    i = 0 if lang == "zh" else 1
    level_chart = {
        "title": "reg.home.standards_by_level",
        "bars": [{"label": LEVEL_NAMES[k][i], "value": v} for k, v in lv.items()],
    }
    cov = metrics.coverage(session, on)
    ids = dict(session.execute(select(InstrumentType.code, InstrumentType.id)).tuples().all())
    wanted = [ids[str(g["code"])] for g in cov.not_covered[:12] if g["code"] in ids]
    by_type = metrics.counted_by_type(session, wanted)
    gaps = {
        "title": "reg.home.coverage_gaps",
        "bars": [
            {
                "label": g["name"] if lang == "zh" else g["name_en"],
                "value": by_type.get(ids.get(str(g["code"]), -1), 0),
                "cls": "bad",
            }
            for g in cov.not_covered[:12]
        ],
    }
    charts = [rate_chart, level_chart]
    if gaps["bars"]:
        charts.append(gaps)
    return charts
