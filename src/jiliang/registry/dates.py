"""Dates as registers write them, and calendar arithmetic (pure)."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta

from jiliang.errors import InputError

__all__ = ["add_months", "parse_date"]

_SLASH = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_CJK = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # 1900 date system, with Lotus' leap-year bug absorbed


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day.

    >>> add_months(date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    """
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def parse_date(value: object) -> date:
    """A date from ISO, ``yyyy/m/d``, ``yyyy年m月d日``, a spreadsheet serial or a datetime.

    >>> parse_date("2024年3月5日"), parse_date("2024/3/5"), parse_date(45356)
    (datetime.date(2024, 3, 5), datetime.date(2024, 3, 5), datetime.date(2024, 3, 5))
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise InputError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        return _serial(float(value))
    text = str(value).strip()
    if not text:
        raise InputError("empty date")
    m = _SLASH.match(text) or _CJK.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise InputError(f"{text!r} is not a valid date") from None
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(float(text))
    try:
        return (
            date.fromisoformat(text[:10])
            if len(text) >= 10 and text[10:11] in ("", "T", " ")
            else date.fromisoformat(text)
        )
    except ValueError:
        raise InputError(f"{text!r} is not a date (use 2024-03-05, 2024/3/5 or 2024年3月5日)") from None


def _serial(n: float) -> date:
    if not (1 <= n < 2958466) or n != int(n):
        raise InputError(f"{n!r} is not a spreadsheet date serial")
    return _EXCEL_EPOCH + timedelta(days=int(n))
