"""Streamed meter readings: a message parsed into typed readings, and the idempotency rule.

Pure: no network, no files, time is an argument. The MQTT loop and the store that use these
functions are in :mod:`jiliang.meters.ingest`.

A message arrives on ``<prefix>/<area_id>`` with the payload
``{"readings": [{"meter_id", "ts", "register_kwh", "current_a"?}, …]}``; ``ts`` is ISO 8601 with
an offset (``Z`` or ``+08:00``) or epoch seconds. A message that cannot be read at all (oversized,
not JSON, no ``readings`` list, a topic without an area) is rejected as a whole; otherwise every
valid reading is kept and each invalid one is rejected with its own reason.

Idempotency is on *(meter_id, ts)*: a reading equal to the one already known (same register and
current) is a duplicate and dropped; one that differs is a *conflict*, kept aside, never stored
over the first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

__all__ = [
    "FUTURE_TOLERANCE_S",
    "MAX_METER_ID",
    "Classified",
    "Parsed",
    "Reading",
    "Rejected",
    "by_partition",
    "classify",
    "parse_message",
    "parse_reading",
    "utc_day",
]

MAX_METER_ID = 64
FUTURE_TOLERANCE_S = 300  # clock skew allowed for a reading stamped ahead of the ingestor's clock
_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)


class Reading(NamedTuple):
    """One register read: ``ts`` in integer microseconds since the epoch (UTC). A named tuple, not
    a dataclass: a stream makes tens of thousands per second and a tuple is built several times
    faster."""

    meter_id: str
    ts_us: int
    register_kwh: float
    current_a: float | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.meter_id, self.ts_us)

    @property
    def value(self) -> tuple[float, float | None]:
        return (self.register_kwh, self.current_a)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a message (``index`` None) or one of its readings (``index``) was refused."""

    reason: str
    detail: str
    index: int | None = None
    item: object = None


@dataclass(frozen=True, slots=True)
class Parsed:
    area_id: str | None
    readings: tuple[Reading, ...]
    rejected: tuple[Rejected, ...]


def _area_of(topic: str, prefix: str) -> str | None:
    head = prefix.rstrip("/") + "/"
    if not topic.startswith(head):
        return None
    area = topic[len(head) :]
    if not area or "/" in area or len(area) > MAX_METER_ID or area.startswith(("_", ".")):
        return None
    return area


def parse_message(topic: str, payload: bytes, now_s: float, max_bytes: int, prefix: str) -> Parsed:
    """Readings of one message, and what was refused with reasons (see the module doc)."""
    if len(payload) > max_bytes:
        return _whole(None, "oversized", f"{len(payload)} bytes > limit {max_bytes}")
    area = _area_of(topic, prefix)
    if area is None:
        return _whole(None, "bad_topic", f"topic must be {prefix.rstrip('/')}/<area_id>")
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        return _whole(area, "not_json", str(exc)[:200])
    if not isinstance(body, dict) or not isinstance(body.get("readings"), list):
        return _whole(area, "no_readings", 'payload must be an object {"readings": [...]}')
    good: list[Reading] = []
    bad: list[Rejected] = []
    latest = (now_s + FUTURE_TOLERANCE_S) * _US
    for i, item in enumerate(body["readings"]):
        fast = _fast(item, latest)
        if fast is not None:
            good.append(fast)
            continue
        r = parse_reading(item, now_s)
        if isinstance(r, Reading):
            good.append(r)
        else:
            bad.append(Rejected(r[0], r[1], i, item))
    return Parsed(area, tuple(good), tuple(bad))


def _fast(item: object, latest: float) -> Reading | None:
    """The common well-formed reading, checked with few calls; None sends it to :func:`parse_reading`
    (which gives the reason when it is bad)."""
    if type(item) is not dict:
        return None
    mid, ts, reg, cur = item.get("meter_id"), item.get("ts"), item.get("register_kwh"), item.get("current_a")
    if type(mid) is not str or not 0 < len(mid) <= MAX_METER_ID or mid.isspace():
        return None
    if (type(reg) is not float and type(reg) is not int) or not 0 <= reg < math.inf:
        return None
    if cur is not None and ((type(cur) is not float and type(cur) is not int) or not 0 <= cur < math.inf):
        return None
    if type(ts) is int:
        us: int | None = ts * _US if ts >= 0 else None
    elif type(ts) is str:
        us = _ts_us(ts)
    else:
        return None
    if us is None or us > latest:
        return None
    return Reading(mid, us, float(reg), None if cur is None else float(cur))


def _whole(area: str | None, reason: str, detail: str) -> Parsed:
    return Parsed(area, (), (Rejected(reason, detail),))


def parse_reading(item: object, now_s: float) -> Reading | tuple[str, str]:
    """A :class:`Reading`, or ``(reason, detail)``."""
    if not isinstance(item, dict):
        return ("not_object", "a reading must be an object")
    missing = [k for k in ("meter_id", "ts", "register_kwh") if item.get(k) is None]
    if missing:
        return ("missing_field", ", ".join(missing))
    mid = item["meter_id"]
    if not isinstance(mid, str) or mid.isspace() or not 0 < len(mid) <= MAX_METER_ID:
        return ("bad_meter_id", f"meter_id must be a text of 1–{MAX_METER_ID} characters")
    ts = _ts_us(item["ts"])
    if ts is None:
        return ("bad_ts", "ts must be ISO 8601 with an offset, or epoch seconds")
    if ts > (now_s + FUTURE_TOLERANCE_S) * _US:
        return ("future_ts", f"ts is more than {FUTURE_TOLERANCE_S} s ahead of the ingestor's clock")
    reg = _number(item["register_kwh"])
    if reg is None:
        return ("bad_register", "register_kwh must be a finite number")
    if reg < 0:
        return ("negative_register", f"register_kwh {reg} < 0")
    cur_raw = item.get("current_a")
    cur = None if cur_raw is None else _number(cur_raw)
    if cur_raw is not None and cur is None:
        return ("bad_current", "current_a must be a finite number")
    if cur is not None and cur < 0:
        return ("negative_current", f"current_a {cur} < 0")
    return Reading(mid, ts, reg, cur)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _ts_us(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * _US if value >= 0 else None
    if isinstance(value, float):
        return round(value * _US) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    delta = dt - _EPOCH
    us = (delta.days * 86400 + delta.seconds) * _US + delta.microseconds
    return us if us >= 0 else None


@dataclass(frozen=True, slots=True)
class Classified:
    new: tuple[Reading, ...]
    duplicates: int
    conflicts: tuple[tuple[Reading, tuple[float, float | None]], ...]  # (sent, value kept)


def classify(
    readings: Iterable[Reading], known: Mapping[str, Mapping[int, tuple[float, float | None]]]
) -> Classified:
    """Split readings into new ones, identical duplicates (counted) and conflicts (with the value
    already kept). ``known`` maps meter id → ts → (register, current). Readings earlier in
    ``readings`` count as known for later ones."""
    seen: dict[tuple[str, int], tuple[float, float | None]] = {}
    new: list[Reading] = []
    conflicts: list[tuple[Reading, tuple[float, float | None]]] = []
    dups = 0
    empty: Mapping[int, tuple[float, float | None]] = {}
    for r in readings:
        v = (r[2], r[3])
        kept = known.get(r[0], empty).get(r[1])
        if kept is None:
            kept = seen.get((r[0], r[1]))
        if kept is None:
            seen[(r[0], r[1])] = v
            new.append(r)
        elif kept == v:
            dups += 1
        else:
            conflicts.append((r, kept))
    return Classified(tuple(new), dups, tuple(conflicts))


def utc_day(ts_us: int) -> str:
    """The UTC date (``YYYY-MM-DD``) of a timestamp in microseconds."""
    return (_EPOCH_DAY + timedelta(days=ts_us // (86400 * _US))).isoformat()


def by_partition(area_id: str, readings: Sequence[Reading]) -> dict[tuple[str, str], list[Reading]]:
    """Readings grouped by store partition ``(area_id, UTC date)``."""
    days: dict[int, list[Reading]] = {}
    day_us = 86400 * _US
    for r in readings:
        days.setdefault(r.ts_us // day_us, []).append(r)
    return {(area_id, (_EPOCH_DAY + timedelta(days=d)).isoformat()): rows for d, rows in days.items()}
