"""Users, passwords, API tokens, the caller's identity and what it may see.

Passwords are hashed with Argon2id. API tokens are random 256-bit secrets shown once; only their
SHA-256 is stored, so a leaked database does not leak usable tokens. A token is revoked by setting
``revoked_at``. Logins are throttled (see :mod:`jiliang.platform.throttle`); :func:`login` checks
the password outside any database transaction, so a burst of logins holds no connections.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import (
    ConflictError,
    FieldError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.db import Database, utcnow
from jiliang.platform.models import ApiToken, Organization, Role, User
from jiliang.platform.passwords import (
    DEFAULT_MIN_LENGTH,
    check_password,
    dummy_hash,
    hash_password,
    verify_password,
)
from jiliang.platform.throttle import LoginThrottle

__all__ = [
    "ANONYMOUS",
    "LoginResult",
    "Principal",
    "authenticate",
    "bearer_token",
    "change_password",
    "check_login",
    "create_api_token",
    "create_user",
    "email_of",
    "issue_token",
    "list_tokens",
    "list_users",
    "login",
    "principal_of",
    "resolve_token",
    "revoke_all_tokens",
    "revoke_token",
    "set_email",
    "set_password",
    "start_session",
    "user_named",
]

TOKEN_PREFIX = "jl_"  # noqa: S105 - the visible prefix of every token


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


def principal_of(user: User, token_id: int | None = None) -> Principal:
    """The caller that ``user`` is (with the token it presented, if any)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        org_id=user.org_id,
        display_name=user.display_name,
        token_id=token_id,
    )


def bearer_token(authorization: str | None, cookie: str | None) -> str | None:
    """The token of a request: ``Authorization: Bearer <token>`` first, else the console cookie."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookie or None


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
    min_password_length: int = DEFAULT_MIN_LENGTH,
) -> User:
    """Create a user; enterprise and lab users must belong to an organization.

    The password must pass :func:`jiliang.platform.passwords.check_password`.
    """
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
    check_password(password, name, min_length=min_password_length)
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


def _logged_in(principal: Principal) -> None:
    if principal.is_anonymous:
        raise UnauthenticatedError("login required")


def list_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    """The caller's own tokens (hashes only; the secrets were shown once)."""
    _logged_in(principal)
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id))
    )


def create_api_token(
    session: Session, principal: Principal, name: str, ttl_days: int | None
) -> tuple[str, ApiToken, User]:
    """A new API token for the caller: (secret, its stored row, the user)."""
    _logged_in(principal)
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFoundError(f"user {principal.user_id} not found")
    secret = issue_token(session, user, name, ttl_days=ttl_days)
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:10]).order_by(ApiToken.id.desc()))
    assert row is not None  # flushed by issue_token
    return secret, row, user


def user_named(session: Session, principal: Principal, username: str) -> User:
    """A user by login name (the regulator, or the server's own commands acting as it)."""
    principal.require(Role.REGULATOR)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"user {username!r} not found")
    return user


def list_users(session: Session, principal: Principal) -> list[User]:
    """Every user (the regulator)."""
    principal.require(Role.REGULATOR)
    return list(session.scalars(select(User).order_by(User.id)))


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
    return principal_of(user, token_id=row.id)


def revoke_token(session: Session, token_id: int, by: Principal) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != by.user_id and not by.is_regulator):
        raise NotFoundError(f"token {token_id} not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def revoke_all_tokens(session: Session, user_id: int, by: Principal) -> int:
    """Revoke every live token of ``user_id`` ("log out everywhere"); return how many."""
    if user_id != by.user_id and not by.is_regulator:
        raise NotFoundError(f"user {user_id} not found")
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now  # through the ORM, so each revocation is audited
    session.flush()
    return len(rows)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password, or UnauthenticatedError (same for both).

    Verifies inside the caller's session; request handlers use :func:`login`, which does not hold
    a connection while the password is checked.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        verify_password(dummy_hash(), password)  # spend the same time whether or not the user exists
        raise UnauthenticatedError("wrong user name or password")
    if not user.active or not verify_password(user.password_hash, password):
        raise UnauthenticatedError("wrong user name or password")
    return user


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A successful login: the token's secret (shown once), its id and expiry, and the user."""

    token: str
    token_id: int
    expires_at: datetime | None
    user: Principal


def _check_credentials(db: Database, username: str, password: str) -> int:
    """The id of the active user with these credentials; no connection is held while hashing."""
    with db.session(write=False) as session:
        row = session.execute(
            select(User.id, User.password_hash, User.active).where(User.username == username)
        ).first()
    if row is None:
        verify_password(dummy_hash(), password)
        raise UnauthenticatedError("wrong user name or password")
    if not row.active or not verify_password(row.password_hash, password):
        raise UnauthenticatedError("wrong user name or password")
    return int(row.id)


def check_login(db: Database, throttle: LoginThrottle, username: str, password: str, address: str) -> int:
    """The id of the user if the throttle lets the attempt through and the password matches.

    Raises :class:`~jiliang.platform.throttle.RateLimitedError` or UnauthenticatedError. Reads the
    user in a short read transaction and verifies the Argon2 hash with no connection held.
    """
    name = username.strip()
    throttle.check(name, address)
    try:
        user_id = _check_credentials(db, name, password)
    except UnauthenticatedError:
        throttle.failed(name, address)
        raise
    throttle.succeeded(name, address)
    return user_id


def start_session(db: Database, user_id: int, *, label: str, ttl_days: int | None) -> LoginResult:
    """Issue a login token for ``user_id`` in one short write transaction (audited)."""
    with db.session() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise UnauthenticatedError("wrong user name or password")
        session.info["actor"] = user.username
        secret = issue_token(session, user, label, ttl_days=ttl_days)
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(secret)))
        assert row is not None
        record(session, [AuditChange("login", "app_user", str(user.id))], actor=user.username)
        principal = principal_of(user, token_id=row.id)
        return LoginResult(secret, row.id, row.expires_at, principal)


async def login(
    db: Database,
    throttle: LoginThrottle,
    username: str,
    password: str,
    *,
    address: str,
    label: str = "login",
    ttl_days: int | None = 30,
) -> LoginResult:
    """Log in from a request handler: check (in a worker thread), then write under the write gate.

    The password is verified off the event loop and outside any transaction; the token is written
    in a short transaction once :meth:`Database.write_gate` is free.
    """
    from starlette.concurrency import run_in_threadpool

    user_id = await run_in_threadpool(check_login, db, throttle, username, password, address)
    async with db.write_gate():
        return await run_in_threadpool(start_session, db, user_id, label=label, ttl_days=ttl_days)


async def change_password(
    db: Database,
    by: Principal,
    current: str,
    new: str,
    *,
    min_length: int = DEFAULT_MIN_LENGTH,
) -> int:
    """Change the caller's password after checking the current one; revoke its other tokens.

    Returns how many tokens were revoked. Hashing happens in a worker thread, outside the write
    transaction.
    """
    from starlette.concurrency import run_in_threadpool

    if by.is_anonymous or by.user_id is None:
        raise UnauthenticatedError("login required")
    await run_in_threadpool(_check_credentials, db, by.username, current)
    check_password(new, by.username, min_length=min_length)
    new_hash = await run_in_threadpool(hash_password, new)
    async with db.write_gate():
        return await run_in_threadpool(_store_password, db, by, new_hash)


def _store_password(db: Database, by: Principal, new_hash: str) -> int:
    with db.session(actor=by.username) as session:
        user = session.get(User, by.user_id)
        if user is None:
            raise NotFoundError(f"user {by.user_id} not found")
        user.password_hash = new_hash
        others = session.scalars(
            select(ApiToken).where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.id != (by.token_id or -1),
            )
        ).all()
        now = utcnow()
        for row in others:
            row.revoked_at = now
        session.flush()
        return len(others)


def set_password(
    session: Session, user: User, password: str, *, min_length: int = DEFAULT_MIN_LENGTH
) -> None:
    """Set ``user``'s password (administration: CLI); the policy applies, other tokens stay."""
    check_password(password, user.username, min_length=min_length)
    user.password_hash = hash_password(password)
    session.flush()


_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]+$")


def email_of(session: Session, principal: Principal) -> str | None:
    """The caller's own e-mail address for notifications (None: none set, or anonymous)."""
    if principal.is_anonymous:
        return None
    return session.scalar(select(User.email).where(User.id == principal.user_id))


def set_email(session: Session, principal: Principal, user_id: int, email: str | None) -> str | None:
    """Set (or clear, with None or "") a user's e-mail address for notifications.

    A user sets their own; the regulator anyone's. Returns the stored address.
    """
    if principal.is_anonymous:
        raise UnauthenticatedError("login required")
    if principal.user_id != user_id and not principal.is_regulator:
        raise PermissionDeniedError("you may change only your own e-mail address")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    text = (email or "").strip()
    if text and (len(text) > 254 or not _EMAIL.match(text)):
        raise InputError(
            f"{text[:60]!r} is not an e-mail address", fields=[FieldError("email", "not an e-mail address")]
        )
    user.email = text or None
    session.flush()  # audited by the ORM hook
    return user.email
