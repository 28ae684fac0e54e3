"""Conformity decisions with measurement uncertainty (JCGM 106:2012, ILAC-G8:09/2019).

:func:`decide` makes one decision on a measured value y with standard uncertainty u against a
tolerance interval [T_L, T_U] (either limit may be absent for a one-sided tolerance):

* ``simple`` — simple acceptance (ILAC-G8 §4.2.1, JCGM 106 §8.2): acceptance interval = tolerance.
* ``guard_band`` — guarded acceptance (JCGM 106 §8.3.2, ILAC-G8 §4.2.2): acceptance limits
  A_L = T_L + w, A_U = T_U − w, with w = k·u = U unless stated (a negative w is guarded rejection).
* ``non_binary`` — ILAC-G8 §4.2.3: *pass* inside [T_L + w, T_U − w], *conditional pass* inside the
  tolerance, *conditional fail* within w outside it, *fail* beyond.

Specific risk (JCGM 106 §9.3, conditional on this measured value, flat prior, Gaussian or scaled
t measurement model): the conformance probability p_c = P(T_L ≤ Y ≤ T_U | y); on acceptance the
specific consumer's risk (false accept) is 1 − p_c, on rejection the specific producer's risk
(false reject) is p_c.

Global risk (JCGM 106 §9.5, unconditional, over a production process with a normal prior
N(y₀, u₀²)): R_C = P(Y outside tolerance and accepted), R_P = P(Y inside tolerance and rejected);
:func:`global_risks` also gives the conditional forms R_C / P(accept) and R_P / P(reject).

Examples
--------
>>> d = decide(10.04, 0.01, 9.95, 10.05, "guard_band")
>>> d.decision, [round(a, 6) for a in d.acceptance], round(d.specific_risk, 4), d.risk_kind
('reject', [9.97, 10.03], 0.8413, 'specific false-reject probability (producer)')
>>> d = decide(10.0, 0.01, 9.95, 10.05, "guard_band")
>>> d.decision, round(d.specific_risk, 6), d.risk_kind
('accept', 1e-06, 'specific false-accept probability (consumer)')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = ["RULES", "Decision", "GlobalRisk", "decide", "global_risks"]

RULES = ("simple", "guard_band", "non_binary")
FALSE_ACCEPT = "specific false-accept probability (consumer)"
FALSE_REJECT = "specific false-reject probability (producer)"


def _cdf(z: float, dof: float | None) -> float:
    from scipy.special import ndtr, stdtr

    if math.isinf(z):
        return 1.0 if z > 0 else 0.0
    if dof is None or math.isinf(dof):
        return float(ndtr(z))
    return float(stdtr(dof, z))


@dataclass(frozen=True, slots=True)
class Decision:
    """A conformity decision (fields after JCGM 106 symbols).

    Attributes
    ----------
    decision : str
        ``accept`` / ``reject`` (binary rules) or ``pass`` / ``conditional pass`` /
        ``conditional fail`` / ``fail`` (``non_binary``).
    accepted : bool
        True for ``accept``, ``pass`` and ``conditional pass``.
    y, u : float
        Measured value and its standard uncertainty.
    tolerance : (T_L, T_U)
        Tolerance limits (±inf where absent).
    acceptance : (A_L, A_U)
        Acceptance limits (for ``non_binary`` the limits of *pass*).
    w : float
        Guard band (0 for simple acceptance).
    p_c : float
        Conformance probability P(T_L ≤ Y ≤ T_U | y) (JCGM 106 §7.3).
    specific_risk : float
        1 − p_c if accepted (false accept), p_c if not (false reject); see ``risk_kind``.
    """

    rule: str
    decision: str
    accepted: bool
    y: float
    u: float
    tolerance: tuple[float, float]
    acceptance: tuple[float, float]
    w: float
    p_c: float
    specific_risk: float
    risk_kind: str

    def as_dict(self) -> dict[str, object]:
        """The decision as JSON-ready values (infinite limits of a one-sided tolerance as None)."""

        def f(v: float) -> float | None:
            return v if math.isfinite(v) else None

        return {
            "rule": self.rule,
            "decision": self.decision,
            "accepted": self.accepted,
            "value": self.y,
            "u": self.u,
            "tolerance": [f(self.tolerance[0]), f(self.tolerance[1])],
            "acceptance": [f(self.acceptance[0]), f(self.acceptance[1])],
            "guard_band": self.w,
            "p_conform": self.p_c,
            "specific_risk": self.specific_risk,
            "specific_risk_kind": self.risk_kind,
        }


@dataclass(frozen=True, slots=True)
class GlobalRisk:
    """Global (process) risks of JCGM 106 §9.5 for a normal prior N(y0, u0²).

    ``consumer`` R_C and ``producer`` R_P are unconditional joint probabilities;
    ``consumer_conditional`` = R_C / P(accept), ``producer_conditional`` = R_P / P(reject).
    """

    y0: float
    u0: float
    consumer: float
    producer: float
    p_accept: float
    consumer_conditional: float
    producer_conditional: float


def _limits(lower: float | None, upper: float | None) -> tuple[float, float]:
    if lower is None and upper is None:
        raise UncertaintyModelError("tolerance: give lower, upper or both")
    lo = -math.inf if lower is None else float(lower)
    hi = math.inf if upper is None else float(upper)
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise UncertaintyModelError(f"tolerance [{lower}, {upper}]: lower must be below upper")
    return lo, hi


def decide(
    value: float,
    u: float,
    lower: float | None,
    upper: float | None,
    rule: str = "guard_band",
    guard_band: float | None = None,
    k: float = 2.0,
    dof: float | None = None,
) -> Decision:
    """Decide whether ``value`` ± ``u`` conforms to [lower, upper] under ``rule``.

    Parameters
    ----------
    value, u
        Measured value y and its standard uncertainty u (u ≥ 0).
    lower, upper
        Tolerance limits T_L, T_U; ``None`` for a one-sided tolerance.
    rule
        ``simple``, ``guard_band`` or ``non_binary`` (see the module notes).
    guard_band
        w; default k·u for ``guard_band`` and ``non_binary`` (ILAC-G8: w = U).
    k
        Coverage factor giving the default guard band.
    dof
        Degrees of freedom of u (scaled t for p_c); ``None`` or ``inf`` for a normal distribution.

    References
    ----------
    JCGM 106:2012 §7.3, §8, §9.3; ILAC-G8:09/2019 §4.2.
    """
    _check_arguments(rule, value, u, k, dof)
    lo, hi = _limits(lower, upper)
    w = _guard_band(rule, u, k, guard_band)
    a_lo, a_hi = lo + w, hi - w
    y = float(value)
    p_c = _conformance_probability(y, u, lo, hi, dof)
    decision, accepted = _outcome(rule, y, lo, hi, a_lo, a_hi, w)
    risk = 1.0 - p_c if accepted else p_c
    return Decision(
        rule=rule,
        decision=decision,
        accepted=accepted,
        y=y,
        u=float(u),
        tolerance=(lo, hi),
        acceptance=(a_lo, a_hi),
        w=w,
        p_c=p_c,
        specific_risk=max(risk, 0.0),
        risk_kind=FALSE_ACCEPT if accepted else FALSE_REJECT,
    )


def _check_arguments(rule: str, value: float, u: float, k: float, dof: float | None) -> None:
    """Refuse an unknown rule, a non-finite value, u or k, a negative u and a non-positive k or dof."""
    if rule not in RULES:
        raise UncertaintyModelError(f"decision rule must be one of {', '.join(RULES)}, got {rule!r}")
    for label, v in (("value", value), ("u", u), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise UncertaintyModelError(f"{label} must be a finite number, got {v!r}")
    if u < 0:
        raise UncertaintyModelError(f"standard uncertainty u must be ≥ 0, got {u}")
    if k <= 0:
        raise UncertaintyModelError(f"coverage factor k must be > 0, got {k}")
    if dof is not None and not dof > 0:
        raise UncertaintyModelError(f"dof must be > 0, got {dof}")


def _guard_band(rule: str, u: float, k: float, guard_band: float | None) -> float:
    """w: 0 for simple acceptance, else as given or k·u = U (JCGM 106 §8.3.2, ILAC-G8 §4.2.2)."""
    if guard_band is not None and not math.isfinite(guard_band):
        raise UncertaintyModelError(f"guard band must be finite, got {guard_band!r}")
    if rule == "simple":
        return 0.0
    return float(k * u) if guard_band is None else float(guard_band)


def _conformance_probability(y: float, u: float, lo: float, hi: float, dof: float | None) -> float:
    """p_c = P(T_L ≤ Y ≤ T_U | y), Gaussian or scaled t (JCGM 106 §7.3)."""
    if u > 0:
        return _cdf((hi - y) / u, dof) - _cdf((lo - y) / u, dof)
    return 1.0 if lo <= y <= hi else 0.0


def _outcome(
    rule: str, y: float, lo: float, hi: float, a_lo: float, a_hi: float, w: float
) -> tuple[str, bool]:
    """The decision and whether it accepts: binary (JCGM 106 §8) or non-binary (ILAC-G8 §4.2.3)."""
    if rule == "non_binary":
        if a_lo <= y <= a_hi:
            decision = "pass"
        elif lo <= y <= hi:
            decision = "conditional pass"
        elif lo - abs(w) <= y <= hi + abs(w):
            decision = "conditional fail"
        else:
            decision = "fail"
        return decision, decision in ("pass", "conditional pass")
    accepted = a_lo <= y <= a_hi
    return ("accept" if accepted else "reject"), accepted


def global_risks(
    y0: float,
    u0: float,
    u: float,
    lower: float | None,
    upper: float | None,
    acceptance: tuple[float, float],
) -> GlobalRisk:
    """Global consumer's and producer's risks (JCGM 106 §9.5) for a normal prior N(y0, u0²).

    The measuring system gives η_m ~ N(η, u²) for a true value η; the item is accepted when η_m
    falls in ``acceptance``.

    >>> r = global_risks(0.0, 1.0, 0.25, -2.0, 2.0, (-1.5, 1.5))
    >>> r.consumer < r.producer
    True
    """
    from scipy import integrate
    from scipy.special import ndtr

    if not (u0 > 0 and math.isfinite(u0)):
        raise UncertaintyModelError(f"prior standard deviation must be > 0, got {u0}")
    if not (u > 0 and math.isfinite(u)):
        raise UncertaintyModelError(f"standard uncertainty u must be > 0 for global risks, got {u}")
    lo, hi = _limits(lower, upper)
    a_lo, a_hi = acceptance

    def prior(eta: float) -> float:
        return math.exp(-0.5 * ((eta - y0) / u0) ** 2) / (u0 * math.sqrt(2 * math.pi))

    def p_acc(eta: float) -> float:
        if a_hi <= a_lo:
            return 0.0
        return float(ndtr((a_hi - eta) / u) - ndtr((a_lo - eta) / u))

    span = 12 * u0 + 12 * u
    left, right = y0 - span, y0 + span

    def integral(f: object, a: float, b: float) -> float:
        a, b = max(a, left), min(b, right)
        if b <= a:
            return 0.0
        value, _ = integrate.quad(f, a, b, limit=200, epsabs=1e-13)
        return float(value)

    accept_out = integral(lambda e: prior(e) * p_acc(e), -math.inf, lo) + integral(
        lambda e: prior(e) * p_acc(e), hi, math.inf
    )
    accept_in = integral(lambda e: prior(e) * p_acc(e), lo, hi)
    p_in = float(ndtr((hi - y0) / u0) - ndtr((lo - y0) / u0))
    reject_in = max(p_in - accept_in, 0.0)
    p_accept = accept_in + accept_out
    return GlobalRisk(
        y0=y0,
        u0=u0,
        consumer=accept_out,
        producer=reject_in,
        p_accept=p_accept,
        consumer_conditional=accept_out / p_accept if p_accept > 0 else 0.0,
        producer_conditional=reject_in / (1 - p_accept) if p_accept < 1 else 0.0,
    )
