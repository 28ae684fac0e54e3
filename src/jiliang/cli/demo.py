"""``jiliang demo``: the demo city."""

from __future__ import annotations

from datetime import date

import typer

from jiliang.cli.common import clock, console, emit_json, err_console, fail, open_db, settings

app = typer.Typer(name="demo", help="The demo city.", no_args_is_help=True)


@app.command("seed")
def seed(
    size: str = typer.Option("small", help="small (quick look) or city (the scale used in benchmarks)."),
    seed_value: int = typer.Option(2035, "--seed", help="Random seed; the same seed gives the same city."),
    as_of: str | None = typer.Option(None, help="Date the data is current to (YYYY-MM-DD); default today."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the city is already seeded."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Fill an empty database with the demo city (organizations, users and each capability's data)."""
    from jiliang.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed_city
    from jiliang.errors import ConflictError
    from jiliang.platform.migrate import pending

    if size not in ("small", "city"):
        fail(f"unknown size {size!r}; use small or city")
    try:
        day = date.fromisoformat(as_of) if as_of else clock().today()
    except ValueError:
        fail(f"--as-of {as_of!r} is not a date YYYY-MM-DD")
    db = open_db()
    if pending(db):
        fail("the database schema is not up to date; run `jiliang db upgrade` first")
    try:
        counts = seed_city(
            db, size, seed_value, day, progress=lambda m: err_console.print(m), data_dir=settings().data_dir
        )
    except ConflictError as exc:
        if if_empty:
            err_console.print("demo city already seeded; nothing to do")
            return
        fail(exc.message)
    if json_out:
        emit_json(counts)
        return
    console.print(f"demo city seeded ({size}, seed {seed_value})")
    console.print(
        "demo users (password [bold]" + DEMO_PASSWORD + "[/]): " + ", ".join(u[0] for u in DEMO_USERS)
    )
