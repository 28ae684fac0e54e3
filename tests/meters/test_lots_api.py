"""/api/meters/lots: form, draw, results, decide, publish, public lookup; access; hostile input
(one error body, nothing stored)."""

import pytest

CSV = "meter_no,kind,maker,model,batch,install_year\n" + "".join(
    f"E{i:05},electricity,华立,DDZY71,2018-03,2018\n" for i in range(600)
)


def _form(api, who="power", **extra):
    return api.post(
        "/api/meters/lots", headers=api.h[who], json={"rule": "hu57-2018", "meters_csv": CSV, **extra}
    )


def test_workflow_and_public_lookup(api):
    r = _form(api)
    assert r.status_code == 201, r.text
    lot = r.json()[0]
    assert (lot["N"], lot["n"], lot["rule_code"]) == (600, 45, "JJF(沪)57-2018")
    assert (
        api.post(f"/api/meters/lots/{lot['id']}/sample", headers=api.h["power"], json={}).status_code == 403
    )
    drawn = api.post(f"/api/meters/lots/{lot['id']}/sample", headers=api.h["reg"], json={"seed": 7}).json()
    results = [{"meter_no": m, "outcome": "conforming", "error_pct": 0.3} for m in drawn["sample"]]
    r = api.post(f"/api/meters/lots/{lot['id']}/results", headers=api.h["power"], json={"results": results})
    assert r.status_code == 200, r.text
    assert (
        api.post(f"/api/meters/lots/{lot['id']}/decide", headers=api.h["reg"]).json()["decision"] == "extend"
    )
    assert api.get("/api/meters/lots/lookup", params={"meter_no": drawn["sample"][0]}).json() == []
    api.post(f"/api/meters/lots/{lot['id']}/publish", headers=api.h["reg"])
    found = api.get("/api/meters/lots/lookup", params={"meter_no": drawn["sample"][0]}).json()
    assert found[0]["extend_years"] == 4
    detail = api.get(f"/api/meters/lots/{lot['id']}", headers=api.h["power"]).json()
    assert detail["tested"] == 45 and detail["status"] == "published"
    assert api.get(f"/api/meters/lots/{lot['id']}", headers=api.h["other"]).status_code == 404
    assert api.get(f"/api/meters/lots/{lot['id']}").status_code == 401
    assert len(api.get("/api/meters/lots/rules").json()) == 3


@pytest.mark.parametrize(
    "body, status",
    [
        ({"rule": "nope", "meters_csv": CSV}, 422),
        ({"rule": "hu57-2018", "meters_csv": "meter_no\nA\n"}, 422),
        ({"rule": "hu57-2018", "meters_csv": CSV.replace("E00001,", "<E1>,")}, 422),
        ({"rule": "hu57-2018", "meters_csv": CSV.replace("2018\n", "-2018\n", 1)}, 422),
        ({"rule": "hu57-2018", "meters_csv": CSV.splitlines()[0] + "\nA,electricity,m,x,b,2018\n"}, 422),
        ({"rule": "x" * 40, "meters_csv": CSV}, 422),
        ({"rule": "hu57-2018"}, 422),
        ({"rule": "hu57-2018", "meters_csv": CSV, "from_registry": "electricity"}, 422),
        ({"rule": "hu57-2018", "from_registry": "steam"}, 422),
        ({"rule": "hu57-2018", "from_registry": "water"}, 422),
    ],
)
def test_bad_forming(api, body, status):
    r = api.post("/api/meters/lots", headers=api.h["power"], json=body)
    assert r.status_code == status
    err = r.json()
    assert set(err) >= {"code", "message", "status"} and "\n" not in err["message"]
    assert api.get("/api/meters/lots", headers=api.h["reg"]).json() == []


def test_bad_results_and_lookup(api):
    lot = _form(api).json()[0]
    drawn = api.post(f"/api/meters/lots/{lot['id']}/sample", headers=api.h["reg"], json={}).json()
    assert drawn["seed"] is not None
    for bad in (
        {"results": [{"meter_no": "ZZZ", "outcome": "conforming"}]},
        {"results": [{"meter_no": drawn["sample"][0], "outcome": "maybe"}]},
        {"results": [{"meter_no": drawn["sample"][0], "outcome": "conforming", "error_pct": 1e9}]},
        {"results": []},
    ):
        r = api.post(f"/api/meters/lots/{lot['id']}/results", headers=api.h["power"], json=bad)
        assert r.status_code == 422, r.text
    assert api.get(f"/api/meters/lots/{lot['id']}", headers=api.h["reg"]).json()["tested"] == 0
    assert api.get("/api/meters/lots/lookup", params={"meter_no": "<script>"}).status_code == 422
    assert api.post(f"/api/meters/lots/{lot['id']}/decide", headers=api.h["reg"]).status_code == 422
