"""``jiliang meters lots``: in-service meter lots with extended replacement (form, sample, record,
decide, publish, show, list, lookup, rules). Registered under ``jiliang meters`` by cli/meters.py
(the object is ``lots_app``, not ``app``, so the discovery does not add a top-level ``jiliang lots``).

The command line acts as the platform operator (the regulator's role), like the other commands
that change stored data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jiliang.cli.common import clock, console, emit_json, fail, open_db

lots_app = typer.Typer(
    name="lots", help="In-service meter lots: form, sample, record, decide, publish.", no_args_is_help=True
)

MAX_FILE = 200 * 1024 * 1024


def _operator() -> Any:
    from jiliang.platform.auth import Principal
    from jiliang.platform.models import Role

    return Principal(user_id=0, username="cli", role=Role.REGULATOR, org_id=None, display_name="command line")


def _read(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_FILE:
            fail(f"{what} {path} is larger than {MAX_FILE} bytes")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{what} {path} not found")
    except UnicodeDecodeError:
        fail(f"{what} {path} is not UTF-8 text")


def _show(lots: list[dict[str, Any]], json_out: bool) -> None:
    if json_out:
        emit_json(lots)
        return
    for d in lots:
        pp = "—" if d["pass_probability"] is None else f"{d['pass_probability']:.2f}"
        dec = d["decision"] or d["status"]
        console.print(
            f"{d['id']:>5} {d['label']} {d['kind']} {d['maker']} {d['model']} {d['batch']} {d['install_year']}"
            f" N={d['N']} n={d['n']} Ac={d['Ac']} P(pass)={pp} {dec}",
            markup=False,
        )


def _run(fn: Any) -> list[dict[str, Any]]:
    from jiliang.meters import lotservice as svc

    db = open_db()
    try:
        with db.session(actor="cli") as session:
            out = fn(session, svc)
            return [svc.lot_dict(lot) for lot in (out if isinstance(out, list) else [out])]
    finally:
        db.dispose()


@lots_app.command("form")
def form_cmd(
    meters: Path = typer.Argument(
        ..., help="Meter list CSV: meter_no, kind, maker, model, batch, install_year."
    ),
    rule: str = typer.Option(..., "--rule", help="Rule: hu57-2018, lu107-2022 or mc-s-s-06."),
    org: int = typer.Option(..., "--org", help="Organization id of the utility owning the meters."),
    run: int | None = typer.Option(
        None, "--run", help="Estimation run for the remote estimates (default: latest)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Form the rule's lots from a meter list, with each lot's pre-sampling pass probability."""
    from jiliang.meters.lotservice import parse_meter_csv

    rows = parse_meter_csv(_read(meters, "meter list"))
    _show(
        _run(lambda s, svc: svc.form(s, _operator(), rule_key=rule, rows=rows, org_id=org, run_id=run)),
        json_out,
    )


@lots_app.command("sample")
def sample_cmd(
    lot: int = typer.Argument(..., help="Lot id."),
    seed: int | None = typer.Option(None, "--seed", help="Seed (0 … 2**63−1); default: drawn and recorded."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Draw the lot's sample (a seeded permutation; field-check orders for registry meters)."""
    _show(_run(lambda s, svc: svc.draw(s, _operator(), lot, seed)), json_out)


@lots_app.command("record")
def record_cmd(
    lot: int = typer.Argument(..., help="Lot id."),
    results: Path = typer.Argument(
        ..., help="Results CSV: meter_no, outcome (conforming|nonconforming|inaccessible), error_pct."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Record field results of sampled meters; inaccessible meters are replaced in draw order."""
    from jiliang.meters.lotservice import parse_results_csv

    entries = parse_results_csv(_read(results, "results file"))
    _show(_run(lambda s, svc: svc.record_results(s, _operator(), lot, entries)), json_out)


@lots_app.command("decide")
def decide_cmd(
    lot: int = typer.Argument(..., help="Lot id."),
    publish: bool = typer.Option(False, "--publish", help="Also publish the decision."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Decide the lot (extend by the rule's years, or replace) from its sample results."""
    now = clock().now()

    def go(s: Any, svc: Any) -> Any:
        out = svc.decide(s, _operator(), lot, now)
        return svc.publish(s, _operator(), lot, now) if publish else out

    _show(_run(go), json_out)


@lots_app.command("publish")
def publish_cmd(
    lot: int = typer.Argument(..., help="Lot id."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Publish a decided lot (public lookup by meter number)."""
    now = clock().now()
    _show(_run(lambda s, svc: svc.publish(s, _operator(), lot, now)), json_out)


@lots_app.command("show")
def show_cmd(
    lot: int = typer.Argument(..., help="Lot id."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One lot with its sample list and results."""
    from jiliang.meters import lotservice as svc

    db = open_db()
    try:
        with db.session(actor="cli") as s:
            view = svc.lot_view(s, _operator(), lot)
            data = {**svc.lot_dict(view.lot), "rows": view.sample, "tested": view.tested, "d": view.d}
    finally:
        db.dispose()
    if json_out:
        emit_json(data)
        return
    _show([data], False)
    for r in data["rows"]:
        console.print(f"  {r['pos']:>3} {r['meter_no']} {r['outcome'] or '—'}", markup=False)


@lots_app.command("list")
def list_cmd(
    status: str | None = typer.Option(None, "--status", help="formed, sampled, decided or published."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The stored lots, newest first."""
    _show(_run(lambda s, svc: svc.list_lots(s, _operator(), status)), json_out)


@lots_app.command("lookup")
def lookup_cmd(
    meter_no: str = typer.Argument(..., help="Meter number."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Published lot decisions for one meter (what the public lookup shows)."""
    from jiliang.meters.lotservice import lookup_meter

    db = open_db()
    try:
        with db.session(actor="cli") as s:
            found = lookup_meter(s, meter_no)
    finally:
        db.dispose()
    if json_out:
        emit_json(found)
    elif not found:
        console.print("no published lot holds this meter")
    for f in found if not json_out else []:
        console.print(
            f"{f['lot']} {f['rule']} {f['decision']} {f['extend_years'] or ''} {f['published_on']}",
            markup=False,
        )


@lots_app.command("rules")
def rules_cmd(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The regional rules shipped as data, with their plan rows and what is verified."""
    from jiliang.meters.lotrules import rule_codes, rule_data

    data = [rule_data(k) for k in rule_codes()]
    if json_out:
        emit_json(data)
        return
    for d in data:
        rows = ", ".join(
            f"{r['lot_min']}–{r['lot_max'] or '∞'}: n={r['n']} Ac={r['ac']}" for r in d["plan"]["rows"]
        )
        console.print(
            f"{d['key']} {d['code']} ({d['edition']}) plan verified: {d['plan']['verified']} · {rows}",
            markup=False,
        )
