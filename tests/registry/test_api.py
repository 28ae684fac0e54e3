"""Registry API on the small demo city: scoping by role, import, export, due, book, notify, errors."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import row, to_csv


def _error_shape(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"status", "code", "message", "errors"} and body["status"] == status


def test_regulator_sees_all_enterprise_only_its_own_public_none(client, auth_headers, seeded):
    r = client.get("/api/registry/instruments?limit=5", headers=auth_headers("regulator"))
    # the registry's own demo instruments plus the supervised smart meters the meters demo registers
    # and the energy meters of the key energy-using units the energy demo registers
    stored = seeded["instruments"] + seeded.get("meter_instruments", 0) + seeded.get("energy_instruments", 0)
    assert r.status_code == 200 and r.json()["total"] == min(stored, 10_000)
    power = client.get("/api/registry/instruments?limit=1000", headers=auth_headers("power")).json()
    owners = {i["owner_id"] for i in power["items"]}
    assert len(owners) == 1 and power["total"] > 0
    assert {i["type_code"] for i in power["items"]} == {"electricity-meter"}
    fuel = client.get("/api/registry/instruments?limit=1000", headers=auth_headers("fuel")).json()
    assert {i["owner_id"] for i in fuel["items"]}.isdisjoint(owners)
    _error_shape(client.get("/api/registry/instruments"), 401)


def test_lab_sees_what_it_verified(client, auth_headers):
    items = client.get("/api/registry/instruments?limit=1000", headers=auth_headers("lab")).json()["items"]
    assert items
    detail = client.get(f"/api/registry/instruments/{items[0]['id']}", headers=auth_headers("lab")).json()
    assert any(h["lab_name"] == "滨江精测校准技术有限公司" for h in detail["history"]) or detail["booked_on"]


def test_another_owners_instrument_is_not_found(client, auth_headers):
    power_item = client.get("/api/registry/instruments?limit=1", headers=auth_headers("power")).json()[
        "items"
    ][0]
    _error_shape(
        client.get(f"/api/registry/instruments/{power_item['id']}", headers=auth_headers("fuel")), 404
    )
    _error_shape(
        client.get(f"/api/registry/instruments/{power_item['id']}/trace", headers=auth_headers("fuel")), 404
    )
    ok = client.get(f"/api/registry/instruments/{power_item['id']}/trace", headers=auth_headers("power"))
    assert ok.status_code == 200 and ok.json()["root"] == f"instrument:{power_item['id']}"


def test_filters_and_paging(client, auth_headers):
    h = auth_headers("regulator")
    blocked = client.get("/api/registry/instruments?status=blocked&limit=1000", headers=h).json()
    assert blocked["items"] and {i["status"] for i in blocked["items"]} == {"blocked"}
    _error_shape(client.get("/api/registry/instruments?status=lost", headers=h), 422)
    _error_shape(client.get("/api/registry/instruments?limit=100000", headers=h), 422)
    _error_shape(client.get("/api/registry/instruments?q=" + "x" * 101, headers=h), 422)


def test_standards_public_sees_only_published(client, auth_headers):
    public = client.get("/api/registry/standards?limit=1000").json()
    assert public["items"] and all(s["published"] for s in public["items"])
    everything = client.get("/api/registry/standards?limit=1000", headers=auth_headers("regulator")).json()
    assert everything["total"] > public["total"]  # enterprise standards are not published
    hidden = next(s for s in everything["items"] if not s["published"])
    _error_shape(client.get(f"/api/registry/standards/{hidden['id']}"), 404)
    trace = client.get(f"/api/registry/standards/{public['items'][-1]['id']}/trace").json()
    assert "breaks" in trace
    assert client.get("/api/registry/reference-materials").json()["total"] > 0


def test_broken_chains_exist_in_the_demo(client, auth_headers):
    h = auth_headers("regulator")
    items = client.get("/api/registry/standards?limit=1000&level=public", headers=h).json()["items"]
    reasons = set()
    for s in items:
        t = client.get(f"/api/registry/standards/{s['id']}/trace?on=2026-11-01", headers=h).json()
        reasons.update(b["reason"] for b in t["breaks"])
    assert reasons == {"link_missing", "certificate_expired", "scope_not_covered", "uncertainty_ratio"}


def test_import_report_and_idempotence(client, auth_headers):
    h = auth_headers("regulator")
    data = to_csv([row("API1"), row("API2", use="?")])
    r = client.post("/api/registry/import", headers=h, files={"file": ("r.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["accepted"], rep["rejected"]) == (1, 1)
    assert rep["rows"] == [{"line": 3, "column": "use", "header": "用途", "reason": rep["rows"][0]["reason"]}]
    again = client.post("/api/registry/import", headers=h, files={"file": ("r.csv", data, "text/csv")}).json()
    assert (again["accepted"], again["unchanged"]) == (0, 1)
    dry = client.post(
        "/api/registry/import?dry_run=true",
        headers=h,
        files={"file": ("r.csv", to_csv([row("API3")]), "text/csv")},
    ).json()
    assert dry["accepted"] == 1 and dry["committed"] is False


def test_import_is_for_the_regulator_and_owners_and_refuses_bad_files(client, auth_headers):
    data = to_csv([row("API1")])
    _error_shape(
        client.post(
            "/api/registry/import", headers=auth_headers("lab"), files={"file": ("r.csv", data, "text/csv")}
        ),
        403,
    )
    # an owner imports only rows of its own organisation
    own = client.post(
        "/api/registry/import", headers=auth_headers("power"), files={"file": ("r.csv", data, "text/csv")}
    )
    assert own.status_code == 200 and own.json()["rejected"] == 1
    assert "not your organisation" in own.json()["rows"][0]["reason"]
    _error_shape(client.post("/api/registry/import", files={"file": ("r.csv", data, "text/csv")}), 401)
    h = auth_headers("regulator")
    _error_shape(
        client.post("/api/registry/import", headers=h, files={"file": ("r.xlsm", b"PK\x03\x04x", "x")}), 422
    )
    _error_shape(
        client.post("/api/registry/import", headers=h, files={"file": ("r.csv", b"a,b\n1,2\n", "text/csv")}),
        422,
    )
    _error_shape(client.post("/api/registry/import", headers=h), 422)


def test_import_size_limit(client, auth_headers, app):
    from jiliang.platform.settings import Settings

    app.state.settings = Settings(**(app.state.settings.model_dump() | {"import_max_bytes": 200}))
    big = to_csv([row(f"S{i}") for i in range(20)])
    _error_shape(
        client.post(
            "/api/registry/import",
            headers=auth_headers("regulator"),
            files={"file": ("r.csv", big, "text/csv")},
        ),
        413,
    )


def test_template_and_formula_safe_export(client, auth_headers):
    t = client.get("/api/registry/import/template")
    assert t.status_code == 200 and "器具名称" in t.content.decode("utf-8-sig")
    h = auth_headers("regulator")
    client.post(
        "/api/registry/import",
        headers=h,
        files={"file": ("r.csv", to_csv([row("F1", location="摊位")]), "text/csv")},
    )
    from jiliang.platform.db import Database  # plant a hostile value as if stored by an older version

    db: Database = client.app.state.db
    from sqlalchemy import update

    from jiliang.registry.models import Instrument

    with db.session() as s:
        s.execute(
            update(Instrument).where(Instrument.serial == "F1").values(location='=HYPERLINK("http://x")')
        )
    r = client.get("/api/registry/export?format=csv&lang=en", headers=h)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["type", "model", "serial"]
    hostile = next(x for x in rows if x[2] == "F1")
    assert hostile[8].startswith("'=")
    x = client.get("/api/registry/export?format=xlsx", headers=h)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(x.content), read_only=True).worksheets[0]
    values = [c for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str) and "HYPERLINK" in c]
    assert values == ['\'=HYPERLINK("http://x")']
    power = client.get("/api/registry/export?format=csv", headers=auth_headers("power")).content.decode(
        "utf-8-sig"
    )
    assert "F1" not in power
    _error_shape(client.get("/api/registry/export?format=pdf", headers=h), 422)


def test_due_book_notify(client, auth_headers):
    h = auth_headers("market")
    due = client.get("/api/registry/due?within=60&limit=50", headers=h).json()
    assert due["items"] and all(i["days_left"] <= 60 for i in due["items"])
    in_use = [i["id"] for i in due["items"] if i["status"] in ("in_use", "overdue", "blocked")][:2]
    import datetime as dt

    on = (client.app.state.clock.today() + dt.timedelta(days=7)).isoformat()
    r = client.post("/api/registry/book", headers=h, json={"ids": in_use, "on": on})
    assert r.json() == {"count": len(in_use)}
    _error_shape(client.post("/api/registry/book", headers=h, json={"ids": [], "on": on}), 422)
    _error_shape(client.post("/api/registry/book", headers=h, json={"ids": in_use, "on": "2000-01-01"}), 422)
    _error_shape(client.post("/api/registry/notify", headers=h, json={"ids": in_use}), 403)
    reg = auth_headers("regulator")
    assert (
        client.post("/api/registry/notify", headers=reg, json={"ids": in_use, "note": "送检"}).json()["count"]
        == 2
    )
    _error_shape(client.post("/api/registry/notify", headers=reg, json={"ids": [10**8]}), 404)


def test_metrics_and_status_job_are_for_the_regulator(client, auth_headers):
    m = client.get("/api/registry/metrics?on=2026-11-01", headers=auth_headers("regulator")).json()
    assert 0.8 < m["verification_rate"]["rate"] < 1.0
    assert m["coverage"]["not_covered"] and m["standards_by_level"]["national"] > 0
    _error_shape(client.get("/api/registry/metrics", headers=auth_headers("power")), 403)
    r = client.post("/api/registry/status-job?on=2026-11-02", headers=auth_headers("regulator"))
    assert r.status_code == 200 and set(r.json()) >= {"overdue", "blocked", "reminders_30", "reminders_15"}


def test_verification_record_scoped_to_lab_owner_regulator(client, auth_headers):
    item = client.get("/api/registry/instruments?limit=1", headers=auth_headers("power")).json()["items"][0]
    detail = client.get(f"/api/registry/instruments/{item['id']}", headers=auth_headers("power")).json()
    vid = detail["history"][0]["id"]
    rec = client.get(f"/api/registry/verifications/{vid}", headers=auth_headers("power")).json()
    assert rec["instrument"]["serial"] == item["serial"] and rec["standards"]
    assert rec["standards"][0]["calibration"]["certificate_no"]
    _error_shape(client.get(f"/api/registry/verifications/{vid}", headers=auth_headers("fuel")), 404)
    assert (
        client.get(f"/api/registry/verifications/{vid}/trace", headers=auth_headers("regulator")).status_code
        == 200
    )


def test_types_catalogue_has_aliases(client):
    types = client.get("/api/registry/types").json()
    scale = next(t for t in types if t["code"] == "price-scale")
    assert "电子计价秤" in scale["aliases"] and scale["edition"] == "2020"


@pytest.mark.parametrize("path", ["/api/registry/instruments/abc", "/api/registry/standards/99999999"])
def test_bad_ids(client, auth_headers, path):
    r = client.get(path, headers=auth_headers("regulator"))
    assert r.status_code in (404, 422) and set(r.json()) == {"status", "code", "message", "errors"}


def test_lab_records_a_result_and_the_instrument_follows(client, auth_headers):

    reg = auth_headers("regulator")
    item = client.get("/api/registry/instruments?status=blocked&limit=1", headers=reg).json()["items"][0]
    std = client.get("/api/registry/standards?level=public&limit=1", headers=reg).json()["items"][0]
    today = client.app.state.clock.today().isoformat()
    body = {
        "verified_on": today,
        "result": "pass",
        "certificate_no": "JCJ-TEST-1",
        "standard_ids": [std["id"]],
        "errors": [{"point": "50%", "error": 0.02, "mpe": 0.1}],
        "temperature_c": 20.5,
    }
    r = client.post(
        f"/api/registry/instruments/{item['id']}/verifications", headers=auth_headers("lab"), json=body
    )
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["lab"]["name"] == "滨江精测校准技术有限公司" and rec["standards"][0]["id"] == std["id"]
    after = client.get(f"/api/registry/instruments/{item['id']}", headers=reg).json()
    assert after["status"] == "in_use" and after["last_verified_on"] == today
    fail = body | {"result": "fail", "certificate_no": None}
    r = client.post(
        f"/api/registry/instruments/{item['id']}/verifications", headers=auth_headers("lab"), json=fail
    )
    assert r.json()["notice_no"].startswith("TZ")
    assert client.get(f"/api/registry/instruments/{item['id']}", headers=reg).json()["status"] == "blocked"
    for bad in (
        {"verified_on": "2999-01-01"},
        {"standard_ids": []},
        {"certificate_no": None},
        {"standard_ids": [10**7]},
        {"errors": [{"point": "x", "error": 1, "mpe": 0}]},
    ):
        _error_shape(
            client.post(
                f"/api/registry/instruments/{item['id']}/verifications",
                headers=auth_headers("lab"),
                json=body | bad,
            ),
            422,
        )
    _error_shape(
        client.post(
            f"/api/registry/instruments/{item['id']}/verifications", headers=auth_headers("power"), json=body
        ),
        403,
    )


def test_city_adds_a_type(client, auth_headers):
    body = {
        "code": "grain-moisture",
        "name": "谷物水分测定仪",
        "name_en": "Grain moisture meter",
        "category": "水分测定仪",
        "uses": ["trade_settlement"],
        "period_months": 12,
        "quantity": "moisture",
        "aliases": ["水分仪"],
    }
    r = client.post("/api/registry/types", headers=auth_headers("regulator"), json=body)
    assert r.status_code == 201 and r.json()["edition"] == "city"
    _error_shape(client.post("/api/registry/types", headers=auth_headers("regulator"), json=body), 409)
    _error_shape(
        client.post("/api/registry/types", headers=auth_headers("power"), json=body | {"code": "x"}), 403
    )
    rep = client.post(
        "/api/registry/import",
        headers=auth_headers("regulator"),
        files={"file": ("r.csv", to_csv([row("GM1", type_="水分仪")]), "text/csv")},
    ).json()
    assert rep["accepted"] == 1
