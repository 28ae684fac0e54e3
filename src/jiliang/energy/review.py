"""The review workflow (能源计量审查): draft → findings → report → closed, with findings.

The regulator opens a review of a unit on a date (the edition of GB 17167 in force then applies),
the checks add their findings, the reviewer adds his own, the report freezes a snapshot; the unit
sees its reviews. States and transitions are data (:data:`TRANSITIONS`); every change runs in the
caller's transaction and is audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.energy.models import EnergyFinding, EnergyReview, EnergyUnit
from jiliang.energy.service import UnitView, get_unit, unit_view
from jiliang.energy.tables import edition_for
from jiliang.errors import ConflictError, InputError, NotFoundError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role

__all__ = [
    "SEVERITIES",
    "TRANSITIONS",
    "ReviewView",
    "add_finding",
    "advance_review",
    "create_review",
    "et_zh",
    "list_reviews",
    "review_view",
]

#: The life of a review; the service refuses any other move.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"findings"}),
    "findings": frozenset({"report"}),
    "report": frozenset({"closed"}),
    "closed": frozenset(),
}
SEVERITIES = ("major", "minor", "note")


def create_review(
    session: Session, principal: Principal, unit_id: int, *, code: str, review_date: date, now: datetime
) -> EnergyReview:
    """The regulator opens a review of a unit on a date; the edition in force then is recorded."""
    principal.require(Role.REGULATOR)
    unit = get_unit(session, principal, unit_id)
    code = code.strip()
    if not 0 < len(code) <= 64:
        raise InputError("review code must have 1–64 characters")
    if session.scalar(select(EnergyReview.id).where(EnergyReview.code == code)) is not None:
        raise ConflictError(f"a review with code {code} exists")
    review = EnergyReview(
        code=code,
        unit_id=unit.id,
        review_date=review_date,
        edition=edition_for(review_date).edition,
        state="draft",
        reviewer=principal.actor,
        created_at=now,
    )
    session.add(review)
    session.flush()
    return review


def list_reviews(session: Session, principal: Principal) -> list[EnergyReview]:
    """Reviews the caller may see (the regulator all; a unit its own)."""
    if principal.is_anonymous:
        return []
    stmt = select(EnergyReview).join(EnergyUnit, EnergyUnit.id == EnergyReview.unit_id)
    if not principal.is_regulator:
        stmt = stmt.where(EnergyUnit.org_id == principal.org_id)
    return list(session.scalars(stmt.order_by(EnergyReview.review_date.desc(), EnergyReview.id.desc())))


def _get_review(session: Session, principal: Principal, review_id: int) -> tuple[EnergyReview, EnergyUnit]:
    review = session.get(EnergyReview, review_id)
    if review is None:
        raise NotFoundError(f"review {review_id} not found")
    try:
        unit = get_unit(session, principal, review.unit_id)
    except NotFoundError:
        raise NotFoundError(f"review {review_id} not found") from None
    return review, unit


def add_finding(
    session: Session,
    principal: Principal,
    review_id: int,
    *,
    severity: str,
    clause: str,
    text: str,
    now: datetime,
    auto: bool = False,
) -> EnergyFinding:
    """The reviewer records a finding while the review is a draft or collecting findings."""
    principal.require(Role.REGULATOR)
    review, _ = _get_review(session, principal, review_id)
    if review.state not in ("draft", "findings"):
        raise ConflictError(f"review {review.code} is {review.state}: findings are closed")
    clause, text = clause.strip(), text.strip()
    if severity not in SEVERITIES:
        raise InputError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    if not (0 < len(clause) <= 64 and 0 < len(text) <= 2000):
        raise InputError("clause (1–64) and text (1–2000 characters) are required")
    f = EnergyFinding(
        review_id=review.id, severity=severity, clause=clause, text=text, auto=auto, created_at=now
    )
    session.add(f)
    session.flush()
    return f


def _auto_findings(view: UnitView) -> list[tuple[str, str, str]]:
    """Findings the checks make: (severity, clause, text), Chinese as the report is."""
    out: list[tuple[str, str, str]] = []
    for r in view.rates:
        if r.ok is False:
            out.append(
                (
                    "major",
                    "GB 17167 4.3.5 表3",
                    f"{_et_zh(r.energy_type)} {r.level} 级计量配备率 {r.rate:.1f} %，低于要求 {r.required_rate:.0f} %"
                    f"（已配 {r.installed} / 应配 {r.required}）",
                )
            )
    for m in view.meters:
        if m.class_ok is False:
            out.append(
                (
                    "major",
                    "GB 17167 4.3.6 表4",
                    f"计量器具 {m.serial}（{m.point}）准确度等级 {m.accuracy_class} 低于要求 {m.max_class:g} 级",
                )
            )
        elif m.class_ok is None and m.requirement:
            out.append(("minor", "GB 17167 4.3.6 表4", f"计量器具 {m.serial}（{m.point}）准确度等级无法确认"))
        if m.status in ("out_of_date", "failed", "unknown"):
            what = {
                "out_of_date": "超过检定/校准有效期",
                "failed": "最近一次检定不合格",
                "unknown": "无检定/校准记录",
            }
            out.append(("major", "GB 17167 5.2", f"计量器具 {m.serial}（{m.point}）{what[m.status]}"))
    if not view.edition_verified:
        out.append(("note", view.edition, f"{view.edition} 表格数值尚未与正式文本逐格核对"))
    return out


_ET_ZH = {
    "electricity": "电力",
    "coal": "煤炭",
    "coke": "焦炭",
    "crude_oil": "原油",
    "refined_oil": "成品油",
    "heavy_oil": "重油",
    "residual_oil": "渣油",
    "natural_gas": "天然气",
    "lpg": "液化石油气",
    "coal_gas": "煤气",
    "steam": "蒸汽",
    "water": "水",
    "waste_energy": "余能",
}


def _et_zh(et: str) -> str:
    return _ET_ZH.get(et, et)


def advance_review(
    session: Session, principal: Principal, review_id: int, to: str, now: datetime
) -> EnergyReview:
    """Move a review on: draft → findings (the checks add their findings) → report (frozen) → closed."""
    principal.require(Role.REGULATOR)
    review, unit = _get_review(session, principal, review_id)
    if to not in TRANSITIONS.get(review.state, frozenset()):
        raise ConflictError(f"review {review.code} is {review.state}: cannot become {to}")
    view = unit_view(session, principal, unit.id, review.review_date)
    if to == "findings":
        for sev, clause, text in _auto_findings(view):
            session.add(
                EnergyFinding(
                    review_id=review.id, severity=sev, clause=clause, text=text, auto=True, created_at=now
                )
            )
    if to == "report":
        findings = _findings(session, review.id)
        majors = sum(1 for f in findings if f.severity == "major")
        review.conclusion = "符合要求" if majors == 0 else f"不符合要求：{majors} 项主要问题"
        review.report_json = json.dumps(_snapshot(view, findings), ensure_ascii=False, default=str)
    if to == "closed":
        review.closed_at = now
    review.state = to
    session.flush()
    return review


def _findings(session: Session, review_id: int) -> list[EnergyFinding]:
    return list(
        session.scalars(
            select(EnergyFinding).where(EnergyFinding.review_id == review_id).order_by(EnergyFinding.id)
        )
    )


def _snapshot(view: UnitView, findings: Sequence[EnergyFinding]) -> dict[str, Any]:
    return {
        "unit": {"code": view.unit.code, "name": view.name},
        "on": view.on.isoformat(),
        "edition": view.edition,
        "edition_verified": view.edition_verified,
        "rates": [asdict(r) for r in view.rates],
        "meters": [asdict(m) for m in view.meters],
        "findings": [
            {"severity": f.severity, "clause": f.clause, "text": f.text, "auto": f.auto} for f in findings
        ],
    }


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as the caller may see it: the unit on the review date, findings, allowed moves."""

    review: EnergyReview
    unit: UnitView
    findings: tuple[EnergyFinding, ...]
    report: dict[str, Any] | None
    allowed: tuple[str, ...]
    may_act: bool


def review_view(session: Session, principal: Principal, review_id: int) -> ReviewView:
    review, unit = _get_review(session, principal, review_id)
    view = unit_view(session, principal, unit.id, review.review_date)
    may = principal.is_regulator
    return ReviewView(
        review,
        view,
        tuple(_findings(session, review.id)),
        json.loads(review.report_json) if review.report_json else None,
        tuple(sorted(TRANSITIONS[review.state])) if may else (),
        may,
    )


def et_zh(et: str) -> str:
    """The Chinese name of an energy type (for reports)."""
    return _et_zh(et)
