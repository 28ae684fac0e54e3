"""Helpers for verification tests: a market's instrument booked with the lab that covers it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiliang.platform.clock import Clock

LAB_ORG = 5  # "lab" demo user: 精测校准, covers price scales and truck scales
INSTITUTE_ORG = 2
# the demo city is seeded as of 2026-11-01: its standards' calibrations are valid on that day
VERIFIED_ON = "2026-11-01"


@pytest.fixture
def settings(settings, platform_ca):  # type: ignore[no-untyped-def]
    """The app's settings, with the platform CA in ``<data_dir>/dcc-ca``: passing results are certified."""
    platform_ca.save(settings.data_dir / "dcc-ca")
    return settings


def soon(days: int = 7) -> str:
    """A day ``days`` after the app's today (the test apps run on the machine's clock in its zone)."""
    return (Clock().today() + timedelta(days=days)).isoformat()


def instruments_of(client, headers, status: str = "in_use") -> list[int]:  # type: ignore[no-untyped-def]
    r = client.get("/api/registry/instruments", params={"status": status}, headers=headers)
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


@pytest.fixture
def booked(client, auth_headers):  # type: ignore[no-untyped-def]
    """A booking by the market of its first in-use instrument with the lab; returns its JSON."""
    ids = instruments_of(client, auth_headers("market"))
    r = client.post(
        "/api/verification/bookings",
        json={"instrument_ids": ids[:1], "lab_id": LAB_ORG, "mode": "send_in", "preferred_on": soon()},
        headers=auth_headers("market"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def act(client, headers, booking_id: int, action: str, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/verification/bookings/{booking_id}/{action}", json=body, headers=headers)


def passing_result(instrument_id: int, standard_ids: list[int], error: float = 0.1) -> dict[str, object]:
    return {
        "instrument_id": instrument_id,
        "verified_on": VERIFIED_ON,
        "points": [
            {"point": 10, "error": error, "mpe": 1.0, "U": 0.25},
            {"point": 100, "error": -error, "mpe": 1.0, "U": 0.25},
        ],
        "standard_ids": standard_ids,
        "performer": "陈工",
        "approver": "周主任",
        "temperature_c": 20.5,
        "humidity_percent": 50,
    }
