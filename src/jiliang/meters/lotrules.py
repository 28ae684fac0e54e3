"""The regional lot rules shipped as data (``meters/data/lot_rules/*.json``), read once.

Each file is one rule: edition, effective date, sources, lot constraints, plan rows, limits,
decision and replacement, each part with its clause and whether it was verified from the text.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jiliang.meters.lots import LotError, LotRule

__all__ = ["load_rule", "rule_codes", "rule_data"]


@cache
def _all() -> dict[str, dict[str, Any]]:
    folder = resources.files("jiliang.meters") / "data" / "lot_rules"
    out: dict[str, dict[str, Any]] = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            data = json.loads(item.read_text(encoding="utf-8"))
            out[str(data["key"])] = data
    return out


def rule_codes() -> list[str]:
    """The keys of the shipped rules (``hu57-2018``, ``lu107-2022``, ``mc-s-s-06``)."""
    return list(_all())


def rule_data(key: str) -> dict[str, Any]:
    """The data file of one rule, as read (for display and the guide)."""
    if key not in _all():
        raise LotError(f"unknown lot rule {key[:40]!r}; known: {', '.join(rule_codes())}")
    return _all()[key]


def load_rule(key: str) -> LotRule:
    """The rule ``key`` as a :class:`~jiliang.meters.lots.LotRule`."""
    return LotRule.from_mapping(rule_data(key))
