"""``jiliang uncertainty run``: output, plot, and one-line errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiliang.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "uncertainty"

SMALL = """
name: small
model: {Y: "a * b"}
inputs:
  a: {dist: normal, mean: 2, sd: 0.1, unit: V}
  b: {dist: uniform, low: 1, high: 3}
conformity: {output: Y, lower: 0, upper: 10, rule: non_binary}
method: {montecarlo: {trials: 20000}, seed: 4}
"""


def run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_output_shape(tmp_path, capsys):
    f = tmp_path / "m.yaml"
    f.write_text(SMALL)
    code, out, err = run(["uncertainty", "run", str(f), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    y = data["outputs"]["Y"]
    assert set(y["gum"]) >= {"value", "u", "dof", "k", "U", "interval"}
    assert set(y["mc"]) >= {"value", "u", "interval", "shortest", "trials"}
    assert set(y["validation"]) >= {"passed", "tolerance", "d_low", "d_high"}
    assert set(data["budget"]["Y"][0]) >= {"input", "sensitivity", "u", "contribution", "share"}
    assert data["budget"]["Y"][0]["unit"] == "V"
    assert {"correlation", "conformity"} <= set(data)
    assert data["conformity"]["decision"] == "pass"
    assert y["mc"]["trials"] == 20000


def test_text_output_and_plot(tmp_path, capsys):
    f = tmp_path / "m.yaml"
    f.write_text(SMALL)
    png = tmp_path / "out.png"
    code, out, err = run(["uncertainty", "run", str(f), "--plot", str(png), "--seed", "9"], capsys)
    assert code == 0, err
    assert "GUM: y = " in out and "MC (20000 trials)" in out and "conformity of Y" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_model_file(tmp_path, capsys):
    import yaml

    f = tmp_path / "m.json"
    f.write_text(json.dumps(yaml.safe_load(SMALL)))
    code, out, _ = run(["uncertainty", "run", str(f), "--json"], capsys)
    assert code == 0 and json.loads(out)["model"] == "small"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("model: [", "not valid YAML"),
        ("model: {Y: 'open(1)'}\ninputs: {a: {dist: normal, mean: 1, sd: 1}}", "not allowed"),
        ("model: {Y: a}\ninputs: {a: {dist: normal, mean: 1, sd: -1}}", "sd must be"),
        (
            "model: {Y: a}\ninputs: {a: {dist: normal, mean: 1, sd: 1}}\nmethod: {montecarlo: {trials: 100000000000}}",
            "trials",
        ),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_bad_files_give_one_line(tmp_path, capsys, content, needle):
    f = tmp_path / "bad.yaml"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _out, err = run(["uncertainty", "run", str(f)], capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err
    assert "Traceback" not in err


def test_missing_and_oversized_files(tmp_path, capsys):
    code, _, err = run(["uncertainty", "run", str(tmp_path / "nope.yaml")], capsys)
    assert code == 2 and err.startswith("error: cannot read")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2_000_001)
    code, _, err = run(["uncertainty", "run", str(big)], capsys)
    assert code == 2 and "larger than" in err


def test_unwritable_plot(tmp_path, capsys):
    f = tmp_path / "m.yaml"
    f.write_text(SMALL)
    code, _, err = run(
        ["uncertainty", "run", str(f), "--plot", str(tmp_path / "no" / "dir" / "x.png")], capsys
    )
    assert code == 2 and err.startswith("error: cannot write")


def test_example_mass_calibration_runs(capsys):
    code, out, err = run(["uncertainty", "run", str(EXAMPLES / "jcgm101_9_3_mass.yaml"), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["montecarlo"]["adaptive"] and data["montecarlo"]["converged"]
    assert data["outputs"]["dm"]["validation"]["passed"] is False
