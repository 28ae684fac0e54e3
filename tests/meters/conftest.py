"""Fixtures of the meter tests: a small synthetic city on disk, an app with users and tokens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jiliang.meters.io import write_city
from jiliang.meters.synth import SynthConfig, synth_areas

SMALL = SynthConfig(areas=3, meters_per_area=25, days=8, runaway_fraction=0.02, stopped_fraction=0.02)


@pytest.fixture(scope="session")
def city(tmp_path_factory) -> Path:
    """3 areas × 25 meters × 8 days, readings partitioned by area (Parquet)."""
    out = tmp_path_factory.mktemp("city")
    write_city(synth_areas(SMALL, np.random.default_rng(11)), out, "parquet")
    return out


@pytest.fixture(scope="session")
def city_csv(tmp_path_factory) -> Path:
    """The same city with the readings as one CSV file."""
    out = tmp_path_factory.mktemp("city_csv")
    write_city(synth_areas(SMALL, np.random.default_rng(11)), out, "csv")
    return out


@pytest.fixture()
def api(tmp_path):
    """A TestClient on a fresh SQLite database with every migration applied, and bearer headers
    of: the regulator, the power utility's user, another enterprise's user, a lab user."""
    from fastapi.testclient import TestClient

    from jiliang.app import create_app
    from jiliang.platform.auth import create_user, issue_token
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade
    from jiliang.platform.models import Organization, Role
    from jiliang.platform.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'j.db'}", import_max_bytes=20 * 1024 * 1024
    )
    db = Database(settings.effective_database_url)
    upgrade(db)
    headers: dict[str, dict[str, str]] = {}
    with db.session(actor="test") as s:
        power = Organization(name="供电局", kind="utility")
        other = Organization(name="某工厂", kind="factory")
        s.add_all([power, other])
        s.flush()
        for name, role, org in [
            ("reg", Role.REGULATOR, None),
            ("power", Role.ENTERPRISE, power.id),
            ("other", Role.ENTERPRISE, other.id),
            ("lab", Role.LAB, other.id),
        ]:
            u = create_user(s, name, "password-123", role, org_id=org)
            s.flush()
            headers[name] = {"Authorization": f"Bearer {issue_token(s, u)}"}
        ids = {"power": power.id, "other": other.id}
    app = create_app(settings, db)
    with TestClient(app) as client:
        client.h = headers  # type: ignore[attr-defined]
        client.org = ids  # type: ignore[attr-defined]
        client.data_dir = tmp_path  # type: ignore[attr-defined]
        yield client
    db.dispose()
