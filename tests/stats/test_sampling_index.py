"""The indexed plan look-up (built once per edition) gives exactly the plan the tables give cell by
cell: every severity, level and AQL, at both ends of every Table 1 row and beyond the last."""

from __future__ import annotations

import pytest

from jiliang.errors import InputError
from jiliang.stats.sampling import (
    AQL_VALUES,
    INSPECTION_LEVELS,
    SEVERITIES,
    SamplingPlan,
    lot_acceptance,
    sampling_plan,
    sampling_tables,
)


def _by_cell(lot_size: int, j: int, level: str, severity: str) -> SamplingPlan:
    tables = sampling_tables()
    row = max((i for i, start in enumerate(tables.lot_starts) if start <= lot_size), default=0)
    letter = tables.code_rows[row][2][INSPECTION_LEVELS.index(level)]
    cell = tables.cells[(severity, letter, j)]
    assert cell is not None
    table = {"normal": "2-A", "tightened": "2-B", "reduced": "2-C"}[severity]
    return SamplingPlan(
        lot_size=lot_size, aql=tables.aqls[j], level=level, severity=severity,
        code_letter=letter, plan_letter=cell.plan_letter, n=min(cell.n, lot_size), ac=cell.ac, re=cell.re,
        hundred_percent=cell.n >= lot_size, arrow=cell.arrow, tighter_ac=cell.tighter_ac, table=table,
        page=tables.pages[table], edition=tables.edition,
    )  # fmt: skip


def _sizes() -> list[int]:
    rows = sampling_tables().code_rows
    ends = [last for _, last, _ in rows if last is not None]
    return sorted({1, 2, *(first for first, _, _ in rows), *ends, ends[-1] + 1, 10**9})


def test_index_equals_the_tables_cell_by_cell() -> None:
    checked = 0
    for severity in SEVERITIES:
        for level in INSPECTION_LEVELS:
            for j, aql in enumerate(AQL_VALUES):
                for n in _sizes():
                    got = sampling_plan(n, aql, level=level, severity=severity)
                    want = _by_cell(n, j, level, severity)
                    assert got == want and hash(got) == hash(want), (n, aql, level, severity)
                    checked += 1
    assert checked > 7000


def test_fast_objects_keep_their_checks_and_immutability() -> None:
    p = sampling_plan(2000, "1.0")
    with pytest.raises(AttributeError):
        p.n = 3
    with pytest.raises(InputError, match="negative"):
        lot_acceptance(p, -1)
    with pytest.raises(InputError, match="inspection level"):
        sampling_plan(2000, "1.0", level="IV")
    with pytest.raises(InputError, match="severity"):
        sampling_plan(2000, "1.0", severity="loose")
    d = lot_acceptance(p, 4)
    assert (d.accepted, d.clause) == (False, "GB/T 2828.1-2012 11.1.1: d=4 ≥ Re=4")
