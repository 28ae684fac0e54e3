"""D-SI unit strings (``\\kilo\\pascal``): checking, readable text and conversion, on ``dsiUnits``.

Every place that reads or writes a unit goes through here, so the parser and its rules live in one
module. ``dsiUnits`` (PTB) parses, prints and scales units; the one conversion it does not do, an
offset between scales (degree Celsius to kelvin, BIPM SI Brochure 9th ed. §2.3.4), is written here.

>>> unit_text("\\\\kilo\\\\pascal")
'kPa'
>>> unit_problem("\\\\metre") is None
True
>>> conversion("\\\\bar", "\\\\kilo\\\\pascal")
Conversion(factor=Decimal('100'), offset=Decimal('0'))
>>> conversion("\\\\degreecelsius", "\\\\kelvin")
Conversion(factor=Decimal('1'), offset=Decimal('273.15'))
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import lru_cache

from dsi_unit import DsiUnit

from jiliang.errors import InputError

__all__ = ["Conversion", "conversion", "unit_problem", "unit_text"]

# Scales with an offset, which a factor cannot express: (from, to) → offset added after the factor.
_OFFSETS: dict[tuple[str, str], Decimal] = {("\\degreecelsius", "\\kelvin"): Decimal("273.15")}


_CONTEXT = Context(prec=15)


@dataclass(frozen=True, slots=True)
class Conversion:
    """``value_to = value_from · factor + offset`` (exact decimal factors)."""

    factor: Decimal
    offset: Decimal


def _parse(unit: str) -> DsiUnit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DsiUnit(unit)


@lru_cache(maxsize=4096)
def unit_problem(unit: str) -> str | None:
    """None when ``unit`` is a valid D-SI unit string, else the reason (``dsiUnits`` parser)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            parsed = DsiUnit(unit)
        except Exception as exc:  # the parser must never take validation down
            return f"{unit[:80]!r} cannot be parsed as a D-SI unit: {type(exc).__name__}"
    if not unit.startswith(("\\", "|")):
        return f"D-SI unit {unit!r} must start with a backslash"
    if not parsed.valid:
        reasons = [str(w) for w in getattr(parsed, "warnings", [])] or [str(w.message) for w in caught]
        return f"{unit!r} is not a D-SI unit" + (f": {reasons[0]}" if reasons else "")
    return None


@lru_cache(maxsize=1024)
def unit_text(unit: str) -> str:
    """A D-SI unit string as readable text (``\\degreecelsius`` → ``℃``); a foreign string as it is."""
    try:
        u = _parse(unit)
        return str(u.to_utf8()) if u.valid else unit
    except Exception:  # a foreign unit string must never break rendering
        return unit


@lru_cache(maxsize=256)
def conversion(unit_from: str, unit_to: str) -> Conversion:
    """How a value in ``unit_from`` is expressed in ``unit_to``; InputError when they do not convert."""
    offset = _OFFSETS.get((unit_from, unit_to))
    if offset is not None:
        return Conversion(Decimal(1), offset)
    try:
        # dsiUnits: scale · 1 unit_from == 1 unit_to
        scale = float(_parse(unit_from).get_scale_factor(_parse(unit_to)))
    except Exception as exc:
        raise InputError(f"{unit_from!r} cannot be converted to {unit_to!r}: {type(exc).__name__}") from exc
    if not math.isfinite(scale) or scale == 0:
        raise InputError(f"{unit_from!r} cannot be converted to {unit_to!r}")
    # the scale printed as floats print it (1e-05), inverted in decimal: exact for SI prefixes
    factor = (Decimal(1) / Decimal(repr(scale))).normalize(_CONTEXT)
    if factor == factor.to_integral_value():
        factor = Decimal(int(factor))  # 100, not 1E+2
    return Conversion(factor, Decimal(0))
