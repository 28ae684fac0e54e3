"""Streamed meter readings: a message parsed into typed readings, and the idempotency rule.

Pure: no network, no files, time is an argument. The MQTT loop and the store that use these
functions are in :mod:`jiliang.meters.ingest`.

A message arrives on ``<prefix>/<area_id>`` with the payload
``{"readings": [{"meter_id", "ts", "register_kwh", "current_a"?}, …]}``; ``ts`` is ISO 8601 with
an offset (``Z`` or ``+08:00``) or epoch seconds. A message that cannot be read at all (oversized,
not JSON, no ``readings`` list, a topic without an area) is rejected as a whole; otherwise every
valid reading is kept and each invalid one is rejected with its own reason.

A message's readings are held as columns (:class:`Columns`). The common message, every reading
well formed with epoch-second or ISO ``ts``, is decoded straight into columns by msgspec (when
installed) and checked with NumPy; any message that fails those checks is read again reading by
reading, which gives each refused reading its reason. Both paths accept and refuse the same
readings.

Idempotency is on *(meter_id, ts)*: a reading equal to the one already known (same register and
current) is a duplicate and dropped; one that differs is a *conflict*, kept aside, never stored
over the first.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "FUTURE_TOLERANCE_S",
    "MAX_METER_ID",
    "Classified",
    "Columns",
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
_HUGE = 1e300  # a register or current beyond it is left to parse_reading (inf, ints beyond floats)
_MAX_EPOCH_S = 10**12  # far beyond any clock; keeps ts × 10⁶ inside int64


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
class Columns:
    """Readings as columns: ``ts_us`` in microseconds since the epoch, ``current_a`` NaN where
    absent (a valid current is finite, so NaN means nothing else)."""

    meter_id: list[str]
    ts_us: npt.NDArray[np.int64]
    register_kwh: npt.NDArray[np.float64]
    current_a: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.meter_id)

    @classmethod
    def of(cls, readings: Sequence[Reading]) -> Columns:
        return cls(
            [r[0] for r in readings],
            np.array([r[1] for r in readings], dtype=np.int64),
            np.array([r[2] for r in readings], dtype=np.float64),
            np.array([r[3] for r in readings], dtype=np.float64),  # None → NaN
        )

    def take(self, rows: npt.NDArray[np.intp]) -> Columns:
        mids = self.meter_id
        return Columns(
            [mids[i] for i in rows.tolist()], self.ts_us[rows], self.register_kwh[rows], self.current_a[rows]
        )

    @classmethod
    def concat(cls, parts: Sequence[Columns]) -> Columns:
        if len(parts) == 1:
            return parts[0]
        return cls(
            [m for p in parts for m in p.meter_id],
            np.concatenate([p.ts_us for p in parts]),
            np.concatenate([p.register_kwh for p in parts]),
            np.concatenate([p.current_a for p in parts]),
        )

    def readings(self) -> tuple[Reading, ...]:
        cur = [None if c != c else c for c in self.current_a.tolist()]
        return tuple(
            Reading(m, t, r, c)
            for m, t, r, c in zip(
                self.meter_id, self.ts_us.tolist(), self.register_kwh.tolist(), cur, strict=True
            )
        )


@dataclass(frozen=True, slots=True)
class Parsed:
    area_id: str | None
    columns: Columns
    rejected: tuple[Rejected, ...]

    @property
    def readings(self) -> tuple[Reading, ...]:
        return self.columns.readings()

    @property
    def count(self) -> int:
        return len(self.columns)


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
    columns = _columnar(payload, (now_s + FUTURE_TOLERANCE_S) * _US)
    if columns is not None:
        return Parsed(area, columns, ())
    return _one_by_one(area, payload, now_s)


def _one_by_one(area: str, payload: bytes, now_s: float) -> Parsed:
    """The message read reading by reading: the valid ones kept, each other one with its reason."""
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
    return Parsed(area, Columns.of(good), tuple(bad))


@functools.cache
def _decoder() -> Callable[[bytes], list[Any] | None] | None:
    """msgspec's decoder of ``{"readings": [...]}`` into typed rows (None without msgspec). It checks
    types and the meter id's length; the rest is checked on the columns."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - the stream extra installs it
        return None
    from typing import Annotated

    meter_id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_METER_ID)]
    row = msgspec.defstruct(
        "Row",
        [
            ("meter_id", meter_id),
            ("ts", int | str),
            ("register_kwh", float),
            ("current_a", float | None, None),
        ],
    )
    body = msgspec.defstruct("Body", [("readings", list[row])])  # type: ignore[valid-type]
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(body)
    error = msgspec.DecodeError

    def decode(payload: bytes) -> list[Any] | None:
        try:
            rows: list[Any] = decoder.decode(payload).readings
        except (error, UnicodeDecodeError):
            return None  # not for this path: read one by one
        return rows

    return decode


def _columnar(payload: bytes, latest_us: float) -> Columns | None:
    """The readings of a message in which every reading is valid, as columns; None otherwise
    (the message is then read one by one, which gives the reasons)."""
    decode = _decoder()
    rows = decode(payload) if decode is not None else None
    if rows is None:
        return None
    if not rows:
        return Columns.of(())
    mids = [r.meter_id for r in rows]
    if any(map(str.isspace, mids)):
        return None
    ts = _ts_column([r.ts for r in rows])
    if ts is None or ts.min() < 0 or ts.max() > latest_us:
        return None
    reg = np.array([r.register_kwh for r in rows], dtype=np.float64)
    cur = np.array([r.current_a for r in rows], dtype=np.float64)  # None → NaN
    if not (np.isfinite(reg).all() and reg.min() >= 0):
        return None
    if not (np.isnan(cur) | (np.isfinite(cur) & (cur >= 0))).all():
        return None
    return Columns(mids, ts, reg, cur)


def _ts_column(values: list[int | str]) -> npt.NDArray[np.int64] | None:
    """Timestamps (epoch seconds or ISO 8601 with an offset) in microseconds; None if one is bad
    or out of range."""
    seconds = np.array(values)  # int64 when every one is an int that fits
    if seconds.dtype == np.int64:
        if seconds.min() < 0 or seconds.max() > _MAX_EPOCH_S:
            return None
        return seconds * _US
    us = [_ts_us(v) for v in values]  # ISO texts among them
    known = [u for u in us if u is not None]
    if len(known) < len(us) or max(known) > _MAX_EPOCH_S * _US:
        return None
    return np.array(known, dtype=np.int64)


def _fast(item: object, latest: float) -> Reading | None:
    """The common well-formed reading, checked with few calls; None sends it to :func:`parse_reading`
    (which gives the reason when it is bad)."""
    if type(item) is not dict:
        return None
    mid, ts, reg, cur = item.get("meter_id"), item.get("ts"), item.get("register_kwh"), item.get("current_a")
    if type(mid) is not str or not 0 < len(mid) <= MAX_METER_ID or mid.isspace():
        return None
    if (type(reg) is not float and type(reg) is not int) or not 0 <= reg < _HUGE:
        return None
    if cur is not None and ((type(cur) is not float and type(cur) is not int) or not 0 <= cur < _HUGE):
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
    return Parsed(area, Columns.of(()), (Rejected(reason, detail),))


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
    try:
        x = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return x if math.isfinite(x) else None


def _ts_us(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * _US if value >= 0 else None
    if isinstance(value, float):
        us = value * _US
        return round(us) if math.isfinite(us) and us >= 0 else None
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
