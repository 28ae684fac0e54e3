"""Login throttling: a growing wait between failed logins instead of a lockout.

Four counters of failed logins, each over a sliding window, each with a free allowance:

* the pair (user name, client address): ``account_attempts`` free;
* the user name from any address: ``2 × account_attempts`` free — but not applied to an address
  from which this user has logged in successfully (the user's usual address), so a stranger
  guessing a user's password cannot keep the user out;
* the client address with any user names (against spraying one password over many names):
  ``address_attempts`` free;
* all failures together: ``global_attempts`` free, again not applied to a usual address.

Past its allowance, the n-th extra failure of a counter imposes a wait of ``2**n`` seconds (1, 2, 4,
8 …, at most ``max_delay``) counted from the last failure. An attempt made before the wait is over
is refused at once with :class:`RateLimitedError` (HTTP 429 with ``Retry-After``), without checking
the password and without counting as a failure. A success clears the pair's counter and marks the
address as usual for that user. The state lives in the process's memory and is bounded.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from jiliang.errors import JiliangError

__all__ = ["LoginThrottle", "RateLimitedError"]

_MAX_KEYS = 100_000


class RateLimitedError(JiliangError):
    """Too many failed logins: try again after ``retry_after`` seconds."""

    code = "rate_limited"
    status = 429

    @property
    def retry_after(self) -> int:
        return int(str(self.details.get("retry_after", 1)))


class LoginThrottle:
    """Decides how long a login attempt must wait; see the module's docstring for the rules."""

    def __init__(
        self,
        *,
        account_attempts: int = 5,
        address_attempts: int = 10,
        global_attempts: int = 200,
        window: float = 300,
        max_delay: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account_attempts = account_attempts
        self.address_attempts = address_attempts
        self.global_attempts = global_attempts
        self.window = window
        self.max_delay = max_delay
        self.clock = clock
        self._failures: OrderedDict[tuple[str, ...], deque[float]] = OrderedDict()
        self._usual: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        name = username.strip().lower()
        keys = [
            (("pair", name, address), self.account_attempts),
            (("address", address), self.address_attempts),
        ]
        if (name, address) not in self._usual:
            keys.append((("account", name), 2 * self.account_attempts))
            keys.append((("global",), self.global_attempts))
        return keys

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def wait(self, username: str, address: str) -> float:
        """Seconds this attempt must still wait (0: it may go ahead)."""
        with self._lock:
            now = self.clock()
            longest = 0.0
            for key, free in self._keys(username, address):
                q = self._recent(key, now)
                if len(q) >= free:
                    delay = min(self.max_delay, 2.0 ** (len(q) - free))
                    longest = max(longest, q[-1] + delay - now)
            return longest

    def check(self, username: str, address: str) -> None:
        """Raise :class:`RateLimitedError` while this attempt must wait."""
        wait = self.wait(username, address)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimitedError(
                f"too many failed logins; try again in {seconds} s", details={"retry_after": seconds}
            )

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            now = self.clock()
            for key, _free in self._keys(username, address):
                q = self._recent(key, now)
                q.append(now)
                self._failures[key] = q
                self._failures.move_to_end(key)
            while len(self._failures) > _MAX_KEYS:  # bound memory under a spray of names
                self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        name = username.strip().lower()
        with self._lock:
            self._failures.pop(("pair", name, address), None)
            self._usual[(name, address)] = self.clock()
            self._usual.move_to_end((name, address))
            while len(self._usual) > _MAX_KEYS:
                self._usual.popitem(last=False)
