"""Reading an uploaded file within a size limit, for the API and the console alike.

The file is read in 1 MiB chunks and refused as soon as it passes the limit, so an oversized upload
is never held whole in memory. The caller says which error to raise (its code and details differ
between capabilities).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["AsyncReadable", "read_limited"]

_CHUNK = 1 << 20


class AsyncReadable(Protocol):
    """What an upload offers (Starlette's ``UploadFile``)."""

    async def read(self, size: int = -1) -> bytes: ...


async def read_limited(upload: AsyncReadable, limit: int, too_large: Callable[[], Exception]) -> bytes:
    """All bytes of ``upload``, or ``too_large()`` raised once more than ``limit`` bytes came.

    >>> import io
    >>> class Upload:
    ...     def __init__(self, data: bytes) -> None: self.f = io.BytesIO(data)
    ...     async def read(self, size: int = -1) -> bytes: return self.f.read(size)
    >>> def run(coro):  # the reads never wait, so one step runs it to the end (no event loop)
    ...     try:
    ...         coro.send(None)
    ...     except StopIteration as done:
    ...         return done.value
    >>> run(read_limited(Upload(b"abc"), 3, lambda: ValueError("too large")))
    b'abc'
    >>> run(read_limited(Upload(b"abcd"), 3, lambda: ValueError("too large")))
    Traceback (most recent call last):
    ...
    ValueError: too large
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)
