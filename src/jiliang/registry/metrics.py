"""The registry's figures: 受检率 (share of instruments verified on time) by district, type and
owner; 建标覆盖率 (coverage of compulsory items by established public standards) with the items not
covered; standards by level. They feed the home page and the plan indicators.

Definitions used here (stated so the figures can be checked):

* an instrument counts when it is under compulsory verification and not retired;
* it is *verified on time* on date ``on`` when its last verification passed and its next due date
  is not before ``on``; 受检率 = verified on time / counted;
* a compulsory item (catalogue type) is *covered* when at least one public standard (社会公用计量标准)
  whose approval is valid on ``on`` lists the item among those it verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jiliang.platform.models import District, Organization
from jiliang.registry.models import (
    Instrument,
    InstrumentStatus,
    InstrumentType,
    MeasurementStandard,
    StandardLevel,
)

__all__ = ["Coverage", "RateRow", "coverage", "standards_by_level", "summary", "verification_rate"]

GROUPS = ("district", "type", "owner")


@dataclass(frozen=True, slots=True)
class RateRow:
    key: int | None
    label: str
    label_en: str
    total: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "label_en": self.label_en,
            "total": self.total,
            "on_time": self.on_time,
            "rate": None if self.rate is None else round(self.rate, 4),
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    covered: int
    total: int
    not_covered: tuple[dict[str, Any], ...]

    @property
    def rate(self) -> float | None:
        return self.covered / self.total if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "covered": self.covered,
            "total": self.total,
            "rate": None if self.rate is None else round(self.rate, 4),
            "not_covered": list(self.not_covered),
        }


def _on_time(on: date):  # type: ignore[no-untyped-def]
    return func.sum(case(((Instrument.last_result == "pass") & (Instrument.next_due_on >= on), 1), else_=0))


def verification_rate(
    session: Session, on: date, by: str = "district", owner_id: int | None = None, limit: int = 1000
) -> list[RateRow]:
    """受检率 grouped ``by`` district, type or owner (``owner_id`` restricts to one owner)."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {GROUPS}, not {by!r}")
    base = [Instrument.compulsory.is_(True), Instrument.status != InstrumentStatus.RETIRED.value]
    if owner_id is not None:
        base.append(Instrument.owner_id == owner_id)
    if by == "district":
        key, label, label_en, join = (
            Instrument.district_id,
            District.name,
            District.name_en,
            (District, District.id == Instrument.district_id),
        )
    elif by == "type":
        key, label, label_en, join = (
            Instrument.type_id,
            InstrumentType.name,
            InstrumentType.name_en,
            (InstrumentType, InstrumentType.id == Instrument.type_id),
        )
    else:
        key, label, label_en, join = (
            Instrument.owner_id,
            Organization.name,
            Organization.name_en,
            (Organization, Organization.id == Instrument.owner_id),
        )
    stmt = (
        select(key, label, label_en, func.count(), _on_time(on))
        .outerjoin(*join)
        .where(*base)
        .group_by(key, label, label_en)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [
        RateRow(k, lab or "—", en or lab or "—", int(n), int(ok or 0))
        for k, lab, en, n, ok in session.execute(stmt)
    ]


def overall_rate(session: Session, on: date, owner_id: int | None = None) -> RateRow:
    base = [Instrument.compulsory.is_(True), Instrument.status != InstrumentStatus.RETIRED.value]
    if owner_id is not None:
        base.append(Instrument.owner_id == owner_id)
    n, ok = session.execute(select(func.count(), _on_time(on)).where(*base)).one()
    return RateRow(None, "全市", "City", int(n), int(ok or 0))


def coverage(session: Session, on: date) -> Coverage:
    """建标覆盖率 with the list of compulsory items no valid public standard covers."""
    types = list(
        session.scalars(
            select(InstrumentType).where(InstrumentType.compulsory.is_(True)).order_by(InstrumentType.id)
        )
    )
    covered: set[str] = set()
    for covers, valid in session.execute(
        select(MeasurementStandard.covers, MeasurementStandard.approval_valid_until).where(
            MeasurementStandard.level == StandardLevel.PUBLIC.value
        )
    ):
        if valid is None or valid >= on:
            covered.update(covers or [])
    missing = tuple(
        {"code": t.code, "name": t.name, "name_en": t.name_en} for t in types if t.code not in covered
    )
    return Coverage(len(types) - len(missing), len(types), missing)


def standards_by_level(session: Session) -> dict[str, int]:
    rows = dict(
        session.execute(select(MeasurementStandard.level, func.count()).group_by(MeasurementStandard.level))
        .tuples()
        .all()
    )
    return {lvl.value: int(rows.get(lvl.value, 0)) for lvl in StandardLevel}


def summary(session: Session, on: date) -> dict[str, Any]:
    """Every figure, as plain data (``jiliang registry metrics --json``)."""
    status = dict(
        session.execute(select(Instrument.status, func.count()).group_by(Instrument.status)).tuples().all()
    )
    return {
        "on": on.isoformat(),
        "instruments": int(sum(status.values())),
        "by_status": {k: int(v) for k, v in status.items()},
        "verification_rate": overall_rate(session, on).as_dict(),
        "verification_rate_by": {
            g: [r.as_dict() for r in verification_rate(session, on, g, limit=200)] for g in GROUPS
        },
        "coverage": coverage(session, on).as_dict(),
        "standards_by_level": standards_by_level(session),
    }
