"""D-SI units through ``dsiUnits``: conversions against the SI definitions (BIPM SI Brochure, 9th ed.)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiliang.errors import InputError
from jiliang.units import conversion, unit_problem, unit_text

# (from, to, factor, offset) written from the SI Brochure's prefix table (§3, Table 7) and its
# non-SI units accepted for use (Table 8: 1 bar = 100 kPa; 1 L = 1 dm³; t/°C = T/K − 273.15).
SI_DEFINITIONS = [
    ("\\milli\\metre", "\\metre", Decimal("0.001"), Decimal(0)),
    ("\\kilo\\metre", "\\metre", Decimal(1000), Decimal(0)),
    ("\\bar", "\\kilo\\pascal", Decimal(100), Decimal(0)),
    ("\\bar", "\\pascal", Decimal(100000), Decimal(0)),
    ("\\kilo\\pascal", "\\bar", Decimal("0.01"), Decimal(0)),
    ("\\gram", "\\kilogram", Decimal("0.001"), Decimal(0)),
    ("\\mega\\watt", "\\kilo\\watt", Decimal(1000), Decimal(0)),
    ("\\degreecelsius", "\\kelvin", Decimal(1), Decimal("273.15")),
]


@pytest.mark.parametrize(("src", "dst", "factor", "offset"), SI_DEFINITIONS)
def test_conversion_follows_the_si_definitions(src: str, dst: str, factor: Decimal, offset: Decimal) -> None:
    c = conversion(src, dst)
    assert (c.factor, c.offset) == (factor, offset)


@pytest.mark.parametrize(("a", "b"), [("\\metre", "\\kilogram"), ("\\nonsense", "\\metre"), ("\\metre", "")])
def test_units_of_different_kinds_do_not_convert(a: str, b: str) -> None:
    with pytest.raises(InputError, match="cannot be converted"):
        conversion(a, b)


def test_checking_and_text() -> None:
    assert unit_problem("\\kilo\\pascal") is None
    assert "backslash" in (unit_problem("metre") or "")
    assert unit_problem("\\metre\\tothe{x}") is not None
    assert unit_text("\\degreecelsius") == "℃"
    assert unit_text("\\nonsense") == "\\nonsense"
    assert unit_problem("\\" * 10_000) is not None  # hostile input gives a reason, not an exception
