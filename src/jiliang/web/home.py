"""Home page with the city's figures, login and logout."""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from jiliang.errors import JiliangError
from jiliang.platform.auth import Principal, login, revoke_all_tokens, revoke_token
from jiliang.platform.throttle import RateLimitedError
from jiliang.web.cache import memo
from jiliang.web.deps import TOKEN_COOKIE, PageCaller, PageSession, address_of, clock_of, secure_cookies
from jiliang.web.render import language_of, page

router = APIRouter()

# Capabilities that add figures to the home page: ``<module>.home_figures(session, principal, on)``
# (``on``: today's date from the app's clock)
# returning a list of ``{"label": key, "value": ..., "href": ..., "chart": {...}}`` dicts.
FIGURE_PROVIDERS = [
    "jiliang.platform.dashboard",
    "jiliang.registry.dashboard",
    "jiliang.dcc.dashboard",
    "jiliang.meters.dashboard",
]


def provider_figures(
    session: Session, principal: Principal, lang: str, on: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    figures: list[dict[str, Any]] = []
    charts: list[dict[str, Any]] = []
    for name in FIGURE_PROVIDERS:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        figures.extend(module.home_figures(session, principal, on))
        if hasattr(module, "home_charts"):
            charts.extend(module.home_charts(session, principal, lang, on))
    return figures, charts


@router.get("/", name="home")
def home(request: Request, principal: PageCaller, session: PageSession) -> Response:
    lang = language_of(request)

    def compute() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return provider_figures(session, principal, lang, clock_of(request).today())

    (figures, charts), computed = memo(request, ("home", principal.role, principal.org_id, lang), compute)
    return page(request, "home.html", principal, figures=figures, charts=charts, computed=computed)


@router.get("/login", name="login_form")
def login_form(request: Request, principal: PageCaller, next: str = "/") -> Response:
    return page(request, "login.html", principal, error=None, next=_safe_next(next))


def _safe_next(target: str) -> str:
    """Only same-site paths: no open redirects."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


@router.post("/login", name="login_submit")
async def login_submit(
    request: Request,
    principal: PageCaller,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password (no database connection held meanwhile) and set the session cookie."""
    settings = request.app.state.settings
    try:
        result = await login(
            request.app.state.db,
            request.app.state.login_throttle,
            username,
            password,
            address=address_of(request),
            label="console",
            ttl_days=settings.token_ttl_days,
        )
    except RateLimitedError as exc:
        response = page(
            request,
            "login.html",
            principal,
            status=429,
            error="login.rate_limited",
            next=_safe_next(next),
            retry_after=exc.retry_after,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except JiliangError as exc:
        return page(
            request, "login.html", principal, status=exc.status, error="login.failed", next=_safe_next(next)
        )
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    redirect.set_cookie(
        TOKEN_COOKIE,
        result.token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=settings.token_ttl_days * 86400,
    )
    return redirect


def _logged_out() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.post("/logout", name="logout")
def logout(principal: PageCaller, session: PageSession) -> Response:
    """Revoke this browser's session token and forget the cookie."""
    if principal.token_id is not None:
        revoke_token(session, principal.token_id, principal)
    return _logged_out()


@router.post("/logout/everywhere", name="logout_everywhere")
def logout_everywhere(principal: PageCaller, session: PageSession) -> Response:
    """Revoke every token of the user: other browsers and API tokens too."""
    if principal.user_id is not None:
        revoke_all_tokens(session, principal.user_id, principal)
    return _logged_out()
