"""Render templates with the caller, the language and the navigation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from jiliang.errors import NotFoundError
from jiliang.platform.auth import Principal
from jiliang.platform.models import OrgKind, Role
from jiliang.platform.orgs import get_organization
from jiliang.platform.websec import (
    CSRF_COOKIE,
    CSRF_FIELD,
    cookie_secure,
    csrf_token,
    new_csrf_seed,
    request_scheme,
)
from jiliang.web.i18n import choose_language, translator
from jiliang.web.phrases import code_text, phrase_text
from jiliang.web.textfit import fit_text, text_units

__all__ = ["NAV", "NavItem", "csrf_seed", "language_of", "may_use", "page", "with_csrf_fields"]

LANG_COOKIE = "jiliang_lang"


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str  # catalog key of the label
    href: str
    roles: tuple[Role, ...]  # who sees it; Role.PUBLIC means everybody
    kinds: tuple[OrgKind, ...] = ()  # if set: the organisation kinds of non-regulators who may use it
    menu: bool = True  # False: a tab inside a page (same rules, not in the top navigation)


_ALL = (Role.REGULATOR, Role.LAB, Role.ENTERPRISE, Role.PUBLIC)
_USERS = (Role.REGULATOR, Role.LAB, Role.ENTERPRISE)

# The console's navigation; a page that does not exist yet shows as "coming".
NAV: list[NavItem] = [
    NavItem("nav.home", "/", _ALL),
    NavItem("nav.registry", "/registry", _USERS),
    NavItem("nav.due", "/registry/due", _USERS),
    NavItem("nav.verification", "/verification", _USERS),
    NavItem("nav.standards", "/registry/standards", _USERS),
    NavItem("nav.uncertainty", "/uncertainty", _ALL),
    NavItem("nav.certificates", "/certificates", _USERS),
    NavItem("nav.comparisons", "/comparisons", (Role.REGULATOR, Role.LAB)),
    NavItem("nav.meters", "/meters", (Role.REGULATOR, Role.ENTERPRISE), kinds=(OrgKind.UTILITY,)),
    NavItem(
        "nav.cheating",
        "/cheating",
        (Role.REGULATOR, Role.ENTERPRISE),
        kinds=(OrgKind.FUEL_STATION, OrgKind.CHARGING),
    ),
    NavItem("nav.inspections", "/inspections", _ALL),
    NavItem("nav.sampling", "/sampling", _ALL),
    NavItem("nav.netcontent", "/netcontent", (Role.REGULATOR, Role.ENTERPRISE), kinds=(OrgKind.FACTORY,)),
    NavItem("nav.indicators", "/indicators", (Role.REGULATOR,)),
    NavItem("nav.energy", "/energy", (Role.REGULATOR, Role.ENTERPRISE)),
    NavItem("nav.verify", "/verify", _ALL),
    NavItem("nav.audit", "/audit", (Role.REGULATOR,)),
    NavItem("nav.organization", "/organization", (Role.LAB, Role.ENTERPRISE)),
    NavItem("nav.org_requests", "/organization/requests", (Role.REGULATOR,)),
    # tabs of the registry pages: the same rules as the registry services
    NavItem("reg.rms", "/registry/reference-materials", _ALL, menu=False),
    NavItem("reg.orgs", "/registry/organizations", _USERS, menu=False),
    NavItem("reg.import", "/registry/import", (Role.REGULATOR, Role.ENTERPRISE), menu=False),
    NavItem("reg.coverage", "/registry/coverage", (Role.REGULATOR,), menu=False),
    NavItem("carbon.title", "/carbon", (Role.REGULATOR, Role.ENTERPRISE), menu=False),
]


def _org_kind(request: Request, principal: Principal) -> str | None:
    """The kind of the caller's organisation (looked up once per request)."""
    if principal.org_id is None:
        return None
    if not hasattr(request.state, "org_kind"):
        with request.app.state.db.sessionmaker() as session:
            try:
                request.state.org_kind = get_organization(session, principal, principal.org_id).kind
            except NotFoundError:
                request.state.org_kind = None
    return request.state.org_kind  # type: ignore[no-any-return]


def may_use(request: Request, principal: Principal, href: str) -> bool:
    """Whether the caller may use the page at ``href`` (pages not listed: everybody)."""
    item = next((i for i in NAV if i.href == href), None)
    if item is None:
        return True
    if principal.role not in item.roles:
        return False
    if item.kinds and not principal.is_regulator:
        return _org_kind(request, principal) in item.kinds
    return True


_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>", re.IGNORECASE)


def csrf_seed(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, and whether it is new (to be set on the response)."""
    cached = getattr(request.state, "csrf_seed", None)
    if cached:
        return str(cached), True
    seed = request.cookies.get(CSRF_COOKIE, "")
    fresh = not (20 <= len(seed) <= 100)
    if fresh:
        seed = new_csrf_seed()
        request.state.csrf_seed = seed
    return seed, fresh


def with_csrf_fields(html: str, token: str) -> str:
    """Add the CSRF token as a hidden field to every POST form of a page.

    >>> with_csrf_fields('<form method="post" action="/x"><button>go</button></form>', "abc")
    '<form method="post" action="/x"><input type="hidden" name="csrf_token" value="abc"><button>go</button></form>'
    """
    field = f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'
    return _POST_FORM.sub(lambda m: m.group(0) + field, html)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # codes and service phrases in the page's language: {{ v | code('family') }}, {{ text | phrase }}
    env.filters["code"] = pass_context(lambda ctx, v, family: code_text(ctx["lang"], family, v))
    env.filters["phrase"] = pass_context(lambda ctx, text: phrase_text(ctx["lang"], text))
    # room for chart labels: {{ label | text_units }}, {{ label | fit_text(120) }}
    env.filters["text_units"] = text_units
    env.filters["fit_text"] = fit_text
    return env


def language_of(request: Request) -> str:
    cached = getattr(request.state, "lang", None)
    if cached:
        return str(cached)
    lang = choose_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        request.app.state.settings.default_language,
    )
    request.state.lang = lang
    return lang


def _switch_href(request: Request, other: str) -> str:
    """This page in the other language, with its filters (the query string) kept."""
    from urllib.parse import urlencode

    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*params, ("lang", other)])


def page(
    request: Request, template: str, principal: Principal, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` for the caller in the chosen language; sets the language cookie."""
    lang = language_of(request)
    t = translator(lang)
    existing = request.app.state.page_paths
    nav = [
        {
            "label": t(item.key),
            "href": item.href,
            "active": request.url.path == item.href,
            "ready": item.href in existing,
        }
        for item in NAV
        if item.menu and may_use(request, principal, item.href)
    ]
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            t=t,
            lang=lang,
            other_lang="en" if lang == "zh" else "zh",
            switch_href=_switch_href(request, "en" if lang == "zh" else "zh"),
            user=principal,
            nav=nav,
            demo_mode=request.app.state.settings.demo_mode,
            may=lambda href: may_use(request, principal, href),
            **context,
        )
    )
    settings = request.app.state.settings
    seed, fresh = csrf_seed(request)
    html = with_csrf_fields(html, csrf_token(settings.secret_key, seed))
    response = HTMLResponse(html, status_code=status)
    secure = cookie_secure(settings.cookie_secure, request_scheme(request, settings.trusted_proxies))
    if fresh:
        response.set_cookie(CSRF_COOKIE, seed, samesite="lax", httponly=True, secure=secure)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True, secure=secure
        )
    return response
