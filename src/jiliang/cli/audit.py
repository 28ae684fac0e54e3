"""``jiliang audit``: check the hash chain of the audit log."""

from __future__ import annotations

import typer

from jiliang.cli.common import console, emit_json, fail, open_db

app = typer.Typer(name="audit", help="Audit log.", no_args_is_help=True)


@app.command("verify")
def verify(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Recompute the chain; exit 1 and name the first bad entry if anything was altered."""
    from jiliang.platform.audit import verify as run

    db = open_db()
    with db.session() as session:
        result = run(session)
    if json_out:
        emit_json(
            {
                "ok": result.ok,
                "entries": result.entries,
                "first_bad_seq": result.first_bad_seq,
                "reason": result.reason,
            }
        )
        if not result.ok:
            raise typer.Exit(1)
        return
    if not result.ok:
        fail(f"audit chain broken: {result.reason}", 1)
    console.print(f"audit chain intact: {result.entries} entries")
