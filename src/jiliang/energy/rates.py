"""Pure cores of the energy metering review: 配备率, accuracy classes, verification status.

No database, no clock: the review date is an argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from jiliang.energy.tables import LEVELS, Edition
from jiliang.errors import InputError

__all__ = [
    "ConfigurationRate",
    "MeterStatus",
    "accuracy_ok",
    "configuration_rate",
    "configuration_rates",
    "parse_class",
    "verification_status",
]


@dataclass(frozen=True, slots=True)
class ConfigurationRate:
    """配备率 of one energy type at one level (GB 17167 3.2; GB/T 43866-2024).

    ``rate`` = min(installed, required) / required × 100 % (None when nothing is required);
    ``required_rate`` is the Table 3 cell; ``ok`` is None when Table 3 asks nothing.
    """

    energy_type: str
    level: int
    required: int
    installed: int
    rate: float | None
    required_rate: float | None
    ok: bool | None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise InputError(f"level {self.level} is not 1, 2 or 3")
        if self.required < 0 or self.installed < 0:
            raise InputError(
                f"counts must not be negative (required {self.required}, installed {self.installed})"
            )


def configuration_rate(installed: int, required: int) -> float | None:
    """The equipping rate in %: installed meters over the theoretical requirement.

    GB 17167-2006 3.2 defines 配备率 as the installed number over the theoretical need; meters
    beyond the need do not make up for a missing one elsewhere, so the count is capped at the need.

    Examples
    --------
    >>> configuration_rate(19, 20), configuration_rate(25, 20), configuration_rate(0, 0)
    (95.0, 100.0, None)
    """
    if installed < 0 or required < 0:
        raise InputError(f"counts must not be negative (installed {installed}, required {required})")
    if required == 0:
        return None
    return 100.0 * min(installed, required) / required


def configuration_rates(
    edition: Edition,
    required: Mapping[tuple[str, int], int],
    installed: Mapping[tuple[str, int], int],
) -> list[ConfigurationRate]:
    """One row per (energy type, level) that has a requirement or a meter, against Table 3.

    Examples
    --------
    >>> from jiliang.energy.tables import edition_for
    >>> rows = configuration_rates(edition_for(date(2025, 6, 30)),
    ...     {("electricity", 3): 20, ("steam", 2): 5}, {("electricity", 3): 19, ("steam", 2): 3})
    >>> [(r.energy_type, r.level, r.rate, r.required_rate, r.ok) for r in rows]
    [('electricity', 3, 95.0, 95.0, True), ('steam', 2, 60.0, 80.0, False)]
    """
    keys = sorted(set(required) | set(installed), key=lambda k: (k[0], k[1]))
    out = []
    for et, level in keys:
        need, have = int(required.get((et, level), 0)), int(installed.get((et, level), 0))
        std = edition.required_rate(et, level)
        rate = configuration_rate(have, need)
        ok = None if std is None or rate is None else rate >= std
        out.append(ConfigurationRate(et, level, need, have, rate, std, ok))
    return out


_CLASS = re.compile(r"^\s*(?:class\s*)?([0-9]+(?:\.[0-9]+)?)\s*(?:s|级|级表)?\s*$", re.IGNORECASE)
_ROMAN = {"a": 2.0, "b": 1.0, "c": 0.5, "d": 0.2}  # GB/T 17215 classes A/B/C/D as % (secondary)


def parse_class(text: str | None) -> float | None:
    """The number of an accuracy class as written on a meter ("0.5S", "1.0级", "2") or None.

    Examples
    --------
    >>> parse_class("0.5S"), parse_class("1.0级"), parse_class("2"), parse_class("high")
    (0.5, 1.0, 2.0, None)
    """
    if text is None:
        return None
    m = _CLASS.match(text)
    if m:
        v = float(m.group(1))
        return v if math.isfinite(v) and v > 0 else None
    return _ROMAN.get(text.strip().lower())


def accuracy_ok(meter_class: str | None, max_class: float) -> bool | None:
    """Whether the meter's class meets a Table 4 row (smaller class number = more accurate).

    None when the class cannot be read: the reviewer must look at the certificate.

    Examples
    --------
    >>> accuracy_ok("0.5S", 1.0), accuracy_ok("2", 1.0), accuracy_ok(None, 1.0)
    (True, False, None)
    """
    v = parse_class(meter_class)
    return None if v is None else v <= max_class + 1e-12


@dataclass(frozen=True, slots=True)
class MeterStatus:
    """A meter's verification/calibration status on the review date."""

    state: str  # "valid", "out_of_date", "failed", "unknown"
    due: date | None


def verification_status(next_due: date | None, last_result: str | None, on: date) -> MeterStatus:
    """Status from the registry record: failed last result, past its due date, valid, or unknown.

    Examples
    --------
    >>> verification_status(date(2026, 1, 1), "pass", date(2026, 3, 1)).state
    'out_of_date'
    >>> verification_status(date(2027, 1, 1), "pass", date(2026, 3, 1)).state
    'valid'
    """
    if last_result is not None and last_result.lower() in {"fail", "failed"}:
        return MeterStatus("failed", next_due)
    if next_due is None:
        return MeterStatus("unknown", None)
    return MeterStatus("valid" if next_due >= on else "out_of_date", next_due)


def count_by(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """How many times each (energy type, level) occurs."""
    out: dict[tuple[str, int], int] = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return out
