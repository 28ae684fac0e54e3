"""``jiliang user``: manage users."""

from __future__ import annotations

import typer

from jiliang.cli.common import console, emit_json, fail, open_db, settings, system_principal
from jiliang.errors import NotFoundError
from jiliang.platform.auth import user_named
from jiliang.platform.orgs import find_organization

app = typer.Typer(name="user", help="Users and tokens.", no_args_is_help=True)


def _password(given: str | None) -> str:
    """The password from the option, JILIANG_PASSWORD or a hidden prompt."""
    import os

    secret = given or os.environ.get("JILIANG_PASSWORD")
    if not secret:
        if not os.isatty(0):
            fail("no password: give --password, set JILIANG_PASSWORD or run in a terminal")
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return secret


@app.command("create")
def create(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help="regulator, lab or enterprise."),
    org: str | None = typer.Option(None, help="Organization id or unified social credit code."),
    display_name: str | None = typer.Option(None, help="Name shown in the console."),
    password: str | None = typer.Option(None, help="Password (else read from JILIANG_PASSWORD or asked)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Create a user."""

    from jiliang.platform.auth import create_user

    secret = _password(password)
    cfg = settings()
    db = open_db(cfg)
    with db.session(actor="cli") as session:
        org_id = None
        if org is not None:
            try:
                org_id = find_organization(session, system_principal(), org).id
            except NotFoundError as exc:
                fail(exc.message)
        user = create_user(
            session,
            username,
            secret,
            role,
            display_name=display_name,
            org_id=org_id,
            min_password_length=cfg.password_min_length,
        )
        out = {"id": user.id, "username": user.username, "role": user.role, "org_id": user.org_id}
    if json_out:
        emit_json(out)
    else:
        console.print(f"user {out['username']} created (id {out['id']}, role {out['role']})")


@app.command("token")
def token(
    username: str = typer.Argument(..., help="Login name."),
    name: str = typer.Option("cli", help="What the token is for."),
    ttl_days: int = typer.Option(90, min=1, max=3650, help="Days until it expires."),
) -> None:
    """Issue an API token for a user and print it (shown once)."""

    from jiliang.platform.auth import issue_token

    db = open_db()
    with db.session(actor="cli") as session:
        try:
            user = user_named(session, system_principal(), username)
        except NotFoundError as exc:
            fail(exc.message)
        typer.echo(issue_token(session, user, name, ttl_days))


@app.command("password")
def password(
    username: str = typer.Argument(..., help="Login name."),
    new_password: str | None = typer.Option(
        None, "--password", help="New password (else read from JILIANG_PASSWORD or asked)."
    ),
    revoke: bool = typer.Option(False, "--revoke-tokens", help="Also revoke all the user's tokens."),
) -> None:
    """Set a user's password (it must meet the password policy)."""

    from jiliang.platform.auth import Principal, revoke_all_tokens, set_password
    from jiliang.platform.models import Role

    secret = _password(new_password)
    cfg = settings()
    db = open_db(cfg)
    with db.session(actor="cli") as session:
        try:
            user = user_named(session, system_principal(), username)
        except NotFoundError as exc:
            fail(exc.message)
        set_password(session, user, secret, min_length=cfg.password_min_length)
        revoked = 0
        if revoke:
            admin = Principal(user_id=None, username="cli", role=Role.REGULATOR, org_id=None)
            revoked = revoke_all_tokens(session, user.id, admin)
    console.print(f"password of {username} changed" + (f"; {revoked} tokens revoked" if revoke else ""))
