"""What every command uses: settings, the database, one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from jiliang.errors import InputError, JiliangError
from jiliang.platform.auth import Principal
from jiliang.platform.clock import Clock
from jiliang.platform.db import Database
from jiliang.platform.models import Role
from jiliang.platform.settings import Settings, load_settings

__all__ = ["console", "emit_json", "err_console", "fail", "open_db", "settings"]

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` on one line to stderr and exit with ``code``."""
    first = " ".join(str(message).split())
    print(f"error: {first}", file=sys.stderr)
    raise SystemExit(code)


def settings() -> Settings:
    return load_settings()


def open_db(cfg: Settings | None = None, *, check: bool = True) -> Database:
    """The database of the settings; creates the data folder for SQLite."""
    cfg = cfg or settings()
    if not cfg.database_url:
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_settings(cfg)
    if check:
        db.check()
    return db


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (UTF-8, dates as ISO strings)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def guard(error: BaseException) -> NoReturn:
    """Turn any error into a one-line reason."""
    if isinstance(error, JiliangError):
        fail(error.message)
    if isinstance(error, (OSError, ValueError, KeyError)):
        fail(f"{type(error).__name__}: {error}")
    fail(f"unexpected {type(error).__name__}: {error}")


def clock() -> Clock:
    """The running clock in the configured time zone: commands read the date from it."""
    return Clock.in_zone(settings().timezone)


def day_or_today(value: str | None) -> date:
    """A ``YYYY-MM-DD`` option, or today's date from the clock when it is not given."""
    if not value:
        return clock().today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{value!r} is not a date YYYY-MM-DD")


def read_text_file(path: Path, max_bytes: int) -> str:
    """The UTF-8 text of an input file, or InputError with a one-line reason (missing, too large, not UTF-8)."""
    try:
        if path.stat().st_size > max_bytes:
            raise InputError(f"{path}: larger than {max_bytes} bytes")
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def system_principal() -> Principal:
    """The acting user of commands run on the server itself: the regulator's authority, audited as ``cli``."""
    return Principal(user_id=0, username="cli", role=Role.REGULATOR, org_id=None, display_name="command line")
