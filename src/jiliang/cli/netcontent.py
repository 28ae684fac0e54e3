"""``jiliang netcontent``: judge a lot of prepackaged goods from a balance's CSV (JJF 1070)."""

from __future__ import annotations

from pathlib import Path

import typer

from jiliang.cli.common import console, emit_json, fail

app = typer.Typer(
    name="netcontent", help="Net content of prepackaged goods (JJF 1070).", no_args_is_help=True
)


@app.command("judge")
def judge_cmd(
    lot_csv: Path = typer.Argument(..., help="LOT.csv: one item a row, column net, or gross and tare."),
    nominal: str = typer.Option(..., "--nominal", help="Nominal quantity Qn as marked, e.g. 500."),
    unit: str = typer.Option(..., "--unit", help="Unit of Qn: g, kg, mL, L, m, m2 or count."),
    lot_size: int | None = typer.Option(
        None, "--lot-size", help="Lot size N (default: the plan whose n is the number of rows)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Judge the lot: T, the plan, mean ≥ Qn − λ·s, T1 errors ≤ c, no T2 error; exit 1 if it fails."""
    from jiliang.stats.netcontent import MAX_CSV_BYTES, Nominal, judge, read_lot_csv

    try:
        size = lot_csv.stat().st_size
    except OSError:
        fail(f"file {lot_csv} not found")
    if size > MAX_CSV_BYTES:
        fail(f"the CSV is {size} bytes; at most {MAX_CSV_BYTES} are accepted")
    values = read_lot_csv(lot_csv.read_bytes())
    verdict = judge(Nominal(nominal, unit), values, lot_size)
    if json_out:
        emit_json(verdict.as_dict())
    else:
        for step in verdict.steps:
            mark = "✓" if step.ok else "✗"
            console.print(f"{mark} {step.value}  [{step.clause}]", markup=False)
        console.print(f"decision: {verdict.decision}", markup=False)
    if verdict.decision != "pass":
        raise typer.Exit(1)


@app.command("plan")
def plan_cmd(
    lot_size: int = typer.Option(..., "--lot-size", help="Lot size N."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The sampling plan (n, c, λ) for a lot size, with its edition."""
    from jiliang.stats.netcontent import sampling_plan

    p = sampling_plan(lot_size)
    out = {
        "lot_size": p.lot_size,
        "n": p.n,
        "c": p.c,
        "lambda": float(p.lambda_) if p.lambda_ is not None else None,
        "edition": p.edition,
    }
    if json_out:
        emit_json(out)
    else:
        console.print(f"N = {p.lot_size}: n = {p.n}, c = {p.c}, λ = {p.lambda_} ({p.edition})", markup=False)


@app.command("tolerance")
def tolerance_cmd(
    nominal: str = typer.Option(..., "--nominal", help="Nominal quantity Qn."),
    unit: str = typer.Option(..., "--unit", help="g, kg, mL, L, m, m2 or count."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The tolerable deficiency T for a nominal quantity, with its rule and edition."""
    from jiliang.stats.netcontent import tolerable_deficiency

    t = tolerable_deficiency(nominal, unit)
    if json_out:
        emit_json({"T": float(t.T), "unit": unit, "rule": t.rule, "edition": t.edition})
    else:
        console.print(f"T = {t.T} {unit} ({t.rule}; {t.edition})", markup=False)


@app.command("oc")
def oc_cmd(
    nominal: str = typer.Option(..., "--nominal", help="Nominal quantity Qn."),
    unit: str = typer.Option(..., "--unit", help="g, kg, mL, L, m, m2 or count."),
    lot_size: int = typer.Option(..., "--lot-size", help="Lot size N."),
    mean: float = typer.Option(..., "--mean", help="Mean of the filling process."),
    sd: float = typer.Option(..., "--sd", help="Standard deviation of the filling process."),
    seed: int = typer.Option(1, "--seed", help="Seed of the simulation."),
    lots: int = typer.Option(20000, "--lots", help="Lots simulated."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Probability that a lot from this filling process passes (the plan's OC, simulated)."""
    import numpy as np

    from jiliang.stats.netcontent import Nominal, lot_spec, pass_probability

    spec = lot_spec(Nominal(nominal, unit), lot_size)
    r = pass_probability(spec, mean, sd, np.random.default_rng(seed), lots)
    out = {"p": r.p, "se": r.se, "lots": r.lots, "seed": seed, "n": spec.plan.n}
    if json_out:
        emit_json(out)
    else:
        console.print(f"P(pass) = {r.p:.4f} ± {r.se:.4f} ({r.lots} lots, seed {seed})", markup=False)


@app.command("draw")
def draw_cmd(
    lot_size: int = typer.Option(..., "--lot-size", help="Lot size N."),
    seed: str = typer.Option(..., "--seed", help="The seed stored with the inspection (hex)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Replay an inspection's sample draw: the item positions 1…N its seed selects (plan's n)."""
    from jiliang.stats.netcontent import draw_sample, sampling_plan

    plan = sampling_plan(lot_size)
    items = draw_sample(seed, lot_size, plan.n)
    if json_out:
        emit_json({"lot_size": lot_size, "n": plan.n, "seed": seed.strip().lower(), "items": list(items)})
    else:
        console.print(", ".join(map(str, items)), markup=False)
