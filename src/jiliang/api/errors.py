"""One JSON error body for every error the API answers with.

``{"status": 404, "code": "not_found", "message": "...", "errors": [{"field": ..., "message": ...}]}``

Browsers asking for a page (``Accept: text/html``) outside ``/api`` get the same content as a page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiliang.errors import JiliangError

__all__ = ["error_body", "install_error_handlers", "respond"]

log = logging.getLogger("jiliang.api")

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def error_body(status: int, message: str, code: str | None = None, errors: Any = ()) -> dict[str, Any]:
    return {
        "status": status,
        "code": code or _CODES.get(status, "error"),
        "message": message,
        "errors": list(errors),
    }


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api") or path in ("/healthz", "/openapi.json"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def respond(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """The error body as JSON, or as the console's error page for a browser asking for a page."""
    if _wants_html(request):
        # the console renders errors inside its layout (installed by the app as ``error_page``)
        renderer = getattr(request.app.state, "error_page", None)
        styled = renderer(request, body, headers) if renderer is not None else None
        if styled is not None:
            return styled  # type: ignore[no-any-return]
        from html import escape

        status = body["status"]
        html = (
            f"<!doctype html><html lang='zh'><meta charset='utf-8'><title>{status}</title>"
            "<link rel='stylesheet' href='/static/app.css'>"
            f"<body class='error-page'><main id='main'><h1>{status}</h1><p class='error' role='alert'>"
            f"{escape(body['message'])}</p><p><a href='/'>首页 / Home</a></p></main></body></html>"
        )
        return HTMLResponse(html, status_code=status, headers=headers)
    return JSONResponse(body, status_code=body["status"], headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(JiliangError)
    async def _jiliang(request: Request, exc: JiliangError) -> Response:
        body = error_body(exc.status, exc.message, exc.code, (f.as_dict() for f in exc.fields))
        if exc.details:
            body["details"] = exc.details
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if "retry_after" in exc.details:
            headers = {"Retry-After": str(exc.details["retry_after"])}
        return respond(request, body, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        message = f"invalid {first['field']}: {first['message']}" if first["field"] else first["message"]
        return respond(request, error_body(422, message, "invalid_input", errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such path: {request.url.path}"
        return respond(request, error_body(exc.status_code, message), getattr(exc, "headers", None))

    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # a value the store cannot hold (an integer beyond 64 bits, …): the input is wrong
        log.info("value out of range on %s %s: %s", request.method, request.url.path, exc)
        return respond(request, error_body(422, "a value is out of the range the database can store"))

    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    @app.exception_handler(PoolTimeoutError)
    async def _pool(request: Request, exc: PoolTimeoutError) -> Response:
        # every pooled connection stayed busy for the pool timeout: overloaded, not broken
        log.warning("no free database connection on %s %s", request.method, request.url.path)
        return respond(
            request, error_body(503, "the server is busy; try again", "unavailable"), {"Retry-After": "1"}
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # a unique or foreign-key rule of the store refused the write; nothing was written
        return respond(
            request, error_body(409, "conflicts with what is stored (duplicate or missing reference)")
        )

    @app.exception_handler(OperationalError)
    async def _store(request: Request, exc: OperationalError) -> Response:
        log.warning("database error on %s %s: %s", request.method, request.url.path, exc.orig)
        return respond(
            request, error_body(503, "the database is unavailable or busy; try again", "unavailable")
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, error_body(500, "internal error; the administrator can find it in the log"))
