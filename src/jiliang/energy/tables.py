"""GB 17167 tables and emission factors as versioned data (``energy/data/*.json``).

The editions of GB 17167 are effective-dated: a review uses the edition in force on its review
date (GB 17167-2006 until 2026-01-31, GB 17167-2025 from 2026-02-01). Emission factors carry
their source; a factor without one is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "LEVELS",
    "AccuracyRequirement",
    "Edition",
    "EmissionFactor",
    "edition_for",
    "editions",
    "emission_factors",
    "factor_from_dict",
]

#: Metering levels of GB 17167 Table 3: 1 进出用能单位, 2 进出主要次级用能单位, 3 主要用能设备.
LEVELS = (1, 2, 3)


@dataclass(frozen=True, slots=True)
class AccuracyRequirement:
    """One row of GB 17167 Table 4: the largest accuracy class number allowed for a purpose."""

    code: str
    kind: str
    purpose: str
    max_class: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_class) and self.max_class > 0):
            raise InputError(f"Table 4 row {self.code}: class {self.max_class} must be positive")


@dataclass(frozen=True, slots=True)
class Edition:
    """An edition of GB 17167 with its Table 3 (配备率, %) and Table 4 (accuracy classes).

    ``rates[type]`` holds the required rate at levels 1, 2, 3 (None: no requirement).
    """

    edition: str
    effective_from: date
    effective_until: date | None
    source: str
    verified: bool
    note: str
    rates: Mapping[str, tuple[float | None, float | None, float | None]]
    accuracy: Mapping[str, AccuracyRequirement]
    default_requirement: Mapping[str, str]

    def __post_init__(self) -> None:
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise InputError(f"{self.edition}: effective until before effective from")
        for et, row in self.rates.items():
            for r in row:
                if r is not None and not 0 <= r <= 100:
                    raise InputError(f"{self.edition} Table 3 {et}: rate {r} outside 0–100 %")
        for et, code in self.default_requirement.items():
            if code not in self.accuracy:
                raise InputError(f"{self.edition}: default requirement {code} of {et} is not in Table 4")

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or day <= self.effective_until)

    def required_rate(self, energy_type: str, level: int) -> float | None:
        """The required 配备率 (%) for an energy type at a level (GB 17167 Table 3).

        Examples
        --------
        >>> e = edition_for(date(2025, 6, 30))
        >>> e.edition, e.required_rate("electricity", 3), e.required_rate("steam", 2)
        ('GB 17167-2006', 95.0, 80.0)
        """
        if level not in LEVELS:
            raise InputError(f"level {level} is not 1, 2 or 3")
        if energy_type not in self.rates:
            raise InputError(f"energy type {energy_type!r} is not in {self.edition} Table 3")
        return self.rates[energy_type][level - 1]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _rate(v: Any) -> float | None:
    return None if v is None else float(v)


def _edition(doc: Mapping[str, Any]) -> Edition:
    start = _day(doc["effective_from"])
    assert start is not None
    return Edition(
        edition=str(doc["edition"]),
        effective_from=start,
        effective_until=_day(doc.get("effective_until")),
        source=str(doc["source"]),
        verified=bool(doc["verified"]),
        note=str(doc.get("note", "")),
        rates={r["energy_type"]: (_rate(r["L1"]), _rate(r["L2"]), _rate(r["L3"])) for r in doc["table3"]},
        accuracy={
            r["code"]: AccuracyRequirement(r["code"], r["kind"], r["purpose"], float(r["max_class"]))
            for r in doc["table4"]
        },
        default_requirement=dict(doc["default_requirement"]),
    )


def _load(name: str) -> Any:
    return json.loads(resources.files("jiliang.energy").joinpath("data", name).read_text("utf-8"))


@cache
def editions() -> tuple[Edition, ...]:
    """Every edition of GB 17167 shipped, oldest first."""
    return tuple(
        sorted((_edition(d) for d in _load("gb17167.json")["editions"]), key=lambda e: e.effective_from)
    )


def edition_for(day: date) -> Edition:
    """The edition of GB 17167 in force on ``day`` (the review date, not today).

    Examples
    --------
    >>> edition_for(date(2026, 1, 31)).edition, edition_for(date(2026, 2, 1)).edition
    ('GB 17167-2006', 'GB 17167-2025')
    """
    for e in editions():
        if e.in_force(day):
            return e
    raise InputError(f"no edition of GB 17167 in force on {day.isoformat()}")


@dataclass(frozen=True, slots=True)
class EmissionFactor:
    """An emission factor F (t CO₂ per unit of activity) with its relative standard uncertainty.

    ``source`` is required: a factor nobody can trace is not used.
    """

    code: str
    energy_type: str
    activity_unit: str
    name: str
    value: float
    u_rel: float
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise InputError(f"emission factor {self.code or '?'} has no source")
        if not (math.isfinite(self.value) and self.value > 0):
            raise InputError(f"emission factor {self.code}: value {self.value} must be positive")
        if not (math.isfinite(self.u_rel) and 0 <= self.u_rel < 1):
            raise InputError(f"emission factor {self.code}: relative uncertainty {self.u_rel} not in [0, 1)")

    @property
    def u(self) -> float:
        """Standard uncertainty u(F) = F · u_rel."""
        return self.value * self.u_rel


def _component_u_rel(c: Mapping[str, Any]) -> float:
    low, high, v = c.get("low"), c.get("high"), float(c["value"])
    if low is None or high is None:
        return 0.0
    return (float(high) - float(low)) / (2 * 1.96) / v


def factor_from_dict(d: Mapping[str, Any]) -> EmissionFactor:
    """A factor from its data row: either ``value``/``u_rel`` or the product ``ncv`` × ``ef``.

    The product is F = NCV [GJ/unit] × EF [t CO₂/TJ] / 1000, with u_rel² = u_rel²(NCV) + u_rel²(EF)
    and each u_rel from the published 95 % interval, (high − low)/(2 × 1.96)/value
    (IPCC 2006 Vol. 1 Ch. 3 §3.2.2.4 gives the 95 % intervals).

    Examples
    --------
    >>> f = factor_from_dict({"code": "x", "energy_type": "refined_oil", "activity_unit": "t",
    ...     "name": "diesel", "source": "IPCC 2006 Vol. 2 Table 1.2, 1.4",
    ...     "ncv": {"value": 43.0, "low": 41.4, "high": 43.3},
    ...     "ef": {"value": 74.1, "low": 72.6, "high": 74.8}})
    >>> round(f.value, 5), round(f.u_rel, 5)
    (3.1863, 0.01358)
    """
    if "ncv" in d and "ef" in d:
        value = float(d["ncv"]["value"]) * float(d["ef"]["value"]) / 1000
        u_rel = math.hypot(_component_u_rel(d["ncv"]), _component_u_rel(d["ef"]))
    else:
        value, u_rel = float(d.get("value", math.nan)), float(d.get("u_rel") or 0.0)
    return EmissionFactor(
        code=str(d.get("code", "")),
        energy_type=str(d.get("energy_type", "")),
        activity_unit=str(d.get("activity_unit", "")),
        name=str(d.get("name", "")),
        value=value,
        u_rel=u_rel,
        source=str(d.get("source") or ""),
        note=str(d.get("note") or ""),
    )


@cache
def emission_factors() -> Mapping[str, EmissionFactor]:
    """The shipped emission factors by code."""
    rows: Sequence[Mapping[str, Any]] = _load("emission-factors.json")["factors"]
    return {f.code: f for f in (factor_from_dict(r) for r in rows)}
