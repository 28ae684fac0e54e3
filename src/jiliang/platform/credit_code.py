"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organization category (1), administrative division
code (6), organization code (9, whose last character is its own GB 11714 check digit) and the
check character (1). The check character is computed over the first 17 characters with weights
3^i mod 31 over the alphabet ``0-9 A-H J-N P-R T-U W-Y`` (no I, O, Z, S, V).
"""

from __future__ import annotations

import random

from jiliang.errors import InputError

__all__ = ["ALPHABET", "check_character", "generate", "validate"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
# GB 11714-1997 organization code check digit (position 9 of the 9-character code).
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _org_check(first8: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def validate(code: object) -> str:
    """Return the normalized code, or raise :class:`InputError` naming what is wrong.

    >>> validate("91350100M000100Y43")
    '91350100M000100Y43'
    """
    if not isinstance(code, str):
        raise InputError(f"credit code must be text, got {type(code).__name__}")
    norm = code.strip().upper()
    if len(norm) != 18:
        raise InputError(f"credit code {code!r} must have 18 characters, has {len(norm)}")
    bad = [c for c in norm if c not in _VALUE]
    if bad:
        raise InputError(f"credit code {code!r} has a character outside GB 32100: {bad[0]!r}")
    if not norm[2:8].isdigit():
        raise InputError(f"credit code {code!r}: administrative division code must be 6 digits")
    expected = check_character(norm[:17])
    if norm[17] != expected:
        raise InputError(f"credit code {code!r}: check character is {norm[17]!r}, expected {expected!r}")
    return norm


def generate(rng: random.Random, division: str = "440100", category: str = "91") -> str:
    """A syntactically valid code for demo data (registration authority + category, division)."""
    body = "".join(rng.choice(ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org = body + _org_check(body)
    first17 = category + division + org
    return first17 + check_character(first17)
