"""Live collection rates per area, from the commit records of the ingest store's manifest.

Reads only the manifest's tail (the last ``max_bytes``), so the cost does not grow with the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["AreaRate", "collection_rates", "rates", "recent_records"]


@dataclass(frozen=True, slots=True)
class AreaRate:
    area_id: str
    readings: int  # stored within the window
    per_s: float
    last_at: str  # time of the area's latest commit record


def rates(records: Iterable[Mapping[str, Any]], now: float, window_s: float) -> list[AreaRate]:
    """Readings stored per area within ``window_s`` before ``now`` (records as in the manifest)."""
    count: dict[str, int] = {}
    last: dict[str, float] = {}
    for rec in records:
        try:
            at = datetime.fromisoformat(str(rec["at"])).timestamp()
        except (KeyError, ValueError):
            continue
        if not now - window_s <= at <= now:
            continue
        for area, n in dict(rec.get("areas") or {}).items():
            count[area] = count.get(area, 0) + int(n)
            last[area] = max(last.get(area, at), at)
    return [
        AreaRate(a, count[a], round(count[a] / window_s, 1), datetime.fromtimestamp(last[a], UTC).isoformat())
        for a in sorted(count)
    ]


def recent_records(store: Path, max_bytes: int = 1 << 20) -> list[dict[str, Any]]:
    """The commit records in the last ``max_bytes`` of the manifest (none when there is no store)."""
    path = Path(store) / "_ingest" / "manifest.jsonl"
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - max_bytes))
            tail = fh.read()
    except OSError:
        return []
    lines = tail.split(b"\n")
    if len(tail) == max_bytes:
        lines = lines[1:]  # the first line may be cut
    out = []
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def collection_rates(store: Path, now: float, window_s: float = 300.0) -> list[AreaRate]:
    """Live rates per area over the last ``window_s`` seconds."""
    return rates(recent_records(store), now, window_s)
