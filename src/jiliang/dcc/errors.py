"""Errors of :mod:`jiliang.dcc`, all rooted in :mod:`jiliang.errors`."""

from __future__ import annotations

from jiliang.errors import InputError, TooLargeError

__all__ = ["DccError", "DccSizeError", "SigningError", "UnsafeXmlError"]


class DccError(InputError):
    """A certificate (file or model) is malformed or breaks a rule; the message names it."""

    code = "invalid_dcc"


class UnsafeXmlError(DccError):
    """The XML carries a DTD, entities or other constructs that are refused for safety."""

    code = "unsafe_xml"


class DccSizeError(TooLargeError):
    """The XML is larger than the accepted limit."""


class SigningError(DccError):
    """A key, certificate, timestamp or signature could not be used to sign."""

    code = "signing_failed"
