"""``jiliang energy``: key energy-using units, meter inventories, configuration rates, reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jiliang.cli.common import (
    clock,
    console,
    day_or_today,
    emit_json,
    fail,
    open_db,
    read_text_file,
    system_principal,
)

__all__ = ["app", "read_csv", "review_app"]

app = typer.Typer(
    name="energy",
    help="Energy metering review (GB 17167): units, inventories, reviews.",
    no_args_is_help=True,
)
review_app = typer.Typer(
    name="review", help="Reviews: create, finding, advance, show, report.", no_args_is_help=True
)
app.add_typer(review_app)


def read_csv(path: Path) -> str:
    """The UTF-8 text of a CSV file, with a one-line reason when it cannot be read."""
    from jiliang.energy import MAX_CSV_BYTES

    return read_text_file(path, MAX_CSV_BYTES)


def _need(items: list[str]) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for item in items:
        try:
            key, n = item.split("=")
            et, level = key.split("/")
            out[(et.strip(), int(level))] = int(n)
        except ValueError:
            fail(f"--need {item!r} is not TYPE/LEVEL=COUNT (e.g. electricity/3=20)")
    return out


@app.command("units")
def units(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the key energy-using units."""
    from jiliang.energy import list_units

    with open_db().session(actor="cli") as session:
        rows = list_units(session, system_principal())
    if json_out:
        emit_json([_row(r) for r in rows])
        return
    for r in rows:
        console.print(f"{r.id}  {r.code}  {r.name}  meters {r.meters}")


def _row(r: Any) -> dict[str, Any]:
    return {f: getattr(r, f) for f in r.__slots__}


@app.command("register")
def register(
    org_id: int = typer.Argument(..., help="Organization id of the unit."),
    code: str = typer.Option(..., "--code", help="Unit code, e.g. ZDYN-001."),
    energy_type: list[str] = typer.Option(
        ..., "--energy-type", help="Energy type of GB 17167 Table 3 (repeatable)."
    ),
    consumption: float | None = typer.Option(None, "--tce", help="Yearly consumption in tce."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Register an organization as a key energy-using unit (重点用能单位)."""
    from jiliang.energy import register_unit

    with open_db().session(actor="cli") as session:
        unit = register_unit(
            session,
            system_principal(),
            org_id=org_id,
            code=code,
            energy_types=energy_type,
            consumption_tce=consumption,
            now=clock().now(),
        )
        uid = unit.id
    if json_out:
        emit_json({"id": uid, "code": code})
        return
    console.print(f"registered unit {uid} ({code})")


@app.command("import-meters")
def import_meters(
    unit_id: int = typer.Argument(..., help="Unit id."),
    csv_file: Path = typer.Argument(
        ..., help="INVENTORY.csv: instrument,energy_type,level,point[,requirement,accuracy_class]."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Link registry instruments to the unit's inventory; the whole file or nothing."""
    from jiliang.energy import import_inventory

    text = read_csv(csv_file)
    with open_db().session(actor="cli") as session:
        n = import_inventory(session, system_principal(), unit_id, text)
    if json_out:
        emit_json({"unit_id": unit_id, "meters": n})
        return
    console.print(f"linked {n} meters to unit {unit_id}")


@app.command("require")
def require(
    unit_id: int = typer.Argument(..., help="Unit id."),
    need: list[str] = typer.Option(
        ..., "--need", help="TYPE/LEVEL=COUNT, the theoretical number of meters (repeatable)."
    ),
) -> None:
    """Set the theoretical number of meters (理论需要量) per energy type and level."""
    from jiliang.energy import set_requirements

    counts = _need(need)
    with open_db().session(actor="cli") as session:
        n = set_requirements(session, system_principal(), unit_id, counts)
    console.print(f"set {n} requirement(s) of unit {unit_id}")


def _rates_json(view: Any) -> dict[str, Any]:
    return {
        "unit": view.unit.code,
        "name": view.name,
        "on": view.on.isoformat(),
        "edition": view.edition,
        "edition_verified": view.edition_verified,
        "rates": [_row(r) for r in view.rates],
        "meters": [_row(m) for m in view.meters],
    }


@app.command("rates")
def rates(
    unit_id: int = typer.Argument(..., help="Unit id."),
    on: str | None = typer.Option(
        None, "--on", help="Review date YYYY-MM-DD (edition in force then); default today."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Configuration rate per energy type and level against GB 17167 Table 3, and the meters' status."""
    from jiliang.energy import unit_view

    with open_db().session(actor="cli") as session:
        view = unit_view(session, system_principal(), unit_id, day_or_today(on))
        doc = _rates_json(view)
    if json_out:
        emit_json(doc)
        return
    console.print(
        f"{doc['name']} ({doc['unit']}) on {doc['on']}, {doc['edition']}"
        f"{'' if doc['edition_verified'] else ' (table values unverified)'}"
    )
    for r in doc["rates"]:
        rate = "—" if r["rate"] is None else f"{r['rate']:.1f} %"
        need = "—" if r["required_rate"] is None else f"{r['required_rate']:g} %"
        verdict = {True: "ok", False: "BELOW", None: "—"}[r["ok"]]
        console.print(
            f"{r['energy_type']:<12} L{r['level']}  {r['installed']}/{r['required']}  {rate} (≥ {need})  {verdict}"
        )
    late = [m for m in doc["meters"] if m["status"] != "valid"]
    console.print(f"{len(doc['meters'])} meters, {len(late)} not valid on {doc['on']}")


@review_app.command("create")
def review_create(
    unit_id: int = typer.Argument(..., help="Unit id."),
    code: str = typer.Option(..., "--code", help="Review code."),
    on: str = typer.Option(..., "--date", help="Review date YYYY-MM-DD."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Open a review of a unit on a date (the edition of GB 17167 in force then applies)."""
    from jiliang.energy import create_review

    with open_db().session(actor="cli") as session:
        r = create_review(
            session, system_principal(), unit_id, code=code, review_date=day_or_today(on), now=clock().now()
        )
        doc = {"id": r.id, "code": r.code, "edition": r.edition, "state": r.state}
    if json_out:
        emit_json(doc)
        return
    console.print(f"review {doc['id']} ({doc['code']}) under {doc['edition']}: {doc['state']}")


@review_app.command("finding")
def review_finding(
    review_id: int = typer.Argument(..., help="Review id."),
    severity: str = typer.Option(..., "--severity", help="major, minor or note."),
    clause: str = typer.Option(..., "--clause", help="Clause, e.g. 'GB 17167 5.3'."),
    text: str = typer.Option(..., "--text", help="What was found."),
) -> None:
    """Record a finding (while the review is a draft or collecting findings)."""
    from jiliang.energy import add_finding

    with open_db().session(actor="cli") as session:
        f = add_finding(
            session,
            system_principal(),
            review_id,
            severity=severity,
            clause=clause,
            text=text,
            now=clock().now(),
        )
        fid = f.id
    console.print(f"finding {fid} recorded")


@review_app.command("advance")
def review_advance(
    review_id: int = typer.Argument(..., help="Review id."),
    to: str = typer.Argument(..., help="findings, report or closed."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Move a review on: draft → findings (checks add findings) → report → closed."""
    from jiliang.energy import advance_review

    with open_db().session(actor="cli") as session:
        r = advance_review(session, system_principal(), review_id, to, clock().now())
        doc = {"id": r.id, "state": r.state, "conclusion": r.conclusion}
    if json_out:
        emit_json(doc)
        return
    console.print(
        f"review {review_id}: {doc['state']}" + (f" — {doc['conclusion']}" if doc["conclusion"] else "")
    )


@review_app.command("show")
def review_show(
    review_id: int = typer.Argument(..., help="Review id."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """A review with its findings and the unit's rates on the review date."""
    from jiliang.energy import review_view

    with open_db().session(actor="cli") as session:
        v = review_view(session, system_principal(), review_id)
        doc = {
            "id": v.review.id,
            "code": v.review.code,
            "state": v.review.state,
            "review_date": v.review.review_date.isoformat(),
            "edition": v.review.edition,
            "conclusion": v.review.conclusion,
            "findings": [
                {"severity": f.severity, "clause": f.clause, "text": f.text, "auto": f.auto}
                for f in v.findings
            ],
            "allowed": list(v.allowed),
            **{k: val for k, val in _rates_json(v.unit).items() if k in ("rates",)},
        }
    if json_out:
        emit_json(doc)
        return
    console.print(
        f"{doc['code']} {doc['state']} ({doc['edition']}, {doc['review_date']}): {doc['conclusion'] or ''}"
    )
    for f in doc["findings"]:
        console.print(f"[{f['severity']}] {f['clause']}: {f['text']}")


@review_app.command("report")
def review_report(
    review_id: int = typer.Argument(..., help="Review id."),
    out: Path = typer.Option(..., "--out", help="PDF file to write."),
) -> None:
    """Write the review report (PDF, Chinese) of a review in report or closed state."""
    from jiliang.energy import review_view
    from jiliang.energy.report import review_pdf

    with open_db().session(actor="cli") as session:
        data = review_pdf(review_view(session, system_principal(), review_id))
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")
