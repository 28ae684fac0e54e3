"""``jiliang indicators``: the plans' indicators, computed live, snapshots, evaluation reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jiliang.cli.common import console, day_or_today, emit_json, fail, open_db, system_principal

app = typer.Typer(name="indicators", help="Plan indicators: list, compute, report.", no_args_is_help=True)


def _plan(code: str | None) -> str | None:
    from jiliang.indicators import service

    if code is not None:
        service.get_plan(code)
    return code


@app.command("list")
def list_cmd(
    plan: str | None = typer.Option(None, "--plan", help="One plan's code (guangzhou, changzhou, …)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The indicators of the shipped plans: definition, baseline, targets, query, source."""
    from jiliang.indicators import service
    from jiliang.indicators.queries import QUERIES

    _plan(plan)
    chosen = [p for p in service.plans() if plan is None or p.code == plan]
    rows: list[dict[str, Any]] = [
        {
            "plan": p.code,
            "code": i.code,
            "name": i.name,
            "name_en": i.name_en,
            "unit": i.unit,
            "type": i.type,
            "baseline": None if i.baseline is None else {"year": i.baseline.year, "value": i.baseline.value},
            "targets": [{"year": t.year, "value": t.value, "comparison": t.comparison} for t in i.targets],
            "query": i.query,
            "data_source": bool(i.query and QUERIES[i.query].fn),
            "no_data_source": QUERIES[i.query].missing if i.query else "no query computes it",
            "article": i.source.article,
            "seed": p.seed,
            "offset": i.source.offset,
        }
        for p in chosen
        for i in p.indicators
    ]
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        tg = ", ".join(f"{t['comparison']} {t['value']:g} ({t['year']})" for t in r["targets"]) or "—"
        src = r["query"] if r["data_source"] else "no data source"
        console.print(f"{r['code']:<28} {r['name_en'][:50]:<50} {tg:<24} {src}", markup=False)


@app.command("compute")
def compute_cmd(
    plan: str | None = typer.Option(None, "--plan", help="One plan's code; default all."),
    on: str | None = typer.Option(None, "--on", help="Date (YYYY-MM-DD); default today."),
    snapshot: bool = typer.Option(False, "--snapshot", help="Store this month's values."),
    rebuild_from: str | None = typer.Option(
        None, "--rebuild-from", help="Rebuild past months from this date."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Compute every indicator live, with its status; optionally store the month's snapshot."""
    from jiliang.indicators import service

    day = day_or_today(on)
    code = _plan(plan)
    db = open_db()
    with db.session(actor="cli") as session:
        stored = service.take_snapshot(session, system_principal(), day) if snapshot else 0
        rebuilt = (
            service.rebuild_history(session, system_principal(), day_or_today(rebuild_from), day)
            if rebuild_from
            else 0
        )
        chosen = [code] if code else [p.code for p in service.plans()]
        tracked = [t for c in chosen for t in service.dashboard(session, c, day)]
    rows = [
        {
            "plan": t.plan.code,
            "code": t.current.indicator.code,
            "value": t.current.value,
            "numerator": t.current.numerator,
            "denominator": t.current.denominator,
            "source": t.current.source,
            "missing": t.current.missing,
            "error": t.current.error,
            "status": t.assessment.status,
            "reason": t.assessment.reason,
            "projection": None
            if t.projection is None
            else {"y": t.projection.y, "low": t.projection.low, "high": t.projection.high},
        }
        for t in tracked
    ]
    if json_out:
        emit_json({"on": day, "snapshot": stored, "rebuilt": rebuilt, "indicators": rows})
        return
    for r in rows:
        val = "no data source" if r["value"] is None else f"{r['value']:.4g}"
        console.print(f"{r['code']:<28} {val:<16} {r['status']:<10} {r['reason']}", markup=False)
    if snapshot or rebuild_from:
        console.print(f"stored {stored} snapshot values, rebuilt {rebuilt}")


@app.command("report")
def report_cmd(
    plan: str = typer.Option(..., "--plan", help="The plan's code."),
    kind: str = typer.Option("midterm", "--kind", help="midterm or final."),
    on: str | None = typer.Option(None, "--on", help="Evaluation date; default today."),
    out: Path | None = typer.Option(None, "--out", help="Write the report here (.pdf or .docx)."),
    lang: str = typer.Option("zh", "--lang", help="zh or en."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Draft an evaluation report (stored as a draft) and write it as PDF or Word."""
    from jiliang.indicators import report, service

    if out is not None and out.suffix.lower() not in (".pdf", ".docx"):
        fail(f"{out}: write .pdf or .docx")
    if lang not in ("zh", "en"):
        fail(f"language {lang!r} is not zh or en")
    day = day_or_today(on)
    db = open_db()
    with db.session(actor="cli") as session:
        rep = service.draft_report(session, system_principal(), plan, kind, day)
        rid, body = rep.id, rep.body
        text = rep.narrative_zh if lang == "zh" else rep.narrative_en
    if out is not None:
        render = report.report_pdf if out.suffix.lower() == ".pdf" else report.report_docx
        out.write_bytes(render(service.get_plan(plan), kind, day, body, text, "draft", lang))
    if json_out:
        emit_json(
            {"id": rid, "status": "draft", "body": body, "narrative": text, "file": str(out) if out else None}
        )
        return
    console.print(text, markup=False)
    console.print(f"report {rid} drafted" + (f", written to {out}" if out else ""))
