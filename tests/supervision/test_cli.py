"""``jiliang inspections draw|replay`` as a real subprocess."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import one_line_error, run_cli

SEED = "c0ffee" * 6

TARGETS = """id,name,credit_class,district,category,owner_id
T1,Shop 1,A,D1,scale,O1
T2,Shop 2,B,D1,scale,O2
T3,Shop 3,B,D2,fuel,O3
T4,Shop 4,C,D2,fuel,O4
T5,Shop 5,D,D3,fuel,O5
"""
INSPECTORS = """id,name,district,conflicts
I1,Li,D1,O1;O2
I2,Wang,D2,
I3,Zhang,D3,O5
I4,Zhao,D4,
"""
PLAN = """edition: "2026-1"
targets: targets.csv
inspectors: inspectors.csv
ratios: {A: 0.1, B: 0.5, C: 1, D: 1}
team_size: 2
exclude_same_district: true
"""


@pytest.fixture
def plan(tmp_path):
    (tmp_path / "targets.csv").write_text(TARGETS)
    (tmp_path / "inspectors.csv").write_text(INSPECTORS)
    (tmp_path / "plan.yaml").write_text(PLAN)
    return tmp_path


def test_draw_then_replay(plan):
    proc = run_cli(["inspections", "draw", str(plan / "plan.yaml"), "--seed", SEED, "--json"], plan)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert set(record) >= {
        "algorithm",
        "seed",
        "seed_commitment",
        "inputs_sha256",
        "strata",
        "selected",
        "excluded_pairs",
    }
    assert record["strata"] == {
        "A": {"eligible": 1, "drawn": 1},
        "B": {"eligible": 2, "drawn": 1},
        "C": {"eligible": 1, "drawn": 1},
        "D": {"eligible": 1, "drawn": 1},
    }
    assert all(len(s["inspectors"]) == 2 for s in record["selected"])
    (plan / "rec.json").write_text(proc.stdout)
    args = [
        "inspections",
        "replay",
        str(plan / "rec.json"),
        "--targets",
        str(plan / "targets.csv"),
        "--inspectors",
        str(plan / "inspectors.csv"),
    ]
    ok = run_cli(args, plan)
    assert ok.returncode == 0 and "identical" in ok.stdout

    (plan / "targets.csv").write_text(TARGETS.replace("Shop 5,D", "Shop 5,C"))
    bad = run_cli(args, plan)
    assert bad.returncode == 1
    assert "targets digest differs" in one_line_error(bad)
    as_json = run_cli([*args, "--json"], plan)
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["matches"] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p, "at least 128"),
        (lambda p: p.replace("A: 0.1", "A: 1.2"), "must be in [0, 1]"),
        (lambda p: p.replace("A: 0.1", "A: 0.1, A: 0.2"), "conflicting rules: 'A' is given twice"),
        (lambda p: p.replace("A: 0.1", "E: 0.1"), "unknown credit class 'E'"),
    ],
)
def test_bad_plans_fail_with_one_line(plan, change, message):
    (plan / "plan.yaml").write_text(change(PLAN))
    seed = "ab" * 15 if message == "at least 128" else SEED  # 120 bits
    proc = run_cli(["inspections", "draw", str(plan / "plan.yaml"), "--seed", seed, "--json"], plan)
    assert message in one_line_error(proc)
    assert proc.stdout == ""


def test_duplicated_target_id(plan):
    (plan / "targets.csv").write_text(TARGETS + "T1,Again,A,D1,scale,O9\n")
    proc = run_cli(["inspections", "draw", str(plan / "plan.yaml"), "--seed", SEED], plan)
    assert "duplicated target id 'T1'" in one_line_error(proc)


def test_seed_and_commitment(tmp_path):
    import hashlib

    made = run_cli(["inspections", "seed", "--json"], tmp_path)
    out = json.loads(made.stdout)
    assert len(out["seed"]) == 64
    assert out["seed_commitment"] == hashlib.sha256(bytes.fromhex(out["seed"])).hexdigest()
    given = json.loads(run_cli(["inspections", "seed", "--seed", SEED, "--json"], tmp_path).stdout)
    assert given["seed"] == SEED
    assert "at least 128" in one_line_error(run_cli(["inspections", "seed", "--seed", "abcd"], tmp_path))
