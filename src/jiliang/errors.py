"""The one error tree of Jiliang.

Every error the platform raises on purpose derives from :class:`JiliangError`. Concrete errors
also inherit the builtin they mean, so callers who know nothing of Jiliang can still catch a
``ValueError`` or a ``PermissionError``. The API maps these to HTTP in one place
(``jiliang.api.errors``); the CLI prints their message as a one-line reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "ConflictError",
    "FieldError",
    "InputError",
    "JiliangError",
    "NotFoundError",
    "PermissionDeniedError",
    "TooLargeError",
    "UnauthenticatedError",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of an input: ``field`` is a dotted path or column name."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class JiliangError(Exception):
    """Root of every error Jiliang raises on purpose.

    ``code`` is a stable machine-readable identifier; ``status`` the HTTP status the API answers
    with; ``fields`` the field errors, if any.
    """

    code: str = "error"
    status: int = 400

    def __init_subclass__(cls, **kwargs: object) -> None:
        # Subclasses list a builtin first (``class E(ValueError, JiliangError)``), whose C-level
        # __init__ would shadow ours: give every subclass without its own __init__ this one.
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            cls.__init__ = JiliangError.__init__  # type: ignore[method-assign]
        if "__str__" not in cls.__dict__:
            cls.__str__ = JiliangError.__str__  # type: ignore[method-assign]

    def __init__(
        self,
        message: str,
        *,
        fields: Sequence[FieldError] = (),
        code: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)
        if code is not None:
            self.code = code
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message


class InputError(ValueError, JiliangError):
    """The input is malformed or breaks a rule; the message names the offending item."""

    code = "invalid_input"
    status = 422


class NotFoundError(LookupError, JiliangError):
    """The thing asked for does not exist, or the caller may not know that it exists."""

    code = "not_found"
    status = 404


class ConflictError(JiliangError):
    """The request conflicts with what is stored (duplicate identity, stale state)."""

    code = "conflict"
    status = 409


class UnauthenticatedError(PermissionError, JiliangError):
    """No valid credentials were given."""

    code = "unauthenticated"
    status = 401


class PermissionDeniedError(PermissionError, JiliangError):
    """The caller is known but may not do this."""

    code = "forbidden"
    status = 403


class TooLargeError(ValueError, JiliangError):
    """An input is larger than the configured limit."""

    code = "too_large"
    status = 413
