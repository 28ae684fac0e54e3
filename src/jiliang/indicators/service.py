"""Indicators computed live, monthly snapshots, manual values, tracking and evaluation reports.

Every write is one transaction (the caller's session), audited with the acting user. Only the
regulator writes. Reports live through ``draft → published``; a published report is not edited.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, defer

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.indicators.catalog import Indicator, Plan, load_plans
from jiliang.indicators.models import IndicatorReport, IndicatorValue, Origin, ReportStatus
from jiliang.indicators.projection import Assessment, Point, Projection, assess, project
from jiliang.indicators.queries import QUERIES, QueryResult
from jiliang.platform.auth import Principal

__all__ = [
    "KINDS",
    "REPORT_TRANSITIONS",
    "Computed",
    "MonthValue",
    "Tracking",
    "compute",
    "compute_all",
    "dashboard",
    "draft_report",
    "edit_report",
    "enter_manual",
    "find",
    "get_plan",
    "get_report",
    "list_reports",
    "month_end",
    "no_data_source",
    "plans",
    "publish_report",
    "rebuild_history",
    "take_snapshot",
    "track",
]

KINDS = ("midterm", "final")
REPORT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReportStatus.DRAFT: (ReportStatus.PUBLISHED,),
    ReportStatus.PUBLISHED: (),
}
_PREFERENCE = (Origin.COMPUTED, Origin.MANUAL, Origin.REBUILT, Origin.DEMO)
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def _regulator(principal: Principal) -> None:
    if not principal.is_regulator:
        raise PermissionDeniedError("only the regulator manages plan indicators")


def plans() -> tuple[Plan, ...]:
    return load_plans()


def get_plan(code: str) -> Plan:
    for p in plans():
        if p.code == code:
            return p
    raise NotFoundError(f"no plan {code!r}")


def find(code: str) -> tuple[Plan, Indicator]:
    """The plan and the indicator with ``code``."""
    for p in plans():
        for i in p.indicators:
            if i.code == code:
                return p, i
    raise NotFoundError(f"no indicator {code!r}")


def no_data_source(ind: Indicator) -> tuple[str | None, bool]:
    """Why ``ind`` has no data source (None when a query computes it), and whether its past months
    are rebuilt from the records (else its history starts at the first snapshot)."""
    q = QUERIES.get(ind.query or "")
    if q is None:
        return "no query in the platform computes this indicator", False
    return (q.missing if q.fn is None else None), q.history is not None


def month_end(period: str) -> date:
    """The last day of ``period`` (YYYY-MM).

    >>> month_end("2024-02")
    datetime.date(2024, 2, 29)
    """
    m = _PERIOD.match(period)
    if not m or not 1 <= int(m[2]) <= 12 or not 1949 <= int(m[1]) <= 2100:
        raise InputError(f"period {period!r} is not a month YYYY-MM")
    y, mo = int(m[1]), int(m[2])
    return date(y, mo, calendar.monthrange(y, mo)[1])


@dataclass(frozen=True, slots=True)
class Computed:
    """An indicator's current value: computed by its query, else the latest manual value.

    ``source`` is ``query``, ``manual`` or ``none``; ``missing`` says why there is no data source;
    ``error`` says why the query failed."""

    indicator: Indicator
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    source: str = "none"
    missing: str | None = None
    error: str | None = None
    evidence: str | None = None
    entered_by: int | None = None
    period: str | None = None
    drill: str | None = None


def _plan_start(plan: Plan) -> date:
    return date(plan.start_year, 1, 1)


def _run(session: Session, name: str, on: date, since: date, past: bool = False) -> QueryResult:
    """The query's value on ``on`` (``past``: rebuilt from dated records); a failure is one line."""
    q = QUERIES[name]
    fn = q.history if past else q.fn
    assert fn is not None
    try:
        return fn(session, on, since)
    except Exception as exc:
        raise ConflictError(f"query {name} failed: {type(exc).__name__}: {exc}".splitlines()[0]) from None


def _latest_manual(session: Session, code: str) -> IndicatorValue | None:
    return session.scalar(
        select(IndicatorValue)
        .where(IndicatorValue.indicator == code, IndicatorValue.origin == Origin.MANUAL.value)
        .order_by(IndicatorValue.period.desc())
        .limit(1)
    )


def _latest_manuals(session: Session, codes: Sequence[str]) -> dict[str, IndicatorValue | None]:
    """The latest manual value of each of ``codes`` (None when there is none), in one query."""
    out: dict[str, IndicatorValue | None] = dict.fromkeys(codes)
    rows = session.scalars(
        select(IndicatorValue).where(
            IndicatorValue.indicator.in_(list(codes)), IndicatorValue.origin == Origin.MANUAL.value
        )
    )
    for r in rows:
        best = out[r.indicator]
        if best is None or r.period > best.period:
            out[r.indicator] = r
    return out


def compute(
    session: Session,
    plan: Plan,
    ind: Indicator,
    on: date,
    cache: dict[tuple[str, date], Any] | None = None,
    manual: dict[str, IndicatorValue | None] | None = None,
) -> Computed:
    """The indicator's value on ``on`` (a failing query gives ``error``, not a number); ``manual``
    holds the latest manual values when the caller read them for several indicators at once."""
    cache = {} if cache is None else cache
    q = QUERIES.get(ind.query) if ind.query else None
    if q is not None and q.fn is not None:
        # only a dated (rebuildable) query counts from the plan's start; the others read the state
        key = (q.name, _plan_start(plan) if q.rebuildable else date.min)
        if key not in cache:
            try:
                cache[key] = _run(session, q.name, on, _plan_start(plan))
            except ConflictError as exc:
                cache[key] = exc
        got = cache[key]
        if isinstance(got, ConflictError):
            return Computed(ind, None, source="query", error=got.message, drill=q.drill)
        if got.denominator == 0:
            return Computed(
                ind, None, source="query", missing="no records to compute the rate from", drill=q.drill
            )
        return Computed(ind, got.value, got.numerator, got.denominator, "query", drill=q.drill)
    missing = q.missing if q is not None else "no query in the platform computes this indicator"
    row = manual[ind.code] if manual is not None and ind.code in manual else _latest_manual(session, ind.code)
    if row is None:
        return Computed(ind, None, missing=missing)
    return Computed(
        ind,
        row.value,
        source="manual",
        missing=missing,
        evidence=row.evidence,
        entered_by=row.entered_by,
        period=row.period,
    )


def compute_all(
    session: Session, on: date, plan: str | None = None, cache: dict[tuple[str, date], Any] | None = None
) -> list[Computed]:
    """Every indicator (of one plan, or of all) on ``on``; each query runs once (once across calls
    sharing ``cache``, e.g. the dashboards of several plans on one page)."""
    cache = {} if cache is None else cache
    chosen = [get_plan(plan)] if plan else list(plans())
    by_hand = [
        i.code
        for p in chosen
        for i in p.indicators
        if (q := QUERIES.get(i.query or "")) is None or q.fn is None
    ]
    manual = _latest_manuals(session, by_hand)
    return [compute(session, p, i, on, cache, manual) for p in chosen for i in p.indicators]


def _store(session: Session, ind: str, period: str, res: QueryResult, origin: Origin) -> None:
    session.execute(
        delete(IndicatorValue).where(
            IndicatorValue.indicator == ind,
            IndicatorValue.period == period,
            IndicatorValue.origin == origin.value,
        )
    )
    session.add(
        IndicatorValue(
            indicator=ind,
            period=period,
            on=month_end(period),
            value=res.value,
            numerator=res.numerator,
            denominator=res.denominator,
            origin=origin.value,
        )
    )


def take_snapshot(session: Session, principal: Principal, on: date) -> int:
    """Store this month's computed value of every indicator with a query (replacing an earlier
    snapshot of the same month). Any failing query refuses the whole snapshot."""
    _regulator(principal)
    period = f"{on.year:04d}-{on.month:02d}"
    done = 0
    for c in compute_all(session, on):
        if c.error:
            raise ConflictError(f"snapshot refused: {c.indicator.code}: {c.error}")
        if c.source == "query" and c.value is not None:
            _store(
                session,
                c.indicator.code,
                period,
                QueryResult(c.value, c.numerator, c.denominator),
                Origin.COMPUTED,
            )
            done += 1
    session.flush()
    return done


def _months(since: date, until: date) -> list[str]:
    out, y, m = [], since.year, since.month
    while (y, m) <= (until.year, until.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def rebuild_history(session: Session, principal: Principal, since: date, on: date) -> int:
    """Values of past months rebuilt from dated records, for the queries that allow it (a month
    whose rate has no records behind it is left empty). A query shared by several plans' indicators
    runs once a month (a dated one once per plan start)."""
    _regulator(principal)
    if since > on:
        raise InputError(f"from {since} is after {on}")
    if (on - since).days > 366 * 20:
        raise InputError("rebuild at most 20 years at a time")
    n = 0
    done: dict[tuple[str, str, date], QueryResult] = {}
    for p in plans():
        for ind in p.indicators:
            q = QUERIES.get(ind.query or "")
            if q is None or q.history is None:
                continue
            for period in _months(since, on):
                end = min(month_end(period), on)
                if period == f"{on.year:04d}-{on.month:02d}" and end != month_end(period):
                    continue  # the running month is a snapshot's, not a rebuild's
                key = (q.name, period, _plan_start(p) if q.rebuildable else date.min)
                if key not in done:
                    done[key] = _run(session, q.name, end, _plan_start(p), past=True)
                got = done[key]
                if got.denominator == 0:
                    continue  # a rate without records has no value that month (never 0 %)
                _store(session, ind.code, period, got, Origin.REBUILT)
                n += 1
    session.flush()
    return n


def enter_manual(
    session: Session, principal: Principal, code: str, period: str, value: float, evidence: str, today: date
) -> IndicatorValue:
    """A value entered by the regulator, with its evidence, for an indicator without a data source."""
    _regulator(principal)
    _plan, ind = find(code)
    q = QUERIES.get(ind.query or "")
    if q is not None and q.fn is not None:
        raise ConflictError(
            f"{code} is computed from the platform's records ({q.name}); it takes no manual value"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"value {value!r} is not a finite number")
    if abs(value) > 1e12 or (ind.unit == "%" and not 0 <= value <= 100):
        raise InputError(f"value {value} is out of range for {ind.unit}")
    if month_end(period) > month_end(f"{today.year:04d}-{today.month:02d}"):
        raise InputError(f"period {period} is in the future")
    evidence = (evidence or "").strip()
    if not 4 <= len(evidence) <= 2000:
        raise InputError("evidence (document, number, date) is required: 4 to 2000 characters")
    if session.scalar(
        select(IndicatorValue.id).where(
            IndicatorValue.indicator == code,
            IndicatorValue.period == period,
            IndicatorValue.origin == Origin.MANUAL.value,
        )
    ):
        raise ConflictError(f"{code} already has a manual value for {period}")
    row = IndicatorValue(
        indicator=code,
        period=period,
        on=month_end(period),
        value=float(value),
        origin=Origin.MANUAL.value,
        evidence=evidence,
        entered_by=principal.user_id or None,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class MonthValue:
    """One month's value as tracking uses it (a plain copy of the stored row)."""

    period: str
    on: date
    value: float
    origin: str


@dataclass(frozen=True, slots=True)
class Tracking:
    """An indicator with its current value, history, projection and status."""

    plan: Plan
    current: Computed
    points: list[MonthValue]
    target: tuple[date, float, str] | None
    projection: Projection | None
    assessment: Assessment
    extra: dict[str, Any] = field(default_factory=dict)


def _series(rows: Sequence[IndicatorValue]) -> list[MonthValue]:
    best: dict[str, IndicatorValue] = {}
    rank = {o.value: i for i, o in enumerate(_PREFERENCE)}
    for r in rows:
        if r.period not in best or rank.get(r.origin, 9) < rank.get(best[r.period].origin, 9):
            best[r.period] = r
    return [MonthValue(r.period, r.on, r.value, r.origin) for r in (best[k] for k in sorted(best))]


def _track(plan: Plan, cur: Computed, rows: Sequence[IndicatorValue], on: date) -> Tracking:
    ind = cur.indicator
    points = _series(rows)
    t = ind.target_for(on.year)
    target = (date(t.year, 12, 31), t.value, t.comparison) if t else None
    pts = [Point(r.on, r.value) for r in points if r.on < date(on.year, on.month, 1)]
    if cur.value is not None:
        pts.append(Point(on, cur.value))
    proj = project(pts, target[0]) if target and target[0] >= on else None  # no projection into the past
    base = (date(ind.baseline.year, 12, 31), ind.baseline.value) if ind.baseline else None
    verdict = assess(cur.value, target, proj, base, on)
    if cur.value is None and cur.source == "query":  # a data source, but no value from it
        verdict = Assessment("no_data", "query_failed" if cur.error else "no_records")
    return Tracking(plan, cur, points, target, proj, verdict)


def _rows_for(session: Session, codes: Sequence[str]) -> dict[str, list[IndicatorValue]]:
    out: dict[str, list[IndicatorValue]] = {c: [] for c in codes}
    for r in session.scalars(select(IndicatorValue).where(IndicatorValue.indicator.in_(list(codes)))):
        out[r.indicator].append(r)
    return out


def track(session: Session, code: str, on: date) -> Tracking:
    plan, ind = find(code)
    cur = compute(session, plan, ind, on)
    return _track(plan, cur, _rows_for(session, [code])[code], on)


def dashboard(
    session: Session, plan: str, on: date, cache: dict[tuple[str, date], Any] | None = None
) -> list[Tracking]:
    """Every indicator of ``plan`` tracked on ``on`` (one history query, each query once; ``cache``
    shared by the dashboards of one page runs a query shared by several plans once)."""
    p = get_plan(plan)
    rows = _rows_for(session, [i.code for i in p.indicators])
    return [_track(p, c, rows[c.indicator.code], on) for c in compute_all(session, on, plan, cache)]


# ---- evaluation reports -------------------------------------------------------------------------


def _row(t: Tracking) -> dict[str, Any]:
    ind = t.current.indicator
    first = t.points[0] if t.points else None
    return {
        "code": ind.code,
        "name": ind.name,
        "name_en": ind.name_en,
        "unit": ind.unit,
        "unit_en": ind.unit_en,
        "type": ind.type,
        "baseline": None
        if ind.baseline is None
        else {"year": ind.baseline.year, "value": ind.baseline.value},
        "target": None
        if t.target is None
        else {"year": t.target[0].year, "value": t.target[1], "cmp": t.target[2]},
        "value": t.current.value,
        "source": t.current.source,
        "missing": t.current.missing,
        "error": t.current.error,
        "first": None if first is None else {"period": first.period, "value": first.value},
        "projection": None
        if t.projection is None
        else {"y": t.projection.y, "low": t.projection.low, "high": t.projection.high, "n": t.projection.n},
        "status": t.assessment.status,
        "reason": t.assessment.reason,
        "series": [[r.period, r.value] for r in t.points],
        "article": ind.source.article,
    }


def _fmt(v: float | None) -> str:
    return "—" if v is None else (f"{v:.1f}" if abs(v - round(v)) > 1e-9 else f"{v:.0f}")


def _narrative(plan: Plan, kind: str, rows: list[dict[str, Any]], on: date, lang: str) -> str:
    from jiliang.indicators.texts import narrative

    return narrative(plan, kind, rows, on, lang, _fmt)


def draft_report(session: Session, principal: Principal, plan: str, kind: str, on: date) -> IndicatorReport:
    """Draft a mid-term or final evaluation of ``plan`` on ``on``: the indicator table, what moved,
    what is off track and why, and a narrative in Chinese and English for the regulator to edit."""
    _regulator(principal)
    if kind not in KINDS:
        raise InputError(f"report kind {kind!r} is not midterm or final")
    p = get_plan(plan)
    rows = [_row(t) for t in dashboard(session, plan, on)]
    rep = IndicatorReport(
        plan=p.code,
        kind=kind,
        as_of=on,
        status=ReportStatus.DRAFT.value,
        body={"plan": p.code, "as_of": on.isoformat(), "rows": rows},
        narrative_zh=_narrative(p, kind, rows, on, "zh"),
        narrative_en=_narrative(p, kind, rows, on, "en"),
        created_by=principal.user_id or None,
    )
    session.add(rep)
    session.flush()
    return rep


def get_report(session: Session, principal: Principal, report_id: int) -> IndicatorReport:
    rep = session.get(IndicatorReport, report_id)
    if rep is None or (rep.status != ReportStatus.PUBLISHED.value and not principal.is_regulator):
        raise NotFoundError(f"no report {report_id}")
    return rep


def list_reports(session: Session, principal: Principal, brief: bool = False) -> list[IndicatorReport]:
    """The latest 500 reports the caller may see; ``brief`` leaves the bodies and narratives unread
    (loaded if touched) for a list that shows only the heading of each."""
    stmt = select(IndicatorReport).order_by(IndicatorReport.id.desc())
    if brief:
        stmt = stmt.options(
            defer(IndicatorReport.body),
            defer(IndicatorReport.narrative_zh),
            defer(IndicatorReport.narrative_en),
        )
    if not principal.is_regulator:
        stmt = stmt.where(IndicatorReport.status == ReportStatus.PUBLISHED.value)
    return list(session.scalars(stmt.limit(500)))


def edit_report(
    session: Session, principal: Principal, report_id: int, narrative_zh: str, narrative_en: str
) -> IndicatorReport:
    _regulator(principal)
    rep = get_report(session, principal, report_id)
    if rep.status != ReportStatus.DRAFT.value:
        raise ConflictError(f"report {report_id} is {rep.status}; only a draft is edited")
    for text, what in ((narrative_zh, "Chinese"), (narrative_en, "English")):
        if not text.strip() or len(text) > 50_000:
            raise InputError(f"the {what} narrative must hold 1 to 50000 characters")
    rep.narrative_zh, rep.narrative_en = narrative_zh, narrative_en
    session.flush()
    return rep


def publish_report(session: Session, principal: Principal, report_id: int, now: datetime) -> IndicatorReport:
    _regulator(principal)
    rep = get_report(session, principal, report_id)
    if ReportStatus.PUBLISHED not in REPORT_TRANSITIONS[ReportStatus(rep.status)]:
        raise ConflictError(f"report {report_id} is {rep.status}; it cannot be published again")
    rep.status = ReportStatus.PUBLISHED.value
    rep.published_by = principal.user_id or None
    rep.published_at = now.astimezone(UTC)
    session.flush()
    return rep
