"""The clock services are given: the time and the city's date, pinned in tests and replays.

Pages, API routes and commands never read ``date.today()`` or ``datetime.now()`` themselves; they ask
the app's clock (``app.state.clock``, built by :func:`jiliang.app.create_app`), so a test that pins the
clock sees every page and answer as of that moment.

>>> from datetime import UTC, datetime
>>> clock = Clock(fixed=datetime(2026, 1, 31, 20, 0, tzinfo=UTC), tz=ZoneInfo("Asia/Shanghai"))
>>> clock.today()  # 20:00 UTC is already the next day in the city
datetime.date(2026, 2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from jiliang.errors import InputError

__all__ = ["Clock"]


@dataclass(frozen=True, slots=True)
class Clock:
    """``now()`` in UTC and ``today()`` in the city's time zone (the machine's when ``tz`` is None).

    ``fixed`` pins the clock to one aware instant.
    """

    fixed: datetime | None = None
    tz: tzinfo | None = None

    def __post_init__(self) -> None:
        if self.fixed is not None and self.fixed.tzinfo is None:
            raise InputError(f"a fixed clock needs a time zone, got {self.fixed.isoformat()}")

    @classmethod
    def in_zone(cls, name: str | None) -> Clock:
        """The running clock in the IANA zone ``name`` (e.g. ``Asia/Shanghai``), or the machine's."""
        return cls(tz=ZoneInfo(name) if name else None)

    def now(self) -> datetime:
        return self.fixed if self.fixed is not None else datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(self.tz).date()
