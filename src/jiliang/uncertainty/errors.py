"""The error raised for a bad measurement model, input or method."""

from __future__ import annotations

from jiliang.errors import InputError

__all__ = ["ModelTooLargeError", "UncertaintyModelError"]


class UncertaintyModelError(InputError):
    """A measurement model, one of its inputs or the evaluation method is not acceptable.

    The message names the offending item (output, input, parameter or expression) and its value.
    """

    code = "invalid_uncertainty_model"


class ModelTooLargeError(UncertaintyModelError):
    """A model file larger than the caller's limit (HTTP 413)."""

    code = "too_large"
    status = 413
