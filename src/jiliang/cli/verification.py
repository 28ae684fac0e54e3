"""``jiliang verification``: bookings and the city-wide flow, as the regulator sees them."""

from __future__ import annotations

from dataclasses import asdict

import typer

from jiliang.cli.common import clock, console, emit_json, fail, open_db, system_principal

app = typer.Typer(
    name="verification", help="Verification bookings, work orders and flow.", no_args_is_help=True
)

STATES = ("requested", "accepted", "declined", "scheduled", "in_progress", "completed", "cancelled")


@app.command("bookings")
def bookings(
    state: str | None = typer.Option(None, help="Only bookings in this state."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many rows."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Bookings city-wide, newest first."""
    from jiliang.verification import list_bookings

    if state is not None and state not in STATES:
        fail(f"unknown state {state!r}; use one of {', '.join(STATES)}")
    db = open_db()
    with db.session(actor="cli") as session:
        total, rows = list_bookings(session, system_principal(), state, limit)
    if json_out:
        emit_json({"total": total, "items": [r.as_dict() for r in rows]})
        return
    from rich.table import Table

    table = Table(title=f"bookings: {total}")
    for col in ("id", "owner", "verifier", "mode", "preferred", "items", "state"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id), r.owner_name, r.lab_name, r.mode, str(r.preferred_on), str(len(r.items)), r.state
        )
    console.print(table)


@app.command("send-mail")
def send_mail(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Send the e-mail notifications waiting in the outbox (retries those that failed)."""
    from jiliang.cli.common import settings
    from jiliang.platform.db import utcnow
    from jiliang.verification.mail import SmtpConfig, send_pending

    cfg = settings()
    smtp = SmtpConfig.from_settings(cfg)
    report = send_pending(open_db(cfg), smtp, utcnow())
    if json_out:
        emit_json(report.as_dict())
        return
    if smtp is None:
        console.print(f"e-mail is off (no JILIANG_SMTP_HOST); {report.pending} waiting in the outbox")
        return
    console.print(f"{report.sent} sent, {report.failed} failed, {report.pending} waiting")


@app.command("flow")
def flow(
    days: int = typer.Option(7, min=0, max=365, help="Report bookings waiting longer than this many days."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Open bookings per state, those waiting longer than N days, turnaround per verifier."""
    from jiliang.verification import flow as run

    db = open_db()
    with db.session(actor="cli") as session:
        f = run(session, system_principal(), clock().now(), days)
    if json_out:
        emit_json(asdict(f))
        return
    console.print(" ".join(f"{s}: {n}" for s, n in f.open_by_state.items()))
    console.print(f"waiting longer than {days} days: {len(f.waiting)}")
    for w in f.waiting:
        console.print(f"  booking {w.booking_id} {w.state} {w.owner_name} → {w.lab_name}: {w.days} days")
    for r in f.turnaround:
        console.print(
            f"{r['lab_name']}: open {r['open']}, completed {r['completed']}, mean {r['mean_days']} days"
        )
