"""Database engine, sessions and the declarative base shared by every capability's tables."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from jiliang.errors import JiliangError

if TYPE_CHECKING:
    from jiliang.platform.settings import Settings

__all__ = [
    "Base",
    "Database",
    "DatabaseUnavailableError",
    "UTCDateTime",
    "sqlite_page_cache",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base: every table of every capability hangs off this metadata."""

    metadata = MetaData(naming_convention=NAMING)


class DatabaseUnavailableError(ConnectionError, JiliangError):
    """The database cannot be reached or opened."""

    code = "database_unavailable"
    status = 503


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_pragmas(busy_timeout_ms: int):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below open transactions, not the sqlite3 module.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    return on_connect


@contextmanager
def sqlite_page_cache(conn: Connection, mib: int) -> Iterator[None]:
    """A SQLite page cache of ``mib`` MiB on this connection while a bulk write runs, then the
    connection's own size again (nothing on other databases).

    SQLite's default cache (2 MB per connection) is far smaller than the indexes a write of a
    million rows touches in random order: pages are evicted and read again, dirty ones spilled to
    the log before the commit. The larger cache is taken for the one write only, not set on every
    pooled connection: a cache fills as pages are read, and a pool of connections each holding
    tens of megabytes of the same pages would cost memory for nothing on ordinary requests.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size={-1024 * int(mib)}")
    try:
        yield
    finally:
        try:
            conn.exec_driver_sql(f"PRAGMA cache_size={before}")
        except SQLAlchemyError:  # pragma: no cover - a broken connection is discarded by the pool
            pass


WRITE_OPTION = "jiliang_write"


def _sqlite_begin(conn: Any) -> None:
    """Writers take the write lock when their transaction starts (``BEGIN IMMEDIATE``).

    A deferred transaction that reads and then writes must upgrade its lock, and SQLite refuses that
    upgrade at once ("database is locked") when another writer committed in between; taking the lock
    up front makes writers queue on the busy timeout instead. Readers begin deferred and, with WAL,
    never wait for writers.
    """
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


class Database:
    """An engine and its session factories for one URL.

    ``pool_size`` and ``max_overflow`` size the PostgreSQL pool (match them to the threads that run
    requests); ``busy_timeout_ms`` is how long a SQLite writer waits for the write lock.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        max_overflow: int = 10,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = max_overflow
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: Engine = create_engine(url, **kwargs)
        writer: Engine = self.engine
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms))
            event.listen(self.engine, "begin", _sqlite_begin)
            writer = self.engine.execution_options(**{WRITE_OPTION: True})
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessionmaker = sessionmaker(writer, expire_on_commit=False)
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        from jiliang.platform import audit  # the audit hook covers every session of the platform

        audit.install()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database of ``settings``, its pool sized to the server's threads."""
        return cls(
            settings.effective_database_url,
            pool_size=settings.effective_pool_size,
            max_overflow=settings.db_pool_overflow,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def check(self) -> None:
        """Connect once; raise :class:`DatabaseUnavailableError` with a one-line reason."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailableError(f"database unavailable ({self.safe_url}): {reason}") from None

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self, actor: str | None = None, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        ``actor`` is recorded by the audit log for every write made in the session. ``write=False``
        marks a session that only reads: on SQLite it does not take the write lock.
        """
        with (self.write_sessionmaker if write else self.sessionmaker)() as session:
            session.info["actor"] = actor or "system"
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def write_gate(self) -> asyncio.Lock:
        """One writing request at a time per process (per event loop), waited for without a thread.

        Writers queue on the audit chain's lock anyway (see :mod:`jiliang.platform.audit`). A request
        whose transaction spans several worker-thread hops (handler, response, commit) must not hold
        that lock while every worker thread is blocked waiting for it: it could never get a thread
        back to commit. Request handlers therefore take this gate before their write transaction
        begins and release it after the commit; waiting for it costs no thread.
        """
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Lock()
        return gate

    def dispose(self) -> None:
        self.engine.dispose()
