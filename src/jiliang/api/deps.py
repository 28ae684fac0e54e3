"""Dependencies every router uses: the caller, a database session, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from jiliang.platform.auth import ANONYMOUS, Principal, bearer_token, resolve_token
from jiliang.platform.clock import Clock
from jiliang.platform.db import Database
from jiliang.platform.models import Role
from jiliang.platform.settings import Settings
from jiliang.platform.websec import (
    CSRF_COOKIE,
    CSRF_HEADER,
    UNSAFE_METHODS,
    CsrfError,
    check_origin,
    client_address,
    csrf_valid,
)

__all__ = [
    "DB",
    "DB_INT_MAX",
    "TOKEN_COOKIE",
    "Caller",
    "DbId",
    "Page",
    "PageDep",
    "Regulator",
    "SessionDep",
    "address_of",
    "csrf_for_cookie_auth",
    "get_principal",
    "get_session",
    "require_role",
    "settings_of",
    "write_gate",
]

TOKEN_COOKIE = "jiliang_token"  # noqa: S105 - a cookie name

DB_INT_MAX = 2**63 - 1  # the largest integer the databases store (BIGINT; SQLite's INTEGER)

DbId = Annotated[int, Ge(1), Le(DB_INT_MAX)]
"""A row id in a path, a query or a body: 1 … 2^63 − 1, else 422 before any query runs."""


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def clock_of(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_principal(request: Request) -> Principal:
    """The caller from ``Authorization: Bearer`` or the console's cookie; anonymous otherwise.

    A bad bearer header is an error (401); a stale cookie just means anonymous.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = bearer_token(request.headers.get("authorization"), request.cookies.get(TOKEN_COOKIE))
    principal = ANONYMOUS
    if token:
        from_header = bool(request.headers.get("authorization"))
        db = get_db(request)
        with db.sessionmaker() as session:
            try:
                principal = resolve_token(session, token)
            except Exception:
                if from_header:
                    raise
    request.state.principal = principal
    return principal


async def write_gate(request: Request) -> AsyncIterator[None]:
    """Unsafe requests wait (without a thread) for the process's write gate; see Database.write_gate."""
    if request.method not in UNSAFE_METHODS:
        yield
        return
    async with get_db(request).write_gate():
        yield


def get_session(
    request: Request,
    principal: Annotated[Principal, Depends(get_principal)],
    _gate: Annotated[None, Depends(write_gate, scope="function")],
) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    Only unsafe methods (POST, PUT, PATCH, DELETE) open a writing transaction (on SQLite it takes
    the write lock at its start); reads never wait for writers.
    """
    write = request.method in UNSAFE_METHODS
    with get_db(request).session(actor=principal.actor, write=write) as session:
        yield session


def address_of(request: Request) -> str:
    """The client's address (``X-Forwarded-For`` only from trusted proxies)."""
    return client_address(request, settings_of(request).trusted_proxies)


async def csrf_for_cookie_auth(request: Request) -> None:
    """Unsafe API requests: same origin; with the console's cookie also the ``X-CSRF-Token`` header.

    Requests with ``Authorization: Bearer`` (or no cookie at all) need no token: a browser never
    adds that header on its own.
    """
    if request.method not in UNSAFE_METHODS:
        return
    settings = settings_of(request)
    check_origin(request, settings.public_base_url)
    if request.headers.get("authorization") or not request.cookies.get(TOKEN_COOKIE):
        return
    if not csrf_valid(
        settings.secret_key, request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    ):
        raise CsrfError(
            "a request authenticated by the console cookie needs the X-CSRF-Token header; "
            "API clients use Authorization: Bearer"
        )


def require_role(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets only these roles through (401 for anonymous, 403 otherwise)."""

    def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        principal.require(*roles)
        return principal

    return dependency


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> Page:
    return Page(limit, offset)


Caller = Annotated[Principal, Depends(get_principal)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
DB = Annotated[Database, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(clock_of)]
PageDep = Annotated[Page, Depends(paging)]
Regulator = Annotated[Principal, Depends(require_role(Role.REGULATOR))]
