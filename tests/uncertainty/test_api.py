"""``POST /api/uncertainty/evaluate``: same output as the CLI, caps and the one error body."""

from __future__ import annotations

import pytest

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from jiliang.api.uncertainty import API_MAX_TRIALS  # noqa: E402

MODEL = {
    "model": {"Y": "a * b"},
    "inputs": {"a": {"dist": "normal", "mean": 2, "sd": 0.1}, "b": {"dist": "uniform", "low": 1, "high": 3}},
    "method": {"montecarlo": {"trials": 20000}, "seed": 4},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from jiliang.app import create_app
    from jiliang.platform.settings import Settings

    data = tmp_path_factory.mktemp("data")
    app = create_app(Settings(data_dir=data, database_url=f"sqlite:///{data}/j.db"))
    with TestClient(app) as c:
        yield c


def test_evaluate_returns_the_cli_shape(client):
    from jiliang.uncertainty import evaluate, model_from_dict

    r = client.post("/api/uncertainty/evaluate", json=MODEL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == evaluate(model_from_dict(MODEL)).as_dict()
    assert body["outputs"]["Y"]["mc"]["trials"] == 20000


def test_operation_id(client):
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/api/uncertainty/evaluate"]["post"]["operationId"] == "uncertainty-evaluate"


def assert_error(r, status, needle):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"status", "code", "message", "errors"}
    assert needle in body["message"] or any(needle in e["message"] for e in body["errors"])


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"model": {"Y": "__import__('os').system('id')"}}, "not allowed"),
        ({"model": {"Y": "a * c"}}, "undefined symbol"),
        (
            {
                "inputs": {
                    "a": {"dist": "normal", "mean": 1, "sd": -1},
                    "b": {"dist": "normal", "mean": 1, "sd": 1},
                }
            },
            "sd must be",
        ),
        ({"correlations": [["a", "b", 2]]}, "outside"),
        ({"method": {"montecarlo": {"trials": API_MAX_TRIALS + 1}}}, "more than the limit"),
        (
            {"inputs": {"a": {"data": [1.0] * 100_001}, "b": {"dist": "normal", "mean": 1, "sd": 1}}},
            "observations",
        ),
    ],
)
def test_bad_models(client, patch, needle):
    assert_error(client.post("/api/uncertainty/evaluate", json=MODEL | patch), 422, needle)


def test_not_an_object(client):
    r = client.post("/api/uncertainty/evaluate", json=[1, 2, 3])
    assert r.status_code == 422
    assert set(r.json()) == {"status", "code", "message", "errors"}


def test_malformed_json(client):
    r = client.post(
        "/api/uncertainty/evaluate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_adaptive_is_capped_not_refused(client):
    body = MODEL | {"method": {"montecarlo": {"adaptive": {"digits": 1}}, "seed": 1}}
    r = client.post("/api/uncertainty/evaluate", json=body)
    assert r.status_code == 200
    assert r.json()["montecarlo"]["trials"] <= API_MAX_TRIALS
