"""The ``jiliang`` command: real subprocesses, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli_helpers import one_line_error, run_cli

run = run_cli


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    assert run(["db", "upgrade"], data).returncode == 0
    proc = run(["demo", "seed", "--seed", "3", "--as-of", "2026-11-01", "--json"], data)
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert counts["organizations"] > 50
    return data


def test_version_and_help(tmp_path):
    assert run(["--version"], tmp_path).stdout.strip() == "0.1.0"
    out = run(["--help"], tmp_path).stdout
    for command in ("serve", "db", "demo", "user", "audit"):
        assert command in out


def test_seed_is_deterministic(tmp_path, city):
    other = tmp_path / "data"
    run(["db", "upgrade"], other)
    run(["demo", "seed", "--seed", "3", "--as-of", "2026-11-01"], other)
    q = "SELECT name, credit_code, kind FROM organization ORDER BY id"
    a = sqlite3.connect(city / "jiliang.sqlite3").execute(q).fetchall()
    b = sqlite3.connect(other / "jiliang.sqlite3").execute(q).fetchall()
    assert a == b and len({r[2] for r in a}) >= 8


def test_seed_twice_is_refused_or_skipped(city):
    assert "already holds" in one_line_error(run(["demo", "seed"], city))
    assert run(["demo", "seed", "--if-empty"], city).returncode == 0


def test_user_create_and_audit_verify(tmp_path, city):
    proc = run(
        ["user", "create", "inspector1", "--role", "regulator", "--json"],
        city,
        env={"JILIANG_PASSWORD": "secret-enough"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["role"] == "regulator"
    ok = run(["audit", "verify", "--json"], city)
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True


def test_audit_verify_names_the_altered_entry(tmp_path, city):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(city, copy)
    con = sqlite3.connect(copy / "jiliang.sqlite3")
    con.execute("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 7")
    con.commit()
    con.close()
    assert "entry 7 was altered" in one_line_error(run(["audit", "verify"], copy))


def _cut_newest_entry(db_file: Path) -> None:
    """Delete the newest audit entry and rewind the stored head: the chain alone still agrees."""
    con = sqlite3.connect(db_file)
    last, prev_hash = con.execute(
        "SELECT seq, prev_hash FROM audit_entry ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    con.execute("DELETE FROM audit_entry WHERE seq = ?", (last,))
    con.execute("UPDATE audit_head SET seq = ?, hash = ?", (last - 1, prev_hash))
    con.commit()
    con.close()


def test_audit_checkpoint_export_and_verify(tmp_path, city):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(city, copy)
    exported = tmp_path / "checkpoint.json"
    proc = run(["audit", "checkpoint", "--export", str(exported), "--json"], copy)
    assert proc.returncode == 0, proc.stderr
    cp = json.loads(exported.read_text())
    assert cp == json.loads(proc.stdout) and cp["entries"] > 100
    assert len((copy / "audit" / "checkpoints.jsonl").read_text().splitlines()) == 1
    ok = run(["audit", "verify", "--json", "--checkpoint", str(exported)], copy)
    assert ok.returncode == 0 and json.loads(ok.stdout)["checkpoints"] == 1
    _cut_newest_entry(copy / "jiliang.sqlite3")
    err = one_line_error(run(["audit", "verify"], copy))
    assert f"entries after {cp['entries'] - 1} were removed" in err
    # the data folder's checkpoints are lost too: the exported file still catches the cut
    con = sqlite3.connect(copy / "jiliang.sqlite3")
    con.execute("DELETE FROM audit_checkpoint")
    con.commit()
    con.close()
    shutil.rmtree(copy / "audit")
    assert run(["audit", "verify"], copy).returncode == 0  # nothing left to compare with
    assert "were removed" in one_line_error(run(["audit", "verify", "--checkpoint", str(exported)], copy))


def test_audit_verify_refuses_an_emptied_log(tmp_path, city):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(city, copy)
    con = sqlite3.connect(copy / "jiliang.sqlite3")
    con.execute("DELETE FROM audit_entry")
    con.execute("DELETE FROM audit_head")
    con.commit()
    con.close()
    err = one_line_error(run(["audit", "verify"], copy))
    assert "the audit log is empty but these tables hold rows" in err and "reg_instrument" in err


def test_audit_verify_refuses_a_bad_checkpoint_file(tmp_path, city):
    bad = tmp_path / "cp.json"
    bad.write_text('{"entries": 1}')
    assert "lacks the field 'head'" in one_line_error(
        run(["audit", "verify", "--checkpoint", str(bad)], city)
    )
    missing = tmp_path / "none.json"
    assert "cannot read the checkpoint file" in one_line_error(
        run(["audit", "verify", "--checkpoint", str(missing)], city)
    )


@pytest.mark.parametrize(
    ("args", "env", "expect"),
    [
        (["nope"], {}, "No such command"),
        (["demo", "seed", "--size", "galaxy"], {}, "unknown size"),
        (["demo", "seed", "--as-of", "2026-13-45"], {}, "not a date"),
        (["user", "create", "x", "--role", "emperor"], {"JILIANG_PASSWORD": "long-enough"}, "unknown role"),
        (["user", "create", "x", "--role", "regulator"], {"JILIANG_PASSWORD": "short"}, "at least 10"),
        (["user", "create", "x y", "--role", "regulator"], {"JILIANG_PASSWORD": "long-enough"}, "user name"),
        (
            ["user", "create", "x", "--role", "enterprise"],
            {"JILIANG_PASSWORD": "long-enough"},
            "organization",
        ),
        (
            ["user", "create", "x", "--role", "lab", "--org", "nope"],
            {"JILIANG_PASSWORD": "long-enough"},
            "not found",
        ),
        (["audit", "verify"], {"JILIANG_DEFAULT_LANGUAGE": "fr"}, "JILIANG_DEFAULT_LANGUAGE"),
        (["audit", "verify"], {"JILIANG_BOGUS": "1"}, "JILIANG_BOGUS"),
        (
            ["db", "upgrade"],
            {"JILIANG_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"},
            "database unavailable",
        ),
        (["db", "upgrade"], {"JILIANG_DATABASE_URL": "oracle://x"}, "JILIANG_DATABASE_URL"),
        (["serve", "--port", "0"], {}, "port"),
    ],
)
def test_bad_input_gets_one_line(city, args, env, expect):
    assert expect in one_line_error(run(args, city, env=env))


def test_no_password_without_terminal(city):
    assert "no password" in one_line_error(
        run(["user", "create", "y", "--role", "regulator"], city, stdin="")
    )


def test_serve_refuses_an_old_schema(tmp_path):
    data = tmp_path / "fresh"
    assert "jiliang db upgrade" in one_line_error(run(["serve", "--port", "8999"], data))
