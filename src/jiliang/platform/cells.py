"""Text cells that cross the platform's boundary: spreadsheet formulas and identities.

One rule decides whether a cell looks like a formula (CSV/formula injection, OWASP): leading
whitespace of any kind and invisible characters are skipped first — a space, U+00A0, U+3000, a
zero-width space or a BOM before ``=`` does not make the cell harmless, since spreadsheets and
people trim them — then the first character is checked against ``= + - @`` and their full-width
forms ``＝ ＋ － ＠``; a cell that *starts* with a tab or carriage return is formula-like too.
Imports refuse such cells (:func:`formula_like`); every CSV and .xlsx the platform writes passes
its text cells through :func:`safe_cell`, which prefixes a single quote.

:func:`identity_text` is the form under which two spellings of one identifier (a serial number)
are the same: NFKC (full-width letters and digits become ASCII), invisible characters removed,
surrounding whitespace stripped, inner whitespace collapsed, case folded.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from jiliang.errors import InputError

__all__ = [
    "FORMULA_STARTS",
    "formula_like",
    "identity_text",
    "number_cell",
    "safe_cell",
    "strip_invisible",
]

FORMULA_STARTS = frozenset("=+-@＝＋－＠")
_RAW_STARTS = ("\t", "\r")
# zero-width and other invisible format characters that survive str.strip()
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_SPACES = re.compile(r"\s+")


def strip_invisible(text: str) -> str:
    """``text`` without zero-width and other invisible format characters.

    >>> strip_invisible("SN\\u200b01\\ufeff")
    'SN01'
    """
    return _INVISIBLE.sub("", text)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula.

    >>> [formula_like(s) for s in ("=1+1", " =1", "\\u00a0=1", "\\u3000＝1", "\\u200b@A1", "\\tx", "-2")]
    [True, True, True, True, True, True, True]
    >>> [formula_like(s) for s in ("SN-1", "(0~15)kg", "", "   ")]
    [False, False, False, False]
    """
    if not text:
        return False
    if text.startswith(_RAW_STARTS):
        return True
    core = strip_invisible(text).lstrip()
    return bool(core) and core[0] in FORMULA_STARTS


def safe_cell(value: Any) -> Any:
    """A value for a CSV or .xlsx cell: formula-like text gets a leading ``'``; None becomes ``""``.

    Numbers, dates and booleans are kept (a spreadsheet never runs them).

    >>> safe_cell("=HYPERLINK(1)"), safe_cell(" =1"), safe_cell("SN-1"), safe_cell(None), safe_cell(-2.5)
    ("'=HYPERLINK(1)", "' =1", 'SN-1', '', -2.5)
    """
    if value is None:
        return ""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def identity_text(text: str) -> str:
    """The identity form of an identifier: two serials with the same form are one instrument.

    >>> identity_text(" ＳＮ-00a\\u200b1 "), identity_text("sn-00A1")
    ('sn-00a1', 'sn-00a1')
    """
    folded = unicodedata.normalize("NFKC", strip_invisible(text))
    return _SPACES.sub(" ", folded).strip().casefold()


def number_cell(name: str, line: int, col: str, cell: str, error: type[InputError] = InputError) -> float:
    """The finite number in a CSV cell, or ``error`` naming the file, line and column.

    >>> number_cell("lab.csv", 3, "u", "0.25")
    0.25
    >>> number_cell("lab.csv", 3, "u", "nan")
    Traceback (most recent call last):
    ...
    jiliang.errors.InputError: lab.csv line 3: u 'nan' is not a finite number
    """
    try:
        v = float(cell)
    except ValueError:
        raise error(f"{name} line {line}: {col} {cell!r} is not a number") from None
    if not math.isfinite(v):
        raise error(f"{name} line {line}: {col} {cell!r} is not a finite number")
    return v
