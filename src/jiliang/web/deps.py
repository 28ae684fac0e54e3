"""The caller and a session for console pages (the console logs in with a cookie)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from jiliang.errors import JiliangError
from jiliang.platform.auth import ANONYMOUS, Principal, bearer_token, resolve_token
from jiliang.platform.db import Database

__all__ = ["TOKEN_COOKIE", "PageCaller", "PageSession", "page_principal", "require_login"]

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


def page_session(
    request: Request, principal: Annotated[Principal, Depends(page_principal)]
) -> Iterator[Session]:
    db: Database = request.app.state.db
    with db.session(actor=principal.actor) as session:
        yield session


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
