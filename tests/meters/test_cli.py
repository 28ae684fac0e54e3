"""The `jiliang meters` commands, run as a user would (subprocess), including bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def jl(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.run(
        [sys.executable, "-m", "jiliang", "meters", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def _one_line_error(p):
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), p.stderr
    assert "Traceback" not in p.stderr


def test_synth_estimate_evaluate_worklist(tmp_path):
    out = tmp_path / "c"
    p = jl("synth", "--out", out, "--areas", 2, "--meters-per-area", 20, "--days", 5, "--seed", 3, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["meters"] == 42
    res = tmp_path / "res.parquet"
    p = jl(
        "estimate",
        "--meters",
        out / "meters.csv",
        "--readings",
        out / "readings",
        "--out",
        res,
        "--min-periods",
        100,
        "--json",
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["meters"] == 40
    assert (tmp_path / "res.areas.csv").exists()
    p = jl("evaluate", res, "--truth", out / "truth.csv", "--json")
    assert p.returncode == 0, p.stderr
    ev = json.loads(p.stdout)
    assert ev["meters"] == 40
    p = jl("worklist", res, "--out", tmp_path / "wl.csv")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "wl.csv").read_text().startswith("rank,meter_id")


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--meters", "/nonexistent/m.csv", "--readings", "/nonexistent", "--out", "x.csv"],
        ["estimate", "--meters", "{city}/meters.csv", "--readings", "{city}/readings", "--out", "x.txt"],
        [
            "estimate",
            "--meters",
            "{city}/meters.csv",
            "--readings",
            "{city}/readings",
            "--out",
            "x.csv",
            "--engine",
            "hadoop",
        ],
        ["estimate", "--meters", "{bad}", "--readings", "{city}/readings", "--out", "x.csv"],
        ["evaluate", "{city}/meters.csv", "--truth", "{city}/truth.csv"],
        ["evaluate", "{bad}", "--truth", "{city}/truth.csv"],
        ["worklist", "{city}/truth.csv", "--top", "0"],
        ["synth", "--out", "{tmp}/s", "--areas", "0"],
        ["synth", "--out", "{tmp}/s", "--failure-rate", "2"],
    ],
)
def test_bad_input_gives_one_line_error(args, city, tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really a parquet file")
    args = [a.format(city=city, bad=bad, tmp=tmp_path) for a in args]
    _one_line_error(jl(*args, cwd=tmp_path))


def test_corrupt_readings_file_warns_and_reports_the_rest(city, tmp_path):
    """One corrupt partition: its area is reported without data, the others are estimated."""
    import shutil

    data = tmp_path / "d"
    shutil.copytree(city, data)
    part = next((data / "readings").glob("area_id=A00002/*.parquet"))
    part.write_bytes(b"garbage")
    p = jl(
        "estimate",
        "--meters",
        data / "meters.csv",
        "--readings",
        data / "readings",
        "--out",
        tmp_path / "r.csv",
        "--min-periods",
        100,
        "--json",
    )
    assert p.returncode == 0, p.stderr
    assert "warning: cannot read" in p.stderr
    import polars as pl

    res = pl.read_csv(tmp_path / "r.csv")
    a2 = res.filter(pl.col("area_id") == "A00002")
    assert (a2["status"] == "insufficient_data").all()
    assert (res.filter(pl.col("area_id") != "A00002")["status"] != "insufficient_data").any()


def test_unknown_meters_and_master_less_area(city, tmp_path):
    import polars as pl

    meters = pl.read_csv(city / "meters.csv")
    meters = meters.with_columns(
        pl.when(pl.col("meter_id") == "A00001-M000")
        .then(pl.lit("user"))
        .otherwise(pl.col("role"))
        .alias("role"),
        pl.when(pl.col("meter_id") == "A00001-M000")
        .then(pl.lit("2"))
        .otherwise(pl.col("accuracy_class").cast(pl.Utf8))
        .alias("accuracy_class"),
    ).filter(pl.col("meter_id") != "A00003-U001")
    meters.write_csv(tmp_path / "m.csv")
    p = jl(
        "estimate",
        "--meters",
        tmp_path / "m.csv",
        "--readings",
        city / "readings",
        "--out",
        tmp_path / "r.csv",
        "--min-periods",
        100,
    )
    assert p.returncode == 0, p.stderr
    assert "A00003-U001" in p.stderr  # the unknown meter is named
    areas = pl.read_csv(tmp_path / "r.areas.csv")
    assert areas.filter(pl.col("area_id") == "A00001")["status"][0] == "no_master"
    assert areas.filter(pl.col("area_id") == "A00002")["status"][0] == "ok"


def test_track_writes_daily_estimates(city, tmp_path):
    p = jl(
        "track",
        "--meters",
        city / "meters.csv",
        "--readings",
        city / "readings",
        "--area",
        "A00002",
        "--out",
        tmp_path / "t.csv",
        "--window-days",
        3,
        "--min-periods",
        100,
    )
    assert p.returncode == 0, p.stderr
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "day,meter_id,error_pct,u_error_pct,drift_pct_per_day"
    assert len(lines) > 20


@pytest.mark.parametrize(
    "extra",
    [
        ["--area", "NOPE"],
        ["--area", "A00002", "--window-days", "0"],
        ["--area", "A00002", "--forgetting", "1.5"],
    ],
)
def test_track_bad_input(city, tmp_path, extra):
    _one_line_error(
        jl(
            "track",
            "--meters",
            city / "meters.csv",
            "--readings",
            city / "readings",
            "--out",
            tmp_path / "t.csv",
            "--min-periods",
            100,
            *extra,
        )
    )


def test_synthetic_thieves_are_reported_with_their_evidence(tmp_path):
    import polars as pl

    out = tmp_path / "c"
    args = ("--areas", 2, "--meters-per-area", 40, "--days", 14, "--seed", 5, "--theft", 0)
    p = jl("synth", "--out", out, *args, "--theft-area-every", 1, "--skew-s", 0)
    assert p.returncode == 0, p.stderr
    res = tmp_path / "res.csv"
    p = jl("estimate", "--meters", out / "meters.csv", "--readings", out / "readings", "--out", res)
    assert p.returncode == 0, p.stderr
    p = jl("evaluate", res, "--truth", out / "truth.csv")
    assert p.returncode == 0, p.stderr
    assert "suspected theft      precision 1.000, recall 1.000 (2 flagged, 2 thieves)" in p.stdout
    rows = pl.read_csv(res).filter(pl.col("status") == "suspected_theft")
    tests = {json.loads(e)["regime_test"]["test"] for e in rows["evidence"]}
    assert tests == {"time_of_day", "change_point"}


def test_synth_refuses_a_negative_theft_area_step(tmp_path):
    _one_line_error(jl("synth", "--out", tmp_path / "c", "--theft-area-every", -1))
