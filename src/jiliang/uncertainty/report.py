"""Reporting a result as the GUM says: the uncertainty to two significant digits, the value to the
same decimal place (JCGM 100:2008 §7.2.6)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["decimal_places", "format_at", "round_result", "significant"]


def decimal_places(u: float, digits: int = 2) -> int:
    """Decimal places that keep ``digits`` significant digits of ``u`` (negative: tens, hundreds).

    >>> decimal_places(0.10554729), decimal_places(1234.5), decimal_places(0.0996)
    (2, -2, 2)
    """
    places = digits - 1 - math.floor(math.log10(abs(u)))
    rounded = Decimal(repr(u)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if abs(rounded) >= Decimal(10) ** (digits - places):  # 0.0996 → 0.100: one digit too many
        places -= 1
    return places


def format_at(value: float, places: int) -> str:
    """``value`` rounded (half up) to ``places`` decimal places (negative: to tens, hundreds…).

    >>> format_at(100021.347, -2), format_at(1.2349, 3), format_at(-0.5, 0)
    ('100000', '1.235', '-1')
    """
    q = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if places <= 0:
        return str(int(q))
    return f"{q:.{places}f}"


def significant(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` significant digits, in plain decimal notation.

    >>> significant(0.10554729), significant(1234.5), significant(0.0996), significant(0.0)
    ('0.11', '1200', '0.10', '0')
    """
    if not math.isfinite(value):
        return "∞" if value > 0 else "-∞" if value < 0 else "—"
    if value == 0:
        return "0"
    return format_at(value, decimal_places(value, digits))


def round_result(value: float, uncertainty: float, digits: int = 2) -> tuple[str, str]:
    """The value and its uncertainty as text: U to ``digits`` significant digits, the value to
    the same decimal place.

    References
    ----------
    JCGM 100:2008 (GUM) §7.2.6: "it usually suffices to quote u_c(y) and U [...] to at most two
    significant digits"; the estimate is rounded to be consistent with the uncertainty.

    Examples
    --------
    >>> round_result(1.234, 0.10554729)
    ('1.23', '0.11')
    >>> round_result(100021.347, 1234.5)
    ('100000', '1200')
    >>> round_result(10.000123, 0.0000996)
    ('10.00012', '0.00010')
    >>> round_result(2.5, 0.0)
    ('2.5', '0')
    """
    if not (math.isfinite(value) and math.isfinite(uncertainty)) or uncertainty <= 0:
        return (f"{value:.6g}" if math.isfinite(value) else significant(value)), significant(uncertainty)
    places = decimal_places(uncertainty, digits)
    return format_at(value, places), format_at(uncertainty, places)
