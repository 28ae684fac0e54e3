"""The `jiliang cheating` commands, run as a user would (subprocess), including bad input."""

import hashlib
import json
import sqlite3

import pytest

from tests.cli_helpers import one_line_error, run_cli
from tests.conftest import data_folder


def test_synth_and_analyse_a_station_and_a_charging_site(tmp_path):
    st = tmp_path / "st"
    p = run_cli(
        ["cheating", "synth-station", "--out", str(st), "--seed", "2", "--days", "20", "--cheat"], tmp_path
    )
    assert p.returncode == 0, p.stderr
    truth = json.loads((st / "truth.json").read_text())
    p = run_cli(
        [
            "cheating",
            "station",
            str(st / "totalisers.csv"),
            str(st / "tank.csv"),
            "--events",
            str(st / "events.csv"),
            "--json",
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    cheats = {n["dispenser_id"] for n in out["nozzles"] if n["status"] == "suspected_cheat"}
    assert cheats <= {truth["cheating_dispenser"]}
    assert truth["cheating_dispenser"] in out["flagged_dispensers"] or not cheats
    ev = tmp_path / "ev"
    p = run_cli(
        ["cheating", "synth-charging", "--out", str(ev), "--seed", "3", "--days", "21", "--drift"], tmp_path
    )
    assert p.returncode == 0, p.stderr
    drifting = json.loads((ev / "truth.json").read_text())["drifting"]
    p = run_cli(
        [
            "cheating",
            "charging",
            str(ev / "registers.csv"),
            "--sessions",
            str(ev / "sessions.csv"),
            "--class",
            "1",
            "--json",
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert [c["charger_id"] for c in json.loads(p.stdout)["chargers"] if c["status"] == "drift"] == [drifting]


def test_bad_input_gives_one_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"ts,tank_id\n\x00\n")
    assert "not found" in one_line_error(
        run_cli(["cheating", "station", str(tmp_path / "nope.csv"), str(bad)], tmp_path)
    )
    assert "NUL" in one_line_error(run_cli(["cheating", "station", str(bad), str(bad)], tmp_path))
    reg = tmp_path / "reg.csv"
    reg.write_text("ts,device_id,role,register_kwh\n1767225600,P1,charger,1e999\n")
    assert "finite" in one_line_error(run_cli(["cheating", "charging", str(reg)], tmp_path))
    assert "--class" in one_line_error(run_cli(["cheating", "charging", str(reg), "--class", "7"], tmp_path))


def test_keysites_and_hit_rate_on_an_empty_database(tmp_path):
    assert run_cli(["db", "upgrade"], tmp_path).returncode == 0
    p = run_cli(["cheating", "keysites", "--json", "--targets-csv", str(tmp_path / "t.csv")], tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == []
    assert (tmp_path / "t.csv").read_text().startswith("id,name,credit_class")
    p = run_cli(["cheating", "hit-rate", "--json"], tmp_path)
    assert p.returncode == 0 and json.loads(p.stdout)["rate"] is None


def _org(data, kind: str) -> int:
    with sqlite3.connect(data / "jiliang.sqlite3") as db:
        return int(db.execute("SELECT min(id) FROM organization WHERE kind = ?", (kind,)).fetchone()[0])


def _audited(data, table: str) -> list[str]:
    """Who made each audit entry on ``table`` after the demo city's own."""
    with sqlite3.connect(data / "jiliang.sqlite3") as db:
        q = "SELECT actor FROM audit_entry WHERE entity = ? AND actor != 'demo' ORDER BY seq"
        return [r[0] for r in db.execute(q, (table,))]


@pytest.fixture
def data(_seeded_template, tmp_path):
    """A copy of the demo city's database."""
    return data_folder(tmp_path, _seeded_template[0])


def test_submit_keep_rerun_and_download_as_the_command_line(data, tmp_path):
    """What the console's upload keeps, the command line keeps too: the files with their digests,
    the analysis pointing at them, a rerun beside it, each audited as ``cli``."""
    st = tmp_path / "st"
    assert (
        run_cli(
            ["cheating", "synth-station", "--out", str(st), "--seed", "4", "--days", "15"], tmp_path
        ).returncode
        == 0
    )
    org = str(_org(data, "fuel_station"))
    args = ["cheating", "submit-station", "--org", org, "--code", "CLI-ST", "--name", "命令行加油站",
            str(st / "totalisers.csv"), str(st / "tank.csv"), "--events", str(st / "events.csv"), "--json"]  # fmt: skip
    first = run_cli(args, data)
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["already_received"] is False and made["submission_id"] and made["result"]["nozzles"]
    again = json.loads(run_cli(args, data).stdout)
    assert (again["id"], again["already_received"]) == (made["id"], True)

    site = json.loads(run_cli(["cheating", "site", str(made["site_id"]), "--json"], data).stdout)
    assert site["analysis"]["id"] == made["id"] and site["site"]["code"] == "CLI-ST"
    files = {f["name"]: f for f in site["submission"]["files"]}
    assert set(files) == {"totalisers", "tank", "events"}
    out = tmp_path / "back.csv"
    p = run_cli(["cheating", "file", str(files["tank"]["id"]), "--out", str(out)], data)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == (st / "tank.csv").read_bytes()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == files["tank"]["sha256"]

    p = run_cli(["cheating", "rerun", str(made["id"]), "--json"], data)
    assert p.returncode == 0, p.stderr
    rerun = json.loads(p.stdout)
    assert rerun["id"] != made["id"] and rerun["submission_id"] == made["submission_id"]
    assert rerun["result"] == made["result"]
    assert _audited(data, "cheat_analysis") == ["cli", "cli"]


def test_submit_refusals_store_nothing(data, tmp_path):
    reg = tmp_path / "reg.csv"
    reg.write_text("ts,device_id,role,register_kwh\n1767225600,P1,charger,1e999\n")
    charging = str(_org(data, "charging"))
    fuel = str(_org(data, "fuel_station"))
    base = ["cheating", "submit-charging", "--code", "X", "--name", "X", str(reg)]
    assert "finite" in one_line_error(run_cli([*base, "--org", charging], data))
    assert "is not a" in one_line_error(run_cli([*base, "--org", fuel], data))
    assert "no organization" in one_line_error(run_cli([*base, "--org", "999999"], data))
    assert "no analysis" in one_line_error(run_cli(["cheating", "rerun", "999999"], data))
    assert "no submitted file" in one_line_error(
        run_cli(["cheating", "file", "999999", "--out", str(tmp_path / "x")], data)
    )
    assert _audited(data, "cheat_analysis") == []
