"""``jiliang sampling plan`` and ``jiliang sampling oc``: the JSON keys of the issue, one-line errors."""

from __future__ import annotations

import json

import pytest

from jiliang.cli.main import main
from tests.cli_helpers import one_line_error, run_cli


def run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_json_has_exactly_the_documented_keys(capsys):
    code, out, err = run(["sampling", "plan", "--lot-size", "2000", "--aql", "1.0", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out) == {
        "code_letter": "K",
        "n": 125,
        "ac": 3,
        "re": 4,
        "hundred_percent": False,
        "edition": "GB/T 2828.1-2012",
    }


def test_plan_with_level_severity_and_hundred_percent(capsys):
    argv = ["sampling", "plan", "--lot-size", "2000", "--aql", "1.0", "--severity", "tightened", "--json"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and json.loads(out)["ac"] == 2
    argv = ["sampling", "plan", "--lot-size", "10", "--aql", "0.65", "--level", "II", "--json"]
    code, out, _ = run(argv, capsys)
    doc = json.loads(out)
    assert code == 0 and doc["hundred_percent"] is True and doc["n"] == 10
    code, out, _ = run(["sampling", "plan", "--lot-size", "2000", "--aql", "0.25"], capsys)
    assert code == 0 and "arrow down to L" in out and "n = 200, Ac = 1, Re = 2" in out


def test_oc_json(capsys):
    code, out, err = run(["sampling", "oc", "--n", "125", "--ac", "3", "--p", "0,0.01", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == "binomial" and doc["points"][0] == {"p": 0.0, "pa": 1.0}
    assert doc["points"][1]["pa"] == pytest.approx(0.9626, abs=5e-5)
    code, out, _ = run(["sampling", "oc", "--n", "20", "--ac", "0", "--lot-size", "50"], capsys)
    assert code == 0 and "hypergeometric" in out


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--lot-size", "0", "--aql", "1.0"], "at least 1"),
        (["--lot-size", "-3", "--aql", "1.0"], "at least 1"),
        (["--lot-size", "abc", "--aql", "1.0"], "not a whole number"),
        (["--lot-size", "12.5", "--aql", "1.0"], "not a whole number"),
        (["--lot-size", "9" * 40, "--aql", "1.0"], "larger than"),
        (["--lot-size", "100", "--aql", "1.1"], "not in GB/T 2828.1"),
        (["--lot-size", "100", "--aql", "x"], "not a number"),
        (["--lot-size", "100", "--aql", "1.0", "--level", "IV"], "inspection level"),
        (["--lot-size", "100", "--aql", "1.0", "--severity", "strict"], "severity"),
    ],
)
def test_plan_bad_input_one_line(argv, reason, capsys):
    code, out, err = run(["sampling", "plan", *argv, "--json"], capsys)
    assert code != 0 and out == ""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and reason in lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["--n", "0", "--ac", "0"],
        ["--n", "10", "--ac", "11"],
        ["--n", "ten", "--ac", "1"],
        ["--n", "10", "--ac", "1", "--p", "0.1,abc"],
        ["--n", "10", "--ac", "1", "--p", "2"],
        ["--n", "10", "--ac", "1", "--lot-size", "5"],
    ],
)
def test_oc_bad_input_one_line(argv, capsys):
    code, out, err = run(["sampling", "oc", *argv], capsys)
    assert code != 0 and out == ""
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1 and err.startswith("error: ")


def test_real_process(tmp_path):
    proc = run_cli(["sampling", "plan", "--lot-size", "500", "--aql", "2.5", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["code_letter"] == "H"
    bad = run_cli(["sampling", "plan", "--lot-size", "-1", "--aql", "2.5"], tmp_path)
    assert "lot size" in one_line_error(bad)


def test_switch_runs_the_lots_through_clause_9(capsys):
    # N = 2000, AQL 1.0: normal K 125 3/4; lots 2 and 4 not accepted → tightened (9.3.1)
    argv = ["sampling", "switch", "--lot-size", "2000", "--aql", "1.0", "--defects", "0,4,1,5,0", "--json"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    steps = json.loads(out)
    assert [s["severity"] for s in steps] == ["normal", "normal", "normal", "normal", "tightened"]
    assert steps[3]["clause"].endswith("9.3.1") and steps[4]["ac"] == 2  # Table 2-B: K, 1.0 → 2/3
    argv = ["sampling", "switch", "--lot-size", "2000", "--aql", "1.0", "--defects", "5,5,5,5,5,5,5,5"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "9.4" in out and out.count("\n") == 7  # 2 on normal, 5 on tightened, then stop
    code, out, err = run(
        ["sampling", "switch", "--lot-size", "2000", "--aql", "1.0", "--defects", "1,-2"], capsys
    )
    assert code != 0 and out == "" and err.startswith("error: ")
