"""Plan indicators over HTTP: definitions, live values with status, snapshots, manual values and
evaluation reports (draft → published)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, Regulator, SessionDep
from jiliang.indicators import report, service

router = APIRouter(prefix="/indicators", tags=["indicators"])

Code = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9._]+$")]
ReportId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ManualIn(BaseModel):
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="The month, YYYY-MM")
    value: float
    evidence: str = Field(
        min_length=4, max_length=2000, description="Document, number and date the value comes from"
    )


class SnapshotIn(BaseModel):
    on: date | None = None
    rebuild_from: date | None = None


class DraftIn(BaseModel):
    plan: str = Field(min_length=1, max_length=32)
    kind: Literal["midterm", "final"] = "midterm"
    on: date | None = None


class NarrativeIn(BaseModel):
    narrative_zh: str = Field(min_length=1, max_length=50_000)
    narrative_en: str = Field(min_length=1, max_length=50_000)


def _tracking(t: service.Tracking) -> dict[str, Any]:
    c = t.current
    return {
        "code": c.indicator.code,
        "plan": t.plan.code,
        "name": c.indicator.name,
        "name_en": c.indicator.name_en,
        "unit": c.indicator.unit,
        "value": c.value,
        "numerator": c.numerator,
        "denominator": c.denominator,
        "source": c.source,
        "no_data_source": c.missing,
        "error": c.error,
        "evidence": c.evidence,
        "drill": c.drill,
        "target": None
        if t.target is None
        else {"on": t.target[0], "value": t.target[1], "comparison": t.target[2]},
        "projection": None
        if t.projection is None
        else {
            "on": t.projection.on,
            "y": t.projection.y,
            "low": t.projection.low,
            "high": t.projection.high,
            "level": 0.9,
            "n": t.projection.n,
        },
        "status": t.assessment.status,
        "reason": t.assessment.reason,
        "history": [{"period": r.period, "value": r.value, "origin": r.origin} for r in t.points],
    }


def _report(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "plan": r.plan,
        "kind": r.kind,
        "as_of": r.as_of,
        "status": r.status,
        "body": r.body,
        "narrative_zh": r.narrative_zh,
        "narrative_en": r.narrative_en,
        "published_at": r.published_at,
    }


@router.get("/plans", name="plans", summary="The plans and their indicator definitions")
def plans(caller: Caller) -> list[dict[str, Any]]:
    """Each indicator with ``no_data_source`` (why no query computes it, or null) and
    ``history_rebuilt`` (its past months rebuilt from the records, or kept from the first snapshot)."""
    return [
        {
            "code": p.code,
            "title": p.title,
            "title_en": p.title_en,
            "start_year": p.start_year,
            "end_year": p.end_year,
            "seed_sha256": p.seed_sha256,
            "indicators": [
                {
                    "code": i.code,
                    "name": i.name,
                    "no_data_source": service.no_data_source(i)[0],
                    "history_rebuilt": service.no_data_source(i)[1],
                    "name_en": i.name_en,
                    "unit": i.unit,
                    "type": i.type,
                    "query": i.query,
                    "article": i.source.article,
                    "quote": i.source.quote,
                    "baseline": None
                    if i.baseline is None
                    else {"year": i.baseline.year, "value": i.baseline.value},
                    "targets": [
                        {"year": t.year, "value": t.value, "comparison": t.comparison} for t in i.targets
                    ],
                }
                for i in p.indicators
            ],
        }
        for p in service.plans()
    ]


@router.get("/plans/{plan}", name="dashboard", summary="Every indicator of a plan, live, with status")
def dashboard(
    clock: ClockDep,
    plan: Annotated[str, Path(min_length=1, max_length=32)],
    caller: Caller,
    session: SessionDep,
    on: Annotated[date | None, Query()] = None,
) -> list[dict[str, Any]]:
    return [_tracking(t) for t in service.dashboard(session, plan, on or clock.today())]


@router.get("/values/{code}", name="indicator", summary="One indicator with history, projection and status")
def indicator(
    clock: ClockDep,
    code: Code,
    caller: Caller,
    session: SessionDep,
    on: Annotated[date | None, Query()] = None,
) -> dict[str, Any]:
    return _tracking(service.track(session, code, on or clock.today()))


@router.post(
    "/values/{code}/manual",
    name="enter_manual",
    status_code=201,
    summary="Enter a value with its evidence (indicators without a data source)",
)
def enter_manual(
    clock: ClockDep, code: Code, body: ManualIn, caller: Regulator, session: SessionDep
) -> dict[str, Any]:
    row = service.enter_manual(session, caller, code, body.period, body.value, body.evidence, clock.today())
    return {
        "indicator": row.indicator,
        "period": row.period,
        "value": row.value,
        "evidence": row.evidence,
        "entered_by": row.entered_by,
    }


@router.post("/snapshots", name="snapshot", summary="Store this month's values (and rebuild past months)")
def snapshot(clock: ClockDep, body: SnapshotIn, caller: Regulator, session: SessionDep) -> dict[str, int]:
    on = body.on or clock.today()
    stored = service.take_snapshot(session, caller, on)
    rebuilt = service.rebuild_history(session, caller, body.rebuild_from, on) if body.rebuild_from else 0
    return {"stored": stored, "rebuilt": rebuilt}


@router.get("/reports", name="reports", summary="Evaluation reports (the public sees published ones)")
def reports(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [_report(r) for r in service.list_reports(session, caller)]


@router.post("/reports", name="draft_report", status_code=201, summary="Draft a mid-term or final evaluation")
def draft_report(clock: ClockDep, body: DraftIn, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    return _report(service.draft_report(session, caller, body.plan, body.kind, body.on or clock.today()))


@router.get("/reports/{report_id}", name="report", summary="An evaluation report")
def get_report(report_id: ReportId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return _report(service.get_report(session, caller, report_id))


@router.put("/reports/{report_id}", name="edit_report", summary="Edit a draft's narrative")
def edit_report(
    report_id: ReportId, body: NarrativeIn, caller: Regulator, session: SessionDep
) -> dict[str, Any]:
    return _report(service.edit_report(session, caller, report_id, body.narrative_zh, body.narrative_en))


@router.post("/reports/{report_id}/publish", name="publish_report", summary="Publish a draft")
def publish_report(
    clock: ClockDep, report_id: ReportId, caller: Regulator, session: SessionDep
) -> dict[str, Any]:
    return _report(service.publish_report(session, caller, report_id, clock.now()))


@router.get(
    "/reports/{report_id}/file",
    name="report_file",
    summary="The report as PDF or Word",
    response_class=Response,
)
def report_file(
    report_id: ReportId,
    caller: Caller,
    session: SessionDep,
    format: Annotated[Literal["pdf", "docx"], Query()] = "pdf",
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    r = service.get_report(session, caller, report_id)
    render = report.report_pdf if format == "pdf" else report.report_docx
    data = render(
        service.get_plan(r.plan),
        r.kind,
        r.as_of,
        r.body,
        r.narrative_zh if lang == "zh" else r.narrative_en,
        r.status,
        lang,
    )
    media = (
        "application/pdf"
        if format == "pdf"
        else ("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    )
    name = f"indicators-report-{r.id}-{lang}.{format}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
