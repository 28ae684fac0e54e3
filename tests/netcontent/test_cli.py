"""``jiliang netcontent``: judge a CSV; one-line reasons for bad input."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import one_line_error, run_cli


def _csv(tmp_path, text: str, name: str = "lot.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_judge_json_keys(tmp_path):
    f = _csv(tmp_path, "net\n" + "501\n" * 49 + "484\n")
    proc = run_cli(["netcontent", "judge", str(f), "--nominal", "500", "--unit", "g", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"decision", "T", "n", "c", "lambda", "mean", "s", "limit", "t1", "t2", "reasons"}
    assert out["decision"] == "pass" and out["n"] == 50 and out["t1"] == 1 and out["T"] == 15.0


def test_judge_fail_exit_1_gross_tare(tmp_path):
    f = _csv(tmp_path, "gross,tare\n" + "520,10\n" * 9 + "490,10\n")
    proc = run_cli(
        ["netcontent", "judge", str(f), "--nominal", "500", "--unit", "g", "--lot-size", "30", "--json"],
        tmp_path,
    )
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["decision"] == "fail" and out["t1"] == 1 and out["reasons"]


@pytest.mark.parametrize(
    ("body", "args", "words"),
    [
        ("net\n" + "500\n" * 50, ["--lot-size", "20"], "smaller than"),
        ("net\n" + "500\n" * 10, ["--unit", "kg"], "outside the table|kg"),
        ("net\n" + "-500\n" * 10, [], "non-negative"),
        ("net\nabc\n", [], "not a number"),
        ("weight\n1\n", [], "column net"),
        ("net\n" + "500\n" * 12, [], "match no plan"),
    ],
)
def test_judge_bad_input(tmp_path, body, args, words):
    import re

    f = _csv(tmp_path, body)
    base = ["netcontent", "judge", str(f), "--nominal", "500", "--unit", "g"]
    if "--unit" in args:
        base = base[:-2]
    proc = run_cli([*base, *args], tmp_path)
    assert re.search(words, one_line_error(proc))


def test_judge_missing_and_oversized(tmp_path):
    assert "not found" in one_line_error(
        run_cli(["netcontent", "judge", str(tmp_path / "no.csv"), "--nominal", "1", "--unit", "kg"], tmp_path)
    )
    big = tmp_path / "big.csv"
    big.write_bytes(b"net\n" + b"500.000\n" * 60_000)
    assert "bytes" in one_line_error(
        run_cli(["netcontent", "judge", str(big), "--nominal", "500", "--unit", "g"], tmp_path)
    )


def test_plan_tolerance_oc(tmp_path):
    p = json.loads(run_cli(["netcontent", "plan", "--lot-size", "3201", "--json"], tmp_path).stdout)
    assert p == {"lot_size": 3201, "n": 125, "c": 7, "lambda": 0.234, "edition": "JJF 1070-2005"}
    t = json.loads(
        run_cli(["netcontent", "tolerance", "--nominal", "20", "--unit", "kg", "--json"], tmp_path).stdout
    )
    assert t["T"] == 0.2
    oc = run_cli(
        ["netcontent", "oc", "--nominal", "500", "--unit", "g", "--lot-size", "300", "--mean", "497",
         "--sd", "5", "--lots", "2000", "--json"], tmp_path,
    )  # fmt: skip
    assert 0.0 <= json.loads(oc.stdout)["p"] < 0.5
    assert "lot size" in one_line_error(run_cli(["netcontent", "plan", "--lot-size", "0"], tmp_path))


def test_draw_replays_the_stored_sample(tmp_path):
    from jiliang.stats.netcontent import draw_sample

    out = json.loads(
        run_cli(["netcontent", "draw", "--lot-size", "300", "--seed", "AB" * 16, "--json"], tmp_path).stdout
    )
    assert out["n"] == 50 and out["items"] == list(draw_sample("ab" * 16, 300, 50))
    assert "hex" in one_line_error(
        run_cli(["netcontent", "draw", "--lot-size", "300", "--seed", "xyz"], tmp_path)
    )
