"""``jiliang registry``: import and export registers, due lists, the status job, traces, metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

from jiliang.cli.common import console, day_or_today, emit_json, fail, open_db, settings, system_principal

app = typer.Typer(
    name="registry", help="Registry of instruments, standards and traceability.", no_args_is_help=True
)
import_app = typer.Typer(name="import", help="Import a register from .xlsx or CSV.", no_args_is_help=True)
app.add_typer(import_app)


def _days(value: str) -> int:
    m = re.fullmatch(r"\s*(\d{1,4})\s*(d|w|m)?\s*", value)
    if not m:
        fail(f"--within {value!r}: use a number of days like 30d, 6w or 2m")
    n = int(m[1])
    return n * {"d": 1, "w": 7, "m": 30}.get(m[2] or "d", 1)


@import_app.command("instruments")
def import_instruments(
    file: Path = typer.Argument(..., help="The register, .xlsx or .csv (Chinese or English headers)."),
    report: Path | None = typer.Option(None, "--report", help="Write the import report (JSON) here."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report only; store nothing."),
    as_of: str | None = typer.Option(None, help="Today's date for the checks (YYYY-MM-DD)."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import instruments; rejected rows are reported with line, column and reason."""
    from jiliang.registry.importer import import_register

    cfg = settings()
    if not file.is_file():
        fail(f"{file}: no such file")
    size = file.stat().st_size
    if size > cfg.import_max_bytes:
        fail(f"{file}: {size} bytes is more than the import limit of {cfg.import_max_bytes}")
    data = file.read_bytes()
    db = open_db(cfg)
    with db.session(actor="cli") as session:
        result = import_register(
            session,
            data,
            file.name,
            today=day_or_today(as_of),
            max_bytes=cfg.import_max_bytes,
            commit=not dry_run,
        )
    body = result.as_dict()
    if report is not None:
        report.write_text(json.dumps(body, ensure_ascii=False, indent=2), "utf-8")
    if json_out:
        emit_json(body)
        return
    console.print(
        f"accepted {result.accepted} (new {result.created}, changed {result.updated}), "
        f"unchanged {result.unchanged}, rejected {result.rejected}"
        + (" — dry run, nothing stored" if dry_run else "")
    )
    for row in result.rows[:20]:
        console.print(f"  line {row.line} [{row.column}]: {row.reason}", markup=False)
    if len(result.rows) > 20:
        console.print(f"  … {len(result.rows) - 20} more in the report")


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="File to write (.csv or .xlsx)."),
    lang: str = typer.Option("zh", help="Header language: zh or en."),
    status: str | None = typer.Option(None, help="Only instruments with this status."),
) -> None:
    """Export the register (the import's columns, formula-safe)."""
    from jiliang.registry.export import export_register
    from jiliang.registry.service import InstrumentFilter

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        fail(f"{out}: the file must end in .csv or .xlsx")
    if lang not in ("zh", "en"):
        fail(f"unknown language {lang!r}; use zh or en")
    db = open_db()
    with db.session(actor="cli") as session:
        data = export_register(session, system_principal(), fmt, InstrumentFilter(status=status), lang)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


@app.command("due")
def due(
    within: str = typer.Option("30d", "--within", help="Horizon: 30d, 6w, 2m."),
    as_of: str | None = typer.Option(None, help="Today's date (YYYY-MM-DD)."),
    limit: int = typer.Option(500, min=1, max=100_000, help="At most this many rows."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Instruments due within the horizon, and those overdue or blocked."""
    from jiliang.registry.service import due_list

    days = _days(within)
    db = open_db()
    with db.session(actor="cli") as session:
        total, exact, rows = due_list(session, system_principal(), days, day_or_today(as_of), limit=limit)
    if json_out:
        emit_json({"total": total, "exact": exact, "within_days": days, "items": rows})
        return
    from rich.table import Table

    table = Table(title=f"due within {days} days: {total}{'' if exact else '+'}")
    for col in ("id", "type", "serial", "owner", "due", "days", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["type_name"],
            r["serial"],
            r["owner_name"],
            str(r["next_due_on"]),
            str(r["days_left"]),
            r["status"],
        )
    console.print(table)


@app.command("status-job")
def status_job(
    as_of: str | None = typer.Option(None, help="Run as of this date (YYYY-MM-DD); default today."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Move instruments past due to overdue, then blocked; send the 30- and 15-day reminders;
    then write a signed audit checkpoint and retry the e-mail outbox (when SMTP is configured)."""
    from jiliang.platform.checkpoint import write_checkpoint
    from jiliang.platform.db import utcnow
    from jiliang.registry.service import run_status_job

    cfg = settings()
    db = open_db(cfg)
    with db.session(actor="status-job") as session:
        result = run_status_job(session, day_or_today(as_of))
    with db.session(actor="status-job") as session:
        write_checkpoint(session, cfg.data_dir, utcnow())  # the daily job also anchors the audit log
    from jiliang.verification.mail import SmtpConfig, send_pending

    send_pending(db, SmtpConfig.from_settings(cfg), utcnow())
    if json_out:
        emit_json(result.as_dict())
        return
    console.print(
        f"{result.on}: {result.overdue} overdue, {result.blocked} blocked, "
        f"{result.reminders_30} reminders at 30 days, {result.reminders_15} at 15 days"
    )


@app.command("trace")
def trace(
    item_id: int = typer.Argument(..., help="Id of the instrument (or standard / verification, see --kind)."),
    kind: str = typer.Option("instrument", help="instrument, standard or verification."),
    as_of: str | None = typer.Option(None, help="Date of use for a standard (YYYY-MM-DD)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The traceability chain up to national standards, with every broken link and its reason."""
    from jiliang.registry import service

    cfg = settings()
    ratio = cfg.uncertainty_ratio_min
    db = open_db(cfg)
    with db.session(actor="cli") as session:
        if kind == "instrument":
            result = service.trace_instrument(session, system_principal(), item_id, ratio)
        elif kind == "standard":
            result = service.trace_standard(session, system_principal(), item_id, day_or_today(as_of), ratio)
        elif kind == "verification":
            result = service.trace_verification(session, item_id, ratio)
        else:
            fail(f"unknown kind {kind!r}; use instrument, standard or verification")
    if json_out:
        emit_json(result.as_dict())
        return
    labels = {n.key: n.label for n in result.nodes}
    console.print(
        f"{labels.get(result.root, result.root)} on {result.on}: "
        + ("traceable" if result.traceable else f"{len(result.breaks)} break(s)"),
        markup=False,
    )
    for e in result.edges:
        parent = labels.get(e.parent, "—") if e.parent else "—"
        mark = f"  BROKEN ({e.broken})" if e.broken else ""
        console.print(
            f"  {labels.get(e.child, e.child)} → {parent} {e.on or ''} {e.certificate_no or ''}{mark}",
            markup=False,
        )
    for b in result.breaks:
        console.print(f"  ! {b.reason}: {b.message}", markup=False)


@app.command("metrics")
def metrics_cmd(
    as_of: str | None = typer.Option(None, help="Date of the figures (YYYY-MM-DD)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """受检率 by district/type/owner, 建标覆盖率 with the gaps, standards by level."""
    from jiliang.registry.metrics import summary

    db = open_db()
    with db.session(actor="cli") as session:
        data = summary(session, day_or_today(as_of))
    if json_out:
        emit_json(data)
        return
    rate = data["verification_rate"]
    cov = data["coverage"]
    console.print(f"instruments: {data['instruments']}  verified on time: {rate['rate']}")
    console.print(
        f"coverage by public standards: {cov['covered']}/{cov['total']}; not covered: "
        + ", ".join(g["name"] for g in cov["not_covered"])
    )
    console.print(
        "standards by level: " + ", ".join(f"{k} {v}" for k, v in data["standards_by_level"].items())
    )


@app.command("template")
def template(out: Path = typer.Option(..., "--out", help="Where to write the CSV template.")) -> None:
    """Write the import template (CSV with the Chinese headers and one example row)."""
    from jiliang.registry.importer import template_csv

    out.write_bytes(template_csv())
    console.print(f"wrote {out}")
