"""The caller and a session for console pages (the console logs in with a cookie)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from jiliang.errors import JiliangError
from jiliang.platform.auth import ANONYMOUS, Principal, bearer_token, resolve_token
from jiliang.platform.clock import Clock
from jiliang.platform.db import Database
from jiliang.platform.settings import Settings
from jiliang.platform.websec import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    CsrfError,
    check_origin,
    client_address,
    cookie_secure,
    csrf_valid,
    request_scheme,
)

__all__ = [
    "TOKEN_COOKIE",
    "PageCaller",
    "PageSession",
    "address_of",
    "clock_of",
    "csrf_protect",
    "page_principal",
    "require_login",
    "secure_cookies",
    "write_gate",
]

TOKEN_COOKIE = "jiliang_token"  # noqa: S105 - a cookie name, shared with the API's cookie auth


def page_principal(request: Request) -> Principal:
    """The logged-in user from the console cookie (or a bearer token), else anonymous.

    A stale or revoked token just means anonymous: the page offers the login form.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    principal = ANONYMOUS
    token = bearer_token(request.headers.get("authorization"), request.cookies.get(TOKEN_COOKIE))
    if token:
        db: Database = request.app.state.db
        with db.sessionmaker() as session:
            try:
                principal = resolve_token(session, token)
            except JiliangError:
                principal = ANONYMOUS
    request.state.principal = principal
    return principal


async def write_gate(request: Request) -> AsyncIterator[None]:
    """Unsafe requests wait (without a thread) for the process's write gate; see Database.write_gate."""
    if request.method not in UNSAFE_METHODS:
        yield
        return
    db: Database = request.app.state.db
    async with db.write_gate():
        yield


def page_session(
    request: Request,
    principal: Annotated[Principal, Depends(page_principal)],
    _gate: Annotated[None, Depends(write_gate, scope="function")],
) -> Iterator[Session]:
    """One transaction per request, committed before the response; only unsafe methods write."""
    db: Database = request.app.state.db
    with db.session(actor=principal.actor, write=request.method in UNSAFE_METHODS) as session:
        yield session


def clock_of(request: Request) -> Clock:
    """The app's clock: pages read the time and today's date from it, never from the machine."""
    clock: Clock = request.app.state.clock
    return clock


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def address_of(request: Request) -> str:
    """The client's address (``X-Forwarded-For`` only from trusted proxies)."""
    return client_address(request, _settings(request).trusted_proxies)


def secure_cookies(request: Request) -> bool:
    """Whether cookies set on this response get the ``Secure`` flag."""
    settings = _settings(request)
    return cookie_secure(settings.cookie_secure, request_scheme(request, settings.trusted_proxies))


async def csrf_protect(request: Request) -> None:
    """Every unsafe console request: same origin, and the form's token matches the CSRF cookie.

    The token comes from the form field ``csrf_token`` (added to every POST form by
    :func:`jiliang.web.render.page`) or the ``X-CSRF-Token`` header.
    """
    if request.method not in UNSAFE_METHODS:
        return
    settings = _settings(request)
    check_origin(request, settings.public_base_url)
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # a browser never adds a bearer token on its own: not forgeable cross-site
    token = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    form = None
    if token is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not csrf_valid(settings.secret_key, request.cookies.get(CSRF_COOKIE), token):
        if form is not None:
            await form.close()  # the uploaded files' temporary copies: nothing will read them
        raise CsrfError(
            "request refused: the form's security token is missing or out of date; "
            "reload the page and try again"
        )


class LoginRequired(Exception):
    """Raised by pages that need a user; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def require_login(request: Request, principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
    if principal.is_anonymous:
        raise LoginRequired(request.url.path)
    return principal


PageCaller = Annotated[Principal, Depends(page_principal)]
PageSession = Annotated[Session, Depends(page_session, scope="function")]  # commit before responding
LoggedIn = Annotated[Principal, Depends(require_login)]
