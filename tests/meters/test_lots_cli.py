"""`jiliang meters lots …` run as a user would (subprocess): form, sample, record, decide with
--publish, show, lookup, rules; bad input gives one line and stores nothing."""

import json
import os
from pathlib import Path

import pytest

from tests.cli_helpers import one_line_error, run_cli

SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {"PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def lots(data, *args):
    return run_cli(["meters", "lots", *map(str, args)], data, env=ENV)


@pytest.fixture()
def data(tmp_path):
    assert run_cli(["db", "upgrade"], tmp_path, env=ENV).returncode == 0
    from jiliang.platform.db import Database
    from jiliang.platform.models import Organization

    db = Database(f"sqlite:///{tmp_path / 'jiliang.sqlite3'}")
    with db.session(actor="t") as s:
        s.add(Organization(name="供电局", kind="utility"))
    db.dispose()
    lines = ["meter_no,kind,maker,model,batch,install_year"]
    lines += [f"E{i:05},electricity,华立,DDZY71,2018-03,2018" for i in range(600)]
    (tmp_path / "meters.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_form_sample_record_decide(data):
    p = lots(data, "form", data / "meters.csv", "--rule", "hu57-2018", "--org", 1, "--json")
    assert p.returncode == 0, p.stderr
    lot = json.loads(p.stdout)[0]
    assert (lot["N"], lot["n"], lot["Ac"], lot["status"]) == (600, 45, 0, "formed")
    p = lots(data, "sample", lot["id"], "--seed", 42, "--json")
    sample = json.loads(p.stdout)[0]["sample"]
    assert len(sample) == 45
    rows = ["meter_no,outcome,error_pct"] + [f"{m},conforming,0.2" for m in sample]
    (data / "r.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert lots(data, "record", lot["id"], data / "r.csv", "--json").returncode == 0
    p = lots(data, "decide", lot["id"], "--publish", "--json")
    out = json.loads(p.stdout)[0]
    assert (out["decision"], out["extend_years"], out["status"]) == ("extend", 4, "published")
    found = json.loads(lots(data, "lookup", sample[0], "--json").stdout)
    assert found[0]["decision"] == "extend"
    show = json.loads(lots(data, "show", lot["id"], "--json").stdout)
    assert show["tested"] == 45 and show["d"] == 0
    assert "JJF(沪)57-2018" in lots(data, "rules").stdout


@pytest.mark.parametrize(
    "args, match",
    [
        (["form", "{d}/meters.csv", "--rule", "nope", "--org", "1"], "unknown lot rule"),
        (["form", "{d}/missing.csv", "--rule", "hu57-2018", "--org", "1"], "not found"),
        (["form", "{d}/bad.csv", "--rule", "hu57-2018", "--org", "1"], "install_year"),
        (["form", "{d}/small.csv", "--rule", "hu57-2018", "--org", "1"], "minimum lot size"),
        (["sample", "99"], "no meter lot 99"),
        (["lookup", "<b>x</b>"], "not a meter number"),
    ],
)
def test_bad_input_one_line(data, args, match):
    (data / "bad.csv").write_text(
        "meter_no,kind,maker,model,batch,install_year\nA,electricity,m,x,b,20x8\n", "utf-8"
    )
    small = "\n".join(
        ["meter_no,kind,maker,model,batch,install_year"] + [f"S{i},electricity,m,x,b,2018" for i in range(10)]
    )
    (data / "small.csv").write_text(small + "\n", "utf-8")
    p = lots(data, *[a.format(d=data) for a in args])
    assert match in one_line_error(p)
    assert json.loads(lots(data, "list", "--json").stdout) == []
