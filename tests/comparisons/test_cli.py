"""``jiliang comparisons`` and ``jiliang intervals``: JSON fields of the guide, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiliang.cli.main import main
from tests.cli_helpers import one_line_error, run_cli

PB = Path(__file__).resolve().parents[1] / "reference" / "data" / "ccqm_k30_pb.csv"


def run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_evaluate_json_fields(capsys):
    code, out, err = run(
        ["comparisons", "evaluate", str(PB), "--estimator", "weighted_mean", "--json"], capsys
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["reference"]) >= {
        "value",
        "u",
        "U",
        "k",
        "interval",
        "tau",
        "chi2",
        "dof",
        "p_value",
        "consistent",
        "included",
    }
    assert set(doc["labs"][0]) == {"lab", "d", "u_d", "U_d", "En", "zeta", "included"}
    assert "weighted mean" in doc["convention"]
    assert doc["reference"]["included"] == [
        "KRISS",
        "NMIJ",
        "IRMM",
        "PTB",
        "NMIA",
        "LGC",
        "CSIR",
        "NIM",
        "LNE",
    ]


def test_evaluate_exclude_and_seed(capsys):
    argv = [
        "comparisons",
        "evaluate",
        str(PB),
        "--estimator",
        "linear_pool",
        "--exclude",
        "LNE",
        "--exclude",
        "NIM",
        "--seed",
        "9",
        "--json",
    ]
    code, out, _ = run(argv, capsys)
    first = json.loads(out)
    code2, out2, _ = run(argv, capsys)
    assert code == code2 == 0
    assert first == json.loads(out2) and first["seed"] == 9
    assert "LNE" not in first["reference"]["included"]


def test_algorithm_a_stopping(capsys):
    code, out, _ = run(
        ["comparisons", "evaluate", str(PB), "--estimator", "algorithm_a", "--stopping", "iso", "--json"],
        capsys,
    )
    assert code == 0 and "3rd significant figure" in json.loads(out)["convention"]


def test_scores_json(capsys):
    code, out, err = run(
        [
            "comparisons",
            "scores",
            str(PB),
            "--assigned",
            "2.99",
            "--u-assigned",
            "0.03",
            "--sigma-pt",
            "0.1",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    kriss = next(r for r in doc["labs"] if r["lab"] == "KRISS")
    assert kriss["z"] == pytest.approx((2.893 - 2.99) / 0.1)
    assert kriss["z_class"] == "satisfactory"


@pytest.mark.parametrize(
    "csv_text,reason",
    [
        ("lab,value,u\nA,1.0,0.1\n", "at least 2 labs"),
        ("lab,value,u\nA,1.0,0.1\nB,1.1,0\n", "must be positive"),
        ("lab,value,u\nA,1.0,0.1\nA,1.1,0.1\n", "duplicated lab: A"),
        ("lab,value,u\nA,1.0,0.1\nB,abc,0.1\n", "line 3: value 'abc' is not a number"),
        ("lab,u\nA,0.1\n", "missing column(s) value"),
    ],
)
def test_bad_results_give_one_line(tmp_path, csv_text, reason):
    f = tmp_path / "r.csv"
    f.write_text(csv_text)
    proc = run_cli(["comparisons", "evaluate", str(f), "--estimator", "mean", "--json"], tmp_path)
    assert reason in one_line_error(proc)


def test_unknown_estimator_one_line(tmp_path):
    proc = run_cli(["comparisons", "evaluate", str(PB), "--estimator", "mode"], tmp_path)
    assert "unknown estimator 'mode'" in one_line_error(proc)


def test_intervals_a3_json(tmp_path, capsys):
    rows = ["asset_id,calibrated_on,interval_days,in_tolerance"]
    results = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]  # 2019 NCSL tutorial, asset 1
    rows += [f"A,20{10 + i}-01-01,365,{'true' if r else 'false'}" for i, r in enumerate(results)]
    f = tmp_path / "history.csv"
    f.write_text("\n".join(rows) + "\n")
    code, out, err = run(["intervals", "a3", str(f), "--target", "0.95", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert round(doc["interval_days"]) == 231
    assert set(doc) >= {"interval_days", "observed_reliability", "rejection_confidence", "reliability_limits"}
    code, out, _ = run(["intervals", "s2", str(f), "--target", "0.95", "--json"], capsys)
    assert code == 0 and json.loads(out)["model"] in {"exponential", "weibull", "mixed_exponential"}


def test_intervals_variables(tmp_path, capsys):
    f = tmp_path / "drift.csv"
    f.write_text("days,deviation\n70,0.1\n86,0.11\n104,0.251\n135,0.299\n167,0.403\n173,0.615\n")
    base = ["intervals", "variables", str(f), "--u0", "0.28", "--degree", "2", "--y0", "10.03", "--json"]
    code, out, _ = run([*base, "--target-uncertainty", "0.5"], capsys)
    assert code == 0 and json.loads(out)["interval_days"] == pytest.approx(327.15, abs=0.005)
    code, out, _ = run([*base, "--limits", ",11", "--confidence", "0.9"], capsys)
    assert code == 0 and json.loads(out)["interval_days"] == pytest.approx(171.75, abs=0.005)


def test_intervals_bad_history_one_line(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("asset_id,calibrated_on,interval_days,in_tolerance\nA,2020-01-01,365,maybe\n")
    proc = run_cli(["intervals", "a3", str(f), "--target", "0.95"], tmp_path)
    assert "in_tolerance 'maybe' is not true/false" in one_line_error(proc)
