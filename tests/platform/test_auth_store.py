"""Users and tokens on both stores (contract: SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiliang.errors import ConflictError, InputError, NotFoundError, UnauthenticatedError
from jiliang.platform import auth
from jiliang.platform.db import utcnow
from jiliang.platform.models import Organization, Role, User


def test_user_password_token_roundtrip(db):
    with db.session(actor="admin") as s:
        org = Organization(name="供电局", kind="utility")
        s.add(org)
        s.flush()
        user = auth.create_user(s, "power", "correct horse", Role.ENTERPRISE, org_id=org.id)
        token = auth.issue_token(s, user, "t", ttl_days=1)
    with db.session() as s:
        stored = s.get(User, user.id)
        assert stored.password_hash.startswith("$argon2id$")
        assert "correct horse" not in stored.password_hash
        assert auth.authenticate(s, "power", "correct horse").id == user.id
        with pytest.raises(UnauthenticatedError):
            auth.authenticate(s, "power", "wrong")
        with pytest.raises(UnauthenticatedError):
            auth.authenticate(s, "nobody", "correct horse")
        p = auth.resolve_token(s, token)
        assert (p.role, p.org_id, p.username) == (Role.ENTERPRISE, org.id, "power")
        assert p.may_see_org(org.id) and not p.may_see_org(org.id + 1)
        with pytest.raises(UnauthenticatedError, match="expired"):
            auth.resolve_token(s, token, now=utcnow() + timedelta(days=2))
        auth.revoke_token(s, p.token_id, p)
    with db.session() as s, pytest.raises(UnauthenticatedError, match="revoked"):
        auth.resolve_token(s, token)


def test_user_rules(db):
    with db.session() as s:
        auth.create_user(s, "reg", "long enough", "regulator")
        with pytest.raises(ConflictError):
            auth.create_user(s, "reg", "long enough", "regulator")
        with pytest.raises(InputError, match="organization"):
            auth.create_user(s, "lab1", "long enough", "lab")
        with pytest.raises(NotFoundError):
            auth.create_user(s, "lab1", "long enough", "lab", org_id=424242)
        with pytest.raises(InputError, match="anonymous"):
            auth.create_user(s, "anon", "long enough", "public")


def test_token_secret_is_not_stored(db):
    with db.session() as s:
        user = auth.create_user(s, "reg2", "long enough", "regulator")
        token = auth.issue_token(s, user)
    with db.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_token"))
    assert token not in dump and token[3:] not in dump
