"""The app's clock: pages, routes and commands read today's date from it, so a pinned clock pins them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from jiliang.app import create_app
from jiliang.errors import InputError
from jiliang.platform.clock import Clock
from jiliang.platform.settings import Settings


def _due_total(app, headers) -> int:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        r = c.get("/api/registry/due?within=30&limit=1", headers=headers)
        assert r.status_code == 200, r.text
        return int(r.json()["total"])


def test_a_pinned_clock_moves_the_due_list(app, auth_headers):  # type: ignore[no-untyped-def]
    h = auth_headers("regulator")
    as_of = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # the demo city's day
    then = create_app(app.state.settings, app.state.db, clock=Clock(fixed=as_of))
    later = create_app(app.state.settings, app.state.db, clock=Clock(fixed=as_of + timedelta(days=3 * 365)))
    # three years on, every periodic verification of the demo city has fallen due
    assert _due_total(later, h) > _due_total(then, h)


def test_the_console_offers_bookings_from_the_pinned_day(app, auth_headers):  # type: ignore[no-untyped-def]
    h = auth_headers("market") | {"Accept": "text/html"}
    pinned = create_app(
        app.state.settings, app.state.db, clock=Clock(fixed=datetime(2030, 5, 6, 1, tzinfo=UTC))
    )
    with TestClient(pinned) as c:
        page = c.get("/registry/due?within=90", headers=h)
    assert page.status_code == 200
    assert 'min="2030-05-06"' in page.text


def test_today_is_the_citys_date() -> None:
    late = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert Clock(fixed=late, tz=ZoneInfo("Asia/Shanghai")).today().isoformat() == "2026-12-01"
    assert Clock(fixed=late, tz=UTC).today().isoformat() == "2026-11-30"


def test_a_fixed_clock_needs_a_zone_and_settings_a_known_zone() -> None:
    with pytest.raises(InputError, match="2026-01-01T00:00:00"):
        Clock(fixed=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        Settings(timezone="Mars/Olympus")
