"""Net content over HTTP on the seeded demo city: the workflow, rights, the report, bad input."""

from __future__ import annotations

import pytest


def _factory(client, h) -> int:
    rows = client.get("/api/netcontent", headers=h).json()
    return rows[0]["org_id"]


def test_demo_inspections_published_pass_and_fail(client, auth_headers):
    pub = client.get("/api/netcontent/published").json()
    assert {r["decision"] for r in pub} == {"pass", "fail"}
    assert all(r["packer"] and r["verdict"]["steps"] for r in pub)
    r = client.get(f"/api/netcontent/{pub[0]['id']}/report.pdf")
    assert (
        r.status_code == 200
        and r.content.startswith(b"%PDF")
        and r.headers["content-type"] == "application/pdf"
    )


def test_workflow_over_http(client, auth_headers):
    h = auth_headers("regulator")
    org = _factory(client, h)
    body = {"kind": "inspection", "org_id": org, "product": "挂面", "nominal": "1", "unit": "kg",
            "lot_size": 45, "batch": "X1"}  # fmt: skip
    r = client.post("/api/netcontent", json=body, headers=h)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["sample_size"] == 10
    r = client.post(f"/api/netcontent/{rid}/draw", json={"seed": "cafe" * 8}, headers=h)
    assert r.status_code == 200 and len(r.json()["sample_items"]) == 10
    files = {"file": ("lot.csv", b"gross,tare\n" + b"1.02,0.01\n" * 10, "text/csv")}
    r = client.post(f"/api/netcontent/{rid}/csv?inspected_on=2026-04-08", files=files, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "pass" and r.json()["status"] == "judged"
    assert client.get(f"/api/netcontent/{rid}").status_code == 404  # not public before publication
    assert client.post(f"/api/netcontent/{rid}/publish", headers=h).json()["status"] == "published"
    assert client.get(f"/api/netcontent/{rid}").status_code == 200


def test_packer_self_check_and_rights(client, auth_headers):
    p = auth_headers("packer")
    body = {"kind": "self_check", "product": "大米", "nominal": "5", "unit": "kg", "lot_size": 30}
    r = client.post("/api/netcontent", json=body, headers=p)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert client.post(f"/api/netcontent/{rid}/draw", json={}, headers=p).status_code == 200
    r = client.post(f"/api/netcontent/{rid}/measurements",
                    json={"values": [5.01] * 10, "inspected_on": "2026-04-08"}, headers=p)  # fmt: skip
    assert r.status_code == 200 and r.json()["decision"] == "pass"
    assert client.post(f"/api/netcontent/{rid}/publish", headers=auth_headers("regulator")).status_code == 404
    assert client.get(f"/api/netcontent/{rid}", headers=auth_headers("fuel")).status_code == 404
    assert client.post("/api/netcontent", json={**body, "kind": "inspection", "org_id": 1},
                       headers=p).status_code == 403  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"nominal": "500", "unit": "kg", "values": [1.0] * 10}, 422),
        ({"nominal": "500", "unit": "lb", "values": [1.0] * 10}, 422),
        ({"nominal": "500", "unit": "g", "values": [-1.0] * 10}, 422),
        ({"nominal": "500", "unit": "g", "values": ["x"] * 10}, 422),
        ({"nominal": "500", "unit": "g", "lot_size": 5, "values": [500.0] * 10}, 422),
        ({"nominal": "500", "unit": "g", "values": [500.0] * 3000}, 422),
    ],
)
def test_judge_bad_input(client, body, status):
    r = client.post("/api/netcontent/judge", json=body)
    assert r.status_code == status
    assert set(r.json()) >= {"status", "code", "message"}


def test_judge_and_oc(client):
    r = client.post("/api/netcontent/judge", json={"nominal": "500", "unit": "g", "values": [501.0] * 13})
    assert r.status_code == 200 and r.json()["decision"] == "pass" and r.json()["n"] == 13
    r = client.post("/api/netcontent/oc", json={"nominal": "500", "unit": "g", "lot_size": 300, "mean": 505,
                                                "sd": 3, "lots": 1000})  # fmt: skip
    assert r.status_code == 200 and r.json()["p"] > 0.9


def test_bad_csv_stores_nothing(client, auth_headers):
    h = auth_headers("regulator")
    org = _factory(client, h)
    rid = client.post("/api/netcontent", json={"org_id": org, "product": "盐", "nominal": "400", "unit": "g",
                                               "lot_size": 20}, headers=h).json()["id"]  # fmt: skip
    client.post(f"/api/netcontent/{rid}/draw", json={}, headers=h)
    for data in (b"net\n=1+1\n" * 10, b"\xff\xfe", b"net\n" + b"400\n" * 100_000, b"net\n400\n"):
        r = client.post(f"/api/netcontent/{rid}/csv", files={"file": ("x.csv", data, "text/csv")}, headers=h)
        assert r.status_code in (413, 422), r.text
        assert "message" in r.json()
    assert client.get(f"/api/netcontent/{rid}", headers=h).json()["status"] == "drawn"
