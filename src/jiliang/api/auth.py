"""Login, logout, the caller, API tokens and users."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from jiliang.api.deps import Caller, DbId, SessionDep
from jiliang.errors import UnauthenticatedError
from jiliang.platform import auth
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.models import ApiToken, User

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    id: int | None
    username: str
    display_name: str
    role: str
    org_id: int | None


class TokenOut(BaseModel):
    token: str = Field(description="The secret; shown once.")
    token_id: int
    expires_at: datetime | None
    user: UserOut


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    ttl_days: int | None = Field(default=90, ge=1, le=3650, description="None for no expiry")


class TokenInfo(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def user_out(p: Principal | User) -> UserOut:
    if isinstance(p, User):
        return UserOut(
            id=p.id, username=p.username, display_name=p.display_name, role=p.role, org_id=p.org_id
        )
    return UserOut(
        id=p.user_id, username=p.username, display_name=p.display_name, role=p.role.value, org_id=p.org_id
    )


def login_user(request: Request, session: SessionDep, username: str, password: str) -> TokenOut:
    """Check the rate limit and the password; issue a login token. Shared with the web console."""
    limiter: auth.LoginRateLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    key = f"{username.strip().lower()}|{client}"
    limiter.check(key)
    try:
        user = auth.authenticate(session, username, password)
    except UnauthenticatedError:
        limiter.failed(key)
        raise
    limiter.succeeded(key)
    ttl = request.app.state.settings.token_ttl_days
    secret = auth.issue_token(session, user, "login", ttl_days=ttl)
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:10]).order_by(ApiToken.id.desc()))
    assert row is not None
    record(session, [AuditChange("login", "app_user", str(user.id))], actor=user.username)
    return TokenOut(token=secret, token_id=row.id, expires_at=row.expires_at, user=user_out(user))


@router.post("/login", name="login", summary="Exchange user name and password for a token")
def login(body: LoginIn, request: Request, session: SessionDep) -> TokenOut:
    return login_user(request, session, body.username, body.password)


@router.post("/logout", name="logout", summary="Revoke the token used for this request")
def logout(caller: Caller, session: SessionDep) -> dict[str, bool]:
    if caller.is_anonymous or caller.token_id is None:
        raise UnauthenticatedError("login required")
    auth.revoke_token(session, caller.token_id, caller)
    return {"revoked": True}


@router.get("/me", name="me", summary="Who the caller is")
def me(caller: Caller) -> UserOut:
    return user_out(caller)


@router.get("/tokens", name="list_tokens", summary="The caller's tokens")
def list_tokens(caller: Caller, session: SessionDep) -> list[TokenInfo]:
    if caller.is_anonymous:
        raise UnauthenticatedError("login required")
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == caller.user_id).order_by(ApiToken.id))
    return [TokenInfo.model_validate(r, from_attributes=True) for r in rows]


@router.post("/tokens", name="create_token", status_code=201, summary="Create an API token")
def create_token(body: TokenIn, caller: Caller, session: SessionDep) -> TokenOut:
    if caller.is_anonymous:
        raise UnauthenticatedError("login required")
    user = session.get(User, caller.user_id)
    assert user is not None
    secret = auth.issue_token(session, user, body.name, ttl_days=body.ttl_days)
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:10]).order_by(ApiToken.id.desc()))
    assert row is not None
    return TokenOut(token=secret, token_id=row.id, expires_at=row.expires_at, user=user_out(user))


@router.delete("/tokens/{token_id}", name="revoke_token", summary="Revoke a token")
def revoke_token(token_id: DbId, caller: Caller, session: SessionDep) -> dict[str, bool]:
    if caller.is_anonymous:
        raise UnauthenticatedError("login required")
    auth.revoke_token(session, token_id, caller)
    return {"revoked": True}
