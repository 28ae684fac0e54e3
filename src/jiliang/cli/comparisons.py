"""``jiliang comparisons``: reference values, degrees of equivalence and PT scores from a CSV file."""

from __future__ import annotations

from pathlib import Path

import typer

from jiliang.cli.common import emit_json, read_text_file

__all__ = ["app", "read_text"]

app = typer.Typer(
    name="comparisons",
    help="Interlaboratory comparisons and proficiency testing: reference values, DoEs, scores.",
    no_args_is_help=True,
)


def read_text(path: Path) -> str:
    """The UTF-8 text of a CSV file, with a one-line reason when it cannot be read."""
    from jiliang.comparisons import MAX_CSV_BYTES

    return read_text_file(path, MAX_CSV_BYTES)


def _g(v: float | None, digits: int = 4) -> str:
    return "—" if v is None else f"{v:.{digits}g}"


@app.command("evaluate")
def evaluate(
    results: Path = typer.Argument(..., help="RESULTS.csv: lab,value,u [,U,k,dof,included]."),
    estimator: str = typer.Option(
        ...,
        "--estimator",
        help="mean, median, weighted_mean, lcs, dersimonian_laird, "
        "paule_mandel, reml, hierarchical_gauss, linear_pool, algorithm_a.",
    ),
    exclude: list[str] = typer.Option(
        [], "--exclude", help="Lab left out of the reference value (repeatable)."
    ),
    seed: int = typer.Option(1, "--seed", help="Seed of the random generator (linear_pool)."),
    stopping: str = typer.Option(
        "converged", "--stopping", help="algorithm_a stopping rule: converged or iso."
    ),
    knapp_hartung: bool = typer.Option(False, "--knapp-hartung", help="Knapp–Hartung u(y) for DL, PM, REML."),
    no_tau: bool = typer.Option(False, "--no-tau", help="Leave the dark uncertainty τ out of u(d_i)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Reference value by the chosen estimator, unilateral DoEs, and the NIST decision-tree model choice."""
    import numpy as np

    from jiliang.comparisons import evaluation_json, parse_results
    from jiliang.stats import choose_model, evaluate_comparison

    data = parse_results(read_text(results), results.name)
    if exclude:
        data = data.excluding(exclude)
    ev = evaluate_comparison(
        data,
        estimator,
        rng=np.random.default_rng(seed),
        stopping=stopping,
        knapp_hartung=knapp_hartung,
        include_tau=not no_tau,
    )
    doc = evaluation_json(ev, choose_model(data), seed if estimator == "linear_pool" else None)
    if as_json:
        emit_json(doc)
        return
    ref = doc["reference"]
    lo, hi = ref["interval"]
    typer.echo(
        f"{estimator}: y = {ref['value']:.8g}, u(y) = {_g(ref['u'])}, U = {_g(ref['U'])} (k = {ref['k']:.3g}), "
        f"[{lo:.8g}, {hi:.8g}], τ = {_g(ref['tau'])}"
    )
    typer.echo(
        f"χ² = {ref['chi2']:.4g}, ν = {ref['dof']}, p = {ref['p_value']:.3g}, "
        f"{'consistent' if ref['consistent'] else 'not consistent'}, Birge ratio {ref['birge_ratio']:.3g}"
    )
    for d in doc["labs"]:
        mark = " " if d["included"] else "*"
        typer.echo(
            f"{mark}{d['lab']:<12} d = {d['d']: .4g}  u(d) = {d['u_d']:.3g}  U(d) = {d['U_d']:.3g}  "
            f"En = {d['En']: .3f}  ζ = {d['zeta']: .3f}"
        )
    mc = doc["model_choice"]
    typer.echo(f"decision tree: {mc['nist_model']} → {mc['estimator']} ({mc['reason']})")
    typer.echo(f"convention: {doc['convention']}")


@app.command("scores")
def scores(
    results: Path = typer.Argument(..., help="RESULTS.csv: lab,value [,u,U,k]."),
    assigned: float = typer.Option(..., "--assigned", help="Assigned value x_pt."),
    u_assigned: float | None = typer.Option(None, "--u-assigned", help="Standard uncertainty u(x_pt)."),
    sigma_pt: float | None = typer.Option(
        None, "--sigma-pt", help="Standard deviation for proficiency assessment."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """ISO 13528 z, z′, ζ and En scores of each participant, with their classes."""
    from jiliang.comparisons import parse_results, scores_json
    from jiliang.stats import pt_scores

    data = parse_results(read_text(results), results.name)
    s = pt_scores(data.labs, data.x, data.u, assigned=assigned, u_assigned=u_assigned, sigma_pt=sigma_pt)
    doc = scores_json(s, assigned, u_assigned, sigma_pt)
    if as_json:
        emit_json(doc)
        return
    for row in doc["labs"]:
        typer.echo(
            f"{row['lab']:<12} x = {row['x']:.6g}  z = {_g(row['z'], 3)} ({row['z_class'] or '—'})  "
            f"z′ = {_g(row['z_prime'], 3)}  ζ = {_g(row['zeta'], 3)} ({row['zeta_class'] or '—'})  "
            f"En = {_g(row['En'], 3)} ({row['En_class'] or '—'})"
        )
