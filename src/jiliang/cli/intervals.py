"""``jiliang intervals``: recommended calibration intervals (RP-1 A3, S2, variables data).

The result is a recommendation with its evidence; statutory verification periods are not changed.
"""

from __future__ import annotations

from pathlib import Path

import typer

from jiliang.cli.common import emit_json, read_text_file
from jiliang.errors import InputError

__all__ = ["app"]

app = typer.Typer(
    name="intervals",
    help="Calibration intervals from calibration histories or drift data (a recommendation only).",
    no_args_is_help=True,
)


def _read(path: Path) -> str:
    """The UTF-8 text of a CSV file, with a one-line reason when it cannot be read."""
    from jiliang.comparisons import MAX_CSV_BYTES

    return read_text_file(path, MAX_CSV_BYTES)


def _show(doc: dict[str, object], as_json: bool) -> None:
    if as_json:
        emit_json(doc)
        return
    for key, value in doc.items():
        typer.echo(f"{key}: {value}")


@app.command("a3")
def a3(
    history: Path = typer.Argument(
        ..., help="HISTORY.csv: asset_id,calibrated_on,interval_days,in_tolerance."
    ),
    target: float = typer.Option(..., "--target", help="Reliability target Rt, e.g. 0.95."),
    confidence: float = typer.Option(0.5, "--confidence", help="Rejection confidence needed to change."),
    interval: float | None = typer.Option(
        None, "--interval", help="Assigned interval I0 in days (default: median)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """RP-1 method A3: interval test against the reliability target."""
    from jiliang.comparisons import a3_json, parse_history
    from jiliang.stats import method_a3

    h = parse_history(_read(history), history.name)
    r = method_a3(
        h.interval_days, h.in_tolerance, target=target, confidence=confidence, assigned_interval=interval
    )
    _show(a3_json(r), as_json)


@app.command("s2")
def s2(
    history: Path = typer.Argument(
        ..., help="HISTORY.csv: asset_id,calibrated_on,interval_days,in_tolerance."
    ),
    target: float = typer.Option(..., "--target", help="Reliability target Rt, e.g. 0.95."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """RP-1 method S2: exponential, Weibull and mixed-exponential reliability models by maximum likelihood."""
    from jiliang.comparisons import parse_history, s2_json
    from jiliang.stats import method_s2

    h = parse_history(_read(history), history.name)
    _show(s2_json(method_s2(h.interval_days, h.in_tolerance, target=target)), as_json)


def _limits(text: str) -> tuple[float | None, float | None]:
    parts = text.split(",")
    if len(parts) != 2:
        raise InputError(f"--limits {text!r}: give LOWER,UPPER (either may be empty)")
    try:
        lo, hi = (float(p) if p.strip() else None for p in parts)
    except ValueError:
        raise InputError(f"--limits {text!r}: not numbers") from None
    return lo, hi


@app.command("variables")
def variables(
    drift: Path = typer.Argument(..., help="DRIFT.csv: days,deviation."),
    u0: float = typer.Option(..., "--u0", help="Standard uncertainty just after calibration."),
    target_uncertainty: float | None = typer.Option(None, "--target-uncertainty", help="Uncertainty target."),
    limits: str | None = typer.Option(
        None, "--limits", help="LOWER,UPPER tolerance limits (one may be empty)."
    ),
    y0: float = typer.Option(0.0, "--y0", help="Value (or deviation) just after calibration."),
    degree: int = typer.Option(1, "--degree", help="Degree of the drift polynomial (no intercept)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence for the limits criterion."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Variables-data method: drift regression with growing uncertainty."""
    from jiliang.comparisons import parse_drift, variables_json
    from jiliang.stats import variables_interval

    t, y = parse_drift(_read(drift), drift.name)
    r = variables_interval(
        t,
        y,
        u0=u0,
        target_uncertainty=target_uncertainty,
        limits=_limits(limits) if limits is not None else None,
        y0=y0,
        degree=degree,
        confidence=confidence,
    )
    _show(variables_json(r), as_json)
