"""The command line's evaluations over HTTP: the same documents, one JSON error body on bad input."""

from __future__ import annotations

import pytest

PB = [
    ("KRISS", 2.893, 0.044 / 2.13),
    ("NMIJ", 2.936, 0.0125),
    ("IRMM", 2.94, 0.0165),
    ("PTB", 2.96, 0.08 / 2.4),
    ("NMIA", 2.98, 0.2 / 1.99),
    ("LGC", 3.0, 0.05),
    ("CSIR", 3.001, 0.068),
    ("NIM", 3.07, 0.085),
    ("LNE", 3.13, 0.06),
]


def _results():
    return [{"lab": lab, "value": x, "u": u} for lab, x, u in PB]


def test_evaluate_mean_reproduces_the_ccqm_k30_kcrv(client):
    r = client.post("/api/comparisons/evaluate", json={"results": _results(), "estimator": "mean"})
    assert r.status_code == 200, r.text
    assert r.json()["reference"]["value"] == pytest.approx(2.99, abs=1e-12)
    assert {d["lab"] for d in r.json()["labs"]} == {p[0] for p in PB}


@pytest.mark.parametrize(
    "body,status,text",
    [
        ({"results": [{"lab": "A", "value": 1, "u": 0.1}], "estimator": "mean"}, 422, "at least 2 labs"),
        (
            {
                "results": [{"lab": "A", "value": 1, "u": 0.1}, {"lab": "A", "value": 2, "u": 0.1}],
                "estimator": "mean",
            },
            422,
            "duplicated lab",
        ),
        ({"results": [{"lab": "A", "value": 1, "u": 0}], "estimator": "mean"}, 422, "u"),
        ({"results": [{"lab": "A", "value": "x", "u": 1}], "estimator": "mean"}, 422, "value"),
        ({"results": _results(), "estimator": "mode"}, 422, "unknown estimator"),
    ],
)
def test_bad_results(client, body, status, text):
    r = client.post("/api/comparisons/evaluate", json=body)
    assert r.status_code == status and text in r.text and "message" in r.json()


def test_scores_and_intervals(client):
    r = client.post(
        "/api/comparisons/scores",
        json={"results": _results(), "assigned": 2.99, "u_assigned": 0.03, "sigma_pt": 0.1},
    )
    assert r.status_code == 200 and r.json()["labs"][0]["z_class"] == "satisfactory"
    y = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]  # 2019 NCSL tutorial, asset 1
    r = client.post(
        "/api/comparisons/intervals/a3",
        json={"interval_days": [365] * 20, "in_tolerance": [bool(v) for v in y], "target": 0.95},
    )
    assert r.status_code == 200 and round(r.json()["interval_days"]) == 231
    r = client.post(
        "/api/comparisons/intervals/variables",
        json={
            "days": [70, 86, 104, 135, 167, 173],
            "deviation": [0.1, 0.11, 0.251, 0.299, 0.403, 0.615],
            "u0": 0.28,
            "degree": 2,
            "y0": 10.03,
            "target_uncertainty": 0.5,
        },
    )
    assert r.status_code == 200 and r.json()["interval_days"] == pytest.approx(327.15, abs=0.005)
    r = client.post(
        "/api/comparisons/intervals/s2",
        json={"interval_days": [100, 200, 300, 400, 500], "in_tolerance": [True] * 5, "target": 0.9},
    )
    assert r.status_code == 422 and "every calibration was in tolerance" in r.json()["message"]
