"""``jiliang inspections``: verifiable random draws (双随机) from a plan file, and their replay."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from jiliang.cli.common import console, emit_json, fail

app = typer.Typer(name="inspections", help="Random inspections: draw and replay.", no_args_is_help=True)


@app.command("draw")
def draw_cmd(
    plan: Path = typer.Argument(..., help="Plan file (YAML): targets, inspectors, ratios, team_size …"),
    seed: str = typer.Option(..., "--seed", help="Seed in hex, at least 128 bits (32 hex digits)."),
    json_out: bool = typer.Option(False, "--json", help="Print the draw record as JSON."),
    out: Path | None = typer.Option(None, "--out", help="Also write the canonical record bytes here."),
) -> None:
    """Draw targets per credit class and assign inspector teams; print the record."""
    from jiliang.stats.draw import draw
    from jiliang.supervision.planfile import load_plan

    loaded = load_plan(plan)
    record = draw(loaded.targets, loaded.inspectors, loaded.policy, seed, loaded.public_value)
    if out is not None:
        out.write_bytes(record.to_json())
    if json_out:
        emit_json(record.as_dict())
        return
    console.print(f"seed commitment {record.seed_commitment}")
    for cls, counts in record.strata.items():
        console.print(f"class {cls}: {counts['drawn']} of {counts['eligible']}")
    for row in record.selected:
        console.print(f"{row['target']}: {', '.join(row['inspectors'])}")


@app.command("replay")
def replay_cmd(
    record_file: Path = typer.Argument(..., help="A draw record (JSON)."),
    targets: Path | None = typer.Option(None, "--targets", help="Targets CSV to re-run the draw with."),
    inspectors: Path | None = typer.Option(None, "--inspectors", help="Inspectors CSV to re-run with."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Re-run a record and say whether it matches; exit 1 naming each difference."""
    from jiliang.stats.draw import replay
    from jiliang.supervision.planfile import read_inspectors, read_targets

    if (targets is None) != (inspectors is None):
        fail("give both --targets and --inspectors, or neither")
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"record file {record_file} not found")
    except (ValueError, UnicodeDecodeError):
        fail(f"record file {record_file} is not JSON")
    if not isinstance(record, dict):
        fail("the record must be a JSON object")
    t_rows = read_targets(targets) if targets is not None else None
    i_rows = read_inspectors(inspectors) if inspectors is not None else None
    result = replay(record, t_rows, i_rows)
    if json_out:
        emit_json({"matches": result.matches, "rerun": result.rerun, "problems": list(result.problems)})
    elif result.matches:
        what = "re-ran the draw: identical" if result.rerun else "commitment and stratum sizes check out"
        console.print(f"matches: {what}")
    if not result.matches:
        if not json_out:
            fail("does not match: " + "; ".join(result.problems), 1)
        raise typer.Exit(1)


@app.command("seed")
def seed_cmd(
    seed: str | None = typer.Option(
        None, "--seed", help="A seed you already have (hex); default: a new one."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Make a 256-bit seed (or take yours) and print its commitment SHA-256(seed) to publish first."""
    import secrets

    from jiliang.stats.draw import parse_seed, seed_commitment

    value = parse_seed(seed).hex() if seed else secrets.token_hex(32)
    commitment = seed_commitment(value)
    if json_out:
        emit_json({"seed": value, "seed_commitment": commitment})
        return
    console.print(f"seed (keep secret until the draw): {value}")
    console.print(f"seed_commitment (publish now):      {commitment}")
