"""``jiliang sampling``: GB/T 2828.1-2012 sampling plans and the OC curve of a single plan."""

from __future__ import annotations

import typer

from jiliang.cli.common import emit_json
from jiliang.errors import InputError

__all__ = ["app"]

app = typer.Typer(
    name="sampling",
    help="Statutory attribute sampling plans (GB/T 2828.1-2012 ≡ ISO 2859-1) and OC curves.",
    no_args_is_help=True,
)

#: Fractions nonconforming at which ``jiliang sampling oc`` prints Pa unless told otherwise.
DEFAULT_P = "0,0.005,0.01,0.02,0.05,0.1,0.2"


def _whole(text: str, name: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(f"{name} {text!r}: not a whole number") from None
    return value


@app.command("plan")
def plan_command(
    lot_size: str = typer.Option(..., "--lot-size", help="Lot size N (items in the lot)."),
    aql: str = typer.Option(..., "--aql", help="AQL as printed in Tables 2-A…2-C, e.g. 1.0 or 0.65."),
    level: str = typer.Option("II", "--level", help="Inspection level: S-1…S-4, I, II, III."),
    severity: str = typer.Option("normal", "--severity", help="normal, tightened or reduced."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Code letter and single sampling plan (n, Ac, Re) for a lot; 100 % inspection when n ≥ N."""
    from jiliang.stats import sampling_plan

    if severity not in ("normal", "tightened", "reduced"):
        raise InputError(f"severity {severity!r}: use normal, tightened or reduced")
    p = sampling_plan(_whole(lot_size, "lot size"), aql, level=level, severity=severity)  # type: ignore[arg-type]
    if as_json:
        emit_json(p.as_dict())
        return
    via = f" (arrow {p.arrow} to {p.plan_letter})" if p.arrow else ""
    typer.echo(f"{p.edition} Table 1: code letter {p.code_letter}; Table {p.table} (p. {p.page}){via}")
    typer.echo(
        f"n = {p.n}, Ac = {p.ac}, Re = {p.re}" + ("  (100 % inspection: n ≥ N)" if p.hundred_percent else "")
    )


def _fractions(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--p {text!r}: give fractions separated by commas, e.g. 0,0.01,0.05") from None
    if not values or len(values) > 1000:
        raise InputError("--p: give between 1 and 1000 fractions")
    return values


@app.command("oc")
def oc_command(
    n: str = typer.Option(..., "--n", help="Sample size n."),
    ac: str = typer.Option(..., "--ac", help="Acceptance number Ac."),
    lot_size: str | None = typer.Option(None, "--lot-size", help="Lot size N: hypergeometric OC."),
    p: str = typer.Option(DEFAULT_P, "--p", help="Fractions nonconforming, comma-separated."),
    as_json: bool = typer.Option(False, "--json", help="Print the curve as JSON."),
) -> None:
    """Probability of acceptance Pa(p) of the single plan (n, Ac)."""
    from jiliang.stats import oc_curve

    lot = _whole(lot_size, "lot size") if lot_size is not None else None
    curve = oc_curve(_whole(n, "n"), _whole(ac, "Ac"), _fractions(p), lot_size=lot)
    points = [{"p": float(x), "pa": float(y)} for x, y in zip(curve.p, curve.pa, strict=True)]
    if as_json:
        emit_json({"n": curve.n, "ac": curve.ac, "lot_size": lot, "model": curve.model, "points": points})
        return
    typer.echo(f"plan n = {curve.n}, Ac = {curve.ac} ({curve.model})")
    for pt in points:
        typer.echo(f"p = {pt['p']:<8g} Pa = {pt['pa']:.4f}")


def _counts(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--defects {text!r}: give whole numbers separated by commas, e.g. 0,1,3") from None
    if not values or len(values) > 10_000 or min(values) < 0:
        raise InputError("--defects: give between 1 and 10000 counts, each ≥ 0")
    return values


@app.command("switch")
def switch_command(
    lot_size: str = typer.Option(..., "--lot-size", help="Lot size N (the same for every lot)."),
    aql: str = typer.Option(..., "--aql", help="AQL as printed in Tables 2-A…2-C."),
    defects: str = typer.Option(..., "--defects", help="Counts found in consecutive lots, e.g. 0,1,3,0."),
    level: str = typer.Option("II", "--level", help="Inspection level: S-1…S-4, I, II, III."),
    reduced_approved: bool = typer.Option(
        False, "--reduced-approved", help="The responsible authority approves reduced inspection (9.3.3 c)."
    ),
    unsteady: bool = typer.Option(False, "--unsteady", help="Production not at a steady rate (9.3.3 b)."),
    as_json: bool = typer.Option(False, "--json", help="Print the steps as JSON."),
) -> None:
    """Run consecutive lots through the switching rules of GB/T 2828.1-2012 clause 9."""
    from jiliang.stats import SwitchingState, sampling_plan, switching_step

    lot = _whole(lot_size, "lot size")
    state, steps = SwitchingState(), []
    for i, d in enumerate(_counts(defects), start=1):
        if state.discontinued:
            break
        p = sampling_plan(lot, aql, level=level, severity=state.severity)
        step = switching_step(
            state,
            d=d,
            ac=p.ac,
            tighter_ac=p.tighter_ac,
            production_steady=not unsteady,
            reduced_approved=reduced_approved,
        )
        steps.append(
            {
                "lot": i,
                "severity": state.severity,
                "n": p.n,
                "ac": p.ac,
                "re": p.re,
                "d": d,
                "accepted": step.accepted,
                "score": step.after.score,
                "next": "discontinued" if step.after.discontinued else step.after.severity,
                "clause": step.clause,
                "reason": step.reason,
            }
        )
        state = step.after
    if as_json:
        emit_json(steps)
        return
    for s in steps:
        verdict = "accepted" if s["accepted"] else "not accepted"
        typer.echo(
            f"lot {s['lot']}: {s['severity']} n={s['n']} Ac={s['ac']} d={s['d']} {verdict} → {s['next']}"
            f" ({s['clause']}: {s['reason']})"
        )
