"""The NumPy key index of a store partition applies the same idempotency rule as
:func:`jiliang.meters.stream.classify` (the reference, reading by reading)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.meters.keyindex import DAY_US, PartitionIndex
from jiliang.meters.stream import Columns, Reading, classify

DAY0 = 20_393 * DAY_US  # 2025-11-01


def _keys(index: PartitionIndex, cols: Columns) -> np.ndarray:
    names = sorted(set(cols.meter_id))
    which = np.array([names.index(m) for m in cols.meter_id], dtype=np.int64)
    return index.keys_of(names, which, cols.ts_us)


readings = st.lists(
    st.builds(
        Reading,
        st.sampled_from(["M1", "M2", "M3"]),
        st.integers(0, 3).map(lambda k: DAY0 + k * 900_000_000),
        st.sampled_from([1.0, 2.0]),
        st.sampled_from([None, 0.5]),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(stored=readings, batch=readings)
def test_the_index_classifies_as_the_reference(stored: list[Reading], batch: list[Reading]) -> None:
    index = PartitionIndex(DAY0)
    first = Columns.of(stored)
    index.add(_keys(index, first), first.register_kwh, first.current_a)
    known: dict[str, dict[int, tuple[float, float | None]]] = {}
    for r in stored:
        known.setdefault(r.meter_id, {}).setdefault(r.ts_us, r.value)  # the first one is kept

    ref = classify(batch, known)
    cols = Columns.of(batch)
    v = index.classify(_keys(index, cols), cols.register_kwh, cols.current_a)

    assert Columns.of(ref.new).readings() == cols.take(np.flatnonzero(v.new)).readings()
    assert v.duplicates == ref.duplicates
    got = [
        (batch[i], (reg, None if cur != cur else cur))
        for i, reg, cur in zip(
            v.conflicts.tolist(), v.kept_register.tolist(), v.kept_current.tolist(), strict=True
        )
    ]
    assert got == list(ref.conflicts)


def test_add_keeps_the_first_value_and_counts_only_new_keys() -> None:
    index = PartitionIndex(DAY0)
    cols = Columns.of([Reading("M1", DAY0, 1.0), Reading("M1", DAY0, 2.0), Reading("M2", DAY0 + 1, 3.0)])
    assert index.add(_keys(index, cols), cols.register_kwh, cols.current_a) == 2
    assert index.add(_keys(index, cols), cols.register_kwh, cols.current_a) == 0
    assert index.entries == 2 and sorted(index.register.tolist()) == [1.0, 3.0]


def test_a_reading_outside_the_day_is_refused() -> None:
    index = PartitionIndex(DAY0)
    cols = Columns.of([Reading("M1", DAY0 + DAY_US, 1.0)])
    with pytest.raises(ValueError, match="outside the partition's day"):
        _keys(index, cols)
