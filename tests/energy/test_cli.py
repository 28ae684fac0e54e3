"""``jiliang energy`` and ``jiliang carbon`` as real commands on a copy of the demo city:
JSON output, and bad input as a one-line reason with nothing stored."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import one_line_error, run_cli
from tests.conftest import data_folder


@pytest.fixture
def data(_seeded_template, tmp_path):
    return data_folder(tmp_path, _seeded_template[0])


def test_units_rates_review_and_carbon(data, tmp_path):
    units = json.loads(run_cli(["energy", "units", "--json"], data).stdout)
    assert [u["code"] for u in units] == ["ZDYN-001", "ZDYN-002", "ZDYN-003"]
    uid = units[0]["id"]
    rates = json.loads(run_cli(["energy", "rates", str(uid), "--on", "2025-06-30", "--json"], data).stdout)
    assert rates["edition"] == "GB 17167-2006" and rates["rates"]
    made = run_cli(
        ["energy", "review", "create", str(uid), "--code", "CLI-1", "--date", "2026-03-01", "--json"], data
    )
    review = json.loads(made.stdout)
    assert review["edition"] == "GB 17167-2025" and review["state"] == "draft"
    rid = str(review["id"])
    assert run_cli(["energy", "review", "advance", rid, "findings"], data).returncode == 0
    assert run_cli(["energy", "review", "advance", rid, "report"], data).returncode == 0
    shown = json.loads(run_cli(["energy", "review", "show", rid, "--json"], data).stdout)
    assert shown["state"] == "report" and any(f["auto"] for f in shown["findings"])
    pdf = tmp_path / "r.pdf"
    assert run_cli(["energy", "review", "report", rid, "--out", str(pdf)], data).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    rep = json.loads(run_cli(["carbon", "report", "--period", "2025", "--json"], data).stdout)
    assert len(rep["units"]) == 3 and rep["total"]["k"] == 2.0
    assert "meters out of date" in rep["summary"]
    text = run_cli(["carbon", "report", "--period", "2025", "--unit", str(uid)], data).stdout
    assert "t CO₂ (k = 2)" in text
    factors = json.loads(run_cli(["carbon", "factors", "--json"], data).stdout)
    assert all(f["source"] for f in factors)


def test_bad_input_one_line_nothing_stored(data, tmp_path):
    uid = str(json.loads(run_cli(["energy", "units", "--json"], data).stdout)[0]["id"])
    before = json.loads(run_cli(["energy", "rates", uid, "--json"], data).stdout)["meters"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "instrument,energy_type,level,point\n=cmd|' /C calc'!A0,electricity,1,a\n", encoding="utf-8"
    )
    assert "formula" in one_line_error(run_cli(["energy", "import-meters", uid, str(bad)], data))
    bad.write_bytes(b"\xff\xfe\x00garbage")
    assert "UTF-8" in one_line_error(run_cli(["energy", "import-meters", uid, str(bad)], data))
    bad.write_text(
        "period,energy_type,quantity,factor,factor_value\n2025,electricity,1,x,0.5\n", encoding="utf-8"
    )
    assert "no source" in one_line_error(run_cli(["carbon", "import", uid, str(bad)], data))
    assert "not found" in one_line_error(run_cli(["energy", "rates", "999999"], data))
    assert "YYYY-MM-DD" in one_line_error(run_cli(["energy", "rates", uid, "--on", "yesterday"], data))
    assert "TYPE/LEVEL" in one_line_error(
        run_cli(["energy", "require", uid, "--need", "electricity=3"], data)
    )
    after = json.loads(run_cli(["energy", "rates", uid, "--json"], data).stdout)["meters"]
    assert after == before
