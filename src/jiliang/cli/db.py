"""``jiliang db``: schema migrations."""

from __future__ import annotations

import typer

from jiliang.cli.common import console, emit_json, open_db

app = typer.Typer(name="db", help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(target: str = typer.Option("heads", help="Alembic revision to reach.")) -> None:
    """Create or upgrade every table (SQLite in JILIANG_DATA_DIR or JILIANG_DATABASE_URL)."""
    from jiliang.platform.migrate import upgrade as run

    db = open_db()
    run(db, target)
    console.print(f"database upgraded: {db.safe_url}")


@app.command("status")
def status(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show the applied revisions and whether migrations are pending."""
    from jiliang.platform.migrate import current_heads, pending

    db = open_db()
    data = {"url": db.safe_url, "heads": sorted(current_heads(db)), "pending": pending(db)}
    if json_out:
        emit_json(data)
    else:
        console.print(data)
