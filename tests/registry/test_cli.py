"""``jiliang registry``: real subprocesses on a copy of the small demo city; one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import one_line_error, run_cli
from tests.conftest import data_folder

from .conftest import row, to_csv, to_xlsx


def run(args: list[str], data: Path):
    return run_cli(["registry", *args], data)


@pytest.fixture
def data(tmp_path, _seeded_template) -> Path:
    return data_folder(tmp_path, _seeded_template[0])


def test_import_writes_the_report_and_is_idempotent(data, tmp_path):
    register = tmp_path / "register.xlsx"
    register.write_bytes(to_xlsx([row("C1"), row("C2"), row("C3", use="自用")]))
    report = tmp_path / "report.json"
    proc = run(
        ["import", "instruments", str(register), "--report", str(report), "--as-of", "2026-11-01"], data
    )
    assert proc.returncode == 0, proc.stderr
    body = json.loads(report.read_text("utf-8"))
    assert (body["accepted"], body["rejected"], body["unchanged"]) == (2, 1, 0)
    assert body["rows"] == [
        {"line": 4, "column": "use", "header": "用途", "reason": body["rows"][0]["reason"]}
    ]
    proc = run(
        ["import", "instruments", str(register), "--report", str(report), "--as-of", "2026-11-01"], data
    )
    assert json.loads(report.read_text("utf-8"))["unchanged"] == 2


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("missing.csv", None, "no such file"),
        ("bad.csv", b"a,b\n1,2\n", "lacks the column"),
        ("macro.xlsm", b"PK\x03\x04", "xlsx"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_bad_files_fail_with_one_line(data, tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert words in one_line_error(run(["import", "instruments", str(path)], data))


def test_oversized_file_is_refused(data, tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(to_csv([row(f"S{i}") for i in range(50)]))
    env_run = subprocess.run(
        [sys.executable, "-m", "jiliang", "registry", "import", "instruments", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("JILIANG_")},
            "JILIANG_DATA_DIR": str(data),
            "JILIANG_IMPORT_MAX_BYTES": "100",
        },
    )
    assert "import limit" in one_line_error(env_run)


def test_due_trace_metrics_status_job_json(data, tmp_path):
    due = json.loads(run(["due", "--within", "30d", "--as-of", "2026-11-01", "--json"], data).stdout)
    assert due["within_days"] == 30 and due["items"]
    assert all(i["days_left"] <= 30 for i in due["items"])
    trace = json.loads(run(["trace", str(due["items"][-1]["id"]), "--json"], data).stdout)
    assert trace["root"].startswith("instrument:") and "breaks" in trace
    metrics = json.loads(run(["metrics", "--as-of", "2026-11-01", "--json"], data).stdout)
    assert metrics["coverage"]["not_covered"] and metrics["instruments"] > 100
    job = json.loads(run(["status-job", "--as-of", "2026-12-15", "--json"], data).stdout)
    assert job["blocked"] + job["overdue"] > 0
    again = json.loads(run(["status-job", "--as-of", "2026-12-15", "--json"], data).stdout)
    assert (again["overdue"], again["blocked"], again["reminders_30"], again["reminders_15"]) == (0, 0, 0, 0)
    # the daily job also anchors the audit log: one signed checkpoint per run
    lines = (data / "audit" / "checkpoints.jsonl").read_text().splitlines()
    assert len(lines) >= 2 and json.loads(lines[-1])["entries"] > 0


def test_export_and_reimport_change_nothing(data, tmp_path):
    out = tmp_path / "register.csv"
    assert run(["export", "--out", str(out)], data).returncode == 0
    proc = run(["import", "instruments", str(out), "--as-of", "2026-11-01", "--json"], data)
    body = json.loads(proc.stdout)
    assert body["accepted"] == 0 and body["rejected"] == 0 and body["unchanged"] > 100


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["due", "--within", "soon"], "--within"),
        (["due", "--as-of", "2026-13-01"], "not a date"),
        (["trace", "999999"], "not found"),
        (["trace", "1", "--kind", "rainbow"], "unknown kind"),
        (["export", "--out", "x.pdf"], ".csv or .xlsx"),
    ],
)
def test_bad_arguments_fail_with_one_line(data, args, words):
    assert words in one_line_error(run(args, data))
