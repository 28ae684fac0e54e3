"""Credit classes A–D from evidence, by a versioned rule set kept as data.

A rule set (one edition, usually a YAML file read by the caller) gives a base score, points per
fact (negative for a deduction, positive for a bonus, each with a cap), thresholds per class,
caps that limit the class whatever the score (a fact "at best C"), the red and black list rules
with their stated reasons, and a repair path (信用修复) for each fact. :func:`classify` applies it
to one enterprise's fact counts and explains the result: which facts, which rule, what to do.

Examples
--------
>>> rules = RuleSet.from_dict(EXAMPLE_RULES)
>>> r = classify(Evidence("O1", {"overdue_instrument": 3}), rules)
>>> r.credit_class, r.score, r.lines[0].points
('B', 85, -15)
>>> classify(Evidence("O2", {"cheating": 1}), rules).listing
'black'
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "EXAMPLE_RULES",
    "FACTS",
    "CreditResult",
    "Evidence",
    "ExplanationLine",
    "FactRule",
    "RuleSet",
    "classify",
    "classify_all",
]

CLASSES = ("A", "B", "C", "D")
#: The facts a rule set may score (counts within the rule set's window, supplied by the caller).
FACTS = (
    "overdue_instrument",  # compulsory instrument overdue for verification (registry)
    "error_found",  # inspection finding: error beyond the MPE
    "seal_broken",  # inspection finding: seal or software protection broken
    "cheating",  # inspection finding: cheating device or tampering
    "failed_inspection",  # an inspection concluded "fail"
    "passed_inspection",  # an inspection concluded "pass" without findings
    "commitment_broken",  # a published integrity commitment broken by a finding
    "commitment_kept",  # a published integrity commitment in force and not broken
)

EXAMPLE_RULES: dict[str, Any] = {
    "edition": "example-1",
    "base_score": 100,
    "facts": {
        "overdue_instrument": {"points": -5, "max": 30, "repair": "have the instruments verified"},
        "cheating": {"points": -60, "max": 60, "cap": "D", "black_list": "cheating", "repair": "none"},
        "commitment_kept": {"points": 5, "max": 5, "repair": ""},
    },
    "classes": {"A": 90, "B": 75, "C": 60, "D": 0},
    "red_list": {"class": "A", "requires": ["commitment_kept"], "reason": "class A with a kept commitment"},
}


@dataclass(frozen=True, slots=True)
class FactRule:
    fact: str
    points: int
    max_points: int
    cap: str | None
    black_list: str | None
    repair: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One edition of the credit rules; build it with :meth:`from_dict`."""

    edition: str
    base_score: int
    facts: Mapping[str, FactRule]
    thresholds: tuple[tuple[str, int], ...]
    red_class: str | None
    red_requires: tuple[str, ...]
    red_reason: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        edition = str(data.get("edition") or "").strip()
        if not edition:
            raise InputError("the credit rule set needs an edition")
        facts = {}
        for name, spec in dict(data.get("facts") or {}).items():
            if name not in FACTS:
                raise InputError(f"credit rules {edition}: unknown fact {name!r}")
            cap = spec.get("cap")
            if cap is not None and cap not in CLASSES:
                raise InputError(f"credit rules {edition}: fact {name}: unknown credit class {cap!r}")
            facts[name] = FactRule(
                name,
                int(spec["points"]),
                abs(int(spec.get("max", abs(int(spec["points"]))))),
                cap,
                spec.get("black_list"),
                str(spec.get("repair", "")),
            )
        classes = dict(data.get("classes") or {})
        if sorted(classes) != list(CLASSES):
            raise InputError(f"credit rules {edition}: classes must give a minimum score for A, B, C and D")
        thresholds = tuple((c, int(classes[c])) for c in CLASSES)
        if any(a[1] <= b[1] for a, b in itertools.pairwise(thresholds)):
            raise InputError(f"credit rules {edition}: minimum scores must fall from A to D")
        red = dict(data.get("red_list") or {})
        return cls(
            edition,
            int(data.get("base_score", 100)),
            facts,
            thresholds,
            red.get("class"),
            tuple(red.get("requires", ())),
            str(red.get("reason", "")),
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """One enterprise's fact counts (the caller counts them within the rule set's window)."""

    subject: str
    counts: Mapping[str, int]

    def __post_init__(self) -> None:
        for fact, n in self.counts.items():
            if fact not in FACTS:
                raise InputError(f"{self.subject}: unknown fact {fact!r}")
            if n < 0:
                raise InputError(f"{self.subject}: negative count for {fact}")


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    """One fact that moved the score: how many, how many points, what repairs it."""

    fact: str
    count: int
    points: int
    repair: str


@dataclass(frozen=True, slots=True)
class CreditResult:
    subject: str
    credit_class: str
    score: int
    edition: str
    lines: tuple[ExplanationLine, ...]
    capped_by: tuple[str, ...]
    listing: str | None  # "red", "black" or None
    listing_reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "credit_class": self.credit_class,
            "score": self.score,
            "edition": self.edition,
            "lines": [
                {"fact": x.fact, "count": x.count, "points": x.points, "repair": x.repair} for x in self.lines
            ],
            "capped_by": list(self.capped_by),
            "listing": self.listing,
            "listing_reason": self.listing_reason,
        }


def _points(rule: FactRule, count: int) -> int:
    total = rule.points * count
    return max(-rule.max_points, min(rule.max_points, total))


def classify(evidence: Evidence, rules: RuleSet) -> CreditResult:
    """The class of one enterprise: score from the facts, then the caps, then the lists."""
    lines = []
    score = rules.base_score
    for fact in FACTS:
        n = evidence.counts.get(fact, 0)
        rule = rules.facts.get(fact)
        if n and rule is not None:
            pts = _points(rule, n)
            score += pts
            lines.append(ExplanationLine(fact, n, pts, rule.repair))
    by_score = next(c for c, minimum in rules.thresholds if score >= minimum or c == "D")
    caps = [r for r in rules.facts.values() if r.cap and evidence.counts.get(r.fact, 0)]
    worst = max([by_score, *(r.cap for r in caps if r.cap)])
    capped_by = tuple(r.fact for r in caps if r.cap and r.cap > by_score)
    black = [r.black_list for r in rules.facts.values() if r.black_list and evidence.counts.get(r.fact, 0)]
    listing, reason = None, None
    if black:
        listing, reason = "black", "; ".join(str(b) for b in black)
    elif worst == rules.red_class and all(evidence.counts.get(f, 0) for f in rules.red_requires):
        listing, reason = "red", rules.red_reason
    return CreditResult(
        evidence.subject, worst, score, rules.edition, tuple(lines), capped_by, listing, reason
    )


def classify_all(evidence: Sequence[Evidence], rules: RuleSet) -> list[CreditResult]:
    return [classify(e, rules) for e in evidence]
