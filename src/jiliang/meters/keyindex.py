"""The (meter_id, ts) index of one store partition (an area and a UTC day), as sorted NumPy arrays.

Pure: NumPy only. The idempotency rule is :func:`jiliang.meters.stream.classify`'s (an identical
reading is a duplicate, a different one for the same key a conflict, readings earlier in a batch
count as known for later ones); this index applies it to whole columns at once. A key is one
int64: the meter's number in the partition (in order of first sight) in the high bits, the
microseconds since the start of the day in the low 37 bits (a day is < 2³⁷ µs). An entry costs
24 bytes (key, register, current), against ≈ 180 for a Python dict of tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DAY_US", "PartitionIndex", "Verdict"]

DAY_US = 86_400_000_000
_TS_BITS = 37
_MAX_METERS = 1 << (63 - _TS_BITS)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Rows of a batch: ``new`` (to store), the number of identical ``duplicates``, and the rows
    in ``conflicts`` with the register and current already kept for their key (NaN: no current)."""

    new: npt.NDArray[np.bool_]
    duplicates: int
    conflicts: npt.NDArray[np.intp]
    kept_register: Floats
    kept_current: Floats


def _same(reg: Floats, cur: Floats, kept_reg: Floats, kept_cur: Floats) -> npt.NDArray[np.bool_]:
    both_absent = np.isnan(cur) & np.isnan(kept_cur)
    result: npt.NDArray[np.bool_] = (reg == kept_reg) & ((cur == kept_cur) | both_absent)
    return result


class PartitionIndex:
    """Keys of the readings stored in one partition, sorted, with their values."""

    def __init__(self, day_start_us: int) -> None:
        self.day_start_us = day_start_us
        self.meters: dict[str, int] = {}
        self.keys: Ints = np.empty(0, np.int64)
        self.register: Floats = np.empty(0, np.float64)
        self.current: Floats = np.empty(0, np.float64)

    @property
    def entries(self) -> int:
        return len(self.keys)

    def keys_of(self, names: Sequence[str], which: npt.NDArray[np.integer], ts_us: Ints) -> Ints:
        """Keys of rows whose meter is ``names[which[i]]`` (names unique, e.g. an Arrow dictionary)."""
        meters = self.meters
        codes = np.empty(len(names), np.int64)
        for i, name in enumerate(names):
            code = meters.get(name)
            if code is None:
                code = meters[name] = len(meters)
            codes[i] = code
        if len(meters) > _MAX_METERS:
            raise ValueError(f"more than {_MAX_METERS} meters in one partition")
        offset = ts_us - self.day_start_us
        if len(offset) and (offset.min() < 0 or offset.max() >= DAY_US):
            raise ValueError("a reading outside the partition's day")
        keys: Ints = (codes[which] << _TS_BITS) | offset
        return keys

    def lookup(self, keys: Ints) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
        """Which keys are stored, and where (positions are meaningful where found)."""
        if not len(self.keys):
            return np.zeros(len(keys), np.bool_), np.zeros(len(keys), np.intp)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return self.keys[pos] == keys, pos

    def classify(self, keys: Ints, register: Floats, current: Floats) -> Verdict:
        """Split a batch's rows (in arrival order) by the idempotency rule (see the module doc)."""
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)  # first: stable
        first_of_row = first[inverse.reshape(-1)]
        found, pos = self.lookup(keys)
        kept_reg = np.where(found, self.register[pos] if len(self.keys) else 0.0, register[first_of_row])
        kept_cur = np.where(found, self.current[pos] if len(self.keys) else 0.0, current[first_of_row])
        new = ~found & (first_of_row == np.arange(len(keys)))
        same = _same(register, current, kept_reg, kept_cur)
        conflicts = np.flatnonzero(~new & ~same)
        return Verdict(
            new=new,
            duplicates=int(np.count_nonzero(~new & same)),
            conflicts=conflicts,
            kept_register=kept_reg[conflicts],
            kept_current=kept_cur[conflicts],
        )

    def add(self, keys: Ints, register: Floats, current: Floats) -> int:
        """Store rows' keys and values (a key already stored keeps its first value); how many were new."""
        _, first = np.unique(keys, return_index=True)
        found, _ = self.lookup(keys[first])
        rows = first[~found]  # in key order (np.unique sorts)
        if not len(rows):
            return 0
        at = np.searchsorted(self.keys, keys[rows])
        self.keys = np.insert(self.keys, at, keys[rows])
        self.register = np.insert(self.register, at, register[rows])
        self.current = np.insert(self.current, at, current[rows])
        return len(rows)
