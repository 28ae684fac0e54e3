"""Sites for key supervision (重点监管): a score explained per site, and the detector's hit rate.

Each piece of evidence (a nozzle suspected of a pulse-equivalent cheat, an unexplained
re-initialisation, a charger drifting beyond its class, a meter suspected of theft …) earns the
points of its reason in the policy (a local policy file with an edition, not a national rule);
points of one reason are capped, so a hundred small flags cannot outrank one strong one. A site
whose score reaches ``key_supervision_score`` is put on the key-supervision list. The list is
exported as a ``jiliang-draw/1`` targets CSV (``id, name, credit_class, district, category,
owner_id``), so a random-inspection plan can draw from it as from any other list.

The hit rate is measured afterwards from inspection and field-check outcomes: among checked
sites that were on the list, the share where a problem was confirmed, with a Wilson 95 %
interval, next to the same share among checked sites that were not (the base rate).

References
----------
国办发〔2015〕58号 (双随机、一公开, 重点监管为补充); notes/supervision.md §6, §9;
Wilson, E. B. (1927), JASA 22:209 (score interval).

Examples
--------
>>> pol = KeysitePolicy("p1", {"suspected_cheat": 40, "unexplained_change": 20}, 100, 30)
>>> sites = [SiteEvidence("S1", "甲站", "fuel_station", 1, [Evidence("suspected_cheat", "N1", "δ −1.2 %")]),
...          SiteEvidence("S2", "乙站", "fuel_station", 2, [Evidence("unexplained_change", "D3", "reinit")])]
>>> [(r.site_id, r.score, r.key) for r in rank_sites(sites, pol)]
[('S1', 40, True), ('S2', 20, False)]
>>> h = hit_rate([Outcome("S1", True, True), Outcome("S2", False, False)])
>>> h.flagged_checked, h.flagged_confirmed, h.rate
(1, 1, 1.0)
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "Evidence",
    "HitRate",
    "KeysitePolicy",
    "Outcome",
    "RankedSite",
    "SiteEvidence",
    "hit_rate",
    "rank_sites",
    "targets_csv",
    "wilson",
]

_CLASSES = ("A", "B", "C", "D")


@dataclass(frozen=True, slots=True)
class KeysitePolicy:
    """Points per reason, the cap per reason, and the score that puts a site on the list."""

    edition: str
    points: Mapping[str, int]
    cap_per_reason: int
    key_supervision_score: int

    def __post_init__(self) -> None:
        if not self.edition:
            raise InputError("the policy needs an edition")
        for reason, p in self.points.items():
            if not isinstance(p, int) or p < 0:
                raise InputError(f"points for {reason!r} must be an integer ≥ 0, got {p!r}")
        if self.cap_per_reason <= 0 or self.key_supervision_score <= 0:
            raise InputError("cap_per_reason and key_supervision_score must be positive")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> KeysitePolicy:
        try:
            return cls(
                str(data["edition"]),
                dict(data["points"]),
                int(data["cap_per_reason"]),
                int(data["key_supervision_score"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"the key-supervision policy is incomplete: {exc}") from None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason on one device (nozzle, dispenser, charger, meter) with what was seen."""

    reason: str
    device_id: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SiteEvidence:
    site_id: str
    name: str
    kind: str
    org_id: int | None
    evidence: Sequence[Evidence]
    credit_class: str = "B"
    district: str = ""

    def __post_init__(self) -> None:
        if self.credit_class not in _CLASSES:
            raise InputError(f"site {self.site_id}: credit class {self.credit_class!r} is not one of A–D")


@dataclass(frozen=True, slots=True)
class RankedSite:
    """A site's rank, score, whether it is on the list, and the score explained by reason:
    (reason, devices, points)."""

    rank: int
    site_id: str
    name: str
    kind: str
    org_id: int | None
    score: int
    key: bool
    explanation: tuple[tuple[str, int, int], ...]
    evidence: tuple[Evidence, ...] = field(default=())
    credit_class: str = "B"
    district: str = ""


def _explain(ev: Sequence[Evidence], policy: KeysitePolicy) -> tuple[int, tuple[tuple[str, int, int], ...]]:
    counts: dict[str, int] = {}
    for e in ev:
        counts[e.reason] = counts.get(e.reason, 0) + 1
    parts = []
    for reason in sorted(counts):
        pts = min(policy.cap_per_reason, policy.points.get(reason, 0) * counts[reason])
        parts.append((reason, counts[reason], pts))
    parts.sort(key=lambda p: (-p[2], p[0]))
    return sum(p[2] for p in parts), tuple(parts)


def rank_sites(sites: Sequence[SiteEvidence], policy: KeysitePolicy) -> list[RankedSite]:
    """Score every site by the policy and rank by score (ties by site id)."""
    scored = []
    for s in sites:
        score, parts = _explain(s.evidence, policy)
        scored.append((score, s, parts))
    scored.sort(key=lambda t: (-t[0], t[1].site_id))
    return [
        RankedSite(
            rank=i + 1,
            site_id=s.site_id,
            name=s.name,
            kind=s.kind,
            org_id=s.org_id,
            score=score,
            key=score >= policy.key_supervision_score,
            explanation=parts,
            evidence=tuple(s.evidence),
            credit_class=s.credit_class,
            district=s.district,
        )
        for i, (score, s, parts) in enumerate(scored)
    ]


def targets_csv(ranked: Sequence[RankedSite], key_only: bool = True) -> str:
    """The list as a ``jiliang-draw/1`` targets CSV (what ``jiliang inspections draw`` reads).

    >>> r = RankedSite(1, "S1", "甲站", "fuel_station", 7, 40, True, ())
    >>> targets_csv([r]).splitlines()
    ['id,name,credit_class,district,category,owner_id', 'S1,甲站,B,,fuel_station,7']
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", "credit_class", "district", "category", "owner_id"])
    for r in ranked:
        if r.key or not key_only:
            w.writerow(
                [r.site_id, r.name, r.credit_class, r.district, r.kind, "" if r.org_id is None else r.org_id]
            )
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Outcome:
    """An inspection or field check of a site: was it on the list, was a problem confirmed."""

    site_id: str
    flagged: bool
    confirmed: bool


@dataclass(frozen=True, slots=True)
class HitRate:
    """Share confirmed among flagged sites checked (rate, Wilson 95 % low/high), and the base rate
    among unflagged sites checked (None when none was checked)."""

    flagged_checked: int
    flagged_confirmed: int
    rate: float | None
    low: float | None
    high: float | None
    unflagged_checked: int
    unflagged_confirmed: int
    base_rate: float | None


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    >>> [round(v, 4) for v in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0 or not 0 <= hits <= n:
        raise InputError(f"wilson needs 0 ≤ hits ≤ n and n > 0, got {hits}/{n}")
    p = hits / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def hit_rate(outcomes: Sequence[Outcome]) -> HitRate:
    """The detector's hit rate from recorded outcomes (the latest outcome per site counts)."""
    latest: dict[str, Outcome] = {}
    for o in outcomes:
        latest[o.site_id] = o
    fl = [o for o in latest.values() if o.flagged]
    un = [o for o in latest.values() if not o.flagged]
    fh, uh = sum(o.confirmed for o in fl), sum(o.confirmed for o in un)
    low, high = wilson(fh, len(fl)) if fl else (None, None)
    return HitRate(
        len(fl),
        fh,
        fh / len(fl) if fl else None,
        low,
        high,
        len(un),
        uh,
        uh / len(un) if un else None,
    )
