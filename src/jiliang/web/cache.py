"""A small time-bounded memo for figures that cost a full pass over the register.

Dashboards show city-wide rates computed over hundreds of thousands of rows; they are recomputed
at most every ``JILIANG_FIGURES_CACHE_SECONDS`` per audience (role, organization, language), so the
pages stay fast at city scale while the figures are never older than that. The page says when the
figures were computed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request

from jiliang.web.deps import clock_of

__all__ = ["memo"]

T = TypeVar("T")
_LOCK = threading.Lock()
_MAX_ENTRIES = 512


def memo(request: Request, key: Hashable, compute: Callable[[], T]) -> tuple[T, datetime]:
    """``compute()`` once per key and cache period; returns the value and when it was computed."""
    ttl = request.app.state.settings.figures_cache_seconds
    if ttl <= 0:
        return compute(), clock_of(request).now()
    store: dict[Hashable, tuple[float, datetime, Any]] = request.app.state.__dict__.setdefault("_memo", {})
    now = time.monotonic()
    with _LOCK:
        hit = store.get(key)
    if hit is not None and hit[0] > now:
        return hit[2], hit[1]
    value = compute()
    stamp = clock_of(request).now()
    with _LOCK:
        if len(store) >= _MAX_ENTRIES:
            store.clear()
        store[key] = (now + ttl, stamp, value)
    return value, stamp
