"""How wide a line of text is drawn, estimated without a browser, so server-drawn charts leave
room for their labels: a CJK or full-width character takes about 1 em, a Latin letter or digit
about 0.6 em (a little more for capitals), a space or punctuation mark about 0.3 em."""

from __future__ import annotations

import unicodedata

__all__ = ["fit_text", "text_units"]


def _em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch.isupper() or ch in "mwMW%":
        return 0.72
    if ch.isalnum():
        return 0.58
    return 0.32


def text_units(text: object, size: float = 13.0) -> float:
    """The estimated width of ``text`` at font size ``size`` (same units)."""
    return sum(_em(ch) for ch in str(text)) * size


def fit_text(text: object, units: float, size: float = 13.0) -> str:
    """``text``, cut and ended with "…" when wider than ``units``.

    >>> fit_text("Radiotherapy ionisation-chamber dosimeter", 120)
    'Radiotherapy io…'
    >>> fit_text("滨江区", 120)
    '滨江区'
    """
    s = str(text)
    if text_units(s, size) <= units:
        return s
    room = units - text_units("…", size)
    out = ""
    for ch in s:
        if text_units(out + ch, size) > room:
            break
        out += ch
    return out.rstrip() + "…"
