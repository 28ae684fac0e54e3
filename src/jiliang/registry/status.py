"""Status of an instrument from its due date and last result, and the status job (reminders).

An instrument past its due date becomes ``overdue``; the day after, ``blocked`` (it may no longer
be used for compulsory purposes). A failed verification blocks it at once. A booked instrument
stays ``booked`` until its verification is recorded. Reminders go out 30 and 15 days before the
due date, once each per due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from jiliang.registry.models import InstrumentStatus

__all__ = ["REMINDER_DAYS", "JobResult", "status_for"]

REMINDER_DAYS = (30, 15)


def status_for(due: date | None, result: str | None, today: date) -> str:
    """The status a register row should have on ``today`` (booked and retired are set by people).

    >>> status_for(date(2026, 1, 10), "pass", date(2026, 1, 10))
    'in_use'
    >>> status_for(date(2026, 1, 10), "pass", date(2026, 1, 11))
    'overdue'
    >>> status_for(date(2026, 1, 10), "pass", date(2026, 1, 12))
    'blocked'
    """
    if result == "fail":
        return InstrumentStatus.BLOCKED.value
    if due is None or due >= today:
        return InstrumentStatus.IN_USE.value
    if due >= today - timedelta(days=1):
        return InstrumentStatus.OVERDUE.value
    return InstrumentStatus.BLOCKED.value


@dataclass(frozen=True, slots=True)
class JobResult:
    on: date
    overdue: int
    blocked: int
    reminders_30: int
    reminders_15: int

    def as_dict(self) -> dict[str, object]:
        return {
            "on": self.on.isoformat(),
            "overdue": self.overdue,
            "blocked": self.blocked,
            "reminders_30": self.reminders_30,
            "reminders_15": self.reminders_15,
        }
