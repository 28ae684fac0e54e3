"""Users of the platform (managed by the regulator)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from jiliang.api.auth import UserOut, user_out
from jiliang.api.deps import Caller, DbId, Regulator, SessionDep, settings_of
from jiliang.platform import auth
from jiliang.platform.models import Role

router = APIRouter(prefix="/users", tags=["users"])


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024, description="Must meet the password policy.")
    role: Role
    display_name: str | None = Field(default=None, max_length=128)
    org_id: DbId | None = None


@router.get("", name="list", summary="Users (regulator)")
def list_users(caller: Regulator, session: SessionDep) -> list[UserOut]:
    return [user_out(u) for u in auth.list_users(session, caller)]


@router.post("", name="create", status_code=201, summary="Create a user (regulator)")
def create_user(body: UserIn, _: Regulator, session: SessionDep, request: Request) -> UserOut:
    user = auth.create_user(
        session,
        body.username,
        body.password,
        body.role,
        display_name=body.display_name,
        org_id=body.org_id,
        min_password_length=settings_of(request).password_min_length,
    )
    return user_out(user)


class EmailIn(BaseModel):
    email: str | None = Field(default=None, max_length=254, description="Empty or null clears it.")


class EmailOut(BaseModel):
    user_id: int
    email: str | None


@router.put(
    "/{user_id}/email", name="set_email", summary="A user's e-mail for notifications (self or regulator)"
)
def set_email(user_id: DbId, body: EmailIn, caller: Caller, session: SessionDep) -> EmailOut:
    return EmailOut(user_id=user_id, email=auth.set_email(session, caller, user_id, body.email))
