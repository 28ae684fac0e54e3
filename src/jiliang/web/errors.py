"""Errors as console pages: inside the layout, with the navigation, in the caller's language.

The API's error handlers answer a browser asking for a page with :func:`error_page`. The text
comes from the catalog: ``code.error.<code>`` when the error's code has its own message (filled
with the error's details), else the message of its HTTP status. The service's own message is kept
as a technical detail.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from jiliang.errors import JiliangError
from jiliang.platform.auth import ANONYMOUS, Principal
from jiliang.web.i18n import catalog

__all__ = ["ErrorView", "describe", "error_from", "error_page", "safe_error_page"]

log = logging.getLogger("jiliang.web")

_STATUSES = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503)


class ErrorView(dict[str, Any]):
    """What a page shows of an error: ``status``, ``title``, ``text`` (translated), ``detail``."""


def describe(
    lang: str, status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> ErrorView:
    """The error in words of ``lang``: a code with its own message, else its status's message."""
    messages = catalog(lang)
    known = status if status in _STATUSES else (500 if status >= 500 else 400)
    text = messages[f"err.{known}.text"]
    specific = messages.get(f"code.error.{code}")
    if specific:
        try:
            text = specific.format(**(details or {}))
        except (KeyError, IndexError, ValueError):
            text = specific
    return ErrorView(status=status, title=messages[f"err.{known}.title"], text=text, detail=message)


def error_from(lang: str, exc: JiliangError) -> ErrorView:
    """:func:`describe` for an error a service raised (shown next to the form that caused it)."""
    return describe(lang, exc.status, exc.code, exc.message, exc.details)


def _principal(request: Request) -> Principal:
    from jiliang.web.deps import page_principal

    try:
        return page_principal(request)
    except Exception:
        return ANONYMOUS


def error_page(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """The console page for an error body ``{"status","code","message",...}``."""
    from jiliang.web.render import language_of, page

    status = int(body["status"])
    principal = _principal(request)
    lang = language_of(request)
    view = describe(
        lang, status, str(body.get("code", "")), str(body.get("message", "")), body.get("details")
    )
    response = page(request, "error.html", principal, status=status, error=view)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def safe_error_page(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response | None:
    """:func:`error_page`, or ``None`` when even that fails (the caller then answers plainly)."""
    try:
        return error_page(request, body, headers)
    except Exception:
        log.exception("could not render the error page for %s", request.url.path)
        return None
