"""Users, passwords, API tokens, the caller's identity and what it may see.

Passwords are hashed with Argon2id. API tokens are random 256-bit secrets shown once; only their
SHA-256 is stored, so a leaked database does not leak usable tokens. A token is revoked by setting
``revoked_at``. Logins are rate-limited per user name and client address.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import (
    ConflictError,
    InputError,
    JiliangError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from jiliang.platform.db import utcnow
from jiliang.platform.models import ApiToken, Organization, Role, User

__all__ = [
    "ANONYMOUS",
    "LoginRateLimiter",
    "Principal",
    "RateLimitedError",
    "authenticate",
    "bearer_token",
    "create_user",
    "hash_password",
    "issue_token",
    "resolve_token",
    "revoke_token",
    "verify_password",
]

_hasher = PasswordHasher()  # Argon2id, library defaults (RFC 9106 second recommended profile)
TOKEN_PREFIX = "jl_"  # noqa: S105 - the visible prefix of every token


class RateLimitedError(JiliangError):
    code = "rate_limited"
    status = 429


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a user with a role and an organization, or the anonymous public."""

    user_id: int | None
    username: str
    role: Role
    org_id: int | None
    display_name: str = ""
    token_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def is_regulator(self) -> bool:
        return self.role is Role.REGULATOR

    def may_see_org(self, org_id: int | None) -> bool:
        """Whether the caller may see data owned by ``org_id`` (labs and enterprises: their own)."""
        if self.role is Role.REGULATOR:
            return True
        if self.role in (Role.ENTERPRISE, Role.LAB):
            return org_id is not None and org_id == self.org_id
        return False

    def require(self, *roles: Role) -> None:
        if self.is_anonymous and Role.PUBLIC not in roles:
            raise UnauthenticatedError("login required")
        if self.role not in roles:
            raise PermissionDeniedError(f"role {self.role.value} may not do this")

    @property
    def actor(self) -> str:
        return self.username if not self.is_anonymous else "anonymous"


ANONYMOUS = Principal(user_id=None, username="anonymous", role=Role.PUBLIC, org_id=None)


def bearer_token(authorization: str | None, cookie: str | None) -> str | None:
    """The token of a request: ``Authorization: Bearer <token>`` first, else the console cookie."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookie or None


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InputError("password must have at least 8 characters")
    if len(password) > 1024:
        raise InputError("password is longer than 1024 characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str | None = None,
    org_id: int | None = None,
) -> User:
    """Create a user; enterprise and lab users must belong to an organization."""
    try:
        role = Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}; use regulator, lab or enterprise") from None
    if role is Role.PUBLIC:
        raise InputError("the public role is for anonymous visitors; no user has it")
    name = username.strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise InputError(f"user name {username!r} must be 1-64 letters, digits or . _ - @")
    if role in (Role.ENTERPRISE, Role.LAB) and org_id is None:
        raise InputError(f"a {role.value} user must belong to an organization")
    if org_id is not None and session.get(Organization, org_id) is None:
        raise NotFoundError(f"organization {org_id} does not exist")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise ConflictError(f"user {name!r} already exists")
    user = User(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(password),
        role=role.value,
        org_id=org_id,
    )
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, user: User, name: str = "login", ttl_days: int | None = 30) -> str:
    """Create a token for ``user`` and return the secret (shown once, stored hashed)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=ttl_days) if ttl_days else None
    session.add(
        ApiToken(
            user_id=user.id,
            name=name[:100],
            prefix=secret[:10],
            token_hash=_token_digest(secret),
            expires_at=expires,
        )
    )
    session.flush()
    return secret


def resolve_token(session: Session, token: str, now: datetime | None = None) -> Principal:
    """The principal behind a bearer token; raise UnauthenticatedError when it is not valid."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise UnauthenticatedError("invalid token")
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    now = now or utcnow()
    if row is None or row.revoked_at is not None:
        raise UnauthenticatedError("invalid or revoked token")
    if row.expires_at is not None and row.expires_at <= now:
        raise UnauthenticatedError("token expired")
    user = row.user
    if not user.active:
        raise UnauthenticatedError("user is disabled")
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        org_id=user.org_id,
        display_name=user.display_name,
        token_id=row.id,
    )


def revoke_token(session: Session, token_id: int, by: Principal) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != by.user_id and not by.is_regulator):
        raise NotFoundError(f"token {token_id} not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


class LoginRateLimiter:
    """At most ``attempts`` failed logins per key in a sliding ``window`` of seconds.

    Kept in the memory of one process; behind a load balancer, pin logins or use one worker per
    limiter (see docs/operations.md).
    """

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._now = time.monotonic

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def check(self, key: str) -> None:
        with self._lock:
            q = self._prune(key, self._now())
            if len(q) >= self.attempts:
                wait = int(self.window - (self._now() - q[0])) + 1
                raise RateLimitedError(f"too many failed logins; try again in {wait} s")

    def failed(self, key: str) -> None:
        with self._lock:
            self._prune(key, self._now()).append(self._now())
            if len(self._failures) > 100_000:  # bound memory under a spray of names
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password, or UnauthenticatedError (same for both)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        _hasher.hash("timing-equalizer")  # spend the same time whether or not the user exists
        raise UnauthenticatedError("wrong user name or password")
    if not user.active or not verify_password(user.password_hash, password):
        raise UnauthenticatedError("wrong user name or password")
    return user
