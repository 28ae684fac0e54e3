"""GB 17167 用能单位能源计量器具配备和管理通则: Table 3 (配备率) and Table 4 (accuracy classes),
and the effective dates of its editions.

Sources: GB 17167-2006 (issued 2006-06-02, in force 2007-01-01), 4.3.5 Table 3 "能源计量器具配备率
要求" (p. 3 of the standard) and 4.3.6 Table 4 "用能单位能源计量器具准确度等级要求" (p. 4), keyed from the
public reprints named in ``energy/data/gb17167.json``; GB 17167-2025 (issued 2025-01-24, in force
2026-02-01) from its catalogue entry. The transcription below is laid out the other way round
(one string per level, one line per purpose) from the data file's rows, so that a cell moved in one
is caught by the other. Neither has been compared with the official SAC copy: the data file says
``verified: false`` and the review report says so.
"""

from __future__ import annotations

from datetime import date

import pytest

from jiliang.energy.tables import edition_for, editions

# GB 17167-2006 Table 3, by level (进出用能单位 / 进出主要次级用能单位 / 主要用能设备), "-" = no requirement.
TABLE3_BY_LEVEL = {
    1: "electricity 100|coal 100|coke 100|crude_oil 100|refined_oil 100|heavy_oil 100|residual_oil 100|"
    "natural_gas 100|lpg 100|coal_gas 100|steam 100|water 100|waste_energy 90",
    2: "electricity 100|coal 100|coke 100|crude_oil 100|refined_oil 100|heavy_oil 100|residual_oil 100|"
    "natural_gas 100|lpg 100|coal_gas 90|steam 80|water 95|waste_energy 80",
    3: "electricity 95|coal 90|coke 90|crude_oil 90|refined_oil 95|heavy_oil 90|residual_oil 90|"
    "natural_gas 90|lpg 90|coal_gas 80|steam 70|water 80|waste_energy -",
}

# GB 17167-2006 Table 4: purpose → largest class number allowed.
TABLE4 = """
scale.static 0.1
scale.dynamic 0.5
electricity.I 0.5
electricity.II 0.5
electricity.III 1.0
electricity.IV 2.0
electricity.V 2.0
electricity.dc 2.0
oil.refined 0.5
oil.heavy 1.0
gas.coal_gas 2.0
gas.natural 2.0
gas.steam 2.5
water.le250 2.5
water.gt250 1.5
temperature.energy 2.0
temperature.mass 1.0
pressure.energy 2.0
pressure.mass 1.0
"""


def _level_cells(level: int) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for cell in TABLE3_BY_LEVEL[level].split("|"):
        et, v = cell.split()
        out[et] = None if v == "-" else float(v)
    return out


@pytest.mark.parametrize("level", [1, 2, 3])
def test_table3_2006_cell_by_cell(level):
    e = edition_for(date(2020, 1, 1))
    assert e.edition == "GB 17167-2006"
    expected = _level_cells(level)
    assert set(e.rates) == set(expected)
    for et, v in expected.items():
        assert e.required_rate(et, level) == v, (et, level)


def test_table4_2006_cell_by_cell():
    e = edition_for(date(2020, 1, 1))
    expected = {code: float(v) for code, v in (line.split() for line in TABLE4.strip().splitlines())}
    assert {c: r.max_class for c, r in e.accuracy.items()} == expected


def test_editions_are_effective_dated():
    """2006 edition until 2026-01-31, 2025 edition from 2026-02-01 (date of the review, not today)."""
    assert edition_for(date(2007, 1, 1)).edition == "GB 17167-2006"
    assert edition_for(date(2026, 1, 31)).edition == "GB 17167-2006"
    assert edition_for(date(2026, 2, 1)).edition == "GB 17167-2025"
    with pytest.raises(ValueError, match="no edition"):
        edition_for(date(2006, 12, 31))
    for a, b in zip(editions(), editions()[1:], strict=False):
        assert a.effective_until is not None and (b.effective_from - a.effective_until).days == 1


def test_2025_tables_are_marked_unverified():
    e = edition_for(date(2026, 2, 1))
    assert e.verified is False and "not retrieved" in e.note
