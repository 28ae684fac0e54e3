"""The /api/cheating routes: uploads, replays, who sees what, key supervision, outcomes, hit rate,
and malformed, hostile and oversized files (one-line reason, nothing stored)."""

from functools import cache

import numpy as np
import pytest
from fastapi.testclient import TestClient

from jiliang.meters.chargersynth import ChargerSiteConfig, synth_charger_site
from jiliang.meters.cheatio import charger_csv, station_csv
from jiliang.meters.dispensersynth import SynthStationConfig, synth_station


@cache
def _station(cheat: bool, seed: int) -> dict[str, bytes]:
    st = synth_station(
        SynthStationConfig(days=20, cheat=cheat, cheat_range_pct=(-2.0, -1.5), cheat_trace_probability=1.0,
                           missing_record_probability=0.0),
        np.random.default_rng(seed),
    )  # fmt: skip
    return station_csv(st.data, st.events)


@cache
def _charging(drift: bool) -> dict[str, bytes]:
    site = synth_charger_site(ChargerSiteConfig(days=21, chargers=3, drift=drift), np.random.default_rng(5))
    return charger_csv(site.data, site.sessions)


@pytest.fixture()
def cap(tmp_path):
    from jiliang.app import create_app
    from jiliang.platform.auth import create_user, issue_token
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import Organization, Role
    from jiliang.platform.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'j.db'}", import_max_bytes=4 << 20
    )
    db = Database(settings.effective_database_url)
    upgrade(db)
    h: dict[str, dict[str, str]] = {}
    with db.session(actor="test") as s:
        orgs = {
            "fuel": Organization(name="甲加油站", kind="fuel_station"),
            "fuel2": Organization(name="乙加油站", kind="fuel_station"),
            "ev": Organization(name="快充公司", kind="charging"),
        }
        s.add_all(orgs.values())
        s.flush()
        for name, role, org in [("reg", Role.REGULATOR, None), ("fuel", Role.ENTERPRISE, orgs["fuel"].id),
                                ("fuel2", Role.ENTERPRISE, orgs["fuel2"].id), ("ev", Role.ENTERPRISE, orgs["ev"].id),
                                ("lab", Role.LAB, orgs["fuel"].id)]:  # fmt: skip
            u = create_user(s, name, "password-123", role, org_id=org)
            s.flush()
            h[name] = {"Authorization": f"Bearer {issue_token(s, u)}"}
        ids = {k: o.id for k, o in orgs.items()}
    with TestClient(create_app(settings, db)) as client:
        client.h, client.org = h, ids  # type: ignore[attr-defined]
        yield client
    db.dispose()


def _upload_station(cap, who, files, code="ST1", **extra):
    return cap.post(
        "/api/cheating/stations",
        headers=cap.h[who],
        data={"code": code, "name": "一号站", **extra},
        files={k: (f"{k}.csv", v, "text/csv") for k, v in files.items()},
    )


def _count(cap) -> int:
    return len(cap.get("/api/cheating/sites", headers=cap.h["reg"]).json())


def test_station_upload_flags_the_cheat_and_a_replay_changes_nothing(cap):
    r = _upload_station(cap, "fuel", _station(True, 1))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["flagged"] and not body["already_received"]
    res = body["result"]
    cheats = {n["dispenser_id"] for n in res["nozzles"] if n["status"] == "suspected_cheat"}
    assert len(cheats) == 1 and set(res["flagged_dispensers"]) >= cheats
    assert any(f["kind"] == "lock_then_change" for f in res["flags"])
    again = _upload_station(cap, "fuel", _station(True, 1))
    assert again.status_code == 200 and again.json()["already_received"] and again.json()["id"] == body["id"]
    detail = cap.get(f"/api/cheating/sites/{body['site_id']}", headers=cap.h["fuel"]).json()
    assert detail["site"]["flagged"] and {f["reason"] for f in detail["flags"]} >= {"suspected_cheat"}


def test_who_sees_what(cap):
    site = _upload_station(cap, "fuel", _station(True, 1)).json()["site_id"]
    assert cap.get(f"/api/cheating/sites/{site}", headers=cap.h["fuel2"]).status_code == 404
    assert cap.get("/api/cheating/sites", headers=cap.h["fuel2"]).json() == []
    assert cap.get("/api/cheating/sites", headers=cap.h["lab"]).status_code == 403
    assert cap.get("/api/cheating/sites").status_code == 401
    assert cap.get("/api/cheating/keysites", headers=cap.h["fuel"]).status_code == 403
    # a charger operator may not upload station data, a station may not upload for another org
    assert _upload_station(cap, "ev", _station(False, 2)).status_code == 403
    r = _upload_station(cap, "fuel2", _station(False, 2), org_id=str(cap.org["fuel"]))
    assert r.status_code == 201 and r.json()["site_id"] != site  # its own org, not the named one
    assert len(cap.get("/api/cheating/sites", headers=cap.h["fuel2"]).json()) == 1


def test_charging_site_drift_and_key_supervision_and_hit_rate(cap):
    r = cap.post(
        "/api/cheating/charging-sites",
        headers=cap.h["ev"],
        data={"code": "EV1", "name": "一号充电站", "accuracy_class": "1"},
        files={k: (f"{k}.csv", v, "text/csv") for k, v in _charging(True).items()},
    )
    assert r.status_code == 201, r.text
    assert [c["status"] for c in r.json()["result"]["chargers"]].count("drift") == 1
    cheat = _upload_station(cap, "fuel", _station(True, 1)).json()["site_id"]
    honest = _upload_station(cap, "reg", _station(False, 3), code="ST9", org_id=str(cap.org["fuel2"])).json()
    ranked = cap.get("/api/cheating/keysites", headers=cap.h["reg"]).json()
    items = ranked["items"]
    assert items[0]["site_id"] == f"CS{cheat}" and items[0]["key"]
    assert items[0]["explanation"][0]["reason"] == "suspected_cheat"
    assert {i["site_id"]: i["key"] for i in items}[f"CS{honest['site_id']}"] is False
    csv = cap.get("/api/cheating/keysites.csv", headers=cap.h["reg"])
    assert (
        csv.status_code == 200
        and csv.text.splitlines()[0] == "id,name,credit_class,district,category,owner_id"
    )
    assert f"CS{cheat}" in csv.text and f"CS{honest['site_id']}" not in csv.text
    for site, confirmed in ((cheat, True), (honest["site_id"], False)):
        r = cap.post(f"/api/cheating/sites/{site}/outcomes", headers=cap.h["reg"],
                     json={"checked_on": "2026-11-20", "source": "field_check", "confirmed": confirmed})  # fmt: skip
        assert r.status_code == 201, r.text
    h = cap.get("/api/cheating/hit-rate", headers=cap.h["reg"]).json()
    assert (h["flagged_checked"], h["flagged_confirmed"], h["unflagged_checked"], h["outcomes"]) == (
        1,
        1,
        1,
        2,
    )
    assert cap.post(f"/api/cheating/sites/{cheat}/outcomes", headers=cap.h["fuel"],
                    json={"checked_on": "2026-11-20", "source": "field_check", "confirmed": True}).status_code == 403  # fmt: skip


BAD = [
    ({"totalisers": b"not,a,csv\n1,2,3\n"}, 422, "columns"),
    ({"tank": b"\xff\xfe\x00bad"}, 422, "UTF-8"),
    ({"tank": b"ts,tank_id,volume_l,temperature_c,delivery_l\n0,T1,1,20,\n"}, 422, "2000"),
    ({"tank": b"ts,tank_id,volume_l,temperature_c,delivery_l\n1767225600,T1,nan,20,\n"}, 422, "finite"),
    (
        {"tank": b"ts,tank_id,volume_l,temperature_c,delivery_l\n1767225600,../../etc,1,20,\n"},
        422,
        "identifier",
    ),
    ({"events": b"ts,dispenser_id,kind,detail\n1767225600,D1,<script>,x\n"}, 422, "event kind"),
    ({"tank": b""}, 422, "empty"),
    ({"tank": b"x" * (5 << 20)}, 413, "larger"),
]


@pytest.mark.parametrize(("override", "status", "reason"), BAD)
def test_bad_files_are_refused_with_one_line_and_nothing_stored(cap, override, status, reason):
    files = {**_station(False, 2), **override}
    r = _upload_station(cap, "fuel", files)
    assert r.status_code == status, r.text
    msg = r.json()["message"]
    assert reason in msg and "\n" not in msg
    assert _count(cap) == 0


def test_bad_form_fields(cap):
    r = _upload_station(cap, "fuel", _station(False, 2), code="x" * 65)
    assert r.status_code == 422 and _count(cap) == 0
    r = cap.post("/api/cheating/charging-sites", headers=cap.h["ev"], data={"code": "E", "name": "n", "accuracy_class": "9"},
                 files={"registers": ("r.csv", b"ts,device_id,role,register_kwh\n", "text/csv")})  # fmt: skip
    assert r.status_code == 422 and _count(cap) == 0
    r = cap.post("/api/cheating/charging-sites", headers=cap.h["ev"], data={"code": "E", "name": "n"},
                 files={"registers": ("r.csv", b"ts,device_id,role,register_kwh\n1767225600,P1,charger,1\n", "text/csv")})  # fmt: skip
    assert r.status_code == 422 and "upstream" in r.json()["message"] and _count(cap) == 0


def test_software_identification_not_approved_is_flagged(cap):
    files = dict(_station(False, 2))
    disp = files["totalisers"].decode().splitlines()[1].split(",")[2]
    files["events"] = files["events"] + f"1767225600,{disp},software_id,V9.9-x\n".encode()
    r = _upload_station(cap, "fuel", files, approved_software="V1.2, V1.3")
    assert r.status_code == 201, r.text
    assert [(f["dispenser_id"], f["kind"]) for f in r.json()["result"]["flags"]] == [
        (disp, "unapproved_software")
    ]
    r = _upload_station(cap, "fuel", files, code="ST2", approved_software="x" * 1001)
    assert r.status_code == 422 and _count(cap) == 1


def _stored(cap) -> tuple[int, int]:
    from sqlalchemy import func, select

    from jiliang.meters.cheatmodels import CheatAnalysis, CheatSubmission

    with cap.app.state.db.sessionmaker() as s:
        return (
            int(s.scalar(select(func.count()).select_from(CheatSubmission)) or 0),
            int(s.scalar(select(func.count()).select_from(CheatAnalysis)) or 0),
        )


def test_the_data_behind_a_result_is_kept_served_as_received_and_run_again(cap):
    files = _station(True, 1)
    body = _upload_station(cap, "fuel", files, approved_software="V1.2").json()
    assert body["submission_id"] and _stored(cap) == (1, 1)
    detail = cap.get(f"/api/cheating/sites/{body['site_id']}", headers=cap.h["fuel"]).json()
    sub = detail["submission"]
    assert sub["submitted_by"] == "fuel" and sub["params"] == {"approved_software": ["V1.2"]}
    assert {f["name"] for f in sub["files"]} == {"totalisers", "tank", "events"}
    assert detail["analysis"]["submission_id"] == sub["id"] and len(detail["history"]) == 1
    for f in sub["files"]:
        got = cap.get(f["url"], headers=cap.h["fuel"])
        assert got.status_code == 200 and got.content == files[f["name"]]
        assert cap.get(f["url"], headers=cap.h["fuel2"]).status_code == 404
        assert cap.get(f["url"], headers=cap.h["lab"]).status_code == 403
    again = cap.post(f"/api/cheating/analyses/{body['id']}/rerun", headers=cap.h["fuel"])
    assert again.status_code == 201, again.text
    rerun = again.json()
    assert rerun["id"] != body["id"] and rerun["submission_id"] == sub["id"]
    assert rerun["result"]["nozzles"] == body["result"]["nozzles"]  # same data, same limits
    assert _stored(cap) == (1, 2)
    older = cap.get(f"/api/cheating/sites/{body['site_id']}", params={"analysis_id": body["id"]},
                    headers=cap.h["reg"]).json()  # fmt: skip
    assert older["analysis"]["id"] == body["id"] and [a["id"] for a in older["history"]] == [
        rerun["id"],
        body["id"],
    ]
    assert cap.post(f"/api/cheating/analyses/{body['id']}/rerun", headers=cap.h["fuel2"]).status_code == 404
    assert cap.post("/api/cheating/analyses/999999/rerun", headers=cap.h["reg"]).status_code == 404
    assert cap.get("/api/cheating/files/999999", headers=cap.h["reg"]).status_code == 404
    assert cap.get("/api/cheating/files/0", headers=cap.h["reg"]).status_code == 422
    assert _stored(cap) == (1, 2)


def test_a_stored_file_altered_afterwards_is_not_served_nor_run(cap):
    import zlib

    from sqlalchemy import update

    from jiliang.meters.cheatmodels import CheatSubmissionFile

    body = _upload_station(cap, "fuel", _station(False, 2)).json()
    with cap.app.state.db.session(actor="test") as s:
        s.execute(
            update(CheatSubmissionFile)
            .where(CheatSubmissionFile.name == "tank")
            .values(content=zlib.compress(b"ts,tank_id,volume_l,temperature_c,delivery_l\n"))
        )
    sub = cap.get(f"/api/cheating/sites/{body['site_id']}", headers=cap.h["fuel"]).json()["submission"]
    tank = next(f for f in sub["files"] if f["name"] == "tank")
    r = cap.get(tank["url"], headers=cap.h["fuel"])
    assert r.status_code == 500 and r.json()["code"] == "cheat_data_corrupt"
    r = cap.post(f"/api/cheating/analyses/{body['id']}/rerun", headers=cap.h["fuel"])
    assert r.status_code == 500 and r.json()["code"] == "cheat_data_corrupt" and _stored(cap) == (1, 1)


@pytest.mark.parametrize(("override", "status", "reason"), BAD)
def test_refusals_carry_a_code_the_console_can_translate(cap, override, status, reason):
    r = _upload_station(cap, "fuel", {**_station(False, 2), **override})
    assert r.status_code == status
    assert r.json()["code"].startswith("cheat_") and _stored(cap) == (0, 0)
