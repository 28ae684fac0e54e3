"""GB/T 2828.1-2012 (≡ ISO 2859-1:1999): the packaged tables against a second transcription.

The data file ``src/jiliang/stats/data/gbt2828_1_2012.json`` stores the *printed* cells (plans and
arrows). Here the same tables come from elsewhere, in another shape:

* Table 1 (样本量字码, code letters), written below column by column (one string per inspection
  level), re-keyed from the standard's Table 1;
* Tables 2-A, 2-B, 2-C (printed pages 15, 16, 17): ``data/gbt2828_1_2012_plans.tsv`` holds, for
  every initial code letter and AQL, the plan reached *after* following the arrows
  (``letter/n/Ac/Re``), from an independent double-keyed transcription of the standard's pages
  (source and digests in the file's header).

Every cell is compared: the arrows, the sample sizes, Ac and Re.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from jiliang.errors import InputError
from jiliang.stats import (
    AQL_VALUES,
    INSPECTION_LEVELS,
    SwitchingState,
    lot_acceptance,
    sampling_plan,
    sampling_tables,
    switching_step,
)

PLANS = Path(__file__).parent / "data" / "gbt2828_1_2012_plans.tsv"

#: GB/T 2828.1-2012 Table 1: lot size ranges (first lot of each row) and, per level, the code
#: letter of each row as one string (row 1 = lots 2–8 … row 15 = 500 001 and more).
TABLE_1_FIRST_LOT = [2, 9, 16, 26, 51, 91, 151, 281, 501, 1201, 3201, 10001, 35001, 150001, 500001]
TABLE_1_COLUMNS = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}
TABLES = {"2-A": "normal", "2-B": "tightened", "2-C": "reduced"}


def _second_transcription() -> dict[tuple[str, str, str], str]:
    lines = [ln for ln in PLANS.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split("\t")
    assert header[3:] == list(AQL_VALUES)
    cells = {}
    for line in lines[1:]:
        table, _page, letter, *row = line.split("\t")
        assert len(row) == len(AQL_VALUES)
        for aql, cell in zip(AQL_VALUES, row, strict=True):
            cells[(TABLES[table], letter, aql)] = cell
    return cells


def test_table_1_code_letters_cell_by_cell() -> None:
    """GB/T 2828.1-2012 Table 1 (样本量字码): 15 lot-size rows × 7 levels = 105 cells."""
    t = sampling_tables()
    assert [r[0] for r in t.code_rows] == TABLE_1_FIRST_LOT
    assert [r[1] for r in t.code_rows] == [*(x - 1 for x in TABLE_1_FIRST_LOT[1:]), None]
    checked = 0
    for column, level in enumerate(INSPECTION_LEVELS):
        assert "".join(r[2][column] for r in t.code_rows) == TABLE_1_COLUMNS[level], level
        checked += len(t.code_rows)
    assert checked == 105


def test_tables_2a_2b_2c_cell_by_cell() -> None:
    """Tables 2-A/2-B/2-C (pp. 15-17): all 26 AQLs, every initial code letter; 1274 cells."""
    t = sampling_tables()
    expected = _second_transcription()
    assert len(expected) == 1274
    wrong = []
    for (severity, letter, aql), want in expected.items():
        cell = t.cells[(severity, letter, AQL_VALUES.index(aql))]
        got = "-" if cell is None else f"{cell.plan_letter}/{cell.n}/{cell.ac}/{cell.re}"
        if got != want:
            wrong.append((severity, letter, aql, got, want))
    assert wrong == []


def test_data_file_carries_provenance() -> None:
    raw = json.loads(
        resources.files("jiliang.stats").joinpath("data", "gbt2828_1_2012.json").read_text("utf-8")
    )
    assert raw["edition"] == "GB/T 2828.1-2012" and raw["effective_from"] == "2013-02-15"
    assert len(raw["source_sha256"]) == 64
    assert {t["table"]: t["page"] for t in raw["tables"].values()} == {"2-A": 15, "2-B": 16, "2-C": 17}
    for table in raw["tables"].values():
        for row in table["rows"].values():
            assert len(row) == len(AQL_VALUES)
            assert all(c in {"v", "^", ""} or c.count("/") == 1 for c in row)


@pytest.mark.parametrize(
    ("lot", "aql", "level", "severity", "expected"),
    [
        # Table 1: 1201-3200, II → K; Table 2-A: K, AQL 1.0 → n 125, Ac 3, Re 4 (p. 15).
        (2000, "1.0", "II", "normal", ("K", "K", 125, 3, 4, None)),
        # Table 2-A: K at 0.10 → 125, 0/1; K at 0.25 is ↓ → L (200, 1/2): n and Ac/Re below.
        (2000, "0.10", "II", "normal", ("K", "K", 125, 0, 1, None)),
        (2000, "0.25", "II", "normal", ("K", "L", 200, 1, 2, "down")),
        # Table 2-A: K at 0.15 is ↑ → J (80, 0/1).
        (2000, "0.15", "II", "normal", ("K", "J", 80, 0, 1, "up")),
        # Table 2-A: L at 10 is ↑ → K (125, 21/22): Ac above 21 is not printed below row K.
        (3201, "10", "II", "normal", ("L", "K", 125, 21, 22, "up")),
        # Table 2-A: R at 0.015 ↑ to P (800, 0/1): the ↓ of the diagonal would leave the table.
        (600000, "0.015", "III", "normal", ("R", "P", 800, 0, 1, "up")),
        # Table 2-B: Q at 0.025 ↓ to S (3150, 1/2), the only cell of row S.
        (200000, "0.025", "III", "tightened", ("Q", "S", 3150, 1, 2, "down")),
        # Table 2-B: K at 1.0 → 125, 2/3 (tightened shifts the plans one AQL step).
        (2000, "1.0", "II", "tightened", ("K", "K", 125, 2, 3, None)),
        # Table 2-C: K at 1.0 → 50, 2/3; reduced sample sizes 2/5 of normal.
        (2000, "1.0", "II", "reduced", ("K", "K", 50, 2, 3, None)),
        # Table 2-C: Q at 0.025 is a long ↑ to N (200, 0/1) (the cell once misprinted ↓ in copies).
        (200000, "0.025", "III", "reduced", ("Q", "N", 200, 0, 1, "up")),
        # Table 2-C: C at 10 (n 2) ↓ to D (3, 1/2).
        (20, "10", "II", "reduced", ("C", "D", 3, 1, 2, "down")),
        # Special level S-1: 10001-35000 → C; Table 2-A C at 4.0 ↑ → B (3, 0/1).
        (20000, "4.0", "S-1", "normal", ("C", "B", 3, 0, 1, "up")),
        # Nonconformities per 100 items: A at 1000 → 2, 30/31; B at 1000 → 3, 44/45.
        (5, "1000", "II", "normal", ("A", "A", 2, 30, 31, None)),
        (10, "1000", "II", "normal", ("B", "B", 3, 44, 45, None)),
    ],
)
def test_reference_plans(lot, aql, level, severity, expected) -> None:
    p = sampling_plan(lot, aql, level=level, severity=severity)
    assert (p.code_letter, p.plan_letter, p.n, p.ac, p.re, p.arrow) == expected
    assert p.edition == "GB/T 2828.1-2012"
    assert not p.hundred_percent


def test_hundred_percent_when_n_reaches_the_lot() -> None:
    """Note to Table 2-A: if the sample size equals or exceeds the lot size, inspect 100 %."""
    p = sampling_plan(10, "0.65")  # B, ↓ to F: n = 20 ≥ 10
    assert (p.code_letter, p.plan_letter, p.hundred_percent, p.n, p.ac, p.re) == ("B", "F", True, 10, 0, 1)
    p = sampling_plan(20, "0.65")  # C, ↓ to F: n = 20 = N
    assert p.hundred_percent and p.n == 20
    p = sampling_plan(21, "0.65")  # C, ↓ to F: n = 20 < 21
    assert not p.hundred_percent and p.n == 20
    assert sampling_plan(1, "1.0").hundred_percent


@pytest.mark.parametrize(
    ("lot", "aql", "level", "severity", "message"),
    [
        (0, "1.0", "II", "normal", "at least 1"),
        (-5, "1.0", "II", "normal", "at least 1"),
        (10**13, "1.0", "II", "normal", "larger than"),
        (100, "1.1", "II", "normal", "not in GB/T 2828.1"),
        (100, "abc", "II", "normal", "not a number"),
        (100, "nan", "II", "normal", "not in GB/T 2828.1"),
        (100, "1.0", "IV", "normal", "inspection level"),
        (100, "1.0", "II", "strict", "severity"),
    ],
)
def test_bad_input_is_refused(lot, aql, level, severity, message) -> None:
    with pytest.raises(InputError, match=message):
        sampling_plan(lot, aql, level=level, severity=severity)


def test_lot_acceptance_cites_the_clause() -> None:
    p = sampling_plan(2000, "1.0")
    assert lot_acceptance(p, 3).accepted and "11.1.1" in lot_acceptance(p, 3).clause
    assert not lot_acceptance(p, 4).accepted
    with pytest.raises(InputError):
        lot_acceptance(p, -1)
    with pytest.raises(InputError):
        lot_acceptance(p, 126)
    assert not lot_acceptance(p, 126, per_hundred=True).accepted


def test_tighter_ac_for_the_switching_score() -> None:
    """§9.3.3.2: the plan one AQL step tighter in the same row (K: 1.0 → 3/4, 0.65 → 2/3)."""
    assert sampling_plan(2000, "1.0").tighter_ac == 2
    assert sampling_plan(2000, "0.010").tighter_ac is None


def _run(state: SwitchingState, lots, **kw):
    steps = []
    for d in lots:
        step = switching_step(state, d=d, **kw)
        steps.append(step)
        state = step.after
    return state, steps


def test_normal_to_tightened_on_two_of_five() -> None:
    """§9.3.1: 2 lots not accepted within 5 or fewer consecutive lots → tightened."""
    state, steps = _run(SwitchingState(), [2, 0, 0, 0, 2], ac=1)
    assert state.severity == "tightened" and steps[-1].clause.endswith("9.3.1")
    state, _ = _run(SwitchingState(), [2, 0, 0, 0, 0, 2], ac=1)  # 6 lots apart: stays normal
    assert state.severity == "normal"


def test_tightened_to_normal_after_five_accepted_and_discontinuation() -> None:
    """§9.3.2: 5 consecutive lots accepted → normal; §9.4: 5 not accepted on tightened → stop."""
    state, steps = _run(SwitchingState("tightened"), [0, 0, 2, 0, 0, 0, 0, 0], ac=1)
    assert state.severity == "normal" and steps[-1].clause.endswith("9.3.2")
    state, steps = _run(SwitchingState("tightened"), [2, 0, 2, 2, 0, 2, 2], ac=1)
    assert state.discontinued and steps[-1].clause.endswith("9.4")
    with pytest.raises(InputError, match="discontinued"):
        switching_step(state, d=0, ac=1)


def test_switching_score_and_reduced() -> None:
    """§9.3.3.2: +2 per accepted lot when Ac ≤ 1, +3 when Ac ≥ 2 and accepted one step tighter,
    else 0; §9.3.3: score ≥ 30, steady production and approval → reduced; §9.3.4 back."""
    state, _ = _run(SwitchingState(), [0] * 15, ac=1)  # 15 × 2 = 30, not approved
    assert state.severity == "normal" and state.score == 30
    state = switching_step(state, d=0, ac=1, reduced_approved=True).after
    assert state.severity == "reduced"
    state2, _ = _run(SwitchingState(), [3] * 10, ac=3, tighter_ac=2)  # accepted, not at tighter
    assert state2.score == 0
    state3, _ = _run(SwitchingState(), [2] * 10, ac=3, tighter_ac=2, reduced_approved=True)
    assert state3.severity == "reduced"  # 10 × 3 = 30
    step = switching_step(state3, d=4, ac=3)
    assert step.after.severity == "normal" and step.clause.endswith("9.3.4 a)")
    step = switching_step(state3, d=0, ac=3, production_irregular=True)
    assert step.after.severity == "normal" and "9.3.4 b)" in step.clause
    unsteady, _ = _run(SwitchingState(), [0] * 20, ac=1, reduced_approved=True, production_steady=False)
    assert unsteady.severity == "normal"


def test_lot_size_types() -> None:
    import numpy as np

    assert sampling_plan(np.int64(2000), "1.0").n == 125
    for bad in (2000.0, "2000", True, None):
        with pytest.raises(InputError, match="not a whole number"):
            sampling_plan(bad, "1.0")
