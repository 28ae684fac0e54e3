"""The OpenAPI description, completed in one place: the error answers and the file types.

Every operation documents the error statuses the API answers with, each with the one JSON error
body (:func:`jiliang.api.errors.error_body`), and operations that return files document their media
types. Routers need not repeat either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

__all__ = ["ERROR_STATUSES", "FILE_TYPES", "install_openapi"]

ERROR_STATUSES: dict[int, str] = {
    400: "The request could not be read",
    401: "Login required, or the token is invalid, expired or revoked",
    403: "The caller's role may not do this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with what is stored",
    413: "The request body or file is larger than the limit",
    422: "Invalid input: the errors name each field",
    429: "Too many attempts; try again later",
    503: "The database is unavailable or busy",
}

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# operation id → media types of its 200 answer (instead of JSON)
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "registry-export": ("text/csv", _XLSX),
    "registry-import_template": ("text/csv",),
    "meters-worklist_csv": ("text/csv",),
    "certificates-download_xml": ("application/xml",),
    "certificates-download_pdf": ("application/pdf",),
    "certificates-view_html": ("text/html",),
    "comparisons-report_svg": ("image/svg+xml",),
    "comparisons-report_pdf": ("application/pdf",),
    "supervision-plan_file": ("text/csv", "application/json"),
    "verification-receipt_pdf": ("application/pdf",),
    "verification-notice_pdf": ("application/pdf",),
}

_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["status", "code", "message", "errors"],
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status"},
        "code": {"type": "string", "description": "Stable machine-readable code, e.g. not_found"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "details": {"type": "object"},
    },
}
_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _file_schema(media_type: str) -> dict[str, Any]:
    """A downloaded file: bytes, or a JSON document (an object) for ``application/json``."""
    return {"type": "object"} if media_type == "application/json" else {"type": "string", "format": "binary"}


def _complete(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorBody"] = _ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            for status, text in ERROR_STATUSES.items():
                responses[str(status)] = {
                    "description": text,
                    "content": {"application/json": {"schema": _REF}},
                }
            types = FILE_TYPES.get(op.get("operationId", ""))
            ok = responses.get("200")
            if types and ok is not None:
                ok["content"] = {t: {"schema": _file_schema(t)} for t in types}
    return spec


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed description (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _complete(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
