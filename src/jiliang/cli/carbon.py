"""``jiliang carbon``: emissions from metered energy with their uncertainty, per unit and per city."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jiliang.cli.common import console, day_or_today, emit_json, open_db, system_principal

__all__ = ["app", "report_json"]

app = typer.Typer(
    name="carbon",
    help="Carbon measurement: factors, activity data, reports with U (k = 2).",
    no_args_is_help=True,
)


@app.command("factors")
def factors(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The shipped emission factors with their uncertainty and source."""
    from jiliang.energy import emission_factors

    rows: list[dict[str, Any]] = [
        {
            "code": f.code,
            "energy_type": f.energy_type,
            "unit": f"t CO2/{f.activity_unit}",
            "value": f.value,
            "u_rel": f.u_rel,
            "source": f.source,
            "note": f.note,
        }
        for f in emission_factors().values()
    ]
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        console.print(
            f"{r['code']:<26} {r['value']:.5g} {r['unit']}  u_rel {r['u_rel']:.2%}  {r['source'][:80]}"
        )


@app.command("import")
def import_cmd(
    unit_id: int = typer.Argument(..., help="Unit id."),
    csv_file: Path = typer.Argument(
        ...,
        help="ACTIVITY.csv: period,energy_type,quantity,factor[,meter,u_rel,factor_value,factor_u_rel,factor_source].",
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Store a unit's activity data; the whole file or nothing."""
    from jiliang.cli.energy import read_csv
    from jiliang.energy import import_activity

    text = read_csv(csv_file)
    with open_db().session(actor="cli") as session:
        n = import_activity(session, system_principal(), unit_id, text)
    if json_out:
        emit_json({"unit_id": unit_id, "lines": n})
        return
    console.print(f"stored {n} activity lines of unit {unit_id}")


def _result(r: Any) -> dict[str, Any]:
    return {
        "E_t": r.E,
        "u_t": r.u,
        "k": r.k,
        "U_t": r.U,
        "dof": None if r.dof == float("inf") else r.dof,
        "flags": dict(r.flags),
        "terms": [
            {
                "factor": t.factor.code,
                "A": t.A,
                "u_A": t.u_A,
                "F": t.factor.value,
                "u_F": t.factor.u,
                "E_t": t.E,
                "lines": t.lines,
                "source": t.factor.source,
            }
            for t in r.terms
        ],
    }


def report_json(rep: Any) -> dict[str, Any]:
    """The carbon report as JSON (used by the CLI and the API)."""
    from jiliang.energy import summary_line

    return {
        "period": rep.period,
        "on": rep.on.isoformat(),
        "summary": summary_line(rep.total, rep.out_of_date, rep.out_of_scope),
        "total": {**_result(rep.total), "out_of_date": rep.out_of_date, "out_of_scope": rep.out_of_scope},
        "units": [
            {
                "unit_id": u.unit_id,
                "code": u.code,
                "name": u.name,
                "lines": u.lines,
                "summary": summary_line(u.result, u.out_of_date, u.out_of_scope),
                "out_of_date": u.out_of_date,
                "out_of_scope": u.out_of_scope,
                **_result(u.result),
            }
            for u in rep.units
        ],
    }


@app.command("report")
def report(
    period: str = typer.Option(..., "--period", help="Period, 2025 or 2025-06."),
    unit_id: int | None = typer.Option(None, "--unit", help="One unit (default: the whole city)."),
    on: str | None = typer.Option(
        None, "--on", help="Date of the meters' status (default: end of the period)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Emissions of the period per unit and for the city: E ± U (k = 2) with meters out of date flagged."""
    from jiliang.energy import carbon_report

    with open_db().session(actor="cli") as session:
        rep = carbon_report(
            session, system_principal(), period, unit_id=unit_id, on=day_or_today(on) if on else None
        )
    doc = report_json(rep)
    if json_out:
        emit_json(doc)
        return
    for u in doc["units"]:
        console.print(f"{u['code']} {u['name']}: {u['summary']}")
    console.print(f"city {doc['period']}: {doc['summary']}")
