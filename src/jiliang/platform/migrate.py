"""Schema migrations with Alembic.

The platform's revisions live in ``platform/migrations/versions``; each capability keeps its own
in ``<capability>/migrations/versions`` as a branch off ``0001_platform`` (``branch_labels`` set to
the capability's name), so capabilities evolve their tables independently. ``upgrade`` brings
every branch to its head.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from jiliang.platform.db import Database

__all__ = ["alembic_config", "current_heads", "pending", "upgrade", "version_locations"]

_PACKAGE = Path(__file__).resolve().parent.parent


def version_locations() -> list[str]:
    """Every ``migrations/versions`` folder in the package, the platform's first."""
    found = sorted(str(p) for p in _PACKAGE.glob("*/migrations/versions") if p.is_dir())
    platform = str(_PACKAGE / "platform" / "migrations" / "versions")
    return [platform] + [p for p in found if p != platform]


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_PACKAGE / "platform" / "migrations"))
    cfg.set_main_option("version_locations", " ".join(version_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(db: Database, target: str = "heads") -> None:
    """Upgrade the database to ``target`` (all heads by default), in one transaction per step."""
    db.check()
    command.upgrade(alembic_config(db.engine), target)


def current_heads(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def pending(db: Database) -> bool:
    """Whether any migration remains to apply."""
    script = ScriptDirectory.from_config(alembic_config(db.engine))
    return set(script.get_heads()) != current_heads(db)
