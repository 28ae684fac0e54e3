"""Guard-banded conformity decision for one estimated meter error (JCGM 106:2012, ILAC-G8:09/2019).

The decision is the non-binary rule of :func:`jiliang.uncertainty.decide` (JCGM 106 / ILAC-G8)
with the guard band ``w = k·u``, mapped onto the meter statuses: *pass* → ``ok``, *conditional
pass* and *conditional fail* (inside the guard band on either side of the limit) → ``suspect``,
*fail* → ``out_of_limit``.

:func:`judge` adds the decision that makes the flagged set (``suspect`` and ``out_of_limit``, the
field-check worklist) precise: inside the guard band a meter is ``suspect`` only when the posterior
probability that its error lies beyond the limit, ``P(|e| > L | ê, u)`` with ``e ~ N(ê, u²)`` (the
ridge fit's posterior), is at least ``flag_probability`` (default ½: the Bayes decision for equal
losses of a needless field check and of a missed out-of-limit meter). A *conditional pass* (an
estimate inside the limit, within its guard band) has that probability below ½ and is ``ok``, with
the probability in its evidence; the symmetric guard band flagged meters whose probability of being
out of limit was as low as 2.3 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from jiliang.meters.types import MeterError

__all__ = ["GuardBandRule", "Verdict", "decide", "judge", "nonconformity_probability"]


class Verdict(StrEnum):
    """Non-binary verdict (ILAC-G8 §4.2.3 style): conforming, non-conforming, or in the guard band."""

    CONFORMING = "ok"
    NONCONFORMING = "out_of_limit"
    IN_GUARD_BAND = "suspect"


@dataclass(frozen=True, slots=True)
class GuardBandRule:
    """Guard band ``w = k·u``, applied on both sides of a symmetric tolerance ``±limit``.

    ``k = 2`` (w = U for a normal estimate) gives, for an estimate exactly at an acceptance or
    rejection limit, a *specific* (conditional on that estimate) probability of 2.275 % that the
    true error lies on the other side of the tolerance limit (JCGM 106 §9.3.2, ILAC-G8 rule
    w = U). ``k = 0`` is simple acceptance (JCGM 106 §8.2).
    """

    k: float = 2.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.k) and self.k >= 0):
            raise MeterError(f"guard-band factor k must be a finite number ≥ 0, got {self.k!r}")


def decide(value: float, u: float, limit: float, rule: GuardBandRule) -> Verdict:
    """Decide conformity of ``value`` to the tolerance interval ``[-limit, +limit]``.

    Parameters
    ----------
    value : float
        Estimated error (same unit as ``limit``, e.g. percent).
    u : float
        Its standard uncertainty (≥ 0).
    limit : float
        Half-width of the symmetric tolerance interval (> 0), e.g. 1.75 % for class 1.
    rule : GuardBandRule
        Guard band ``w = rule.k · u``.

    Returns
    -------
    Verdict
        ``ok`` when ``|value| ≤ limit − w`` (guarded acceptance), ``out_of_limit`` when
        ``|value| > limit + w`` (guarded rejection), ``suspect`` in between.

    Notes
    -----
    Delegates to :func:`jiliang.uncertainty.decide` with ``rule="non_binary"``; the guard band of
    ``k = 2`` gives a specific false-accept (or false-reject) probability of at most 2.275 % at the
    acceptance (rejection) limit, conditional on the estimate.

    Examples
    --------
    >>> decide(0.4, 0.2, 1.75, GuardBandRule(2.0)).value
    'ok'
    >>> decide(2.5, 0.2, 1.75, GuardBandRule(2.0)).value
    'out_of_limit'
    >>> decide(1.9, 0.2, 1.75, GuardBandRule(2.0)).value
    'suspect'
    """
    if not math.isfinite(value):
        raise MeterError(f"value must be finite, got {value!r}")
    if not (math.isfinite(u) and u >= 0):
        raise MeterError(f"standard uncertainty must be finite and ≥ 0, got {u!r}")
    if not (math.isfinite(limit) and limit > 0):
        raise MeterError(f"limit must be finite and > 0, got {limit!r}")
    from jiliang.uncertainty import decide as conformity

    verdict = conformity(value, u, -limit, limit, rule="non_binary", guard_band=rule.k * u).decision
    if verdict == "pass":
        return Verdict.CONFORMING
    if verdict == "fail":
        return Verdict.NONCONFORMING
    return Verdict.IN_GUARD_BAND


def nonconformity_probability(value: float, u: float, limit: float) -> float:
    """``P(|e| > limit)`` for ``e ~ N(value, u²)``: the probability that the true error lies beyond
    the symmetric tolerance ``±limit`` (JCGM 106 §7: one minus the conformance probability).

    >>> round(nonconformity_probability(1.75, 0.2, 1.75), 3)
    0.5
    >>> round(nonconformity_probability(1.35, 0.2, 1.75), 4)
    0.0228
    """
    if u <= 0:
        return 1.0 if abs(value) > limit else 0.0
    z_hi = (limit - value) / u
    z_lo = (-limit - value) / u
    return 0.5 * math.erfc(z_hi / math.sqrt(2.0)) + 0.5 * math.erfc(-z_lo / math.sqrt(2.0))


def judge(
    value: float, u: float, limit: float, rule: GuardBandRule, flag_probability: float = 0.5
) -> tuple[Verdict, float]:
    """The meter's status and its probability of being out of limit: guarded acceptance and
    guarded rejection as in :func:`decide`; inside the guard band ``suspect`` when
    ``P(|e| > limit) ≥ flag_probability``, otherwise ``ok`` (a conditional pass).

    >>> judge(1.6, 0.1, 1.75, GuardBandRule(2.0))[0].value
    'ok'
    >>> judge(1.9, 0.1, 1.75, GuardBandRule(2.0))[0].value
    'suspect'
    """
    if not (0.0 < flag_probability < 1.0):
        raise MeterError(f"flag_probability must be within (0, 1), got {flag_probability!r}")
    verdict = decide(value, u, limit, rule)
    p = nonconformity_probability(value, u, limit)
    if verdict is Verdict.IN_GUARD_BAND and p < flag_probability:
        return Verdict.CONFORMING, p
    return verdict, p
