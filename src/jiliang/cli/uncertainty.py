"""``jiliang uncertainty``: evaluate measurement models (GUM, Monte Carlo, conformity)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from jiliang.errors import InputError

__all__ = ["app", "plot_evaluation"]

app = typer.Typer(
    name="uncertainty", help="Measurement uncertainty: GUM, Monte Carlo, conformity.", no_args_is_help=True
)


def _read(path: Path) -> str:
    from jiliang.uncertainty.model import MAX_MODEL_BYTES

    try:
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise InputError(f"{path}: larger than {MAX_MODEL_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


#: What each recommendation of a GUM warning asks the user to do.
_ADVICE = {
    "montecarlo": "the Monte Carlo method (JCGM 101), method.montecarlo",
    "second_order": "the second-order GUM (method.gum_order: 2) or the Monte Carlo method",
}


def _fmt(value: float | None, digits: int = 6) -> str:
    return "∞" if value is None else f"{value:.{digits}g}"


def _print(result: dict[str, Any]) -> None:
    echo = typer.echo
    echo(f"model: {result['model']}")
    for name, out in result["outputs"].items():
        g, mc, v = out["gum"], out["mc"], out["validation"]
        if g is not None:
            lo, hi = g["interval"]
            echo(
                f"{name}  GUM: y = {_fmt(g['value'], 8)}, u = {_fmt(g['u'], 4)}, ν_eff = {_fmt(g['dof'], 4)}, "
                f"k = {g['k']:.3f}, U = {_fmt(g['U'], 4)}, {100 * g['p']:g} % [{_fmt(lo, 8)}, {_fmt(hi, 8)}]"
            )
        if mc is not None:
            lo, hi = mc["interval"]
            slo, shi = mc["shortest"]
            echo(
                f"{name}  MC ({mc['trials']} trials): y = {_fmt(mc['value'], 8)}, u = {_fmt(mc['u'], 4)}, "
                f"symmetric [{_fmt(lo, 8)}, {_fmt(hi, 8)}], shortest [{_fmt(slo, 8)}, {_fmt(shi, 8)}]"
            )
        for w in g["warnings"] if g is not None else []:
            about = f" [{w['input']}]" if w["input"] else ""
            advice = _ADVICE.get(w["recommendation"], w["recommendation"])
            echo(f"{name}  warning {w['code']}{about}: {w['message']}; recommended: {advice}")
        if v is not None:
            verdict = "validated" if v["passed"] else "NOT validated"
            echo(
                f"{name}  JCGM 101 §8: GUM {verdict} (δ = {v['tolerance']:g}, d_low = {v['d_low']:.3g}, "
                f"d_high = {v['d_high']:.3g})"
            )
        for line in result["budget"].get(name, []):
            echo(
                f"    {line['input']:<16} c = {line['sensitivity']: .4g}  u = {line['u']:.4g}  "
                f"|c|u = {line['contribution']:.4g}  share = {100 * line['share']:.1f} %"
            )
    c = result["conformity"]
    if c is not None:
        echo(
            f"conformity of {c['output']} ({c['rule']}): {c['decision']}; acceptance {c['acceptance']}, "
            f"p_c = {c['p_conform']:.4g}, {c['specific_risk_kind']} = {c['specific_risk']:.3g}"
        )
        if c["global"] is not None:
            gl = c["global"]
            echo(f"  global risks: consumer {gl['consumer_risk']:.3g}, producer {gl['producer_risk']:.3g}")


def plot_evaluation(evaluation: Any, out: Path) -> None:
    """Histogram of the Monte Carlo values with the GUM pdf and both intervals, and a budget chart."""
    try:
        import matplotlib
    except ImportError:
        raise InputError("--plot needs matplotlib (pip install 'jiliang[files]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from scipy import stats

    names = evaluation.model.output_names
    rows = len(names) + (1 if len(names) > 1 else 0)
    fig, axes = plt.subplots(rows, 2, figsize=(11, 3.6 * rows), squeeze=False)
    for k, name in enumerate(names):
        ax, bx = axes[k]
        g = evaluation.gum.outputs[k] if evaluation.gum is not None else None
        mc = evaluation.mc.outputs[k] if evaluation.mc is not None else None
        if mc is not None and evaluation.mc.samples.shape[1]:
            lo_q, hi_q = np.quantile(evaluation.mc.samples[k], [0.0005, 0.9995])
            ax.hist(
                evaluation.mc.samples[k],
                bins=150,
                range=(lo_q, hi_q),
                density=True,
                color="#9ecae1",
                label="Monte Carlo",
            )
            for lo_hi, style, label in (
                (mc.interval, "-", "MC symmetric"),
                (mc.shortest, ":", "MC shortest"),
            ):
                for i, x in enumerate(lo_hi):
                    ax.axvline(x, color="#08519c", ls=style, label=label if i == 0 else None)
        if g is not None and g.u > 0:
            lo = g.y - 5 * g.u if mc is None else min(g.y - 5 * g.u, mc.interval[0] - mc.u)
            hi = g.y + 5 * g.u if mc is None else max(g.y + 5 * g.u, mc.interval[1] + mc.u)
            xs = np.linspace(lo, hi, 400)
            pdf = stats.norm.pdf(xs, g.y, g.u) if np.isinf(g.dof) else stats.t.pdf(xs, g.dof, g.y, g.u)
            ax.plot(xs, pdf, color="#d62728", label="GUM")
            for i, x in enumerate(g.interval):
                ax.axvline(x, color="#d62728", ls="--", label="GUM interval" if i == 0 else None)
        if mc is not None and evaluation.mc.samples.shape[1]:
            lo_q, hi_q = np.quantile(evaluation.mc.samples[k], [0.0005, 0.9995])
            pad = 0.15 * (hi_q - lo_q)
            ax.set_xlim(
                min(lo_q, *(g.interval if g else ())) - pad, max(hi_q, *(g.interval if g else ())) + pad
            )
        ax.set_title(f"{name}: distribution")
        ax.legend(fontsize=7)
        if g is not None:
            labels = [b.input for b in g.budget]
            bx.barh(labels, [b.contribution for b in g.budget], color="#6baed6")
            bx.invert_yaxis()
            bx.set_xlabel("|c| u")
        bx.set_title(f"{name}: uncertainty budget")
    if len(names) > 1:
        _plot_region(evaluation, axes[-1][0], axes[-1][1], np)
    fig.tight_layout()
    try:
        fig.savefig(out, dpi=110)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


def _plot_region(evaluation: Any, ax: Any, bx: Any, np: Any) -> None:
    """JCGM 102: the first two outputs' Monte Carlo values and 95 % coverage ellipses; correlations."""
    from matplotlib.patches import Ellipse as Patch

    names = evaluation.model.output_names
    if evaluation.mc is not None and evaluation.mc.samples.shape[1]:
        s = evaluation.mc.samples
        step = max(s.shape[1] // 4000, 1)
        ax.scatter(s[0, ::step], s[1, ::step], s=2, color="#9ecae1", label="Monte Carlo values")
        (x0, x1), (y0, y1) = np.quantile(s[0], [0.001, 0.999]), np.quantile(s[1], [0.001, 0.999])
        ax.set_xlim(x0 - 0.2 * (x1 - x0), x1 + 0.2 * (x1 - x0))
        ax.set_ylim(y0 - 0.2 * (y1 - y0), y1 + 0.2 * (y1 - y0))
    colours = {"gum": "#d62728", "mc": "#08519c"}
    for region in evaluation.regions:
        if not region.ellipses or region.ellipses[0].outputs != (names[0], names[1]):
            continue
        e = region.ellipses[0]
        ax.add_patch(
            Patch(
                e.center,
                2 * e.semi_axes[0],
                2 * e.semi_axes[1],
                angle=e.angle,
                fill=False,
                color=colours[region.method],
                label=f"{region.method.upper()} {100 * region.p:g} % ellipse",
            )
        )
        ax.plot(*e.center, "+", color=colours[region.method])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title("coverage region (JCGM 102)")
    ax.legend(fontsize=7)
    source = evaluation.mc if evaluation.mc is not None else evaluation.gum
    corr = np.array(source.correlation)
    im = bx.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
    bx.set_xticks(range(len(names)), names)
    bx.set_yticks(range(len(names)), names)
    for i in range(len(names)):
        for j in range(len(names)):
            bx.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center", fontsize=8)
    bx.set_title("output correlation")
    bx.figure.colorbar(im, ax=bx)


@app.command("run")
def run(
    model_file: Path = typer.Argument(..., help="Model file (YAML or JSON).", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a PNG with the histogram and the budget."),
    seed: int | None = typer.Option(None, "--seed", help="Seed for the Monte Carlo (overrides method.seed)."),
) -> None:
    """Evaluate MODEL_FILE: GUM, Monte Carlo, JCGM 101 §8 validation and the conformity decision."""
    from jiliang.cli.common import emit_json
    from jiliang.uncertainty import evaluate, load_model

    text = _read(model_file)
    fmt = "json" if model_file.suffix.lower() == ".json" else "yaml"
    model = load_model(text, fmt=fmt)
    if seed is not None and seed < 0:
        raise InputError(f"--seed must be ≥ 0, got {seed}")
    spec = model.method.montecarlo
    long_run = spec is not None and (spec.trials is None or spec.trials >= 5_000_000)
    if long_run and sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("Monte Carlo", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = evaluate(model, seed=seed, progress=tick)
    else:
        result = evaluate(model, seed=seed)
    if plot is not None:
        plot_evaluation(result, plot)
    data = result.as_dict()
    if as_json:
        emit_json(data)
    else:
        _print(data)
