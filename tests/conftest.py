"""Fixtures shared by every test: settings, an app on a fresh database, PostgreSQL contract runs.

PostgreSQL: a throwaway database is created on 127.0.0.1:5432 (``JILIANG_TEST_PG`` overrides the
server URL) for the test session and dropped at the end. When ``CI=true`` an unreachable server
fails the run; elsewhere the PostgreSQL half of the contract tests is skipped with a reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_SERVER = os.environ.get("JILIANG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a throwaway PostgreSQL database for this test session."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    admin = _pg_admin_engine()
    name = f"jiliang_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL at {PG_SERVER} unreachable: {str(exc.orig).splitlines()[0]}"
        if IN_CI:
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message)
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from sqlalchemy import create_engine

        create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_migrated(pg_url: str) -> str:
    """The session's PostgreSQL database with every migration applied (once)."""
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade

    db = Database(pg_url)
    upgrade(db)
    db.dispose()
    return pg_url


def _truncate_all(db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from jiliang.platform.db import Base

    tables = [t.name for t in Base.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in reversed(tables):
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " RESTART IDENTITY CASCADE")
            )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A migrated, empty :class:`~jiliang.platform.db.Database` on SQLite and on PostgreSQL.

    Contract tests take this fixture and run twice, once per store.
    """
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade

    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'contract.sqlite3'}")
        upgrade(database)
    else:
        database = Database(request.getfixturevalue("pg_migrated"))
        _truncate_all(database)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, copied for each app test (fast)."""
    from jiliang.platform.db import Database
    from jiliang.platform.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


DEMO_AS_OF = (2026, 11, 1)
DEMO_SEED = 7


def data_folder(parent: Path, database: Path) -> Path:
    """``parent/data``, holding a copy of ``database`` as the platform's SQLite file."""
    import shutil

    data = parent / "data"
    data.mkdir()
    shutil.copy(database, data / "jiliang.sqlite3")
    return data


@pytest.fixture(scope="session")
def _seeded_template(_migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of the migrated template holding the small demo city (seeded once per run)."""
    import shutil
    from datetime import date

    from jiliang.demo.seed import seed_city
    from jiliang.platform.db import Database

    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite3"
    shutil.copy(_migrated_template, path)
    database = Database(f"sqlite:///{path}")
    # the demo CA (random keys) is kept beside it: a server in demo mode signs and trusts with it
    counts = seed_city(database, "small", seed=DEMO_SEED, as_of=date(*DEMO_AS_OF), data_dir=path.parent)
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path, counts


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, _migrated_template: Path):  # type: ignore[no-untyped-def]
    """Settings on a fresh, migrated SQLite database in a temporary data folder.

    When the test also asks for ``seeded``, the database already holds the small demo city.
    """
    from jiliang.platform.settings import Settings

    source = _migrated_template
    if "seeded" in request.fixturenames or "auth_headers" in request.fixturenames:
        source = request.getfixturevalue("_seeded_template")[0]
    return Settings(
        data_dir=data_folder(tmp_path, source), secret_key="test-secret-key-0123456789", login_attempts=5
    )


@pytest.fixture(scope="session")
def platform_ca():  # type: ignore[no-untyped-def]
    """A platform CA as `jiliang dcc ca init` makes it (random keys, valid from now).

    Certificate-issuing tests put it in ``<data_dir>/dcc-ca`` by overriding ``settings``.
    """
    from datetime import UTC, datetime

    from jiliang.dcc import create_test_pki

    return create_test_pki(now=datetime.now(UTC))


@pytest.fixture
def app(settings):  # type: ignore[no-untyped-def]
    from jiliang.app import create_app

    application = create_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def seeded(_seeded_template: tuple[Path, dict], app):  # type: ignore[no-untyped-def]
    """Marks that the app's database holds the small demo city; returns the seed counts."""
    return _seeded_template[1]


def csrf(client, path: str = "/login") -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the client's "browser": visiting a page sets the cookie it is tied to."""
    import re

    r = client.get(path, headers={"Accept": "text/html"})
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', r.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def forms_carry_csrf(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Make ``client.post`` to console pages send the CSRF token, as the browser's form does."""
    post = client.post

    def with_token(url, *args, data=None, **kwargs):  # type: ignore[no-untyped-def]
        if not str(url).startswith("/api/") and (data is None or isinstance(data, dict)):
            data = {**(data or {}), "csrf_token": csrf(client)}
        return post(url, *args, data=data, **kwargs)

    monkeypatch.setattr(client, "post", with_token)


@pytest.fixture
def csrf_forms(client, monkeypatch):  # type: ignore[no-untyped-def]
    """``client`` posting console forms with their CSRF token (see :func:`forms_carry_csrf`)."""
    forms_carry_csrf(client, monkeypatch)
    return client


def login(client, username: str, password: str = "jiliang-demo") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Log in through the API and return the Authorization header."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def auth_headers(client, seeded):  # type: ignore[no-untyped-def]
    """A function giving the Authorization header of a demo user by name."""
    cache: dict[str, dict[str, str]] = {}

    def get(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = login(client, username)
        return cache[username]

    return get
