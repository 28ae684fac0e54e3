"""The uncertainty calculator page: run, budget, histogram, decision, save and reopen, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import csrf

HTML = {"Accept": "text/html"}
MASS = (Path(__file__).resolve().parents[2] / "examples" / "uncertainty" / "jcgm101_9_3_mass.yaml").read_text(
    "utf-8"
)

pytestmark = pytest.mark.usefixtures("csrf_forms")


def test_default_model_runs_for_the_public(client):
    r = client.get("/uncertainty", headers=HTML)
    assert r.status_code == 200 and "<textarea" in r.text
    r = client.post(
        "/uncertainty", data={"source": MASS, "action": "run", "csrf_token": csrf(client)}, headers=HTML
    )
    assert r.status_code == 200, r.text[-500:]
    # JCGM 101:2008 §9.3.2.4 Table 9: Monte Carlo u(dm) = 0.0754 mg (first-order GUM: 0.0539 mg),
    # shown to two significant digits (GUM §7.2.6)
    assert "<td>0.075 </td>" in r.text and "<td>0.054 </td>" in r.text and "0.0754" not in r.text
    assert "<polyline" in r.text and 'class="mark-shortest"' in r.text
    assert "dm_Rc" in r.text and "符合性判定" in r.text


def test_bad_models_are_explained(client):
    for source, expect in [
        ("model: {y: 'x +'}\ninputs: {x: {dist: normal, mean: 1, sd: 1}}", "y"),
        ("model: {y: '__import__(\"os\")'}\ninputs: {}", "__import__"),
        ("[1, 2", "YAML"),
        ("just text", "mapping"),
        ("model: {y: 'x'}\ninputs: {x: {dist: normal, mean: 1, sd: -1}}", "sd"),
    ]:
        r = client.post(
            "/uncertainty", data={"source": source, "action": "run", "csrf_token": csrf(client)}, headers=HTML
        )
        assert r.status_code in (400, 413, 422), source
        assert 'role="alert"' in r.text and expect in r.text, (source, r.text[-800:])


def test_save_and_reopen_is_per_organization(client, auth_headers):
    h = {**auth_headers("institute"), **HTML}
    r = client.post(
        "/uncertainty",
        data={"source": MASS, "action": "save", "name": "砝码 100 g"},
        headers=h,
        follow_redirects=False,
    )
    assert r.status_code == 303
    location = r.headers["location"]
    assert "砝码 100 g" in client.get("/uncertainty", headers=h).text
    assert "砝码 100 g" in client.get(location, headers=h).text
    other = client.get(location, headers={**auth_headers("power"), **HTML})
    assert other.status_code == 404
    anon = client.post(
        "/uncertainty",
        data={"source": MASS, "action": "save", "name": "x", "csrf_token": csrf(client)},
        headers=HTML,
    )
    assert anon.status_code == 403


def test_results_are_rounded_as_the_gum_says_with_their_unit(client):
    from jiliang.web.uncertainty import DEFAULT_MODEL

    r = client.post(
        "/uncertainty",
        data={"source": DEFAULT_MODEL, "action": "run", "csrf_token": csrf(client)},
        headers=HTML,
    )
    assert r.status_code == 200
    # GUM: y = 1.234 mg, U = 0.1055 mg → U to two significant digits, y to the same place
    assert "<td>1.23 mg</td>" in r.text and "<strong>0.11 mg</strong>" in r.text
    assert "[1.13, 1.34] mg" in r.text
    assert (
        "保护带" in r.text and "接受（合格）" in r.text and "guard_band" not in r.text.split("</textarea>")[1]
    )
