"""The named queries that compute indicators from the platform's own records.

Each query is a small function over capability services (registry metrics and lists, comparison
rounds, integrity commitments) registered by name in :data:`QUERIES`; an indicator names its query
in ``data/plans.json``. A query whose source capability is not in the platform is registered with
the reason (``missing``): its indicator says "no data source" and takes manually entered values.

``rebuildable`` queries can be evaluated on a past date from dated records (history rebuilt from
the records); the others read the registry's current state and start their history at the first
monthly snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

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
    whether it can be evaluated on a past date, or why it has no data source."""

    name: str
    fn: Fn | None
    drill: str
    rebuildable: bool = False
    missing: str | None = None


QUERIES: dict[str, Query] = {}


def _register(name: str, drill: str, rebuildable: bool = False) -> Callable[[Fn], Fn]:
    def wrap(fn: Fn) -> Fn:
        QUERIES[name] = Query(name, fn, drill, rebuildable)
        return fn

    return wrap


@_register("verification_rate", "/registry/due")
def verification_rate(session: Session, on: date, since: date) -> QueryResult:
    """受检率 (%) = compulsory instruments verified on time / compulsory instruments in use."""
    from jiliang.registry import metrics

    row = metrics.overall_rate(session, on)
    if not row.total:
        return QueryResult(0.0, 0, 0)
    return QueryResult(100.0 * row.on_time / row.total, row.on_time, row.total)


@_register("compulsory_coverage_rate", "/registry/coverage")
def compulsory_coverage_rate(session: Session, on: date, since: date) -> QueryResult:
    """建标覆盖率 (%) = compulsory items covered by a valid public standard / compulsory items."""
    from jiliang.registry import metrics

    cov = metrics.coverage(session, on)
    if not cov.total:
        return QueryResult(0.0, 0, 0)
    return QueryResult(100.0 * cov.covered / cov.total, cov.covered, cov.total)


@_register("public_standards_count", "/registry/standards?level=public")
def public_standards_count(session: Session, on: date, since: date) -> QueryResult:
    """社会公用计量标准 registered (count)."""
    from jiliang.registry import metrics

    return QueryResult(float(metrics.standards_by_level(session).get("public", 0)))


@_register("highest_standards_count", "/registry/standards")
def highest_standards_count(session: Session, on: date, since: date) -> QueryResult:
    """Measurement standards of every level in the registry (count)."""
    from jiliang.registry import metrics

    return QueryResult(float(sum(metrics.standards_by_level(session).values())))


@_register("reference_materials_count", "/registry/reference-materials")
def reference_materials_count(session: Session, on: date, since: date) -> QueryResult:
    """Certified reference materials in the registry (count)."""
    from jiliang.registry.service import list_reference_materials

    total, _ = list_reference_materials(session, SYSTEM, limit=1)
    return QueryResult(float(total))


@_register("comparisons_count", "/comparisons", rebuildable=True)
def comparisons_count(session: Session, on: date, since: date) -> QueryResult:
    """Comparison rounds (计量比对) organised in the platform from ``since`` to ``on`` (count)."""
    from jiliang.comparisons.service import list_rounds

    n = sum(1 for r in list_rounds(session, SYSTEM) if since <= r.created_at.date() <= on)
    return QueryResult(float(n))


@_register("integrity_units_count", "/public/inspections", rebuildable=True)
def integrity_units_count(session: Session, on: date, since: date) -> QueryResult:
    """Organisations with an integrity commitment (诚信计量自我承诺) published by ``on`` (count)."""
    from jiliang.supervision.credit import list_commitments

    orgs = {
        c.org_id
        for c, _ in list_commitments(session, SYSTEM, public=True, limit=10_000_000)
        if c.status == "published" and c.published_on is not None and c.published_on <= on
    }
    return QueryResult(float(len(orgs)))


QUERIES["net_content_pass_rate"] = Query(
    "net_content_pass_rate",
    None,
    "/inspections",
    missing="net-content verdicts (定量包装商品净含量) are not recorded in the platform yet",
)
