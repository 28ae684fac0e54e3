"""Login, logout, the caller, API tokens and users."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, DbId, SessionDep, address_of, settings_of
from jiliang.errors import UnauthenticatedError
from jiliang.platform import auth
from jiliang.platform.auth import Principal
from jiliang.platform.models import User

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


def _login_out(result: auth.LoginResult) -> TokenOut:
    return TokenOut(
        token=result.token, token_id=result.token_id, expires_at=result.expires_at, user=user_out(result.user)
    )


@router.post("/login", name="login", summary="Exchange user name and password for a token")
async def login(body: LoginIn, request: Request) -> TokenOut:
    """Failed logins slow down further attempts (429 with ``Retry-After``); see the platform guide."""
    settings = settings_of(request)
    result = await auth.login(
        request.app.state.db,
        request.app.state.login_throttle,
        body.username,
        body.password,
        address=address_of(request),
        ttl_days=settings.token_ttl_days,
    )
    return _login_out(result)


def _caller_token(caller: Principal) -> int:
    if caller.is_anonymous or caller.token_id is None:
        raise UnauthenticatedError("login required")
    return caller.token_id


@router.post("/logout", name="logout", summary="Revoke the token used for this request")
def logout(caller: Caller, session: SessionDep) -> dict[str, bool]:
    auth.revoke_token(session, _caller_token(caller), caller)
    return {"revoked": True}


class RevokedOut(BaseModel):
    revoked: int = Field(description="How many tokens were revoked.")


@router.post("/logout-everywhere", name="logout_everywhere", summary="Revoke every token of the caller")
def logout_everywhere(caller: Caller, session: SessionDep) -> RevokedOut:
    _caller_token(caller)
    assert caller.user_id is not None
    return RevokedOut(revoked=auth.revoke_all_tokens(session, caller.user_id, caller))


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post("/password", name="change_password", summary="Change the caller's password")
async def change_password(body: PasswordIn, caller: Caller, request: Request) -> RevokedOut:
    """The new password must meet the policy; the caller's other tokens are revoked."""
    _caller_token(caller)
    revoked = await auth.change_password(
        request.app.state.db,
        caller,
        body.current_password,
        body.new_password,
        min_length=settings_of(request).password_min_length,
    )
    return RevokedOut(revoked=revoked)


@router.get("/me", name="me", summary="Who the caller is")
def me(caller: Caller) -> UserOut:
    return user_out(caller)


@router.get("/tokens", name="list_tokens", summary="The caller's tokens")
def list_tokens(caller: Caller, session: SessionDep) -> list[TokenInfo]:
    return [TokenInfo.model_validate(r, from_attributes=True) for r in auth.list_tokens(session, caller)]


@router.post("/tokens", name="create_token", status_code=201, summary="Create an API token")
def create_token(body: TokenIn, caller: Caller, session: SessionDep) -> TokenOut:
    secret, row, user = auth.create_api_token(session, caller, body.name, body.ttl_days)
    return TokenOut(token=secret, token_id=row.id, expires_at=row.expires_at, user=user_out(user))


@router.delete("/tokens/{token_id}", name="revoke_token", summary="Revoke a token")
def revoke_token(token_id: DbId, caller: Caller, session: SessionDep) -> dict[str, bool]:
    if caller.is_anonymous:
        raise UnauthenticatedError("login required")
    auth.revoke_token(session, token_id, caller)
    return {"revoked": True}
