"""The named queries that compute indicators from the platform's own records.

Each query is a small function over capability services (registry metrics and lists, comparison
rounds, integrity commitments, net-content verdicts) registered by name in :data:`QUERIES`, each one aggregate statement
over its source (a count, never the rows); an indicator names its query in ``data/plans.json``. A
query whose source capability is not in the platform is registered with the reason (``missing``):
its indicator says "no data source" and takes manually entered values.

``rebuildable`` queries can be evaluated on a past date from dated records (history rebuilt from
the records); a query that reads the registry's current state may name a second function
(``past``) that rebuilds the same figure from dated records (受检率 from the verification
records); the others start their history at the first monthly snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from jiliang.platform.auth import Principal
from jiliang.platform.models import Role

__all__ = ["QUERIES", "SYSTEM", "Query", "QueryResult"]

#: The principal queries act as: they read city-wide figures.
SYSTEM = Principal(
    user_id=0, username="indicators", role=Role.REGULATOR, org_id=None, display_name="indicators"
)


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A computed value with the counts behind it (numerator / denominator when it is a rate)."""

    value: float
    numerator: float | None = None
    denominator: float | None = None


Fn = Callable[[Session, date, date], QueryResult]


@dataclass(frozen=True, slots=True)
class Query:
    """A registered query: ``fn(session, on, since)``, the page listing the records behind it,
    whether it can be evaluated on a past date (or ``past``, the function that rebuilds it on a
    past date from dated records), or why it has no data source."""

    name: str
    fn: Fn | None
    drill: str
    rebuildable: bool = False
    missing: str | None = None
    past: Fn | None = None

    @property
    def history(self) -> Fn | None:
        """The function that gives the value on a past month's end, if the records allow it."""
        return self.past or (self.fn if self.rebuildable else None)


QUERIES: dict[str, Query] = {}


def _register(name: str, drill: str, rebuildable: bool = False) -> Callable[[Fn], Fn]:
    def wrap(fn: Fn) -> Fn:
        QUERIES[name] = Query(name, fn, drill, rebuildable)
        return fn

    return wrap


def _not_on_time(on: date) -> list[ColumnElement[bool]]:
    """Counted instruments not verified on time, as ranges of ``ix_ind_instrument_due`` (each term
    an index search; ``!=`` and an OR over two columns would make the planner read every row)."""
    from jiliang.registry.models import Instrument

    result, due = Instrument.last_result, Instrument.next_due_on
    return [
        (result == "pass") & (due < on),
        (result == "pass") & due.is_(None),
        result.is_(None),
        result < "pass",
        result > "pass",
    ]


@_register("verification_rate", "/registry/due")
def verification_rate(session: Session, on: date, since: date) -> QueryResult:
    """受检率 (%) = compulsory instruments verified on time / compulsory instruments in use
    (the definition of :mod:`jiliang.registry.metrics`), in one statement: all counted, and those
    not on time (a few percent) searched in ``ix_ind_instrument_due``; on time = all − not on time."""
    from jiliang.registry.models import RATE_WHERE_PG, RATE_WHERE_SQLITE, Instrument

    # the WHERE spelled as the partial index states it, so the planner reads the index alone
    where = text(RATE_WHERE_PG if session.get_bind().dialect.name == "postgresql" else RATE_WHERE_SQLITE)
    counted = select(func.count()).select_from(Instrument).where(where)
    late = [counted.where(term).scalar_subquery() for term in _not_on_time(on)]
    total, not_on_time = session.execute(select(counted.scalar_subquery(), sum(late[1:], late[0]))).one()
    if not total:
        return QueryResult(0.0, 0, 0)
    on_time = int(total) - int(not_on_time)
    return QueryResult(100.0 * on_time / total, on_time, int(total))


def verification_rate_past(session: Session, on: date, since: date) -> QueryResult:
    """受检率 (%) on a past day rebuilt from the verification records, in one statement through
    :func:`jiliang.registry.metrics.rate_from_records` (in service then; the latest verification
    on or before the day passed and was due no earlier)."""
    from jiliang.registry import metrics

    on_time, total = metrics.rate_from_records(session, on)
    if not total:
        return QueryResult(0.0, 0, 0)
    return QueryResult(100.0 * on_time / total, on_time, total)


QUERIES["verification_rate"] = Query(
    "verification_rate", verification_rate, "/registry/due", past=verification_rate_past
)


@_register("compulsory_coverage_rate", "/registry/coverage")
def compulsory_coverage_rate(session: Session, on: date, since: date) -> QueryResult:
    """建标覆盖率 (%) = compulsory items covered by a valid public standard / compulsory items."""
    from jiliang.registry import metrics

    cov = metrics.coverage(session, on)
    if not cov.total:
        return QueryResult(0.0, 0, 0)
    return QueryResult(100.0 * cov.covered / cov.total, cov.covered, cov.total)


def _standards(session: Session) -> dict[str, int]:
    """Standards by level: one grouped count for both standards indicators (kept for the session)."""
    from jiliang.registry import metrics

    got: dict[str, int] | None = session.info.get("ind_standards")
    if got is None:
        got = session.info["ind_standards"] = metrics.standards_by_level(session)
    return got


@_register("public_standards_count", "/registry/standards?level=public")
def public_standards_count(session: Session, on: date, since: date) -> QueryResult:
    """社会公用计量标准 registered (count)."""
    return QueryResult(float(_standards(session).get("public", 0)))


@_register("highest_standards_count", "/registry/standards")
def highest_standards_count(session: Session, on: date, since: date) -> QueryResult:
    """Measurement standards of every level in the registry (count)."""
    return QueryResult(float(sum(_standards(session).values())))


@_register("reference_materials_count", "/registry/reference-materials")
def reference_materials_count(session: Session, on: date, since: date) -> QueryResult:
    """Certified reference materials in the registry (count)."""
    from jiliang.registry.service import list_reference_materials

    total, _ = list_reference_materials(session, SYSTEM, limit=1)
    return QueryResult(float(total))


@_register("comparisons_count", "/comparisons", rebuildable=True)
def comparisons_count(session: Session, on: date, since: date) -> QueryResult:
    """Comparison rounds (计量比对) organised in the platform from ``since`` to ``on`` (count)."""
    from jiliang.comparisons.service import count_rounds

    return QueryResult(float(count_rounds(session, since, on)))


@_register("integrity_units_count", "/public/inspections", rebuildable=True)
def integrity_units_count(session: Session, on: date, since: date) -> QueryResult:
    """Organisations with an integrity commitment (诚信计量自我承诺) published by ``on`` (count)."""
    from jiliang.supervision.credit import count_committed_orgs

    return QueryResult(float(count_committed_orgs(session, on)))


def _year_to(on: date) -> date:
    """The first day of the twelve months ending on ``on``.

    >>> _year_to(date(2024, 6, 15)), _year_to(date(2024, 2, 29))
    (datetime.date(2023, 6, 16), datetime.date(2023, 3, 1))
    """
    try:
        return on.replace(year=on.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return date(on.year - 1, 3, 1)


@_register("net_content_pass_rate", "/netcontent", rebuildable=True)
def net_content_pass_rate(session: Session, on: date, since: date) -> QueryResult:
    """净含量抽检合格率 (%) = lots that passed / lots judged, over the regulator's net-content
    inspections (定量包装商品净含量, JJF 1070) measured in the twelve months to ``on`` and not before
    ``since``; packers' self-checks do not count."""
    from jiliang.supervision.netcontent import pass_counts

    passed, judged = pass_counts(session, max(since, _year_to(on)), on)
    if not judged:
        return QueryResult(0.0, 0, 0)
    return QueryResult(100.0 * passed / judged, passed, judged)


def _no_source(name: str, reason: str) -> None:
    """Register ``name`` as a query without a data source in the platform, with the reason."""
    QUERIES[name] = Query(name, None, "", missing=reason)


_no_source(
    "innovation_platforms",
    "the metrology institutes' innovation platforms (科技创新平台) are not recorded in the platform",
)
_no_source(
    "industry_test_centres",
    "industrial metrology test centres (产业计量测试中心) are not recorded: no organisation kind or "
    "designation says which organisation is one",
)
_no_source(
    "new_public_standards",
    "the registry keeps each standard's current state, not the date it was built or upgraded",
)
_no_source(
    "traceability_demand_met",
    "the demand for value transfer and traceability is not recorded; 建标覆盖率 covers the "
    "compulsory items only",
)
_no_source(
    "measurement_officers_rate",
    "the enterprises above designated size (规模以上工业企业) and their measurement officers "
    "(企业计量执行官) are not recorded",
)
_no_source(
    "new_reference_materials",
    "the registry keeps reference materials without the date each was approved or developed",
)
_no_source(
    "certified_enterprises_count",
    "measurement management system certifications (测量管理体系认证) and 计量保证体系 "
    "confirmations are not recorded",
)
