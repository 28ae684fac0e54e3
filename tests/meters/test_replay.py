"""Replayed uploads, conflicting duplicate reads, formula-like meter ids in the worklist CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from jiliang.meters.models import MeterEstimationRun
from jiliang.platform.models import AuditEntry


def _files(meters: bytes, readings: bytes):
    return {"meters": ("meters.csv", meters, "text/csv"), "readings": ("readings.csv", readings, "text/csv")}


def _post(api, meters: bytes, readings: bytes, **data: str):
    return api.post(
        "/api/meters/runs",
        headers=api.h["power"],
        files=_files(meters, readings),
        data={"min_periods": "100", **data},
    )


def _counts(api):
    db = api.app.state.db
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(MeterEstimationRun)),
            s.scalar(select(func.count()).select_from(AuditEntry)),
        )


def test_replayed_upload_is_already_received_and_changes_nothing(api, city_csv):
    meters, readings = (city_csv / "meters.csv").read_bytes(), (city_csv / "readings.csv").read_bytes()
    first = _post(api, meters, readings)
    assert first.status_code == 201 and first.json()["already_received"] is False
    before = _counts(api)
    again = _post(api, meters, readings)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["already_received"] is True and body["id"] == first.json()["id"]
    assert body["status"] == first.json()["status"]
    assert _counts(api) == before
    # other settings are another analysis of the same data: a new run
    other = _post(api, meters, readings, guard_k="3")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def _replay_rows(readings: bytes, meter_id: str, every: int, factor: float) -> tuple[bytes, int]:
    """The readings plus a replay of every ``every``-th read of one meter with a scaled register."""
    rows = list(csv.DictReader(io.StringIO(readings.decode())))
    mine = [r for r in rows if r["meter_id"] == meter_id][5::every]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    for r in mine:
        w.writerow(r | {"register_kwh": f"{float(r['register_kwh']) * factor:.3f}"})
    return out.getvalue().encode(), len(mine)


def test_conflicting_replayed_reads_are_reported_and_never_decide(api, city_csv):
    meters, readings = (city_csv / "meters.csv").read_bytes(), (city_csv / "readings.csv").read_bytes()
    base = _post(api, meters, readings).json()
    results = api.get(f"/api/meters/runs/{base['id']}/results", headers=api.h["power"], params={"limit": 500})
    ok = next(r for r in results.json()["items"] if r["status"] == "ok")
    replayed, n = _replay_rows(readings, ok["meter_id"], 200, 1.05)
    r = _post(api, meters, replayed)
    assert r.status_code == 201, r.text
    body = r.json()
    listed = body["conflicting_reads"]
    assert len(listed) == n and {c["meter_id"] for c in listed} == {ok["meter_id"]}
    assert all(len(c["register_kwh"]) == 2 for c in listed)
    assert "conflicting duplicate read(s)" in body["messages"][0]
    again = api.get(f"/api/meters/runs/{body['id']}/results", headers=api.h["power"], params={"limit": 500})
    mine = next(x for x in again.json()["items"] if x["meter_id"] == ok["meter_id"])
    assert mine["status"] == "ok"
    assert abs(mine["error_pct"] - ok["error_pct"]) < 0.5 * ok["u_error_pct"]
    # the replay of the same conflicting upload is answered from the stored run, conflicts included
    replay = _post(api, meters, replayed)
    assert replay.status_code == 200 and replay.json()["conflicting_reads"] == listed


def test_formula_like_meter_ids_are_inert_in_the_worklist_csv(api, city_csv):
    meters, readings = (city_csv / "meters.csv").read_bytes(), (city_csv / "readings.csv").read_bytes()
    base = _post(api, meters, readings).json()
    flagged = api.get(f"/api/meters/runs/{base['id']}/worklist", headers=api.h["power"]).json()
    victims = [w["meter_id"] for w in flagged[:2]]
    evil = {victims[0]: "=1+" + victims[0], victims[1]: "＝1+" + victims[1]}
    for old, new in evil.items():
        meters, readings = (
            meters.replace(old.encode(), new.encode()),
            readings.replace(old.encode(), new.encode()),
        )
    run = _post(api, meters, readings).json()
    text = api.get(f"/api/meters/runs/{run['id']}/worklist.csv", headers=api.h["power"]).text
    ids = [row["meter_id"] for row in csv.DictReader(io.StringIO(text))]
    for new in evil.values():
        assert "'" + new in ids
    assert not any(i.startswith(("=", "＝")) for i in ids)
