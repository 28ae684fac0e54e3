"""``jiliang verification``: real subprocesses on a copy of the small demo city."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import one_line_error, run_cli
from tests.conftest import data_folder


@pytest.fixture
def data(tmp_path, _seeded_template) -> Path:  # type: ignore[no-untyped-def]
    return data_folder(tmp_path, _seeded_template[0])


def test_bookings_and_flow_as_json(data):
    out = run_cli(["verification", "bookings", "--json"], data)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert listed["total"] == len(listed["items"])  # the demo city's own bookings
    requested = sum(1 for b in listed["items"] if b["state"] == "requested")
    out = run_cli(["verification", "flow", "--days", "3", "--json"], data)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["days"] == 3 and body["open_by_state"].get("requested", 0) == requested


def test_unknown_state_is_a_one_line_error(data):
    assert "unknown state" in one_line_error(run_cli(["verification", "bookings", "--state", "lost"], data))
