"""JJF 1070 / SAMR Order No. 70: the net-content tables and worked checks.

Sources:
* 定量包装商品计量监督管理办法 附表3 允许短缺量 (T) and 附表1 (units), reprint of the order's
  tables; the same T values are OIML R 87 Table 1. Page numbers of the reprint are not printed.
* 计量检验抽样方案, JJF 1070-2005 §5.4.3 and AQSIQ Order No. 75 附表4 (columns 1–5: N, n,
  λ·s, items with T1 errors allowed, items with T2 errors allowed; note 1: confidence 99.5 %,
  note 2: lots of 1–10 judged item by item). The JJF 1070-2023 table could not be read: the data
  file is marked as the 2005 edition (see docs/netcontent.md).

The second transcriptions below are keyed separately, from the printed representations (T as
"percent of Qn" and "g or mL" columns; the plan column by column), and compared cell by cell with
the data files shipped in ``jiliang/stats/data``.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from scipy import stats as sps

from jiliang.stats.netcontent import (
    Nominal,
    judge,
    plan_table,
    sampling_plan,
    tolerable_deficiency,
    tolerance_table,
)

#: 附表3, keyed as printed: (band "a~b" in g or mL, percent-of-Qn column, g-or-mL column).
T_TABLE_PRINTED = [
    ("0~50", "9", None),
    ("50~100", None, "4.5"),
    ("100~200", "4.5", None),
    ("200~300", None, "9"),
    ("300~500", "3", None),
    ("500~1000", None, "15"),
    ("1000~10000", "1.5", None),
    ("10000~15000", None, "150"),
    ("15000~50000", "1", None),
]

#: 附表4, keyed column by column.
PLAN_COL1_N = ["1~10", "11~50", "51~99", "100~500", "501~3200", "大于3200"]
PLAN_COL2_n = ["N", "10", "13", "50", "80", "125"]
PLAN_COL3_LAMBDA_S = ["", "1.028s", "0.848s", "0.379s", "0.295s", "0.234s"]
PLAN_COL4_T1 = ["0", "0", "1", "3", "5", "7"]
PLAN_COL5_T2 = ["0", "0", "0", "0", "0", "0"]

#: Printed λ agree with t_0.995(n−1)/√n to within one unit of the third decimal (note to 附表4).
LAMBDA_PRINT_TOL = 0.0011


def test_t_table_cell_by_cell():
    rows = tolerance_table()["mass_volume"]
    assert len(rows) == len(T_TABLE_PRINTED)
    for row, (band, pct, absolute) in zip(rows, T_TABLE_PRINTED, strict=True):
        low, high = band.split("~")
        assert (Decimal(row["above"]), Decimal(row["upto"])) == (Decimal(low), Decimal(high))
        assert row["percent"] == pct
        assert row["absolute"] == absolute


def test_t_table_metadata():
    t = tolerance_table()
    assert t["effective_from"] == "2023-06-01"
    assert t["length"] == {"zero_upto": "5", "percent": "2"}
    assert t["area"] == {"percent": "3"}
    assert t["count"] == {"zero_upto": "50", "percent": "1"}


def test_plan_table_cell_by_cell():
    rows = plan_table()["rows"]
    assert len(rows) == 6
    for k, row in enumerate(rows):
        n_range = PLAN_COL1_N[k]
        if n_range.startswith("大于"):
            assert row["lot_min"] == int(n_range[2:]) + 1 and row["lot_max"] is None
        else:
            low, high = n_range.split("~")
            assert (row["lot_min"], row["lot_max"]) == (int(low), int(high))
        assert row["n"] == (None if PLAN_COL2_n[k] == "N" else int(PLAN_COL2_n[k]))
        assert row["lambda"] == (PLAN_COL3_LAMBDA_S[k].rstrip("s") or None)
        assert row["c"] == int(PLAN_COL4_T1[k])
        assert row["t2_allowed"] == int(PLAN_COL5_T2[k])


def test_plan_edition_is_marked():
    p = plan_table()
    assert p["edition"] == "JJF 1070-2005"
    assert p["superseded_by"]["edition"] == "JJF 1070-2023"
    assert "not verified" in p["superseded_by"]["status"]


@pytest.mark.parametrize("row", range(1, 6))
def test_printed_lambda_is_t_over_root_n(row):
    r = plan_table()["rows"][row]
    n = r["n"]
    formula = sps.t.ppf(0.995, n - 1) / math.sqrt(n)
    assert abs(float(r["lambda"]) - formula) <= LAMBDA_PRINT_TOL


# T at every band edge and inside every band (附表3 with notes * and **).
T_CASES = [
    (5, "g", "0.4"),  # 9 % of 5 = 0.45 → 0.4 (GB/T 8170: half to even)
    (50, "g", "4.5"),
    (51, "mL", "4.5"),
    (100, "g", "4.5"),
    (150, "g", "6.8"),  # 6.75 → 6.8
    (200, "g", "9.0"),
    (250, "mL", "9"),
    (300, "g", "9.0"),
    (400, "g", "12.0"),
    (500, "g", "15.0"),
    (750, "mL", "15"),
    (1, "kg", "0.015"),
    (2.5, "kg", "0.038"),  # 37.5 g → 38 g
    (10, "kg", "0.15"),
    (12, "kg", "0.15"),
    (15, "kg", "0.15"),
    (20, "kg", "0.2"),  # public calculators cap at 150 g: wrong
    (25, "L", "0.25"),
    (50, "kg", "0.5"),
    (5, "m", "0"),
    (10, "m", "0.2"),
    (2, "m2", "0.06"),
    (50, "count", "0"),
    (51, "count", "1"),  # 0.51 → 1
    (101, "count", "2"),
    (200, "count", "2"),
]


@pytest.mark.parametrize(("q", "unit", "expected"), T_CASES)
def test_tolerable_deficiency(q, unit, expected):
    assert tolerable_deficiency(q, unit).T == Decimal(expected)


def test_five_gram_rounding_half_even():
    # 9 % of 5 g = 0.45 g: GB/T 8170 keeps the even digit, 0.4 g
    assert tolerable_deficiency(5, "g").T == Decimal("0.4")


@pytest.mark.parametrize(
    ("lot", "n", "c", "lam"),
    [(1, 1, 0, None), (10, 10, 0, None), (11, 10, 0, "1.028"), (50, 10, 0, "1.028"), (51, 13, 1, "0.848"),
     (99, 13, 1, "0.848"), (100, 50, 3, "0.379"), (500, 50, 3, "0.379"), (501, 80, 5, "0.295"),
     (3200, 80, 5, "0.295"), (3201, 125, 7, "0.234"), (10**6, 125, 7, "0.234")],
)  # fmt: skip
def test_plan_at_every_edge(lot, n, c, lam):
    p = sampling_plan(lot)
    assert (p.n, p.c) == (n, c)
    assert p.lambda_ == (Decimal(lam) if lam else None)


def test_worked_lot_mean_rule():
    # Qn = 500 g, N = 300: n = 50, λ = 0.379. Mean just above and just below Qn − λ·s.
    xs = [500.0 + (2.0 if i % 2 else -2.0) for i in range(50)]
    s = 2.0 * math.sqrt(50 / 49)
    ok = judge(Nominal(500, "g"), [x - 0.379 * s + 1e-9 for x in xs], lot_size=300)
    bad = judge(Nominal(500, "g"), [x - 0.379 * s - 1e-6 for x in xs], lot_size=300)
    assert ok.decision == "pass" and bad.decision == "fail"
    assert bad.reasons[0].startswith("mean")


def test_small_lot_judged_item_by_item():
    v = judge(Nominal(1, "kg"), [0.99] * 5, lot_size=5)  # T = 15 g: deficit 10 g within T
    assert v.decision == "pass" and v.limit is None
    assert any("注2" in st.clause for st in v.steps)
    v2 = judge(Nominal(1, "kg"), [0.99] * 4 + [0.98], lot_size=5)  # one T1 error, c = 0
    assert v2.decision == "fail" and v2.t1 == 1
