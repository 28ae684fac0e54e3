"""The plans' indicators as data: each with its definition, unit, baseline, targets, type and the
place in the plan's text it comes from (pure: no database).

The indicator sets live in ``data/plans.json`` (edition, keyer, the SHA-256 of each plan's text);
:func:`parse_plans` refuses a document with a target without a year, a duplicate code or an unknown
query, with a one-line reason.

References
----------
广州市贯彻落实《计量发展规划(2021—2035年)》的实施意见, 专栏1; 常州市深入推进计量工作的实施意见
(常政办发〔2022〕86号), 一、总体要求; 揭府办〔2015〕32号, (二) 发展目标.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "COMPARISONS",
    "DATA_FILE",
    "TYPES",
    "Baseline",
    "Indicator",
    "Plan",
    "SourceRef",
    "Target",
    "load_plans",
    "parse_plans",
]

DATA_FILE = Path(__file__).parent / "data" / "plans.json"
#: Indicator types a plan may state (指标属性); ``None`` means the plan states none.
TYPES = ("预期性", "约束性")
#: How a value meets a target: at least (以上 / 不少于) or at most.
COMPARISONS = (">=", "<=")


def _year(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1949 <= value <= 2100:
        raise InputError(f"{what}: year {value!r} is not a year between 1949 and 2100")
    return int(value)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) > 1e12:
        raise InputError(f"{what}: {value!r} is not a finite number")
    return float(value)


@dataclass(frozen=True, slots=True)
class Target:
    """A target value ``value`` to reach by the end of ``year`` (``comparison`` ``>=`` or ``<=``).

    >>> Target(2025, 90.0).met_by(91.0)
    True
    """

    year: int
    value: float
    comparison: str = ">="

    def __post_init__(self) -> None:
        _year(self.year, "target")
        _number(self.value, "target value")
        if self.comparison not in COMPARISONS:
            raise InputError(f"target comparison {self.comparison!r} is not one of {COMPARISONS}")

    def met_by(self, value: float) -> bool:
        return value >= self.value if self.comparison == ">=" else value <= self.value


@dataclass(frozen=True, slots=True)
class Baseline:
    """The value the plan starts from and its year."""

    year: int
    value: float

    def __post_init__(self) -> None:
        _year(self.year, "baseline")
        _number(self.value, "baseline value")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where the indicator is written: the plan's article and an exact quote at a character offset
    of the plan's text (the file named by the plan, whose SHA-256 the plan records)."""

    article: str
    offset: int
    quote: str

    def __post_init__(self) -> None:
        if not self.article.strip() or not self.quote.strip():
            raise InputError("an indicator's source needs its article and a quote of the text")
        if self.offset < 0:
            raise InputError(f"source offset {self.offset} is negative")


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of a plan. ``query`` names the function that computes it from the platform's
    records (:mod:`jiliang.indicators.queries`); ``None`` means no data source in the platform."""

    code: str
    plan: str
    name: str
    name_en: str
    unit: str
    unit_en: str
    baseline: Baseline | None
    targets: tuple[Target, ...]
    type: str | None
    query: str | None
    source: SourceRef

    def __post_init__(self) -> None:
        if not self.code or len(self.code) > 64 or not self.code.replace(".", "").replace("_", "").isalnum():
            raise InputError(f"indicator code {self.code!r} is not letters, digits, '.' and '_'")
        if not self.name.strip() or not self.name_en.strip():
            raise InputError(f"indicator {self.code}: a name in Chinese and English is needed")
        if self.type is not None and self.type not in TYPES:
            raise InputError(f"indicator {self.code}: type {self.type!r} is not 预期性 or 约束性")
        years = [t.year for t in self.targets]
        if len(set(years)) != len(years):
            raise InputError(f"indicator {self.code}: two targets for the same year")

    def target_for(self, year: int) -> Target | None:
        """The first target at or after ``year`` (the last one once all have passed)."""
        later = sorted((t for t in self.targets if t.year >= year), key=lambda t: t.year)
        if later:
            return later[0]
        return max(self.targets, key=lambda t: t.year) if self.targets else None


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan with its indicator set and the text it comes from."""

    code: str
    title: str
    title_en: str
    issuer: str
    issuer_en: str
    issued: str
    start_year: int
    end_year: int
    evaluation: str
    seed: str
    seed_sha256: str
    indicators: tuple[Indicator, ...]

    def __post_init__(self) -> None:
        if self.start_year > self.end_year:
            raise InputError(f"plan {self.code}: starts in {self.start_year} after it ends")
        if len(self.seed_sha256) != 64:
            raise InputError(f"plan {self.code}: seed_sha256 is not a SHA-256 in hex")


def _target(raw: Any, code: str) -> Target:
    if not isinstance(raw, Mapping):
        raise InputError(f"indicator {code}: a target is not an object")
    if raw.get("year") is None:
        raise InputError(f"indicator {code}: a target without a year")
    if raw.get("value") is None:
        raise InputError(f"indicator {code}: a target without a value")
    return Target(_year(raw["year"], code), _number(raw["value"], code), str(raw.get("comparison", ">=")))


def _indicator(raw: Mapping[str, Any], plan: str, queries: frozenset[str] | None) -> Indicator:
    code = str(raw.get("code", ""))
    base = raw.get("baseline")
    query = raw.get("query")
    if query is not None and queries is not None and query not in queries:
        raise InputError(f"indicator {code}: unknown query {query!r}")
    src = raw.get("source") or {}
    targets = tuple(_target(t, code) for t in raw.get("targets") or ())
    try:
        return Indicator(
            code=code,
            plan=plan,
            name=str(raw["name"]),
            name_en=str(raw["name_en"]),
            unit=str(raw["unit"]),
            unit_en=str(raw["unit_en"]),
            baseline=None
            if base is None
            else Baseline(_year(base.get("year"), code), _number(base.get("value"), code)),
            targets=targets,
            type=raw.get("type"),
            query=query,
            source=SourceRef(
                str(src.get("article", "")), int(src.get("offset", -1)), str(src.get("quote", ""))
            ),
        )
    except KeyError as exc:
        raise InputError(f"indicator {code or '?'}: field {exc.args[0]} is missing") from None


def parse_plans(doc: Mapping[str, Any], queries: Iterable[str] | None = None) -> tuple[Plan, ...]:
    """Validate a plans document; ``queries`` (if given) are the query names that exist.

    >>> parse_plans({"plans": []})
    ()
    >>> parse_plans({"plans": [{"code": "x", "indicators": [{"code": "a", "targets": [{"value": 1}]}]}]})
    Traceback (most recent call last):
    ...
    jiliang.errors.InputError: indicator a: a target without a year
    """
    known = frozenset(queries) if queries is not None else None
    plans: list[Plan] = []
    seen: set[str] = set()
    for raw in doc.get("plans") or ():
        pcode = str(raw.get("code", ""))
        if pcode in seen:
            raise InputError(f"plan {pcode} appears twice")
        seen.add(pcode)
        indicators = tuple(_indicator(i, pcode, known) for i in raw.get("indicators") or ())
        for ind in indicators:
            if ind.code in seen:
                raise InputError(f"indicator {ind.code} appears twice")
            seen.add(ind.code)
        try:
            plans.append(
                Plan(
                    code=pcode,
                    title=str(raw["title"]),
                    title_en=str(raw["title_en"]),
                    issuer=str(raw["issuer"]),
                    issuer_en=str(raw["issuer_en"]),
                    issued=str(raw["issued"]),
                    start_year=_year(raw["start_year"], pcode),
                    end_year=_year(raw["end_year"], pcode),
                    evaluation=str(raw["evaluation"]),
                    seed=str(raw["seed"]),
                    seed_sha256=str(raw["seed_sha256"]),
                    indicators=indicators,
                )
            )
        except KeyError as exc:
            raise InputError(f"plan {pcode or '?'}: field {exc.args[0]} is missing") from None
    return tuple(plans)


@cache
def load_plans(path: Path = DATA_FILE) -> tuple[Plan, ...]:
    """The shipped plans (read once)."""
    from jiliang.indicators.queries import QUERIES

    return parse_plans(json.loads(path.read_text(encoding="utf-8")), QUERIES)
