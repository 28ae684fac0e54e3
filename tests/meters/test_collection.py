"""Live collection rates per area from the ingest store's manifest, and their place on the meters page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from jiliang.meters.collection import collection_rates, rates

HTML = {"Accept": "text/html"}


def _record(at: float, areas: dict[str, int]) -> dict[str, object]:
    return {"batch": f"b{at}", "at": datetime.fromtimestamp(at, UTC).isoformat(), "areas": areas}


def test_rates_count_the_window_only() -> None:
    now = 1_796_000_000.0
    recs = [
        _record(now - 400, {"A1": 999}),
        _record(now - 200, {"A1": 1000, "A2": 500}),
        _record(now - 10, {"A1": 500}),
    ]
    got = {r.area_id: r for r in rates(recs, now, 300)}
    assert (got["A1"].readings, got["A1"].per_s) == (1500, 5.0)
    assert got["A2"].readings == 500 and got["A2"].last_at.startswith("2026-11-30T")
    assert rates([{"at": "not a time", "areas": {"A1": 1}}, {"areas": {}}], now, 300) == []


def _store(tmp_path: Path, now: float) -> Path:
    meta = tmp_path / "store" / "_ingest"
    meta.mkdir(parents=True)
    lines = [json.dumps(_record(now - 30, {"A00001": 3000, "A00002": 1200}))]
    (meta / "manifest.jsonl").write_text("\n".join(lines) + "\n{torn")
    return tmp_path / "store"


def test_a_missing_store_gives_no_rates(tmp_path: Path) -> None:
    assert collection_rates(tmp_path / "nowhere", 1e9) == []


def test_the_regulator_sees_live_rates_in_both_languages(client, auth_headers, tmp_path: Path) -> None:
    import time

    client.app.state.settings = client.app.state.settings.model_copy(
        update={"meters_ingest_store": _store(tmp_path, time.time())}
    )
    page = client.get("/meters", headers={**auth_headers("regulator"), **HTML})
    assert page.status_code == 200
    assert "实时采集" in page.text and "A00001" in page.text and "10.0" in page.text
    english = client.get("/meters?lang=en", headers={**auth_headers("regulator"), **HTML})
    assert "Live collection" in english.text and "Readings per second" in english.text
    utility = client.get("/meters", headers={**auth_headers("power"), **HTML})
    assert utility.status_code == 200 and "实时采集" not in utility.text


def test_no_store_configured_no_section(client, auth_headers) -> None:
    page = client.get("/meters", headers={**auth_headers("regulator"), **HTML})
    assert page.status_code == 200 and "实时采集" not in page.text
