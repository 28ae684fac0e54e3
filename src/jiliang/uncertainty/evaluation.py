"""One call that evaluates a model file the way it asks, and the JSON shape of the result.

:func:`evaluate` runs the GUM (JCGM 100), the Monte Carlo method (JCGM 101/102), the validation
of the GUM by the Monte Carlo (JCGM 101 §8), coverage regions for several outputs (JCGM 102) and
the conformity decision (JCGM 106); :meth:`Evaluation.as_dict` gives the documented JSON output.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from jiliang.uncertainty.conformity import Decision, GlobalRisk, decide, global_risks
from jiliang.uncertainty.errors import UncertaintyModelError
from jiliang.uncertainty.model import Model, MonteCarloSpec
from jiliang.uncertainty.propagation import GumOutput, GumResult, gum
from jiliang.uncertainty.regions import CoverageRegion, coverage_region
from jiliang.uncertainty.simulation import DEFAULT_STORE, McOutput, McResult, montecarlo, numerical_tolerance

__all__ = [
    "INTERACTIVE_MAX_TRIALS",
    "VALIDATION_TRIALS",
    "Evaluation",
    "Validation",
    "capped",
    "evaluate",
    "validate",
]

#: Most Monte Carlo trials one interactive evaluation may use (console page, API, saved budgets).
INTERACTIVE_MAX_TRIALS = 2_000_000
#: Trials of the Monte Carlo run to validate a GUM result that carries warnings (JCGM 101 §8).
VALIDATION_TRIALS = 200_000


@dataclass(frozen=True, slots=True)
class Validation:
    """JCGM 101 §8: the GUM interval y ± U_p against the Monte Carlo interval [y_low, y_high].

    d_low = |y − U_p − y_low|, d_high = |y + U_p − y_high|; ``passed`` when both are at most the
    numerical tolerance δ of the GUM u(y) at ``digits`` significant digits (§7.9.2).
    """

    output: str
    passed: bool
    tolerance: float
    d_low: float
    d_high: float
    digits: int


def validate(g: GumOutput, mc: McOutput, digits: int = 2, interval: str = "symmetric") -> Validation:
    """Validate the GUM result ``g`` by the Monte Carlo result ``mc`` (JCGM 101:2008 §8.2)."""
    lo, hi = mc.shortest if interval == "shortest" else mc.interval
    d_low = abs(g.y - g.U - lo)
    d_high = abs(g.y + g.U - hi)
    delta = numerical_tolerance(g.u, digits)
    return Validation(g.name, bool(d_low <= delta and d_high <= delta), delta, d_low, d_high, digits)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything :func:`evaluate` computed; ``None`` where the method did not ask for it."""

    model: Model
    gum: GumResult | None
    mc: McResult | None
    validations: tuple[Validation, ...]
    regions: tuple[CoverageRegion, ...]
    decision: Decision | None
    global_risk: GlobalRisk | None
    p_c_mc: float | None
    #: True when the Monte Carlo was run only to validate a GUM result carrying warnings.
    mc_for_warnings: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON output (see ``docs/guide/uncertainty.md``); infinite dof is ``null``."""
        return _as_dict(self)


def evaluate(
    model: Model,
    *,
    seed: int | np.random.SeedSequence | None = None,
    store: int = DEFAULT_STORE,
    max_trials: int | None = None,
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Evaluate ``model`` as its ``method`` asks.

    ``progress(done, total)`` is passed on to :func:`~jiliang.uncertainty.simulation.montecarlo`.

    ``max_trials`` is the one Monte Carlo cap of every caller (console, API, saved budgets use
    :data:`INTERACTIVE_MAX_TRIALS`): a fixed number of trials above it is refused, the adaptive
    procedure stops there. ``max_workers`` bounds the threads.
    """
    model = capped(model, max_trials, max_workers)
    method = model.method
    spec = method.montecarlo
    g = gum(model) if method.gum else None
    mc = montecarlo(model, seed=seed, store=store, progress=progress) if spec is not None else None
    for_warnings = False
    if (
        mc is None
        and g is not None
        and method.validate_warnings
        and any(o.warnings for o in g.outputs)
        and (max_trials is None or max_trials >= VALIDATION_TRIALS)
    ):
        checked = dataclasses.replace(
            model, method=dataclasses.replace(method, montecarlo=MonteCarloSpec(trials=VALIDATION_TRIALS))
        )
        mc = montecarlo(checked, seed=seed, store=store, progress=progress)
        for_warnings = True
    validations: tuple[Validation, ...] = ()
    if g is not None and mc is not None:
        validations = tuple(
            validate(go, mo, method.validation_digits, method.interval)
            for go, mo in zip(g.outputs, mc.outputs, strict=True)
        )
    regions = []
    names = model.output_names
    if len(names) > 1:
        if g is not None:
            r = coverage_region("gum", names, [o.y for o in g.outputs], g.covariance, method.coverage)
            if r is not None:
                regions.append(r)
        if mc is not None:
            r = coverage_region(
                "mc", names, [o.y for o in mc.outputs], mc.covariance, method.coverage, mc.samples
            )
            if r is not None:
                regions.append(r)
    decision = risk = p_mc = None
    c = model.conformity
    if c is not None:
        k = names.index(c.output)
        if g is not None:
            y, u, dof = g.outputs[k].y, g.outputs[k].u, g.outputs[k].dof
        else:
            assert mc is not None
            y, u, dof = mc.outputs[k].y, mc.outputs[k].u, math.inf
        decision = decide(y, u, c.lower, c.upper, c.rule, c.guard_band, c.k, dof)
        if c.prior_mean is not None and c.prior_sd is not None and u > 0:
            risk = global_risks(c.prior_mean, c.prior_sd, u, c.lower, c.upper, decision.acceptance)
        if mc is not None and mc.samples.shape[1]:
            s = mc.samples[k]
            lo, hi = decision.tolerance
            p_mc = float(np.count_nonzero((s >= lo) & (s <= hi)) / s.size)
    return Evaluation(model, g, mc, validations, tuple(regions), decision, risk, p_mc, for_warnings)


def capped(model: Model, max_trials: int | None, max_workers: int | None = None) -> Model:
    """``model`` with its Monte Carlo held to ``max_trials`` trials and ``max_workers`` threads.

    A fixed number of trials above the cap is refused (the caller asked for a precision it cannot
    have); the adaptive procedure's ``max_trials`` is lowered to the cap (it stops there and says
    whether it converged).
    """
    spec = model.method.montecarlo
    if spec is None or (max_trials is None and max_workers is None):
        return model
    changes: dict[str, int] = {}
    if max_trials is not None:
        if spec.trials is not None and spec.trials > max_trials:
            raise UncertaintyModelError(
                f"method.montecarlo: {spec.trials} trials, more than the limit {max_trials}"
            )
        if spec.max_trials > max_trials:
            changes["max_trials"] = max(max_trials, 10_000)
    if max_workers is not None and spec.workers > max_workers:
        changes["workers"] = max_workers
    if not changes:
        return model
    new = dataclasses.replace(spec, **changes)
    return dataclasses.replace(model, method=dataclasses.replace(model.method, montecarlo=new))


def _f(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _pair(values: tuple[float, float]) -> list[float | None]:
    return [_f(values[0]), _f(values[1])]


def _as_dict(ev: Evaluation) -> dict[str, Any]:
    """The JSON output of ``ev``: per-output results, budgets, matrices, regions, conformity."""
    model = ev.model
    outputs, budget = _outputs_and_budget(ev)
    correlation, covariance = _matrices(ev)
    out: dict[str, Any] = {
        "model": model.name,
        "outputs": outputs,
        "budget": budget,
        "correlation": correlation,
        "covariance": covariance,
        "regions": [_region_dict(r) for r in ev.regions],
        "conformity": None,
        "montecarlo": None,
    }
    if ev.mc is not None:
        out["montecarlo"] = _montecarlo_dict(ev.mc, ev.mc_for_warnings)
    d = ev.decision
    if d is not None and model.conformity is not None:
        out["conformity"] = _conformity_dict(model.conformity.output, d, ev.p_c_mc, ev.global_risk)
    return out


def _outputs_and_budget(ev: Evaluation) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per output: the GUM, Monte Carlo and validation entries, and the GUM budget rows."""
    units = dict(ev.model.units)
    outputs: dict[str, Any] = {}
    budget: dict[str, Any] = {}
    for k, name in enumerate(ev.model.output_names):
        entry: dict[str, Any] = {"gum": None, "mc": None, "validation": None}
        if ev.gum is not None:
            g = ev.gum.outputs[k]
            entry["gum"] = _gum_dict(g)
            budget[name] = _budget_rows(g, units)
        if ev.mc is not None:
            entry["mc"] = _mc_dict(ev.mc.outputs[k])
        if ev.validations:
            entry["validation"] = _validation_dict(ev.validations[k])
        outputs[name] = entry
    return outputs, budget


def _gum_dict(g: GumOutput) -> dict[str, Any]:
    """One output's GUM result (JCGM 100) with its warnings."""
    return {
        "value": g.y,
        "u": g.u,
        "dof": _f(g.dof),
        "k": g.k,
        "U": g.U,
        "interval": _pair(g.interval),
        "p": g.p,
        "order": g.order,
        "warnings": [
            {
                "code": w.code,
                "message": w.message,
                "input": w.input or None,
                "recommendation": w.recommendation,
            }
            for w in g.warnings
        ],
    }


def _budget_rows(g: GumOutput, units: dict[str, str]) -> list[dict[str, Any]]:
    """One output's uncertainty budget rows; ``+ 0.0`` turns −0.0 into 0.0."""
    return [
        {
            "input": b.input,
            "x": b.x,
            "u": b.u,
            "dof": _f(b.dof),
            "unit": units.get(b.input),
            "sensitivity": b.sensitivity + 0.0,
            "contribution": b.contribution,
            "share": b.share + 0.0,
        }
        for b in g.budget
    ]


def _mc_dict(m: McOutput) -> dict[str, Any]:
    """One output's Monte Carlo result (JCGM 101)."""
    return {
        "value": m.y,
        "u": m.u,
        "interval": _pair(m.interval),
        "shortest": _pair(m.shortest),
        "trials": m.trials,
        "p": m.p,
    }


def _validation_dict(v: Validation) -> dict[str, Any]:
    """One output's validation of the GUM by the Monte Carlo (JCGM 101 §8)."""
    return {
        "passed": v.passed,
        "tolerance": v.tolerance,
        "d_low": v.d_low,
        "d_high": v.d_high,
        "digits": v.digits,
    }


def _matrices(ev: Evaluation) -> tuple[dict[str, Any], dict[str, Any]]:
    """The correlation and covariance matrices of the outputs, GUM and Monte Carlo."""
    names = list(ev.model.output_names)
    correlation: dict[str, Any] = {"outputs": names, "gum": None, "mc": None}
    covariance: dict[str, Any] = {"outputs": names, "gum": None, "mc": None}
    if ev.gum is not None:
        correlation["gum"] = [list(r) for r in ev.gum.correlation]
        covariance["gum"] = [list(r) for r in ev.gum.covariance]
    if ev.mc is not None:
        correlation["mc"] = [list(r) for r in ev.mc.correlation]
        covariance["mc"] = [list(r) for r in ev.mc.covariance]
    return correlation, covariance


def _region_dict(r: CoverageRegion) -> dict[str, Any]:
    """One coverage region for several outputs with its ellipses (JCGM 102)."""
    return {
        "method": r.method,
        "outputs": list(r.outputs),
        "center": list(r.center),
        "p": r.p,
        "k_p": _f(r.k_p),
        "ellipses": [
            {
                "outputs": list(e.outputs),
                "center": list(e.center),
                "semi_axes": list(e.semi_axes),
                "angle_deg": e.angle,
                "k": e.k,
            }
            for e in r.ellipses
        ],
    }


def _montecarlo_dict(mc: McResult, for_warnings: bool) -> dict[str, Any]:
    """How the Monte Carlo ran: trials, adaptive procedure, seed and why it ran."""
    return {
        "trials": mc.trials,
        "adaptive": mc.adaptive,
        "converged": mc.converged,
        "blocks": mc.blocks,
        "intervals_from": mc.intervals_from,
        "seed": mc.seed,
        "reason": "validation of GUM warnings" if for_warnings else "requested",
    }


def _conformity_dict(output: str, d: Decision, p_c_mc: float | None, r: GlobalRisk | None) -> dict[str, Any]:
    """The conformity decision of ``output`` and its specific and global risks (JCGM 106 §9)."""
    conf: dict[str, Any] = {
        "output": output,
        "rule": d.rule,
        "decision": d.decision,
        "accepted": d.accepted,
        "value": d.y,
        "u": d.u,
        "tolerance": _pair(d.tolerance),
        "acceptance": _pair(d.acceptance),
        "guard_band": d.w,
        "p_conform": d.p_c,
        "p_conform_mc": p_c_mc,
        "specific_risk": d.specific_risk,
        "specific_risk_kind": d.risk_kind,
        "specific_risk_note": "conditional on the measured value (JCGM 106 §9.3)",
        "global": None,
    }
    if r is not None:
        conf["global"] = {
            "prior": {"mean": r.y0, "sd": r.u0},
            "consumer_risk": r.consumer,
            "producer_risk": r.producer,
            "p_accept": r.p_accept,
            "consumer_risk_conditional": r.consumer_conditional,
            "producer_risk_conditional": r.producer_conditional,
            "note": "consumer_risk/producer_risk are unconditional joint probabilities (JCGM 106 §9.5); "
            "the *_conditional values are given acceptance / given rejection",
        }
    return conf
