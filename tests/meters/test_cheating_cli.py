"""The `jiliang cheating` commands, run as a user would (subprocess), including bad input."""

import json

from tests.cli_helpers import one_line_error, run_cli


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
