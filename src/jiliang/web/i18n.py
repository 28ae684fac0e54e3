"""Translation catalogs and language choice for the console.

Catalogs are JSON files ``catalogs/<lang>.json`` mapping a message key to its text; ``{name}``
placeholders are filled from keyword arguments. A test checks that both catalogs have the same keys
and that every key used by a template exists.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES", "catalog", "choose_language", "translator"]

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "catalogs"


@cache
def catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((_DIR / f"{lang}.json").read_text("utf-8"))
    return data


def translator(lang: str):  # type: ignore[no-untyped-def]
    """``t(key, **values)`` for ``lang``; a missing key shows itself, so it is seen and fixed."""
    messages = catalog(lang)

    def t(key: str, **values: object) -> str:
        text = messages.get(key, key)
        return text.format(**values) if values else text

    return t


def _from_accept_language(header: str) -> str | None:
    best: tuple[float, str] | None = None
    for part in header.split(",")[:20]:
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and (best is None or q > best[0]):
            best = (q, primary)
    return best[1] if best else None


def choose_language(query: str | None, cookie: str | None, accept: str | None, default: str) -> str:
    """``?lang=`` first, then the cookie it set, then ``Accept-Language``, then the default."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return _from_accept_language(accept or "") or default
