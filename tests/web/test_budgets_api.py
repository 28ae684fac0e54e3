"""Saved uncertainty budgets over the API, with the caller's rights."""

from __future__ import annotations

from pathlib import Path

MASS = (Path(__file__).resolve().parents[2] / "examples" / "uncertainty" / "jcgm101_9_3_mass.yaml").read_text(
    "utf-8"
)


def test_budget_lifecycle_and_isolation(client, auth_headers):
    lab, power, reg = auth_headers("institute"), auth_headers("power"), auth_headers("regulator")
    r = client.post("/api/uncertainty/budgets", json={"name": "mass", "source": MASS}, headers=lab)
    assert r.status_code == 201
    bid = r.json()["id"]
    assert [b["id"] for b in client.get("/api/uncertainty/budgets", headers=lab).json()] == [bid]
    assert client.get("/api/uncertainty/budgets", headers=power).json() == []
    assert client.get(f"/api/uncertainty/budgets/{bid}", headers=power).status_code == 404
    assert client.get(f"/api/uncertainty/budgets/{bid}", headers=reg).status_code == 200
    out = client.post(f"/api/uncertainty/budgets/{bid}/evaluate", headers=lab).json()
    assert abs(out["outputs"]["dm"]["gum"]["u"] - 0.0539) < 5e-5  # JCGM 101:2008 §9.3.2.4 Table 9
    assert client.delete(f"/api/uncertainty/budgets/{bid}", headers=power).status_code == 404
    assert client.delete(f"/api/uncertainty/budgets/{bid}", headers=lab).json() == {"deleted": True}


def test_bad_budgets_are_refused_and_nothing_is_stored(client, auth_headers):
    lab = auth_headers("institute")
    for body, status in [
        ({"name": "x", "source": "model: {y: 'open(1)'}\ninputs: {}"}, 422),
        ({"name": "x", "source": "[unclosed"}, 422),
        ({"name": "", "source": MASS}, 422),
        ({"name": "x", "source": "a" * 300_000}, 422),
    ]:
        r = client.post("/api/uncertainty/budgets", json=body, headers=lab)
        assert r.status_code == status and set(r.json()) >= {"status", "code", "message", "errors"}
    assert client.get("/api/uncertainty/budgets", headers=lab).json() == []
    assert client.post("/api/uncertainty/budgets", json={"name": "x", "source": MASS}).status_code == 403
