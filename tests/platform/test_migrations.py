"""Alembic owns the schema: the migrations produce exactly the tables of the models."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import jiliang
from jiliang.platform.db import Base
from jiliang.platform.migrate import pending


def _import_all_models() -> None:
    for info in pkgutil.iter_modules(jiliang.__path__):
        if importlib.util.find_spec(f"jiliang.{info.name}.models") if info.ispkg else None:
            importlib.import_module(f"jiliang.{info.name}.models")


def test_migrations_match_models(db):
    _import_all_models()
    assert not pending(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []
