"""Passwords: the policy a new password must meet, and Argon2id hashing with bounded concurrency.

Argon2id with the library's defaults (RFC 9106 second recommended profile) takes about 64 MiB and
tens of milliseconds of CPU per hash. At most ``os.cpu_count()`` hashes or verifications run at once
in a process, so a burst of logins queues here instead of exhausting memory; callers hash outside
any database transaction (see :func:`jiliang.platform.auth.login`).

The list of common passwords is Django's ``common-passwords.txt.gz`` (19,646 passwords from Royce
Williams' list of leaked passwords, BSD licence, see ``data/NOTICE``).
"""

from __future__ import annotations

import gzip
import os
import threading
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from jiliang.errors import FieldError, InputError

__all__ = ["DEFAULT_MIN_LENGTH", "check_password", "hash_password", "verify_password"]

DEFAULT_MIN_LENGTH = 10
MAX_LENGTH = 1024
_COMMON = Path(__file__).parent / "data" / "common-passwords.txt.gz"
_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def _refuse(message: str) -> InputError:
    return InputError(message, fields=[FieldError("password", message)])


def check_password(password: str, username: str = "", *, min_length: int = DEFAULT_MIN_LENGTH) -> None:
    """Raise :class:`InputError` unless ``password`` may be set for ``username``.

    Rules: at least ``min_length`` characters and at most 1024; not only whitespace; not the user
    name (in any case); not one of the common leaked passwords (case-insensitive).

    >>> check_password("kettle-orbit-17", "wang")
    >>> check_password("1234567890", "wang")
    Traceback (most recent call last):
    ...
    jiliang.errors.InputError: password is a commonly used password; choose another
    """
    if len(password) < min_length:
        raise _refuse(f"password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise _refuse(f"password is longer than {MAX_LENGTH} characters")
    if not password.strip():
        raise _refuse("password must not be only spaces")
    folded = password.strip().lower()
    if username and folded == username.strip().lower():
        raise _refuse("password must not be the user name")
    if folded in _common_passwords():
        raise _refuse("password is a commonly used password; choose another")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (no policy check: see :func:`check_password`)."""
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed hash never matches."""
    with _slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


@cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cases take as long."""
    return _hasher.hash("timing-equalizer-" + os.urandom(8).hex())
