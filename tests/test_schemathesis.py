"""Property-based run of the whole OpenAPI description with schemathesis, as three roles.

Every operation is called in-process (ASGI) on a copy of the small demo city with inputs generated
from the description (valid and invalid ones), each case as the next of three roles in turn: the
regulator, a lab and an enterprise. Each
answer must not be a server error, must have a documented status and content type, and must match
the documented schema. Seeded (``derandomize``) and bounded per operation, so the run is the same
every time and takes well under three minutes.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import data_folder

ROLES = ("regulator", "lab", "power")  # regulator, lab, enterprise
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 6


@pytest.fixture(scope="module")
def fuzz_app(_seeded_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    from jiliang.app import create_app
    from jiliang.platform.settings import Settings

    data = data_folder(tmp_path_factory.mktemp("fuzz"), _seeded_template[0])
    # a generous login limit: generated logins must not lock the demo users out of the run
    cfg = Settings(data_dir=Path(data), secret_key="test-secret-key-0123456789", login_attempts=10_000)
    app = create_app(cfg)
    yield app
    app.state.db.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_app):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


_tokens: dict[str, str] = {}
_turn = itertools.count()


def _headers(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The next role's token, in turn; a new one when a generated call has revoked it."""
    from sqlalchemy import select

    from jiliang.errors import UnauthenticatedError
    from jiliang.platform.auth import issue_token, resolve_token
    from jiliang.platform.models import User

    role = ROLES[next(_turn) % len(ROLES)]
    with app.state.db.session(actor="test") as session:
        try:
            resolve_token(session, _tokens[role])
        except (KeyError, UnauthenticatedError):
            user = session.scalar(select(User).where(User.username == role))
            _tokens[role] = issue_token(session, user, "fuzz", 1)
    return {"Authorization": f"Bearer {_tokens[role]}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow  # runs in CI (test.sh runs every marker); ~1 min of CPU
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, fuzz_app):  # type: ignore[no-untyped-def]
    response = case.call(headers={**(case.headers or {}), **_headers(fuzz_app)})
    case.validate_response(response, checks=CHECKS)
