"""The registry's figures: 受检率 (share of instruments verified on time) by district, type and
owner; 建标覆盖率 (coverage of compulsory items by established public standards) with the items not
covered; standards by level. They feed the home page and the plan indicators.

Definitions used here (stated so the figures can be checked):

* an instrument counts when it is under compulsory verification and not retired;
* it is *verified on time* on date ``on`` when its last verification passed and its next due date
  is not before ``on``; 受检率 = verified on time / counted;
* rebuilt for a past day ``on`` from the verification records (:func:`rate_from_records`): an
  instrument counts when it is counted now and was in service on ``on`` (registered by then, or
  verified by then); it is on time when its latest verification on or before ``on`` passed with a
  next due date not before ``on``;
* a compulsory item (catalogue type) is *covered* when at least one public standard (社会公用计量标准)
  whose approval is valid on ``on`` lists the item among those it verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, text
from sqlalchemy.orm import Session

from jiliang.platform.models import District, Organization
from jiliang.registry.models import (
    RATE_WHERE_PG,
    RATE_WHERE_SQLITE,
    Instrument,
    InstrumentStatus,
    InstrumentType,
    MeasurementStandard,
    StandardLevel,
    Verification,
)

__all__ = [
    "Coverage",
    "RateRow",
    "counted_by_type",
    "coverage",
    "rate_from_records",
    "standards_by_level",
    "summary",
    "verification_rate",
]

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


def _grouped(
    session: Session, on: date, by: str, owner_id: int | None = None
) -> list[tuple[int | None, int, int]]:
    """(group key, counted, on time) for each district, type or owner: one index-only pass over
    ix_reg_instrument_rate, kept for the rest of the session (a page asks for several figures)."""
    cache: dict[tuple[date, str, int | None], list[tuple[int | None, int, int]]]
    cache = session.info.setdefault("reg_rate", {})
    if (on, by, owner_id) not in cache:
        column = {
            "district": Instrument.district_id,
            "type": Instrument.type_id,
            "owner": Instrument.owner_id,
        }[by]
        # the WHERE is written as the partial index states it (literals, not bound parameters) so
        # the planner reads the index alone
        where = RATE_WHERE_PG if session.get_bind().dialect.name == "postgresql" else RATE_WHERE_SQLITE
        stmt = select(column, func.count(), _on_time(on)).where(text(where)).group_by(column)
        if owner_id is not None:
            stmt = stmt.where(Instrument.owner_id == owner_id)
        cache[on, by, owner_id] = [(k, int(n), int(ok or 0)) for k, n, ok in session.execute(stmt).tuples()]
    return cache[on, by, owner_id]


def verification_rate(
    session: Session, on: date, by: str = "district", owner_id: int | None = None, limit: int = 1000
) -> list[RateRow]:
    """受检率 grouped ``by`` district, type or owner (``owner_id`` restricts to one owner)."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {GROUPS}, not {by!r}")
    sums = {k: (n, ok) for k, n, ok in _grouped(session, on, by, owner_id)}
    models: dict[str, type[District] | type[InstrumentType] | type[Organization]] = {
        "district": District,
        "type": InstrumentType,
        "owner": Organization,
    }
    model = models[by]
    top = sorted(sums.items(), key=lambda kv: (-kv[1][0], kv[0] or 0))[:limit]
    keys = [k for k, _ in top if k is not None]
    names: dict[int, tuple[str, str | None]] = {}
    for i in range(0, len(keys), 500):
        for k, name, name_en in session.execute(
            select(model.id, model.name, model.name_en).where(model.id.in_(keys[i : i + 500]))
        ):
            names[k] = (name, name_en)
    out = []
    for k, (n, ok) in top:
        name, name_en = names.get(k, ("—", None)) if k is not None else ("—", None)
        out.append(RateRow(k, name, name_en or name, n, ok))
    return out


def counted_by_type(session: Session, type_ids: list[int]) -> dict[int, int]:
    """How many instruments 受检率 counts for each of a few types (by the type index, not a pass)."""
    if not type_ids:
        return {}
    stmt = (
        select(Instrument.type_id, func.count())
        .where(
            Instrument.type_id.in_(type_ids),
            Instrument.compulsory.is_(True),
            Instrument.status != InstrumentStatus.RETIRED.value,
        )
        .group_by(Instrument.type_id)
    )
    return {int(t): int(n) for t, n in session.execute(stmt).tuples()}


def overall_rate(session: Session, on: date, owner_id: int | None = None) -> RateRow:
    """受检率 of the city (or of one owner): the sum of the districts' figures."""
    rows = _grouped(session, on, "district", owner_id)
    return RateRow(None, "全市", "City", sum(r[1] for r in rows), sum(r[2] for r in rows))


def rate_from_records(session: Session, on: date) -> tuple[int, int]:
    """受检率 on ``on`` rebuilt from the verification records: (on time, counted), in one statement.

    Counted: compulsory and not retired (the registry's current flags, as the live figure), and in
    service on ``on``: registered by the end of that day or verified on or before it. On time: the
    latest verification on or before ``on`` (the later record of one day) passed and its next due
    date is not before ``on``, as the register's last result and due date say on that day. Each
    counted instrument is one index search in ``ix_reg_verification_instrument_on``. On today it
    gives the live figure when every instrument's state comes from its records.
    """
    v = Verification
    ok = (
        select(case(((v.result == "pass") & (v.next_due_on >= on), 1), else_=0))
        .where(v.instrument_id == Instrument.id, v.verified_on <= on)
        .order_by(v.verified_on.desc(), v.id.desc())
        .limit(1)
        .correlate(Instrument)
        .scalar_subquery()
    )
    where = RATE_WHERE_PG if session.get_bind().dialect.name == "postgresql" else RATE_WHERE_SQLITE
    # OFFSET 0 keeps the planners from merging the rows into the outer query, which would search
    # each instrument's records twice (once in WHERE, once in SUM)
    rows = (
        select(Instrument.created_at.label("created_at"), ok.label("ok"))
        .where(text(where))
        .offset(0)
        .subquery()
    )
    end = datetime.combine(on + timedelta(days=1), time.min, UTC)
    stmt = select(func.count(), func.coalesce(func.sum(rows.c.ok), 0)).where(
        or_(rows.c.created_at < end, rows.c.ok.is_not(None))
    )
    counted, on_time = session.execute(stmt).one()
    return int(on_time), int(counted)


def coverage(session: Session, on: date) -> Coverage:
    """建标覆盖率 with the list of compulsory items no valid public standard covers (kept for the
    rest of the session)."""
    cache: dict[date, Coverage] = session.info.setdefault("reg_coverage", {})
    if on not in cache:
        cache[on] = _coverage(session, on)
    return cache[on]


def _coverage(session: Session, on: date) -> Coverage:
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
