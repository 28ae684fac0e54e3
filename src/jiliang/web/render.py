"""Render templates with the caller, the language and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.web.i18n import choose_language, translator

__all__ = ["NAV", "NavItem", "language_of", "page"]

LANG_COOKIE = "jiliang_lang"


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str  # catalog key of the label
    href: str
    roles: tuple[Role, ...]  # who sees it; Role.PUBLIC means everybody


_ALL = (Role.REGULATOR, Role.LAB, Role.ENTERPRISE, Role.PUBLIC)
_USERS = (Role.REGULATOR, Role.LAB, Role.ENTERPRISE)

# The console's navigation; a page that does not exist yet shows as "coming".
NAV: list[NavItem] = [
    NavItem("nav.home", "/", _ALL),
    NavItem("nav.registry", "/registry", _USERS),
    NavItem("nav.due", "/registry/due", _USERS),
    NavItem("nav.standards", "/registry/standards", _USERS),
    NavItem("nav.uncertainty", "/uncertainty", _ALL),
    NavItem("nav.certificates", "/certificates", _USERS),
    NavItem("nav.meters", "/meters", (Role.REGULATOR, Role.ENTERPRISE)),
    NavItem("nav.inspections", "/inspections", _ALL),
    NavItem("nav.verify", "/verify", _ALL),
    NavItem("nav.audit", "/audit", (Role.REGULATOR,)),
]


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
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
        if principal.role in item.roles
    ]
    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            t=t,
            lang=lang,
            other_lang="en" if lang == "zh" else "zh",
            user=principal,
            nav=nav,
            demo_mode=request.app.state.settings.demo_mode,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
