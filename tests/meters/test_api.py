"""The /api/meters routes: run, results, worklist; access rules; hostile input."""

import shutil

import pytest


def _files(city):
    return {
        "meters": ("meters.csv", (city / "meters.csv").read_bytes(), "text/csv"),
        "readings": ("readings.csv", (city / "readings.csv").read_bytes(), "text/csv"),
    }


def test_power_user_runs_and_reads_worklist(api, city_csv):
    r = api.post(
        "/api/meters/runs", headers=api.h["power"], files=_files(city_csv), data={"min_periods": "100"}
    )
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["org_id"] == api.org["power"]
    assert run["meters"] == 75 and run["areas"] == 3
    r = api.get(f"/api/meters/runs/{run['id']}/results", headers=api.h["power"], params={"limit": 10})
    assert r.status_code == 200 and r.json()["total"] == 75 and len(r.json()["items"]) == 10
    wl = api.get(f"/api/meters/runs/{run['id']}/worklist", headers=api.h["power"]).json()
    assert [w["rank"] for w in wl] == list(range(1, len(wl) + 1))
    assert all(
        w["status"] in ("failed_runaway", "failed_backwards", "failed_stopped", "out_of_limit", "suspect")
        for w in wl
    )
    csv = api.get(f"/api/meters/runs/{run['id']}/worklist.csv", headers=api.h["power"])
    assert csv.status_code == 200 and csv.text.startswith("rank,meter_id")
    assert len(csv.text.strip().splitlines()) == len(wl) + 1
    detail = api.get(f"/api/meters/runs/{run['id']}", headers=api.h["reg"]).json()
    assert len(detail["areas_detail"]) == 3


def test_one_area_from_a_stored_dataset(api, city):
    shutil.copytree(city, api.data_dir / "meters" / "demo-set")
    r = api.post(
        "/api/meters/runs",
        headers=api.h["reg"],
        data={
            "dataset": "demo-set",
            "area_id": "A00002",
            "org_id": str(api.org["power"]),
            "min_periods": "100",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["areas"] == 1 and r.json()["meters"] == 25


def test_access_rules(api, city_csv):
    run = api.post(
        "/api/meters/runs", headers=api.h["power"], files=_files(city_csv), data={"min_periods": "100"}
    ).json()
    assert api.get(f"/api/meters/runs/{run['id']}", headers=api.h["other"]).status_code == 404
    assert api.get(f"/api/meters/runs/{run['id']}").status_code == 401
    assert api.get(f"/api/meters/runs/{run['id']}/worklist", headers=api.h["lab"]).status_code == 403
    assert api.post("/api/meters/runs", headers=api.h["lab"], files=_files(city_csv)).status_code == 403
    r = api.post(
        "/api/meters/runs",
        headers=api.h["power"],
        files=_files(city_csv),
        data={"org_id": str(api.org["other"])},
    )
    assert r.status_code == 403
    r = api.post("/api/meters/runs", headers=api.h["reg"], files=_files(city_csv))
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    assert len(api.get("/api/meters/runs", headers=api.h["other"]).json()) == 0
    assert len(api.get("/api/meters/runs", headers=api.h["reg"]).json()) == 1


@pytest.mark.parametrize(
    ("files", "data", "status"),
    [
        (
            {"meters": ("m.exe", b"MZ", "application/octet-stream"), "readings": ("r.csv", b"a", "text/csv")},
            {},
            422,
        ),
        ({"meters": ("m.csv", b"", "text/csv"), "readings": ("r.csv", b"a", "text/csv")}, {}, 422),
        (
            {"meters": ("m.csv", b"\x00\xff garbage", "text/csv"), "readings": ("r.csv", b"x", "text/csv")},
            {},
            422,
        ),
        ({}, {"dataset": "../../etc"}, 422),
        ({}, {"dataset": "nope"}, 404),
        ({}, {}, 422),
    ],
)
def test_hostile_uploads_are_refused_and_store_nothing(api, files, data, status):
    r = api.post("/api/meters/runs", headers=api.h["power"], files=files or None, data=data)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"status", "code", "message"}
    assert api.get("/api/meters/runs", headers=api.h["power"]).json() == []


def test_oversized_upload_is_413(api, city_csv, monkeypatch):
    big = b"meter_id,ts,register_kwh\n" + b"x,2026-01-01T00:00:00Z,1\n" * 900_000
    files = {
        "meters": ("m.csv", (city_csv / "meters.csv").read_bytes(), "text/csv"),
        "readings": ("r.csv", big, "text/csv"),
    }
    r = api.post("/api/meters/runs", headers=api.h["power"], files=files)
    assert r.status_code == 413
    assert api.get("/api/meters/runs", headers=api.h["power"]).json() == []


def test_bad_query_values(api):
    assert (
        api.get("/api/meters/runs/1/results", headers=api.h["reg"], params={"status": "bogus"}).status_code
        == 422
    )
    assert api.get("/api/meters/runs/999", headers=api.h["reg"]).status_code == 404
    assert api.get("/api/meters/runs/1/worklist", headers=api.h["reg"], params={"top": 0}).status_code == 422
